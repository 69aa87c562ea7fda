"""Passage alignment: find the passages two texts share, and diff only those.

When one text is a copy of a passage of the other (a report cut from a
newspaper page, a quote inside a longer text), a plain diff reports the rest
of the page as one huge deletion and, worse, lets the diff engine pair scraps
of unrelated material. ``align`` first finds the shared passages, then reports
the wording edits inside them, and keeps what lies outside them apart. An
article carried in several pieces (continued on another page, its paragraphs
reordered) is several passages, in the order of the shorter text (the copy).

How (all in the normalized texts of a lens, so whitespace and segmentation
never break a match):

1. Anchors: ``ANCHOR``-code-point substrings that occur exactly once in each
   text; neighbouring anchors on one diagonal merge into runs.
2. Chain: the heaviest chain of runs increasing in both texts (weighted
   longest increasing subsequence, O(r log r) over r runs).
3. Densest stretch (a core): along the chain, the contiguous stretch
   maximizing matched code points minus ``GAP_WEIGHT`` times each gap (the
   larger of its two sides). A distant stray match costs its gap and is left
   out; a gap much longer on one side (``SPLIT_GAP``: other text between two
   pieces) ends the stretch. Further cores are sought the same way among the
   runs outside the cores found (``_cores``), up to ``MAX_PASSAGES``.
4. Edges: each core and a margin on each side (never reaching another
   passage) are diffed, the margin before it backwards so that a sentence
   the page repeats further out (a lead) is matched where it is nearest;
   the same score over the diff's equal runs and edits picks where the
   passage starts and ends, so edits near its edges (a year inserted into
   the first sentence) stay inside while unrelated text stays out.
5. Pieces in another order in each text: words a passage's neighbours begin
   with, taken by the passage, are offered back to them (``_given_back``).

A clause repeated word for word in two pieces has no anchor unique in the
whole texts; once no further core is found, anchors are sought once more
among the k-grams outside the cores (unique there), when the shorter text
still has room for a passage outside them.

Texts too short for anchors are diffed whole and go through step 4 only;
longer texts without a single anchor share no passage.
Every step is linear or O(n log n) in Python plus the C++ diffs of the
regions, once per passage (at most ``MAX_PASSAGES`` chains over the runs).
"""

from __future__ import annotations

from bisect import bisect
from collections import Counter
from dataclasses import dataclass

from provenance.diff import DiffStats, Edit, diff
from provenance.lensdiff import map_edits
from provenance.lenses import check_profile, normal_text, normalize

ANCHOR = 12
"""Length of an anchor in normalized code points (12 Han characters are a clause)."""

GAP_WEIGHT = 1.0
"""How much an unmatched code point costs against a matched one when choosing the passage."""

MIN_MATCH = 32
"""Fewest matched normalized code points for a passage (or all of the shorter text, if shorter)."""

SPLIT_GAP = 4 * ANCHOR
"""A stretch this much longer in one text than in the other, between two
anchored stretches, separates two passages (an article continued on another
page, with other text between its pieces) instead of being one edit inside one."""

MAX_PASSAGES = 16
"""Most passages sought: each further one costs a chain over the runs left."""

EXCERPT_COVERAGE = 0.8
"""``suggest_relation``: share of the shorter text a passage must cover to make it an excerpt..."""

EXCERPT_REST = 0.2
"""... while at least this share of the longer text lies outside the passage."""


