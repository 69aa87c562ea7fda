"""Moved text: a block deleted in one place and inserted, perhaps lightly edited, in another.

``find_moves(a, b, edits)`` takes the edits of any diff (a character, word or
sentence diff, exact or through a lens: all are ``provenance.diff.Edit``
tuples at original offsets, in order, non-overlapping) and reports each moved
block once, as a ``Move`` with both positions and the edits inside the block,
instead of as a deletion plus an unrelated insertion. What the moves do not
cover is returned as the remaining edits.

How blocks are found (a partial block is the usual case: a diff seldom
deletes exactly the moved paragraph and nothing else):

1. Every edit's deleted text and inserted text is cut into *pieces* at line
   breaks and sentence ends (``. ! ?`` before white space, ``。！？；``), each
   piece keeping the white space after it. A move is made of whole pieces,
   so part of a replace edit can move while the rest stays an edit in place.
2. Each deleted piece with at least ``min_chars`` letters or digits is
   compared with inserted pieces of *other* edits that share character
   4-grams with it (white space left out, through the lens), the few best by
   shared 4-grams, by the diff engine; pairs at ``min_similarity`` or above
   are kept, and assigned one to one, the most matched characters first.
3. Pairs that follow each other in the same deletion and the same insertion
   are one block (unmatched pieces between them are taken in while the
   block's similarity stays above the threshold), and a block grows over the
   neighbouring pieces on both sides while they are alike (a short heading
   moved with its paragraph), then is checked as a whole: at least
   ``min_chars`` letters or digits on each side and ``min_similarity``.

4. A minimal character diff matches stray letters of a moved block with
   similar wording around it (the Company Law's articles share whole phrases
   of legal wording), which cuts the block into pieces too short to pair.
   So when there are ``_UNIT_PASS_EDITS`` edits or more, steps 1 to 3 also
   run on a coarser diff of the same stretches: words and clauses (runs of
   letters and digits) diffed as units, edits separated only by punctuation
   and white space merged, between the long unchanged runs (``_ANCHOR``) of
   the given edits. The answer moving more text is kept; with the unit
   diff's moves, the edits left are the given ones wherever the given diff
   passes through both corners of a unit edit, and that edit's two sides
   diffed by characters through the lens elsewhere. Moves therefore do not
   depend on how minimal the character diff is.

The source of a move is part of one edit's deletion and its destination part
of another edit's insertion; a block never spans unchanged text, and the
same edit never moves onto itself (that is a change in place).

Law (checked by the property tests): ``apply(a, found.edits, found.moves)``
is ``b`` exactly when the input edits replay ``a`` to ``b``; for edits
through a lens, it looks like ``b`` through that lens.

Cost: pieces are indexed by 4-gram (a gram in more than ``_POSTING_CAP``
pieces is too common to point anywhere and is skipped), and each deleted
piece is diffed against at most ``_CANDIDATES`` inserted pieces, so the work
grows with the edited text, not with the square of the number of edits
(``benchmarks/moves.py`` measures it, with the unit diff's share).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

from rapidfuzz.distance import Indel as _Indel

from provenance.diff import Edit, diff, replay
from provenance.lensdiff import diff_under, make_edit
from provenance.lenses import DEFAULT_PROFILE, check_profile, normalize

MIN_CHARS = 20
"""Least letters and digits on each side of a moved block (a CJK character counts
as one): git's ``--color-moved`` uses 20 alphanumeric characters. Shorter
blocks are phrases (a heading word, a list marker, "and the") that pair with
another place by chance; 20 CJK characters are about a clause. Counts at
10, 20, 40 and 80 on the corpus: ``benchmarks/moves.py``."""

MIN_SIMILARITY = 0.6
"""Least similarity (``DiffStats.similarity`` of the two blocks through the lens)
for a deleted and an inserted block to be one moved block. wikidiff2 uses 0.4,
but a character diff finds much in common between unrelated sentences of one
subject: in the corpus sample checked by eye (``benchmarks/moves.py``), pairs
between 0.4 and 0.6 were mostly unrelated sentences sharing a phrase ("This
Agreement, as well as" against "- You must comply with this Agreement and"),
pairs above 0.6 mostly real relocations (a sentence moved to another section,
a law article renumbered and reworded)."""

MIN_JUMP = 10
"""Least letters and digits of unchanged text a block must pass over to count as moved.
Counted on both sides: in A between the block and where it now stands
(``a_at``), in B between the block and where it stood (``b_at``). A diff
often splits a paragraph rewritten in place at an incidental match (a line
break, a common word): the old paragraph then ends one edit and the new one
starts the next, and in A nothing lies between them. That is a change in
place, not a move
(``benchmarks/moves.py`` shows the sample this was checked on)."""

SHORT_BLOCK = 4
SHORT_SIMILARITY = 0.8
"""A block with fewer than ``SHORT_BLOCK * min_chars`` letters or digits on a side
(80 at the defaults) needs at least ``SHORT_SIMILARITY``: in a rewritten text,
short fragments of unrelated sentences pair over a shared phrase or link ("...
to the purposes listed in this Privacy Statement" against "business units as
described in this Privacy Statement", 0.60; two different amendment lines of a
law's history, 0.70). Of the 22 moves read by eye on the corpus
(``benchmarks/moves.py``), every wrong one was such a short block under 0.8;
the short blocks kept (a heading, a sentence moved whole) are at 0.88 or more."""

_GRAM = 4
_POSTING_CAP = 24
_CANDIDATES = 3
_UNIT = re.compile(r"[^\W_]+|[\W_]+")
_WORD = re.compile(r"[^\W_]")
_UNIT_PASS_EDITS = 8  # fewer edits hold at most a few moves, which stray matches seldom cut
_ANCHOR = 64  # an unchanged run this long is no stray match: the unit diff is cut there
_PIECE_END = re.compile(
    r"\n|[.!?]+[\"'\u201d\u2019)\]]*\s+|[\u3002\uff01\uff1f\uff1b]+[\u201d\u2019\u300d\u300f\uff09)]*\s*"
)


@dataclass(frozen=True, slots=True)
class Move:
    """``a[a_start:a_end]`` was deleted where it stood and reappears as ``b[b_start:b_end]``.

    ``a_at`` is the offset in A where the block now stands (B's block is
    inserted there), ``b_at`` the offset in B where it used to stand (where
    A's block was taken out). ``similarity`` is that of the two blocks
    through the lens; ``edits`` turn the old block into the new one, at
    offsets in the original texts (inside ``[a_start, a_end]`` and
    ``[b_start, b_end]``).
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    a_at: int
    b_at: int
    similarity: float
    edits: tuple[Edit, ...]

    def to_json(self) -> dict:
        return {
            "a_start": self.a_start,
            "a_end": self.a_end,
            "b_start": self.b_start,
            "b_end": self.b_end,
            "a_at": self.a_at,
            "b_at": self.b_at,
            "similarity": round(self.similarity, 6),
            "edits": [e.to_json() for e in self.edits],
        }


@dataclass(frozen=True, slots=True)
class Moved:
    """The moves found and the edits they leave (in order, at original offsets).

    ``edits`` are the input edits with the moved pieces cut out: an edit
    whose whole deletion moved away becomes an insertion (or disappears).
    The remaining edits may touch each other where a move was cut out.
    """

    moves: tuple[Move, ...]
    edits: tuple[Edit, ...]

    def to_json(self) -> dict:
        return {
            "moves": [m.to_json() for m in self.moves],
            "edits": [e.to_json() for e in self.edits],
        }


def moved_text(a: str, move: Move) -> str:
    """The block as it reads in B, rebuilt from A and the move's inside edits."""
    inside = [_shift(e, -move.a_start, -move.b_start) for e in move.edits]
    return replay(a[move.a_start : move.a_end], inside)


def apply(a: str, edits: Iterable[Edit], moves: Iterable[Move]) -> str:
    """``a`` with ``edits`` applied and every move's block taken out and put in its new place."""
    ops = list(edits)
    for m in moves:
        ops.append(Edit("delete", m.a_start, m.a_end, m.b_at, m.b_at, a[m.a_start : m.a_end], ""))
        ops.append(Edit("insert", m.a_at, m.a_at, m.b_start, m.b_end, "", moved_text(a, m)))
    ops.sort(key=lambda e: (e.a_start, e.b_start, e.a_end))
    return replay(a, ops)


@dataclass(slots=True)
class _Piece:
    edit: int  # index of the edit
    index: int  # index among that edit's pieces on this side
    start: int
    end: int
    norm: str  # through the lens, white space left out
    alnum: int
    grams: frozenset[str]


def _pieces(
    text: str, start: int, end: int, edit: int, profile: str, min_chars: int
) -> list[_Piece]:
    out: list[_Piece] = []
    pos = start
    bounds = [m.end() for m in _PIECE_END.finditer(text, start, end)]
    if not bounds or bounds[-1] != end:
        bounds.append(end)
    for stop in bounds:
        if stop <= pos:
            continue
        raw = text[pos:stop]
        # The exact lens is the text itself: its offset maps are not needed here.
        norm = "".join((raw if profile == "exact" else normalize(raw, profile).text).split())
        alnum = _alnum(raw, 0, len(raw))
        # Only a piece long enough to move is looked up by its 4-grams.
        grams = (
            frozenset([norm[k : k + _GRAM] for k in range(max(1, len(norm) - _GRAM + 1))])
            if alnum >= min_chars
            else frozenset()
        )
        out.append(_Piece(edit, len(out), pos, stop, norm, alnum, grams))
        pos = stop
    return out


def find_moves(
    a: str,
    b: str,
    edits: Sequence[Edit],
    *,
    profile: str = DEFAULT_PROFILE,
    min_chars: int = MIN_CHARS,
    min_similarity: float = MIN_SIMILARITY,
    min_jump: int = MIN_JUMP,
) -> Moved:
    """Moved blocks among ``edits`` (turning ``a`` into ``b``), and the edits left beside them.

    ``profile`` is the lens the edits were computed through (it decides when
    two blocks are alike, and the inside edits are computed through it);
    ``min_chars``, ``min_similarity`` and ``min_jump`` are the thresholds
    ``MIN_CHARS``, ``MIN_SIMILARITY`` and ``MIN_JUMP``.
    """
    check_profile(profile)
    fine, coarse = _passes(a, b, edits, profile, min_chars, min_similarity, min_jump)
    if coarse is None:
        return fine
    return Moved(coarse.moves, tuple(_refined(a, b, coarse.edits, edits, profile)))


def moved_blocks(
    a: str,
    b: str,
    edits: Sequence[Edit],
    *,
    profile: str = DEFAULT_PROFILE,
    min_chars: int = MIN_CHARS,
    min_similarity: float = MIN_SIMILARITY,
    min_jump: int = MIN_JUMP,
) -> tuple[Move, ...]:
    """``find_moves(...).moves`` alone, without the edits left beside them.

    What an edit record stores (`provenance.editrecord`): it keeps the
    minimal edits whole, so the edits left are never needed there, and
    refining them is the costliest step when the unit diff's moves win.
    """
    check_profile(profile)
    fine, coarse = _passes(a, b, edits, profile, min_chars, min_similarity, min_jump)
    return fine.moves if coarse is None else coarse.moves


def _passes(
    a: str,
    b: str,
    edits: Sequence[Edit],
    profile: str,
    min_chars: int,
    min_similarity: float,
    min_jump: int,
) -> tuple[Moved, Moved | None]:
    """The given edits' moves, and the unit diff's when they move more text (else None)."""
    fine = _find(a, b, edits, profile, min_chars, min_similarity, min_jump, trim=False)
    if len(edits) < _UNIT_PASS_EDITS:
        return fine, None
    # The edits need not cover the texts (a passage's edits, say): the unit
    # diff is of the stretches they span, cut where they keep a long run
    # unchanged (no stray match; and the work stays with the changed text).
    units: list[Edit] = []
    for stretch in _stretches(edits):
        units.extend(_unit_edits(a, b, *stretch))
    coarse = _find(a, b, units, profile, min_chars, min_similarity, min_jump, trim=True)
    if _moved_chars(coarse) <= _moved_chars(fine):
        return fine, None
    return fine, coarse


def _moved_chars(found: Moved) -> int:
    return sum(m.a_end - m.a_start + m.b_end - m.b_start for m in found.moves)


def _find(
    a: str,
    b: str,
    edits: Sequence[Edit],
    profile: str,
    min_chars: int,
    min_similarity: float,
    min_jump: int,
    *,
    trim: bool,
) -> Moved:
    """Steps 1 to 3 of the module docstring on ``edits``.

    ``trim``: the edits were merged over punctuation and white space
    (`_unit_edits`), so where such an edit ends is an artefact of the merge; a
    block then ends on its last letter or digit on each side (the separator
    after it stays in place, as a character diff leaves it).
    """
    dels: list[list[_Piece]] = []
    ins: list[list[_Piece]] = []
    for k, e in enumerate(edits):
        dels.append(
            _pieces(a, e.a_start, e.a_end, k, profile, min_chars) if e.a_end > e.a_start else []
        )
        ins.append(
            _pieces(b, e.b_start, e.b_end, k, profile, min_chars) if e.b_end > e.b_start else []
        )

    # 2. candidate pairs by shared 4-grams, confirmed by the diff engine
    targets = [p for side in ins for p in side if p.alnum >= min_chars]
    postings: dict[str, list[int]] = defaultdict(list)
    for n, p in enumerate(targets):
        for g in p.grams:
            postings[g].append(n)
    pairs: list[tuple[int, _Piece, _Piece, float]] = []
    for side in dels:
        for d in side:
            if d.alnum < min_chars:
                continue
            # One count over every posting (the same counts, first seen first, as
            # counting posting by posting; a third less time).
            hits: Counter[int] = Counter(
                chain.from_iterable(
                    plist
                    for plist in map(postings.get, d.grams)
                    if plist is not None and len(plist) <= _POSTING_CAP
                )
            )
            tried = 0
            for n, shared in hits.most_common(_CANDIDATES + 2):
                p = targets[n]
                if p.edit == d.edit:
                    continue
                if tried == _CANDIDATES or shared < 0.2 * min(len(d.grams), len(p.grams)):
                    break
                tried += 1
                alike = _similarity(d.norm, p.norm, min_similarity)
                if alike is not None:
                    pairs.append((alike[1], d, p, alike[0]))

    # one to one, the most matched characters first
    pairs.sort(key=lambda t: (-t[0], t[1].start, t[2].start))
    used_d: set[int] = set()
    used_i: set[int] = set()
    chosen: list[tuple[_Piece, _Piece, int]] = []
    for matched, d, p, _sim in pairs:
        if id(d) in used_d or id(p) in used_i:
            continue
        used_d.add(id(d))
        used_i.add(id(p))
        chosen.append((d, p, matched))

    # 3. runs of pairs into blocks, grown over alike neighbours
    chosen.sort(key=lambda t: (t[0].edit, t[0].index))
    blocks: list[list] = []  # [d_first, d_last, i_first, i_last, matched, len_a, len_b]
    for d, p, matched in chosen:
        if blocks:
            blk = blocks[-1]
            d1, i1 = blk[1], blk[3]
            if (
                d.edit == d1.edit
                and p.edit == i1.edit
                and d.index > d1.index
                and p.index > i1.index
            ):
                gap_a = sum(len(x.norm) for x in dels[d.edit][d1.index + 1 : d.index])
                gap_b = sum(len(x.norm) for x in ins[p.edit][i1.index + 1 : p.index])
                free = all(
                    id(x) not in used_d for x in dels[d.edit][d1.index + 1 : d.index]
                ) and all(id(x) not in used_i for x in ins[p.edit][i1.index + 1 : p.index])
                la = blk[5] + gap_a + len(d.norm)
                lb = blk[6] + gap_b + len(p.norm)
                m = blk[4] + matched
                if free and 2 * m >= min_similarity * (la + lb):
                    blk[1], blk[3], blk[4], blk[5], blk[6] = d, p, m, la, lb
                    for x in dels[d.edit][d1.index + 1 : d.index]:
                        used_d.add(id(x))
                    for x in ins[p.edit][i1.index + 1 : p.index]:
                        used_i.add(id(x))
                    continue
        blocks.append([d, d, p, p, matched, len(d.norm), len(p.norm)])

    found: list[tuple[int, int, int, int, int, int]] = []  # edit_a, a0, a1, edit_b, b0, b1
    for d0, d1, i0, i1, *_ in blocks:
        da, ib = dels[d0.edit], ins[i0.edit]
        lo_a, hi_a, lo_b, hi_b = d0.index, d1.index, i0.index, i1.index
        while (
            lo_a > 0
            and lo_b > 0
            and _grow(da[lo_a - 1], ib[lo_b - 1], used_d, used_i, min_similarity)
        ):
            lo_a, lo_b = lo_a - 1, lo_b - 1
        while (
            hi_a + 1 < len(da)
            and hi_b + 1 < len(ib)
            and _grow(da[hi_a + 1], ib[hi_b + 1], used_d, used_i, min_similarity)
        ):
            hi_a, hi_b = hi_a + 1, hi_b + 1
        a0, a1, b0, b1 = da[lo_a].start, da[hi_a].end, ib[lo_b].start, ib[hi_b].end
        if trim:
            a1, b1 = _last_word_end(a, a0, a1), _last_word_end(b, b0, b1)
        found.append((d0.edit, a0, a1, i0.edit, b0, b1))

    # the block as a whole: long enough and alike enough
    moves_at: list[tuple[int, int, int, int, int, int, float, tuple[Edit, ...]]] = []
    for ea, a0, a1, eb, b0, b1 in found:
        size = min(_alnum(a, a0, a1), _alnum(b, b0, b1))
        if size < min_chars:
            continue
        similarity, inside = _inside(a, b, a0, a1, b0, b1, profile)
        short = size < SHORT_BLOCK * min_chars
        if similarity < (max(min_similarity, SHORT_SIMILARITY) if short else min_similarity):
            continue
        moves_at.append((ea, a0, a1, eb, b0, b1, similarity, inside))
    while True:
        out = _cut(a, b, edits, moves_at)
        stays = [m for m in out.moves if not _moved(a, b, m, min_jump)]
        if not stays:
            return out
        drop = {(m.a_start, m.b_start) for m in stays}
        moves_at = [f for f in moves_at if (f[1], f[4]) not in drop]


def _moved(a: str, b: str, m: Move, min_jump: int) -> bool:
    """Whether the block passes over ``min_jump`` letters or digits on both sides."""
    span_a = (m.a_end, m.a_at) if m.a_at >= m.a_end else (m.a_at, m.a_start)
    span_b = (m.b_end, m.b_at) if m.b_at >= m.b_end else (m.b_at, m.b_start)
    return _has_alnum(a, *span_a, min_jump) and _has_alnum(b, *span_b, min_jump)


def _has_alnum(text: str, start: int, end: int, least: int) -> bool:
    """Whether ``text[start:end]`` holds ``least`` letters or digits (reads no further)."""
    if least <= 0:
        return True
    for k in range(start, end):
        if text[k].isalnum():
            least -= 1
            if not least:
                return True
    return False


def _inside(
    a: str, b: str, a0: int, a1: int, b0: int, b1: int, profile: str
) -> tuple[float, tuple[Edit, ...]]:
    """Similarity of two blocks and the edits between them, at original offsets.

    Through a lens, the white space at either end of a block is compared
    exactly (out of its context a lens would drop it, and the block would no
    longer join its new neighbours as it does in B); the rest through the lens.
    """
    if profile == "exact":
        # What diff_under counts and maps under the exact lens (the lens is the
        # text itself), without its offset maps and whitespace share.
        inside = diff(a[a0:a1], b[b0:b1])
        return inside.stats.similarity, tuple(_shift(e, a0, b0) for e in inside.edits)
    ca0, ca1 = _core(a, a0, a1)
    cb0, cb1 = _core(b, b0, b1)
    inside = diff_under(a[ca0:ca1], b[cb0:cb1], profile)
    edits = [_shift(e, ca0, cb0) for e in inside.edits]
    if a[a0:ca0] != b[b0:cb0]:
        edits.insert(0, make_edit(a, b, a0, ca0, b0, cb0))
    if a[ca1:a1] != b[cb1:b1]:
        edits.append(make_edit(a, b, ca1, a1, cb1, b1))
    return inside.stats.similarity, tuple(_merge_touching(a, b, edits))


def _core(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _merge_touching(a: str, b: str, edits: list[Edit]) -> list[Edit]:
    out: list[Edit] = []
    for e in edits:
        if out and (e.a_start <= out[-1].a_end or e.b_start <= out[-1].b_end):
            p = out.pop()
            e = make_edit(a, b, p.a_start, max(p.a_end, e.a_end), p.b_start, max(p.b_end, e.b_end))
        out.append(e)
    return out


def _grow(x: _Piece, y: _Piece, used_d: set[int], used_i: set[int], min_similarity: float) -> bool:
    if id(x) in used_d or id(y) in used_i:
        return False
    if x.norm != y.norm and _similarity(x.norm, y.norm, min_similarity) is None:
        return False
    used_d.add(id(x))
    used_i.add(id(y))
    return True


def _similarity(x: str, y: str, floor: float) -> tuple[float, int] | None:
    """Similarity of two normalized texts and how many characters they share, if at least ``floor``.

    The similarity is that of the display diff of the two (``diff(x, y)``,
    its cleanup within budget), None when it is under ``floor``. Two texts
    whose 4-grams found once in each do not mostly follow the same order are
    not diffed (unrelated long texts would cost the diff engine seconds):
    None too. Nor are two whose longest common subsequence (the Indel
    distance, bit-parallel) already puts them under ``floor``: no diff keeps
    more unchanged than that, so the display diff's similarity, with the
    same denominator, is no higher (nine in ten of the pairs the 4-grams
    propose, on the corpus; ``benchmarks/register_cost.py``).
    """
    if x == y:
        return 1.0, len(x)
    if not x or not y:
        return None
    total = len(x) + len(y)
    if 2 * ((total - _Indel.distance(x, y)) // 2) / total < floor:
        return None
    if min(len(x), len(y)) > 4 * _GRAM and _chain(x, y) < 0.2 * (min(len(x), len(y)) - _GRAM + 1):
        return None
    d = diff(x, y).stats  # what diff_under(x, y, "exact") counts: the lens is the text itself
    return (d.similarity, d.unchanged) if d.similarity >= floor else None


def _chain(x: str, y: str) -> int:
    """How many 4-grams found once in each text follow the same order in both (a longest
    increasing subsequence, O(n log n))."""
    first_x = _unique_grams(x)
    first_y = _unique_grams(y)
    seq = [first_y[g] for g, _p in sorted(first_x.items(), key=lambda t: t[1]) if g in first_y]
    tails: list[int] = []
    for q in seq:
        k = bisect_left(tails, q)
        if k == len(tails):
            tails.append(q)
        else:
            tails[k] = q
    return len(tails)


def _unique_grams(text: str) -> dict[str, int]:
    seen: dict[str, int] = {}
    twice: set[str] = set()
    for k in range(len(text) - _GRAM + 1):
        g = text[k : k + _GRAM]
        if g in seen:
            twice.add(g)
        else:
            seen[g] = k
    for g in twice:
        del seen[g]
    return seen


def _alnum(text: str, start: int, end: int) -> int:
    """How many letters and digits ``text[start:end]`` holds (``str.isalnum``, as ``[^\\W_]`` is)."""
    return len(_WORD.findall(text, start, end))


def _shift(e: Edit, da: int, db: int) -> Edit:
    return Edit(e.op, e.a_start + da, e.a_end + da, e.b_start + db, e.b_end + db, e.old, e.new)


def _cut(a: str, b: str, edits: Sequence[Edit], found: list) -> Moved:
    """Cut each move's source out of its edit's deletion and its destination out of its insertion."""
    sources: dict[int, list] = defaultdict(list)
    dests: dict[int, list] = defaultdict(list)
    for f in found:
        sources[f[0]].append(f)
        dests[f[3]].append(f)
    b_at: dict[int, int] = {}
    a_at: dict[int, int] = {}
    rest: list[Edit] = []
    for k, e in enumerate(edits):
        if k not in sources and k not in dests:
            rest.append(e)
            continue
        holes_a = sorted((f[1], f[2], id(f)) for f in sources.get(k, []))
        holes_b = sorted((f[4], f[5], id(f)) for f in dests.get(k, []))
        o0_end = holes_a[0][0] if holes_a else e.a_end
        n0_end = holes_b[0][0] if holes_b else e.b_end
        if o0_end > e.a_start or n0_end > e.b_start:
            rest.append(make_edit(a, b, e.a_start, o0_end, e.b_start, n0_end))
        # the rest of the deletion, where the insertion's first part ends
        for n, (_h0, h1, key) in enumerate(holes_a):
            b_at[key] = n0_end
            nxt = holes_a[n + 1][0] if n + 1 < len(holes_a) else e.a_end
            if nxt > h1:
                rest.append(make_edit(a, b, h1, nxt, n0_end, n0_end))
        # the rest of the insertion, after the whole deletion
        for n, (_h0, h1, key) in enumerate(holes_b):
            a_at[key] = e.a_end
            nxt = holes_b[n + 1][0] if n + 1 < len(holes_b) else e.b_end
            if nxt > h1:
                rest.append(make_edit(a, b, e.a_end, e.a_end, h1, nxt))
    moves = tuple(
        sorted(
            (Move(f[1], f[2], f[4], f[5], a_at[id(f)], b_at[id(f)], f[6], f[7]) for f in found),
            key=lambda m: (m.a_start, m.b_start),
        )
    )
    return Moved(moves, tuple(rest))


def _last_word_end(text: str, start: int, end: int) -> int:
    """Where ``text[start:end]`` ends once its closing punctuation and white space are left out."""
    k = end
    while k > start + 1 and not _WORD.match(text, k - 1):
        k -= 1
    return k


def _stretches(edits: Sequence[Edit]) -> list[tuple[int, int, int, int]]:
    """The spans of ``edits``, cut at the unchanged runs of ``_ANCHOR`` characters or more."""
    out = [[edits[0].a_start, edits[0].a_end, edits[0].b_start, edits[0].b_end]]
    for e in edits[1:]:
        p = out[-1]
        if e.a_start - p[1] >= _ANCHOR and e.b_start - p[3] >= _ANCHOR:
            out.append([e.a_start, e.a_end, e.b_start, e.b_end])
        else:
            p[1], p[3] = e.a_end, e.b_end
    return [(a0, a1, b0, b1) for a0, a1, b0, b1 in out]


def _unit_edits(a: str, b: str, a_lo: int, a_hi: int, b_lo: int, b_hi: int) -> list[Edit]:
    """Edits of a diff of words and clauses, at character offsets, merged over punctuation.

    A unit is a run of letters and digits (a word; in Chinese or Japanese,
    which have no spaces, a clause) or a run of white space and punctuation;
    ``a[a_lo:a_hi]`` and ``b[b_lo:b_hi]`` are cut into units.
    Every distinct unit is one code point, the code strings are diffed, and
    edits separated only by punctuation and white space are one edit: a
    moved article then stays one deletion and one insertion, where the
    character diff matches its letters with the similar wording around it.
    """
    ua = [m.span() for m in _UNIT.finditer(a, a_lo, a_hi)]
    ub = [m.span() for m in _UNIT.finditer(b, b_lo, b_hi)]
    table: dict[str, str] = {}

    def code(text: str, units: list[tuple[int, int]]) -> str:
        out = []
        for s, e in units:
            c = table.get(text[s:e])
            if c is None:
                n = len(table) + 0x100
                c = table[text[s:e]] = chr(n if n < 0xD800 else n + 0x800)
            out.append(c)
        return "".join(out)

    ca, cb = code(a, ua), code(b, ub)
    spans: list[list[int]] = []
    for e in diff(ca, cb, semantic=False).edits:
        if spans and not any(_WORD.match(a, ua[k][0]) for k in range(spans[-1][1], e.a_start)):
            spans[-1][1], spans[-1][3] = e.a_end, e.b_end
        else:
            spans.append([e.a_start, e.a_end, e.b_start, e.b_end])

    def at(units: list[tuple[int, int]], k: int, total: int) -> int:
        return units[k][0] if k < len(units) else total

    return [
        make_edit(a, b, at(ua, a0, a_hi), at(ua, a1, a_hi), at(ub, b0, b_hi), at(ub, b1, b_hi))
        for a0, a1, b0, b1 in spans
    ]


def _refined(
    a: str, b: str, coarse: Sequence[Edit], fine: Sequence[Edit], profile: str
) -> list[Edit]:
    """The coarse edits left beside the moves, at the grain of ``fine`` where it fits.

    Where the fine diff passes through both corners of a coarse edit, its own
    edits between them are taken; elsewhere the coarse edit's two sides are
    diffed through the lens.
    """
    runs: list[tuple[int, int, int]] = []  # a_start, a_end, b_start of each equal run
    pa, pb = fine[0].a_start, fine[0].b_start
    for e in fine:
        runs.append((pa, e.a_start, pb))
        pa, pb = e.a_end, e.b_end
    runs.append((pa, pa, pb))
    starts = [r[0] for r in runs]

    def on_path(x: int, y: int) -> bool:
        k = bisect_right(starts, x) - 1
        while k >= 0 and runs[k][1] >= x:  # runs touch at most at their ends
            r0, r1, rb = runs[k]
            if y == rb + x - r0 and r1 - r0 == _run_b_len(k):
                return True
            k -= 1
        return False

    def _run_b_len(k: int) -> int:
        return (fine[k].b_start if k < len(fine) else pb) - runs[k][2]

    out: list[Edit] = []
    for c in coarse:
        if on_path(c.a_start, c.b_start) and on_path(c.a_end, c.b_end):
            lo = bisect_left(starts, c.a_start)
            inside = [
                e
                for e in fine[max(0, lo - 1) : bisect_right(starts, c.a_end)]
                if c.a_start <= e.a_start and e.a_end <= c.a_end
                and c.b_start <= e.b_start and e.b_end <= c.b_end
            ]
            out.extend(inside)
        else:
            d = diff_under(a[c.a_start : c.a_end], b[c.b_start : c.b_end], profile)
            out.extend(_shift(e, c.a_start, c.b_start) for e in d.edits)
    return out
