#!/usr/bin/env python3
"""r2filter benchmarks, side by side with the tools people use instead.

One command, from a fresh clone (see BENCHMARKS.md):

    python3 bench/run.py

It builds the release binaries, installs the peers (rclone from Debian;
awscli, requests and requests-aws4auth from PyPI into a venv under the work
folder), generates a synthetic blog (default 1,000 posts, 5,000 image
references, 2,000 distinct images of about 40 KB), starts a loopback S3 server
(bench/src/bin/s3-server.rs: s3s-fs with SigV4, counting requests), and times every
tool on the same files against the same server:

- cold: each tool uploads into its own empty bucket, --cold-runs alternating
  rounds (r2filter, rclone, …, r2filter, rclone, …);
- rerun into the same out-dir, against the no-op reruns of the peers and the
  floor (read every post, stat every image);
- writes: a warm run into a new out-dir, and the batch writer alone against
  `cp -r` of the same posts (and against an fsync per file, as before);
- fresh clone: `--in-place` on a copy of the site (new inodes and mtimes, the
  committed manifest, no stat cache) against its floor (read every image,
  rewrite every post) and `aws s3 sync` of the copy;
- 1 % of the images changed; peak RSS on 100 × 20 MB images;
- the scale row (--scale: 10,000 posts, 50,000 references, 20,000 images of
  about 4 KB): cold, rerun, fresh clone, peak RSS, manifest load time;
- mdBook: fixtures/book built with and without the preprocessor (--mdbook N
  alternating builds; bench/mdbook_overhead.py, needs or installs mdBook).

Results go to stdout and, as Markdown and JSON, to WORK/results.md and
WORK/results.json, with the load average of the machine during the run.

`--smoke` is the CI variant: tiny sizes, the debug build `cargo test` already
made, nothing installed; peers that are not on PATH are skipped.

Timing: wall clock of the whole process (start-up included), peak RSS from
/usr/bin/time, requests counted by the server. Every measurement alternates
r2filter with its peers and reports medians; every ratio compares runs made
in this same session. The page cache is warm (the generator just wrote the
files): this measures the tools, not the disk.
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
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ACCESS_KEY = "AKIAR2FILTERBENCH"  # loopback-only test credentials of bench/src/bin/s3-server.rs
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

    def drop(self, bucket):
        shutil.rmtree(self.root / bucket, ignore_errors=True)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)


class Sample:
    """One run: wall seconds, peak RSS (MB), requests by method (or None)."""

    def __init__(self, seconds, rss_mb, requests=None):
        self.seconds, self.rss_mb, self.requests = seconds, rss_mb, requests

    @property
    def total_requests(self):
        return None if self.requests is None else sum(self.requests.values())


class PeerFailed(Exception):
    pass


def timed(cmd, env=None, cwd=None, server=None):
    """Runs cmd under /usr/bin/time; a Sample of the whole process."""
    tfile = Path(os.environ.get("TMPDIR", "/tmp")) / f"r2filter-bench-time-{os.getpid()}"
    full = ["/usr/bin/time", "-o", str(tfile), "-f", "%e %M"] + [str(c) for c in cmd]
    if server:
        server.reset()
    t = time.perf_counter()
    p = subprocess.run(full, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise PeerFailed(f"failed ({p.returncode}): {' '.join(map(str, cmd))}\n{p.stderr[-3000:]}")
    rss_kb = int(tfile.read_text().split()[-1])
    tfile.unlink()
    reqs = server.requests() if server else None
    s = Sample(wall, rss_kb / 1024, reqs)
    s.stdout = p.stdout
    return s


class LoadWatch:
    """Samples the 1-minute load average every few seconds while it runs."""

    def __init__(self, every=5.0):
        self.samples = []
        self.every = every
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop_flag.is_set():
            self.samples.append(os.getloadavg()[0])
            self.stop_flag.wait(self.every)

    def stop(self):
        self.stop_flag.set()
        self.thread.join()
        return self.summary()

    def summary(self):
        s = sorted(self.samples) or [float("nan")]
        return dict(min=s[0], median=statistics.median(s), max=s[-1], n=len(self.samples))


class Results:
    def __init__(self):
        self.rows = []  # see add()
        self.notes = {}

    def add(self, group, name, samples, cmd="", note=""):
        """A row from a list of Samples (median time, max RSS, last run's
        requests), or a failed/skipped peer from an exception or None."""
        if not samples:
            self.rows.append(dict(group=group, name=name, seconds=float("nan"), rss_mb=float("nan"), requests=None, by_method=None, runs=0, note=note or "skipped", cmd=cmd, all=[]))
            return None
        secs = statistics.median(s.seconds for s in samples)
        rss = max(s.rss_mb for s in samples)
        reqs = samples[-1].total_requests
        row = dict(group=group, name=name, seconds=secs, rss_mb=rss, requests=reqs, by_method=samples[-1].requests, runs=len(samples), note=note, cmd=cmd, all=[round(s.seconds, 4) for s in samples])
        self.rows.append(row)
        log(f"  {group:>12} | {name:<46} {secs:8.3f}s  {rss:7.1f} MB  {'' if reqs is None else reqs:>6} req  (n={len(samples)}: {', '.join(f'{s.seconds:.3f}' for s in samples)})")
        return row

    def get(self, group, name):
        for r in self.rows:
            if r["group"] == group and r["name"] == name and r["runs"]:
                return r
        return None


def alternate(rounds, tools):
    """Runs each tool once per round, in turn (r2filter, peer, r2filter,
    peer, …), so that a change in the machine's load hits both alike.
    `tools` maps a name to a function returning a Sample (or raising
    PeerFailed, which drops that tool from later rounds). Returns name →
    list of Samples (empty if it failed)."""
    out = {name: [] for name in tools}
    failed = set()
    for _ in range(rounds):
        for name, fn in tools.items():
            if name in failed or fn is None:
                continue
            try:
                out[name].append(fn())
            except PeerFailed as e:
                log(f"  {name}: FAILED\n{e}")
                failed.add(name)
                out[name] = []
    return out


def copy_site(src, dst):
    """A fresh clone's working tree: same bytes, new inodes, new mtimes."""
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, copy_function=shutil.copyfile)


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
    ap.add_argument("--total-mb", type=float, default=80, help="image bytes in all (default: about 40 KB an image)")
    ap.add_argument("--post-kb", type=int, default=5, help="Markdown per post, roughly")
    ap.add_argument("--cold-runs", type=int, default=3, help="alternating cold runs of each tool, each into its own bucket (median)")
    ap.add_argument("--repeat", type=int, default=5, help="alternating runs of each cheap measurement (median)")
    ap.add_argument("--scale", default="10000:50000:20000:80", help="POSTS:REFS:IMAGES:MB of the scale row ('0' skips it)")
    ap.add_argument("--big", default="100x20", help="COUNTxMB images for the peak-RSS run ('0x0' skips it)")
    ap.add_argument("--mdbook", type=int, default=40, help="alternating mdbook builds with and without r2filter (0 skips)")
    ap.add_argument("--concurrency", type=int, default=16, help="r2filter -j")
    ap.add_argument("--work", type=Path, default=REPO / "target" / "bench")
    ap.add_argument("--profile", default="release", choices=["release", "debug"])
    ap.add_argument("--bin-dir", type=Path, help="use the binaries in this folder (r2filter, mdbook-r2filter, s3-server, bench-batch) instead of building")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the generated data")
    ap.add_argument("--smoke", action="store_true", help="CI: tiny sizes, debug build, install nothing")
    a = ap.parse_args()
    if a.smoke:
        a.posts, a.refs, a.images, a.total_mb, a.big, a.repeat, a.cold_runs, a.profile, a.scale, a.mdbook = 20, 60, 30, 3, "3x1", 2, 2, "debug", "40:120:60:1", 0

    install = not a.smoke
    ensure_time()
    work = a.work.resolve()
    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    watch = LoadWatch()

    if a.bin_dir:
        bindir = a.bin_dir.resolve()
    else:
        log(f"== building ({a.profile})")
        prof = ["--release"] if a.profile == "release" else []
        subprocess.run(["cargo", "build", "-q", *prof, "-p", "r2filter", "-p", "r2filter-bench", "--bins"], cwd=REPO, check=True)
        # On its own: built together with r2filter, cargo would give it the S3 client too.
        subprocess.run(["cargo", "build", "-q", *prof, "-p", "mdbook-r2filter"], cwd=REPO, check=True)
        bindir = REPO / "target" / a.profile

    rclone = None if a.no_peers else ensure_rclone(install)
    venv = work / "venv"
    if not a.no_peers:
        venv = venv_python(work, install)
    py_peers = not a.no_peers and have_python_peers(venv)
    if not rclone:
        log("   rclone not installed: skipped")
    if not py_peers:
        log("   awscli / requests-aws4auth not installed: aws and the sequential uploader skipped")

    res = Results()
    res.started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    base = Blog(a, data / "base", a.posts, a.refs, a.images, a.total_mb)
    scale = None
    if a.scale != "0":
        sp, sr, si, smb = (float(x) for x in a.scale.split(":"))
        scale = Blog(a, data / "scale", int(sp), int(sr), int(si), smb)
    ctx = Ctx(a, res, bindir, rclone, venv if py_peers else None, data)
    try:
        run_blog(ctx, base, "")
        if scale:
            run_scale(ctx, scale)
        big_rss(ctx)
        if a.mdbook:
            mdbook_rows(ctx)
    finally:
        ctx.stop()
        if not a.keep:
            shutil.rmtree(data, ignore_errors=True)
    res.load = watch.stop()
    res.finished = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    report(a, res, work, base, scale)


