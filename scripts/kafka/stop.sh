#!/usr/bin/env bash
# Stop a Kafka started by start.sh.
#   scripts/kafka/stop.sh --data-dir D [--clean] [--timeout SECONDS]
#   scripts/kafka/stop.sh --pid PID
# Sends SIGTERM (controlled shutdown), waits (default 60 s), then SIGKILL.
# --clean removes the data dir afterwards (always done for a temp dir that start.sh created).
set -euo pipefail
data_dir="" pid="" clean=0 timeout=60
while [[ $# -gt 0 ]]; do
  case "$1" in
    --data-dir) data_dir="$2"; shift 2 ;;
    --pid) pid="$2"; shift 2 ;;
    --clean) clean=1; shift ;;
    --timeout) timeout="$2"; shift 2 ;;
    *) echo "stop.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if [[ -z "$pid" ]]; then
  [[ -n "$data_dir" ]] || { echo "stop.sh: give --data-dir D or --pid PID" >&2; exit 2; }
  [[ -f "$data_dir/kafka.pid" ]] && pid="$(cat "$data_dir/kafka.pid")"
fi
if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$(( $(date +%s) + timeout ))
  while kill -0 "$pid" 2>/dev/null && (( $(date +%s) < deadline )); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "stop.sh: pid $pid ignored SIGTERM for ${timeout}s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  echo "stop.sh: stopped pid $pid" >&2
fi
if [[ -n "$data_dir" ]]; then
  rm -f "$data_dir/kafka.pid"
  if [[ $clean == 1 || -f "$data_dir/.start-sh-temp" ]]; then rm -rf "$data_dir"; fi
fi
exit 0
