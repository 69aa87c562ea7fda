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
    ops = _dmp.diff(
        a,
        b,
        timelimit=limit,
        checklines=True,  # line-mode pass first, then characters within changed lines
        cleanup="Semantic" if semantic else "No",
        counts_only=True,
    )
    elapsed = time.perf_counter() - started
    edits = edits_from_ops(ops, a, b)
    complete = deadline is None or elapsed < limit
    return DiffResult(edits, stats_for(len(a), len(b), edits), complete)


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