@dataclass(frozen=True, slots=True)
class Passage:
    """The shared passage: ``a[a_start:a_end]`` and ``b[b_start:b_end]`` (original offsets).

    ``matched`` counts the normalized code points in equal runs inside the
    passage; ``coverage`` is ``matched`` divided by the normalized length of
    the shorter text: 1.0 when every code point the lens keeps of the shorter
    text is matched, verbatim, inside the passage. ``a_size`` and ``b_size``
    are its normalized lengths in each text.
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    coverage: float
    matched: int
    a_size: int = 0
    b_size: int = 0

    def to_json(self) -> dict:
        return {
            "a_start": self.a_start,
            "a_end": self.a_end,
            "b_start": self.b_start,
            "b_end": self.b_end,
            "coverage": round(self.coverage, 6),
            "matched": self.matched,
        }


@dataclass(frozen=True, slots=True)
class AlignedEdit:
    """An edit at original offsets; ``inside`` says whether it lies in a passage.

    Outside edits are the material the passages were cut from, not wording
    changes: with one passage, at most two (what precedes it in each text,
    one edit from ``a[:passage.a_start]`` to ``b[:passage.b_start]``, and
    what follows it); with several, one per gap between them (see
    ``_outside`` for passages in another order in each text).
    """

    op: str
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    old: str
    new: str
    inside: bool
    kind: str | None = None  # what kind of edit (provenance.kinds); None outside the passage

    def as_edit(self) -> Edit:
        return Edit(self.op, self.a_start, self.a_end, self.b_start, self.b_end, self.old, self.new)  # type: ignore[arg-type]

    def to_json(self) -> dict:
        return {**self.as_edit().to_json(), "inside": self.inside, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class Alignment:
    """The passages ``a`` and ``b`` share under ``profile``, and the edits around and in them.

    ``passages`` are in the order of the shorter text (the copy), disjoint in
    both texts; ``passage`` is the first of them, or None when there is no
    meaningful shared passage (fewer than ``MIN_MATCH`` matched code points);
    ``edits`` is then empty.
    ``a_outside`` and ``b_outside`` count the normalized code points of each
    text outside the passage; ``a_length`` and ``b_length`` are the normalized
    lengths of the whole texts; ``a_outer`` and ``b_outer`` count those
    before the first passage and after the last in each text (with one
    passage, the same as ``a_outside`` and ``b_outside``). ``stats`` describe the inside edits over the
    passages, counted under the profile (None without a passage), so a caller
    need not diff them a second time.
    """

    profile: str
    passage: Passage | None
    edits: tuple[AlignedEdit, ...]
    a_outside: int
    b_outside: int
    a_length: int = 0
    b_length: int = 0
    stats: DiffStats | None = None
    passages: tuple[Passage, ...] = ()
    a_outer: int = 0  # normalized code points of A before its first passage and after its last
    b_outer: int = 0

    @property
    def matched(self) -> int:
        """Normalized code points matched verbatim inside all the passages."""
        return sum(p.matched for p in self.passages)

    @property
    def coverage(self) -> float:
        """``matched`` over the normalized length of the shorter text (0 without a passage)."""
        shorter = min(self.a_length, self.b_length)
        return self.matched / shorter if shorter else 0.0

    @property
    def inside_edits(self) -> tuple[AlignedEdit, ...]:
        return tuple(e for e in self.edits if e.inside)

    @property
    def outside_edits(self) -> tuple[AlignedEdit, ...]:
        return tuple(e for e in self.edits if not e.inside)

    def to_json(self) -> dict:
        return {
            "profile": self.profile,
            "passage": None if self.passage is None else self.passage.to_json(),
            "passages": [p.to_json() for p in self.passages],
            "edits": [e.to_json() for e in self.edits],
            "a_outside": self.a_outside,
            "b_outside": self.b_outside,
        }


PRETEST_SHARE = 0.5
"""``align(..., min_coverage=c)`` gives up before any diff when the anchored
runs of the chain cover less than ``PRETEST_SHARE * c`` of the shorter text.
Anchors miss at most ``ANCHOR - 1`` code points beside each edit (and the
k-grams a text repeats), so a passage that matches ``c`` of the shorter text
verbatim has far more than half of that anchored: the seed excerpt 0.95 of
0.99, while the rewrite of github-community-guidelines 0023 -> 0024 has 0.33
(its densest passage matches only 0.07)."""


def align(a: str, b: str, profile: str = "cjk", *, min_coverage: float = 0.0) -> Alignment:
    """Find the passages ``a`` and ``b`` share under ``profile`` and the edits inside them.

    The default profile is ``cjk``: finding a copied passage is a comparison
    across layouts, which is what that lens is for. With ``min_coverage``,
    a caller that only wants passages matching at least that share of the
    shorter text gets none, cheaply (no diff), when the anchors show they
    cannot (see ``PRETEST_SHARE``).
    """
    check_profile(profile)
    # The normal forms first, without their offset maps (``normal_text``, ten
    # times cheaper): the maps are built only once a passage is found.
    A, B = normal_text(a, profile), normal_text(b, profile)
    none = Alignment(profile, None, (), len(A), len(B), len(A), len(B))
    if not A or not B:
        return none
    pieces: list[tuple[tuple[int, int, int, int], int, list[Edit]]] = []
    if min(len(A), len(B)) < 4 * ANCHOR:  # too short for anchors: the whole texts, diffed
        best = _densest_edges(diff(A, B).edits, len(A), len(B))
        if best is not None:
            pieces.append(best)
    else:
        cores = _cores(A, B, PRETEST_SHARE * min_coverage * min(len(A), len(B)))
        # Each passage grows from its core up to its neighbours' cores (or the
        # passages already grown from them), so passages never overlap. One
        # whose growth is contested by a neighbour in each text grows last.
        order, first = _growth_order(A, B, cores)
        waiting = set(range(len(cores)))
        for n in order:
            waiting.discard(n)
            taken = [p[0] for p in pieces] + [cores[m] for m in sorted(waiting)]
            bounds = _bounds(cores[n], taken, len(A), len(B))
            best = first[n][1] if n in first and first[n][0] == bounds else _grown(A, B, cores[n], bounds)
            if best is not None:
                pieces.append(best)
    pieces = _given_back(A, B, _joined(A, B, pieces))
    pieces = [p for p in pieces if p[1] >= min(MIN_MATCH, len(A), len(B))]
    if not pieces:
        return none
    la, lb = normalize(a, profile), normalize(b, profile)
    # In the order of the copy (the shorter text), each at its original offsets.
    copy_side = 0 if len(A) <= len(B) else 2
    pieces.sort(key=lambda p: p[0][copy_side])
    shorter = min(len(A), len(B))
    passages: list[Passage] = []
    inside: list[Edit] = []
    for (pa0, pa1, pb0, pb1), matched, inner in pieces:
        spans = [(e.a_start, e.a_end, e.b_start, e.b_end) for e in inner]
        mapped = map_edits(la, lb, spans)
        oa0, oa1 = la.to_original_span(pa0, pa1)
        ob0, ob1 = lb.to_original_span(pb0, pb1)
        if mapped:  # an edit widened over shared material at an edge widens the passage
            oa0, ob0 = min(oa0, mapped[0].a_start), min(ob0, mapped[0].b_start)
            oa1, ob1 = max(oa1, mapped[-1].a_end), max(ob1, mapped[-1].b_end)
        passages.append(
            Passage(oa0, oa1, ob0, ob1, matched / shorter, matched, pa1 - pa0, pb1 - pb0)
        )
        inside.extend(mapped)
    edits = _outside(a, b, la, lb, passages, [p[0] for p in pieces])
    edits.extend(
        _aligned(a, b, e.a_start, e.a_end, e.b_start, e.b_end, inside=True) for e in inside
    )
    edits.sort(key=lambda e: (e.a_start, e.b_start, e.inside))
    size_a = sum(p.a_size for p in passages)
    size_b = sum(p.b_size for p in passages)
    deleted = sum(e.a_end - e.a_start for p in pieces for e in p[2])
    inserted = sum(e.b_end - e.b_start for p in pieces for e in p[2])
    unchanged = size_a - deleted
    total = size_a + size_b
    stats = DiffStats(len(inside), inserted, deleted, unchanged, 2 * unchanged / total if total else 1.0)
    return Alignment(
        profile, passages[0], tuple(edits), len(A) - size_a, len(B) - size_b, len(A), len(B),
        stats, tuple(passages),
        len(A) - max(p[0][1] for p in pieces) + min(p[0][0] for p in pieces),
        len(B) - max(p[0][3] for p in pieces) + min(p[0][2] for p in pieces),
    )


def _outside(a: str, b: str, la, lb, passages: list[Passage], spans: list) -> list[AlignedEdit]:
    """The material outside the passages, as edits marked ``inside=False``.

    Passages in the same order in both texts leave gaps between them (and
    before the first, after the last): each gap holding normalized material
    is one edit from A's side of it to B's, so outside and inside edits
    together still turn A into B. Passages in another order in each text
    (reordered paragraphs) leave no such gaps: each stretch of either text
    outside every passage is then an edit of that text alone (a deletion
    from A, an insertion into B), placed after the passage that precedes it.
    """
    out: list[AlignedEdit] = []
    by_a = sorted(range(len(passages)), key=lambda n: passages[n].a_start)
    if by_a == sorted(by_a, key=lambda n: passages[n].b_start):  # the same order in both texts
        ends = [(0, 0, 0, 0)] + [(p.a_end, p.b_end, s[1], s[3]) for p, s in zip(passages, spans, strict=True)]
        starts = [(p.a_start, p.b_start, s[0], s[2]) for p, s in zip(passages, spans, strict=True)]
        starts.append((len(a), len(b), len(la.text), len(lb.text)))
        for (oa0, ob0, na0, nb0), (oa1, ob1, na1, nb1) in zip(ends, starts, strict=True):
            if na1 > na0 or nb1 > nb0:
                out.append(_aligned(a, b, oa0, oa1, ob0, ob1, inside=False))
        return out
    for side in (0, 1):
        key = (lambda p: p.a_start) if side == 0 else (lambda p: p.b_start)
        ranked = sorted(range(len(passages)), key=lambda n: key(passages[n]))
        text, lens = (a, la) if side == 0 else (b, lb)
        at, n_at, other_at = 0, 0, 0
        for n in [*ranked, None]:
            if n is None:
                o1, n1 = len(text), len(lens.text)
            else:
                p, s = passages[n], spans[n]
                o1, n1 = (p.a_start, s[0]) if side == 0 else (p.b_start, s[2])
            if n1 > n_at:
                if side == 0:
                    out.append(_aligned(a, b, at, o1, other_at, other_at, inside=False))
                else:
                    out.append(_aligned(a, b, other_at, other_at, at, o1, inside=False))
            if n is not None:
                p, s = passages[n], spans[n]
                at, n_at = (p.a_end, s[1]) if side == 0 else (p.b_end, s[3])
                other_at = p.b_end if side == 0 else p.a_end
    return out


def suggest_relation(a: str, b: str, profile: str = "cjk") -> str:
    """``"excerpt"`` when one text is (mostly) a passage of the other, else ``"revision"``.

    Excerpt means: the passages cover at least ``EXCERPT_COVERAGE`` of the
    shorter text, and at least ``EXCERPT_REST`` of the longer text (in
    normalized code points) lies outside them.
    """
    al = align(a, b, profile)
    if al.passage is None:
        return "revision"
    longer_len, longer_out = max((al.a_length, al.a_outside), (al.b_length, al.b_outside))
    if al.coverage >= EXCERPT_COVERAGE and longer_out >= EXCERPT_REST * longer_len:
        return "excerpt"
    return "revision"


def _aligned(a: str, b: str, a0: int, a1: int, b0: int, b1: int, *, inside: bool) -> AlignedEdit:
    old, new = a[a0:a1], b[b0:b1]
    op = "replace" if old and new else ("delete" if old else "insert")
    return AlignedEdit(op, a0, a1, b0, b1, old, new, inside)


# -- step 1-3: anchors, chain, densest stretches ------------------------------


def _cores(A: str, B: str, least: float = 0.0) -> list[tuple[int, int, int, int]]:
    """The anchored cores of the passages, largest first: normalized spans
    ``(a0, a1, b0, b1)`` that overlap in neither text.

    The first is the densest stretch of the heaviest chain of anchor runs.
    Each further core is sought among the runs outside every core found, in
    one cell of the texts (between the same two cores in A and in B, so a
    core never straddles another), until no stretch anchors ``MIN_MATCH``
    code points (a further one: ``ANCHOR``; the passage grown from it must
    still match ``MIN_MATCH``) or ``MAX_PASSAGES`` are found. Empty when the cores anchor
    fewer than ``least`` code points (see ``PRETEST_SHARE``).
    """
    runs = _runs(A, B, ANCHOR)
    cores: list[tuple[int, int, int, int]] = []
    anchored = 0
    sought_again = False
    while len(cores) < MAX_PASSAGES:
        if not runs:
            # A clause repeated word for word in two pieces has no anchor in the
            # whole texts; between the cores found it may be unique: seek anchors
            # once more there, when the shorter text has room for a passage.
            if sought_again or not cores or not _room(A, B, cores):
                break
            sought_again = True
            runs = _runs(A, B, ANCHOR, cores)
            continue
        cells: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        starts_a = sorted(c[0] for c in cores)
        starts_b = sorted(c[2] for c in cores)
        for run in runs:
            cells.setdefault((bisect(starts_a, run[0]), bisect(starts_b, run[1])), []).append(run)
        best = max((_densest_chain(_chain(group)) for group in cells.values()), default=None)
        if best is None or (cores and best[1] < ANCHOR):
            if sought_again or not cores:
                break
            runs = []
            continue
        _, weight, core = best
        cores.append(core)
        anchored += weight
        a0, a1, b0, b1 = core
        runs = [
            (i, j, n) for i, j, n in runs
            if (i + n <= a0 or a1 <= i) and (j + n <= b0 or b1 <= j)
        ]
    if anchored < least:
        return []
    return cores


def _joined(
    A: str, B: str, pieces: list[tuple[tuple[int, int, int, int], int, list[Edit]]]
) -> list[tuple[tuple[int, int, int, int], int, list[Edit]]]:
    """The passages, with neighbours in both texts joined into one where the
    score of ``_densest_chain`` would join them: the gap between them costs
    less than either matches, and is not much longer in one text than in the
    other (``SPLIT_GAP``). Repetitive text (a law's parallel clauses) anchors
    sparsely, so one passage can come out of several cores."""
    pieces = sorted(pieces, key=lambda p: p[0][0])
    out: list[tuple[tuple[int, int, int, int], int, list[Edit]]] = []
    for piece in pieces:
        if out:
            (a0, a1, b0, b1), matched, edits = out[-1]
            (c0, c1, d0, d1), more, later = piece
            gap_a, gap_b = c0 - a1, d0 - b1
            if (
                gap_b >= 0
                and not any(b1 <= q[0][2] < d0 for q in pieces)
                and abs(gap_a - gap_b) < SPLIT_GAP
                and GAP_WEIGHT * max(gap_a, gap_b) < min(matched, more)
            ):
                between = [
                    Edit(e.op, e.a_start + a1, e.a_end + a1, e.b_start + b1, e.b_end + b1, e.old, e.new)
                    for e in diff(A[a1:c0], B[b1:d0]).edits
                ]
                kept = gap_a - sum(e.a_end - e.a_start for e in between)
                out[-1] = ((a0, c1, b0, d1), matched + more + kept, edits + between + later)
                continue
        out.append(piece)
    return out


def _growth_order(
    A: str, B: str, cores: list[tuple[int, int, int, int]]
) -> tuple[list[int], dict[int, tuple]]:
    """The order in which the cores grow into passages, and what each grew into alone.

    Cores grow largest first, each up to what is already taken. But a
    paragraph's first words often begin another paragraph too (a law's
    "国家安全机关..."): a piece placed before one neighbour on the page and
    before another in the copy then runs on over the first words of both, the
    page's with the copy's, and would take them from the pieces they begin.
    So with three passages or more each core is first grown alone (up to the
    other cores); one whose growth overlaps a neighbour's in A and another
    neighbour's in B pairs material that belongs to two other passages, and
    grows after them, up to what they took. Returns the order and, by core,
    the bounds and result of the lone growth (reused when the bounds agree).
    """
    by_a = sorted(range(len(cores)), key=lambda n: cores[n][0])
    if len(cores) < 3 or by_a == sorted(by_a, key=lambda n: cores[n][2]):
        return list(range(len(cores))), {}  # in the same order in both texts: no such contest
    # Only a core whose neighbours differ in A and B, both near it, can be
    # contested so; it and those neighbours are grown alone.
    near = 4 * ANCHOR
    spans = [[c] for c in cores]
    grow: set[int] = set()
    for n in range(len(cores)):
        for end in (True, False):
            na, nb = _neighbour(spans, n, 0, end), _neighbour(spans, n, 2, end)
            if na is None or nb is None or na == nb:
                continue
            if end:
                gaps = cores[na][0] - cores[n][1], cores[nb][2] - cores[n][3]
            else:
                gaps = cores[n][0] - cores[na][1], cores[n][2] - cores[nb][3]
            if max(gaps) <= near:
                grow |= {n, na, nb}
    first: dict[int, tuple] = {}
    for n in sorted(grow):
        core = cores[n]
        bounds = _bounds(core, cores[:n] + cores[n + 1 :], len(A), len(B))
        first[n] = (bounds, _grown(A, B, core, bounds))
    spans = {n: g[1][0] for n, g in first.items() if g[1] is not None}

    def overlapping(n: int, side: int) -> set[int]:
        x0, x1 = spans[n][2 * side], spans[n][2 * side + 1]
        return {m for m, s in spans.items() if m != n and s[2 * side] < x1 and x0 < s[2 * side + 1]}

    last = {n for n in spans if any(p != q for p in overlapping(n, 0) for q in overlapping(n, 1))}
    return [n for n in range(len(cores)) if n not in last] + sorted(last), first


def _given_back(
    A: str, B: str, pieces: list[tuple[tuple[int, int, int, int], int, list[Edit]]]
) -> list[tuple[tuple[int, int, int, int], int, list[Edit]]]:
    """The passages, with the words their neighbours begin with given back to them.

    In reordered paragraphs a piece is followed on the page by one neighbour
    and in the copy by another. When both begin with the same words (a law's
    "国家安全机关..."), the piece's anchors run on over them, matching the
    page's words with the copy's, and each neighbour loses its own. So where
    a passage's neighbour after it in A is not its neighbour after it in B,
    its last equal code points (at most ``2 * ANCHOR``, never an edit) are
    offered back: both neighbours regrow their starts over them (each on its
    own side, diffed as any margin is), the passage regrows its end up to
    theirs, and the split matching more code points in all is kept. The same
    at a passage's start. With a neighbour on one side only (the other side
    goes on with text outside every passage), a tie goes to the neighbour.
    Pieces in the same order in both texts are left alone.
    """
    if len(pieces) < 2:
        return pieces
    out = [[list(p[0]), p[1], list(p[2])] for p in pieces]
    for n in range(len(out)):
        for end in (True, False):
            na, nb = _neighbour(out, n, 0, end), _neighbour(out, n, 2, end)
            if na == nb:  # the same neighbour on both sides (or none): pieces in order
                continue
            (x0, x1, y0, y1), _, edits = out[n]
            if end:
                run = min(x1 - max([e.a_end for e in edits], default=x0), y1 - max([e.b_end for e in edits], default=y0))
            else:
                run = min(min([e.a_start for e in edits], default=x1) - x0, min([e.b_start for e in edits], default=y1) - y0)
            give = min(run, 2 * ANCHOR)
            if give <= 0:
                continue
            gap_a = gap_b = 0
            if na is not None:
                gap_a = max(0, out[na][0][0] - x1 if end else x0 - out[na][0][1])
            if nb is not None:
                gap_b = max(0, out[nb][0][2] - y1 if end else y0 - out[nb][0][3])
            # a neighbour further off than the anchors reach cannot take those words
            na = None if gap_a > 2 * ANCHOR else na
            nb = None if gap_b > 2 * ANCHOR else nb
            if na is None and nb is None:
                continue
            trial = [[list(q[0]), q[1], list(q[2])] for q in out]
            if end:
                trial[n][0][1] -= give
                trial[n][0][3] -= give
            else:
                trial[n][0][0] += give
                trial[n][0][2] += give
            trial[n][1] -= give
            # each regrows only over what it may take: the stretch given up and the gap
            for m, most in ((na, gap_a), (nb, gap_b), (n, 0)):
                if m is not None:
                    _regrow(A, B, trial, m, start=(m != n) == end, most=most + give + 2 * ANCHOR)
            # a tie goes to the neighbour: on the side without one, the passage
            # matched its words with text outside every passage
            if sum(q[1] for q in trial) >= sum(q[1] for q in out):
                out = trial
    return [(tuple(s), m, sorted(e, key=lambda x: x.a_start)) for s, m, e in out]


def _neighbour(out: list, n: int, side: int, after: bool) -> int | None:
    """The passage next after (or before) passage ``n`` in A (``side`` 0) or B (``side`` 2)."""
    here = out[n][0][side]
    if after:
        later = [m for m in range(len(out)) if out[m][0][side] > here]
        return min(later, key=lambda m: out[m][0][side], default=None)
    earlier = [m for m in range(len(out)) if out[m][0][side] < here]
    return max(earlier, key=lambda m: out[m][0][side], default=None)


def _regrow(A: str, B: str, out: list, m: int, *, start: bool, most: int) -> None:
    """Grow passage ``m`` of ``out`` at its start (or end) as far as the margin's
    score says, up to the other passages and over at most ``most`` code points
    of each text: its span, matched count and edits, in place."""
    (a0, a1, b0, b1), matched, edits = out[m]
    others = [q[0] for k, q in enumerate(out) if k != m]
    lo_a, hi_a, lo_b, hi_b = _bounds((a0, a1, b0, b1), others, len(A), len(B))
    lo_a, lo_b = max(lo_a, a0 - most), max(lo_b, b0 - most)
    hi_a, hi_b = min(hi_a, a1 + most), min(hi_b, b1 + most)
    k, whole = ANCHOR, max(matched, 1)
    if start:
        ra0 = a0 - min(a0 - lo_a, (b0 - lo_b) * 5 // 4 + 2 * k)
        rb0 = b0 - min(b0 - lo_b, (a0 - lo_a) * 5 // 4 + 2 * k)
        if ra0 == a0 or rb0 == b0:
            return
        spans = _margin(A[ra0:a0], B[rb0:b0], True)
        cut = [Edit("replace", x0, x1, y0, y1, "", "") for x0, x1, y0, y1 in spans]
        best = _densest_edges(tuple(cut), a0 - ra0 + whole, b0 - rb0 + whole)
        if best is None:
            return
        (p0, _, q0, _), got, inner = best
        grown = [
            Edit("replace", ra0 + e.a_start, ra0 + e.a_end, rb0 + e.b_start, rb0 + e.b_end,
                 A[ra0 + e.a_start : ra0 + e.a_end], B[rb0 + e.b_start : rb0 + e.b_end])
            for e in inner
        ]
        out[m] = [[ra0 + p0, a1, rb0 + q0, b1], matched + got - whole, grown + edits]
        return
    ra1 = a1 + min(hi_a - a1, (hi_b - b1) * 5 // 4 + 2 * k)
    rb1 = b1 + min(hi_b - b1, (hi_a - a1) * 5 // 4 + 2 * k)
    if ra1 == a1 or rb1 == b1:
        return
    spans = _margin(A[a1:ra1], B[b1:rb1], False)
    cut = [Edit("replace", whole + x0, whole + x1, whole + y0, whole + y1, "", "") for x0, x1, y0, y1 in spans]
    best = _densest_edges(tuple(cut), whole + ra1 - a1, whole + rb1 - b1)
    if best is None:
        return
    (_, p1, _, q1), got, inner = best
    grown = [
        Edit("replace", a1 - whole + e.a_start, a1 - whole + e.a_end, b1 - whole + e.b_start,
             b1 - whole + e.b_end, A[a1 - whole + e.a_start : a1 - whole + e.a_end],
             B[b1 - whole + e.b_start : b1 - whole + e.b_end])
        for e in inner
    ]
    out[m] = [[a0, a1 - whole + p1, b0, b1 - whole + q1], matched + got - whole, edits + grown]


def _bounds(
    core: tuple[int, int, int, int], taken: list[tuple[int, int, int, int]], len_a: int, len_b: int
) -> tuple[int, int, int, int]:
    """How far a passage may grow from ``core``: to the nearest taken span on each side, in each text."""
    a0, a1, b0, b1 = core
    lo_a = max((t[1] for t in taken if t[1] <= a0), default=0)
    hi_a = min((t[0] for t in taken if t[0] >= a1), default=len_a)
    lo_b = max((t[3] for t in taken if t[3] <= b0), default=0)
    hi_b = min((t[2] for t in taken if t[2] >= b1), default=len_b)
    return lo_a, hi_a, lo_b, hi_b


def _grown(
    A: str, B: str, core: tuple[int, int, int, int], bounds: tuple[int, int, int, int]
) -> tuple[tuple[int, int, int, int], int, list[Edit]] | None:
    """The passage around an anchored core: its normalized span, matched count and inside edits.

    The core is diffed, and so is a margin on each side (within ``bounds``).
    The margin before the core is diffed backwards, from the core outwards,
    so where a sentence at the start of the passage also occurs further out
    (a lead or headline repeating it) the copy's sentence is matched with
    the nearer occurrence, the body's, and not with the lead's. Then the
    same score as for the core (``_densest_edges``) picks the edges.
    """
    k = ANCHOR
    i0, i1, j0, j1 = core
    lo_a, hi_a, lo_b, hi_b = bounds
    ra0 = i0 - min(i0 - lo_a, (j0 - lo_b) * 5 // 4 + 2 * k)
    rb0 = j0 - min(j0 - lo_b, (i0 - lo_a) * 5 // 4 + 2 * k)
    ra1 = i1 + min(hi_a - i1, (hi_b - j1) * 5 // 4 + 2 * k)
    rb1 = j1 + min(hi_b - j1, (hi_a - i1) * 5 // 4 + 2 * k)
    spans = _margin(A[ra0:i0], B[rb0:j0], True)
    spans += [
        (x0 + i0 - ra0, x1 + i0 - ra0, y0 + j0 - rb0, y1 + j0 - rb0)
        for x0, x1, y0, y1 in _spans(diff(A[i0:i1], B[j0:j1]).edits)
    ]
    spans += [
        (x0 + i1 - ra0, x1 + i1 - ra0, y0 + j1 - rb0, y1 + j1 - rb0)
        for x0, x1, y0, y1 in _margin(A[i1:ra1], B[j1:rb1], False)
    ]
    edits = [
        Edit("replace", x0, x1, y0, y1, A[ra0 + x0 : ra0 + x1], B[rb0 + y0 : rb0 + y1])
        for x0, x1, y0, y1 in spans
    ]
    best = _densest_edges(tuple(edits), ra1 - ra0, rb1 - rb0)
    if best is None:
        return None
    (pa0, pa1, pb0, pb1), matched, inner = best
    shifted = [
        Edit(e.op, e.a_start + ra0, e.a_end + ra0, e.b_start + rb0, e.b_end + rb0, e.old, e.new)
        for e in inner
    ]
    return (pa0 + ra0, pa1 + ra0, pb0 + rb0, pb1 + rb0), matched, shifted


def _room(A: str, B: str, cores: list[tuple[int, int, int, int]]) -> bool:
    """Whether the shorter text has ``MIN_MATCH`` code points outside the cores, in one stretch."""
    side, length = (0, len(A)) if len(A) <= len(B) else (2, len(B))
    at = 0
    for c in sorted(cores, key=lambda c: c[side]):
        if c[side] - at >= MIN_MATCH:
            return True
        at = max(at, c[side + 1])
    return length - at >= MIN_MATCH


def _free_starts(length: int, k: int, taken: list[tuple[int, int]]) -> list[int]:
    """Where a k-gram of a text of ``length`` code points overlaps none of the ``taken`` spans."""
    out: list[int] = []
    at = 0
    for t0, t1 in sorted(taken):
        out.extend(range(at, max(at, t0 - k + 1)))
        at = max(at, t1)
    out.extend(range(at, length - k + 1))
    return out


def _runs(A: str, B: str, k: int, cores: list[tuple[int, int, int, int]] = ()) -> list[tuple[int, int, int]]:
    """Maximal diagonal runs ``(i, j, length)`` of k-grams unique in both texts
    (with ``cores``: unique among the k-grams outside the cores, in each text)."""
    if cores:
        starts_a = _free_starts(len(A), k, [(c[0], c[1]) for c in cores])
        starts_b = _free_starts(len(B), k, [(c[2], c[3]) for c in cores])
    else:
        starts_a, starts_b = range(len(A) - k + 1), range(len(B) - k + 1)
    count_a = Counter(A[i : i + k] for i in starts_a)
    count_b = Counter(B[j : j + k] for j in starts_b)
    pos_a = {A[i : i + k]: i for i in starts_a if count_a[A[i : i + k]] == 1}
    runs: list[list[int]] = []
    for j in starts_b:
        g = B[j : j + k]
        if count_b[g] != 1:
            continue
        i = pos_a.get(g)
        if i is None:
            continue
        last = runs[-1] if runs else None
        if last and last[0] + last[2] - k + 1 == i and last[1] + last[2] - k + 1 == j:
            last[2] += 1
        else:
            runs.append([i, j, k])
    return [(i, j, n) for i, j, n in runs]


def _chain(runs: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The heaviest chain of runs increasing in both texts, overlaps clipped."""
    order = sorted(range(len(runs)), key=lambda r: runs[r][0])
    ranks = {j: r + 1 for r, j in enumerate(sorted({run[1] for run in runs}))}
    size = len(ranks)
    tree = [(0, -1)] * (size + 1)  # Fenwick tree of (best score, run index) by j rank
    score = [0] * len(runs)
    back = [-1] * len(runs)
    for r in order:
        i, j, n = runs[r]
        q, best = ranks[j] - 1, (0, -1)
        while q > 0:
            best = max(best, tree[q])
            q -= q & -q
        score[r] = best[0] + n
        back[r] = best[1]
        q = ranks[j]
        while q <= size:
            if tree[q][0] < score[r]:
                tree[q] = (score[r], r)
            q += q & -q
    r = max(range(len(runs)), key=score.__getitem__)
    picked = []
    while r != -1:
        picked.append(runs[r])
        r = back[r]
    picked.reverse()
    chain: list[tuple[int, int, int]] = []
    for i, j, n in picked:
        if chain:
            pi, pj, pn = chain[-1]
            d = max(pi + pn - i, pj + pn - j, 0)
            i, j, n = i + d, j + d, n - d
            if n <= 0:
                continue
        chain.append((i, j, n))
    return chain


