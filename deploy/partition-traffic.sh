#!/usr/bin/env bash
# Issue 10's partitioner table, measured in a real run: for each partitioner (hash, greedy,
# metis) and partition count P (2, 4, 8), a coordinator (hosting the tables) and P `worker join`
# processes train K steps (--steps, default 20) of configs/letterboxd-gatv2.yaml on the
# synthetic Letterboxd graph, one partition per worker, so every neighbour sample of another
# partition's node crosses the wire. Prints the partitioning's time, edge cut, balance and
# largest halo (as the coordinator logged them) and, per training step, the remote sampling
# requests, nodes asked, edges drawn and payload MB the coordinator routed (its epoch line:
# 4 bytes per id, count and attribute value; each byte crosses its socket twice). Writes
# data/letterboxd and its prepared folder first if missing (--scale F for a smaller graph).
# Usage: bash deploy/partition-traffic.sh [--scale F] [--steps K] [--parts "2 4 8"] [--methods "hash greedy metis"]
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=1 STEPS=20 PARTS="2 4 8" METHODS="hash greedy metis"
while [[ ${1:-} == --* ]]; do
  case $1 in
    --scale) SCALE=$2 ;;
    --steps) STEPS=$2 ;;
    --parts) PARTS=$2 ;;
    --methods) METHODS=$2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
swift build -c release --product trellis >/dev/null
BIN=.build/release/trellis
DATA=data/letterboxd
[[ $SCALE == 1 ]] || DATA=data/letterboxd-$SCALE
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT
LOGS=${LOGS:-runs/partition-traffic}   # every process's log is copied here at the end
mkdir -p "$LOGS"

[[ -f $DATA/letterboxd.inter ]] || "$BIN" data synth letterboxd --out "$DATA" --scale "$SCALE"
sed "s#path: data/letterboxd/letterboxd.inter#path: $DATA/letterboxd.inter#" configs/letterboxd-gatv2.yaml > "$TMP/text.yaml"
[[ -f $DATA-prepared/manifest.json ]] || "$BIN" data prepare --config "$TMP/text.yaml" --out "$DATA-prepared" >/dev/null
sed -e "s#  path: .*letterboxd.inter#  format: prepared\n  path: $DATA-prepared#" \
    -e '/^ *steps_per_epoch:/d' -e "s/^training:.*/&\n  steps_per_epoch: $STEPS/" "$TMP/text.yaml" > "$TMP/base.yaml"

printf "%-7s %5s %8s %8s %12s %9s %9s | %9s %10s %11s %10s\n" method parts "part s" "cut" "node bal" "edge bal" "halo max" \
  "req/step" "nodes/step" "edges/step" "MB/step"
per_step() { awk -v v="$1" -v k="$STEPS" 'BEGIN{print v / k}'; }
port=5900
for p in $PARTS; do
  for method in $METHODS; do
    port=$((port + 1))
    name="$method-$p"
    config=$TMP/$name.yaml
    sed -e "s/^  partitions: .*/  partitions: $p\n  partitioner: $method/" "$TMP/base.yaml" > "$config"
    "$BIN" coordinator start --config "$config" --listen "tcp://127.0.0.1:$port" --workers "$p" > "$TMP/$name.log" 2>&1 &
    c=$!
    for k in $(seq 1 "$p"); do "$BIN" worker join --coordinator "tcp://127.0.0.1:$port" --name "w$k" > "$TMP/$name-w$k.log" 2>&1 & done
    wait "$c" || { echo "coordinator failed: $(tail -3 "$TMP/$name.log")" >&2; exit 1; }
    wait
    # "partitioning greedy into 2 in 3.1 s: edge cut 48.2%, node balance 1.000/1.000, edge balance 1.420, largest halo 80123 nodes"
    part=$(grep -m1 '^partitioning ' "$TMP/$name.log")
    seconds=$(grep -o ' in [0-9.]* s:' <<< "$part" | tr -dc '0-9.')
    cut=$(grep -o 'edge cut [0-9.]*%' <<< "$part" | awk '{print $3}')
    nodes=$(grep -o 'node balance [0-9./]*' <<< "$part" | awk '{print $3}')
    edges=$(grep -o 'edge balance [0-9.]*' <<< "$part" | awk '{print $3}')
    halo=$(grep -o 'largest halo [0-9]*' <<< "$part" | awk '{print $3}')
    # "... remote sampling: R requests, N nodes, E edges, B MB"
    read -r req nod edg mb < <(grep -m1 -o 'remote sampling: [0-9]* requests, [0-9]* nodes, [0-9]* edges, [0-9.]* MB' "$TMP/$name.log" \
      | tr -dc '0-9. ' | awk '{print $1, $2, $3, $4}')
    printf "%-7s %5d %8s %8s %12s %9s %9s | %9.1f %10.0f %11.0f %10.2f\n" "$method" "$p" "$seconds" "$cut" "$nodes" "$edges" "$halo" \
      "$(per_step "$req")" "$(per_step "$nod")" "$(per_step "$edg")" "$(per_step "$mb")"
  done
done
cp "$TMP"/*.log "$LOGS"/
