"""What the passage search costs beside the diff it accompanies, in the same run (issue 9).

"Passage alignment runs only when it can change the answer and costs no more
than the diff itself." Two places run it:

  record   registration: `provenance.editrecord.build` seeks passages
           (`compare.excerpt_passages`, through ``cjk``) beside the record's
           minimal diff (`diff.diff(parent, child, semantic=False)`), for a
           pair whose raw lengths differ (``SEEK_BELOW``);
  compare  `prov diff --normalize cjk`: `compare.find_passage` before the
           comparison's diff of the whole texts (`lensdiff.diff_under`).

Pairs: every consecutive revision pair of ../shared/corpus that the record
seeks passages for, and the seeds (a newspaper page and a segmented copy of
one of its reports). Each timing is the median of ``--repeat`` runs with the
lenses' caches emptied before each (a registration meets new texts). Printed:
per pair the passage search's time over the diff's, then the median and the
largest of those ratios and the ratio of the totals.

Run: .venv/bin/python benchmarks/passages.py [--repeat 5] [--all]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from itertools import pairwise
from pathlib import Path

from provenance import compare, diff, editrecord, lensdiff, lenses

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def pairs() -> list[tuple[str, str, str]]:
    out = []
    seen = set()
    for doc in sorted(p for p in CORPUS.glob("*/*") if p.is_dir()):
        for old, new in pairwise(sorted(doc.glob("*.md"))):
            a, b = old.read_text(encoding="utf-8"), new.read_text(encoding="utf-8")
            shorter, longer = sorted((len(a), len(b)))
            if longer and shorter < editrecord.SEEK_BELOW * longer and (a, b) not in seen:
                seen.add((a, b))
                out.append((f"{doc.name[:34]} {old.name[:4]}", a, b))
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    if len(seeds) >= 2:
        out.append(("seeds", seeds[0].read_text(encoding="utf-8"), seeds[1].read_text(encoding="utf-8")))
    return out


def cold(fn, repeat: int) -> float:
    """Median milliseconds of ``fn()`` with the lenses' and the lens diff's caches emptied before each run."""
    times = []
    for _ in range(repeat):
        for cached in (
            getattr(lenses, "_recent", None),
            getattr(lenses, "_recent_text", None),
            getattr(lensdiff, "_recent_diff", None),
        ):
            if cached is not None:
                cached.cache_clear()
        started = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--all", action="store_true", help="print every pair, not only the costliest")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} is absent (the corpus lives beside the repository)")
        return 0
    rows = []
    for name, a, b in pairs():
        record = cold(lambda a=a, b=b: diff.diff(a, b, semantic=False), args.repeat)
        seek = cold(lambda a=a, b=b: compare.excerpt_passages(a, b, editrecord.PASSAGE_LENS), args.repeat)
        whole = cold(lambda a=a, b=b: lensdiff.diff_under(a, b, "cjk"), args.repeat)
        find = cold(lambda a=a, b=b: compare.find_passage(a, b, "cjk"), args.repeat)
        found = compare.find_passage(a, b, "cjk") is not None
        rows.append((name, len(a), len(b), record, seek, whole, find, found))
    head = (
        f"{'pair':<40}{'chars':>14}{'record ms':>11}{'passages':>10}{'x':>7}"
        f"{'diff cjk':>10}{'find':>8}{'x':>7}  passage"
    )
    print(head)
    print("-" * len(head))
    shown = rows if args.all else sorted(rows, key=lambda r: -max(r[4] / r[3], r[6] / r[5]))[:12]
    for name, la, lb, record, seek, whole, find, found in shown:
        print(
            f"{name:<40}{f'{la}/{lb}':>14}{record:>11.2f}{seek:>10.2f}{seek / record:>7.2f}"
            f"{whole:>10.2f}{find:>8.2f}{find / whole:>7.2f}  {'yes' if found else ''}"
        )
    for label, num, den in (("record", 4, 3), ("compare", 6, 5)):
        ratios = [r[num] / r[den] for r in rows]
        total = sum(r[num] for r in rows) / sum(r[den] for r in rows)
        print(
            f"\n{label}: passage search / its diff over {len(rows)} pairs: median {statistics.median(ratios):.2f}, "
            f"largest {max(ratios):.2f}, totals {total:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
