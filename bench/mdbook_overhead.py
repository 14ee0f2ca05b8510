#!/usr/bin/env python3
"""mdBook build overhead of the r2filter preprocessor on a warm manifest.

    python3 bench/mdbook_overhead.py [N] [COPIES]

Copies fixtures/book twice (with COPIES extra copies of its guide/ chapters,
default 0, to make a book of realistic size), one copy with [preprocessor.r2filter] (a local
store, so no server is needed) and one without, builds each once (the first
build with the preprocessor uploads: the manifest and stat cache are then
warm), then alternates N (default 40) `mdbook build` runs of each and prints
the medians and the overhead. Uses the release `mdbook-r2filter`, built here,
and the `mdbook` CLI from PATH, or installs mdBook 0.5.4 with cargo into
target/bench/mdbook-cli (a few minutes, once). bench/run.py calls measure().
"""
import os, shutil, statistics, subprocess, sys, time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


class NoMdbook(Exception):
    pass


def find_mdbook(install=True):
    mdbook = shutil.which("mdbook")
    if mdbook:
        return Path(mdbook)
    root = REPO / "target" / "bench" / "mdbook-cli"
    mdbook = root / "bin" / "mdbook"
    if not mdbook.exists():
        if not install:
            raise NoMdbook("no mdbook on PATH")
        print("== installing mdbook 0.5.4 into", root, file=sys.stderr, flush=True)
        subprocess.run(["cargo", "install", "-q", "--locked", "mdbook", "--version", "0.5.4", "--root", str(root)], check=True)
    return mdbook


def measure(n=40, copies=0, preprocessor=None, install=True, extra_toml=""):
    """Medians of n alternating builds with and without the preprocessor."""
    mdbook = find_mdbook(install)
    if preprocessor is None:
        subprocess.run(["cargo", "build", "-q", "--release", "--bin", "mdbook-r2filter"], cwd=REPO, check=True)
        preprocessor = REPO / "target" / "release" / "mdbook-r2filter"
    work = REPO / "target" / "bench" / "mdbook"
    shutil.rmtree(work, ignore_errors=True)
    ignore = shutil.ignore_patterns("book", "r2filter-manifest.json*")
    with_, without = work / "with", work / "without"
    shutil.copytree(REPO / "fixtures" / "book", with_, ignore=ignore)
    shutil.copytree(REPO / "fixtures" / "book", without, ignore=ignore)
    for book in (with_, without):
        for k in range(1, copies + 1):
            shutil.copytree(book / "src" / "guide", book / "src" / f"guide-{k}")
            with open(book / "src" / "SUMMARY.md", "a") as f:
                f.write(f"- [Getting started {k}](guide-{k}/setup.md)\n  - [Screens {k}](guide-{k}/deep/screens.md)\n")
    with open(with_ / "book.toml", "a") as f:
        f.write(f'command = "{preprocessor}"\nlocal-store = "{work / "bucket"}"\n{extra_toml}')
    text = (without / "book.toml").read_text()
    (without / "book.toml").write_text(text[: text.index("[preprocessor.r2filter]")])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("R2FILTER_", "AWS_"))}

    def build(book):
        t = time.perf_counter()
        subprocess.run([str(mdbook), "build", str(book)], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t

    build(with_), build(without)  # uploads once; both outputs exist from here on
    times = {"with": [], "without": []}
    for _ in range(n):
        times["with"].append(build(with_))
        times["without"].append(build(without))
    med = {k: statistics.median(v) for k, v in times.items()}
    r = subprocess.run([str(mdbook), "build", str(with_)], env=env, capture_output=True, text=True)
    summary = next((line for line in r.stderr.splitlines() if line.startswith("r2filter:")), "")
    shutil.rmtree(work, ignore_errors=True)
    return {
        "n": n,
        "with": med["with"],
        "without": med["without"],
        "overhead": med["with"] / med["without"] - 1,
        "min_with": min(times["with"]),
        "min_without": min(times["without"]),
        "summary": summary,
        "binary_mb": Path(preprocessor).stat().st_size / 1e6,
    }


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    copies = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    m = measure(n, copies)
    print(f"with     median {m['with'] * 1000:7.1f} ms  min {m['min_with'] * 1000:7.1f}  (n={n})")
    print(f"without  median {m['without'] * 1000:7.1f} ms  min {m['min_without'] * 1000:7.1f}  (n={n})")
    print(f"overhead {m['overhead'] * 100:+.1f} % ({(m['with'] - m['without']) * 1000:+.1f} ms); mdbook-r2filter {m['binary_mb']:.1f} MB")
    print(m["summary"])
