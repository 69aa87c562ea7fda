"""Passage alignment: find the passage two texts share, and diff only that.

When one text is a copy of a passage of the other (a report cut from a
newspaper page, a quote inside a longer text), a plain diff reports the rest
of the page as one huge deletion and, worse, lets the diff engine pair scraps
of unrelated material. ``align`` first finds the shared passage, then reports
the wording edits inside it, and keeps what lies outside it apart.

How (all in the normalized texts of a lens, so whitespace and segmentation
never break a match):

1. Anchors: ``ANCHOR``-code-point substrings that occur exactly once in each
   text; neighbouring anchors on one diagonal merge into runs.
2. Chain: the heaviest chain of runs increasing in both texts (weighted
   longest increasing subsequence, O(r log r) over r runs).
3. Densest region: along the chain, the contiguous stretch maximizing
   matched code points minus ``GAP_WEIGHT`` times each gap (the larger of its
   two sides). A distant stray match costs its gap and is left out.
4. Edges: the region, widened by a margin on each side, is diffed; the same
   score over the diff's equal runs and edits picks where the passage starts
   and ends, so edits near its edges (a year inserted into the first
   sentence) stay inside while unrelated text stays out.

Texts too short for anchors are diffed whole and go through step 4 only;
longer texts without a single anchor share no passage.
Every step is linear or O(n log n) in Python plus the C++ diff of the region.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from provenance.diff import DiffStats, Edit, diff
from provenance.lensdiff import map_edits
from provenance.lenses import check_profile, normalize

ANCHOR = 12
"""Length of an anchor in normalized code points (12 Han characters are a clause)."""

GAP_WEIGHT = 1.0
"""How much an unmatched code point costs against a matched one when choosing the passage."""

MIN_MATCH = 32
"""Fewest matched normalized code points for a passage (or all of the shorter text, if shorter)."""

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
    text is matched, verbatim, inside the passage.
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    coverage: float
    matched: int

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
    """An edit at original offsets; ``inside`` says whether it lies in the passage.

    Outside edits are at most two: what precedes the passage in each text
    (one edit from ``a[:passage.a_start]`` to ``b[:passage.b_start]``) and
    what follows it. They are the material the passage was cut from, not
    wording changes.
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
    """The passage ``a`` and ``b`` share under ``profile``, and the edits around and in it.

    ``passage`` is None when there is no meaningful shared passage (fewer than
    ``MIN_MATCH`` matched code points); ``edits`` is then empty.
    ``a_outside`` and ``b_outside`` count the normalized code points of each
    text outside the passage; ``a_length`` and ``b_length`` are the normalized
    lengths of the whole texts. ``stats`` describe the inside edits over the
    passage, counted under the profile (None without a passage), so a caller
    need not diff the passage a second time.
    """

    profile: str
    passage: Passage | None
    edits: tuple[AlignedEdit, ...]
    a_outside: int
    b_outside: int
    a_length: int = 0
    b_length: int = 0
    stats: DiffStats | None = None

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
    """Find the passage ``a`` and ``b`` share under ``profile`` and the edits inside it.

    The default profile is ``cjk``: finding a copied passage is a comparison
    across layouts, which is what that lens is for. With ``min_coverage``,
    a caller that only wants a passage matching at least that share of the
    shorter text gets no passage, cheaply (no diff), when the anchors show it
    cannot (see ``PRETEST_SHARE``).
    """
    check_profile(profile)
    la, lb = normalize(a, profile), normalize(b, profile)
    A, B = la.text, lb.text
    none = Alignment(profile, None, (), len(A), len(B), len(A), len(B))
    if not A or not B:
        return none
    if min(len(A), len(B)) < 4 * ANCHOR:
        region: tuple[int, int, int, int] | None = (0, len(A), 0, len(B))
    else:
        region = _anchor_region(A, B, PRETEST_SHARE * min_coverage * min(len(A), len(B)))
    if region is None:  # not one shared clause: nothing worth diffing
        return none
    ra0, ra1, rb0, rb1 = region
    local = diff(A[ra0:ra1], B[rb0:rb1]).edits
    best = _densest_edges(local, ra1 - ra0, rb1 - rb0)
    if best is None:
        return none
    (pa0, pa1, pb0, pb1), matched, inner = best
    if matched < min(MIN_MATCH, len(A), len(B)):
        return none
    pa0, pa1, pb0, pb1 = pa0 + ra0, pa1 + ra0, pb0 + rb0, pb1 + rb0
    spans = [(e.a_start + ra0, e.a_end + ra0, e.b_start + rb0, e.b_end + rb0) for e in inner]
    inside = map_edits(la, lb, spans)
    oa0, oa1 = la.to_original_span(pa0, pa1)
    ob0, ob1 = lb.to_original_span(pb0, pb1)
    if inside:  # an edit widened over shared material at an edge widens the passage
        oa0, ob0 = min(oa0, inside[0].a_start), min(ob0, inside[0].b_start)
        oa1, ob1 = max(oa1, inside[-1].a_end), max(ob1, inside[-1].b_end)
    passage = Passage(oa0, oa1, ob0, ob1, matched / min(len(A), len(B)), matched)
    edits: list[AlignedEdit] = []
    if pa0 or pb0:
        edits.append(_aligned(a, b, 0, oa0, 0, ob0, inside=False))
    edits.extend(
        _aligned(a, b, e.a_start, e.a_end, e.b_start, e.b_end, inside=True) for e in inside
    )
    if pa1 < len(A) or pb1 < len(B):
        edits.append(_aligned(a, b, oa1, len(a), ob1, len(b), inside=False))
    outside_a = len(A) - (pa1 - pa0)
    outside_b = len(B) - (pb1 - pb0)
    deleted = sum(e.a_end - e.a_start for e in inner)
    inserted = sum(e.b_end - e.b_start for e in inner)
    unchanged = (pa1 - pa0) - deleted
    total = (pa1 - pa0) + (pb1 - pb0)
    stats = DiffStats(len(inside), inserted, deleted, unchanged, 2 * unchanged / total if total else 1.0)
    return Alignment(
        profile, passage, tuple(edits), outside_a, outside_b, len(A), len(B), stats
    )


