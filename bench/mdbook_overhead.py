#!/usr/bin/env python3
"""mdBook build overhead of the r2filter preprocessor on a warm manifest.

    python3 bench/mdbook_overhead.py [N] [COPIES] [OTHER_MDBOOK_R2FILTER]

Copies fixtures/book (with COPIES extra copies of its guide/ chapters,
default 0, to make a book of realistic size) once without
[preprocessor.r2filter] and once per variant with it (a local store, so no
server is needed): the release `mdbook-r2filter` as book.toml.example
configures it, and the same with `renderers = ["html"]` (mdBook then skips
the `supports` start); OTHER_MDBOOK_R2FILTER adds a row for another build of
the binary. Each copy is built once (the first build with the preprocessor
uploads: the manifest and stat cache are then warm), then N (default 40)
rounds build every copy in turn; medians and overheads are printed. Uses the
`mdbook` CLI from PATH, or installs mdBook 0.5.4 with cargo into
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


def measure(n=40, copies=0, preprocessor=None, install=True, others=()):
    """Medians of n rounds of builds without the preprocessor and with each
    variant; returns {"n", "without", "variants": [{name, with, overhead, …}],
    and the first variant's "with", "overhead", "binary_mb"}."""
    mdbook = find_mdbook(install)
    if preprocessor is None:
        subprocess.run(["cargo", "build", "-q", "--release", "-p", "mdbook-r2filter"], cwd=REPO, check=True)
        preprocessor = REPO / "target" / "release" / "mdbook-r2filter"
    variants = [("mdbook-r2filter", preprocessor, ""), ('mdbook-r2filter, renderers = ["html"]', preprocessor, 'renderers = ["html"]\n')]
    variants += [(f"{name}", path, "") for name, path in others]
    work = REPO / "target" / "bench" / "mdbook"
    shutil.rmtree(work, ignore_errors=True)
    ignore = shutil.ignore_patterns("book", "r2filter-manifest.json*")
    books = {"without": work / "without"} | {name: work / f"with-{i}" for i, (name, _, _) in enumerate(variants)}
    for book in books.values():
        shutil.copytree(REPO / "fixtures" / "book", book, ignore=ignore)
        for k in range(1, copies + 1):
            shutil.copytree(book / "src" / "guide", book / "src" / f"guide-{k}")
            with open(book / "src" / "SUMMARY.md", "a") as f:
                f.write(f"- [Getting started {k}](guide-{k}/setup.md)\n  - [Screens {k}](guide-{k}/deep/screens.md)\n")
    text = (books["without"] / "book.toml").read_text()
    (books["without"] / "book.toml").write_text(text[: text.index("[preprocessor.r2filter]")])
    for i, (name, path, extra) in enumerate(variants):
        with open(books[name] / "book.toml", "a") as f:
            f.write(f'command = "{path}"\nlocal-store = "{work / f"bucket-{i}"}"\n{extra}')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("R2FILTER_", "AWS_"))}

    def build(book):
        """Wall time, and CPU time of mdbook and its children (the
        preprocessor's starts included): on a shared machine the CPU time is
        what the build costs, the wall time also what others took."""
        t = time.perf_counter()
        p = subprocess.Popen([str(mdbook), "build", str(book)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"mdbook build {book} failed")
        cpu_times[book].append(ru.ru_utime + ru.ru_stime)
        return wall

    cpu_times = {book: [] for book in books.values()}
    for book in books.values():
        build(book)  # uploads once; every output exists from here on
        cpu_times[book].clear()
    times = {name: [] for name in books}
    for _ in range(n):
        for name, book in books.items():
            times[name].append(build(book))
    med = {k: statistics.median(v) for k, v in times.items()}
    r = subprocess.run([str(mdbook), "build", str(books[variants[0][0]])], env=env, capture_output=True, text=True)
    summary = next((line for line in r.stderr.splitlines() if line.startswith("r2filter:")), "")
    shutil.rmtree(work, ignore_errors=True)
    cpu = {name: statistics.median(cpu_times[book]) for name, book in books.items()}
    rows = [
        {"name": name, "with": med[name], "overhead": med[name] / med["without"] - 1, "min": min(times[name]),
         "cpu": cpu[name], "cpu_overhead": cpu[name] / cpu["without"] - 1, "binary_mb": Path(path).stat().st_size / 1e6}
        for name, path, _ in variants
    ]
    return {"n": n, "without": med["without"], "min_without": min(times["without"]), "cpu_without": cpu["without"], "variants": rows, "summary": summary,
            "with": rows[0]["with"], "overhead": rows[0]["overhead"], "binary_mb": rows[0]["binary_mb"]}


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    copies = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    others = [(f"other: {sys.argv[3]}", Path(sys.argv[3]))] if len(sys.argv) > 3 else []
    m = measure(n, copies, others=others)
    print(f"{'':44} wall (median, min)           CPU of mdbook + preprocessor (median)   (n={n} rounds)")
    print(f"{'without r2filter':44} {m['without'] * 1000:7.1f} ms {m['min_without'] * 1000:7.1f} ms             {m['cpu_without'] * 1000:7.1f} ms")
    for v in m["variants"]:
        print(f"{v['name'][:44]:44} {v['with'] * 1000:7.1f} ms {v['min'] * 1000:7.1f} ms {v['overhead'] * 100:+6.1f} %    {v['cpu'] * 1000:7.1f} ms {v['cpu_overhead'] * 100:+6.1f} % ({(v['cpu'] - m['cpu_without']) * 1000:+.1f} ms)   binary {v['binary_mb']:.1f} MB")
    print(m["summary"])
