"""The diff engine: character-level edits between two texts.

Two searches under one small interface: Google's diff-match-patch (Myers'
algorithm) in its C++ build (`fast_diff_match_patch`), and rapidfuzz's
bit-parallel longest common subsequence (Hyyrö's algorithm, `rapidfuzz.distance.Indel`).
Texts are Python `str`, so every offset is in Unicode code points of the
texts given.

Laws the rest of the code relies on (and the tests check):
- ``replay(a, diff(a, b).edits) == b`` for any texts;
- edits are in order, do not overlap and never touch each other;
- a diff never silently degrades: ``complete=True`` means the edits are proven
  minimal, so with ``semantic=False`` their cost (characters inserted +
  deleted) is the Indel distance of the two texts; ``complete=False`` means a
  cost cap was hit (or the safety net, or a caller's deadline) and the edits,
  which still replay exactly, may cost more than the minimum;
- the same texts give the same edits and the same flag on a loaded machine as
  on a quiet one: every cap is on sizes and costs; the one clock is a safety
  net on Myers' search (``EXACT_SAFETY``), whose result is then discarded and
  flagged approximate.

How a diff is searched (``_search``):
1. texts with a side of at most ``COARSE_ABOVE`` characters: Myers' search
   (no time limit, no cleanup), minimal;
2. longer texts, an upper bound (``_refine``): lines are matched by an exact
   diff over lines, short lines and coincidental matches left out (they would
   pin unrelated paragraphs together); words in each replaced run of lines are
   matched where each is found once (patience); what is left goes to characters,
   solved exactly by the bit-parallel LCS in regions of at most ``CELLS``
   cells, bigger ones cut at characters found once in each, else into equal
   shares. Every step is bounded by its size, whatever the texts;
3. a proof: the refined cost equals a lower bound (the length difference, or
   the histogram of the changed characters); or it equals the Indel distance,
   computed where cheap (``PROOF_WORK``); where the distance is lower, windows
   along the path are re-diffed exactly (``POLISH_SIDES``) until they reach it;
   or Myers' search finds the minimum where its cost is at most
   ``EXACT_COST_CAP`` (its time grows with the square of the cost);
4. otherwise (heavy rewrites, unrelated texts) the refined runs are returned
   with ``complete=False``: on unrelated 100 KB texts they cost within 1% of
   the minimum (benchmarks/diff.py).
``semantic=True`` then applies diff-match-patch's semantic cleanup for display
(edits on word and clause boundaries) where it fits in a budget
(``DISPLAY_BUDGET``: at most 1.3x the searched cost, see ``within_budget``):
it can only add cost, so a semantic result is never the stored record;
``complete`` still says whether the search under it was exact. The stored
edit record is ``diff(a, b, semantic=False)``.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import fast_diff_match_patch as _dmp
from rapidfuzz.distance import Indel as _Indel

ENGINE = "diff-match-patch (C++ build, fast_diff_match_patch) and rapidfuzz's bit-parallel LCS"

Op = Literal["insert", "delete", "replace"]


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``a[a_start:a_end]`` (``old``) by ``new``, which is ``b[b_start:b_end]``."""

    op: Op
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    old: str
    new: str

    def to_json(self) -> dict:
        return {
            "op": self.op,
            "a_start": self.a_start,
            "a_end": self.a_end,
            "b_start": self.b_start,
            "b_end": self.b_end,
            "old": self.old,
            "new": self.new,
        }

    def inverted(self) -> Edit:
        """The same edit seen from B to A."""
        op: Op = {"insert": "delete", "delete": "insert"}.get(self.op, "replace")  # type: ignore[assignment]
        return Edit(op, self.b_start, self.b_end, self.a_start, self.a_end, self.new, self.old)


@dataclass(frozen=True, slots=True)
class DiffStats:
    """What a person wants to know about a diff at a glance.

    ``similarity`` is ``2 * unchanged / (len(a) + len(b))`` (1.0 for two empty
    texts): the share of both texts that the edits leave alone.
    """

    edits: int
    inserted: int
    deleted: int
    unchanged: int
    similarity: float

    def to_json(self) -> dict:
        return {
            "edits": self.edits,
            "inserted": self.inserted,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "similarity": round(self.similarity, 6),
        }


@dataclass(frozen=True, slots=True)
class DiffResult:
    edits: tuple[Edit, ...]
    stats: DiffStats
    # True: the edits are proven minimal, so without semantic cleanup their
    # inserted + deleted count is the minimum (the Indel distance). False: a
    # cost cap (EXACT_COST_CAP, PROOF_WORK), the safety net or a deadline was
    # hit; the edits still replay exactly but may cost more than the minimum
    # (approximate). The same texts get the same flag on any machine.
    complete: bool = True
    engine: str = ENGINE

    def to_json(self) -> dict:
        return {
            "edits": [e.to_json() for e in self.edits],
            "stats": self.stats.to_json(),
            "complete": self.complete,
        }


