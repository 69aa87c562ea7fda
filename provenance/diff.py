"""The diff engine: character-level edits between two texts.

One small interface over Google's diff-match-patch algorithm, run in its C++
build (`fast_diff_match_patch`), which gives the same answers as the
pure-Python package many times faster. Texts are Python `str`, so every
offset is in Unicode code points of the texts given.

Laws the rest of the code relies on (and the tests check):
- ``replay(a, diff(a, b).edits) == b`` for any texts;
- edits are in order, do not overlap and never touch each other;
- a diff never silently degrades: ``complete=True`` means the search was exact,
  so with ``semantic=False`` the edits' cost (characters inserted + deleted) is
  the minimum possible, the Indel distance of the two texts; ``complete=False``
  means a cost cap or a deadline was hit and the edits, which still replay
  exactly, may cost more than the minimum.

How a diff is searched (``diff``):
1. an upper bound: texts longer than ``COARSE_ABOVE`` are first diffed by
   lines, each replaced run of lines by words, then by characters (fast, not
   always minimal); shorter texts skip this;
2. a lower bound: the character histogram difference (every character one text
   has more of than the other must be inserted or deleted); when it equals the
   coarse cost, the coarse answer is proven minimal and is used;
   a plain character diff under a short time limit (``QUICK_TIMELIMIT``) is
   a second upper bound (it catches re-wrapped lines);
3. otherwise, when the smaller upper bound is at most ``EXACT_COST_CAP``, an exact
   Myers search (diff-match-patch with no time limit, no line mode, no cleanup,
   which skips its half-match shortcut) finds the minimum; its time grows with
   the square of the cost, so the cap bounds it;
4. otherwise (heavy rewrites, unrelated texts) the coarse answer is returned
   with ``complete=False``.
``semantic=True`` then applies diff-match-patch's semantic cleanup for display
(edits on word and clause boundaries) where it fits in a budget
(``DISPLAY_BUDGET``: at most 1.3x the searched cost, see ``within_budget``):
it can only add cost, so a semantic result is never the stored record;
``complete`` still says whether the search under it was exact. The stored edit record is ``diff(a, b, semantic=False)``.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import fast_diff_match_patch as _dmp

ENGINE = "diff-match-patch (C++ build, fast_diff_match_patch)"

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
    # True: the search was exact, so without semantic cleanup the edits'
    # inserted + deleted count is the minimum (the Indel distance). False: a
    # cost cap (EXACT_COST_CAP) or a deadline was hit; the edits still replay
    # exactly but may cost more than the minimum (approximate).
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
    (seconds) bounds the coarse search of texts too costly for the exact one;
    ``complete`` says whether the result is exact (see the module docstring).
    ``budget`` bounds what the cleanup may add (``DISPLAY_BUDGET`` unless
    given; ``math.inf`` for the unbounded cleanup a view of one sentence
    wants, where whole reworded phrases read better than their letters).
    """
    started = time.perf_counter()
    limit = 0 if deadline is None else max(deadline, 1e-3)
    cleanup = "Semantic" if semantic else "No"
    ops, exact = _search(a, b, limit)
    if semantic and any(op != "=" for op, _ in ops):
        if exact:
            # The cleanup runs on the exact diff inside diff-match-patch;
            # searching again with cleanup costs about as much as the exact
            # search did.
            readable = _dmp.diff(a, b, timelimit=0, checklines=False, cleanup=cleanup, counts_only=True)
        else:
            # Too costly for the exact search: the line, word, character
            # refinement with its cleanup (flagged approximate anyway).
            readable = _refine(a, b, 0, cleanup, limit or COARSE_TIMELIMIT)
        ops = within_budget(ops, readable, DISPLAY_BUDGET if budget is None else budget)
    elapsed = time.perf_counter() - started
    edits = edits_from_ops(ops, a, b)
    complete = exact and (deadline is None or elapsed < limit)
    return DiffResult(edits, stats_for(len(a), len(b), edits), complete)


