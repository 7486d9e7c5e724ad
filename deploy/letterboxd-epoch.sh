#!/usr/bin/env bash
# Issue 10's headline run: one epoch of seed 004's model (configs/letterboxd-gatv2.yaml) on the
# synthetic Letterboxd graph, in one process (`trellis train`) and as a coordinator with N
# `worker join` processes on this machine (default 2; pass more counts to run more layouts),
# the tables on S `server start` processes (--servers S, default 2; 0 keeps them on the
# coordinator). Writes data/letterboxd and its prepared folder first if they are missing
# (--scale F for a smaller graph; --steps K cuts the epoch to K steps; --partitions P
# overrides cluster.partitions, for the memory table of 1, 2 and 4 partitions, and
# --partitioner M cluster.partitioner; --partitioned
# writes the partitions once with `trellis data partition` and starts the coordinator with
# --partitioned, so it never loads the graph). Prints per layout:
# seconds of the epoch's training, rated edges trained per second, its ratio to the one
# process, validation RMSE after the epoch (with the global-mean and planted noise-floor RMSE
# of synth.json beside it) and the peak RSS of every process. --repeat R runs the whole
# comparison R times and ends with each layout's median seconds and median ratio. The logs go
# to $LOGS (runs/letterboxd-epoch).
# Usage: bash deploy/letterboxd-epoch.sh [--scale F] [--steps K] [--servers S] [--repeat R] [--partitions P] [--partitioner M] [--partitioned] [WORKERS ...]
set -euo pipefail
cd "$(dirname "$0")/.."
TMP=$(mktemp -d)
TMP_PARTS=$TMP/parts
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT
SCALE=1 STEPS="" SERVERS=2 REPEAT=1 PARTITIONS="" PARTITIONER="" PARTITIONED=()
while [[ ${1:-} == --* ]]; do
  case $1 in
    --partitioned) PARTITIONED=(--partitioned "$TMP_PARTS"); shift; continue ;;
    --scale) SCALE=$2 ;;
    --steps) STEPS=$2 ;;
    --servers) SERVERS=$2 ;;
    --repeat) REPEAT=$2 ;;
    --partitions) PARTITIONS=$2 ;;
    --partitioner) PARTITIONER=$2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
LAYOUTS=("${@:-2}")
swift build -c release --product trellis >/dev/null
BIN=.build/release/trellis
DATA=data/letterboxd
[[ $SCALE == 1 ]] || DATA=data/letterboxd-$SCALE
LOGS=${LOGS:-runs/letterboxd-epoch}   # every process's log is copied here at the end
mkdir -p "$LOGS"

[[ -f $DATA/letterboxd.inter ]] || "$BIN" data synth letterboxd --out "$DATA" --scale "$SCALE"
sed "s#path: data/letterboxd/letterboxd.inter#path: $DATA/letterboxd.inter#" configs/letterboxd-gatv2.yaml > "$TMP/text.yaml"
[[ -f $DATA-prepared/manifest.json ]] || "$BIN" data prepare --config "$TMP/text.yaml" --out "$DATA-prepared" >/dev/null
CONFIG=$TMP/letterboxd.yaml
sed "s#  path: .*letterboxd.inter#  format: prepared\n  path: $DATA-prepared#" "$TMP/text.yaml" > "$CONFIG"
if [[ -n $PARTITIONS ]]; then sed -i "s/^  partitions: .*/  partitions: $PARTITIONS/" "$CONFIG"; fi
if [[ -n $PARTITIONER ]]; then sed -i -e '/^  partitioner:/d' -e "s/^cluster:.*/&\n  partitioner: $PARTITIONER/" "$CONFIG"; fi
if [[ -n $STEPS ]]; then sed -i -e '/^ *steps_per_epoch:/d' -e "s/^training:.*/&\n  steps_per_epoch: $STEPS/" "$CONFIG"; fi

train_edges=$(python3 -c "import json; print(json.load(open('$DATA-prepared/manifest.json'))['rows']['train'])")
if [[ -n $STEPS ]]; then  # a global step trains training.batch_size rated edges (all partitions together)
  train_edges=$((STEPS * $(grep -o '^  batch_size: [0-9]*' "$CONFIG" | grep -o '[0-9]*$')))