def _spans(edits: tuple[Edit, ...]) -> list[tuple[int, int, int, int]]:
    return [(e.a_start, e.a_end, e.b_start, e.b_end) for e in edits]


def _margin(a: str, b: str, before: bool) -> list[tuple[int, int, int, int]]:
    """The edits of a margin beside a core, as spans; ``before``: the margin ends at the core.

    Read from the core outwards (reversed before it), the shorter side is
    aligned whole to the nearest stretch of the longer (``_nearest``) when
    that takes few edits, else the two are diffed.
    """
    if before:
        a, b = a[::-1], b[::-1]
    swap = len(a) < len(b)
    x, y = (b, a) if swap else (a, b)
    found = None
    if len(y) <= NEAREST_MAX:
        found = _nearest(x, y, 2 * ANCHOR + len(y) // 4)
    if found is None:
        spans = _spans(diff(a, b).edits)
    else:
        spans = [(y0, y1, x0, x1) for x0, x1, y0, y1 in found] if swap else found
    if before:
        la, lb = len(a), len(b)
        spans = [(la - a1, la - a0, lb - b1, lb - b0) for a0, a1, b0, b1 in reversed(spans)]
    return spans


def _densest_chain(
    chain: list[tuple[int, int, int]],
) -> tuple[float, int, tuple[int, int, int, int]]:
    """The stretch of the chain maximizing matched minus weighted gaps (Kadane).

    A gap with ``SPLIT_GAP`` more code points in one text than in the other
    (a page's other article between two pieces of the copy) ends a stretch:
    the next piece is a passage of its own. Returns the score, the anchored
    code points and the span ``(a0, a1, b0, b1)``.
    """
    best = (float("-inf"), 0, 0)
    cur, start = 0.0, 0
    for r, (i, j, n) in enumerate(chain):
        if r:
            pi, pj, pn = chain[r - 1]
            gap_a, gap_b = i - pi - pn, j - pj - pn
            cur -= GAP_WEIGHT * max(gap_a, gap_b)
            if abs(gap_a - gap_b) >= SPLIT_GAP:
                cur = 0.0
        if cur <= 0:
            cur, start = 0.0, r
        cur += n
        if cur > best[0]:
            best = (cur, start, r)
    score, s, e = best
    i0, j0, _ = chain[s]
    i1, j1, n1 = chain[e]
    return score, sum(n for _, _, n in chain[s : e + 1]), (i0, i1 + n1, j0, j1 + n1)


NEAREST_MAX = 16 * ANCHOR
"""Longest margin (in the shorter text) aligned by ``_nearest``; a longer one
goes to the diff engine, which matches equally well but without preferring
the nearer of two occurrences."""


def _nearest(x: str, y: str, most: int) -> list[tuple[int, int, int, int]] | None:
    """The fewest edits that turn a prefix of ``x`` into all of ``y``, matching
    as early as possible; None when that needs more than ``most`` edits.

    The forward greedy search of Myers (1986) with the end of ``x`` left
    free: it stops on the first path that uses up ``y``. Called on a margin
    read from the core outwards, it matches the copy's sentence with the
    occurrence nearest the core (a body sentence the page's lead repeats
    further out costs that whole sentence more, so it is never chosen).
    Returns the edits as spans ``(x0, x1, y0, y1)``, the free rest of ``x``
    as the last one. Time O((len(x) + len(y)) * most) at worst.
    """
    n, m = len(x), len(y)
    frontier = {1: 0}
    trace: list[dict[int, int]] = []
    for d in range(most + 1):
        trace.append(dict(frontier))
        reach: dict[int, int] = {}
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and frontier.get(k - 1, -1) < frontier.get(k + 1, -1)):
                i = frontier.get(k + 1, 0)
            else:
                i = frontier.get(k - 1, 0) + 1
            j = i - k
            while i < n and j < m and x[i] == y[j]:
                i, j = i + 1, j + 1
            reach[k] = i
            if j >= m and j - k <= n:
                return _path(trace, reach, d, k, n, m)
        frontier = reach
    return None


