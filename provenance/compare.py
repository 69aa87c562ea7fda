"""Comparing two texts the way a reader asks: through a lens, by a grain, passage first.

`compare` is the one entry point behind `prov diff` and the net edits of
`prov trace`. It puts together the lens (`provenance.lenses`), the passage
alignment (`provenance.align`) and the granularity (`provenance.granularity`):

1. if one text carries the other as a passage (a report on a newspaper page),
   the passage is found and the material outside it is kept apart, as at
   most one edit before and one after the passage, marked ``inside=False``;
2. the edits inside the passage (or over the whole texts) are computed under
   the profile and at the grain asked for, always at offsets of the
   original texts;
3. when most edits are whitespace the result carries a hint naming the
   profile that would hide them.

When a passage is reported (the rule, measured on the real revision histories
of ``../shared/corpus``; lengths are normalized code points under the profile):

- the lengths clearly differ: the shorter text is less than
  ``SIMILAR_LENGTH`` (80%) of the longer. Two texts of similar length are
  compared whole and the alignment does not even run (it could not change the
  answer: a passage needs at least ``OUTSIDE_SHARE`` of one text outside it);
- the shorter text is substantially carried by the longer: the passage
  matches at least ``CARRIED`` (80%) of the shorter text verbatim under the
  lens. A stray shared sentence (a revision that rewrote most of the text,
  two different laws sharing their boilerplate, an error page against the
  page it replaced) matches far less, and the texts are then compared whole;
- at least ``OUTSIDE_SHARE`` (20%) of one text lies outside the passage
  (with several passages: before the first or after the last, see
  ``_is_excerpt``).

An article carried in several pieces (continued on another page, its
paragraphs reordered) is several passages, in the order of the shorter text,
each with its offsets, shares, coverage and inside edits; ``CARRIED`` is then
the share all of them match together.

Otherwise the comparison is of the whole texts, and says so (no passage).
Every passage reports how much of each side it is (``a_share``, ``b_share``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from provenance import align as alignment
from provenance import kinds, moves
from provenance.diff import DiffStats, Edit
from provenance.errors import InputError
from provenance.granularity import GRAINS, SentenceChange, diff_by
from provenance.lensdiff import LensDiff, whitespace_share
from provenance.lenses import DEFAULT_PROFILE, check_profile, is_cjk, normal_text
from provenance.moves import Move

# A passage is reported only when this share of a text (or more) lies outside
# it: a revision that changed its first line is not "a passage of" its parent.
OUTSIDE_SHARE = alignment.EXCERPT_REST

SIMILAR_LENGTH = 1 - OUTSIDE_SHARE
"""Texts whose shorter normalized length is at least this share of the longer
are of similar length: compared whole, no passage sought."""

CARRIED = 0.8
"""Least share of the shorter text (normalized code points) a passage must
match verbatim for a passage to be reported. On the corpus, the pairs of
clearly different lengths split cleanly: real excerpts match 0.95 and more,
the rest (rewrites, error pages, other laws) at most about a third."""


# An edit at original offsets with ``inside`` False for material outside the
# passage: the alignment's own type, so the two cannot drift apart.
ReportedEdit = alignment.AlignedEdit


@dataclass(frozen=True, slots=True)
class PassageSpan:
    """The shared passage: ``a[a_start:a_end]`` is carried as ``b[b_start:b_end]``.

    ``coverage``: the share of the shorter text (under the profile) matched
    verbatim inside the passage. ``a_share`` and ``b_share``: how much of A
    and of B the passage is (its normalized code points over the whole
    text's, under the profile). ``matched``: normalized code points equal in
    both inside it; ``edits``: the wording edits inside it.
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    coverage: float
    a_share: float = 1.0
    b_share: float = 1.0
    matched: int = 0
    edits: int = 0


@dataclass(frozen=True, slots=True)
class Comparison:
    profile: str
    by: str
    edits: tuple[ReportedEdit, ...]  # in order; outside edits (if any) first and last
    stats: DiffStats  # of the inside edits, over the passage (or the whole texts)
    complete: bool
    passage: PassageSpan | None  # the only passage, as ``passages[0]``; None without one
    hint: str | None
    sentences: tuple[SentenceChange, ...] | None  # with by="sentence"
    passages: tuple[PassageSpan, ...] = ()  # in order; empty: the texts are compared whole
    # Blocks deleted in one place and inserted in another (provenance.moves): the
    # inside edits then leave the moved material out, and moves.apply(a, edits,
    # moves) gives B. ``stats.edits`` counts the edits listed; its characters
    # still count a moved block as deleted and inserted.
    moves: tuple[Move, ...] = ()
    kinds: tuple[tuple[str, int], ...] = ()  # inside edits per kind (provenance.kinds)
    only: str | None = None  # the kind the edits were filtered to, if any


def explained(a: str, b: str, c: Comparison) -> Comparison:
    """The comparison with its moves found and every inside edit's kind named."""
    inside = [e for e in c.edits if e.inside]
    outside = [e for e in c.edits if not e.inside]
    found = moves.find_moves(a, b, [e.as_edit() for e in inside], profile=c.profile)
    if found.moves:
        inside = [_shift(e, 0, 0) for e in found.edits]
    typed = [replace(e, kind=kinds.classify(e.as_edit(), a, b)) for e in inside]
    edits = tuple(sorted(outside + typed, key=lambda e: (e.a_start, e.b_start, e.inside)))
    counts = kinds.summarize(e.kind for e in typed if e.kind)
    # The edit count is of the edits listed (a move is reported beside them);
    # characters inserted and deleted still count the moved blocks.
    stats = replace(c.stats, edits=len(typed))
    return replace(c, edits=edits, stats=stats, moves=found.moves, kinds=counts)


def only_kind(c: Comparison, kind: str | None) -> Comparison:
    """The comparison with only the inside edits of one kind (``--only KIND``)."""
    if kind is None:
        return c
    kinds.check_kind(kind)
    return replace(c, edits=tuple(e for e in c.edits if e.inside and e.kind == kind), only=kind)


def check_grain(by: str) -> str:
    if by not in GRAINS:
        raise InputError(f"unknown granularity {by!r}; choose one of: {', '.join(GRAINS)}")
    return by


def lengths_differ(len_a: int, len_b: int) -> bool:
    """Whether two (normalized) lengths clearly differ: the shorter is under ``SIMILAR_LENGTH`` of the longer."""
    shorter, longer = sorted((len_a, len_b))
    return longer > 0 and shorter < SIMILAR_LENGTH * longer


def find_passage(a: str, b: str, profile: str = "cjk") -> alignment.Alignment | None:
    """The passage ``a`` and ``b`` share when the rule of this module says there is one, else None.

    Runs the alignment only when the lengths clearly differ.
    """
    check_profile(profile)
    # The lengths through the lens, without its offset maps (``normal_text``):
    # a pair of similar length never needs them here.
    len_a, len_b = len(normal_text(a, profile)), len(normal_text(b, profile))
    if not lengths_differ(len_a, len_b):
        return None
    found = alignment.align(a, b, profile, min_coverage=CARRIED)
    if not found.passages or found.matched < CARRIED * min(len_a, len_b):
        return None
    if not _is_excerpt(found, a, b):
        return None
    return found


def compare(a: str, b: str, *, profile: str = DEFAULT_PROFILE, by: str = "char") -> Comparison:
    check_profile(profile)
    check_grain(by)
    return _compared(a, b, find_passage(a, b, profile), profile, by)


def _compared(
    a: str, b: str, found: alignment.Alignment | None, profile: str, by: str
) -> Comparison:
    """The comparison, given the passage `find_passage` found (or None)."""
    if found is None:
        result = diff_by(a, b, by, profile)
        sentences = None
        if not isinstance(result, LensDiff):
            sentences = tuple(result.changes)
            result = diff_by(a, b, "char", profile)
            assert isinstance(result, LensDiff)
        inside = result.edits if by != "char" else snap_to_words(result.edits, a, b)
        edits = tuple(_shift(e, 0, 0) for e in inside)
        lensed = result.stats
        stats = DiffStats(
            len(edits), lensed.inserted, lensed.deleted, lensed.unchanged, lensed.similarity
        )
        hint = whitespace_share(a, b, inside, profile=profile).hint
        return Comparison(profile, by, edits, stats, result.complete, None, hint, sentences, ())

    assert found.passages and found.stats is not None
    outside = found.outside_edits
    sentences: list[SentenceChange] | None = None
    complete = True
    spans: list[PassageSpan] = []
    inside_edits: list[ReportedEdit] = []
    inserted = deleted = unchanged = 0
    for passage in found.passages:
        a0, a1, b0, b1 = passage.a_start, passage.a_end, passage.b_start, passage.b_end
        if by == "char":  # the alignment's own diff of the passage: no second diff
            mine = tuple(
                e.as_edit() for e in found.inside_edits
                if a0 <= e.a_start and e.a_end <= a1 and b0 <= e.b_start and e.b_end <= b1
            )
            edits_here = tuple(_shift(e, 0, 0) for e in snap_to_words(mine, a, b))
        else:
            result = diff_by(a[a0:a1], b[b0:b1], by, profile)
            if not isinstance(result, LensDiff):  # sentences, and the character edits beside them
                sentences = (sentences or []) + [_shift_sentence(c, a0, b0) for c in result.changes]
                result = diff_by(a[a0:a1], b[b0:b1], "char", profile)
                assert isinstance(result, LensDiff)
            edits_here = tuple(_shift(e, a0, b0) for e in result.edits)
            inserted += result.stats.inserted
            deleted += result.stats.deleted
            unchanged += result.stats.unchanged
            complete = complete and result.complete
        inside_edits.extend(edits_here)
        spans.append(
            PassageSpan(
                a0,
                a1,
                b0,
                b1,
                round(passage.coverage, 6),
                round(_share(passage.a_size, found.a_length), 6),
                round(_share(passage.b_size, found.b_length), 6),
                passage.matched,
                len(edits_here),
            )
        )
    if by == "char":
        st = found.stats
    else:  # counted under the profile over all the passages, as the alignment counts them
        size = sum(p.a_size + p.b_size for p in found.passages)
        st = DiffStats(len(inside_edits), inserted, deleted, unchanged, 2 * unchanged / size if size else 1.0)
    edits = tuple(sorted([*outside, *inside_edits], key=lambda e: (e.a_start, e.b_start, e.inside)))
    plain = [e.as_edit() for e in inside_edits]
    # Characters inserted, deleted and kept are counted under the lens (a
    # dropped segmentation space is no character of the text's wording).
    stats = DiffStats(len(inside_edits), st.inserted, st.deleted, st.unchanged, st.similarity)
    hint = whitespace_share(a, b, plain, profile=profile).hint
    return Comparison(
        profile, by, edits, stats, complete, spans[0], hint,
        None if sentences is None else tuple(sentences), tuple(spans),
    )


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


@dataclass(frozen=True, slots=True)
class Excerpt:
    """A passage of an excerpt and its inside edits, for the link record.

    ``span`` is the passage (``parent[a_start:a_end]`` is carried as
    ``child[b_start:b_end]``); ``edits`` are the wording edits inside it,
    at original offsets of both texts, found under the profile.
    """

    span: PassageSpan
    edits: tuple[Edit, ...]


def excerpt_passages(parent: str, child: str, profile: str = "cjk") -> tuple[Excerpt, ...]:
    """The passage(s) of ``parent`` that ``child`` carries, with their inside edits.

    Empty when the rule of this module finds no passage (similar lengths, or
    the shorter text not substantially carried). The passages are in order.
    """
    found = find_passage(parent, child, profile)
    if found is None:  # no whole-text diff: the record has its own minimal one
        return ()
    c = _compared(parent, child, found, profile, "char")
    inside = tuple(e.as_edit() for e in c.edits if e.inside)
    return tuple(
        Excerpt(
            p,
            tuple(
                e for e in inside if p.a_start <= e.a_start and e.a_end <= p.a_end
                and p.b_start <= e.b_start and e.b_end <= p.b_end
            ),
        )
        for p in c.passages
    )


def _wordish(ch: str) -> bool:
    return ch.isalnum() and not is_cjk(ch)


def snap_to_words(edits: tuple[Edit, ...], a: str, b: str) -> tuple[Edit, ...]:
    """Widen edits that cut a word of a space-delimited script to the whole word.

    ``resum|e`` → ``collaps|e`` reads as ``resume`` → ``collapse``. Only
    characters equal in both texts are taken in, so the edits still map A to
    B; edits that come to touch are merged. CJK text, where every character
    is a word, is left as it is.
    """
    out: list[list[int]] = []
    for e in edits:
        a0, a1, b0, b1 = e.a_start, e.a_end, e.b_start, e.b_end
        touches_word = (
            a0 > 0
            and _wordish(a[a0 - 1])
            and ((a1 > a0 and _wordish(a[a0])) or (b1 > b0 and _wordish(b[b0])))
        )
        while touches_word and a0 > 0 and b0 > 0 and a[a0 - 1] == b[b0 - 1] and _wordish(a[a0 - 1]):
            if out and a0 <= out[-1][1]:
                break
            a0 -= 1
            b0 -= 1
        ends_word = (
            a1 < len(a)
            and _wordish(a[a1])
            and ((a1 > a0 and _wordish(a[a1 - 1])) or (b1 > b0 and _wordish(b[b1 - 1])))
        )
        while ends_word and a1 < len(a) and b1 < len(b) and a[a1] == b[b1] and _wordish(a[a1]):
            a1 += 1
            b1 += 1
        if out and a0 <= out[-1][1] and b0 <= out[-1][3]:
            out[-1][1], out[-1][3] = max(out[-1][1], a1), max(out[-1][3], b1)
        else:
            out.append([a0, a1, b0, b1])
    snapped = []
    for a0, a1, b0, b1 in out:
        old, new = a[a0:a1], b[b0:b1]
        op = "replace" if old and new else ("delete" if old else "insert")
        snapped.append(Edit(op, a0, a1, b0, b1, old, new))  # type: ignore[arg-type]
    return tuple(snapped)


def _is_excerpt(found: alignment.Alignment, a: str, b: str) -> bool:
    """Whether enough of either text lies before the first passage or after the last.

    Counted outside the passages' hull, not between them: a revision that
    inserted new sections between old ones leaves its parent in pieces, but
    nothing of either text lies around them, and it is compared whole. An
    article continued on another page has the page around its pieces.
    """
    return (bool(a) and found.a_outer >= OUTSIDE_SHARE * found.a_length) or (
        bool(b) and found.b_outer >= OUTSIDE_SHARE * found.b_length
    )


def _shift(e: Edit, da: int, db: int) -> ReportedEdit:
    return ReportedEdit(
        e.op, e.a_start + da, e.a_end + da, e.b_start + db, e.b_end + db, e.old, e.new, True
    )


def _shift_sentence(c: SentenceChange, da: int, db: int) -> SentenceChange:
    def add(x: int | None, d: int) -> int | None:
        return None if x is None else x + d

    return SentenceChange(
        c.kind,
        c.a_index,
        c.b_index,
        add(c.a_start, da),
        add(c.a_end, da),
        add(c.b_start, db),
        add(c.b_end, db),
        c.old,
        c.new,
        tuple(
            Edit(e.op, e.a_start + da, e.a_end + da, e.b_start + db, e.b_end + db, e.old, e.new)
            for e in c.edits
        ),
    )
