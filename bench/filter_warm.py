#!/usr/bin/env python3
"""Warm run of the stdin filter on one post with 1,200 references to 1,000
distinct images: cold once against the loopback s3s-fs server, then the
median of 15 warm runs with the server stopped and no credentials (the output
must be byte-identical to the cold run's).

    cargo build --release -p r2filter -p r2filter-bench --bins
    python3 bench/filter_warm.py
"""
import os, sys, subprocess, shutil, time, statistics, random
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent)); import run as B
BIN = B.REPO / "target" / "release"; work = B.REPO / "target" / "bench" / "filter-warm"
d = work / "site"; shutil.rmtree(work, ignore_errors=True)
(d/"images").mkdir(parents=True)
rng = random.Random(1)
for i in range(1000):
    (d/"images"/f"shot {i}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + rng.randbytes(20_000))
lines = []
for r in range(1200):
    i = r % 1000
    lines.append(f"Paragraph {r} with some text and `code ![x](no.png)`.\n\n![shot {i}](<images/shot {i}.png> \"Shot {i}\")\n\n")
post = "".join(lines); (d/"post.md").write_text(post)
server = B.Server(BIN/"s3-server", work/"s3", ["bench-warm"])
env = {"PATH": os.environ["PATH"], "HOME": str(d), "AWS_EC2_METADATA_DISABLED": "true"}
args = [str(BIN/"r2filter"), "--bucket", "bench-warm", "--endpoint", server.endpoint, "--public-url", "https://assets.example.com"]
cold = subprocess.run(args, input=post, text=True, capture_output=True, cwd=d,
    env=env | {"AWS_ACCESS_KEY_ID": B.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": B.SECRET_KEY})
assert cold.returncode == 0, cold.stderr
print("cold:", cold.stderr.strip().splitlines()[-1])
server.stop()
times = []
for _ in range(15):
    t = time.perf_counter()
    w = subprocess.run(args, input=post, text=True, capture_output=True, cwd=d, env=env)
    times.append(time.perf_counter() - t)
    assert w.returncode == 0 and w.stdout == cold.stdout, w.stderr
print("warm:", w.stderr.strip().splitlines()[-1])
print(f"warm median {statistics.median(times)*1000:.1f} ms (min {min(times)*1000:.1f}, max {max(times)*1000:.1f}) over 15 runs; server stopped, no credentials; output identical to cold")
shutil.rmtree(work, ignore_errors=True)
