#!/usr/bin/env python3
"""A graph 10x MovieLens-100K, for memory measurements as the graph grows.

Ten copies of ml-100k.inter (users and items renumbered per copy), with 20% of each copy's
interactions moved to the same item of another copy, so the copies form one connected graph
with ML-100K's degree distribution: 9,430 users, 16,820 items, 1,000,000 interactions.
Deterministic (seed 10). Usage: deploy/synthetic-x10.py [DATA_DIR] (default: data)
"""
import os
import random
import sys

data = sys.argv[1] if len(sys.argv) > 1 else "data"
source = os.path.join(data, "ml-100k", "ml-100k.inter")
target_dir = os.path.join(data, "synthetic-x10")
os.makedirs(target_dir, exist_ok=True)
rows = [line.rstrip("\n").split("\t") for line in open(source, encoding="utf-8")][1:]
rng = random.Random(10)
out_path = os.path.join(target_dir, "synthetic-x10.inter")
with open(out_path + ".partial", "w", encoding="utf-8") as out:
    out.write("user_id:token\titem_id:token\trating:float\ttimestamp:float\n")
    for copy in range(10):
        for user, item, rating, timestamp in rows:
            other = rng.randrange(10) if rng.random() < 0.2 else copy
            out.write(f"{copy}-{user}\t{other}-{item}\t{rating}\t{timestamp}\n")
os.replace(out_path + ".partial", out_path)
print(f"wrote {out_path}: {10 * len(rows)} interactions")
