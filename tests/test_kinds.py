"""Edit kinds: each edit of a diff is named as a reader would name it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.diff import Edit, diff
from provenance.errors import InputError
from provenance.kinds import KINDS, PRECEDENCE, check_kind, classify, summarize, summary_text

from .conftest import corpus_or_skip


def kinds_of(a: str, b: str) -> list[str]:
    return [classify(e, a, b) for e in diff(a, b).edits]


CASES = [
    # layout
    ("Terms of\nService apply.", "Terms of Service apply.", "layout"),
    ("an exam-\nple of it", "an example of it", "layout"),
    ("a data base", "a database", "layout"),
    ("zero\u200bwidth", "zerowidth", "layout"),
    ("区块 链 技术", "区块链技术", "layout"),
    # punctuation
    ("red, green and blue", "red; green and blue", "punctuation"),
    ('the "Service" is', "the “Service” is", "punctuation"),
    ("don't", "don’t", "punctuation"),
    ("区块链技术，发展", "区块链技术。发展", "punctuation"),
    # number
    ("It was 2023.", "It was 2024.", "number"),
    ("within 30 days", "within 60 days", "number"),
    ("Effective date: July 1, 2020", "Effective date: March 3, 2021", "number"),
    ("a fee of $5", "a fee of €5", "number"),
    ("rose 5 points", "rose 5% points", "number"),
    ("| [L. Payment](#l-payment) |", "| [K. Payment](#k-payment) |", "number"),
    ("第三条 规定", "第四条 规定", "number"),
    ("共一百元", "共二百元", "number"),
    ("2019年10月24日下午", "2019年10月25日下午", "number"),
    # name
    ("We met GitHub staff.", "We met Microsoft staff.", "name"),
    ("rules of the EU apply", "rules of the UK apply", "name"),
    ("said Mr. Smith today", "said Mr. Jones today", "name"),
    # negation
    ("You may use it.", "You may not use it.", "negation"),
    ("It isn't here.", "It is here.", "negation"),
    ("we will never sell", "we will always sell", "negation"),
    ("应当办理登记", "不得办理登记", "negation"),
    ("非常重要", "非法重要", "negation"),
    # quotation
    ("He said “we will win” today.", "He said “we shall win” today.", "quotation"),
    ('He said "we will win" today.', 'He said "we shall win" today.', "quotation"),
    ("他说“好的，马上办”", "他说“可以，马上办”", "quotation"),
    ("the 'Service' is", "the “Service” is", "quotation"),
    # wording
    ("the resume", "the collapse", "wording"),
    ("GitHub employees may access", "GitHub personnel may access", "wording"),
    ("统一规定", "统筹规定", "wording"),
    ("share it with other users; and", "share it with other Users; and", "wording"),
    (
        "（二）有符合公司章程规定的全体股东认缴的出资额；",
        "（二）股东会、董事会会议未对决议事项进行表决；",
        "wording",
    ),
    ("未来发展", "将来发展", "wording"),
    ("提高经济运行效率", "提高经济运转效率", "wording"),
]


@pytest.mark.parametrize(("a", "b", "kind"), CASES, ids=[f"{k}:{a[:18]}" for a, b, k in CASES])
def test_each_edit_is_named_by_what_it_changed(a, b, kind):
    kinds = kinds_of(a, b)
    assert kinds, "the case must have an edit"
    assert set(kinds) == {kind}, [(e.old, e.new) for e in diff(a, b).edits]


def test_a_digit_inside_a_year_is_a_number_but_letters_inside_a_word_are_wording():
    a = "the 2023 resume"
    b = "the 2024 collapse"
    three = Edit("replace", 7, 8, 7, 8, "3", "4")
    resum = Edit("replace", 9, 14, 9, 16, "resum", "collaps")
    assert classify(three, a, b) == "number"
    assert classify(resum, a, b) == "wording"


def test_a_negation_outranks_a_number_in_the_same_edit():
    # one edit both adds "not" and changes the number: the negation is what reverses the sentence
    a = "pay within 30 days"
    b = "pay not within 60 days"
    e = Edit("replace", 4, 13, 4, 17, a[4:13], b[4:17])
    assert classify(e, a, b) == "negation"


def test_a_capitalised_word_at_a_sentence_start_is_not_a_name():
    assert kinds_of("It rains. Some days", "It rains. Many days") == ["wording"]
    assert kinds_of("It rains on Some days", "It rains on Many days") == ["name"]


def test_a_whole_rewritten_paragraph_is_wording_even_with_a_number_and_a_negation_in_it():
    a = "Intro.\n\nThe old rule said nothing about fees at all and was short.\n\nEnd."
    b = (
        "Intro.\n\nUsers must not pay more than 30 dollars in any month, "
        "and refunds are paid within ten days of a request.\n\nEnd."
    )
    e = Edit("replace", 8, a.index("\n\nEnd"), 8, b.index("\n\nEnd"), "", "")
    e = Edit("replace", e.a_start, e.a_end, e.b_start, e.b_end, a[8 : e.a_end], b[8 : e.b_end])
    assert classify(e, a, b) == "wording"


def test_summaries_count_kinds_in_registry_order_and_read_as_a_sentence():
    counts = summarize(["wording", "number", "quotation", "wording", "number"] + ["wording"] * 3)
    assert counts == (("number", 2), ("quotation", 1), ("wording", 5))
    assert summary_text(counts) == "2 numbers changed, 1 quote, 5 wording"
    assert summary_text(summarize(["name", "negation"])) == "1 negation, 1 name changed"
    assert summary_text(()) == "no edits"
    assert [k for k, _ in summarize(PRECEDENCE)] == list(KINDS)


def test_an_unknown_kind_is_a_one_line_error_naming_the_kinds():
    with pytest.raises(InputError, match="number, name") as info:
        check_kind("numbers")
    assert "numbers" in str(info.value)
    with pytest.raises(InputError):
        summarize(["wording", "typo"])
    assert check_kind("layout") == "layout"


def test_the_registry_and_the_precedence_name_the_same_kinds():
    assert set(PRECEDENCE) == set(KINDS)
    assert all(isinstance(v, str) and v and "\n" not in v for v in KINDS.values())


texts = st.text(
    alphabet=st.sampled_from(
        list("ab Z19,.;'\"“”‘’「」\n\t-#%$")
        + list("不非常第三条年一二十万〇区块链")
        + ["\u200b", "é"]
    )
    | st.characters(),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(texts, texts)
def test_every_edit_of_any_pair_gets_exactly_one_kind(a, b):
    for e in diff(a, b).edits:
        assert classify(e, a, b) in KINDS


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30), st.data())
def test_classify_never_raises_for_any_edit_of_any_text(a, data):
    i = data.draw(st.integers(0, len(a)))
    j = data.draw(st.integers(i, len(a)))
    new = data.draw(st.text(max_size=10))
    b = a[:i] + new + a[j:]
    e = Edit("replace", i, j, i, i + len(new), a[i:j], new)
    assert classify(e, a, b) in KINDS


def test_a_huge_inserted_block_is_one_wording_edit():
    # 200 KB inserted (numbers, quotes and names inside it do not make it one of
    # those kinds). Its cost is measured in benchmarks, not here: a classifier
    # quadratic in the edit would make this test take minutes.
    a = "Start. " + "word " * 20 + "End."
    block = "GitHub may not charge 30 dollars “quoted” here. " * 4000
    b = a.replace("End.", block + "End.")
    edits = diff(a, b).edits
    assert [classify(e, a, b) for e in edits] == ["wording"]


# -- real revisions, checked by eye ---------------------------------------------


def _pair(folder: str, doc: str, first: str, second: str) -> tuple[str, str]:
    root = corpus_or_skip() / folder / doc
    (pa,) = root.glob(f"{first}__*.md")
    (pb,) = root.glob(f"{second}__*.md")
    return pa.read_text(encoding="utf-8"), pb.read_text(encoding="utf-8")


def _kinds_at(a: str, b: str) -> list[tuple[Edit, str]]:
    return [(e, classify(e, a, b)) for e in diff(a, b).edits]


def test_terms_of_service_revision_with_a_new_effective_date():
    # github-terms-of-service 0021 -> 0022: the effective date moves from November 13, 2019
    # to April 2, 2020; "GitHub employees" becomes "GitHub personnel"; four spacing fixes.
    a, b = _pair("github-site-policy", "github-terms-of-service", "0021", "0022")
    found = _kinds_at(a, b)
    date_line = a.index("Effective date:")
    dated = [k for e, k in found if date_line <= e.a_start < date_line + 40]
    assert dated and set(dated) == {"number"}
    by_old = {e.old.strip(): k for e, k in found}
    assert by_old["employees"] == "wording"
    assert sum(k == "layout" for _, k in found) >= 3
    assert summary_text(summarize(k for _, k in found)).startswith("2 numbers changed")


def test_terms_of_service_revision_relettering_its_sections():
    # github-terms-of-service 0018 -> 0019: a section was dropped, so the table of contents
    # re-letters "[L. Payment]" as "[K. Payment]" and so on: each re-lettering is a number.
    a, b = _pair("github-site-policy", "github-terms-of-service", "0018", "0019")
    found = _kinds_at(a, b)
    toc = a.index("| [L. Payment]")
    relettered = [(e.old, k) for e, k in found if toc <= e.a_start < toc + 1400 and len(e.old) == 1]
    assert len(relettered) >= 10
    assert {k for _, k in relettered} == {"number"}
    date_line = a.index("Effective date:")
    assert {k for e, k in found if date_line <= e.a_start < date_line + 40} == {"number"}


def test_law_edition_pair_renumbers_articles_as_number_changes():
    # cn-anti-monopoly-law 2007 -> 2022: articles renumbered (第六条 -> 第五条, 第十六条 ->
    # 第二十一条), clauses reworded (经营者 "其他" -> "非法人" 组织 adds a negating prefix).
    a, b = _pair("lawrefbook-zh-law-editions", "cn-anti-monopoly-law", "0001", "0002")
    found = _kinds_at(a, b)
    renumbered = [
        k
        for e, k in found
        if a[e.a_start - 1 : e.a_start] in ("第", "十")
        and e.old
        and e.new
        and set(e.old + e.new) <= set("一二三四五六七八九十")
        and a[e.a_end : e.a_end + 1] == "条"
    ]
    assert len(renumbered) >= 20
    assert set(renumbered) == {"number"}
    assert {k for e, k in found if (e.old, e.new) == ("其他", "非法人")} == {"negation"}
    added = [k for e, k in found if not e.old and "鼓励创新" in e.new]
    assert added == ["wording"]
    counts = dict(summarize(k for _, k in found))
    assert counts["number"] > counts.get("negation", 0)