# Above this coarse (upper-bound) cost, the exact search is not attempted: its
# time grows with the square of the cost (measured: a 1 MB pair of cost 14,000
# takes 1-2.5 s; unrelated 100 KB texts, cost 116,000, take 97 s).
EXACT_COST_CAP = 32_000
# The time limit of each character diff of the coarse search, when no deadline
# is given: a cost cap on heavy rewrites, whose result is flagged approximate.
COARSE_TIMELIMIT = 0.5
# The time limit of the plain character diff tried as a second upper bound.
QUICK_TIMELIMIT = 0.05


# A display diff costs at most this many times the search's edits (characters
# inserted + deleted): the semantic cleanup is taken where it fits in that
# budget, cheapest first, and the rest of the diff stays as searched. Without
# a budget the cleanup reported 1.3-2.9x git's character counts on 363 of the
# corpus's 963 revision pairs (a 3-letter word change shown as a 40-letter
# clause); with it every pair stays within 1.3x (tests/test_diff_corpus.py).
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


def _exact(a: str, b: str) -> list[tuple[str, int]]:
    return _dmp.diff(a, b, timelimit=0, checklines=False, cleanup="No", counts_only=True)


def _search(a: str, b: str, limit: float) -> tuple[list[tuple[str, int]], bool]:
    """(op, length) runs from ``a`` to ``b`` and whether they are minimal."""
    if min(len(a), len(b)) <= COARSE_ABOVE:
        return _exact(a, b), True
    coarse = _refine(a, b, 0, "No", limit or COARSE_TIMELIMIT)
    # A plain character diff under a short time limit is a second upper bound:
    # it finds re-wrapped lines that the line pass turns into huge replaces.
    quick = _dmp.diff(
        a,
        b,
        timelimit=min(limit or QUICK_TIMELIMIT, QUICK_TIMELIMIT),
        checklines=False,
        cleanup="No",
        counts_only=True,
    )
    if _cost(quick) < _cost(coarse):
        coarse = quick
    upper = _cost(coarse)
    if upper <= abs(len(a) - len(b)) or upper == histogram_bound(a, b):
        return coarse, True
    if upper <= EXACT_COST_CAP:
        return _exact(a, b), True
    return coarse, False


# A character diff costs O(N * D): fast for a light revision, seconds for a
# heavy rewrite of a long text. Above this many characters on both sides, a
# region is first diffed by lines, and each replaced run of lines by words,
# before characters; the character diff then only meets short regions. The
# edits still replay exactly; they are not always the minimal ones.
COARSE_ABOVE = 2_000
_LEVELS = (
    re.compile(r"[^\n]*\n|[^\n]+"),  # lines, with their line break
    re.compile(r"\s+|\w+|[^\w\s]"),  # words, runs of white space, single punctuation
)


