#!/usr/bin/env python3
"""Adopting remote images (issue 23): r2filter against the tools a blogger
would script instead, on the same 1,000 images from the same loopback host.

    python3 bench/adopt.py [--images 1000] [--rounds 3] [--work target/bench-adopt]

It builds the release binaries (r2filter, and bench/src/bin/image-host.rs, a
static file server on 127.0.0.1 that counts requests), writes N distinct real
PNG images of about 27 KB (96 x 96 random pixels) under the host's root and
100 posts that reference them by URL, then times, in alternating rounds:

- r2filter: `r2filter posts --out-dir … --adopt http://127.0.0.1
  --adopt-private` into an empty local store with a new manifest: download,
  check, hash, publish and rewrite every post;
- curl in a loop: one `curl -sf -o FILE URL` process per image (what a
  migration script does), download only;
- curl --parallel: one curl process for all URLs, 16 at once (curl's best);
- rclone copyurl in a loop, when rclone is installed (Debian's package).

Then an r2filter rerun on the same posts with the manifest of the first run:
the host's request counter shows it asked nothing.

Reported: the median wall time of each tool over the rounds (process start-up
included), images per second, and the ratios against r2filter, with the
machine's load average. Loopback only; the page cache is warm.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import struct
import subprocess
import sys
import time
import urllib.request
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PUBLIC_URL = "https://assets.example.com"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def png(rng, side=96):
    """A real PNG of random pixels (incompressible: about 27 KB at 96 x 96)."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\0" + rng.randbytes(side * 3) for _ in range(side))
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 1))
        + chunk(b"IEND", b"")
    )


