"""Diffs by word and by sentence: what an editor comparing two releases of a story sees."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.diff import replay
from provenance.errors import InputError
from provenance.granularity import diff_by, diff_sentences, diff_words, split_sentences, tokenize

WIRE = (
    "The central bank raised its main interest rate by half a percentage point on Tuesday. "
    "Officials said inflation remained too high for comfort. "
    "Markets fell sharply after the announcement. "
    "The governor will speak to reporters on Wednesday morning. "
    "Analysts expect another increase in March."
)
# republished: two sentences swapped, one reworded, one added at the end
REPUBLISHED = (
    "The central bank raised its main interest rate by half a percentage point on Tuesday. "
    "Markets fell sharply after the announcement. "
    "Officials said inflation remained too high for comfort. "
    "The governor is expected to address reporters on Wednesday morning. "
    "Analysts expect another increase in March. "
    "The decision was unanimous."
)

_WORD = re.compile(r"[^\W\u4e00-\u9fff]")  # a letter or digit of a space-delimited script


def _on_word_boundaries(text: str, start: int, end: int) -> bool:
    def cut(k: int) -> bool:
        return k in (0, len(text)) or not (_WORD.match(text[k - 1]) and _WORD.match(text[k]))

    return cut(start) and cut(end)


def test_word_diff_reports_whole_words():
    result = diff_words(WIRE, REPUBLISHED)
    assert result.edits
    for e in result.edits:
        assert _on_word_boundaries(WIRE, e.a_start, e.a_end)
        assert _on_word_boundaries(REPUBLISHED, e.b_start, e.b_end)
        assert e.old == WIRE[e.a_start : e.a_end] and e.new == REPUBLISHED[e.b_start : e.b_end]
    assert replay(WIRE, result.edits) == REPUBLISHED
    assert ("will speak", "is expected") in {(e.old, e.new) for e in result.edits}


def test_word_diff_never_splits_a_word_that_changed_one_letter():
    result = diff_words("the colour of money", "the color of money")
    assert [(e.old, e.new) for e in result.edits] == [("colour", "color")]


def test_word_diff_of_chinese_falls_back_to_characters():
    assert [t for t in tokenize("区块链 tech")] == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 8)]
    result = diff_words("安全可靠的技术", "安全可控的技术")
    assert [(e.old, e.new) for e in result.edits] == [("靠", "控")]


def test_sentence_diff_reports_a_reordered_sentence_as_a_move():
    result = diff_sentences(WIRE, REPUBLISHED)
    moved = result.of_kind("moved")
    assert len(moved) == 1
    (m,) = moved
    assert m.old == m.new and m.a_index != m.b_index
    assert WIRE[m.a_start : m.a_end] == m.old and REPUBLISHED[m.b_start : m.b_end] == m.new
    assert not result.of_kind("removed")


def test_sentence_diff_reports_the_reworded_sentence_as_changed_with_its_edits():
    (changed,) = diff_sentences(WIRE, REPUBLISHED).of_kind("changed")
    assert changed.old.startswith("The governor will speak")
    assert changed.new.startswith("The governor is expected")
    assert [(e.old, e.new) for e in changed.edits] == [("will speak to", "is expected to address")]
    for e in changed.edits:
        assert WIRE[e.a_start : e.a_end] == e.old and REPUBLISHED[e.b_start : e.b_end] == e.new


def test_sentence_diff_reports_the_new_sentence_as_added():
    result = diff_sentences(WIRE, REPUBLISHED)
    (added,) = result.of_kind("added")
    assert added.new == "The decision was unanimous." and added.a_index is None
    assert REPUBLISHED[added.b_start : added.b_end] == added.new
    assert result.unchanged == 3  # the first, the last, and one of the swapped pair


def test_sentences_split_at_latin_and_cjk_ends_and_line_breaks():
    text = "他指出，要加强研究。要推动发展！是吗？是；好\n新段落 Mr Li said so. \u201cYes!\u201d Done"
    assert [s.text for s in split_sentences(text)] == [
        "他指出，要加强研究。", "要推动发展！", "是吗？", "是；", "好",
        "新段落 Mr Li said so.", "\u201cYes!\u201d", "Done",
    ]
    for s in split_sentences(text):
        assert text[s.start : s.end] == s.text


def test_periods_of_abbreviations_and_initials_end_no_sentence():
    text = (
        "Mr. Smith went to Washington. He met Dr. Jones at 3 p.m. on Friday. "
        "The U.S. Senate voted, e.g. on Dec. 3 at approx. 30 past. "
        "John F. Kennedy spoke. It was 5 p.m. Then it rained. Acme Inc. (the maker) said no."
    )
    assert [s.text for s in split_sentences(text)] == [
        "Mr. Smith went to Washington.",
        "He met Dr. Jones at 3 p.m. on Friday.",
        "The U.S. Senate voted, e.g. on Dec. 3 at approx. 30 past.",
        "John F. Kennedy spoke.",
        "It was 5 p.m.",
        "Then it rained.",
        "Acme Inc. (the maker) said no.",
    ]
    assert len(split_sentences("It ended. Nobody knew.")) == 2


def test_sentence_diff_under_cjk_ignores_layout_line_breaks():
    page = "我国在区块链领域\n\n拥有良好基础。要加快推\n\n动集成创新。"
    copy = "我国 在 区块 链 领域 拥有 良好基础 。 要 加快 推动 集成 创新 和 融合 应用 。"
    result = diff_sentences(page, copy, "cjk")
    assert result.unchanged == 1
    (changed,) = result.changes
    assert changed.kind == "changed"
    assert ["".join(e.new.split()) for e in changed.edits] == ["和融合应用"]


def test_unknown_granularity_is_refused():
    with pytest.raises(InputError, match="char, word, sentence"):
        diff_by("a", "b", "paragraph")


@settings(max_examples=200)
@given(st.lists(st.sampled_from(["alpha", "beta", " ", ", ", "gamma", ".", "\n", "区", "块"]), max_size=30),
       st.lists(st.sampled_from(["alpha", "beta", " ", ", ", "delta", ".", "\n", "区", "链"]), max_size=30))
def test_word_edits_replay_exactly_and_respect_word_boundaries(xs, ys):
    a, b = "".join(xs), "".join(ys)
    result = diff_words(a, b)
    assert replay(a, result.edits) == b
    for e in result.edits:
        assert _on_word_boundaries(a, e.a_start, e.a_end) and _on_word_boundaries(b, e.b_start, e.b_end)
