"""The Python oracles of tests/testsuite/frontmatter.rs: tomllib (TOML, Hugo's `+++`)
and PyYAML (YAML 1.1, what MkDocs and Pelican read front matter with, when it
is installed). For each file named on the command line, finds the front
matter the way the README says (a BOM and blank lines may come first), parses
it, and prints one JSON line: {"file", "format", "tomllib" | "pyyaml":
{"data"} | {"error"}}. Nothing of r2filter is used."""

import json
import sys
import tomllib

try:
    import yaml
except ImportError:  # reported as missing; the Rust test decides what that means
    yaml = None


def extract(text):
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    trim = lambda line: line.rstrip(" \t\r")
    i = 0
    while i < len(lines) - 1 and trim(lines[i]) == "":
        i += 1
    opening = trim(lines[i])
    fmt = {"---": "yaml", "+++": "toml"}.get(opening)
    if fmt is None:
        return None
    closing = ("---", "...") if fmt == "yaml" else ("+++",)
    for j in range(i + 1, len(lines)):
        if trim(lines[j]) in closing:
            body = lines[i + 1 : j]
            return fmt, "\n".join(body) + "\n" if body else ""
    return None


def attempt(parse):
    try:
        return {"data": parse()}
    except Exception as e:  # any refusal is data for the comparison
        return {"error": str(e).split("\n")[0]}


for name in sys.argv[1:]:
    with open(name, encoding="utf-8", newline="") as f:
        found = extract(f.read())
    out = {"file": name, "format": found and found[0]}
    if found and found[0] == "toml":
        out["tomllib"] = attempt(lambda: tomllib.loads(found[1]))
    elif found and found[0] == "yaml":
        out["pyyaml"] = attempt(lambda: yaml.safe_load(found[1])) if yaml else {"missing": True}
    print(json.dumps(out, default=str, ensure_ascii=False))
