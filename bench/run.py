#!/usr/bin/env python3
"""r2filter benchmarks, side by side with the tools people use instead.

One command, from a fresh clone (see BENCHMARKS.md):

    python3 bench/run.py

It builds the release binaries, installs the peers (rclone from Debian;
awscli, requests and requests-aws4auth from PyPI into a venv under the work
folder), generates a synthetic blog (default 1,000 posts, 5,000 image
references, 2,000 distinct images, about 1 GB), starts a loopback S3 server
(examples/s3-server.rs: s3s-fs with SigV4), and times every tool on the same
files against the same server. Results go to stdout and, as Markdown and JSON,
to WORK/results.md and WORK/results.json.

`--smoke` is the CI variant: tiny sizes, the debug build `cargo test` already
made, nothing installed; peers that are not on PATH are skipped.

Timing: wall clock of the whole process (start-up included), peak RSS from
/usr/bin/time. Cheap runs are repeated and the median is reported; every
ratio compares runs made in this same session, back to back. The page cache
is warm (the generator just wrote the files): this measures the tools, not the
disk.
"""

import argparse
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ACCESS_KEY = "AKIAR2FILTERBENCH"  # loopback-only test credentials of examples/s3-server.rs
SECRET_KEY = "r2filter-bench-secret-loopback-only-0123456789"
PUBLIC_URL = "https://assets.example.com"

WORDS = (
    "the image store build static site deploy bucket object cache manifest upload "
    "markdown render preview branch commit review edge network latency throughput "
    "request response header content hash key value folder file post draft publish "
    "reader browser server client region account token secret policy public private"
).split()


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the blog


