#!/usr/bin/env bash
# System tools the test suite drives as real clients (installed only when missing; needs root + apt),
# and the Kafka jars one test reads.
set -euo pipefail
need=()
command -v kcat >/dev/null 2>&1 || need+=(kcat)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing: ${need[*]}"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing tools (install them to run every test): ${need[*]}" >&2
  fi
fi

# Kafka 4.4's jars (Maven Central, cached in test-compat/.cache): the drift test checks protocol/records/
# against the coordinator jars' record schemas. Without Maven or Java, or offline, that one check skips.
if command -v mvn >/dev/null 2>&1 && command -v java >/dev/null 2>&1; then
  bash "$(dirname "${BASH_SOURCE[0]}")/kafka/fetch.sh" >/dev/null || echo "Kafka jars not fetched: the drift test's coordinator-record check will skip" >&2
fi
