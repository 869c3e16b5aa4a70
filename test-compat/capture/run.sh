#!/usr/bin/env bash
# Capture golden Kafka protocol frames from real clients against a real Apache Kafka.
#
#   test-compat/capture/run.sh [--clients kafkajs,librdkafka,java,franz-go] [--no-select]
#
# 1. fetches Kafka's jars (scripts/kafka/fetch.sh) and installs each client, pinned, into
#    test-compat/.cache (npm / venv+pip / Maven / go build);
#    and builds packages/codec/dist, which the proxy uses to cap versions (proxy.mjs);
# 2. starts Kafka with a second listener advertised at the proxy's port (start.sh --proxied-listener);
# 3. for each client and phase (produce-<codec> for every codec, consume, [Java: consume-kip848],
#    admin, txn) runs proxy.mjs into test-compat/.cache/capture-raw/<client>/<phase>/ and the
#    client's capture program through it;
# 4. runs select.mjs, which writes packages/codec/test/fixtures/<client>/ and manifest.json.
# Exits 1 if any phase failed (fixtures are still written from the phases that worked).
# Not run in CI: CI uses the committed fixtures.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="$root/test-compat/.cache"
raw="$cache/capture-raw"
clients="kafkajs,librdkafka,java,franz-go"
do_select=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --clients) clients="$2"; shift 2 ;;
    --no-select) do_select=0; shift ;;
    *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
IFS=, read -r -a client_list <<< "$clients"
codecs=(none gzip snappy lz4 zstd)
log() { echo "[run.sh $(date +%H:%M:%S)] $*" >&2; }

# ---- client installs (pinned; idempotent) ----
KAFKAJS_DIR="$cache/kafkajs"
VENV="$cache/venv-confluent"
CONFLUENT_KAFKA_VERSION=2.16.1
JAVA_LIBS="$cache/java-client/libs"
FRANZ_BIN="$cache/franz-go/capture"

setup_kafkajs() {
  if ! cmp -s "$here/kafkajs/deps.package-lock.json" "$KAFKAJS_DIR/package-lock.json" 2>/dev/null \
     || [[ ! -d "$KAFKAJS_DIR/node_modules/kafkajs" ]]; then
    mkdir -p "$KAFKAJS_DIR"
    cp "$here/kafkajs/deps.package.json" "$KAFKAJS_DIR/package.json"
    cp "$here/kafkajs/deps.package-lock.json" "$KAFKAJS_DIR/package-lock.json"
    (cd "$KAFKAJS_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
}
setup_librdkafka() {
  if ! "$VENV/bin/python" -c "import confluent_kafka,sys; sys.exit(confluent_kafka.version()[0] != '$CONFLUENT_KAFKA_VERSION')" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "confluent-kafka==$CONFLUENT_KAFKA_VERSION" >&2
  fi
}
setup_java() {
  if [[ ! -f "$JAVA_LIBS/kafka-clients-4.4.0.jar" ]]; then
    mvn -q -B -f "$here/java/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$JAVA_LIBS" >&2
  fi
}
setup_franz-go() {
  mkdir -p "$(dirname "$FRANZ_BIN")"
  (cd "$here/franz-go" && go build -o "$FRANZ_BIN" . >&2)
}

# Sets cmd to the command line of a client's capture program; common arguments are appended.
client_cmd() {
  case "$1" in
    kafkajs) cmd=(node "$here/kafkajs/capture.mjs" --deps "$KAFKAJS_DIR") ;;
    librdkafka) cmd=("$VENV/bin/python" "$here/librdkafka/capture.py") ;;
    java) cmd=(java -cp "$JAVA_LIBS/*" "$here/java/Capture.java") ;;
    franz-go) cmd=("$FRANZ_BIN") ;;
    *) echo "run.sh: unknown client '$1'" >&2; exit 2 ;;
  esac
}

need() { command -v "$1" >/dev/null || { echo "run.sh: $1 not found ($2)" >&2; exit 1; }; }
need node "Node 20"; need java "Java 17+"; need mvn "Maven"
for c in "${client_list[@]}"; do
  case "$c" in
    kafkajs) need npm "npm" ;;
    librdkafka) need python3 "Python 3.8+ with venv" ;;
    franz-go) need go "Go" ;;
    java) ;;
    *) echo "run.sh: unknown client '$c' (kafkajs, librdkafka, java, franz-go)" >&2; exit 2 ;;
  esac
done

log "building the codec (the proxy caps Kafka's ApiVersions to its ranges)"
(cd "$root" && node_modules/.bin/tsc -b packages/codec) >&2
log "fetching Kafka jars"
"$root/scripts/kafka/fetch.sh" >/dev/null
for c in "${client_list[@]}"; do
  log "installing $c"
  "setup_$c"
done