def lorem(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def generate(site, posts, refs, images, total_mb, post_kb, seed=1):
    """Writes site/posts/post-NNNN.md and site/posts/images/…; returns the
    list of distinct image paths."""
    rng = random.Random(seed)
    posts_dir = site / "posts"
    img_dir = posts_dir / "images"
    img_dir.mkdir(parents=True)
    # Sizes: log-normal (many small screenshots, a few big photos), scaled to the total.
    raw = [rng.lognormvariate(0, 1.0) for _ in range(images)]
    scale = total_mb * 1e6 / sum(raw)
    sizes = [max(1024, int(r * scale)) for r in raw]
    names = []
    for i, size in enumerate(sizes):
        kind = "png" if i % 3 else "jpg"
        name = f"img-{i:05d}.{kind}"
        write_image(img_dir / name, kind, size, rng)
        names.append(name)
    # Every image referenced at least once; the rest skewed towards a few
    # favourites (logos, diagrams reused across posts).
    pool = list(names) + [names[min(int(rng.paretovariate(1.2)) - 1, images - 1)] if rng.random() < 0.3 else rng.choice(names) for _ in range(max(0, refs - images))]
    rng.shuffle(pool)
    per_post = [pool[i::posts] for i in range(posts)]
    for p, imgs in enumerate(per_post):
        write_post(posts_dir / f"post-{p:04d}.md", p, imgs, post_kb, rng)
    return [img_dir / n for n in names]


def write_image(path, kind, size, rng):
    head = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" if kind == "png" else b"\xff\xd8\xff\xe0\0\x10JFIF\0"
    with open(path, "wb") as f:
        f.write(head)
        left = size - len(head)
        while left > 0:
            n = min(left, 1 << 20)
            f.write(rng.randbytes(n))
            left -= n


def write_post(path, p, imgs, post_kb, rng):
    parts = [
        f"---\ntitle: \"Post {p}: {lorem(rng, 4)}\"\ndate: 2026-01-{p % 28 + 1:02d}\ntags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]\n---\n\n",
        f"# {lorem(rng, 5).capitalize()}\n\n",
    ]
    body_words = max(50, post_kb * 1000 // 7 // (len(imgs) + 1))
    for i, img in enumerate(imgs):
        parts.append(f"{lorem(rng, body_words)}. See [the docs](https://example.com/{rng.choice(WORDS)}) and `{rng.choice(WORDS)}()`.\n\n")
        if i % 3 == 1:
            parts.append(f"```rust\nfn {rng.choice(WORDS)}() -> u32 {{ {i} }} // ![not](an/image.png)\n```\n\n")
        if i % 4 == 2:
            parts.append(f"- {lorem(rng, 6)}\n- {lorem(rng, 6)}\n\n| a | b |\n|---|---|\n| {i} | {lorem(rng, 2)} |\n\n")
        parts.append(f"![{lorem(rng, 3)}](images/{img})\n\n")
    parts.append(f"## {lorem(rng, 3)}\n\n{lorem(rng, body_words)}.\n")
    path.write_text("".join(parts))


# ---------------------------------------------------------------- running


class Server:
    def __init__(self, binary, root, buckets):
        root.mkdir(parents=True, exist_ok=True)
        args = [str(binary), "--root", str(root)]
        for b in buckets:
            args += ["--bucket", b]
        self.root = root
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            raise SystemExit(f"s3-server did not start: {line!r}")
        self.endpoint = line.split()[-1]

    def requests(self):
        with urllib.request.urlopen(self.endpoint + "/_bench/requests", timeout=10) as r:
            return json.load(r)

    def reset(self):
        urllib.request.urlopen(urllib.request.Request(self.endpoint + "/_bench/reset", method="POST"), timeout=10).read()

    def empty(self, bucket):
        shutil.rmtree(self.root / bucket, ignore_errors=True)
        (self.root / bucket).mkdir()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)


def timed(cmd, env=None, cwd=None, server=None):
    """Runs cmd under /usr/bin/time; returns (seconds, peak RSS MB, requests)."""
    tfile = Path(os.environ.get("TMPDIR", "/tmp")) / f"r2filter-bench-time-{os.getpid()}"
    full = ["/usr/bin/time", "-o", str(tfile), "-f", "%e %M"] + [str(c) for c in cmd]
    if server:
        server.reset()
    t = time.perf_counter()
    p = subprocess.run(full, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise PeerFailed(f"failed ({p.returncode}): {' '.join(map(str, cmd))}\n{p.stderr[-3000:]}")
    rss_kb = int(tfile.read_text().split()[-1])
    tfile.unlink()
    reqs = sum(server.requests().values()) if server else None
    return wall, rss_kb / 1024, reqs


class PeerFailed(Exception):
    pass


class Results:
    def __init__(self):
        self.rows = []  # dict(group, name, seconds, rss, requests, n, note)

    def add(self, group, name, samples, note=""):
        if callable(samples):
            # A peer: its failure is reported, not fatal to the whole run.
            try:
                samples = samples()
            except PeerFailed as e:
                log(f"  {group:>10} | {name}: FAILED\n{e}")
                self.rows.append(dict(group=group, name=name, seconds=float("nan"), rss_mb=float("nan"), requests=None, runs=0, note="failed"))
                return None
        secs = statistics.median(s[0] for s in samples)
        rss = max(s[1] for s in samples)
        reqs = samples[-1][2]
        row = dict(group=group, name=name, seconds=secs, rss_mb=rss, requests=reqs, runs=len(samples), note=note)
        self.rows.append(row)
        log(f"  {group:>10} | {name:<44} {secs:8.3f}s  {rss:7.1f} MB  {'' if reqs is None else reqs:>6} req  ({len(samples)} run{'s' if len(samples) > 1 else ''})")
        return secs

    def get(self, group, name):
        for r in self.rows:
            if r["group"] == group and r["name"] == name:
                return r
        return None


def repeat(n, fn):
    return [fn() for _ in range(n)]


# ---------------------------------------------------------------- peers


def venv_python(work, install):
    venv = work / "venv"
    py = venv / "bin" / "python"
    if install and not (venv / "bin" / "aws").exists():
        log("== installing peers from PyPI (awscli, requests, requests-aws4auth) into", venv)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "awscli", "requests", "requests-aws4auth"], check=True)
    return venv


def have_python_peers(venv):
    py = venv / "bin" / "python"
    if not py.exists():
        return False
    return subprocess.run([str(py), "-c", "import requests, requests_aws4auth"], capture_output=True).returncode == 0