def _path(
    trace: list[dict[int, int]], last: dict[int, int], d: int, k: int, n: int, m: int
) -> list[tuple[int, int, int, int]]:
    """The edits of the path ``_nearest`` found, merged into spans, in order."""
    end = last[k]
    steps: list[tuple[int, int, bool]] = []  # where each one-character edit starts; True: inserted
    while d > 0:
        before = trace[d]  # the frontier round d started from
        inserted = k == -d or (k != d and before.get(k - 1, -1) < before.get(k + 1, -1))
        k = k + 1 if inserted else k - 1
        steps.append((before.get(k, 0), before.get(k, 0) - k, inserted))
        d -= 1
    spans: list[list[int]] = []
    for i, j, inserted in reversed(steps):
        i1, j1 = (i, j + 1) if inserted else (i + 1, j)
        if spans and spans[-1][1] == i and spans[-1][3] == j:
            spans[-1][1], spans[-1][3] = i1, j1
        else:
            spans.append([i, i1, j, j1])
    if end < n:  # the free rest of x
        if spans and spans[-1][1] == end:
            spans[-1][1] = n
        else:
            spans.append([end, n, m, m])
    return [(a0, a1, b0, b1) for a0, a1, b0, b1 in spans]


# -- step 4: the passage's edges ----------------------------------------------


