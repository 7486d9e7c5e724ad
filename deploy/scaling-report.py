#!/usr/bin/env python3
"""Tables, SVG plots and a paper projection from deploy/scaling.sh's results.csv.

Usage: deploy/scaling-report.py runs/scaling   (writes table.md, projection.md, *.svg there)

The projection takes, per profile and server count, the measured work of one global step
(sample + compute seconds of the one-worker run, where one worker computes every partition),
the coordinator's bytes per step fitted as a + b W (it routes the sampling requests, which
grow with the workers), each server's bytes per step, and the link profile, and models a step
on N hosts (W = N - 1 - servers workers, with cluster.partitions raised to W) as
    t(W) = work / W + 4 * RTT + max(coordinator bytes(W), server bytes) / link rate
with 4 round trips per task (task, pull, push, sampling) and RTT twice the profile's one-way
delay. It ignores CPU contention (the measurements ran every process on one 2-core machine),
the coordinator's own per-step CPU time and the growth of pulled rows with more partitions,
so it is an upper bound.
"""
import csv
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "runs/scaling"
rows = list(csv.DictReader(open(os.path.join(out, "results.csv"))))
for r in rows:
    for k, v in r.items():
        if k != "profile":
            r[k] = float(v)
PROFILES = {"1g": (1e9 / 8, 0.5e-3), "10g": (10e9 / 8, 0.1e-3)}  # bytes/s, one-way delay
shaping = open(os.path.join(out, "shaping.txt")).read().strip() if os.path.exists(os.path.join(out, "shaping.txt")) else ""

# Measured table.
lines = ["| profile | servers | workers | steps/s | sample | pull | compute | push | wait | coordinator KB/step | server KB/step | worker KB/step |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    lines.append("| {profile} | {s:.0f} | {w:.0f} | {sps:.1f} | {a:.1f} | {b:.1f} | {c:.1f} | {d:.1f} | {e:.1f} | {cb:.0f} | {sb:.0f} | {wb:.0f} |".format(
        profile=r["profile"], s=r["servers"], w=r["workers"], sps=r["steps_per_s"], a=1e3 * r["sample_s"], b=1e3 * r["pull_s"],
        c=1e3 * r["compute_s"], d=1e3 * r["push_s"], e=1e3 * r["wait_s"], cb=r["coordinator_bytes_per_step"] / 1e3,
        sb=r["server_bytes_per_step"] / 1e3, wb=r["worker_bytes_per_step"] / 1e3))
table = "\n".join(lines) + "\n\n(time split in ms per step per worker; bytes both directions per global step)\n"
if shaping:
    table += "\nLink shaping: " + shaping + "\n"
open(os.path.join(out, "table.md"), "w").write(table)
print(table)


def svg(name, title, ylabel, series):
    """A line chart of {label: [(x, y)]} as a standalone SVG file."""
    w, h, left, bottom = 560, 340, 60, 40
    xs = [x for pts in series.values() for x, _ in pts] or [0, 1]
    ys = [y for pts in series.values() for _, y in pts] or [0, 1]
    x0, x1, y1 = min(xs), max(xs), max(ys) * 1.1 or 1
    px = lambda x: left + (x - x0) / ((x1 - x0) or 1) * (w - left - 20)
    py = lambda y: h - bottom - y / y1 * (h - bottom - 30)
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<text x="{w / 2}" y="18" text-anchor="middle" font-size="14">{title}</text>',
             f'<line x1="{left}" y1="{h - bottom}" x2="{w - 20}" y2="{h - bottom}" stroke="black"/>',
             f'<line x1="{left}" y1="30" x2="{left}" y2="{h - bottom}" stroke="black"/>',
             f'<text x="{w / 2}" y="{h - 8}" text-anchor="middle">workers</text>',
             f'<text x="14" y="{h / 2}" transform="rotate(-90 14 {h / 2})" text-anchor="middle">{ylabel}</text>']
    for x in sorted(set(xs)):
        parts.append(f'<text x="{px(x):.1f}" y="{h - bottom + 15}" text-anchor="middle">{x:g}</text>')
    for k in range(5):
        y = y1 * k / 4
        parts.append(f'<text x="{left - 5}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.3g}</text>')
    for n, (label, pts) in enumerate(sorted(series.items())):
        c = colours[n % len(colours)]
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in sorted(pts))
        parts.append(f'<polyline fill="none" stroke="{c}" stroke-width="2" points="{path}"/>')
        parts.append(f'<text x="{w - 150}" y="{40 + 16 * n}" fill="{c}">{label}</text>')
    parts.append("</svg>")
    open(os.path.join(out, name), "w").write("\n".join(parts) + "\n")


