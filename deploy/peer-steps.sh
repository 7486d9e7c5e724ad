#!/usr/bin/env bash
# The SASRec peer setting step against step: ROUNDS rounds of `trellis bench sasrec --child
# --only peer` (one ML-100K epoch, the median step), alternating the given binaries within each
# round, so a host whose speed drifts treats them alike; prints each binary's median of its
# rounds' median steps (ms), its rounds, and the ratio to the PyTorch peer's 4.4 s epoch (38 steps).
# Usage: bash deploy/peer-steps.sh ROUNDS BINARY [BINARY ...]
#   e.g. bash deploy/peer-steps.sh 8 /tmp/old-trellis .build/release/trellis
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:?usage: peer-steps.sh ROUNDS BINARY [BINARY ...]}
shift
[ $# -ge 1 ] || { echo "usage: peer-steps.sh ROUNDS BINARY [BINARY ...]" >&2; exit 2; }
for b in "$@"; do [ -x "$b" ] || { echo "peer-steps.sh: $b is not an executable" >&2; exit 2; }; done
for _ in $(seq 1 "$ROUNDS"); do
    for b in "$@"; do
        echo "$b $("$b" bench sasrec --child --only peer | tail -1)"
    done
done | python3 -c '
import json, statistics, sys
rounds = {}
for line in sys.stdin:
    binary, figures = line.split(" ", 1)
    rounds.setdefault(binary, []).append(json.loads(figures)["seconds_per_step"] * 1000)
for binary, ms in rounds.items():
    median = statistics.median(ms)
    print(f"{binary}: median {median:.1f} ms a step, {median * 38 / 1000:.2f} s an epoch, "
          f"{4.4 / (median * 38 / 1000):.2f}x the peer; rounds {[round(x, 1) for x in ms]}")
'