def suggest_relation(a: str, b: str, profile: str = "cjk") -> str:
    """``"excerpt"`` when one text is (mostly) a passage of the other, else ``"revision"``.

    Excerpt means: the passage covers at least ``EXCERPT_COVERAGE`` of the
    shorter text, and at least ``EXCERPT_REST`` of the longer text (in
    normalized code points) lies outside it.
    """
    al = align(a, b, profile)
    if al.passage is None:
        return "revision"
    longer_len, longer_out = max((len(normalize(a, profile).text), al.a_outside),
                                 (len(normalize(b, profile).text), al.b_outside))
    if al.passage.coverage >= EXCERPT_COVERAGE and longer_out >= EXCERPT_REST * longer_len:
        return "excerpt"
    return "revision"


def _aligned(a: str, b: str, a0: int, a1: int, b0: int, b1: int, *, inside: bool) -> AlignedEdit:
    old, new = a[a0:a1], b[b0:b1]
    op = "replace" if old and new else ("delete" if old else "insert")
    return AlignedEdit(op, a0, a1, b0, b1, old, new, inside)


# -- step 1-3: anchors, chain, densest region ------------------------------------


def _anchor_region(
    A: str, B: str, least: float = 0.0
) -> tuple[int, int, int, int] | None:
    """The normalized region, with margins, where the shared passage must lie, or
    None when the texts share no anchor at all (or the chain anchors fewer than
    ``least`` code points)."""
    k = ANCHOR
    runs = _runs(A, B, k)
    if not runs:
        return None
    chain = _chain(runs)
    if sum(n for _, _, n in chain) < least:
        return None
    i0, i1, j0, j1 = _densest_chain(chain)
    wa0 = min(i0, j0 + j0 // 4 + 2 * k)
    wb0 = min(j0, i0 + i0 // 4 + 2 * k)
    wa1 = min(len(A) - i1, (len(B) - j1) * 5 // 4 + 2 * k)
    wb1 = min(len(B) - j1, (len(A) - i1) * 5 // 4 + 2 * k)
    return i0 - wa0, i1 + wa1, j0 - wb0, j1 + wb1


def _runs(A: str, B: str, k: int) -> list[tuple[int, int, int]]:
    """Maximal diagonal runs ``(i, j, length)`` of k-grams unique in both texts."""
    count_a = Counter(A[i : i + k] for i in range(len(A) - k + 1))
    count_b = Counter(B[j : j + k] for j in range(len(B) - k + 1))
    pos_a = {A[i : i + k]: i for i in range(len(A) - k + 1) if count_a[A[i : i + k]] == 1}
    runs: list[list[int]] = []
    for j in range(len(B) - k + 1):
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


def _densest_chain(chain: list[tuple[int, int, int]]) -> tuple[int, int, int, int]:
    """The stretch of the chain maximizing matched minus weighted gaps (Kadane)."""
    best = (float("-inf"), 0, 0)
    cur, start = 0.0, 0
    for r, (i, j, n) in enumerate(chain):
        if r:
            pi, pj, pn = chain[r - 1]
            cur -= GAP_WEIGHT * max(i - pi - pn, j - pj - pn)
        if cur <= 0:
            cur, start = 0.0, r
        cur += n
        if cur > best[0]:
            best = (cur, start, r)
    _, s, e = best
    i0, j0, _ = chain[s]
    i1, j1, n1 = chain[e]
    return i0, i1 + n1, j0, j1 + n1


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

