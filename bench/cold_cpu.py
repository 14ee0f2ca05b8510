#!/usr/bin/env python3
"""Cold-path CPU accounting: wall time, client CPU (from /usr/bin/time) and
server CPU (from /proc) for r2filter at the given -j values and for rclone, on
the same 1 GB blog and the same loopback s3s-fs server. Everything shares the
machine's CPUs, so this shows who spends them.

    cargo build --release -p r2filter -p r2filter-bench --bins
    python3 bench/cold_cpu.py 16 4
"""
import os, sys, subprocess, shutil, time, json
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as B
BIN = B.REPO / "target" / "release"; data = B.REPO / "target" / "bench" / "cold-cpu"
shutil.rmtree(data, ignore_errors=True); data.mkdir(parents=True)
site = data/"site"
imgs = B.generate(site, 1000, 5000, 2000, 1000, 5)
posts = site/"posts"
server = B.Server(BIN/"s3-server", data/"s3", ["bench-r2filter","bench-rclone","bench-rclone16"])
def cpu(pid):
    f=open(f"/proc/{pid}/stat").read().split(")")[-1].split()
    return (int(f[11])+int(f[12]))/os.sysconf("SC_CLK_TCK")
env = {k:v for k,v in os.environ.items() if not k.startswith(("AWS_","R2FILTER_","RCLONE_"))} | {
  "AWS_ACCESS_KEY_ID": B.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": B.SECRET_KEY, "AWS_EC2_METADATA_DISABLED":"true",
  "AWS_CONFIG_FILE":"/nonexistent","AWS_SHARED_CREDENTIALS_FILE":"/nonexistent"}
def run(name, cmd, e):
    s0=cpu(server.proc.pid); t=time.perf_counter()
    p=subprocess.run(["/usr/bin/time","-f","%e %U %S"]+[str(c) for c in cmd], env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall=time.perf_counter()-t; s1=cpu(server.proc.pid)
    last=p.stderr.strip().splitlines()[-1].split()
    print(f"{name:34} wall {wall:6.2f}s  client cpu {float(last[1])+float(last[2]):6.2f}s  server cpu {s1-s0:6.2f}s  rc={p.returncode}", flush=True)
for j in sys.argv[1:] or ["16"]:
    for f in (data/"m.json", data/"m.json.cache"): f.unlink(missing_ok=True)
    server.empty("bench-r2filter")
    run(f"r2filter -j {j}", [BIN/"r2filter", posts, "--out-dir", data/f"out{j}"], env | {"R2FILTER_BUCKET":"bench-r2filter","R2FILTER_ENDPOINT":server.endpoint,"R2FILTER_PUBLIC_URL":"https://assets.example.com","R2FILTER_MANIFEST":str(data/"m.json"),"R2FILTER_ROOT":str(site),"R2FILTER_CONCURRENCY":j})
    shutil.rmtree(data/f"out{j}", ignore_errors=True)
rc = env | {"RCLONE_CONFIG_BENCH_TYPE":"s3","RCLONE_CONFIG_BENCH_PROVIDER":"Other","RCLONE_CONFIG_BENCH_ACCESS_KEY_ID":B.ACCESS_KEY,"RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY":B.SECRET_KEY,"RCLONE_CONFIG_BENCH_ENDPOINT":server.endpoint,"RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE":"true","RCLONE_CONFIG_BENCH_REGION":"auto"}
run("rclone copy (4 transfers)", ["rclone","copy",posts/"images","bench:bench-rclone/images"], rc)
run("rclone copy --transfers 16", ["rclone","copy",posts/"images","bench:bench-rclone16/images","--transfers","16"], rc)
server.stop()
shutil.rmtree(data, ignore_errors=True)
