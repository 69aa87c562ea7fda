"""The move search's shortcut rejects only pairs that could not have been kept.

`provenance.moves` compares candidate pieces by the similarity of their
display diff; a pair whose longest common subsequence already puts it under
the threshold is rejected without that diff. These laws say the shortcut
never changes an answer: a pair is kept exactly when its display diff (as
`diff_under` under the exact lens counts it) reaches the threshold, with the
same figures.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from provenance import moves
from provenance.lensdiff import diff_under

# Few letters, so that random texts share much and the threshold is met and missed.
texts = st.text(alphabet="abcde .\n", max_size=60)
floors = st.sampled_from([0.0, 0.3, 0.6, 0.8, 1.0])


def _out_of_order(x: str, y: str) -> bool:
    """The 4-gram order test the search had before the shortcut (long texts only)."""
    shorter = min(len(x), len(y))
    return shorter > 16 and moves._chain(x, y) < 0.2 * (shorter - 3)


@settings(max_examples=400, deadline=None)
@given(texts, texts, floors)
def test_a_pair_is_kept_exactly_when_its_display_diff_reaches_the_threshold(x, y, floor):
    # What the search decided before the shortcut: equal texts alike, an empty
    # side or 4-grams out of order not alike, else the display diff's figures
    # against the threshold.
    if x == y:
        expected = (1.0, len(x))
    elif not x or not y or _out_of_order(x, y):
        expected = None
    else:
        stats = diff_under(x, y, "exact").stats
        expected = (stats.similarity, stats.unchanged) if stats.similarity >= floor else None
    assert moves._similarity(x, y, floor) == expected


@settings(max_examples=200, deadline=None)
@given(texts, texts)
def test_swapped_halves_are_found_as_moves_that_rebuild_the_new_text(x, y):
    """Two texts joined, then joined the other way round: the moves and edits give B back."""
    from provenance.diff import diff

    a, b = x + "\n" + y, y + "\n" + x
    edits = diff(a, b, semantic=False).edits
    found = moves.find_moves(a, b, edits, min_chars=4)
    assert moves.apply(a, found.edits, found.moves) == b


@settings(max_examples=200, deadline=None)
@given(texts, texts, texts)
def test_the_blocks_an_edit_record_stores_are_the_moves_found(x, y, z):
    """`moved_blocks` (what a record stores) is `find_moves(...).moves`, on enough edits
    for the unit diff's pass to run too."""
    from provenance.diff import diff

    a = "\n".join([x, y, z, "one two three four five six seven", x])
    b = "\n".join([z, "one two three four five six seven", y, x, x[::-1]])
    edits = diff(a, b, semantic=False).edits
    for min_chars in (4, 20):
        found = moves.find_moves(a, b, edits, min_chars=min_chars)
        assert moves.moved_blocks(a, b, edits, min_chars=min_chars) == found.moves


@settings(max_examples=300, deadline=None)
@given(texts, texts)
def test_the_exact_lens_diff_is_the_plain_diff(x, y):
    """The move search takes `diff` where it took `diff_under(..., "exact")`: the same edits."""
    from provenance.diff import diff

    lensed = diff_under(x, y, "exact")
    plain = diff(x, y)
    assert lensed.edits == plain.edits
    assert lensed.stats == plain.stats
