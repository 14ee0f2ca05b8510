#!/usr/bin/env python3
"""What sizes and placeholders cost on a cold run (issue 22).

Cold runs (empty bucket, no manifest, no stat cache, `--out-dir`) against the
loopback s3s-fs server (bench/src/bin/s3-server.rs), in one session, the
binaries alternating run by run (paired), median of REPEATS:

- BASE: r2filter built from the commit before sizes (pass its binary with
  --base; see BENCHMARKS.md for how it was built), the current cold run;
- sizes: this build, which reads every new object's width and height from
  its header (always on);
- sizes + index + dimensions: the same with `images-index` written and
  `dimensions = true` splicing;
- placeholder: `placeholder = "blur"` (decodes every JPEG, PNG and WebP).

Data: bench/run.py's synthetic blog (1,000 posts, 5,000 references, 2,000
images of about 40 KB: random bytes behind PNG/JPEG headers, so a header
read with nothing to find, and no placeholder to make) and a blog of real
photos (48 JPEG 1600x1200 and 24 PNG 1200x800 made by real encoders,
`bench-transform --write`).

    cargo build --release -p r2filter -p r2filter-bench --bins
    python3 bench/images.py --base /path/to/base/r2filter [--repeats N]

Also writes the index of each blog (sizes + placeholder) to
target/bench/images/<blog>-index.json and prints its first entries.
"""
import argparse, json, os, shutil, statistics, subprocess, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as B

ap = argparse.ArgumentParser()
ap.add_argument("--base", type=Path, required=True, help="the r2filter binary to compare with")
ap.add_argument("--bin-dir", type=Path, default=B.REPO / "target" / "release")
ap.add_argument("--repeats", type=int, default=7)
a = ap.parse_args()
BIN = a.bin_dir
data = B.REPO / "target" / "bench" / "images"
shutil.rmtree(data, ignore_errors=True)
data.mkdir(parents=True)

synthetic = data / "synthetic"
B.generate(synthetic, 1000, 5000, 2000, 80, 5)
photos = data / "photos"
(photos / "posts").mkdir(parents=True)
subprocess.run([BIN / "bench-transform", "--write", photos / "posts" / "img", "48"], check=True)
imgs = sorted(p.name for p in (photos / "posts" / "img").iterdir())
for i in range(12):
    (photos / "posts" / f"post-{i:02}.md").write_text(
        f"# Trip {i}\n\n" + "".join(f"![x](img/{n})\n\n" for n in imgs[i::12]))

server = B.Server(BIN / "s3-server", data / "s3", ["bench-i"])
env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "R2FILTER_"))} | {
    "AWS_ACCESS_KEY_ID": B.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": B.SECRET_KEY,
    "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "R2FILTER_BUCKET": "bench-i", "R2FILTER_ENDPOINT": server.endpoint,
    "R2FILTER_PUBLIC_URL": "https://assets.example.com"}


def cold(binary, site, settings):
    m = data / "m.json"
    for f in data.glob("m.json*"):
        f.unlink()
    server.empty("bench-i")
    out = data / "out"
    shutil.rmtree(out, ignore_errors=True)
    e = env | {"R2FILTER_MANIFEST": str(m), "R2FILTER_ROOT": str(site)} | settings
    t = time.perf_counter()
    p = subprocess.run([binary, "-q", site / "posts", "--out-dir", out], env=e,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    if p.returncode:
        raise SystemExit(p.stderr)
    return wall


NEW = BIN / "r2filter"
INDEX = {"R2FILTER_IMAGES_INDEX": str(data / "index.json"), "R2FILTER_DIMENSIONS": "true"}
BLUR = {"R2FILTER_PLACEHOLDER": "blur"}
variants = {
    "synthetic blog": (synthetic, [("base", a.base, {}), ("sizes", NEW, {}),
                                   ("sizes + index + dimensions", NEW, INDEX)]),
    "photos": (photos, [("base", a.base, {}), ("sizes", NEW, {}),
                        ("sizes + index + dimensions", NEW, INDEX),
                        ("placeholder = blur", NEW, INDEX | BLUR)]),
}
rows = []
for name, (site, vs) in variants.items():
    times = {v: [] for v, _, _ in vs}
    for _ in range(a.repeats):
        for v, binary, s in vs:  # alternate, so load drifts hit every variant alike
            times[v].append(cold(binary, site, s))
    base = times["base"]
    for v, _, _ in vs:
        med = statistics.median(times[v])
        # The median of the paired ratios: each run against the base run of
        # its own round.
        paired = statistics.median(t / b for t, b in zip(times[v], base))
        rows.append((name, v, med, paired))
    # The index of this blog, as the last variant wrote it.
    shutil.copy(data / "index.json", data / f"{name.split()[0]}-index.json")

server.stop()
load = os.getloadavg()[0]
print(f"cold runs, median of {a.repeats}, alternating; load average {load:.1f}\n")
print("| data | run | cold run (median) | against base (median of paired ratios) |")
print("|---|---|---:|---:|")
for name, v, med, paired in rows:
    print(f"| {name} | {v} | {med:.3f} s | {(paired - 1) * 100:+.1f} % |")
for blog in ("synthetic", "photos"):
    index = json.loads((data / f"{blog}-index.json").read_text())
    print(f"\n{blog}: {len(index)} objects in the index; the first two:")
    first = dict(list(sorted(index.items()))[:2])
    for v in first.values():
        if "placeholder" in v:
            v["placeholder"] = v["placeholder"][:60] + f"… ({len(v['placeholder'])} bytes)"
    print(json.dumps(first, indent=2))
