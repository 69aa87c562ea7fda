"""Moves on the corpus: how many blocks qualify at several thresholds, a sample, and the cost.

    .venv/bin/python benchmarks/moves.py [--corpus DIR] [--max-bytes N] [--sample N] [--show N]

For every consecutive revision pair (files up to --max-bytes), the minimal
character diff that registration stores (provenance.diff.diff with
semantic=False) is computed once; moves are then sought, in the same run:

- as registration seeks them (`provenance.editrecord`: the minimal edits with
  short equal runs folded in, the display diff only when the search hit its cap);
- on registration's edits by the character pieces alone (``moves._find``,
  without the unit diff of words and clauses that find_moves adds when the
  character diff is cut up by stray matches), the reference for that pass:
  what it adds in moves and in time;
- as registration sought them before (on a second, display diff of the
  whole texts), the reference: the count must not drop, and the time saved
  is that second diff.

find_moves then runs on registration's edits at each (min_chars,
min_similarity) of the grid. ``--show`` prints that many moves found at the
defaults (file names, both positions, the start of each block) to be checked
by eye, first those the display diff did not give. Then the cost on
generated texts with 1,000 and 4,000 edits, against the diff itself.
"""

from __future__ import annotations

import argparse
import itertools
import random
import time
from pathlib import Path

from provenance import editrecord, moves
from provenance.diff import diff
from provenance.lenses import DEFAULT_PROFILE
from provenance.moves import MIN_CHARS, MIN_JUMP, MIN_SIMILARITY, apply, find_moves

GRID_CHARS = (10, 20, 40, 80)
GRID_SIM = (0.4, 0.5, 0.6, 0.8)


