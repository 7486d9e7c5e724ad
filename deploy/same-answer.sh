#!/usr/bin/env bash
# The same-answer promise at any size: STEPS sync steps of CONFIG (one epoch cut to STEPS with
# training.steps_per_epoch) in one process and as a coordinator with each WORKERS count, each
# writing its end-of-epoch checkpoint; prints a SHA-256 of every tensor in the checkpoint
# (tables, dense weights, optimizer state; not the metadata, which names the run and its
# processes, nor run.seconds, the wall time) per layout and whether all layouts agree. With a
# lossy cluster.value_encoding (float16, bfloat16) only the values that cross the wire are
# rounded, so a cluster cannot match one process; the layouts are then compared with the
# first cluster layout too.
# Usage: bash deploy/same-answer.sh CONFIG [STEPS] [WORKERS ...]
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${1:?usage: same-answer.sh CONFIG [STEPS] [WORKERS ...]}
STEPS=${2:-20}
shift $(( $# >= 2 ? 2 : 1 ))
LAYOUTS=("${@:-2}")
swift build -c release --product trellis >/dev/null
BIN=.build/release/trellis
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT
# One epoch of STEPS steps, whatever the config says.
sed -e '/^ *steps_per_epoch:/d' -e "s/^training:.*/&\n  steps_per_epoch: $STEPS/" "$CONFIG" > "$TMP/config.yaml"

digest() {  # checkpoint folder -> "sha256 name shape" per tensor of its newest checkpoint
  local newest
  newest=$(ls -d "$1"/*/ | sort | tail -1)
  python3 - "$newest/state.safetensors" <<'PY'
import hashlib, json, struct, sys
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
for name in sorted(k for k in header if k not in ("__metadata__", "run.seconds")):   # run.seconds: wall time
    start, end = header[name]["data_offsets"]
    print(hashlib.sha256(raw[8 + n + start:8 + n + end]).hexdigest()[:16], name, header[name]["shape"])
PY
}

"$BIN" train --config "$TMP/config.yaml" --epochs 1 --checkpoint-dir "$TMP/one" > "$TMP/one.log" 2>&1
digest "$TMP/one" > "$TMP/one.sha"
echo "1 process:"; sed 's/^/  /' "$TMP/one.sha"
same=true
port=5900
for n in "${LAYOUTS[@]}"; do
  port=$((port + 1))
  "$BIN" coordinator start --config "$TMP/config.yaml" --epochs 1 --listen "tcp://127.0.0.1:$port" --workers "$n" \
    --checkpoint-dir "$TMP/c$n" > "$TMP/c$n.log" 2>&1 &
  c=$!
  for k in $(seq 1 "$n"); do "$BIN" worker join --coordinator "tcp://127.0.0.1:$port" --name "w$k" > "$TMP/c$n-w$k.log" 2>&1 & done
  wait "$c"
  wait
  digest "$TMP/c$n" > "$TMP/c$n.sha"
  first=${first:-$n}
  if cmp -s "$TMP/one.sha" "$TMP/c$n.sha"; then
    echo "coordinator + $n workers: identical to 1 process"
  elif cmp -s "$TMP/c$first.sha" "$TMP/c$n.sha"; then
    same=false
    echo "coordinator + $n workers: identical to coordinator + $first workers, not to 1 process"
  else
    same=false
    echo "coordinator + $n workers: DIFFERENT"; diff "$TMP/one.sha" "$TMP/c$n.sha" | sed 's/^/  /' | head -20 || true
  fi
done
$same && echo "all layouts: the same checkpoint, bit for bit" || { echo "layouts differ"; exit 1; }
