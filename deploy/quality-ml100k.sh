#!/usr/bin/env bash
# Trains the shipped MovieLens-100K configs once per seed and prints each run's test metrics and
# their mean and standard deviation. The seed also draws the 8:1:1 split, so seeds differ in
# data as well as initialisation.   Usage: [MODELS="lightgcn bpr sage"] bash deploy/quality-ml100k.sh [SEED ...]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=("$@"); [ ${#seeds[@]} -gt 0 ] || seeds=(2020 1 2 3 4)
swift build -c release --product trellis >/dev/null
models=(${MODELS:-lightgcn bpr sage})
for model in "${models[@]}"; do
  for seed in "${seeds[@]}"; do
    .build/release/trellis train --config "configs/ml100k-$model.yaml" --seed "$seed" \
      --output "runs/quality/$model-$seed" > "runs/quality-$model-$seed.log" 2>&1 \
      || { echo "run $model seed $seed failed: see runs/quality-$model-$seed.log" >&2; exit 1; }
  done
done
MODELS="${models[*]}" python3 - "${seeds[@]}" <<'PY'
import json, os, statistics, sys
seeds = sys.argv[1:]
keys = ["ndcg@10", "recall@10", "hit@10", "precision@10", "mrr@10", "coverage@10"]
for model in os.environ["MODELS"].split():
    rows = [json.load(open(f"runs/quality/{model}-{s}/results.json")) for s in seeds]
    print(f"\n{model}: test metrics per seed (best epoch / epochs trained, s per epoch)")
    print("  seed   " + "  ".join(f"{k:>12}" for k in keys))
    for s, r in zip(seeds, rows):
        print(f"  {s:>5}  " + "  ".join(f"{r['test'][k]:12.4f}" for k in keys)
              + f"   ({r['best_epoch']}/{r['epochs']}, {r['median_seconds_per_epoch']:.3f} s)")
    means = [statistics.mean(r["test"][k] for r in rows) for k in keys]
    sds = [statistics.stdev(r["test"][k] for r in rows) if len(rows) > 1 else 0 for k in keys]
    print("  mean   " + "  ".join(f"{m:12.4f}" for m in means))
    print("  sd     " + "  ".join(f"{d:12.4f}" for d in sds))
PY
