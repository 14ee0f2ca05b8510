#!/usr/bin/env python3
"""Seeds every fuzz target's corpus (fuzz/corpus/TARGET/) with the 655
CommonMark spec examples (tests/data/commonmark/spec.txt) and every
regression input (fuzz/regressions/). The corpus itself is not committed:
libFuzzer grows it, and this rebuilds its seeds."""
import pathlib
import re

here = pathlib.Path(__file__).resolve().parent
spec = (here.parent / "tests/data/commonmark/spec.txt").read_text(encoding="utf-8")
fence = "`" * 32
examples = re.findall(
    r"^" + fence + r" example[^\n]*\n(.*?)^\.\n.*?^" + fence + r"$", spec, re.M | re.S
)
assert len(examples) == 655, len(examples)
seeds = {f"spec-{i + 1:03}": md.replace("\u2192", "\t") for i, md in enumerate(examples)}
for path in sorted((here / "regressions").iterdir()):
    seeds[path.stem] = path.read_text(encoding="utf-8")
for target in ["markdown", "mdx", "html_attributes", "front_matter"]:
    corpus = here / "corpus" / target
    corpus.mkdir(parents=True, exist_ok=True)
    for name, text in seeds.items():
        (corpus / name).write_text(text, encoding="utf-8")
print(f"{len(seeds)} seeds in each of 4 corpora under {here / 'corpus'}")
