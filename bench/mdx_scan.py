#!/usr/bin/env python3
"""The MDX front end (markdown-rs) against the CommonMark one (pulldown-cmark):
in-memory scan + splice of the same text read both ways (issue 13), and the
MDX front end with remark-math's `$…$` / `$$…$$` on (issue 21: a site that
lists remark-math).

Corpus: every `.mdx` document under tests/testsuite/mdx/corpus (the mdx-js
docs, tailwind-nextjs-starter-blog posts, the issue's cases) that r2filter
reads as MDX, COPIES copies of each, once named `.mdx` and once `.md` (the
flavor comes from the extension). The two folders are measured in turns,
ROUNDS times each, the `.mdx` folder twice (math off, then math on); a run
is bench-batch's best of 5 passes. Prints the median MB/s of each and their
ratios.

    cargo build --release -p r2filter-bench --bin bench-batch
    python3 bench/mdx_scan.py [ROUNDS] [COPIES]

BENCH_BATCH names another bench-batch binary (a debug one for a smoke run).
"""
import json, os, shutil, statistics, subprocess, sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
COPIES = int(sys.argv[2]) if len(sys.argv) > 2 else 10
BIN = Path(os.environ.get("BENCH_BATCH", REPO / "target/release/bench-batch"))
CORPUS = REPO / "tests/testsuite/mdx/corpus"
work = REPO / "target/bench/mdx-scan"


def run(folder, math=False):
    args = [BIN, "--scan-splice", folder] + (["--math"] if math else [])
    p = subprocess.run(args, check=True, capture_output=True, text=True)
    return json.loads(p.stdout), [l.removeprefix("refused: ") for l in p.stderr.splitlines() if l.startswith("refused: ")]


shutil.rmtree(work, ignore_errors=True)
folders = {flavor: work / flavor for flavor in ("mdx", "md")}
docs = sorted(CORPUS.rglob("*.mdx"))
for flavor, folder in folders.items():
    for i in range(COPIES):
        for doc in docs:
            dst = folder / f"{i}" / doc.relative_to(CORPUS).with_suffix("." + flavor)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(doc, dst)

# Leave out what the MDX front end refuses (MDX that does not parse, with
# math off or on), from both folders, so all read the same text.
_, refused = run(folders["mdx"])
refused += [r for r in run(folders["mdx"], math=True)[1] if r not in refused]
for name in refused:
    mdx = Path(name)
    mdx.unlink()
    (folders["md"] / mdx.relative_to(folders["mdx"])).with_suffix(".md").unlink()

# (name, folder, math)
variants = [("md", folders["md"], False), ("mdx", folders["mdx"], False),
            ("mdx-math", folders["mdx"], True)]
speeds = {name: [] for name, _, _ in variants}
last = {}
for _ in range(ROUNDS):
    for name, folder, math in variants:
        last[name], refused = run(folder, math)
        assert not refused, refused
        speeds[name].append(last[name]["mb_per_s"])

med = {name: statistics.median(s) for name, s in speeds.items()}
n = last["mdx"]["documents"]
print(f"corpus: {n} documents ({len(docs)} files x {COPIES}, {len(docs) * COPIES - n} "
      f"refused as MDX and left out), {last['mdx']['bytes'] / 1e6:.2f} MB")
for name, label in (("md", "CommonMark (pulldown-cmark, .md)"), ("mdx", "MDX (markdown-rs, .mdx)"),
                    ("mdx-math", "MDX with math (markdown-rs + math, .mdx)")):
    runs = ", ".join(f"{s:.1f}" for s in speeds[name])
    print(f"{label}: median {med[name]:.1f} MB/s over {ROUNDS} runs ({runs}); "
          f"{last[name]['references']} local references rewritten per pass")
print(f"MDX / CommonMark: {med['mdx'] / med['md']:.2f}x the throughput "
      f"({med['md'] / med['mdx']:.1f}x the time per byte)")
print(f"MDX with math / MDX: {med['mdx-math'] / med['mdx']:.2f}x the throughput")