def _densest_edges(
    edits: tuple[Edit, ...], len_a: int, len_b: int
) -> tuple[tuple[int, int, int, int], int, list[Edit]] | None:
    """The passage within a diffed region: the stretch from one equal run to
    another maximizing matched minus weighted edit sizes.

    Returns its normalized span in the region, the matched count and the
    edits strictly inside it, or None when the texts share nothing.
    """
    # segments: equal runs as (a0, a1, b0, b1), with the edits between them
    equals: list[tuple[int, int, int, int]] = []
    i = j = 0
    for e in edits:
        if e.a_start > i:
            equals.append((i, e.a_start, j, e.b_start))
        i, j = e.a_end, e.b_end
    if len_a > i:
        equals.append((i, len_a, j, len_b))
    if not equals:
        return None
    best = (float("-inf"), 0, 0)
    cur, start = 0.0, 0
    for r, (a0, a1, b0, _) in enumerate(equals):
        if r:
            pa1, pb1 = equals[r - 1][1], equals[r - 1][3]
            cur -= GAP_WEIGHT * max(a0 - pa1, b0 - pb1)
        if cur <= 0:
            cur, start = 0.0, r
        cur += a1 - a0
        if cur > best[0]:
            best = (cur, start, r)
    _, s, e = best
    span = (equals[s][0], equals[e][1], equals[s][2], equals[e][3])
    matched = sum(q[1] - q[0] for q in equals[s : e + 1])
    inner = [x for x in edits if span[0] <= x.a_start and x.a_end <= span[1]
             and span[2] <= x.b_start and x.b_end <= span[3]]
    return span, matched, inner