# ---- Kafka + proxy ----
data_dir="$cache/capture-kafka"
proxy_pid=""
stop_proxy() {
  if [[ -n "$proxy_pid" ]]; then
    kill "$proxy_pid" 2>/dev/null || true
    wait "$proxy_pid" 2>/dev/null || true
    proxy_pid=""
  fi
}
cleanup() {
  stop_proxy
  "$root/scripts/kafka/stop.sh" --data-dir "$data_dir" >&2 || true
}
trap cleanup EXIT

proxy_port="$(node "$root/scripts/kafka/probe.mjs" free-ports 1)"
log "starting Kafka (proxied listener advertised at 127.0.0.1:$proxy_port)"
"$root/scripts/kafka/start.sh" --data-dir "$data_dir" --clean --proxied-listener "$proxy_port" >&2
# shellcheck disable=SC1091
source "$data_dir/kafka.env"

start_proxy() { # out-dir
  rm -rf "$1"
  mkdir -p "$1"
  node "$here/proxy.mjs" --listen "$proxy_port" --target "$KAFKA_PROXIED_TARGET" --out "$1" \
    > "$1/proxy.log" 2>&1 &
  proxy_pid=$!
  for _ in $(seq 50); do
    grep -q '^listening' "$1/proxy.log" 2>/dev/null && return 0
    kill -0 "$proxy_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$1/proxy.log" >&2
  log "proxy did not start"
  exit 1
}

run_phase() { # client phase args...
  local client="$1" phase="$2"; shift 2
  local out="$raw/$client/$phase"
  start_proxy "$out"
  local -a cmd
  client_cmd "$client"
  log "$client $phase"
  local rc=0
  timeout 120 "${cmd[@]}" --bootstrap "127.0.0.1:$proxy_port" --client-id "golden-$client" \
    --topic "golden-$client" --group "golden-$client-group" --records "$here/records.json" "$@" \
    > "$out/client.log" 2>&1 || rc=$?
  sleep 0.3 # let the last responses drain through the proxy
  stop_proxy
  if [[ $rc == 0 ]] && grep -q '^RESULT ' "$out/client.log"; then
    grep '^RESULT ' "$out/client.log" | tail -1 | cut -c8- > "$out/result.json"
    return 0
  fi
  log "$client $phase FAILED (exit $rc); last lines of $out/client.log:"
  tail -n 15 "$out/client.log" >&2
  return 1
}

summary=()
for c in "${client_list[@]}"; do
  rm -rf "${raw:?}/$c"
  "$root/scripts/kafka/tool.sh" org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP" \
    --create --topic "golden-$c" --partitions 1 --replication-factor 1 >&2
  topic_id="$("$root/scripts/kafka/tool.sh" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$KAFKA_BOOTSTRAP" --describe --topic "golden-$c" \
    | sed -n 's/.*TopicId: *\([^[:space:]]*\).*/\1/p' | head -1)"
  mkdir -p "$raw/$c"
  cat > "$raw/$c/meta.json" <<META
{"client": "$c", "topic": "golden-$c", "topicId": "$topic_id", "group": "golden-$c-group",
 "proxyPort": $proxy_port, "kafkaVersion": "4.4.0", "capturedAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
 "codecs": "${codecs[*]}"}
META
  produced=0
  for codec in "${codecs[@]}"; do
    if run_phase "$c" "produce-$codec" --phase produce --codec "$codec"; then
      produced=$((produced + 5)); summary+=("$c produce-$codec ok")
    else
      summary+=("$c produce-$codec FAILED")
    fi
  done
  if run_phase "$c" consume --phase consume --expect "$produced"; then
    summary+=("$c consume ok ($produced records)")
  else
    summary+=("$c consume FAILED")
  fi
  if [[ "$c" == java ]]; then
    # KIP-848 consumer group protocol (ConsumerGroupHeartbeat), Java client only.
    if run_phase "$c" consume-kip848 --phase consume --expect "$produced" --group-protocol consumer \
         --group "golden-$c-group-kip848"; then
      summary+=("$c consume-kip848 ok")
    else
      summary+=("$c consume-kip848 FAILED")
    fi
  fi
  # Admin APIs: create/describe-configs/delete a 3-partition topic, list and describe groups.
  if run_phase "$c" admin --phase admin --admin-topic "golden-$c-admin"; then
    summary+=("$c admin ok")
  else
    summary+=("$c admin FAILED")
  fi
  # Transactions: the same 5 records (no compression) in one committed transaction, plus the
  # offset $produced for group golden-$c-txn-group committed inside it (not franz-go: see README).
  if run_phase "$c" txn --phase txn --codec none --transactional-id "golden-$c-txn" \
       --txn-group "golden-$c-txn-group" --txn-offset "$produced"; then
    summary+=("$c txn ok")
  else
    summary+=("$c txn FAILED")
  fi
done

log "summary:"
printf '  %s\n' "${summary[@]}" >&2
if [[ $do_select == 1 ]]; then
  node "$here/select.mjs" --raw "$raw" --out "$root/packages/codec/test/fixtures" --clients "$clients"
fi
if printf '%s\n' "${summary[@]}" | grep -q FAILED; then
  log "some phases FAILED (see above)"
  exit 1
fi
log "done"
