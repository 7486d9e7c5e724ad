#!/usr/bin/env bash
# What narrower wire values cost and save: STEPS sync steps of CONFIG (one epoch cut to STEPS)
# on a coordinator with 2 workers, once per cluster.value_encoding (float32, float16,
# bfloat16), printing the MB per step on the coordinator's link (frames both ways: pulled rows
# and dense weights, pushed gradients, sampling requests), the payload compression and the
# validation metric after the steps.
# Usage: bash deploy/wire-encodings.sh CONFIG [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${1:?usage: wire-encodings.sh CONFIG [STEPS]}
STEPS=${2:-200}
swift build -c release --product trellis >/dev/null
BIN=.build/release/trellis
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT
printf "%-10s %14s %12s  %s\n" encoding "MB per step" compression "validation"
port=5950
for enc in float32 float16 bfloat16; do
  port=$((port + 1))
  sed -e '/^ *steps_per_epoch:/d' -e '/^ *value_encoding:/d' -e "s/^training:.*/&\n  steps_per_epoch: $STEPS/" \
      -e "s/^cluster:.*/&\n  value_encoding: $enc/" "$CONFIG" > "$TMP/$enc.yaml"
  "$BIN" coordinator start --config "$TMP/$enc.yaml" --epochs 1 --listen "tcp://127.0.0.1:$port" --workers 2 > "$TMP/$enc.log" 2>&1 &
  c=$!
  for k in 1 2; do "$BIN" worker join --coordinator "tcp://127.0.0.1:$port" --name "w$k" > "$TMP/$enc-w$k.log" 2>&1 & done
  wait "$c"
  wait
  line=$(grep '^epoch ' "$TMP/$enc.log" | head -1)
  mb=$(awk -v s="$STEPS" '{for(i=1;i<=NF;i++){if($i=="sent")x=$(i+1); if($i=="received")y=$(i+1)}; printf "%.1f", (x+y)/s}' <<<"$line")
  ratio=$(grep -o 'compression [0-9.]*x\|compression n/a' <<<"$line" | cut -d' ' -f2)
  printf "%-10s %14s %12s  %s\n" "$enc" "$mb" "$ratio" "$(grep -o 'valid [a-z@0-9]* [0-9.]*' <<<"$line")"
done
