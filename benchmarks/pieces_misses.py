"""How often the pieces cases of tests/test_passage_generated.py miss, over many seeds (issue 9).

The test runs 60 seeds per setting and pins its known misses; this runs the
same generator over ``--seeds`` seeds (default 1,000) per setting, so a fix
is measured on cases it was not tuned to. Prints the miss count and rate
per setting and the first few misses with their reasons.

Run: .venv/bin/python benchmarks/pieces_misses.py [--seeds 1000] [--start 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import test_passage_generated as gen  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1000)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--show", type=int, default=5)
    args = parser.parse_args()
    gen.jieba.setLogLevel(60)
    laws = gen._paragraphs()
    total = 0
    for reordered in (False, True):
        for pieces in (2, 3):
            misses = []
            for seed in range(args.start, args.start + args.seeds):
                why = gen._check_pieces(laws, seed, pieces, reordered)
                if why:
                    misses.append((seed, why))
            total += len(misses)
            kind = "reordered" if reordered else "continued"
            print(
                f"{kind} {pieces}: {len(misses)}/{args.seeds} missed ({100 * len(misses) / args.seeds:.1f}%)"
            )
            for seed, why in misses[: args.show]:
                print(f"    seed {seed}: {why[:150]}")
    print(f"all: {total}/{4 * args.seeds} missed ({100 * total / (4 * args.seeds):.2f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
