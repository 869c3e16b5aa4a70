#!/usr/bin/env bash
# Fetch Apache Kafka's runtime jars from Maven Central (no tarball needed) into
#   test-compat/.cache/kafka-$KAFKA_VERSION/libs
# Idempotent: a stamp holding the pom's checksum skips Maven when nothing changed.
# Prints the libs directory on stdout (last line).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
home="${KAFKA_HOME_DIR:-$root/test-compat/.cache/kafka-$version}"
libs="$home/libs"
stamp="$home/.fetched"
want="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && compgen -G "$libs/kafka_2.13-*.jar" >/dev/null; then
  echo "$libs"
  exit 0
fi

command -v mvn >/dev/null || { echo "fetch.sh: mvn not found (apt-get install maven)" >&2; exit 1; }
command -v java >/dev/null || { echo "fetch.sh: java not found (Java 17+ required)" >&2; exit 1; }

echo "fetch.sh: resolving Kafka $version jars with Maven into $libs" >&2
rm -rf "$libs.tmp"
mkdir -p "$home"
if ! mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$libs.tmp" >&2; then
  echo "fetch.sh: Maven failed to resolve Kafka $version (is Maven Central reachable?)" >&2
  rm -rf "$libs.tmp"
  exit 1
fi
rm -rf "$libs"
mv "$libs.tmp" "$libs"
echo "$want" > "$stamp"
echo "$libs"
