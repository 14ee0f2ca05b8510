#!/usr/bin/env python3
"""Big files (issue 24): one video published by r2filter, in parts (S3
multipart upload), against `aws s3 cp` and `rclone copy` of the same file to
the same loopback server; r2filter's peak RSS for several sizes; kill -9
trials; a run with faults injected into part uploads.

    cargo build --release -p r2filter -p r2filter-bench --bins
    python3 bench/media_upload.py [--size-mib 1024] [--repeat 3] [--kills 10]

`--smoke` (CI): the debug build, a 20 MiB video with a 6 MiB threshold, one
round, 2 kill trials, nothing installed (peers skipped unless on PATH).

The video is an MP4 header followed by random bytes (incompressible, and
sniffed as video/mp4 like a real one: r2filter reads it as it is, never
decodes it). Each round alternates the three tools, each into its own empty
bucket; r2filter starts without a manifest or stat cache, so its time
includes hashing the file (it names objects by their SHA-256), which the
peers do not do. The server is bench/src/bin/s3-server.rs (s3s-fs, SigV4
checked, counting requests); it writes every byte to disk, on the same disk
as the file read, so the numbers are the machine's, not a network's.

Peers: awscli (pinned below) from PyPI into a venv under the work folder,
rclone from Debian (`apt-get install rclone`), each with its defaults.
Peak RSS from /usr/bin/time. `--keep` keeps the work folder; otherwise the
big files are deleted at the end (and each bucket after each run).
"""

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as B  # noqa: E402  (the shared server, timing and peer helpers)

AWSCLI = "awscli==1.46.3"
MIB = 1024 * 1024
MP4_HEADER = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"


def target_dir():
    return Path(os.environ.get("CARGO_TARGET_DIR", B.REPO / "target"))


