#!/usr/bin/env bash
# Run one of Kafka's command-line tools (a main class) on the Maven Central jars, quietly.
#   scripts/kafka/tool.sh org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
# Env: JAVA (default java).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $# -ge 1 ]] || { echo "usage: tool.sh MAIN_CLASS [args...]" >&2; exit 2; }
libs="$("$here/fetch.sh")"
exec "${JAVA:-java}" -Xmx512m -Djava.awt.headless=true \
  "-Dlog4j2.configurationFile=$here/log4j2-tools.properties" -cp "$libs/*" "$@"
