#!/usr/bin/env python3
"""What stripping and converting cost (issue 17).

1. In memory: target/release/bench-transform (MB/s of source bytes
   per setting, on JPEG photos and PNG screenshots made by real encoders).
2. Cold runs against the loopback s3s-fs server, alternating settings in the
   same session, median of REPEATS:
   - the synthetic blog of bench/run.py (random-bytes images behind PNG/JPEG
     headers: what the byte scan costs when there is no metadata), and
   - a blog of real photos with GPS (bench-transform --write),
   each with strip-metadata none (the old behaviour) against location (the
   default), and the photos also with convert=webp.

    cargo build --release -p r2filter -p r2filter-bench --bins
    python3 bench/transform.py [REPEATS]
"""
import os, sys, subprocess, shutil, time, statistics
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as B

REPEATS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
BIN = B.REPO / "target" / "release"
data = B.REPO / "target" / "bench" / "transform"
shutil.rmtree(data, ignore_errors=True)
data.mkdir(parents=True)

print(subprocess.run([BIN / "bench-transform", "5"], check=True, capture_output=True, text=True).stdout)

synthetic = data / "synthetic"
B.generate(synthetic, 100, 500, 200, 100, 5)
photos = data / "photos"
(photos / "posts").mkdir(parents=True)
subprocess.run([BIN / "bench-transform", "--write", photos / "posts" / "img", "48"], check=True)
imgs = sorted(p.name for p in (photos / "posts" / "img").iterdir())
for i in range(12):
    (photos / "posts" / f"post-{i:02}.md").write_text(
        f"# Trip {i}\n\n" + "".join(f"![x](img/{n})\n\n" for n in imgs[i::12]))

def size(d):
    return sum(p.stat().st_size for p in d.rglob("*") if p.is_file() and p.suffix in (".jpg", ".png")) / 1e6

server = B.Server(BIN / "s3-server", data / "s3", ["bench-t"])
env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "R2FILTER_"))} | {
    "AWS_ACCESS_KEY_ID": B.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": B.SECRET_KEY,
    "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "R2FILTER_BUCKET": "bench-t", "R2FILTER_ENDPOINT": server.endpoint,
    "R2FILTER_PUBLIC_URL": "https://assets.example.com"}

def cold(site, settings):
    m = data / "m.json"
    for f in (m, data / "m.json.cache"):
        f.unlink(missing_ok=True)
    server.empty("bench-t")
    out = data / "out"
    shutil.rmtree(out, ignore_errors=True)
    e = env | {"R2FILTER_MANIFEST": str(m), "R2FILTER_ROOT": str(site)} | settings
    t = time.perf_counter()
    p = subprocess.run([BIN / "r2filter", "-q", site / "posts", "--out-dir", out], env=e,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    if p.returncode:
        raise SystemExit(p.stderr)
    stored = sum(p.stat().st_size for p in (data / "s3" / "bench-t").rglob("*") if p.is_file()) / 1e6
    return wall, stored

rows = []
for name, site, variants in [
    ("synthetic blog", synthetic, [("none", {"R2FILTER_STRIP_METADATA": "none"}), ("location", {})]),
    ("photos with GPS", photos, [("none", {"R2FILTER_STRIP_METADATA": "none"}), ("location", {}),
                                 ("all", {"R2FILTER_STRIP_METADATA": "all"}),
                                 ("location + webp", {"R2FILTER_CONVERT": "webp"})]),
]:
    times = {v: [] for v, _ in variants}
    stored = {}
    for _ in range(REPEATS):
        for v, s in variants:  # alternate, so load drifts hit every variant alike
            w, st = cold(site, s)
            times[v].append(w)
            stored[v] = st
    base = statistics.median(times["none"])
    for v, _ in variants:
        med = statistics.median(times[v])
        rows.append((name, size(site / "posts"), v, med, med - base, stored[v]))
server.stop()
print(f"cold runs, median of {REPEATS}, alternating:\n")
print("| data | MB of images | strip-metadata / convert | cold run | added | MB uploaded |")
print("|---|---:|---|---:|---:|---:|")
for name, mb, v, med, added, st in rows:
    print(f"| {name} | {mb:.0f} | {v} | {med:.2f} s | {added:+.2f} s | {st:.1f} |")
shutil.rmtree(data, ignore_errors=True)
