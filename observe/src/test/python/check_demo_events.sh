#!/usr/bin/env bash
# Acceptance check of issue 11 by hand (not part of make test: it runs the whole demo): a vLLM-format
# subscriber (kv_events_subscriber.py under .venv) connects to 127.0.0.1:5557 before the demo starts, asks the
# replay socket for what it missed once it sees its first live batch, and reads live batches to the demo's
# last sequence number; meanwhile /metrics is fetched while the demo runs. Prints the subscriber's verdict
# (sequence numbers contiguous, replay contiguous from 0, every batch decoded by msgpack and msgspec), how many
# stored blocks carried token_ids, and the metrics sample.
#
#   make build MVN="mvn -Dmaven.repo.local=..."; bash deps/20-python-venv.sh
#   [LATE=BATCHES] bash observe/src/test/python/check_demo_events.sh [extra demo args, e.g. -n 4000]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd -P)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkfifo "$work/ctl"
start_subscriber() {
  "$root/.venv/bin/python" "$root/observe/src/test/python/kv_events_subscriber.py" --endpoint tcp://127.0.0.1:5557 \
    --replay tcp://127.0.0.1:5558 --encoding array --hash uint64 <"$work/ctl" >"$work/sub.out" 2>&1 &
  sub=$!
  exec 3>"$work/ctl"
}
start_demo() {
  "$root/bin/kvbm4j" demo --set kv-events.endpoint='tcp://*:5557' \
    --set kv-events.replay-endpoint=tcp://127.0.0.1:5558 --set metrics.port=9464 --no-report "$@" \
    >"$work/demo.out" 2>&1 &
  demo=$!
}
# LATE=N: the subscriber joins once the demo has published N batches (what it missed comes by replay)
if [ -n "${LATE:-}" ]; then
  start_demo "$@"
  until [ "$(curl -sf http://127.0.0.1:9464/metrics 2>/dev/null |
      sed -n 's/^kvbm4j_kv_event_batches_total \([0-9]*\).*/\1/p')" -ge "$LATE" ] 2>/dev/null; do
    kill -0 "$demo" 2>/dev/null || break
    sleep 0.2
  done
  start_subscriber
else
  start_subscriber; sleep 2; start_demo "$@"
fi
scrapes=0
while kill -0 "$demo" 2>/dev/null; do
  if curl -sf http://127.0.0.1:9464/metrics >"$work/metrics.txt" 2>/dev/null; then
    scrapes=$((scrapes + 1)); cp "$work/metrics.txt" "$work/metrics.last"
  fi
  sleep 1
done
wait "$demo" || { echo "demo failed:"; cat "$work/demo.out"; exit 1; }
last=$(sed -n 's/.*(seq 0\.\.\([0-9]*\)).*/\1/p' "$work/demo.out")
echo "END $last" >&3
exec 3>&-
wait "$sub" || true
grep -E "KV events|metrics|hit rate|miss-ratio" "$work/demo.out" || true
echo "subscriber: $(tail -1 "$work/sub.out")"
echo "stored blocks with token_ids: $(awk '$1 == "B" && $3 == "Stored" && $7 > 0' "$work/sub.out" | wc -l)," \
  "without: $(awk '$1 == "B" && $3 == "Stored" && $7 == 0' "$work/sub.out" | wc -l)"
echo "/metrics fetched $scrapes times while the demo ran; last sample:"
grep -E '^kvbm4j_(kv_event_batches_total|kv_event_token_blocks_total|kv_event_tokens_lost_blocks_total|lookup_blocks_total)' \
  "$work/metrics.last" 2>/dev/null || echo "  (none fetched)"
tail -1 "$work/sub.out" | grep -q '^OK ' || { echo "FAILED"; tail -5 "$work/sub.out"; exit 1; }
