#!/usr/bin/env bash
# Issue 10's headline run: one epoch of seed 004's model (configs/letterboxd-gatv2.yaml) on the
# synthetic Letterboxd graph, in one process (`trellis train`) and as a coordinator with N
# `worker join` processes on this machine (default 2; pass more counts to run more layouts).
# Writes data/letterboxd and its prepared folder first if they are missing (--scale F for a
# smaller graph). Prints per layout: seconds of the epoch's training, rated edges trained per
# second, validation RMSE after the epoch (with the global-mean and planted noise-floor RMSE of
# synth.json beside it) and the peak RSS of every process; the logs go to $LOGS
# (runs/letterboxd-epoch).
# Usage: bash deploy/letterboxd-epoch.sh [--scale F] [WORKERS ...]
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=1
if [[ ${1:-} == --scale ]]; then SCALE=$2; shift 2; fi
LAYOUTS=("${@:-2}")
swift build -c release --product trellis >/dev/null
BIN=.build/release/trellis
DATA=data/letterboxd
[[ $SCALE == 1 ]] || DATA=data/letterboxd-$SCALE
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT
LOGS=${LOGS:-runs/letterboxd-epoch}   # every process's log is copied here at the end
mkdir -p "$LOGS"

[[ -f $DATA/letterboxd.inter ]] || "$BIN" data synth letterboxd --out "$DATA" --scale "$SCALE"
sed "s#path: data/letterboxd/letterboxd.inter#path: $DATA/letterboxd.inter#" configs/letterboxd-gatv2.yaml > "$TMP/text.yaml"
[[ -f $DATA-prepared/manifest.json ]] || "$BIN" data prepare --config "$TMP/text.yaml" --out "$DATA-prepared" >/dev/null
CONFIG=$TMP/letterboxd.yaml
sed "s#  path: .*letterboxd.inter#  format: prepared\n  path: $DATA-prepared#" "$TMP/text.yaml" > "$CONFIG"

train_edges=$(python3 -c "import json; print(json.load(open('$DATA-prepared/manifest.json'))['rows']['train'])")
mb() { awk '{printf "%.0f", $1 / 1e6}'; }

printf "%-28s %9s %14s %11s  %s\n" layout "epoch s" "rated edges/s" "valid RMSE" "peak RSS per process (MB)"
# One process.
"$BIN" train --config "$CONFIG" --epochs 1 --output "$TMP/one" > "$TMP/one.log" 2>&1
seconds=$(grep -o 'train [0-9.]*s' "$TMP/one.log" | head -1 | tr -dc '0-9.')
rmse=$(grep -o 'valid  rmse [0-9.]*' "$TMP/one.log" | head -1 | awk '{print $3}')
peak=$(python3 -c "import json; print(json.load(open('$TMP/one/results.json'))['peak_memory_bytes'])" | mb)
printf "%-28s %9.1f %14.0f %11s  %s\n" "1 process (2 partitions)" "$seconds" "$(awk -v n="$train_edges" -v s="$seconds" 'BEGIN{print n/s}')" "$rmse" "$peak"

port=5800
for n in "${LAYOUTS[@]}"; do
  port=$((port + 1))
  "$BIN" coordinator start --config "$CONFIG" --epochs 1 --listen "tcp://127.0.0.1:$port" --workers "$n" \
    --output "$TMP/c$n" > "$TMP/c$n.log" 2>&1 &
  c=$!
  for k in $(seq 1 "$n"); do "$BIN" worker join --coordinator "tcp://127.0.0.1:$port" --name "w$k" > "$TMP/c$n-w$k.log" 2>&1 & done
  wait "$c"
  wait
  # "epoch 1  loss L  S s  ...  valid rmse R"
  seconds=$(grep '^epoch ' "$TMP/c$n.log" | head -1 | awk '{print $5}')
  rmse=$(grep -o 'valid rmse [0-9.]*' "$TMP/c$n.log" | head -1 | awk '{print $3}')
  peaks="coordinator $(python3 -c "import json; print(json.load(open('$TMP/c$n/results.json'))['peak_memory_bytes'])" | mb)"
  for k in $(seq 1 "$n"); do
    peaks="$peaks, w$k $(grep -o 'peak memory [0-9.]* MB' "$TMP/c$n-w$k.log" | tr -dc '0-9.' | awk '{printf "%.0f", $1}')"
  done
  printf "%-28s %9.1f %14.0f %11s  %s\n" "coordinator + $n workers" "$seconds" "$(awk -v n="$train_edges" -v s="$seconds" 'BEGIN{print n/s}')" "$rmse" "$peaks"
done
python3 -c "import json; d=json.load(open('$DATA/synth.json')); print('synth.json: global mean RMSE %.4f, noise floor RMSE %.4f' % (d['global_mean_rmse'], d['floor_rmse']))"
cp "$TMP"/*.log "$LOGS"/ && echo "logs: $LOGS"