def pairs(corpus: Path, max_bytes: int):
    for coll in sorted(p for p in corpus.iterdir() if p.is_dir()):
        for doc in sorted(p for p in coll.iterdir() if p.is_dir()):
            files = sorted(doc.glob("*.md"))
            for x, y in itertools.pairwise(files):
                if x.stat().st_size <= max_bytes and y.stat().st_size <= max_bytes:
                    yield x, y


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--corpus", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "corpus"
    )
    ap.add_argument("--max-bytes", type=int, default=120_000)
    ap.add_argument("--sample", type=int, default=0, help="every Nth pair only (0: all)")
    ap.add_argument("--show", type=int, default=12)
    args = ap.parse_args()

    counts = {(c, s): [0, 0] for c in GRID_CHARS for s in GRID_SIM}  # moves, pairs with a move
    shown: list[tuple[bool, str]] = []
    n_pairs = 0
    t_diff = t_moves = t_display = t_find = t_alone = 0.0
    found_by = {"record": [0, 0], "display": [0, 0], "alone": [0, 0]}  # moves, pairs with a move
    for k, (x, y) in enumerate(pairs(args.corpus, args.max_bytes)):
        if args.sample and k % args.sample:
            continue
        a, b = x.read_text(encoding="utf-8"), y.read_text(encoding="utf-8")
        t0 = time.perf_counter()
        result = diff(a, b, semantic=False)
        t1 = time.perf_counter()
        t_diff += t1 - t0
        n_pairs += 1
        if len(result.edits) <= 1:
            continue
        edits = editrecord._move_candidates(a, b, result)
        t2 = time.perf_counter()
        found = find_moves(a, b, edits)
        t3 = time.perf_counter()
        t_moves += t3 - t1
        alone = moves._find(a, b, edits, DEFAULT_PROFILE, MIN_CHARS, MIN_SIMILARITY, MIN_JUMP, trim=False)
        t_alone += time.perf_counter() - t3
        t_find += t3 - t2
        found_by["alone"][0] += len(alone.moves)
        found_by["alone"][1] += bool(alone.moves)
        t3 = time.perf_counter()
        before = find_moves(a, b, diff(a, b).edits)
        t_display += time.perf_counter() - t3
        assert apply(a, found.edits, found.moves) == b, (x, y)
        for name, moved in (("record", found), ("display", before)):
            found_by[name][0] += len(moved.moves)
            found_by[name][1] += bool(moved.moves)
        for m in found.moves:
            new = not any(
                m.a_start < o.a_end and o.a_start < m.a_end and m.b_start < o.b_end
                and o.b_start < m.b_end
                for o in before.moves
            )
            old = a[m.a_start : m.a_end].strip().replace("\n", "⏎")[:70]
            shown.append(
                (
                    new,
                    f"{'new ' if new else '    '}{x.parent.name}/{x.name[:4]}→{y.name[:4]}"
                    f"  A[{m.a_start}:{m.a_end}] → B[{m.b_start}:{m.b_end}] sim {m.similarity:.2f}"
                    f" {len(m.edits)} inside  {old!r}",
                )
            )
        for c in GRID_CHARS:
            for s in GRID_SIM:
                found = find_moves(a, b, edits, min_chars=c, min_similarity=s)
                counts[(c, s)][0] += len(found.moves)
                counts[(c, s)][1] += bool(found.moves)

    print(f"{n_pairs} consecutive revision pairs (files ≤ {args.max_bytes} bytes)")
    print(f"minimal diff (stored) {t_diff:.2f} s in all")
    print(
        f"moves as registration finds them: {found_by['record'][0]} in {found_by['record'][1]} pairs,"
        f" {t_moves:.2f} s in all (folding and find_moves)"
    )
    print(
        f"  of which find_moves {t_find:.2f} s; by the character pieces alone (no unit diff):"
        f" {found_by['alone'][0]} in {found_by['alone'][1]} pairs, {t_alone:.2f} s"
    )
    print(
        f"moves on a second, display diff (before): {found_by['display'][0]} in"
        f" {found_by['display'][1]} pairs, {t_display:.2f} s in all (that diff and find_moves)"
    )
    print("moves found on registration's edits (pairs with a move), by min_chars × min_similarity")
    print("min_chars " + "".join(f"{s:>14}" for s in GRID_SIM))
    for c in GRID_CHARS:
        print(
            f"{c:>9} "
            + "".join(f"{counts[(c, s)][0]:>8} ({counts[(c, s)][1]:>3})" for s in GRID_SIM)
        )
    print(f"\nsample at min_chars={MIN_CHARS}, min_similarity={MIN_SIMILARITY} (new: not a display-diff move):")
    rng = random.Random(1)
    fresh = [line for new, line in shown if new]
    rest = [line for new, line in shown if not new]
    for line in rng.sample(fresh, min(len(fresh), args.show)) + rest[: max(0, args.show - len(fresh))]:
        print("  " + line)

    print("\ncost on generated texts (paragraphs, a share of them moved, 1 word edit in 20)")
    rng = random.Random(9)
    words = [f"w{n}" for n in range(3000)]
    for n_par in (250, 1000, 4000):
        paras = [" ".join(rng.choice(words) for _ in range(30)) + ".\n" for _ in range(n_par)]
        a = "".join(paras)
        moved = paras[:]
        for _ in range(n_par // 10):
            i, j = rng.randrange(n_par), rng.randrange(n_par)
            moved.insert(j, moved.pop(i))
        edited = []
        for p in moved:
            ws = p.split(" ")
            if rng.random() < 0.5:
                ws[rng.randrange(len(ws))] = rng.choice(words)
            edited.append(" ".join(ws))
        b = "".join(edited)
        t0 = time.perf_counter()
        edits = diff(a, b).edits
        t1 = time.perf_counter()
        found = find_moves(a, b, edits)
        t2 = time.perf_counter()
        alone = moves._find(a, b, edits, DEFAULT_PROFILE, MIN_CHARS, MIN_SIMILARITY, MIN_JUMP, trim=False)
        t3 = time.perf_counter()
        assert apply(a, found.edits, found.moves) == b
        print(
            f"  {len(a):>8} chars, {len(edits):>5} edits: diff {t1 - t0:6.3f} s,"
            f" find_moves {t2 - t1:6.3f} s, {len(found.moves)} moves"
            f" (character pieces alone {t3 - t2:6.3f} s, {len(alone.moves)} moves)"
        )


if __name__ == "__main__":
    main()