def ensure_rclone(install):
    if shutil.which("rclone") or not install:
        return shutil.which("rclone")
    log("== installing rclone (Debian)")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(sudo + ["apt-get", "install", "-y", "-q", "rclone"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("rclone")


def ensure_time():
    if Path("/usr/bin/time").exists():
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(sudo + ["apt-get", "install", "-y", "-q", "time"], check=True, stdout=subprocess.DEVNULL)


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=1000)
    ap.add_argument("--refs", type=int, default=5000)
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--total-mb", type=float, default=1000)
    ap.add_argument("--post-kb", type=int, default=5, help="Markdown per post, roughly")
    ap.add_argument("--big", default="100x20", help="COUNTxMB images for the peak-RSS run ('0x0' skips it)")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each cheap measurement (median)")
    ap.add_argument("--concurrency", type=int, default=16, help="r2filter -j")
    ap.add_argument("--work", type=Path, default=REPO / "target" / "bench")
    ap.add_argument("--profile", default="release", choices=["release", "debug"])
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the generated data")
    ap.add_argument("--smoke", action="store_true", help="CI: tiny sizes, debug build, install nothing")
    a = ap.parse_args()
    if a.smoke:
        a.posts, a.refs, a.images, a.total_mb, a.big, a.repeat, a.profile = 20, 60, 30, 3, "3x1", 2, "debug"

    install = not a.smoke
    ensure_time()
    work = a.work.resolve()
    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)

    log(f"== building ({a.profile})")
    prof = ["--release"] if a.profile == "release" else []
    subprocess.run(["cargo", "build", "-q", *prof, "--bin", "r2filter", "--example", "s3-server", "--example", "bench-batch"], cwd=REPO, check=True)
    bindir = REPO / "target" / a.profile
    r2f_batch = bindir / "examples" / "bench-batch"
    s3_server = bindir / "examples" / "s3-server"

    rclone = None if a.no_peers else ensure_rclone(install)
    venv = work / "venv"
    if not a.no_peers:
        venv = venv_python(work, install)
    py_peers = not a.no_peers and have_python_peers(venv)
    if not rclone:
        log("   rclone not installed: skipped")
    if not py_peers:
        log("   awscli / requests-aws4auth not installed: aws and the sequential uploader skipped")

    log(f"== generating {a.posts} posts, {a.refs} references, {a.images} images, {a.total_mb:g} MB")
    t = time.perf_counter()
    site = data / "site"
    image_paths = generate(site, a.posts, a.refs, a.images, a.total_mb, a.post_kb)
    posts = site / "posts"
    img_dir = posts / "images"
    img_list = data / "images.txt"
    img_list.write_text("".join(f"{p}\n" for p in image_paths))
    md_bytes = sum(p.stat().st_size for p in posts.glob("*.md"))
    img_bytes = sum(p.stat().st_size for p in image_paths)
    log(f"   {md_bytes / 1e6:.1f} MB Markdown, {img_bytes / 1e6:.1f} MB images in {time.perf_counter() - t:.1f}s")

    buckets = ["r2filter", "rclone", "rclone-j16", "aws-cp", "aws-sync", "seq-upload", "big"]
    server = Server(s3_server, data / "s3", [f"bench-{b}" for b in buckets])
    res = Results()
    base_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "R2FILTER_", "RCLONE_"))
    } | {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(data / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(data / "no-aws-credentials"),
    }
    try:
        run_all(a, res, server, base_env, data, site, posts, img_dir, img_list, image_paths, r2f_batch, bindir, rclone, venv if py_peers else None, md_bytes, img_bytes)
    finally:
        server.stop()
        if not a.keep:
            shutil.rmtree(data, ignore_errors=True)
    report(a, res, work, md_bytes, img_bytes)


def run_all(a, res, server, base_env, data, site, posts, img_dir, img_list, image_paths, r2f_batch, bindir, rclone, venv, md_bytes, img_bytes):
    n = a.repeat
    manifest = data / "r2filter-manifest.json"
    out = data / "out"
    r2env = base_env | {
        "R2FILTER_BUCKET": "bench-r2filter",
        "R2FILTER_ENDPOINT": server.endpoint,
        "R2FILTER_PUBLIC_URL": PUBLIC_URL,
        "R2FILTER_MANIFEST": str(manifest),
        "R2FILTER_ROOT": str(site),
        "R2FILTER_CONCURRENCY": str(a.concurrency),
    }
    r2 = [bindir / "r2filter", posts, "--out-dir", out]
    stat_cache = Path(str(manifest) + ".cache")

    def fresh_r2filter():
        for p in (manifest, stat_cache):
            p.unlink(missing_ok=True)
        server.empty("bench-r2filter")

    log("== floor, scan+splice, hashing")
    res.add("warm", "floor: read every post, stat every image", repeat(n, lambda: timed([r2f_batch, "--floor", posts, img_list])))
    ss = json.loads(subprocess.run([r2f_batch, "--scan-splice", posts], capture_output=True, text=True, check=True).stdout)
    res.scan_splice = ss
    log(f"  scan+splice: {ss['mb_per_s']} MB/s ({ss['bytes'] / 1e6:.1f} MB, {ss['references']} references, best of 5)")
    files = [str(p) for p in image_paths]
    res.add("hash", "sha256sum (1 process)", repeat(max(1, n // 2), lambda: timed(["sha256sum", *files])))
    res.add("hash", f"sha256sum (xargs -P{os.cpu_count()})", repeat(max(1, n // 2), lambda: timed(["sh", "-c", f"xargs -a {img_list} -d '\\n' -P{os.cpu_count()} -n {max(1, len(files) // (os.cpu_count() * 4))} sha256sum >/dev/null"])))

    def dry():
        fresh_r2filter()
        return timed([bindir / "r2filter", "--dry-run", posts, "--out-dir", out], env=r2env)

    res.add("hash", "r2filter --dry-run (scan+resolve+hash, no cache)", repeat(max(1, n // 2), dry))

    log("== r2filter")
    fresh_r2filter()
    shutil.rmtree(out, ignore_errors=True)
    res.add("cold", "r2filter", [timed(r2, env=r2env, server=server)])
    warm = repeat(n, lambda: timed(r2, env=r2env, server=server))
    res.add("warm", "r2filter (warm manifest + stat cache)", warm)

    def warm_nocache():
        stat_cache.unlink(missing_ok=True)
        return timed(r2, env=r2env, server=server)

    res.add("warm", "r2filter (warm manifest, no stat cache)", repeat(max(1, n // 2), warm_nocache))
    timed(r2, env=r2env)  # leave the stat cache warm for the 1 % run

    aws = None
    if venv:
        aws = [venv / "bin" / "aws", "--endpoint-url", server.endpoint, "--region", "auto"]
    awsenv = base_env | {"PATH": f"{venv / 'bin'}:{base_env['PATH']}"} if venv else None

    def rclone_cmd(bucket, *extra):
        return [rclone, "copy", img_dir, f"bench:bench-{bucket}/images", *extra]

    rcenv = base_env | {
        "RCLONE_CONFIG": str(data / "no-rclone.conf"),
        "RCLONE_CONFIG_BENCH_TYPE": "s3",
        "RCLONE_CONFIG_BENCH_PROVIDER": "Other",
        "RCLONE_CONFIG_BENCH_ENDPOINT": server.endpoint,
        "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": ACCESS_KEY,
        "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": SECRET_KEY,
        "RCLONE_CONFIG_BENCH_REGION": "auto",
    }

    log("== peers, cold")
    if rclone:
        res.add("cold", "rclone copy (default --transfers 4)", lambda: [timed(rclone_cmd("rclone"), env=rcenv, server=server)])
        res.add("cold", "rclone copy --transfers 16", lambda: [timed(rclone_cmd("rclone-j16", "--transfers", "16"), env=rcenv, server=server)])
        server.empty("bench-rclone-j16")
    if aws:
        res.add("cold", "aws s3 cp --recursive", lambda: [timed(aws + ["s3", "cp", "--recursive", "--quiet", img_dir, "s3://bench-aws-cp/images"], env=awsenv, server=server)])
        server.empty("bench-aws-cp")
        res.add("cold", "aws s3 sync", lambda: [timed(aws + ["s3", "sync", "--quiet", img_dir, "s3://bench-aws-sync/images"], env=awsenv, server=server)])
        seq = [venv / "bin" / "python", REPO / "bench" / "seq_upload.py", "--endpoint", server.endpoint, "--bucket", "bench-seq-upload", "--src", posts, "--out", data / "seq-out"]
        res.add("cold", "sequential uploader (blog post's script)", lambda: [timed(seq, env=awsenv, server=server)], note="one PUT per reference, no dedupe")
        server.empty("bench-seq-upload")

    log("== peers, no-op rerun")
    if aws:
        res.add("warm", "aws s3 sync (no-op rerun)", lambda: repeat(max(1, n // 2), lambda: timed(aws + ["s3", "sync", "--quiet", img_dir, "s3://bench-aws-sync/images"], env=awsenv, server=server)))
    if rclone:
        res.add("warm", "rclone copy (no-op rerun)", lambda: repeat(max(1, n // 2), lambda: timed(rclone_cmd("rclone"), env=rcenv, server=server)))
        res.add("warm", "rclone copy --size-only (no-op rerun)", lambda: repeat(max(1, n // 2), lambda: timed(rclone_cmd("rclone", "--size-only"), env=rcenv, server=server)))

    log("== 1 % of the images changed")
    rng = random.Random(7)
    changed = rng.sample(image_paths, max(1, len(image_paths) // 100))
    time.sleep(0.01)
    for p in changed:
        size = p.stat().st_size
        write_image(p, "png" if p.suffix == ".png" else "jpg", size, rng)
    res.add("changed", f"r2filter ({len(changed)} images changed)", [timed(r2, env=r2env, server=server)])
    if aws:
        res.add("changed", "aws s3 sync", lambda: [timed(aws + ["s3", "sync", "--quiet", img_dir, "s3://bench-aws-sync/images"], env=awsenv, server=server)])
    if rclone:
        res.add("changed", "rclone copy --size-only", lambda: [timed(rclone_cmd("rclone", "--size-only"), env=rcenv, server=server)], note="misses same-size changes: see requests")
        res.add("changed", "rclone copy", lambda: [timed(rclone_cmd("rclone"), env=rcenv, server=server)])
    for b in ("bench-r2filter", "bench-rclone", "bench-aws-sync"):
        server.empty(b)

    count, mb = (int(x) for x in a.big.split("x"))
    if count:
        log(f"== peak RSS: {count} × {mb} MB images")
        big = data / "big"
        big_posts = big / "posts"
        (big_posts / "images").mkdir(parents=True)
        brng = random.Random(3)
        for i in range(count):
            write_image(big_posts / "images" / f"big-{i:03d}.png", "png", mb * 1_000_000, brng)
        for p in range(max(1, count // 10)):
            imgs = [f"big-{i:03d}.png" for i in range(p, count, max(1, count // 10))]
            write_post(big_posts / f"post-{p:03d}.md", p, imgs, 1, brng)
        bigenv = r2env | {"R2FILTER_BUCKET": "bench-big", "R2FILTER_MANIFEST": str(big / "m.json"), "R2FILTER_ROOT": str(big)}
        res.add("rss", f"r2filter cold, {count} × {mb} MB", [timed([bindir / "r2filter", big_posts, "--out-dir", big / "out"], env=bigenv, server=server)])
        server.empty("bench-big")
        if rclone:
            res.add("rss", f"rclone copy, {count} × {mb} MB", [timed([rclone, "copy", big_posts / "images", "bench:bench-big/images"], env=rcenv, server=server)])
            server.empty("bench-big")
        res.big = (count, mb)
        shutil.rmtree(big, ignore_errors=True)


def ratio(a, b):
    return a / b if b else float("inf")


def report(a, res, work, md_bytes, img_bytes):
    rows = res.rows
    g = lambda group, name: res.get(group, name)  # noqa: E731
    r2_cold = g("cold", "r2filter")
    r2_warm = g("warm", "r2filter (warm manifest + stat cache)")
    floor = g("warm", "floor: read every post, stat every image")
    lines = []
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines.append(f"Machine: {platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}), {mem:.0f} GiB RAM; page cache warm.")
    lines.append(f"Data: {a.posts} posts ({md_bytes / 1e6:.1f} MB Markdown), {a.refs} image references, {a.images} distinct images ({img_bytes / 1e6:.0f} MB); r2filter -j {a.concurrency}; {a.profile} build.")
    lines.append("")
    lines.append("| run | tool | time (median) | × r2filter | requests | peak RSS | runs |")
    lines.append("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        ref = {"cold": r2_cold, "warm": r2_warm, "changed": g("changed", next((x["name"] for x in rows if x["group"] == "changed" and x["name"].startswith("r2filter")), "")), "hash": None, "rss": None}.get(r["group"])
        x = f"{ratio(r['seconds'], ref['seconds']):.2f}×" if ref and ref is not r else ("1.00×" if ref is r else "")
        reqs = "" if r["requests"] is None else str(r["requests"])
        note = f" ({r['note']})" if r["note"] else ""
        lines.append(f"| {r['group']} | {r['name']}{note} | {r['seconds']:.3f} s | {x} | {reqs} | {r['rss_mb']:.0f} MB | {r['runs']} |")
    ss = getattr(res, "scan_splice", None)
    lines.append("")
    if ss:
        lines.append(f"Scan + splice: **{ss['mb_per_s']:.0f} MB/s** of Markdown ({ss['bytes'] / 1e6:.1f} MB, {ss['references']} references rewritten, in memory, best of 5).")
    hash_r2 = g("hash", "r2filter --dry-run (scan+resolve+hash, no cache)")
    for name in ("sha256sum (1 process)", f"sha256sum (xargs -P{os.cpu_count()})"):
        h = g("hash", name)
        if h and hash_r2:
            lines.append(f"Hashing: r2filter {img_bytes / 1e6 / hash_r2['seconds']:.0f} MB/s vs {name} {img_bytes / 1e6 / h['seconds']:.0f} MB/s ({ratio(h['seconds'], hash_r2['seconds']):.2f}×).")
    lines.append("")
    lines.append("Targets:")

    def target(ok, text):
        lines.append(f"- [{'x' if ok else ' '}] {text}")

    if r2_warm:
        target(r2_warm["requests"] == 0, f"warm rerun makes 0 requests: {r2_warm['requests']}")
        # A sync that compares sizes only misses an image edited to the same
        # size (the 1 % run shows it), so it is not a peer for this target; its
        # ratio is printed beside it.
        noops = [r for r in rows if r["group"] == "warm" and "no-op" in r["name"] and r["runs"]]
        correct = [r for r in noops if "--size-only" not in r["name"]]
        if correct:
            fastest = min(correct, key=lambda r: r["seconds"])
            x = ratio(fastest["seconds"], r2_warm["seconds"])
            target(x >= 5, f"warm rerun ≥ 5× faster than the fastest peer's no-op sync ({fastest['name']}): {x:.1f}×")
        for r in noops:
            if "--size-only" in r["name"]:
                lines.append(f"  - against {r['name']}, which misses same-size edits: {ratio(r['seconds'], r2_warm['seconds']):.1f}×")
        if floor:
            x = ratio(r2_warm["seconds"], floor["seconds"])
            target(x <= 3, f"warm rerun within 3× of the floor: {x:.2f}× ({r2_warm['seconds'] * 1000:.0f} ms vs {floor['seconds'] * 1000:.0f} ms)")
    if r2_cold:
        for name, want in (("rclone copy (default --transfers 4)", 1.0), ("rclone copy --transfers 16", 1.0), ("sequential uploader (blog post's script)", 5.0)):
            p = g("cold", name)
            if p and p["runs"]:
                x = ratio(p["seconds"], r2_cold["seconds"])
                target(x >= want, f"cold upload ≥ {want:.1f}× {name}: {x:.2f}×")
    big = [r for r in rows if r["group"] == "rss" and r["name"].startswith("r2filter")]
    if big:
        target(big[0]["rss_mb"] <= 100, f"peak RSS ≤ 100 MB uploading {big[0]['name'].split(', ')[1]} images: {big[0]['rss_mb']:.0f} MB")
    if ss:
        target(ss["mb_per_s"] >= 100, f"scan+splice ≥ 100 MB/s: {ss['mb_per_s']:.0f} MB/s")
    lines.append("- [ ] mdBook warm overhead ≤ 10 %: not measured by this harness (see BENCHMARKS.md)")
    text = "\n".join(lines) + "\n"
    print(text)
    work.mkdir(parents=True, exist_ok=True)
    (work / "results.md").write_text(text)
    (work / "results.json").write_text(json.dumps({"rows": rows, "scan_splice": ss}, indent=2))
    log(f"(written to {work / 'results.md'} and results.json)")


if __name__ == "__main__":
    main()
