#!/usr/bin/env bash
# Start a single-node KRaft Apache Kafka (broker+controller) from the Maven Central jars.
#
#   scripts/kafka/start.sh [--port N] [--data-dir D] [--advertised HOST:PORT]
#                          [--controller-port C] [--config k=v ...] [--timeout SECONDS]
#                          [--proxied-listener P] [--clean]
#
# Defaults: a free port, a fresh temp data dir, advertised = 127.0.0.1:PORT, timeout 120 s.
# Returns once the broker answers ApiVersions on its listener, printing one line on stdout:
#   ready 127.0.0.1:PORT
# Files in the data dir: server.properties, kafka.log (all broker output), kafka.pid,
# kafka.env (KAFKA_BOOTSTRAP, KAFKA_PID, KAFKA_DATA_DIR, KAFKA_LOG, ...), kafka-logs/ (log.dirs).
# --proxied-listener P adds a second listener PROXIED on another free port Q that advertises
# 127.0.0.1:P, for a capturing proxy on P forwarding to Q (kafka.env: KAFKA_PROXIED_TARGET=127.0.0.1:Q).
# Clients of the main listener keep talking to Kafka directly; clients of the proxy stay on it.
# A data dir that is already formatted is reused (warm restart); --clean wipes it first.
# A data dir that start.sh created itself (no --data-dir) is deleted by stop.sh.
# Stop with scripts/kafka/stop.sh --data-dir D (or kill the pid in D/kafka.pid).
# Env: KAFKA_HEAP_OPTS (default -Xms256m -Xmx1g), KAFKA_JVM_OPTS (appended), JAVA (default java).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

die() { echo "start.sh: $*" >&2; exit 1; }

port="" data_dir="" advertised="" controller_port="" timeout=120 clean=0 proxied=""
extra=()
while [[ $# -gt 0 ]]; do
  [[ $# -ge 2 || "$1" == --clean || "$1" == -h || "$1" == --help ]] || die "$1 needs a value"
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --data-dir) data_dir="$2"; shift 2 ;;
    --advertised) advertised="$2"; shift 2 ;;
    --controller-port) controller_port="$2"; shift 2 ;;
    --config) [[ "$2" == *=* ]] || die "--config expects k=v, got '$2'"; extra+=("$2"); shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --proxied-listener) proxied="$2"; shift 2 ;;
    --clean) clean=1; shift ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ "$port" == 0 ]] && port=""

java_bin="${JAVA:-java}"
command -v "$java_bin" >/dev/null || die "java not found (Java 17+ required)"
command -v node >/dev/null || die "node not found (used for port probing)"
libs="$("$here/fetch.sh")" || die "could not fetch the Kafka jars"

if [[ -z "$data_dir" ]]; then
  data_dir="$(mktemp -d "${TMPDIR:-/tmp}/odradek-kafka.XXXXXX")"
  touch "$data_dir/.start-sh-temp" # stop.sh removes such dirs