def write_video(path, size):
    """An MP4 header, then random bytes, `size` in all (written in 8 MiB steps)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    with open(path, "wb") as f:
        f.write(MP4_HEADER)
        h.update(MP4_HEADER)
        left = size - len(MP4_HEADER)
        while left > 0:
            chunk = os.urandom(min(8 * MIB, left))
            f.write(chunk)
            h.update(chunk)
            left -= len(chunk)
    return h.hexdigest()


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "R2FILTER_", "RCLONE_"))}
    return env | {
        "AWS_ACCESS_KEY_ID": B.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": B.SECRET_KEY,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


class Tools:
    def __init__(self, bindir, work, server, aws, rclone, threshold):
        self.bin, self.work, self.server, self.aws_bin, self.rclone = bindir, work, server, aws, rclone
        self.env = clean_env()
        if threshold:
            self.env["R2FILTER_MULTIPART_THRESHOLD"] = threshold

    def r2filter_env(self, bucket, site):
        return self.env | {
            "R2FILTER_BUCKET": bucket,
            "R2FILTER_ENDPOINT": self.server.endpoint,
            "R2FILTER_PUBLIC_URL": B.PUBLIC_URL,
            "R2FILTER_ROOT": str(site),
            "R2FILTER_MANIFEST": str(self.work / "manifest.json"),
            "R2FILTER_KEY_TEMPLATE": "{hash}.{ext}",
        }

    def fresh_manifest(self):
        for f in (self.work / "manifest.json", self.work / "manifest.json.cache"):
            f.unlink(missing_ok=True)
        for f in self.work.glob("manifest.json*"):
            f.unlink()

    def r2filter(self, bucket, site, post, extra_env=None):
        self.fresh_manifest()
        self.server.empty(bucket)
        env = self.r2filter_env(bucket, site) | (extra_env or {})
        return B.timed([self.bin / "r2filter", post, "--out-dir", self.work / "out"], env=env, server=self.server)

    def aws(self, bucket, video):
        self.server.empty(bucket)
        cmd = [self.aws_bin, "--endpoint-url", self.server.endpoint, "s3", "cp", video, f"s3://{bucket}/{video.name}"]
        return B.timed(cmd, env=self.env, server=self.server)

    def rclone_copy(self, bucket, video):
        self.server.empty(bucket)
        env = self.env | {
            "RCLONE_CONFIG_BENCH_TYPE": "s3",
            "RCLONE_CONFIG_BENCH_PROVIDER": "Other",
            "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": B.ACCESS_KEY,
            "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": B.SECRET_KEY,
            "RCLONE_CONFIG_BENCH_ENDPOINT": self.server.endpoint,
            "RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE": "true",
            "RCLONE_CONFIG_BENCH_REGION": "auto",
        }
        cmd = [self.rclone, "copy", video, f"bench:{bucket}/"]
        return B.timed(cmd, env=env, server=self.server)


def stored(server, bucket):
    """(key, sha256) of each object in the bucket folder."""
    out = []
    root = server.root / bucket
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h = hashlib.sha256()
            with open(p, "rb") as f:
                for chunk in iter(lambda: f.read(8 * MIB), b""):
                    h.update(chunk)
            out.append((str(p.relative_to(root)), h.hexdigest()))
    return out


def open_uploads(server):
    """Open multipart uploads s3s-fs holds (its `.upload-ID.json` records)."""
    return sorted(p.name for p in server.root.glob(".upload-*.json"))


def stored_parts(server):
    return len(list(server.root.glob(".upload_id-*")))


def head_to_head(tools, site, post, video, repeat):
    rows = {"r2filter": [], "aws s3 cp": [], "rclone copy": []}
    for r in range(repeat):
        B.log(f"== round {r + 1}/{repeat}")
        rows["r2filter"].append(tools.r2filter("bench-r2filter", site, post))
        if tools.aws_bin:
            rows["aws s3 cp"].append(tools.aws("bench-aws", video))
        if tools.rclone:
            rows["rclone copy"].append(tools.rclone_copy("bench-rclone", video))
        for name, samples in rows.items():
            if samples and len(samples) == r + 1:
                s = samples[-1]
                B.log(f"   {name:12} {s.seconds:7.2f}s  rss {s.rss_mb:7.1f} MB  requests {s.requests}")
    for b in ("bench-r2filter", "bench-aws", "bench-rclone"):
        tools.server.empty(b)
    return {k: v for k, v in rows.items() if v}


def rss_by_size(tools, site, sizes):
    out = []
    for mib in sizes:
        path = site / "rss" / f"clip-{mib}.mp4"
        write_video(path, mib * MIB)
        post = site / "rss" / f"post-{mib}.md"
        post.write_text(f'<video src="clip-{mib}.mp4"></video>\n')
        s = tools.r2filter("bench-r2filter", site, post)
        parts = s.requests.get("PUT", 0)
        B.log(f"   {mib:6} MiB: {s.seconds:6.2f}s  rss {s.rss_mb:6.1f} MB  {parts} parts")
        out.append({"mib": mib, "seconds": s.seconds, "rss_mb": s.rss_mb, "parts": parts})
        path.unlink()
        tools.server.empty("bench-r2filter")
    return out


def kill_trials(tools, site, post, sha, trials, size):
    """Start r2filter, kill -9 it once some parts are in (a moment that moves
    with the trial), rerun; the bucket must hold exactly the one right object
    and no upload may be left open."""
    results = []
    part = 8 * MIB
    nparts = -(-size // part)
    for t in range(trials):
        tools.fresh_manifest()
        tools.server.empty("bench-kill")
        env = tools.r2filter_env("bench-kill", site)
        cmd = [str(tools.bin / "r2filter"), str(post), "--out-dir", str(tools.work / "out")]
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        want = 1 + (t * 7919) % max(1, nparts - 2)
        began = time.time()
        while p.poll() is None and time.time() - began < 600:
            if stored_parts(tools.server) >= want:
                break
            time.sleep(0.01)
        finished = p.poll() is not None
        p.kill()
        p.wait()
        left = open_uploads(tools.server)
        parts_left = stored_parts(tools.server)
        rerun = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        objects = stored(tools.server, "bench-kill")
        ok = (
            rerun.returncode == 0
            and objects == [(f"{sha}.mp4", sha)]
            and not open_uploads(tools.server)
            and stored_parts(tools.server) == 0
        )
        aborted = "aborted the incomplete upload" in rerun.stderr
        B.log(f"   trial {t}: killed after {parts_left} stored part(s) (open uploads {len(left)}, finished first: {finished}); rerun ok: {ok}, stale upload aborted: {aborted}")
        results.append({"parts_at_kill": parts_left, "open_at_kill": len(left), "finished": finished, "ok": ok, "aborted": aborted})
        if not ok:
            B.log(rerun.stderr[-3000:])
    tools.server.empty("bench-kill")
    return results


def fault_run(tools, faulty, site, post, sha):
    tools.fresh_manifest()
    faulty.empty("bench-faults")
    env = tools.r2filter_env("bench-faults", site) | {"R2FILTER_ENDPOINT": faulty.endpoint}
    (tools.work / "r2filter.toml").write_text("max-attempts = 10\n")
    cmd = [tools.bin / "r2filter", post, "--out-dir", tools.work / "out", "--config", tools.work / "r2filter.toml"]
    s = B.timed(cmd, env=env, server=faulty)
    objects = stored(faulty, "bench-faults")
    ok = objects == [(f"{sha}.mp4", sha)] and not open_uploads(faulty)
    B.log(f"   faults: {s.requests}; {s.seconds:.2f}s; object right and no open upload: {ok}")
    faulty.empty("bench-faults")
    return {"seconds": s.seconds, "requests": s.requests, "ok": ok}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--rss-sizes", default="100,256,1024")
    ap.add_argument("--fault-permille", type=int, default=100)
    ap.add_argument("--no-install", action="store_true")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="CI: debug build, 20 MiB, install nothing")
    a = ap.parse_args()
    threshold = None
    bindir = target_dir() / "release"
    if a.smoke:
        bindir = target_dir() / "debug"
        a.size_mib, a.repeat, a.kills, a.rss_sizes, a.no_install = 20, 1, 2, "24", True
        a.fault_permille = 400
        threshold = "6MiB"
    for b in ("r2filter", "s3-server"):
        if not (bindir / b).exists():
            raise SystemExit(f"{bindir / b} is missing: cargo build [--release] -p r2filter -p r2filter-bench --bins")
    B.ensure_time()
    work = target_dir() / "bench" / "media"
    shutil.rmtree(work, ignore_errors=True)
    site = work / "site"
    site.mkdir(parents=True)
    aws = shutil.which("aws") if a.no_install else None
    if not a.no_install:
        venv = work.parent / "venv-media"
        aws = venv / "bin" / "aws"
        if not aws.exists():
            B.log("== installing", AWSCLI, "into", venv)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", AWSCLI], check=True)
    rclone = B.ensure_rclone(not a.no_install)
    size = a.size_mib * MIB
    video = site / "talk.mp4"
    B.log(f"== writing a {a.size_mib} MiB video")
    sha = write_video(video, size)
    post = site / "post.md"
    post.write_text('<video src="talk.mp4" controls></video>\n')
    server = B.Server(bindir / "s3-server", work / "s3", ["bench-r2filter", "bench-aws", "bench-rclone", "bench-kill"])
    faulty = FaultyServer(bindir / "s3-server", work / "s3-faulty", a.fault_permille)
    tools = Tools(bindir, work, server, aws, rclone, threshold)
    res = {"size_mib": a.size_mib, "load": os.getloadavg()}
    try:
        B.log("== head to head")
        rows = head_to_head(tools, site, post, video, a.repeat)
        res["head_to_head"] = {
            k: {
                "median_s": statistics.median(s.seconds for s in v),
                "runs_s": [s.seconds for s in v],
                "rss_mb": max(s.rss_mb for s in v),
                "requests": v[-1].requests,
            }
            for k, v in rows.items()
        }
        B.log("== peak RSS by size")
        res["rss"] = rss_by_size(tools, site, [int(x) for x in a.rss_sizes.split(",") if x])
        B.log(f"== {a.kills} kill -9 trials")
        res["kills"] = kill_trials(tools, site, post, sha, a.kills, size)
        B.log(f"== faults in {a.fault_permille}‰ of part uploads")
        res["faults"] = fault_run(tools, faulty, site, post, sha)
    finally:
        server.stop()
        faulty.stop()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(res)


class FaultyServer(B.Server):
    """The same server, with `--part-faults PERMILLE`."""

    def __init__(self, binary, root, permille):
        root.mkdir(parents=True, exist_ok=True)
        args = [str(binary), "--root", str(root), "--bucket", "bench-faults", "--part-faults", str(permille)]
        self.root = root
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            raise SystemExit(f"s3-server did not start: {line!r}")
        self.endpoint = line.split()[-1]


def report(res):
    h = res["head_to_head"]
    mib = res["size_mib"]
    print(f"\n### {mib} MiB video, median of {len(h['r2filter']['runs_s'])} (load {res['load'][0]:.2f})\n")
    print("| tool | median | MiB/s | runs | peak RSS | requests |")
    print("|---|---|---|---|---|---|")
    base = h["r2filter"]["median_s"]
    for name, r in h.items():
        runs = ", ".join(f"{x:.2f}" for x in r["runs_s"])
        ratio = "" if name == "r2filter" else f" ({r['median_s'] / base:.2f}× r2filter)"
        print(f"| {name} | {r['median_s']:.2f} s{ratio} | {mib / r['median_s']:.0f} | {runs} | {r['rss_mb']:.0f} MB | {json.dumps(r['requests'])} |")
    print("\n| file | r2filter peak RSS | parts | time |")
    print("|---|---|---|---|")
    for r in res["rss"]:
        print(f"| {r['mib']} MiB | {r['rss_mb']:.0f} MB | {r['parts']} | {r['seconds']:.2f} s |")
    k = res["kills"]
    mid = sum(1 for t in k if t["open_at_kill"] > 0)
    print(f"\nkill -9 trials: {len(k)}, {mid} killed with an upload open, {sum(t['ok'] for t in k)} ended with the one right object and no open upload, {sum(t['aborted'] for t in k)} reruns aborted a stale upload")
    f = res["faults"]
    print(f"faults: {f['requests']}, {f['seconds']:.2f} s, object right and no open upload: {f['ok']}")
    print("\n" + json.dumps(res, indent=1, default=str))


if __name__ == "__main__":
    main()