def diff(
    a: str,
    b: str,
    *,
    deadline: float | None = None,
    semantic: bool = True,
    budget: float | None = None,
) -> DiffResult:
    """Edits that turn ``a`` into ``b``.

    ``semantic`` applies diff-match-patch's semantic cleanup, so edits fall on
    boundaries a reader sees (whole words, whole clauses) instead of scattered
    characters; it is for display and can cost more than the minimum. Use
    ``semantic=False`` for the minimal edits (what is stored). ``deadline``
    (seconds) cuts Myers' search short and flags a diff that took longer
    (``complete=False``): only then does the clock change an answer.
    ``complete`` says whether the result is exact (see the module docstring).
    ``budget`` bounds what the cleanup may add (``DISPLAY_BUDGET`` unless
    given; ``math.inf`` for the unbounded cleanup a view of one sentence
    wants, where whole reworded phrases read better than their letters).
    """
    started = time.perf_counter()
    limit = 0 if deadline is None else max(deadline, 1e-3)
    ops, exact, by_myers = _search(a, b, limit)
    if exact and not by_myers and _cost(ops) <= MYERS_RUNS:
        # Proven minimal; Myers' own minimal runs are cheap here, and they
        # are the ones the rest of the code (kinds, moves, blame) was built on.
        ops, by_myers = _exact(a, b), True
    if semantic and any(op != "=" for op, _ in ops):
        if by_myers and _cost(ops) <= MYERS_RUNS:
            # The cleanup runs on Myers' minimal diff inside diff-match-patch,
            # so it searches again: cheap up to MYERS_RUNS (at most 0.4 s).
            # The cleanup is taken where it fits over Myers' own runs, which
            # share most of its stretches (another minimal diff shares fewer,
            # and fewer readable pieces fit).
            readable = _semantic(a, b)
        else:
            # Costlier: a second whole-text Myers search (the cleanup's) took
            # 1-12 s on each of the corpus's revisions costing 9,000-23,000;
            # the line, word, character refinement with the cleanup in pieces
            # of at most PIECE characters takes milliseconds and reads as well
            # (tests/test_diff_minimal.py, the corpus test, against git).
            readable = _refine(a, b, _semantic, PIECE * PIECE)
        ops = within_budget(ops, readable, DISPLAY_BUDGET if budget is None else budget)
    elapsed = time.perf_counter() - started
    edits = edits_from_ops(ops, a, b)
    complete = exact and (deadline is None or elapsed < limit)
    return DiffResult(edits, stats_for(len(a), len(b), edits), complete)


# A display diff costs at most this many times the search's edits (characters
# inserted + deleted): the semantic cleanup is taken where it fits in that
# budget, cheapest first, and the rest of the diff stays as searched. Without
# a budget the cleanup reported 1.3-2.9x git's character counts on 363 of the
# corpus's 963 revision pairs (a 3-letter word change shown as a 40-letter
# clause); with it every pair stays within 1.3x (tests/test_diff_minimal.py).
DISPLAY_BUDGET = 1.3
# ... and keeps at least this share of the characters the search left
# unchanged. Measured: the cleanup keeps 0.77 of them on the Company Law's
# 2018 -> 2023 rewrite (readable, its moved articles found); on unrelated
# texts it keeps under 0.1 (one huge replace).
READABLE_KEEPS = 0.5


def within_budget(
    base: Sequence[tuple[str, int]],
    readable: Sequence[tuple[str, int]],
    budget: float = DISPLAY_BUDGET,
) -> list[tuple[str, int]]:
    """``base`` with the pieces of ``readable`` that fit in ``budget``.

    Both are (op, length) runs between the same two texts. Where they share
    an unchanged stretch (same characters of A aligned to the same of B) they
    agree; between two such stretches each has its own way across. A gap is
    taken from ``readable`` when it costs no more than ``base``'s, then the
    other gaps cheapest extra cost first while the whole stays within
    ``budget`` times ``base``'s cost and keeps at least ``READABLE_KEEPS`` of
    what ``base`` left unchanged (on unrelated texts, whose cost is nearly
    their length, the cost budget alone would let the cleanup replace every
    shared word). The result replays exactly: every piece joins points both
    diffs pass through.
    """
    if budget == math.inf:
        return list(readable)
    points = _shared_stretches(base, readable)
    base_pieces, readable_pieces = _split_at(base, points), _split_at(readable, points)
    if base_pieces is None or readable_pieces is None:  # pragma: no cover - a bug, stay safe
        return list(base)
    gaps = range(0, len(base_pieces), 2)  # odd pieces are the shared stretches
    extra = {g: _cost(readable_pieces[g]) - _cost(base_pieces[g]) for g in gaps}
    unchanged = sum(n for op, n in base if op == "=")
    allowance = int(min((budget - 1) * _cost(base), 2 * (1 - READABLE_KEEPS) * unchanged))
    chosen = set()
    for g in sorted(gaps, key=lambda g: (extra[g], g)):
        if extra[g] > allowance:
            break
        chosen.add(g)
        allowance -= max(extra[g], 0)
    out: list[tuple[str, int]] = []
    for k, piece in enumerate(base_pieces):
        out.extend(readable_pieces[k] if k in chosen else piece)
    return out


