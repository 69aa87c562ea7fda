"""What a link's edit record holds: the minimal edits, and what they mean.

The edits of a record replay the parent into the child byte for byte and are
the minimal ones (`provenance.diff` with ``semantic=False``). Its ``detail``
says what a reader of those edits needs besides:

- ``passages``: when the child is a passage of the parent (a report cut from
  a page) or the parent of it, the passage(s) found through the ``cjk`` lens
  (`provenance.compare.excerpt_passages`), each with the statistics of the
  wording edits inside it, so `log`, `trace` and `show` say "excerpt of @1:
  A[111:1497], 7 edits" instead of a near-total rewrite;
- ``moves``: blocks deleted in one place and inserted in another
  (`provenance.moves`), with both positions and the edits inside the block,
  so blame carries moved text to its origin.

The stored form is plain JSON (lists of numbers and strings); this module is
the one place that writes and reads it. Edit kinds, the display diff and
lens diffs are not stored: the views compute them from the stored edits and
the texts they load anyway. Moves are stored, because blame reads them
without rebuilding any text (docs/diff.md says why, and what was weighed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from provenance import diff, moves
from provenance.compare import excerpt_passages
from provenance.lensdiff import make_edit

PASSAGE_LENS = "cjk"
"""The lens passages are sought through: a copied passage is a comparison
across layouts (line breaks, segmentation spaces), which is what it is for."""

SEEK_BELOW = 0.9
"""Passages are sought only when the shorter text's length (in code points, as
stored) is under this share of the longer's. The passage rule itself compares
normalized lengths (`provenance.compare.SIMILAR_LENGTH`, 0.8); this looser
first test on the raw lengths only spares revisions the normalization."""


@dataclass(frozen=True, slots=True)
class StoredPassage:
    """``parent[a_start:a_end]`` is carried as ``child[b_start:b_end]``.

    ``edits``, ``inserted`` and ``deleted`` count the wording edits inside the
    passage through ``profile``; ``coverage`` is the share of the shorter text
    matched verbatim inside it (through the lens).
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    profile: str
    edits: int
    inserted: int
    deleted: int
    coverage: float


@dataclass(frozen=True, slots=True)
class StoredMove:
    """``parent[a_start:a_end]`` moved and reads as ``child[b_start:b_end]`` (see `moves.Move`)."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    a_at: int
    b_at: int
    similarity: float
    edits: int  # edits inside the moved block


@dataclass(frozen=True, slots=True)
class Built:
    """The record's edits (minimal), their search result, and the detail to store."""

    result: diff.DiffResult
    detail: dict[str, Any] | None


def build(parent: str, child: str) -> Built:
    """The minimal edits from ``parent`` to ``child``, with the passages and moves they mean."""
    result = diff.diff(parent, child, semantic=False)
    detail: dict[str, Any] = {}
    shorter, longer = sorted((len(parent), len(child)))
    found = ()
    if longer and shorter < SEEK_BELOW * longer:
        found = excerpt_passages(parent, child, PASSAGE_LENS)
    if found:
        detail["passages"] = [
            [
                x.span.a_start,
                x.span.a_end,
                x.span.b_start,
                x.span.b_end,
                PASSAGE_LENS,
                len(x.edits),
                sum(e.b_end - e.b_start for e in x.edits),
                sum(e.a_end - e.a_start for e in x.edits),
                x.span.coverage,
            ]
            for x in found
        ]
    elif len(result.edits) > 1:  # a move takes a deletion and an insertion in two edits
        moved = moves.moved_blocks(parent, child, _move_candidates(parent, child, result))
        if moved:
            detail["moves"] = [
                [m.a_start, m.a_end, m.b_start, m.b_end, m.a_at, m.b_at,
                 round(m.similarity, 6), diff.to_compact(m.edits)]
                for m in moved
            ]
    return Built(result, detail or None)


def _move_candidates(parent: str, child: str, result: diff.DiffResult) -> Sequence[diff.Edit]:
    """The edits moved blocks are sought among: the minimal ones, stray matches folded in.

    A minimal diff matches stray letters of a moved paragraph with its
    surroundings; folding each equal run no longer than the edits beside it
    (`diff.coalesce`, the first rule of diff-match-patch's semantic cleanup)
    gives the moved text back as whole deletions and insertions, in time
    linear in the edits, without a second diff. A search that hit its cap
    (``complete=False``, a heavy rewrite) gives a character diff too
    scattered for that; there the display diff's line, word and character
    refinement is taken, as before. On the corpus the folded edits give at
    least as many moves as the display diff did (``benchmarks/moves.py``).
    """
    if not result.complete:
        return diff.diff(parent, child).edits
    spans = diff.coalesce((e.a_start, e.a_end, e.b_start, e.b_end) for e in result.edits)
    out: list[diff.Edit] = []
    for k, (a0, a1, b0, b1) in enumerate(spans):
        if a0 == a1 or b0 == b1:
            # An insertion or a deletion slides along the equal text around it
            # to where it reads best, as the cleanup's second rule does: a
            # moved paragraph then starts where its first word does.
            room_left = a0 - (out[-1].a_end if out else 0)
            room_right = (spans[k + 1][0] if k + 1 < len(spans) else len(parent)) - a1
            text, lo, hi = (parent, a0, a1) if b0 == b1 else (child, b0, b1)
            d = _best_shift(text, lo, hi, room_left, room_right)
            a0, a1, b0, b1 = a0 + d, a1 + d, b0 + d, b1 + d
        out.append(make_edit(parent, child, a0, a1, b0, b1))
    return out


