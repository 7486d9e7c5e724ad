#!/usr/bin/env bash
# Cluster throughput on this machine: one process (`trellis train`), then a coordinator with
# 1, 2 and 3 workers over loopback, then 2 workers with the tables on 2 `trellis server start`
# processes, same config and seed; one-process and 2-worker runs are repeated with
# cluster.prefetch off (the baseline for prefetching). Prints per layout the median over
# epochs of steps/s, samples/s and MB on the coordinator's wire per step, and the ratio to
# one process (with prefetch).
# Usage: bash deploy/bench-cluster.sh [CONFIG] [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${1:-configs/ml100k-sage.yaml}
EPOCHS=${2:-4}
swift build -c release >/dev/null
BIN=.build/release/trellis
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT
# The same config with prefetching off.
NOPREFETCH=$TMP/no-prefetch.yaml
sed 's/^cluster:.*/&\n  prefetch: false/' "$CONFIG" > "$NOPREFETCH"
grep -q 'prefetch: false' "$NOPREFETCH" || printf 'cluster:\n  prefetch: false\n' >> "$NOPREFETCH"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# One process: steps/s from the per-epoch train time.
one_process() {  # config -> steps/s
  "$BIN" train --config "$1" --epochs "$EPOCHS" > "$TMP/train.log" 2>&1
  local seconds per_epoch
  seconds=$(grep -o 'valid .*train [0-9.]*s' "$TMP/train.log" | grep -o 'train [0-9.]*s' | tr -dc '0-9.\n' | median)
  per_epoch=$(grep -o 'sync, [0-9]* steps per epoch\|async, [0-9]* steps per epoch' "$TMP/train.log" | grep -o '[0-9]*' | head -1)
  awk -v a="$per_epoch" -v b="$seconds" 'BEGIN{print a/b}'
}

printf "%-26s %10s %12s %20s %10s\n" layout "steps/s" "samples/s" "MB/step (coord.)" "vs 1 proc"
base=$(one_process "$CONFIG")
per_epoch=$(grep -o 'sync, [0-9]* steps per epoch\|async, [0-9]* steps per epoch' "$TMP/train.log" | grep -o '[0-9]*' | head -1)
printf "%-26s %10.1f %12s %20s %10s\n" "1 process" "$base" "-" "0 (no wire)" "1.00x"
nop=$(one_process "$NOPREFETCH")
printf "%-26s %10.1f %12s %20s %10.2fx\n" "1 process, no prefetch" "$nop" "-" "0 (no wire)" "$(awk -v s="$nop" -v b="$base" 'BEGIN{print s/b}')"

port=5700
cluster() {  # label config workers servers
  local label=$1 config=$2 n=$3 servers=$4
  port=$((port + 1))
  "$BIN" coordinator start --config "$config" --epochs "$EPOCHS" --listen "tcp://127.0.0.1:$port" --workers "$n" --servers "$servers" > "$TMP/coord.log" 2>&1 &
  local c=$!
  for k in $(seq 1 "$servers"); do
    "$BIN" server start --coordinator "tcp://127.0.0.1:$port" --listen "tcp://127.0.0.1:$((port + 100 + k))" > "$TMP/s$k.log" 2>&1 &
  done
  for k in $(seq 1 "$n"); do "$BIN" worker join --coordinator "tcp://127.0.0.1:$port" --name "w$k" > "$TMP/w$k.log" 2>&1 & done
  wait "$c"
  local lines sps smp mb ratio
  lines=$(grep '^epoch ' "$TMP/coord.log")
  sps=$(grep -o '[0-9.]* steps/s' <<<"$lines" | tr -dc '0-9.\n' | median)
  smp=$(grep -o '[0-9.]* samples/s' <<<"$lines" | tr -dc '0-9.\n' | median)
  mb=$(awk -v s="$per_epoch" '{for(i=1;i<=NF;i++){if($i=="sent")x=$(i+1); if($i=="received")y=$(i+1)}; print (x+y)/s}' <<<"$lines" | median)
  ratio=$(grep -o 'compression [0-9.]*x\|compression n/a' <<<"$lines" | head -1 | cut -d' ' -f2)
  printf "%-26s %10.1f %12.0f %20s %10.2fx\n" "$label" "$sps" "$smp" "$(printf '%.2f (lz4 %s)' "$mb" "$ratio")" "$(awk -v s="$sps" -v b="$base" 'BEGIN{print s/b}')"
  wait
}
for n in 1 2 3; do cluster "$n worker(s)" "$CONFIG" "$n" 0; done
cluster "2 workers, no prefetch" "$NOPREFETCH" 2 0
cluster "2 workers + 2 servers" "$CONFIG" 2 2
