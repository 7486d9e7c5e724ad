#!/usr/bin/env bash
# Scaling matrix over simulated hosts (deploy/netns/hosts.sh): the coordinator on host 0, each
# `server start` and each `worker join` on a host of its own, every host's egress shaped to a
# link profile. For every (profile, servers, workers) it trains CONFIG for EPOCHS epochs and
# records steps/s, the workers' time split per step (sample, pull, compute, push, and the
# rest: waiting), and each host's bytes per step (its eth0 counters, both directions).
# Writes runs/scaling/results.csv, table.md and SVG plots, then the projection to 8, 16 and
# 64 hosts (deploy/scaling-report.py). Needs root.
#
#   [WORKERS="1 2 3 4"] [SERVERS="0 1 2"] [PROFILES="1g 10g"] bash deploy/scaling.sh [CONFIG] [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${1:-configs/ml100k-sage.yaml}
EPOCHS=${2:-2}
OUT=runs/scaling
BIN=$PWD/.build/release/trellis
swift build -c release --product trellis >/dev/null
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'for ns in $(ip netns list | awk "/^trellis-h/{print \$1}"); do ip netns pids "$ns" | xargs -r kill 2>/dev/null; done; bash deploy/netns/hosts.sh down; rm -rf "$TMP"' EXIT
export TRELLIS_TOKEN=scaling-$$

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
on() { local k=$1; shift; ip netns exec "trellis-h$k" "$@"; }

echo "profile,servers,workers,steps_per_s,steps,sample_s,pull_s,compute_s,push_s,wait_s,coordinator_bytes_per_step,server_bytes_per_step,worker_bytes_per_step" > "$OUT/results.csv"
for profile in ${PROFILES:-1g 10g}; do
  for servers in ${SERVERS:-0 1 2}; do
    for workers in ${WORKERS:-1 2 3 4}; do
      hosts=$((1 + servers + workers))
      bash deploy/netns/hosts.sh up "$hosts" "$profile" 2> "$TMP/shape.log"
      on 0 "$BIN" coordinator start --config "$CONFIG" --epochs "$EPOCHS" --listen tcp://10.77.0.1:5555 \
        --workers "$workers" --servers "$servers" > "$TMP/coordinator.log" 2>&1 &
      coordinator=$!
      for s in $(seq 1 "$servers"); do
        on "$s" "$BIN" server start --coordinator tcp://10.77.0.1:5555 --listen "tcp://10.77.0.$((s + 1)):5600" > "$TMP/s$s.log" 2>&1 &
      done
      for w in $(seq 1 "$workers"); do
        on $((servers + w)) "$BIN" worker join --coordinator tcp://10.77.0.1:5555 --name "w$w" > "$TMP/w$w.log" 2>&1 &
      done
      wait "$coordinator" || { echo "coordinator failed ($profile, $servers servers, $workers workers):" >&2; tail -20 "$TMP/coordinator.log" >&2; exit 1; }
      wait
      per_epoch=$(grep -o '[0-9]* steps per epoch' "$TMP/coordinator.log" | grep -o '^[0-9]*' | head -1)
      steps=$((per_epoch * EPOCHS))
      lines=$(grep '^epoch ' "$TMP/coordinator.log")
      sps=$(grep -o '[0-9.]* steps/s' <<<"$lines" | tr -dc '0-9.\n' | median)
      # Workers' seconds per phase, summed over the epochs, then per worker and step.
      split=$(awk -v w="$workers" -v s="$steps" '{
          for (i = 1; i <= NF; i++) { if ($i == "sample") a += $(i+1); if ($i == "pull") b += $(i+1); if ($i == "compute") c += $(i+1); if ($i == "push") d += $(i+1) }
          for (i = 1; i <= NF; i++) if ($(i+1) == "s" && $(i+3) == "steps/s") t += $i
        } END { printf "%.5f,%.5f,%.5f,%.5f,%.5f", a/w/s, b/w/s, c/w/s, d/w/s, t/s - (a+b+c+d)/w/s }' <<<"$lines")
      bytes_of() { read -r tx rx <<<"$(bash deploy/netns/hosts.sh bytes "$1")"; echo $(( (tx + rx) / steps )); }
      coordinator_bytes=$(bytes_of 0)
      server_bytes=0; for s in $(seq 1 "$servers"); do server_bytes=$(( server_bytes + $(bytes_of "$s") )); done
      worker_bytes=0; for w in $(seq 1 "$workers"); do worker_bytes=$(( worker_bytes + $(bytes_of $((servers + w))) )); done
      echo "$profile,$servers,$workers,$sps,$steps,$split,$coordinator_bytes,$(( servers > 0 ? server_bytes / servers : 0 )),$(( worker_bytes / workers ))" | tee -a "$OUT/results.csv"
      bash deploy/netns/hosts.sh down
    done
  done
done
grep -h 'not emulated' "$TMP/shape.log" | head -1 | sed 's/^[^:]*: //' > "$OUT/shaping.txt" || true
python3 deploy/scaling-report.py "$OUT"
