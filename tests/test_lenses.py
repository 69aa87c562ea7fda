"""Lenses and diffs through them: what a user sees when copies differ only in layout."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provenance import lenses
from provenance.diff import replay
from provenance.errors import InputError
from provenance.lensdiff import diff_under, whitespace_share
from provenance.lenses import DEFAULT_PROFILE, PROFILES, normalize

PROFILE_NAMES = tuple(PROFILES)

# -- examples ---------------------------------------------------------------------


def test_unknown_profile_is_an_input_error_listing_the_valid_ones():
    with pytest.raises(InputError) as err:
        normalize("x", "fuzzy")
    for name in PROFILES:
        assert name in str(err.value)


def test_default_profile_shows_every_difference():
    assert DEFAULT_PROFILE == "exact"
    assert normalize("a  b\n", DEFAULT_PROFILE).text == "a  b\n"


def test_whitespace_profile_folds_runs_and_line_breaks_and_strips_ends():
    lensed = normalize("  one\r\n\n two\t three  ", "whitespace")
    assert lensed.text == "one two three"
    # the folded space maps back to the whole run it stands for
    k = lensed.text.index(" ")
    assert lensed.original[slice(*lensed.to_original_span(k, k + 1))] == "\r\n\n "


@pytest.mark.parametrize("piece", range(1, 10))
def test_a_big_text_folds_its_whitespace_a_piece_at_a_time_as_in_one_pass(piece, monkeypatch):
    # Whitespace is folded in pieces of a long text (re.sub on 20 MB of English held
    # hundreds of MB); a run of spaces across a cut must still fold to one space.
    text = "a  b \n\n c\t\t d  中 文  \u3000 e\n\n\n  f   "
    whole = {p: lenses.normal_text(text, p) for p in ("whitespace", "cjk", "loose")}
    squeezed = lenses.comparison_text(text)
    monkeypatch.setattr(lenses, "_PIECE_CHARS", piece)
    lenses._recent_text.cache_clear()
    assert {p: lenses.normal_text(text, p) for p in whole} == whole
    assert lenses.comparison_text(text) == squeezed
    assert whole["whitespace"] == "a b c d 中 文 e f"
    lenses._recent_text.cache_clear()


def test_cjk_profile_drops_segmentation_spaces_and_unifies_width():
    segmented = "中共中央 总书记 习近平 在 主持 学习 时 强调 ， 区块 链 技术"
    printed = "中共中央总书记习近平在主持学习时强调，区块链\n\n技术"
    assert normalize(segmented, "cjk").text == normalize(printed, "cjk").text
    assert normalize("Ｈｅｌｌｏ　ｗｏｒｌｄ！", "cjk").text == "Hello world!"
    assert normalize("深化 “ 最多 跑 一次 ” 改革", "cjk").text == "深化“最多跑一次”改革"


def test_cjk_profile_keeps_spaces_between_latin_words():
    assert normalize("a  quick\nfox 中 文", "cjk").text == "a quick fox中文"


def test_loose_profile_folds_case_quotes_and_dashes():
    assert normalize("\u201cStraße\u201d \u2014 OK", "loose").text == '"strasse" - ok'


def test_composed_and_decomposed_accents_map_to_the_whole_sequence():
    lensed = normalize("cafe\u0301!", "cjk")
    assert lensed.text == "café!"
    assert lensed.to_original_span(3, 4) == (3, 5)
    assert lensed.to_original_span(4, 5) == (5, 6)


def test_an_insertion_point_next_to_dropped_whitespace_keeps_it_dropped():
    lensed = normalize("推\n\n动", "cjk")
    assert lensed.text == "推动"
    assert lensed.to_original_span(1, 1) == (3, 3)  # dropped because of 推: stays before
    latin_after = normalize("ab \u4e2d", "cjk")  # the space is dropped because of 中
    assert latin_after.text == "ab\u4e2d"
    assert latin_after.to_original_span(2, 2) == (2, 2)  # so the point comes before it
    leading = normalize("  x", "whitespace")
    assert leading.to_original_span(0, 0) == (2, 2)  # after stripped leading whitespace
    # inserting Latin text there and re-reading it shows the insertion and nothing else
    for a, b in (("中 x", "中Yx"), ("x 中", "xY中"), ("\u00a0\x08", "0\x08")):
        edits = diff_under(a, b, "cjk").edits
        assert normalize(replay(a, edits), "cjk").text == normalize(b, "cjk").text


def test_a_line_break_inside_a_word_is_no_edit_under_cjk():
    assert diff_under("加快推\n\n动区块链", "加快 推动 区块 链", "cjk").edits == ()


def test_exact_diff_of_layout_copies_says_which_profile_hides_the_noise():
    a = "习近平强调，要强化基础研究，提升原始\n\n创新能力。"
    b = "习近平 强调 ， 要 强化 基础 研究 ， 提升 原始 创新 能力 。"
    result = diff_under(a, b)
    assert result.hint is not None
    assert result.hint.endswith("--normalize cjk hides them")
    assert re.match(r"\d+ of \d+ edits are whitespace or line breaks", result.hint)
    assert whitespace_share(a, b, profile="cjk").total == 0


def test_folded_runs_are_hidden_by_the_whitespace_profile():
    share = whitespace_share("one  two\n\nthree", "one two three")
    assert share.whitespace_only == share.total == 2
    assert share.suggest == "whitespace"


def test_real_edits_survive_the_lens_at_original_offsets():
    a = "中共中央政治局10月24日\n下午就区块链发展"
    b = "中共中央政治局 2019 年 10 月 24 日 下午 就 区块 链 技术 发展"
    edits = diff_under(a, b, "cjk").edits
    assert [(e.old, e.new) for e in edits] == [("", "2019 年"), ("", "技术")]
    for e in edits:
        assert a[e.a_start : e.a_end] == e.old and b[e.b_start : e.b_end] == e.new


# -- properties -------------------------------------------------------------------

_SPICE = list(
    "中文区块链技术发展あいカ한국 \n\r\t\u3000\u00a0\u200b，。、“”（）Ａｚ０！"
    "abcXYZ019 .,!?-\u2014'\"ﬁßé\u0301\u0308\u0323¨😀𠀀\U0001f3fd"
)
_chars = st.one_of(st.sampled_from(_SPICE), st.characters())
texts = st.text(_chars, max_size=40)
_WS = "\t\n\r \u3000\u00a0\u2028"
_HYPHENS = "-\u2010\u00ad"  # as provenance.lenses joins them across a line break


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


@st.composite
def whitespace_perturbed(draw, text: str) -> str:
    """``text`` with each whitespace run replaced by another, and ends padded. A run
    after a hyphen is kept: a hyphen before a line break is a re-wrapped word, which the
    lenses join, and before a space it is not (``NORMAL_VERSION`` 4)."""
    def run() -> str:
        return draw(st.text(st.sampled_from(_WS), min_size=1, max_size=3))

    def replaced(m: re.Match) -> str:
        return m.group() if m.start() and text[m.start() - 1] in _HYPHENS else run()

    out = re.sub(r"\s+", replaced, text)
    end = "" if out[-1:] in _HYPHENS else draw(st.sampled_from(["", run()]))
    return draw(st.sampled_from(["", run()])) + out + end


@st.composite
def cjk_perturbed(draw, text: str) -> str:
    """``text`` re-segmented (spaces between Han characters), re-spaced and re-widthed."""
    text = draw(whitespace_perturbed(text))
    out = []
    for k, ch in enumerate(text):
        if "!" <= ch <= "~" and draw(st.booleans()):
            ch = chr(ord(ch) + 0xFEE0)
        elif "\uff01" <= ch <= "\uff5e" and draw(st.booleans()):
            ch = chr(ord(ch) - 0xFEE0)
        out.append(ch)
        if k + 1 < len(text) and _is_han(text[k]) and _is_han(text[k + 1]) and draw(st.booleans()):
            out.append(draw(st.sampled_from([" ", "\n", "  ", "\r\n"])))
    return "".join(out)


def check_edits(a: str, b: str, profile: str) -> None:
    result = diff_under(a, b, profile)
    pos_a = pos_b = -1
    for e in result.edits:
        assert 0 <= e.a_start <= e.a_end <= len(a) and 0 <= e.b_start <= e.b_end <= len(b)
        assert e.a_start > pos_a and e.b_start > pos_b  # in order, never touching
        assert e.old == a[e.a_start : e.a_end] and e.new == b[e.b_start : e.b_end]
        assert e.old or e.new
        pos_a, pos_b = e.a_end, e.b_end
    assert normalize(replay(a, result.edits), profile).text == normalize(b, profile).text


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_whitespace_changes_are_invisible_under_whitespace_and_cjk(data):
    a = data.draw(texts)
    b = data.draw(whitespace_perturbed(a))
    assert diff_under(a, b, "whitespace").edits == ()
    assert diff_under(a, b, "cjk").edits == ()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_segmentation_width_and_spacing_are_invisible_under_cjk(data):
    a = data.draw(texts)
    b = data.draw(cjk_perturbed(a))
    assert normalize(a, "cjk").text == normalize(b, "cjk").text
    assert diff_under(a, b, "cjk").edits == ()
    assert diff_under(a, b, "loose").edits == ()


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_real_edits_under_a_lens_replay_to_the_other_text(data):
    profile = data.draw(st.sampled_from(PROFILE_NAMES))
    a = data.draw(texts)
    edited = data.draw(st.one_of(texts, st.builds(lambda p, m, s: p + m + s, texts, texts, texts)))
    if data.draw(st.booleans()):  # real edits on top of a, then a layout perturbation
        cut = data.draw(st.integers(0, len(a)))
        edited = a[:cut] + edited + a[cut + data.draw(st.integers(0, 3)) :]
    b = data.draw(cjk_perturbed(edited))
    check_edits(a, b, profile)
    check_edits(b, a, profile)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_original_span_contains_what_produced_the_normalized_span(data):
    profile = data.draw(st.sampled_from(PROFILE_NAMES))
    text = data.draw(texts)
    lensed = normalize(text, profile)
    n = len(lensed.text)
    assert len(lensed.orig_start) == len(lensed.orig_end) == n
    s = data.draw(st.integers(0, n))
    e = data.draw(st.integers(s, n))
    o0, o1 = lensed.to_original_span(s, e)
    assert 0 <= o0 <= o1 <= len(text)
    for k in range(s, e):
        assert o0 <= lensed.orig_start[k] < lensed.orig_end[k] <= o1
    if s == e:
        assert o0 == o1
    else:
        squeeze = "".join(lensed.text[s:e].split())
        assert squeeze in "".join(normalize(text[o0:o1], profile).text.split())


@pytest.mark.parametrize("profile", ["cjk", "loose"])
def test_a_printed_line_break_inside_a_number_in_chinese_text_is_layout(profile):
    # A printed page breaks lines anywhere, numbers included: 45\n00 is 4500.
    page, copy = "罚款金额为45\n00元以下。", "罚款金额为 4500 元以下。"
    assert diff_under(page, copy, profile).edits == ()
    # A space inside a number (4 500) is not a line break, and English text is not CJK text.
    assert diff_under("金额为4 500元", "金额为4500元", profile).edits
    assert normalize("in 45\n00 words", profile).text == normalize("in 45 00 words", profile).text
    assert diff_under("page 45\n00", "page 4500", "whitespace").edits