def _equal_runs(ops: Iterable[tuple[str, int]]) -> list[tuple[int, int, int]]:
    """(i, j, n): ``a[i:i+n] == b[j:j+n]`` for each unchanged run."""
    runs = []
    i = j = 0
    for op, n in ops:
        if op == "=":
            runs.append((i, j, n))
            i += n
            j += n
        elif op == "-":
            i += n
        else:
            j += n
    return runs


def _shared_stretches(
    x: Sequence[tuple[str, int]], y: Sequence[tuple[str, int]]
) -> list[tuple[int, int]]:
    """Start and end points (i, j) of the unchanged stretches both diffs share, in order."""
    rx, ry = _equal_runs(x), _equal_runs(y)
    points: list[tuple[int, int]] = []
    p = q = 0
    while p < len(rx) and q < len(ry):
        (i1, j1, n1), (i2, j2, n2) = rx[p], ry[q]
        lo, hi = max(i1, i2), min(i1 + n1, i2 + n2)
        if j1 - i1 == j2 - i2 and lo < hi:
            start, end = (lo, lo + j1 - i1), (hi, hi + j1 - i1)
            if points and points[-1] == start:  # touching stretches: one
                points[-1] = end
            else:
                points += [start, end]
        if i1 + n1 <= i2 + n2:
            p += 1
        else:
            q += 1
    return points


def _split_at(
    ops: Sequence[tuple[str, int]], points: Sequence[tuple[int, int]]
) -> list[list[tuple[str, int]]] | None:
    """``ops`` cut at ``points`` (which it passes through): len(points) + 1 pieces."""
    pieces: list[list[tuple[str, int]]] = [[] for _ in range(len(points) + 1)]
    k = 0
    i = j = 0
    for op, n in ops:
        while n:
            while k < len(points) and points[k] == (i, j):
                k += 1
            if op == "=" and k < len(points):
                pi, pj = points[k]
                if pj - pi == j - i and i < pi < i + n:
                    m = pi - i
                    pieces[k].append(("=", m))
                    i, j, n = i + m, j + m, n - m
                    continue
            pieces[k].append((op, n))
            if op != "+":
                i += n
            if op != "-":
                j += n
            n = 0
    while k < len(points) and points[k] == (i, j):
        k += 1
    return pieces if k == len(points) else None


def _cost(ops: Iterable[tuple[str, int]]) -> int:
    return sum(n for op, n in ops if op != "=")


def histogram_bound(a: str, b: str) -> int:
    """A lower bound of the Indel distance: characters one text has more of than the other."""
    ca, cb = Counter(a), Counter(b)
    return (ca - cb).total() + (cb - ca).total()


def _changed_histogram_bound(runs: Sequence[tuple[str, int]], a: str, b: str) -> int:
    """``histogram_bound(a, b)`` from any diff of them: the unchanged runs cancel out.

    Counting only the deleted and inserted characters is what makes the
    bound cheap on a light revision of a long text.
    """
    deleted, inserted = [], []
    i = j = 0
    for op, n in runs:
        if op == "-":
            deleted.append(a[i : i + n])
            i += n
        elif op == "+":
            inserted.append(b[j : j + n])
            j += n
        else:
            i += n
            j += n
    return histogram_bound("".join(deleted), "".join(inserted))


def _exact(a: str, b: str, limit: float = 0) -> list[tuple[str, int]]:
    """Myers' search (diff-match-patch, no cleanup, no half-match shortcut): minimal edits."""
    return _dmp.diff(a, b, timelimit=limit, checklines=False, cleanup="No", counts_only=True)