def _best_shift(text: str, lo: int, hi: int, room_left: int, room_right: int) -> int:
    """How far ``text[lo:hi]``, inserted or deleted amid equal text, slides to read best.

    It may slide left while the character before it ends it too, right while
    the character after it starts it too, within the equal text on each side
    (``room_left``, ``room_right``); the best place has its ends on the
    strongest boundaries (diff-match-patch's semantic score: blank line, line
    break, sentence end, white space, punctuation), the rightmost of equals.
    """
    left = 0
    while left < room_left and text[lo - left - 1] == text[hi - left - 1]:
        left += 1
    right = 0
    while right < room_right and text[lo + right] == text[hi + right]:
        right += 1
    if not left and not right:
        return 0
    best, best_score = 0, -1
    for d in range(-left, right + 1):
        score = _boundary(text, lo + d) + _boundary(text, hi + d)
        if score >= best_score:
            best, best_score = d, score
    return best


def _boundary(text: str, i: int) -> int:
    """diff-match-patch's semantic score of a cut of ``text`` before index ``i`` (0 to 6)."""
    if i <= 0 or i >= len(text):
        return 6
    one, two = text[i - 1], text[i]
    if one.isalnum() and two.isalnum():
        return 0
    space_one = not one.isalnum() and one.isspace()
    space_two = not two.isalnum() and two.isspace()
    break_one = space_one and one in "\r\n"
    break_two = space_two and two in "\r\n"
    if (break_one and text.endswith(("\n\n", "\n\r\n"), 0, i)) or (
        break_two and text.startswith(("\n\n", "\r\n\n", "\n\r\n", "\r\n\r\n"), i)
    ):
        return 5
    if break_one or break_two:
        return 4
    if not one.isalnum() and not space_one and space_two:
        return 3
    if space_one or space_two:
        return 2
    return 1


def passages(detail: dict[str, Any] | None) -> tuple[StoredPassage, ...]:
    """The passages a record's detail names (none for a record without them)."""
    rows: Sequence = (detail or {}).get("passages") or ()
    return tuple(StoredPassage(*row) for row in rows)


def stored_moves(detail: dict[str, Any] | None) -> tuple[StoredMove, ...]:
    """The moved blocks a record's detail names, without their inside edits."""
    rows: Sequence = (detail or {}).get("moves") or ()
    return tuple(StoredMove(*row[:7], len(row[7])) for row in rows)


def reversed_passage(x: StoredPassage) -> StoredPassage:
    """The same passage seen from the child to the parent."""
    return StoredPassage(
        x.b_start, x.b_end, x.a_start, x.a_end, x.profile, x.edits, x.deleted, x.inserted,
        x.coverage,
    )


def reversed_move(m: StoredMove) -> StoredMove:
    """The same move seen from the child to the parent."""
    return StoredMove(m.b_start, m.b_end, m.a_start, m.a_end, m.b_at, m.a_at, m.similarity, m.edits)


def stored_move_spans(detail: dict[str, Any] | None) -> list[list[tuple[int, int, int]]]:
    """Per moved block, its equal runs ``(a_start, b_start, length)`` between old and new text.

    What blame needs to carry a moved block's characters from where they
    stood, read from the stored inside edits without the parent's text.
    """
    out = []
    for row in (detail or {}).get("moves") or ():
        a0, a1, b0, b1 = row[0], row[1], row[2], row[3]
        runs = []
        i, j = a0, b0
        for e in [*row[7], [a1, a1, b1, b1, ""]]:
            if e[0] > i:
                runs.append((i, j, e[0] - i))
            i, j = e[1], e[3]
        out.append(runs)
    return out


def moves_of(detail: dict[str, Any] | None, parent: str) -> tuple[moves.Move, ...]:
    """The moved blocks with their inside edits, read back against the parent's text."""
    rows: Sequence = (detail or {}).get("moves") or ()
    return tuple(
        moves.Move(*row[:7], diff.from_compact(row[7], parent)) for row in rows
    )


__all__ = [
    "PASSAGE_LENS",
    "Built",
    "StoredMove",
    "StoredPassage",
    "build",
    "moves_of",
    "passages",
    "reversed_move",
    "reversed_passage",
    "stored_move_spans",
    "stored_moves",
]
