"""The diff engine: character-level edits between two texts.

One small interface over Google's diff-match-patch algorithm, run in its C++
build (`fast_diff_match_patch`), which gives the same answers as the
pure-Python package many times faster. Texts are Python `str`, so every
offset is in Unicode code points of the texts given.

Laws the rest of the code relies on (and the tests check):
- ``replay(a, diff(a, b).edits) == b`` for any texts;
- edits are in order, do not overlap and never touch each other;
- a diff never silently degrades: without a deadline it is exact, and with one
  that was hit the result says ``complete=False``.
"""

from __future__ import annotations

import re
import time
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
    # False only when a deadline was given and the search was cut short: the
    # edits still replay exactly, but they may be far from minimal.
    complete: bool = True
    engine: str = ENGINE

    def to_json(self) -> dict:
        return {
            "edits": [e.to_json() for e in self.edits],
            "stats": self.stats.to_json(),
            "complete": self.complete,
        }


def diff(a: str, b: str, *, deadline: float | None = None, semantic: bool = True) -> DiffResult:
    """Edits that turn ``a`` into ``b``.

    ``deadline`` (seconds) bounds the search; when it is hit the result is
    marked incomplete rather than passed off as the real diff. ``semantic``
    applies diff-match-patch's semantic cleanup, so edits fall on boundaries a
    reader sees (whole words, whole clauses) instead of scattered characters.
    """
    limit = 0 if deadline is None else max(deadline, 1e-3)
    started = time.perf_counter()
    cleanup = "Semantic" if semantic else "No"
    ops = _refine(a, b, 0, cleanup, limit)
    elapsed = time.perf_counter() - started
    edits = edits_from_ops(ops, a, b)
    complete = deadline is None or elapsed < limit
    return DiffResult(edits, stats_for(len(a), len(b), edits), complete)


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


def _refine(a: str, b: str, level: int, cleanup: str, limit: float) -> list[tuple[str, int]]:
    if level >= len(_LEVELS) or min(len(a), len(b)) <= COARSE_ABOVE:
        return _dmp.diff(a, b, timelimit=limit, checklines=False, cleanup=cleanup, counts_only=True)
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
    ops = _dmp.diff(
        encode(ta), encode(tb), timelimit=limit, checklines=False, cleanup="No", counts_only=True
    )
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
