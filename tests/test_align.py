"""Passage alignment: a report cut from a newspaper page is found as one passage."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from provenance.align import align, suggest_relation
from provenance.errors import InputError
from provenance.lenses import normalize

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
PAGE = (SEEDS / "000_1ce08642ff723812.txt").read_text(encoding="utf-8")
COPY = (SEEDS / "002_16046881f2c4a19a.txt").read_text(encoding="utf-8")

BODY_START = "中共中央政治局10月24日下午"
CREDIT = "据新华社电"


@pytest.fixture(scope="module")
def seed_alignment():
    return align(PAGE, COPY, "cjk")


def test_the_segmented_copy_is_found_as_the_report_body_on_the_page(seed_alignment):
    p = seed_alignment.passage
    assert p is not None
    assert PAGE[p.a_start :].startswith(BODY_START)
    assert PAGE[p.a_start : p.a_end].rstrip().endswith("发挥更大作用。")
    assert PAGE[p.a_end :].lstrip().startswith(CREDIT)
    assert COPY[p.b_start :].startswith("中共中央政治局 2019 年")
    assert COPY[p.b_end :].strip() == ""  # all of the copy is inside the passage
    assert p.coverage > 0.95


def test_headline_lead_credit_line_and_other_articles_are_outside(seed_alignment):
    p = seed_alignment.passage
    outside = seed_alignment.outside_edits
    assert [e.a_start for e in outside] == [0, p.a_end]
    before, after = outside
    assert "加快推动区块链技术和产业创新发展" in before.old  # headline and lead
    assert CREDIT in after.old and "李强" in after.old  # credit line, the next article
    assert normalize(before.new, "cjk").text == normalize(after.new, "cjk").text == ""
    assert seed_alignment.a_outside > 2 * seed_alignment.b_outside


def test_inside_the_passage_only_a_handful_of_real_wording_edits(seed_alignment):
    p = seed_alignment.passage
    inside = seed_alignment.inside_edits
    assert 0 < len(inside) < 10
    for e in inside:
        assert e.old == PAGE[e.a_start : e.a_end]
        assert e.new == COPY[e.b_start : e.b_end]
        assert "".join(e.old.split()) or "".join(e.new.split())  # never only whitespace
        assert p.a_start <= e.a_start <= e.a_end <= p.a_end
        assert p.b_start <= e.b_start <= e.b_end <= p.b_end
    changes = {("".join(e.old.split()), "".join(e.new.split())) for e in inside}
    assert ("", "2019年") in changes
    assert ("靠", "控") in changes  # 安全可靠 -> 安全可控


def test_the_seed_pair_is_suggested_as_an_excerpt_either_way_round():
    assert suggest_relation(PAGE, COPY) == "excerpt"
    assert suggest_relation(COPY, PAGE) == "excerpt"


def test_a_text_and_its_light_revision_are_a_revision():
    revised = PAGE.replace("安全可靠", "安全可控").replace("10月24日", "10月25日")
    assert suggest_relation(PAGE, revised) == "revision"
    al = align(PAGE, revised)
    assert al.passage is not None and al.passage.coverage > 0.99
    assert len(al.inside_edits) == 2 and not al.outside_edits


def test_unrelated_texts_share_no_passage():
    rng = random.Random(7)
    a = "".join(rng.choice("abcdefgh ") for _ in range(3000))
    b = "".join(rng.choice("中文区块链技术发展") for _ in range(3000))
    assert align(a, b).passage is None
    assert align("", COPY).passage is None
    assert suggest_relation(a, b) == "revision"


def test_a_quote_inside_a_longer_text_is_found_with_its_offsets():
    rng = random.Random(3)
    words = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa")
    filler = " ".join(rng.choice(words) for _ in range(2000))
    quote = "The committee said the project would be finished before the winter of 2026."
    host = filler[:5000] + " \u201c" + quote + "\u201d " + filler[5000:]
    copy = "Reports say: " + quote.replace("finished", "complete") + " No more was said."
    al = align(host, copy, "whitespace")
    p = al.passage
    assert p is not None
    assert host[p.a_start : p.a_end] == quote
    assert copy[p.b_start : p.b_end] == quote.replace("finished", "complete")
    assert [(e.old, e.new) for e in al.inside_edits] == [("finished", "complete")]


def test_unknown_profile_is_refused():
    with pytest.raises(InputError):
        align("a", "b", "nfc")


def test_aligning_two_large_texts_stays_fast_enough_to_run_in_a_test():
    # not a timing test: 100 KB texts must not hit anything quadratic in Python
    rng = random.Random(11)
    page = "".join(rng.choice("中文区块链技术发展创新产业推动，。 \n") for _ in range(100_000))
    excerpt = page[30_000:60_000].replace("\n", " ")
    al = align(page, excerpt)
    assert al.passage is not None and al.passage.coverage > 0.99