def _timed(a: str, b: str, limit: float, cleanup: str) -> list[tuple[str, int]]:
    """diff-match-patch under a time limit, or in bounded pieces when the limit is hit.

    A search cut short by its time limit returns its unfinished part as one
    delete and one insert, and how much is cut depends on how busy the
    machine is. When it is cut, the texts are also diffed in pieces of at
    most ``PIECE`` characters each, paired in order, each exactly (its cost
    bounded by the piece's size, not by the clock); the cheaper answer is
    kept, so a loaded machine does not turn a heavy rewrite into one replace.
    """
    started = time.perf_counter()
    ops = _dmp.diff(a, b, timelimit=limit, checklines=False, cleanup=cleanup, counts_only=True)
    if time.perf_counter() - started < limit or max(len(a), len(b)) <= PIECE:
        return ops
    pieces = -(-max(len(a), len(b)) // PIECE)
    cut_a = [len(a) * k // pieces for k in range(pieces + 1)]
    cut_b = [len(b) * k // pieces for k in range(pieces + 1)]
    pieced: list[tuple[str, int]] = []
    for k in range(pieces):
        x, y = a[cut_a[k] : cut_a[k + 1]], b[cut_b[k] : cut_b[k + 1]]
        pieced += _dmp.diff(x, y, timelimit=0, checklines=False, cleanup=cleanup, counts_only=True)
    return pieced if _cost(pieced) < _cost(ops) else ops


# The size of the pieces a diff cut short by its time limit is redone in: an exact
# diff of two pieces costs at most about (2 * PIECE)^2 steps (a few ms).
PIECE = 1_000


def _refine(a: str, b: str, level: int, cleanup: str, limit: float) -> list[tuple[str, int]]:
    if level >= len(_LEVELS) or min(len(a), len(b)) <= COARSE_ABOVE:
        return _timed(a, b, limit, cleanup)
    coarse = _token_diff(a, b, _LEVELS[level], limit)
    out: list[tuple[str, int]] = []
    i = j = 0
    k = 0
    while k < len(coarse):
        op, n = coarse[k]
        if op == "=":
            out.append(("=", n))
            i += n
            j += n
            k += 1
            continue
        del_n = ins_n = 0
        while k < len(coarse) and coarse[k][0] != "=":
            if coarse[k][0] == "-":
                del_n += coarse[k][1]
            else:
                ins_n += coarse[k][1]
            k += 1
        if del_n and ins_n:
            out.extend(_refine(a[i : i + del_n], b[j : j + ins_n], level + 1, cleanup, limit))
        elif del_n:
            out.append(("-", del_n))
        else:
            out.append(("+", ins_n))
        i += del_n
        j += ins_n
    return out


def _token_diff(a: str, b: str, pattern: re.Pattern, limit: float) -> list[tuple[str, int]]:
    """A diff over tokens (each token encoded as one character), in characters of a and b."""
    table: dict[str, int] = {}

    def encode(tokens: list[str]) -> str:
        codes = []
        for t in tokens:
            code = table.setdefault(t, len(table)) + 0x100
            codes.append(chr(code + 0x800 if code >= 0xD800 else code))  # skip surrogates
        return "".join(codes)

    ta, tb = pattern.findall(a), pattern.findall(b)
    ops = _timed(encode(ta), encode(tb), limit, "No")
    out = []
    i = j = 0
    for op, n in ops:
        if op == "=":
            out.append(("=", sum(map(len, ta[i : i + n]))))
            i += n
            j += n
        elif op == "-":
            out.append(("-", sum(map(len, ta[i : i + n]))))
            i += n
        else:
            out.append(("+", sum(map(len, tb[j : j + n]))))
            j += n
    return out


def edits_from_ops(ops: Iterable[tuple[str, int]], a: str, b: str) -> tuple[Edit, ...]:
    """Group diff-match-patch's (op, length) runs into edits between equal runs."""
    edits: list[Edit] = []
    i = j = 0
    del_start = ins_start = None
    del_len = ins_len = 0

    def flush() -> None:
        nonlocal del_start, ins_start, del_len, ins_len
        if del_len or ins_len:
            a0 = i - del_len
            b0 = j - ins_len
            op: Op = "replace" if del_len and ins_len else ("delete" if del_len else "insert")
            edits.append(Edit(op, a0, i, b0, j, a[a0:i], b[b0:j]))
        del_start = ins_start = None
        del_len = ins_len = 0

    for op, n in ops:
        if n == 0:
            continue
        if op == "=":
            flush()
            i += n
            j += n
        elif op == "-":
            i += n
            del_len += n
        elif op == "+":
            j += n
            ins_len += n
        else:  # pragma: no cover - the library only emits these three
            raise ValueError(f"unknown diff operation {op!r}")
    flush()
    if i != len(a) or j != len(b):  # pragma: no cover - a library bug, never silently ignored
        raise RuntimeError("diff engine returned operations that do not cover both texts")
    return tuple(edits)


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
