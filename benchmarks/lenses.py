"""Lens text paths: the lens module as of an older commit against the working tree, same run.

    .venv/bin/python benchmarks/lenses.py [--old REV] [--repeat N]

Texts: the largest English version of github-site-policy, the largest Chinese
law of lawrefbook-zh-law-editions and a jieba-segmented copy of it. For each,
the references measured in this run (plain ``unicodedata.normalize('NFKC', t)``
and ``re.sub(r'\\s+', ' ', t)``), then old and new milliseconds (best of N) of
``normal_text`` per profile, ``comparison_text``, ``fold_forms_text`` (loose),
``sketch.comparison_code_points`` and ``normalize`` (cjk, with maps), and
whether old and new give the same result.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from provenance import lenses, sketch  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"


def old_lenses(rev: str):
    source = subprocess.run(
        ["git", "show", f"{rev}:provenance/lenses.py"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    path = Path("/tmp") / f"lenses_{rev}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"lenses_{rev}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def best_ms(f, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def largest(folder: Path) -> str:
    return max(folder.glob("*/*.md"), key=lambda p: p.stat().st_size).read_text()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", default="9c001d8", help="commit whose lens module is 'old'")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"no corpus at {CORPUS}")
    old = old_lenses(args.old)
    import logging

    import jieba

    jieba.setLogLevel(logging.ERROR)
    en = largest(CORPUS / "github-site-policy")
    zh = largest(CORPUS / "lawrefbook-zh-law-editions")
    texts = {"English": en, "Chinese": zh, "Chinese, segmented": " ".join(jieba.cut(zh))}

    for name, t in texts.items():
        report(name, t, old, args.repeat)


def report(name: str, t: str, old, r: int) -> None:
    def old_cps(t: str) -> np.ndarray:  # sketch's comparison code points over the old lens module
        form = old.comparison_text(t)
        return sketch._fold(np.frombuffer(form.encode("utf-32-le", "surrogatepass"), dtype="<u4"))

    ws = re.compile(r"\s+")
    print(f"\n{name}: {len(t):,} code points")
    print(f"  reference NFKC              {best_ms(lambda: unicodedata.normalize('NFKC', t), r):8.2f} ms")
    print(f"  reference re.sub(r's+',' ') {best_ms(lambda: ws.sub(' ', t), r):8.2f} ms")
    print(f"  {'function':28} {'old ms':>8} {'new ms':>8} {'speed-up':>9}  same")
    rows = [(f"normal_text {p}", (lambda m, p=p: m.normal_text(t, p))) for p in ("whitespace", "cjk", "loose")]
    rows += [
        ("comparison_text", lambda m: m.comparison_text(t)),
        ("fold_forms_text loose", lambda m: m.fold_forms_text(t, loose=True)),
        ("normalize cjk (maps)", lambda m: m.normalize(t, "cjk").text),
    ]
    for label, f in rows:
        a, b = best_ms(lambda f=f: f(old), r), best_ms(lambda f=f: f(lenses), r)
        print(f"  {label:28} {a:8.2f} {b:8.2f} {a / b:8.2f}x  {f(old) == f(lenses)}")
    a = best_ms(lambda: old_cps(t), r)
    b = best_ms(lambda: sketch.comparison_code_points(t), r)
    same = bool(np.array_equal(old_cps(t), sketch.comparison_code_points(t)))
    print(f"  {'sketch comparison form':28} {a:8.2f} {b:8.2f} {a / b:8.2f}x  {same}")

if __name__ == "__main__":
    main()