def build(release):
    args = ["cargo", "build", "--locked", "-p", "r2filter", "--bin", "r2filter"]
    args += ["-p", "r2filter-bench", "--bin", "image-host"]
    if release:
        args.append("--release")
    subprocess.run(args, cwd=REPO, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    out = target / ("release" if release else "debug")
    return out / "r2filter", out / "image-host"


def start_host(binary, root):
    proc = subprocess.Popen(
        [str(binary), "--root", str(root), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline().strip()
    assert line.startswith("listening on "), line
    return proc, line.removeprefix("listening on ")


def requests(base):
    with urllib.request.urlopen(f"{base}/_bench/requests") as r:
        return int(r.read())


def reset(base):
    urllib.request.urlopen(urllib.request.Request(f"{base}/_bench/reset", method="POST"))


def timed(args, **kw):
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, **kw)
    return time.perf_counter() - start


def site(work, base, n):
    """N images under the host's root, 100 posts linking to them."""
    rng = random.Random(23)
    host_root = work / "host"
    posts = work / "posts"
    for d in (host_root / "img", posts):
        d.mkdir(parents=True, exist_ok=True)
    urls = []
    for i in range(n):
        (host_root / "img" / f"{i}.png").write_bytes(png(rng))
        urls.append(f"{base}/img/{i}.png")
    per_post = max(1, n // 100)
    for p in range(0, n, per_post):
        body = "".join(f"![image {i}]({urls[i]})\n\n" for i in range(p, min(n, p + per_post)))
        (posts / f"post-{p // per_post:03}.md").write_text(f"# Post {p}\n\n{body}")
    return urls


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def run_r2filter(r2filter, work, round_, base, n):
    d = fresh(work / f"r2filter-{round_}")
    t = timed(
        [str(r2filter), str(work / "posts"), "--out-dir", str(d / "out")]
        + ["--local-store", str(d / "store"), "--public-url", PUBLIC_URL]
        + ["--manifest", str(d / "manifest.json"), "-q"]
        + ["--adopt", "http://127.0.0.1", "--adopt-private"],
        env={"PATH": os.environ["PATH"], "HOME": str(d)},
    )
    # Every reference adopted: no post still names the host.
    for post in (d / "out").iterdir():
        assert base not in post.read_text(), f"{post} still names {base}"
    objects = json.loads((d / "manifest.json").read_text())["objects"]
    assert len(objects) == n, f"{len(objects)} objects for {n} images"
    return t


def run_curl_loop(urls, work, round_):
    d = fresh(work / f"curl-{round_}")
    start = time.perf_counter()
    for i, url in enumerate(urls):
        subprocess.run(["curl", "-sf", "-o", str(d / f"{i}.png"), url], check=True)
    return time.perf_counter() - start


def run_curl_parallel(urls, work, round_):
    d = fresh(work / f"curlp-{round_}")
    config = d / "urls.txt"
    config.write_text(
        "".join(f'url = "{u}"\noutput = "{d / f"{i}.png"}"\n' for i, u in enumerate(urls))
    )
    return timed(
        ["curl", "-sf", "--no-progress-meter", "--parallel", "--parallel-max", "16", "-K", str(config)]
    )


def run_rclone_loop(urls, work, round_):
    d = fresh(work / f"rclone-{round_}")
    start = time.perf_counter()
    for i, url in enumerate(urls):
        subprocess.run(
            ["rclone", "--config", str(d / "none.conf"), "-q", "copyurl", url, str(d / f"{i}.png")],
            check=True,
        )
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--work", default=str(REPO / "target" / "bench-adopt"))
    ap.add_argument("--debug", action="store_true", help="use the debug build (smoke run)")
    args = ap.parse_args()
    work = fresh(Path(args.work).resolve())
    r2filter, host_bin = build(not args.debug)
    host, base = start_host(host_bin, work / "host")
    try:
        urls = site(work, base, args.images)
        tools = {"r2filter": lambda r: run_r2filter(r2filter, work, r, base, len(urls))}
        tools["curl loop"] = lambda r: run_curl_loop(urls, work, r)
        tools["curl --parallel 16"] = lambda r: run_curl_parallel(urls, work, r)
        if shutil.which("rclone"):
            tools["rclone copyurl loop"] = lambda r: run_rclone_loop(urls, work, r)
        else:
            log("rclone not installed: skipped (apt-get install rclone)")
        times = {name: [] for name in tools}
        for r in range(args.rounds):
            for name, run in tools.items():
                reset(base)
                t = run(r)
                asked = requests(base)
                assert asked >= len(urls), f"{name} asked {asked}"
                times[name].append(t)
                log(f"round {r + 1}: {name}: {t:.2f}s ({asked} requests)")
        # The rerun: the first round's manifest, new out-dir and store copy.
        d = work / "r2filter-0"
        reset(base)
        rerun = timed(
            [str(r2filter), str(work / "posts"), "--out-dir", str(d / "out-again")]
            + ["--local-store", str(d / "store"), "--public-url", PUBLIC_URL]
            + ["--manifest", str(d / "manifest.json"), "-q"]
            + ["--adopt", "http://127.0.0.1", "--adopt-private"],
            env={"PATH": os.environ["PATH"], "HOME": str(d)},
        )
        rerun_requests = requests(base)
        assert rerun_requests == 0, rerun_requests
    finally:
        host.terminate()
        host.wait()
    r2 = statistics.median(times["r2filter"])
    rows = []
    for name, ts in times.items():
        m = statistics.median(ts)
        rows.append(
            {
                "tool": name,
                "median_s": round(m, 3),
                "images_per_s": round(len(urls) / m, 1),
                "vs_r2filter": round(m / r2, 2),
                "runs_s": [round(t, 3) for t in ts],
            }
        )
    result = {
        "images": len(urls),
        "bytes": sum(p.stat().st_size for p in (work / "host" / "img").iterdir()),
        "rounds": args.rounds,
        "rows": rows,
        "rerun_s": round(rerun, 3),
        "rerun_requests": rerun_requests,
        "loadavg": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    print("| tool | median of %d (s) | images/s | time vs r2filter |" % args.rounds)
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row['tool']} | {row['median_s']:.2f} | {row['images_per_s']} | {row['vs_r2filter']}x |")
    print(f"\nrerun: {rerun:.2f}s, {rerun_requests} requests to the host")
    (work / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    log(f"results in {work / 'results.json'}")


if __name__ == "__main__":
    main()