def label(r):
    return f'{r["profile"]}, {r["servers"]:.0f} servers'


def series(value):
    """{label: [(workers, value(row))]} over the rows."""
    s = {}
    for r in rows:
        s.setdefault(label(r), []).append((r["workers"], value(r)))
    return s


def busiest(r):
    """Bytes per step on the busiest link: the average server's, else the coordinator's."""
    return r["server_bytes_per_step"] if r["servers"] > 0 else r["coordinator_bytes_per_step"]


svg("steps.svg", "steps per second", "steps/s", series(lambda r: r["steps_per_s"]))
svg("bytes.svg", "KB per global step on the busiest link", "KB/step", series(lambda r: busiest(r) / 1e3))
svg("split.svg", "worker time per step (ms): compute and wait", "ms",
    {**{k + " compute": v for k, v in series(lambda r: 1e3 * r["compute_s"]).items()},
     **{k + " wait": v for k, v in series(lambda r: 1e3 * r["wait_s"]).items()}})

# Projection: partitions = workers (a step's batch is split over the partitions, so each
# worker's share of the work shrinks as 1/W), the coordinator's bytes per step fitted as
# a + b W over the measured rows (it routes every sampling request: that part grows with W),
# each server's bytes per step as measured (its rows; constant in W for a fixed S).
def fit(points):
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    b = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0
    return my - b * mx, b


proj = ["| profile | servers | hosts | workers | work s/step | coordinator link s/step | server link s/step | latency s/step | projected steps/s | vs 1 worker | limit |",
        "|---|---|---|---|---|---|---|---|---|---|---|"]
notes = []
for (profile, servers) in sorted({(r["profile"], r["servers"]) for r in rows}):
    measured = sorted((r for r in rows if r["profile"] == profile and r["servers"] == servers), key=lambda r: r["workers"])
    if len(measured) < 2 or measured[0]["workers"] != 1:
        continue
    rate, delay = PROFILES[profile]
    work = measured[0]["sample_s"] + measured[0]["compute_s"]
    a, b = fit([(r["workers"], r["coordinator_bytes_per_step"]) for r in measured])
    server = max(r["server_bytes_per_step"] for r in measured)
    latency = 4 * 2 * delay

    def step(w):
        terms = {"compute": work / w, "coordinator link": (a + b * w) / rate, "server links": server / rate}
        return terms, terms["compute"] + latency + max(terms["coordinator link"], terms["server links"])

    _, one = step(1)
    for hosts in (8, 16, 64):
        w = hosts - 1 - int(servers)
        terms, t = step(w)
        network = max(terms["coordinator link"], terms["server links"])
        limit = "compute" if terms["compute"] >= network else max(("coordinator link", "server links"), key=lambda k: terms[k])
        proj.append(f"| {profile} | {servers:.0f} | {hosts} | {w} | {terms['compute']:.4f} | {terms['coordinator link']:.4f} | "
                    f"{terms['server links']:.4f} | {latency:.4f} | {1 / t:.1f} | {one / t:.1f}x | {limit} |")
    crossing = next((w for w in range(1, 1025) if step(w)[0]["compute"] < max(step(w)[0]["coordinator link"], step(w)[0]["server links"])), None)
    notes.append(f"- {profile}, {servers:.0f} servers: work {work * 1e3:.1f} ms per step on one worker; coordinator "
                 f"{a / 1e3:.0f} KB + {b / 1e3:.0f} KB per worker per step; "
                 + (f"{server / 1e6:.2f} MB per server per step; " if servers else "")
                 + (f"the network outweighs compute from {crossing} workers on" if crossing else "compute-bound up to 1024 workers"))
text = "\n".join(proj) + "\n\n" + "\n".join(notes) + "\n"
open(os.path.join(out, "projection.md"), "w").write(text)
print(text)
