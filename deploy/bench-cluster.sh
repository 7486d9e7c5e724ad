#!/usr/bin/env bash
# Cluster throughput on this machine: one process (`trellis train`), then a coordinator with
# 1, 2 and 3 workers over loopback, same config and seed. Prints per layout the median over
# epochs of steps/s, samples/s and MB on the wire per step, and the ratio to one process.
# Usage: bash deploy/bench-cluster.sh [CONFIG] [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${1:-configs/ml100k-sage.yaml}
EPOCHS=${2:-4}
swift build -c release >/dev/null
BIN=.build/release/trellis
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

"$BIN" train --config "$CONFIG" --epochs "$EPOCHS" > "$TMP/train.log" 2>&1
one=$(grep -o 'valid .*train [0-9.]*s' "$TMP/train.log" | grep -o 'train [0-9.]*s' | tr -dc '0-9.\n' | median)
per_epoch=$(grep -o 'sync, [0-9]* steps per epoch\|async, [0-9]* steps per epoch' "$TMP/train.log" | grep -o '[0-9]*' | head -1)
printf "%-14s %10s %12s %14s %10s\n" layout "steps/s" "samples/s" "MB/step" "vs 1 proc"
printf "%-14s %10.1f %12s %14s %10s\n" "1 process" "$(awk -v a="$per_epoch" -v b="$one" 'BEGIN{print a/b}')" "-" "0 (no wire)" "1.00x"
port=5700
for n in 1 2 3; do
  port=$((port + 1))
  "$BIN" coordinator start --config "$CONFIG" --epochs "$EPOCHS" --listen "tcp://127.0.0.1:$port" --workers "$n" > "$TMP/coord$n.log" 2>&1 &
  c=$!
  for k in $(seq 1 "$n"); do "$BIN" worker join --coordinator "tcp://127.0.0.1:$port" --name "w$k" > "$TMP/w$n-$k.log" 2>&1 & done
  wait "$c"
  lines=$(grep '^epoch ' "$TMP/coord$n.log")
  sps=$(grep -o '[0-9.]* steps/s' <<<"$lines" | tr -dc '0-9.\n' | median)
  smp=$(grep -o '[0-9.]* samples/s' <<<"$lines" | tr -dc '0-9.\n' | median)
  mb=$(awk -v s="$per_epoch" '{for(i=1;i<=NF;i++){if($i=="sent")x=$(i+1); if($i=="received")y=$(i+1)}; print (x+y)/s}' <<<"$lines" | median)
  ratio=$(grep -o 'compression [0-9.]*x' <<<"$lines" | tr -dc '0-9.\n' | median)
  printf "%-14s %10.1f %12.0f %14s %10.2fx\n" "$n worker(s)" "$sps" "$smp" "$(printf '%.2f (lz4 %sx)' "$mb" "$ratio")" "$(awk -v s="$sps" -v a="$per_epoch" -v b="$one" 'BEGIN{print s/(a/b)}')"
  wait
done