fi
mb() { awk '{printf "%.0f", $1 / 1e6}'; }
logged_peak() { grep -o 'peak memory [0-9.]* MB' "$1" | tr -dc '0-9.' | awk '{printf "%.0f", $1}'; }  # a server's or worker's log
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
row() {  # layout seconds ratio rmse peaks
  printf "%-36s %9.1f %14.0f %7s %11s  %s\n" "$1" "$2" "$(awk -v n="$train_edges" -v s="$2" 'BEGIN{print n/s}')" "$3" "$4" "$5"
}
if (( ${#PARTITIONED[@]} )); then
  "$BIN" data partition --config "$CONFIG" --out "$TMP_PARTS" > "$TMP/partition.log" 2>&1
  echo "data partition: $(tail -2 "$TMP/partition.log" | head -1)"
fi
declare -A times ratios
port=5800
printf "%-36s %9s %14s %7s %11s  %s\n" layout "epoch s" "rated edges/s" "ratio" "valid RMSE" "peak RSS per process (MB)"
for run in $(seq 1 "$REPEAT"); do
  # One process.
  "$BIN" train --config "$CONFIG" --epochs 1 --output "$TMP/one" > "$TMP/one.log" 2>&1
  one=$(grep -o 'train [0-9.]*s' "$TMP/one.log" | head -1 | tr -dc '0-9.')
  rmse=$(grep -o 'valid  rmse [0-9.]*' "$TMP/one.log" | head -1 | awk '{print $3}')
  peak=$(python3 -c "import json; print(json.load(open('$TMP/one/results.json'))['peak_memory_bytes'])" | mb)
  row "1 process ($(grep -o '^  partitions: [0-9]*' "$CONFIG" | grep -o '[0-9]*$') partitions)" "$one" 1.00 "$rmse" "$peak"
  times[one]+="$one "
  for n in "${LAYOUTS[@]}"; do
    port=$((port + 1 + SERVERS))
    name="c$n-r$run"
    "$BIN" coordinator start --config "$CONFIG" --epochs 1 --listen "tcp://127.0.0.1:$port" --workers "$n" \
      --servers "$SERVERS" --output "$TMP/$name" "${PARTITIONED[@]}" > "$TMP/$name.log" 2>&1 &
    c=$!
    for k in $(seq 1 "$SERVERS"); do
      "$BIN" server start --coordinator "tcp://127.0.0.1:$port" --listen "tcp://127.0.0.1:$((port + k))" > "$TMP/$name-s$k.log" 2>&1 &
    done
    for k in $(seq 1 "$n"); do "$BIN" worker join --coordinator "tcp://127.0.0.1:$port" --name "w$k" > "$TMP/$name-w$k.log" 2>&1 & done
    wait "$c" || { echo "coordinator failed: $(tail -3 "$TMP/$name.log")" >&2; exit 1; }
    wait
    # "epoch 1  loss L  S s  ...  valid rmse R"
    seconds=$(grep '^epoch ' "$TMP/$name.log" | head -1 | awk '{print $5}')
    rmse=$(grep -o 'valid rmse [0-9.]*' "$TMP/$name.log" | head -1 | awk '{print $3}')
    peaks="coordinator $(python3 -c "import json; print(json.load(open('$TMP/$name/results.json'))['peak_memory_bytes'])" | mb)"
    for k in $(seq 1 "$SERVERS"); do
      peaks="$peaks, s$k $(logged_peak "$TMP/$name-s$k.log")"
    done
    for k in $(seq 1 "$n"); do
      peaks="$peaks, w$k $(logged_peak "$TMP/$name-w$k.log")"
    done
    ratio=$(awk -v a="$one" -v b="$seconds" 'BEGIN{printf "%.2f", a / b}')
    row "coordinator + $SERVERS servers + $n workers" "$seconds" "$ratio" "$rmse" "$peaks"
    times[$n]+="$seconds "
    ratios[$n]+="$ratio "
  done
done
if (( REPEAT > 1 )); then
  echo "medians of $REPEAT invocations: 1 process $(tr ' ' '\n' <<<"${times[one]}" | grep . | median) s"
  for n in "${LAYOUTS[@]}"; do
    echo "  $SERVERS servers + $n workers: $(tr ' ' '\n' <<<"${times[$n]}" | grep . | median) s, ratio $(tr ' ' '\n' <<<"${ratios[$n]}" | grep . | median)x"
  done
fi
python3 -c "import json; d=json.load(open('$DATA/synth.json')); print('synth.json: global mean RMSE %.4f, noise floor RMSE %.4f' % (d['global_mean_rmse'], d['floor_rmse']))"
cp "$TMP"/*.log "$LOGS"/ && echo "logs: $LOGS"
