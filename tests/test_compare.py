"""What `prov diff` reports: lens, passage and grain together, at original offsets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from provenance import diff
from provenance.compare import compare, snap_to_words

words = st.sampled_from(
    ["the", "talks", "resume", "collapse", "minister", "a", "on", "Monday", "中文", "报道"]
)
seps = st.sampled_from([" ", " ", "\n", ", ", ". ", "\r\n"])
texts = st.lists(st.tuples(words, seps), max_size=25).map(lambda ws: "".join(w + s for w, s in ws))


@given(texts, texts)
@settings(max_examples=300)
def test_word_snapped_edits_still_turn_a_into_b(a, b):
    edits = snap_to_words(diff.diff(a, b).edits, a, b)
    assert diff.replay(a, edits) == b
    for e in edits:
        assert a[e.a_start : e.a_end] == e.old and b[e.b_start : e.b_end] == e.new


@given(texts, texts)
@settings(max_examples=200, deadline=None)
def test_exact_comparison_replays_and_its_offsets_are_the_originals(a, b):
    result = compare(a, b, profile="exact")
    if result.passage is None:
        assert diff.replay(a, [e.as_edit() for e in result.edits]) == b
    for e in result.edits:
        assert a[e.a_start : e.a_end] == e.old and b[e.b_start : e.b_end] == e.new
    for first, second in zip(result.edits, result.edits[1:], strict=False):
        assert first.a_end <= second.a_start and first.b_end <= second.b_start


def test_a_changed_word_is_shown_whole():
    result = compare("the talks would resume soon", "the talks would collapse soon")
    assert [(e.old, e.new) for e in result.edits] == [("resume", "collapse")]


def test_cjk_edits_stay_character_level():
    result = compare("提供安全可靠的技术支撑", "提供安全可控的技术支撑")
    assert [(e.old, e.new) for e in result.edits] == [("靠", "控")]


def test_a_quote_inside_a_longer_text_is_found_as_a_passage():
    speech = (
        "Opening remarks about the weather and the agenda of the day. " * 3
        + "We will not raise taxes on working families this year, and we will fund the schools. "
        + "Closing remarks thanking the organisers and the volunteers who made it possible. " * 3
    )
    quote = "We will not raise taxes on working families this year, and we will fund schools."
    result = compare(speech, quote, profile="whitespace")
    assert result.passage is not None
    p = result.passage
    assert speech[p.a_start : p.a_end].startswith("We will not raise taxes")
    inside = [(e.old, e.new) for e in result.edits if e.inside]
    assert inside == [("the ", "")]
    outside = [e for e in result.edits if not e.inside]
    assert [(e.a_start, e.a_end) for e in outside] == [(0, p.a_start), (p.a_end, len(speech))]