def _search(a: str, b: str, limit: float) -> tuple[list[tuple[str, int]], bool, bool]:
    """(op, length) runs from ``a`` to ``b``, whether they are minimal, and whether Myers' search found them.

    Every step is bounded by sizes and costs, not by the clock, so the same
    texts give the same runs on a quiet machine and on a loaded one. The only
    clock is ``EXACT_SAFETY`` (or ``limit``, a caller's deadline) on Myers'
    search, whose runs are then discarded and the result flagged.
    """
    if min(len(a), len(b)) <= COARSE_ABOVE:
        return _exact(a, b), True, True
    runs = _refine(a, b, _minimal, CELLS)
    upper = _cost(runs)
    if upper <= abs(len(a) - len(b)) or upper == _changed_histogram_bound(runs, a, b):
        return runs, True, False
    size = len(a) + len(b)
    if upper <= EXACT_COST_CAP and upper <= MYERS_SHARE * size:
        exact = _guarded(a, b, limit)
        if exact is not None:
            return exact, True, True
    elif size * upper <= PROOF_WORK:
        # The Indel distance itself, bit-parallel in a band of the upper bound's width.
        floor = _Indel.distance(a, b, score_cutoff=upper)
        if floor == upper:
            return runs, True, False
        # Re-diff windows along the path, exactly, until the runs cost the distance.
        for side in POLISH_SIDES:
            runs = _polish(_polish(runs, a, b, side, side), a, b, side // 2, side)
            if _cost(runs) == floor:
                return runs, True, False
        if floor <= EXACT_COST_CAP:
            exact = _guarded(a, b, limit)
            if exact is not None:
                return exact, True, True
    elif upper <= EXACT_COST_CAP:
        exact = _guarded(a, b, limit)
        if exact is not None:
            return exact, True, True
    return runs, False, False


def _guarded(a: str, b: str, limit: float) -> list[tuple[str, int]] | None:
    """Myers' minimal runs, or None when they are not a proof of minimality.

    Only a search without a time limit is one: given any limit, diff-match-patch
    also takes its half-match shortcut, which can miss the minimum (a 6,239 to
    6,467 character corpus revision: cost 2,992 against 2,874) while its runs
    look like any others. So a caller's deadline gets None (the runs are then
    proven another way or flagged approximate), and the safety net is a clock
    read after an unlimited search (bounded by ``EXACT_COST_CAP``).
    """
    if limit:
        return None
    started = time.perf_counter()
    exact = _exact(a, b)
    return exact if time.perf_counter() - started < EXACT_SAFETY else None


# Above this cost, Myers' search is not attempted: its time grows with the
# square of the cost (measured: a 1 MB pair of cost 14,000 takes 1-2.5 s;
# unrelated 100 KB texts, cost 109,000, take 97 s). It runs where it is the
# cheaper proof (MYERS_SHARE), or where the refinement and its polish did not
# reach the minimum (PROOF_WORK).
EXACT_COST_CAP = 32_000
# A safety net, never a cost cap: Myers' search within EXACT_COST_CAP takes
# seconds; one that took longer than this (a machine many times slower than
# any benchmark run) has its runs discarded and the refined runs are returned,
# flagged approximate. It is read after the search, never passed into it:
# diff-match-patch given a time limit also takes its half-match shortcut,
# which is not minimal (`_guarded`).
EXACT_SAFETY = 120.0
# Up to this cost, a diff proven minimal otherwise is given Myers' own runs
# (about 6e-9 s * cost ** 2, at most 0.4 s): among equally minimal diffs its
# choice (nearest match first) is the one kinds, moves and blame were tuned on
# (tests/test_link_records.py: "2019 年 inserted" is one number edit). Costlier
# diffs keep the refined runs, which saves the 1-5 s Myers took on each of the
# corpus's heaviest revisions. The display's whole-text cleanup (a Myers
# search of its own) runs only up to this cost too; above it the cleanup is
# taken in pieces (``diff``), so no diff searches the whole texts twice.
MYERS_RUNS = 8_000
# Where both could prove the refined runs minimal, Myers' search (time about
# 6e-9 s * cost ** 2) is preferred up to this share of the two lengths, the
# bit-parallel distance (about 4e-11 s * (len(a) + len(b)) * cost) above it:
# measured equal on the 1 MB case of benchmarks/diff.py, cost 0.007 of its size.
MYERS_SHARE = 0.007
# The Indel distance is computed (rapidfuzz, bit-parallel, time about
# 4e-11 s * (len(a) + len(b)) * cost) to prove the refined runs minimal, or to
# know the minimum to reach, when (len(a) + len(b)) * cost is at most this.
# Above it the proof would take longer than the whole approximate search of
# unrelated texts (benchmarks/diff.py, "unrelated 100 KB": 2e10, 0.3 s).
PROOF_WORK = 1e10
# The windows (characters a side) the runs are re-diffed in, in turn, until
# they cost the known minimum: on the corpus's heavy revisions, windows of
# 10,000 reach it on 15 of 21 pairs, of 20,000 on 20 (12 MB and 50 MB of
# bit matrix at most).
POLISH_SIDES = (10_000, 20_000)


# One exact piece: rapidfuzz's bit-parallel LCS (Hyyrö) takes time and memory
# in proportion to len(x) * len(y) / 64 whatever the cost, where Myers' search
# takes about (len(x) + len(y)) * cost: on two unrelated 1,000-character
# pieces 0.02 ms against 9 ms. Regions of at most CELLS cells (6 MB of bit
# matrix, a few ms) are diffed exactly; bigger ones are first split at
# anchors, then into pieces of at most sqrt(CELLS) characters a side
# (``_bounded``).
CELLS = 7_000 * 7_000
# The same bound for the diff over lines, whose cells are lines: 10,000 lines
# a side (the 1 MB case of benchmarks/diff.py has 7,400) are matched at once.
LINE_CELLS = 10_000 * 10_000
# The display's cleanup runs in diff-match-patch (Myers), so its pieces are
# smaller: at most (2 * PIECE) ** 2 steps each, a few ms.
PIECE = 1_000


def _lcs(x: str, y: str) -> list[tuple[str, int]]:
    """Minimal (op, length) runs by bit-parallel LCS: time and memory ~ len(x) * len(y) / 64."""
    out: list[tuple[str, int]] = []
    for tag, i1, i2, j1, j2 in _Indel.opcodes(x, y):
        if tag == "equal":
            out.append(("=", i2 - i1))
        elif tag == "delete":
            out.append(("-", i2 - i1))
        elif tag == "insert":
            out.append(("+", j2 - j1))
        else:  # pragma: no cover - Indel opcodes have no replace; stay exact if one comes
            out += [("-", i2 - i1), ("+", j2 - j1)]
    return out


def _minimal(x: str, y: str, upper: int | None = None) -> list[tuple[str, int]]:
    """Minimal runs by whichever search is cheaper for a diff costing at most ``upper``.

    Myers' search takes about cost ** 2 steps on a light revision, the
    bit-parallel LCS len(x) * len(y) / 64 words whatever the cost; its
    distance alone (``upper`` unless given) is cheaper still. Where both are
    cheap, Myers' runs are the ones taken: its choice among equally minimal
    diffs (the nearest match first) is the one the rest of the code has
    always seen.
    """
    cheap = math.isqrt(len(x) * len(y)) // 10  # Myers' search is the cheaper up to this cost
    if upper is None:
        # Banded, so the distance costs ~ (len(x) + len(y)) * cheap / 64 whatever it is.
        upper = _Indel.distance(x, y, score_cutoff=cheap)
    if upper <= cheap or len(x) + len(y) <= 2 * PIECE:
        return _exact(x, y)
    return _lcs(x, y)


def _semantic(x: str, y: str) -> list[tuple[str, int]]:
    """Myers' minimal runs with diff-match-patch's semantic cleanup (for display)."""
    return _dmp.diff(x, y, timelimit=0, checklines=False, cleanup="Semantic", counts_only=True)


def _common_prefix(x: str, y: str) -> int:
    lo, hi, start = 0, min(len(x), len(y)), 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if x[start:mid] == y[start:mid]:
            lo = start = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(x: str, y: str) -> int:
    lo, hi, end = 0, min(len(x), len(y)), 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if x[len(x) - mid : len(x) - end] == y[len(y) - mid : len(y) - end]:
            lo = end = mid
        else:
            hi = mid - 1
    return lo


def _bounded(x: str, y: str, solve, cells: int, depth: int = 0) -> list[tuple[str, int]]:
    """(op, length) runs from ``x`` to ``y`` in pieces of at most ``cells`` cells, each solved exactly.

    The common prefix and suffix are unchanged; what is left is solved whole
    when ``len * len <= cells``; otherwise it is cut at its anchors (symbols
    found once in each side, in the same order in both, as patience diff
    cuts at unique lines) and each stretch between them is bounded in turn;
    a stretch with no anchor is cut into pieces of proportional lengths. The
    work is bounded by the sizes alone.
    """
    p = _common_prefix(x, y)
    s = _common_suffix(x[p:], y[p:])
    head = [("=", p)] if p else []
    tail = [("=", s)] if s else []
    cx, cy = x[p : len(x) - s], y[p : len(y) - s]
    if not cx or not cy:
        core = [("-", len(cx))] if cx else [("+", len(cy))] if cy else []
        return head + core + tail
    if len(cx) * len(cy) <= cells:
        return head + solve(cx, cy) + tail
    out = head
    i = j = 0
    for ai, bj in _anchors(cx, cy) if depth < ANCHOR_DEPTH else []:
        out += [*_bounded(cx[i:ai], cy[j:bj], solve, cells, depth + 1), ("=", 1)]
        i, j = ai + 1, bj + 1
    if i or j:
        out += _bounded(cx[i:], cy[j:], solve, cells, depth + 1)
        return out + tail
    side = math.isqrt(cells)
    pieces = -(-max(len(cx), len(cy)) // side)
    cut_x = [len(cx) * k // pieces for k in range(pieces + 1)]
    cut_y = [len(cy) * k // pieces for k in range(pieces + 1)]
    for k in range(pieces):
        out += solve(cx[cut_x[k] : cut_x[k + 1]], cy[cut_y[k] : cut_y[k + 1]])
    return out + tail


# Stretches between anchors are cut at their own anchors at most this many
# times over: each level costs a pass over the stretch, and the recursion stays
# far below Python's limit on any input.
ANCHOR_DEPTH = 32


def _anchors(x: str, y: str) -> list[tuple[int, int]]:
    """(i, j) with ``x[i] == y[j]`` found once in each, the longest chain in order in both."""
    cx, cy = Counter(x), Counter(y)
    once = {c for c, n in cx.items() if n == 1 and cy.get(c) == 1}
    if not once:
        return []
    where = {c: j for j, c in enumerate(y) if c in once}
    pairs = [(i, where[c]) for i, c in enumerate(x) if c in once]
    # Longest increasing run of j (patience sorting), with back links.
    tops: list[int] = []
    top_at: list[int] = []
    back = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        h = bisect.bisect_left(tops, j)
        back[k] = top_at[h - 1] if h else -1
        if h == len(tops):
            tops.append(j)
            top_at.append(k)
        else:
            tops[h], top_at[h] = j, k
    chain = []
    k = top_at[-1]
    while k >= 0:
        chain.append(pairs[k])
        k = back[k]
    return chain[::-1]


def _polish(
    runs: Sequence[tuple[str, int]], a: str, b: str, first: int, side: int
) -> list[tuple[str, int]]:
    """``runs`` with each window along their path (at most ``side`` characters a side) re-diffed exactly.

    The path is cut every ``side`` characters of ``a`` or ``b`` (the first window
    ``first``, so a second pass can straddle the first one's cuts); a window is
    replaced by its minimal runs when they cost less. The result passes
    through the same cut points, so it still replays exactly, and never
    costs more than ``runs``.
    """
    out: list[tuple[str, int]] = []
    window: list[tuple[str, int]] = []
    i = j = i0 = j0 = 0
    room = first

    def close() -> None:
        nonlocal i0, j0
        cost = _cost(window)
        # A window its Indel distance proves minimal already is kept as it is
        # (its minimal runs would cost no less): the distance alone is a few
        # times cheaper than the runs, and on the corpus's heavy revisions
        # three windows in four are such.
        if cost > abs((i - i0) - (j - j0)) and _Indel.distance(
            a[i0:i], b[j0:j], score_cutoff=cost
        ) < cost:
            better = _minimal(a[i0:i], b[j0:j], cost)
            if _cost(better) < cost:
                window[:] = better
        out.extend(window)
        window.clear()
        i0, j0 = i, j

    for op, n in runs:
        while n:
            if op == "-":
                step = min(n, room - (i - i0))
            elif op == "+":
                step = min(n, room - (j - j0))
            else:
                step = min(n, room - (i - i0), room - (j - j0))
            window.append((op, step))
            n -= step
            if op != "+":
                i += step
            if op != "-":
                j += step
            if i - i0 >= room or j - j0 >= room:
                close()
                room = side
    close()
    return out


# A character diff costs O(N * D): fast for a light revision, seconds for a
# heavy rewrite of a long text. Above COARSE_ABOVE characters on both sides,
# a region bigger than CELLS is first diffed by lines, and each replaced run of
# lines by words, before characters; the character diff then only meets
# regions it solves exactly in bounded time. The edits replay exactly; they
# are not always the minimal ones (the proof in ``_search`` says when).
COARSE_ABOVE = 2_000
_LEVELS = (
    re.compile(r"[^\n]*\n|[^\n]+"),  # lines, with their line break
    re.compile(r"\s+|\w+|[^\w\s]"),  # words, runs of white space, single punctuation
)


def _refine(a: str, b: str, solve, cells: int, level: int = 0) -> list[tuple[str, int]]:
    """(op, length) runs from ``a`` to ``b``: lines, then words, then characters.

    Lines are matched by an exact diff over lines (a longest common
    subsequence, so repeated lines keep their places); a line with fewer than ``MATCHED_LINE`` visible
    characters (a blank line, a rule) is never matched as a line, so shared
    separators do not pin unrelated paragraphs together. Words are matched as
    patience diff matches lines: where a word is found once in each stretch
    (``_patience``). Each replaced stretch goes down a level, and a stretch of
    at most ``cells`` cells is solved at once (``_bounded``).
    """
    if level >= len(_LEVELS) or len(a) * len(b) <= cells:
        return _bounded(a, b, solve, cells)
    ta, tb = _LEVELS[level].findall(a), _LEVELS[level].findall(b)
    if level == 0:
        # A short line gets a key of its own: it matches nothing as a line.
        ka = [t if len(t.strip()) >= MATCHED_LINE else (n,) for n, t in enumerate(ta)]
        kb = [t if len(t.strip()) >= MATCHED_LINE else (-1 - n,) for n, t in enumerate(tb)]
        runs = _unpinned(_bounded(*_encoded(ka, kb), _lcs, LINE_CELLS), ta, tb)
    else:
        runs = _patience(*_encoded(ta, tb))
    at_a = [0, *itertools.accumulate(map(len, ta))]
    at_b = [0, *itertools.accumulate(map(len, tb))]
    out: list[tuple[str, int]] = []
    i = j = 0
    k = 0
    while k < len(runs):
        op, n = runs[k]
        if op == "=":
            out.append(("=", at_a[i + n] - at_a[i]))
            i += n
            j += n
            k += 1
            continue
        del_n = ins_n = 0
        while k < len(runs) and runs[k][0] != "=":
            if runs[k][0] == "-":
                del_n += runs[k][1]
            else:
                ins_n += runs[k][1]
            k += 1
        x, y = a[at_a[i] : at_a[i + del_n]], b[at_b[j] : at_b[j + ins_n]]
        if x and y:
            out += _refine(x, y, solve, cells, level + 1)
        elif x or y:
            out.append(("-", len(x)) if x else ("+", len(y)))
        i += del_n
        j += ins_n
    return out


# A line with fewer visible characters than this is matched by characters only.
MATCHED_LINE = 8
# A run of matched lines this many times shorter (in characters) than the
# replaced stretches on both its sides is a coincidence (a "redirect_from:"
# shared by two unrelated pages): it is folded into them, so it does not pin
# the two stretches' ends together (benchmarks/diff.py, "unrelated 100 KB").
COINCIDENCE = 8


def _unpinned(runs: list[tuple[str, int]], ta: list[str], tb: list[str]) -> list[tuple[str, int]]:
    """Token runs with each coincidental match (``COINCIDENCE``) made a deletion and an insertion."""
    size = []  # per run: characters (of a for = and -, of b for +)
    i = j = 0
    for op, n in runs:
        if op == "+":
            size.append(sum(map(len, tb[j : j + n])))
            j += n
        else:
            size.append(sum(map(len, ta[i : i + n])))
            i += n
            j += n if op == "=" else 0

    def changed(k: int, step: int) -> int:
        """Characters of the replaced stretch next to run k (before: step -1, after: +1)."""
        d = e = 0
        k += step
        while 0 <= k < len(runs) and runs[k][0] != "=":
            if runs[k][0] == "-":
                d += size[k]
            else:
                e += size[k]
            k += step
        return max(d, e)

    out = []
    for k, (op, n) in enumerate(runs):
        coincidental = op == "=" and 0 < k < len(runs) - 1
        if coincidental and COINCIDENCE * size[k] < min(changed(k, -1), changed(k, 1)):
            out += [("-", n), ("+", n)]
            continue
        out.append((op, n))
    return out


def _encoded(ka: list, kb: list) -> tuple[str, str]:
    """Each token as one character, the same for equal tokens: from U+0100 up, skipping the surrogates."""
    keys = dict.fromkeys(itertools.chain(ka, kb))
    codes = {k: chr(n + 0x100 + (0x800 if n + 0x100 >= 0xD800 else 0)) for n, k in enumerate(keys)}
    return "".join(map(codes.__getitem__, ka)), "".join(map(codes.__getitem__, kb))


def _patience(x: str, y: str, depth: int = 0) -> list[tuple[str, int]]:
    """Runs matching the common first and last symbols, then the symbols found once in each, recursively.

    What matches nothing (or lies ``ANCHOR_DEPTH`` stretches deep) comes back
    as one deletion and one insertion.
    """
    p = _common_prefix(x, y)
    s = _common_suffix(x[p:], y[p:])
    cx, cy = x[p : len(x) - s], y[p : len(y) - s]
    out: list[tuple[str, int]] = [("=", p)] if p else []
    matches = _anchors(cx, cy) if cx and cy and depth < ANCHOR_DEPTH else []
    if matches:
        i = j = 0
        for ai, bj in matches:
            out += _patience(cx[i:ai], cy[j:bj], depth + 1)
            out.append(("=", 1))
            i, j = ai + 1, bj + 1
        out += _patience(cx[i:], cy[j:], depth + 1)
    else:
        out += [r for r in (("-", len(cx)), ("+", len(cy))) if r[1]]
    if s:
        out.append(("=", s))
    return out


def edits_from_ops(ops: Iterable[tuple[str, int]], a: str, b: str) -> tuple[Edit, ...]:
    """Group diff-match-patch's (op, length) runs into edits between equal runs."""
    edits: list[Edit] = []
    add = edits.append
    make = _make_edit
    i = j = 0  # where the pending edit starts
    di = dj = 0  # what it deletes and inserts so far
    for op, n in ops:
        if op == "=":
            if n == 0:
                continue
            if di or dj:
                kind = "replace" if di and dj else ("delete" if di else "insert")
                add(make(kind, i, i + di, j, j + dj, a[i : i + di], b[j : j + dj]))
            i += di + n
            j += dj + n
            di = dj = 0
        elif op == "-":
            di += n
        elif op == "+":
            dj += n
        else:  # pragma: no cover - the library only emits these three
            raise ValueError(f"unknown diff operation {op!r}")
    if di or dj:
        kind = "replace" if di and dj else ("delete" if di else "insert")
        add(make(kind, i, i + di, j, j + dj, a[i : i + di], b[j : j + dj]))
    if i + di != len(a) or j + dj != len(b):  # pragma: no cover - a library bug
        raise RuntimeError("diff engine returned operations that do not cover both texts")
    return tuple(edits)


_SET_OP, _SET_A0, _SET_A1, _SET_B0, _SET_B1, _SET_OLD, _SET_NEW = (
    Edit.__dict__[f].__set__ for f in ("op", "a_start", "a_end", "b_start", "b_end", "old", "new")
)


def _make_edit(op: Op, a0: int, a1: int, b0: int, b1: int, old: str, new: str) -> Edit:
    """``Edit(op, a0, a1, b0, b1, old, new)`` at half the cost: a frozen dataclass's
    ``__init__`` sets each field through ``object.__setattr__``, which was a third
    of the time of the unrelated 100 KB diff (27,000 edits, benchmarks/diff.py)."""
    e = object.__new__(Edit)
    _SET_OP(e, op)
    _SET_A0(e, a0)
    _SET_A1(e, a1)
    _SET_B0(e, b0)
    _SET_B1(e, b1)
    _SET_OLD(e, old)
    _SET_NEW(e, new)
    return e


def stats_for(len_a: int, len_b: int, edits: Sequence[Edit]) -> DiffStats:
    deleted = sum(e.a_end - e.a_start for e in edits)
    inserted = sum(e.b_end - e.b_start for e in edits)
    unchanged = len_a - deleted
    total = len_a + len_b
    similarity = 1.0 if total == 0 else 2 * unchanged / total
    return DiffStats(len(edits), inserted, deleted, unchanged, similarity)


def replay(a: str, edits: Iterable[Edit]) -> str:
    """Apply edits (in order, non-overlapping, offsets into ``a``) to ``a``."""
    out: list[str] = []
    pos = 0
    for e in edits:
        if e.a_start < pos or e.a_end < e.a_start or e.a_end > len(a):
            raise ValueError(f"edit {e.a_start}:{e.a_end} is out of order or out of range")
        out.append(a[pos : e.a_start])
        out.append(e.new)
        pos = e.a_end
    out.append(a[pos:])
    return "".join(out)


def invert(edits: Iterable[Edit]) -> tuple[Edit, ...]:
    """Edits from B back to A."""
    return tuple(e.inverted() for e in edits)


# -- compact form, for storage ------------------------------------------------
# Each edit is stored as [a_start, a_end, b_start, b_end, new]; `old` and the
# op are recovered from the parent text, so nothing is stored twice.


def to_compact(edits: Iterable[Edit]) -> list[list]:
    return [[e.a_start, e.a_end, e.b_start, e.b_end, e.new] for e in edits]


def from_compact(rows: Iterable[Sequence], a: str) -> tuple[Edit, ...]:
    edits = []
    for a0, a1, b0, b1, new in rows:
        old = a[a0:a1]
        op: Op = "replace" if old and new else ("delete" if old else "insert")
        edits.append(Edit(op, a0, a1, b0, b1, old, new))
    return tuple(edits)


def coalesce(spans: Iterable[Sequence[int]]) -> list[tuple[int, int, int, int]]:
    """Edit spans ``(a_start, a_end, b_start, b_end)`` with short equal runs between them merged.

    A minimal diff matches stray characters of a rewritten sentence with the
    old one (an ``e`` here, a space there). Read as "which text did this come
    from", such matches are noise: as diff-match-patch's semantic cleanup
    does, an equal run no longer than the edits on both its sides is folded
    into one edit with them. The result still maps A to B (every span
    boundary stays on the same diagonal), but is no longer minimal.
    """
    out: list[list[int]] = []
    for a0, a1, b0, b1, *_ in spans:
        size = max(a1 - a0, b1 - b0)
        if out:
            p = out[-1]
            gap = a0 - p[1]
            if gap <= max(p[1] - p[0], p[3] - p[2]) and gap <= size:
                p[1], p[3] = a1, b1
                # The merged edit may now swallow the run before it too.
                while len(out) > 1:
                    q, p = out[-2], out[-1]
                    gap = p[0] - q[1]
                    if gap <= max(q[1] - q[0], q[3] - q[2]) and gap <= max(p[1] - p[0], p[3] - p[2]):
                        q[1], q[3] = p[1], p[3]
                        out.pop()
                    else:
                        break
                continue
        out.append([a0, a1, b0, b1])
    return [(a0, a1, b0, b1) for a0, a1, b0, b1 in out]