class Blog:
    """A generated site and its paths."""

    def __init__(self, a, root, posts, refs, images, total_mb):
        self.posts_n, self.refs_n, self.images_n, self.total_mb = posts, refs, images, total_mb
        log(f"== generating {posts} posts, {refs} references, {images} images, {total_mb:g} MB under {root}")
        t = time.perf_counter()
        self.root = root
        self.site = root / "site"
        self.image_paths = generate(self.site, posts, refs, images, total_mb, a.post_kb)
        self.posts = self.site / "posts"
        self.img_dir = self.posts / "images"
        self.img_list = root / "images.txt"
        self.img_list.write_text("".join(f"{p}\n" for p in self.image_paths))
        self.md_only = root / "posts-md"  # the posts alone: what cp -r and the writer copy
        self.md_only.mkdir()
        for p in self.posts.glob("*.md"):
            shutil.copyfile(p, self.md_only / p.name)
        self.md_bytes = sum(p.stat().st_size for p in self.posts.glob("*.md"))
        self.img_bytes = sum(p.stat().st_size for p in self.image_paths)
        log(f"   {self.md_bytes / 1e6:.1f} MB Markdown, {self.img_bytes / 1e6:.1f} MB images in {time.perf_counter() - t:.1f}s")


class Ctx:
    """What every section shares: the binaries, the peers, the server."""

    def __init__(self, a, res, bindir, rclone, venv, data):
        self.a, self.res, self.bindir, self.rclone, self.venv, self.data = a, res, bindir, rclone, venv, data
        self.r2filter = bindir / "r2filter"
        self.batch = bindir / "bench-batch"
        self.server = Server(bindir / "s3-server", data / "s3", [])
        self.base_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "R2FILTER_", "RCLONE_"))
        } | {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(data / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(data / "no-aws-credentials"),
        }
        self.rcenv = self.base_env | {
            "RCLONE_CONFIG": str(data / "no-rclone.conf"),
            "RCLONE_CONFIG_BENCH_TYPE": "s3",
            "RCLONE_CONFIG_BENCH_PROVIDER": "Other",
            "RCLONE_CONFIG_BENCH_ENDPOINT": self.server.endpoint,
            "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": ACCESS_KEY,
            "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": SECRET_KEY,
            "RCLONE_CONFIG_BENCH_REGION": "auto",
        }
        self.aws = [venv / "bin" / "aws", "--endpoint-url", self.server.endpoint, "--region", "auto"] if venv else None
        self.awsenv = self.base_env | {"PATH": f"{venv / 'bin'}:{self.base_env['PATH']}"} if venv else None

    def stop(self):
        self.server.stop()

    def bucket(self, name):
        self.server.empty(name)
        return name

    def r2env(self, blog, bucket, manifest):
        return self.base_env | {
            "R2FILTER_BUCKET": bucket,
            "R2FILTER_ENDPOINT": self.server.endpoint,
            "R2FILTER_PUBLIC_URL": PUBLIC_URL,
            "R2FILTER_MANIFEST": str(manifest),
            "R2FILTER_ROOT": str(blog.site),
            "R2FILTER_CONCURRENCY": str(self.a.concurrency),
        }

    def rclone_copy(self, src, bucket, *extra):
        return [self.rclone, "copy", src, f"bench:{bucket}/images", *extra]


def run_blog(ctx, blog, tag):
    """The issue's table on one blog: cold, rerun, new out-dir, writes, fresh
    clone, changed. `tag` names the rows' group suffix (" @ scale")."""
    a, res, server = ctx.a, ctx.res, ctx.server
    n, cold_runs = a.repeat, a.cold_runs
    g = lambda group: group + tag  # noqa: E731
    work = blog.root

    if not tag:
        log("== floor, scan+splice, hashing")
        res.add("hash", "sha256sum (1 process)", [timed(["sha256sum", *blog.image_paths]) for _ in range(max(1, n // 2))], cmd="sha256sum IMAGES…")
        cpus = os.cpu_count()
        res.add("hash", f"sha256sum (xargs -P{cpus})", [timed(["sh", "-c", f"xargs -a {blog.img_list} -d '\\n' -P{cpus} -n {max(1, len(blog.image_paths) // (cpus * 4))} sha256sum >/dev/null"]) for _ in range(max(1, n // 2))], cmd=f"xargs -P{cpus} sha256sum")
        ss = json.loads(subprocess.run([ctx.batch, "--scan-splice", blog.posts], capture_output=True, text=True, check=True).stdout)
        res.scan_splice = ss
        log(f"  scan+splice: {ss['mb_per_s']} MB/s ({ss['bytes'] / 1e6:.1f} MB, {ss['references']} references, best of 5)")

        def dry():
            m = work / "dry.json"
            for p in (m, Path(str(m) + ".cache")):
                p.unlink(missing_ok=True)
            return timed([ctx.r2filter, "--dry-run", blog.posts, "--out-dir", work / "dry-out"], env=ctx.r2env(blog, "dry-run", m))

        res.add("hash", "r2filter --dry-run (scan+resolve+hash, no cache)", [dry() for _ in range(max(1, n // 2))], cmd="r2filter --dry-run site/posts --out-dir out")

    # ---- cold: each tool into its own empty bucket, alternating rounds.
    log(f"== cold{tag}: {cold_runs} alternating rounds, each run into its own bucket")
    counter = {}

    def cold_r2filter():
        i = counter["r2filter"] = counter.get("r2filter", -1) + 1
        m = work / f"cold-{i}" / "r2filter-manifest.json"
        shutil.rmtree(m.parent, ignore_errors=True)
        m.parent.mkdir(parents=True)
        s = timed([ctx.r2filter, blog.posts, "--out-dir", m.parent / "out"], env=ctx.r2env(blog, ctx.bucket(f"cold-r2filter-{i}"), m), server=server)
        if i > 0:  # round 0's bucket, manifest and out-dir serve the runs below
            server.drop(f"cold-r2filter-{i}")
            shutil.rmtree(m.parent)
        return s

    def peer(name, make):
        def fn():
            i = counter[name] = counter.get(name, -1) + 1
            s = make(ctx.bucket(f"cold-{name}-{i}"))
            if i > 0:  # keep round 0's bucket (the fresh-clone sync uses it)
                server.drop(f"cold-{name}-{i}")
            return s
        return fn

    tools = {"r2filter": cold_r2filter}
    if ctx.rclone:
        tools["rclone"] = peer("rclone", lambda b: timed(ctx.rclone_copy(blog.img_dir, b), env=ctx.rcenv, server=server))
        if not tag:
            tools["rclone16"] = peer("rclone16", lambda b: timed(ctx.rclone_copy(blog.img_dir, b, "--transfers", "16"), env=ctx.rcenv, server=server))
    if ctx.aws and not tag:
        tools["aws-cp"] = peer("aws-cp", lambda b: timed(ctx.aws + ["s3", "cp", "--recursive", "--quiet", blog.img_dir, f"s3://{b}/images"], env=ctx.awsenv, server=server))
        tools["aws-sync"] = peer("aws-sync", lambda b: timed(ctx.aws + ["s3", "sync", "--quiet", blog.img_dir, f"s3://{b}/images"], env=ctx.awsenv, server=server))
    # At scale, two rounds: each cold run there takes tens of seconds.
    cold = alternate(cold_runs if not tag else min(cold_runs, 2), tools)
    r2 = res.add(g("cold"), "r2filter", cold["r2filter"], cmd="r2filter site/posts --out-dir out (empty bucket, no manifest)")
    res.add(g("cold"), "rclone copy (default --transfers 4)", cold.get("rclone"), cmd="rclone copy site/posts/images bench:BUCKET/images")
    if not tag:
        res.add(g("cold"), "rclone copy --transfers 16", cold.get("rclone16"), cmd="rclone copy … --transfers 16")
        res.add(g("cold"), "aws s3 cp --recursive", cold.get("aws-cp"), cmd="aws s3 cp --recursive site/posts/images s3://BUCKET/images")
        res.add(g("cold"), "aws s3 sync", cold.get("aws-sync"), cmd="aws s3 sync site/posts/images s3://BUCKET/images")
        if ctx.aws:
            seq = [ctx.venv / "bin" / "python", REPO / "bench" / "seq_upload.py", "--endpoint", server.endpoint, "--bucket", ctx.bucket("cold-seq"), "--src", blog.posts, "--out", work / "seq-out"]
            try:
                s = [timed(seq, env=ctx.awsenv, server=server)]
            except PeerFailed as e:
                log(f"  sequential uploader: FAILED\n{e}")
                s = None
            res.add(g("cold"), "sequential uploader (blog post's script)", s, cmd="python3 bench/seq_upload.py …", note="one PUT per reference, no dedupe, 1 run")
            server.drop("cold-seq")
    if r2 and r2["by_method"]:
        res.notes[g("requests per new image")] = (r2["requests"] / blog.images_n, r2["by_method"])

    # ---- rerun into the same out-dir (round 0's manifest, stat cache, out-dir).
    log(f"== rerun{tag}: same out-dir, warm manifest and stat cache")
    m0 = work / "cold-0" / "r2filter-manifest.json"
    env0 = ctx.r2env(blog, "cold-r2filter-0", m0)
    rerun = [ctx.r2filter, blog.posts, "--out-dir", m0.parent / "out"]
    timed(rerun, env=env0)  # the stat cache is written by the first warm run
    tools = {
        "r2filter": lambda: timed(rerun, env=env0, server=server),
        "floor": lambda: timed([ctx.batch, "--floor", blog.posts, blog.img_list]),
    }
    if ctx.rclone:
        tools["rclone"] = lambda: timed(ctx.rclone_copy(blog.img_dir, "cold-rclone-0"), env=ctx.rcenv, server=server)
        if not tag:
            tools["rclone-size"] = lambda: timed(ctx.rclone_copy(blog.img_dir, "cold-rclone-0", "--size-only"), env=ctx.rcenv, server=server)
    if ctx.aws and not tag:
        tools["aws-sync"] = lambda: timed(ctx.aws + ["s3", "sync", "--quiet", blog.img_dir, "s3://cold-aws-sync-0/images"], env=ctx.awsenv, server=server)
    reruns = alternate(n if not tag else max(3, n // 2), tools)
    res.add(g("rerun"), "r2filter (warm manifest + stat cache)", reruns["r2filter"], cmd="r2filter site/posts --out-dir out (again)")
    res.add(g("rerun"), "floor: read every post, stat every image", reruns["floor"], cmd="bench-batch --floor site/posts images.txt")
    res.add(g("rerun"), "rclone copy (no-op rerun)", reruns.get("rclone"), cmd="rclone copy site/posts/images bench:BUCKET/images (again)")
    if not tag:
        res.add(g("rerun"), "rclone copy --size-only (no-op rerun)", reruns.get("rclone-size"), cmd="rclone copy … --size-only (again)")
        res.add(g("rerun"), "aws s3 sync (no-op rerun)", reruns.get("aws-sync"), cmd="aws s3 sync … (again)")

        def warm_nocache():
            Path(str(m0) + ".cache").unlink(missing_ok=True)
            return timed(rerun, env=env0, server=server)

        res.add(g("rerun"), "r2filter (warm manifest, no stat cache)", [warm_nocache() for _ in range(max(1, n // 2))], cmd="r2filter … with the stat cache deleted")
        timed(rerun, env=env0)  # the stat cache warm again

    # ---- a warm run into a new out-dir (1,000 outputs written), and the writer alone.
    if not tag:
        log("== writes: warm run into a new out-dir; the batch writer against cp -r")
        k = {"i": 0}

        def fresh(name):
            k["i"] += 1
            d = work / f"{name}-{k['i']}"
            shutil.rmtree(d, ignore_errors=True)
            return d

        tools = {
            "r2filter": lambda: timed([ctx.r2filter, blog.posts, "--out-dir", fresh("newout")], env=env0, server=server),
            "writer": lambda: timed([ctx.batch, "--write", blog.md_only, fresh("write")]),
            "writer-fsync": lambda: timed([ctx.batch, "--write-fsync", blog.md_only, fresh("writefsync")]),
            "cp": lambda: timed(["cp", "-r", blog.md_only, fresh("cp")]),
        }
        w = alternate(n, tools)
        for s in w["writer"] + w["writer-fsync"]:
            s.inner = json.loads(s.stdout)["seconds"]
        res.add("writes", "r2filter warm run into a new out-dir", w["r2filter"], cmd="r2filter site/posts --out-dir NEW")
        res.add("writes", "batch writer: temp files, renames, one fsync per folder", w["writer"], cmd="bench-batch --write posts-md NEW")
        res.add("writes", "batch writer as before: an fsync per file", w["writer-fsync"], cmd="bench-batch --write-fsync posts-md NEW")
        res.add("writes", "cp -r of the same posts", w["cp"], cmd="cp -r posts-md NEW")
        res.notes["writer inner"] = (statistics.median(s.inner for s in w["writer"]), statistics.median(s.inner for s in w["writer-fsync"]))
        for d in work.glob("newout-*"):
            shutil.rmtree(d, ignore_errors=True)
        for pat in ("write-*", "writefsync-*", "cp-*"):
            for d in work.glob(pat):
                shutil.rmtree(d, ignore_errors=True)

    # ---- fresh CI clone, --in-place: new inodes and mtimes, the committed
    # manifest, no stat cache, no request.
    log(f"== fresh clone{tag}: --in-place on a copy of the site with the committed manifest")
    clones = {"r2filter": 0, "floor": 0, "aws": 0}

    def clone(name):
        clones[name] += 1
        d = work / f"clone-{name}-{clones[name]}"
        copy_site(blog.site, d)
        shutil.copyfile(m0, d / "r2filter-manifest.json")
        return d

    def clone_r2filter():
        d = clone("r2filter")
        env = ctx.r2env(blog, "cold-r2filter-0", d / "r2filter-manifest.json") | {"R2FILTER_ROOT": str(d)}
        s = timed([ctx.r2filter, "--in-place", d / "posts"], env=env, server=server)
        if s.total_requests:
            log(f"  r2filter made {s.requests} requests in a fresh clone: expected none")
        shutil.rmtree(d)
        return s

    def clone_floor():
        d = clone("floor")
        lst = d / "images.txt"
        lst.write_text("".join(f"{d / p.relative_to(blog.site)}\n" for p in blog.image_paths))
        s = timed([ctx.batch, "--clone-floor", d / "posts", lst])
        shutil.rmtree(d)
        return s

    def clone_aws():
        d = clone("aws")
        s = timed(ctx.aws + ["s3", "sync", "--quiet", d / "posts" / "images", "s3://cold-aws-sync-0/images"], env=ctx.awsenv, server=server)
        shutil.rmtree(d)
        return s

    tools = {"r2filter": clone_r2filter, "floor": clone_floor}
    if ctx.aws and not tag:
        tools["aws"] = clone_aws
    fc = alternate(3, tools)
    res.add(g("fresh clone"), "r2filter --in-place (committed manifest, no stat cache)", fc["r2filter"], cmd="cp -r site CLONE; r2filter --in-place CLONE/posts")
    res.add(g("fresh clone"), "floor: read every image, rewrite every post", fc["floor"], cmd="bench-batch --clone-floor CLONE/posts images.txt")
    if not tag:
        res.add(g("fresh clone"), "aws s3 sync (re-uploads: new mtimes)", fc.get("aws"), cmd="aws s3 sync CLONE/posts/images s3://BUCKET/images")

    if tag:
        return
    # ---- 1 % of the images changed.
    log("== 1 % of the images changed")
    rng = random.Random(7)
    changed = rng.sample(blog.image_paths, max(1, len(blog.image_paths) // 100))
    time.sleep(0.01)
    for p in changed:
        write_image(p, "png" if p.suffix == ".png" else "jpg", p.stat().st_size, rng)
    res.add("changed", f"r2filter ({len(changed)} images changed)", [timed(rerun, env=env0, server=server)], cmd="r2filter site/posts --out-dir out")
    for name, cmd, env in (
        ("aws s3 sync", ctx.aws and ctx.aws + ["s3", "sync", "--quiet", blog.img_dir, "s3://cold-aws-sync-0/images"], ctx.awsenv),
        ("rclone copy --size-only", ctx.rclone and ctx.rclone_copy(blog.img_dir, "cold-rclone-0", "--size-only"), ctx.rcenv),
        ("rclone copy", ctx.rclone and ctx.rclone_copy(blog.img_dir, "cold-rclone-0"), ctx.rcenv),
    ):
        if cmd:
            note = "misses same-size changes: see requests" if "size-only" in name else ""
            try:
                res.add("changed", name, [timed(cmd, env=env, server=server)], note=note)
            except PeerFailed as e:
                log(f"  {name}: FAILED\n{e}")
    for b in list((ctx.data / "s3").iterdir()):
        if b.is_dir():
            server.drop(b.name)


def run_scale(ctx, blog):
    """The scale row: the same runs on a blog ten times the size."""
    a, res = ctx.a, ctx.res
    run_blog(ctx, blog, " @ scale")
    m = blog.root / "cold-0" / "r2filter-manifest.json"
    out = json.loads(subprocess.run([ctx.batch, "--manifest-load", m], capture_output=True, text=True, check=True).stdout)
    res.notes["manifest load"] = out
    log(f"  manifest load: {out['objects']} objects, {out['bytes'] / 1e6:.1f} MB, {out['seconds'] * 1000:.1f} ms")
    for b in list((ctx.data / "s3").iterdir()):
        if b.is_dir():
            ctx.server.drop(b.name)
    shutil.rmtree(blog.root, ignore_errors=True)


def big_rss(ctx):
    count, mb = (int(x) for x in ctx.a.big.split("x"))
    if not count:
        return
    res, server = ctx.res, ctx.server
    log(f"== peak RSS: {count} × {mb} MB images")
    big = ctx.data / "big"
    big_posts = big / "posts"
    (big_posts / "images").mkdir(parents=True)
    brng = random.Random(3)
    for i in range(count):
        write_image(big_posts / "images" / f"big-{i:03d}.png", "png", mb * 1_000_000, brng)
    for p in range(max(1, count // 10)):
        imgs = [f"big-{i:03d}.png" for i in range(p, count, max(1, count // 10))]
        write_post(big_posts / f"post-{p:03d}.md", p, imgs, 1, brng)
    blog = type("B", (), {"site": big})
    env = ctx.r2env(blog, ctx.bucket("big"), big / "m.json")
    res.add("rss", f"r2filter cold, {count} × {mb} MB", [timed([ctx.r2filter, big_posts, "--out-dir", big / "out"], env=env, server=server)], cmd="r2filter posts --out-dir out")
    server.drop("big")
    if ctx.rclone:
        try:
            res.add("rss", f"rclone copy, {count} × {mb} MB", [timed([ctx.rclone, "copy", big_posts / "images", f"bench:{ctx.bucket('big')}/images"], env=ctx.rcenv, server=server)], cmd="rclone copy posts/images bench:big/images")
        except PeerFailed as e:
            log(f"  rclone: FAILED\n{e}")
        server.drop("big")
    res.big = (count, mb)
    shutil.rmtree(big, ignore_errors=True)


def mdbook_rows(ctx):
    sys.path.insert(0, str(REPO / "bench"))
    import mdbook_overhead

    log(f"== mdBook: {ctx.a.mdbook} alternating builds of fixtures/book with and without the preprocessor")
    try:
        ctx.res.mdbook = mdbook_overhead.measure(ctx.a.mdbook, 0, ctx.bindir / "mdbook-r2filter", install=not ctx.a.smoke)
    except mdbook_overhead.NoMdbook as e:
        log(f"  skipped: {e}")


# ---------------------------------------------------------------- report


def ratio(a, b):
    return a / b if b else float("inf")


def report(a, res, work, base, scale):
    g = res.get
    lines = []
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = res.load
    lines.append(f"`python3 bench/run.py{' --smoke' if a.smoke else ''}`, {a.profile} build, {res.started} to {res.finished}.")
    lines.append("")
    lines.append(f"Machine: {platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}), {mem:.0f} GiB RAM; page cache warm. "
                 f"Load average (1 min) during the run: median {load['median']:.1f}, min {load['min']:.1f}, max {load['max']:.1f} ({load['n']} samples).")
    lines.append(f"Data: {base.posts_n} posts ({base.md_bytes / 1e6:.1f} MB Markdown), {base.refs_n} image references, {base.images_n} distinct images ({base.img_bytes / 1e6:.0f} MB, {base.img_bytes / base.images_n / 1e3:.0f} KB on average); r2filter -j {a.concurrency}.")
    if scale:
        lines.append(f"Scale: {scale.posts_n} posts ({scale.md_bytes / 1e6:.1f} MB), {scale.refs_n} references, {scale.images_n} images ({scale.img_bytes / 1e6:.0f} MB, {scale.img_bytes / scale.images_n / 1e3:.1f} KB on average: fewer bytes per image so the run takes minutes).")
    lines.append("")
    lines.append("Times are medians of alternating runs (r2filter, peer, r2filter, peer, …); every ratio compares runs of this session.")
    lines.append("")
    lines.append("| run | tool | time (median) | runs | ratio | requests | peak RSS |")
    lines.append("|---|---|---:|---:|---:|---:|---:|")
    refs = {}
    for group in ("cold", "rerun", "fresh clone", "changed", "cold @ scale", "rerun @ scale", "fresh clone @ scale"):
        refs[group] = next((r for r in res.rows if r["group"] == group and r["name"].startswith("r2filter") and r["runs"]), None)
    refs["writes"] = g("writes", "batch writer: temp files, renames, one fsync per folder")
    for r in res.rows:
        ref = refs.get(r["group"])
        if ref is r:
            x = "1.00×"
        elif ref and r["runs"]:
            x = f"{ratio(r['seconds'], ref['seconds']):.2f}×"
        else:
            x = ""
        t = f"{r['seconds']:.3f} s" if r["runs"] else r["note"] or "skipped"
        reqs = "" if r["requests"] is None else str(r["requests"])
        note = f" ({r['note']})" if r["note"] and r["runs"] else ""
        rss = f"{r['rss_mb']:.0f} MB" if r["runs"] else ""
        lines.append(f"| {r['group']} | {r['name']}{note} | {t} | {r['runs']} | {x} | {reqs} | {rss} |")
    lines.append("")
    lines.append("Ratio: the row's time over r2filter's in the same group (above 1: r2filter is faster).")
    lines.append("")
    ss = getattr(res, "scan_splice", None)
    if ss:
        lines.append(f"Scan + splice: **{ss['mb_per_s']:.0f} MB/s** of Markdown ({ss['bytes'] / 1e6:.1f} MB, {ss['references']} references rewritten, in memory, best of 5).")
    hash_r2 = g("hash", "r2filter --dry-run (scan+resolve+hash, no cache)")
    for name in ("sha256sum (1 process)", f"sha256sum (xargs -P{os.cpu_count()})"):
        h = g("hash", name)
        if h and hash_r2:
            lines.append(f"Hashing: r2filter {base.img_bytes / 1e6 / hash_r2['seconds']:.0f} MB/s vs {name} {base.img_bytes / 1e6 / h['seconds']:.0f} MB/s ({ratio(h['seconds'], hash_r2['seconds']):.2f}×).")
    inner = res.notes.get("writer inner")
    if inner:
        lines.append(f"Batch writer alone (in-process timing of {base.posts_n} outputs): {inner[0] * 1000:.1f} ms; with an fsync per file {inner[1] * 1000:.1f} ms.")
    ml = res.notes.get("manifest load")
    if ml:
        lines.append(f"Manifest load at scale: {ml['objects']} objects, {ml['bytes'] / 1e6:.1f} MB of JSON, **{ml['seconds'] * 1000:.1f} ms** (median of 5, in-process).")
    md = getattr(res, "mdbook", None)
    if md:
        lines.append(f"mdBook, fixtures/book, medians of {md['n']} alternating rounds: without r2filter {md['without'] * 1000:.1f} ms; " + "; ".join(f"{v['name']} {v['with'] * 1000:.1f} ms ({v['overhead'] * 100:+.1f} %, {(v['with'] - md['without']) * 1000:+.1f} ms)" for v in md["variants"]) + f"; mdbook-r2filter is {md['binary_mb']:.1f} MB.")
    lines.append("")
    lines.append("Targets:")

    def target(ok, text):
        lines.append(f"- [{'x' if ok else ' '}] {text}")

    rpi = res.notes.get("requests per new image")
    if rpi:
        target(rpi[0] <= 1.05, f"cold: at most 1.05 requests per new image: {rpi[0]:.4f} ({', '.join(f'{k} {v}' for k, v in sorted(rpi[1].items()))} for {base.images_n} images)")
    r2_cold, rc = g("cold", "r2filter"), g("cold", "rclone copy (default --transfers 4)")
    if r2_cold and rc:
        target(ratio(rc["seconds"], r2_cold["seconds"]) >= 1.5, f"cold ≥ 1.5× rclone copy (median of {r2_cold['runs']} alternating runs, separate buckets): {ratio(rc['seconds'], r2_cold['seconds']):.2f}× ({r2_cold['seconds']:.2f} s vs {rc['seconds']:.2f} s)")
    for name, want in (("rclone copy --transfers 16", 1.0), ("sequential uploader (blog post's script)", 5.0)):
        p = g("cold", name)
        if r2_cold and p:
            target(ratio(p["seconds"], r2_cold["seconds"]) >= want, f"cold ≥ {want:.1f}× {name}: {ratio(p['seconds'], r2_cold['seconds']):.2f}×")
    warm, floor = g("rerun", "r2filter (warm manifest + stat cache)"), g("rerun", "floor: read every post, stat every image")
    if warm:
        target(warm["requests"] == 0, f"rerun makes 0 requests: {warm['requests']}")
        rcw = g("rerun", "rclone copy (no-op rerun)")
        if rcw:
            target(ratio(rcw["seconds"], warm["seconds"]) >= 5, f"rerun ≥ 5× faster than rclone's no-op rerun: {ratio(rcw['seconds'], warm['seconds']):.1f}×")
        if floor:
            target(ratio(warm["seconds"], floor["seconds"]) <= 3, f"rerun within 3× of the floor: {ratio(warm['seconds'], floor['seconds']):.2f}× ({warm['seconds'] * 1000:.0f} ms vs {floor['seconds'] * 1000:.0f} ms)")
    wr, cp = g("writes", "batch writer: temp files, renames, one fsync per folder"), g("writes", "cp -r of the same posts")
    if wr and cp:
        target(ratio(wr["seconds"], cp["seconds"]) <= 1.5, f"writing {base.posts_n} outputs ≤ 1.5× cp -r of the same files: {ratio(wr['seconds'], cp['seconds']):.2f}× ({wr['seconds'] * 1000:.0f} ms vs {cp['seconds'] * 1000:.0f} ms; an fsync per file: {ratio(g('writes', 'batch writer as before: an fsync per file')['seconds'], cp['seconds']):.1f}×)")
    fc, fcf, fca = g("fresh clone", "r2filter --in-place (committed manifest, no stat cache)"), g("fresh clone", "floor: read every image, rewrite every post"), g("fresh clone", "aws s3 sync (re-uploads: new mtimes)")
    if fc and fcf:
        lines.append(f"- fresh clone: {ratio(fc['seconds'], fcf['seconds']):.2f}× the floor ({fc['seconds'] * 1000:.0f} ms vs {fcf['seconds'] * 1000:.0f} ms), {fc['requests']} requests" + (f"; {ratio(fca['seconds'], fc['seconds']):.1f}× faster than aws s3 sync ({fca['requests']} requests)" if fca else ""))
    if md:
        for v in md["variants"]:
            target(v["overhead"] <= 0.10, f"mdBook warm overhead ≤ 10 % on fixtures/book ({v['name']}): {v['overhead'] * 100:+.1f} %")
    big = [r for r in res.rows if r["group"] == "rss" and r["name"].startswith("r2filter") and r["runs"]]
    if big:
        target(big[0]["rss_mb"] <= 100, f"peak RSS ≤ 100 MB uploading {big[0]['name'].split(', ')[1]} images: {big[0]['rss_mb']:.0f} MB")
    if scale:
        rows = [r for r in res.rows if r["group"].endswith("@ scale") and r["name"].startswith("r2filter") and r["runs"]]
        if rows:
            peak = max(r["rss_mb"] for r in rows)
            target(peak <= 200, f"scale ({scale.posts_n} posts, {scale.images_n} images): peak RSS ≤ 200 MB: {peak:.0f} MB")
        rpi_s = res.notes.get("requests per new image @ scale")
        if rpi_s:
            target(rpi_s[0] <= 1.05, f"scale cold: at most 1.05 requests per new image: {rpi_s[0]:.4f}")
        lines.append("")
        lines.append(f"Growth from {base.posts_n} to {scale.posts_n} posts ({scale.posts_n / base.posts_n:.0f}× the posts, {scale.images_n / base.images_n:.0f}× the images):")
        for group, name in (("cold", "r2filter"), ("rerun", "r2filter (warm manifest + stat cache)"), ("fresh clone", "r2filter --in-place (committed manifest, no stat cache)"), ("rerun", "floor: read every post, stat every image"), ("cold", "rclone copy (default --transfers 4)"), ("rerun", "rclone copy (no-op rerun)")):
            b, s = g(group, name), g(group + " @ scale", name)
            if b and s:
                lines.append(f"- {group}, {name}: {b['seconds']:.3f} s → {s['seconds']:.3f} s ({ratio(s['seconds'], b['seconds']):.1f}×), peak RSS {b['rss_mb']:.0f} → {s['rss_mb']:.0f} MB")
    if ss:
        target(ss["mb_per_s"] >= 100, f"scan+splice ≥ 100 MB/s: {ss['mb_per_s']:.0f} MB/s")
    lines.append("")
    lines.append("Commands (run by bench/run.py; BUCKET, NEW and CLONE are fresh per run):")
    lines.append("")
    seen = set()
    for r in res.rows:
        if r["cmd"] and r["cmd"] not in seen:
            seen.add(r["cmd"])
            lines.append(f"- {r['name']}: `{r['cmd']}`")
    text = "\n".join(lines) + "\n"
    print(text)
    work.mkdir(parents=True, exist_ok=True)
    (work / "results.md").write_text(text)
    (work / "results.json").write_text(json.dumps({"rows": res.rows, "notes": {k: v for k, v in res.notes.items()}, "scan_splice": ss, "mdbook": md, "load": load}, indent=2, default=str))
    log(f"(written to {work / 'results.md'} and results.json)")


if __name__ == "__main__":
    main()
