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


# -- a passage only where it is true (issue 9) -------------------------------------

import json  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from provenance.compare import CARRIED, excerpt_passages, find_passage  # noqa: E402
from provenance.lenses import normalize  # noqa: E402
from provenance_cli.app import app  # noqa: E402

from .conftest import SEEDS, corpus_or_skip  # noqa: E402

PAGE = (SEEDS / "000_1ce08642ff723812.txt").read_text(encoding="utf-8")
COPY = (SEEDS / "002_16046881f2c4a19a.txt").read_text(encoding="utf-8")


def _prov_json(db_url: str, *args: str) -> dict:
    result = CliRunner().invoke(app, ["--db", db_url, *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _community_guidelines_pair() -> tuple[Path, Path]:
    folder = corpus_or_skip() / "github-site-policy" / "github-community-guidelines"
    return next(folder.glob("0023__*.md")), next(folder.glob("0024__*.md"))


def test_a_rewrite_of_different_length_is_compared_whole_not_as_a_tiny_passage(db_url):
    # github-community-guidelines 0023 -> 0024 rewrote most of the text: the plain diff used
    # to report "13 edits, similarity 0.839 (within the passage)" for A[0:832] alone.
    old, new = _community_guidelines_pair()
    _prov_json(db_url, "register", str(old), "--doc", "cg")
    _prov_json(db_url, "register", str(new), "--doc", "cg")
    out = _prov_json(db_url, "diff", "cg@1", "cg@2")
    assert out["passage"] is None and out["passages"] == []
    assert all(e["inside"] for e in out["edits"])
    a, b = old.read_text(encoding="utf-8"), new.read_text(encoding="utf-8")
    assert diff.replay(a, [e.as_edit() for e in compare(a, b).edits]) == b
    # The whole texts, most of it rewritten: a minimal character diff still keeps the
    # letters two English texts share (about half), never the 0.839 of the tiny passage.
    assert out["stats"]["similarity"] < 0.6
    text = CliRunner().invoke(app, ["--db", db_url, "diff", "cg@1", "cg@2", "--limit", "1"])
    assert "within the passage" not in text.stdout and "passage:" not in text.stdout


def test_two_different_laws_share_no_passage():
    corpus = corpus_or_skip() / "lawrefbook-zh-law-editions"
    a = sorted((corpus / "cn-counter-espionage-law").glob("*.md"))[0].read_text(encoding="utf-8")
    b = sorted((corpus / "cn-charity-law").glob("*.md"))[0].read_text(encoding="utf-8")
    for profile in ("exact", "cjk"):
        result = compare(a, b, profile=profile)
        assert result.passages == () and result.passage is None
        assert result.stats.similarity < 0.6


def test_the_seed_excerpt_keeps_its_passage_and_says_how_much_of_each_side_it_is(db_url):
    _prov_json(db_url, "register", str(SEEDS / "000_1ce08642ff723812.txt"), "--doc", "r")
    _prov_json(db_url, "register", str(SEEDS / "002_16046881f2c4a19a.txt"), "--doc", "r",
               "--relation", "excerpt")
    out = _prov_json(db_url, "diff", "r@1", "r@2", "--normalize", "cjk")
    (p,) = out["passages"]
    assert out["passage"] == p
    assert (p["a_start"], p["a_end"], p["b_start"], p["b_end"]) == (111, 1497, 0, 2147)
    assert p["edits"] == 7 == sum(e["inside"] for e in out["edits"])
    la, lb = normalize(PAGE, "cjk").text, normalize(COPY, "cjk").text
    assert p["b_share"] == 1.0
    assert abs(p["a_share"] - len(normalize(PAGE[111:1497], "cjk").text) / len(la)) < 0.01
    assert p["coverage"] == pytest.approx(p["matched"] / len(lb), abs=1e-6)
    assert p["coverage"] >= CARRIED


def test_the_archive_gets_the_excerpt_passage_with_its_inside_edits():
    (ex,) = excerpt_passages(PAGE, COPY)
    s = ex.span
    assert (s.a_start, s.a_end, s.b_start, s.b_end, s.edits) == (111, 1497, 0, 2147, 7)
    assert len(ex.edits) == 7
    for e in ex.edits:
        assert PAGE[e.a_start : e.a_end] == e.old and COPY[e.b_start : e.b_end] == e.new
        assert s.a_start <= e.a_start and e.a_end <= s.a_end
    assert excerpt_passages(PAGE, PAGE.replace("安全可靠", "安全可控")) == ()


def test_similar_lengths_never_run_the_alignment(monkeypatch):
    from provenance import align as alignment

    def refuse(*args, **kwargs):
        raise AssertionError("aligned a pair of similar length")

    monkeypatch.setattr(alignment, "align", refuse)
    revised = PAGE.replace("安全可靠", "安全可控")[:-300]
    assert find_passage(PAGE, revised, "cjk") is None
    assert compare(PAGE, revised, profile="cjk").passages == ()