fi
mkdir -p "$data_dir"
data_dir="$(cd "$data_dir" && pwd)"
pid_file="$data_dir/kafka.pid"
if [[ -f "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  die "a Kafka started from $data_dir is still running (pid $(cat "$pid_file")); stop.sh --data-dir $data_dir"
fi
if [[ $clean == 1 ]]; then
  rm -rf "$data_dir/kafka-logs" "$data_dir/server.properties" "$data_dir/kafka.log" \
    "$data_dir/kafka.env" "$data_dir/format.log"
fi
log_dirs="$data_dir/kafka-logs"
# --config log.dirs=A,B (several log dirs): the first one tells whether the storage is formatted.
for kv in "${extra[@]}"; do [[ "$kv" == log.dirs=* ]] && log_dirs="${kv#log.dirs=}" && log_dirs="${log_dirs%%,*}"; done
props="$data_dir/server.properties"
log="$data_dir/kafka.log"

heap="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
# shellcheck disable=SC2206
jvm=($heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
     "-Dlog4j2.configurationFile=$here/log4j2.properties" "-Dkafka.logs.dir=$data_dir"
     ${KAFKA_JVM_OPTS:-})

write_props() {
  local listeners="PLAINTEXT://127.0.0.1:$kport,CONTROLLER://127.0.0.1:$cport"
  local advertised_listeners="PLAINTEXT://${advertised:-127.0.0.1:$kport}"
  local protocol_map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if [[ -n "$proxied" ]]; then
    listeners+=",PROXIED://127.0.0.1:$pport"
    advertised_listeners+=",PROXIED://127.0.0.1:$proxied"
    protocol_map+=",PROXIED:PLAINTEXT"
  fi
  cat > "$props" <<PROPS
# Written by scripts/kafka/start.sh: single-node KRaft, broker and controller in one JVM.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=$listeners
advertised.listeners=$advertised_listeners
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocol_map
log.dirs=$log_dirs
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
  local kv key
  for kv in "${extra[@]}"; do
    key="${kv%%=*}"
    # a later --config replaces any default line for the same key
    grep -v "^${key//./\\.}=" "$props" > "$props.tmp" || true
    mv "$props.tmp" "$props"
    echo "$kv" >> "$props"
  done
}

# One launch: returns 0 when ready, 1 on failure, 2 when a port was taken meanwhile.
launch() {
  if [[ ! -f "$log_dirs/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(node "$here/probe.mjs" uuid)"
    if ! "$java_bin" "${jvm[@]}" -cp "$libs/*" kafka.tools.StorageTool format \
          -t "$cluster_id" -c "$props" > "$data_dir/format.log" 2>&1; then
      cat "$data_dir/format.log" >&2
      die "formatting $log_dirs failed"
    fi
  fi
  : > "$log"
  rm -f "$pid_file"
  # setsid: the broker gets its own session, so it outlives this script and its caller's job control.
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$pid_file" \
    "$java_bin" "${jvm[@]}" -cp "$libs/*" kafka.Kafka "$props" >> "$log" 2>&1 < /dev/null &
  for _ in $(seq 50); do [[ -s "$pid_file" ]] && break; sleep 0.1; done
  pid="$(cat "$pid_file")"
  local deadline=$(( $(date +%s) + timeout ))
  until node "$here/probe.mjs" api-versions "127.0.0.1:$kport"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      grep -q 'Address already in use' "$log" && return 2
      why="Kafka exited during startup"; return 1
    fi
    if (( $(date +%s) >= deadline )); then
      why="Kafka did not answer on 127.0.0.1:$kport within ${timeout}s"; return 1
    fi
    sleep 0.3
  done
  return 0
}

why="" pid="" kport="" cport="" pport=""
for attempt in 1 2 3; do
  # Ports: pick free ones for whatever was not given (again on each attempt).
  mapfile -t free < <(node "$here/probe.mjs" free-ports 6)
  pick() { local p; for p in "${free[@]}"; do
    [[ "$p" != "$kport" && "$p" != "$cport" && "$p" != "$pport" && "$p" != "$proxied" ]] && { echo "$p"; return; }
  done; }
  kport="" cport="" pport=""
  kport="${port:-$(pick)}"
  cport="${controller_port:-$(pick)}"
  [[ -z "$proxied" ]] || pport="$(pick)"
  if node "$here/probe.mjs" api-versions "127.0.0.1:$kport" 2>/dev/null; then
    die "port $kport already answers Kafka requests (another broker running?)"
  fi
  write_props
  rc=0; launch || rc=$?
  [[ $rc == 0 ]] && break
  kill "$pid" 2>/dev/null || true
  if [[ $rc == 2 && -z "$port" && -z "$controller_port" && $attempt -lt 3 ]]; then
    echo "start.sh: a port was taken meanwhile; retrying with new ports" >&2
    continue
  fi
  [[ $rc == 2 ]] && why="a listener port is already in use"
  echo "start.sh: $why. Errors in $log:" >&2
  grep -E '^\[[^]]*\] (ERROR|FATAL) ' "$log" | tail -n 8 | cut -c1-400 >&2 || true
  echo "start.sh: last lines of $log:" >&2
  tail -n 15 "$log" | cut -c1-400 >&2 || true
  echo "start.sh: FAILED: $why" >&2
  exit 1
done

cat > "$data_dir/kafka.env" <<ENV
KAFKA_BOOTSTRAP=127.0.0.1:$kport
KAFKA_ADVERTISED=${advertised:-127.0.0.1:$kport}
KAFKA_CONTROLLER_PORT=$cport
KAFKA_PID=$pid
KAFKA_DATA_DIR=$data_dir
KAFKA_LOG=$log
KAFKA_LIBS=$libs
KAFKA_PROXIED_TARGET=${pport:+127.0.0.1:$pport}
KAFKA_PROXIED_ADVERTISED=${proxied:+127.0.0.1:$proxied}
ENV
echo "start.sh: Kafka pid $pid, data dir $data_dir, log $log" >&2
echo "ready 127.0.0.1:$kport"
