"""Identifying a text against the archive: exact bytes, equal under a lens, or the nearest versions."""

from __future__ import annotations

import json
import random
import re
import textwrap

import pytest
from blake3 import blake3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select
from typer.testing import CliRunner

from provenance import archive, identify, index, lenses, sketch, store
from provenance.errors import SchemaError
from provenance.models import ContentIndex, IndexState, KeyRun
from provenance_cli.app import app

from .conftest import corpus_or_skip

# Several documents' full histories, small enough to register on both backends:
# Chinese statutes (two editions each), an English policy edited through 22
# pull requests, and a crawled privacy policy.
HISTORIES = (
    "lawrefbook-zh-law-editions/cn-company-law",
    "lawrefbook-zh-law-editions/cn-anti-monopoly-law",
    "github-site-policy/github-subprocessors",
    "ota-genai-eu/qwen-chat-privacy-policy",
)


def register_histories(engine) -> dict[str, list[tuple[int, str]]]:
    """Register every version of HISTORIES; doc key -> [(version id, text)] in order."""
    corpus = corpus_or_skip()
    out: dict[str, list[tuple[int, str]]] = {}
    for rel in HISTORIES:
        key = rel.split("/")[1]
        for path in sorted((corpus / rel).glob("*.md")):
            with store.transaction(engine) as s:
                report = archive.register(s, path.read_bytes(), name=str(path), doc=key)
            out.setdefault(key, []).append((report.version, path.read_text(encoding="utf-8")))
    return out


def ask(engine, text: str | bytes, **kw) -> identify.IdentifyReport:
    data = text.encode() if isinstance(text, str) else text
    with store.reader(engine) as s:
        return identify.identify(s, data, **kw)


def test_a_versions_exact_bytes_identify_every_version_carrying_them(engine):
    docs = register_histories(engine)
    vid, text = docs["github-subprocessors"][5]
    with store.transaction(engine) as s:
        twin = archive.register(s, text.encode(), name="copy", doc="mirror", source="a mirror")
    report = ask(engine, text)
    assert report.query.hash == "blake3:" + blake3(text.encode()).hexdigest()
    assert report.query.chars == len(text)
    exact = [m for m in report.matches if m.tier == "exact"]
    assert [m.version for m in exact] == [vid, twin.version]
    assert {m.document for m in exact} == {"github-subprocessors", "mirror"}
    assert all(m.score == 1.0 and m.registered_at for m in exact)
    assert [m.tier for m in report.matches] == ["exact", "exact"]  # nothing worse is listed


def _reflow(text: str, rng: random.Random) -> str:
    return "".join(w + rng.choice([" ", "\n", "  ", "\t", " \n "]) for w in text.split())


def _segment(text: str, rng: random.Random) -> str:
    return "".join(
        ch + (" " if "\u4e00" <= ch <= "\u9fff" and rng.random() < 0.5 else "") for ch in text
    )


_WIDTH = {"，": ",", "：": ":", "；": ";", "（": "(", "）": ")", "！": "!", "？": "?"}


def _swap_width(text: str) -> str:
    back = {v: k for k, v in _WIDTH.items()}
    return "".join(_WIDTH.get(ch, back.get(ch, ch)) for ch in text)


def test_layout_changes_identify_the_version_under_the_matching_lens(engine):
    docs = register_histories(engine)
    rng = random.Random(4)
    en_id, en = docs["github-subprocessors"][-1]
    zh_id, zh = docs["cn-company-law"][1]
    for query, version, profile in (
        (_reflow(en, rng), en_id, "whitespace"),
        (_segment(zh, rng), zh_id, "cjk"),
        (_swap_width(zh), zh_id, "cjk"),
        (en.upper(), en_id, "loose"),
    ):
        report = ask(engine, query)
        top = report.matches[0]
        assert (top.version, top.tier, top.profile) == (version, "normalized", profile)
        assert all(m.tier == "normalized" for m in report.matches)
    only_ws = ask(engine, _swap_width(zh), profile="whitespace")
    assert all(m.tier == "similar" for m in only_ws.matches)  # that lens does not see widths


def _edit_words(text: str, rng: random.Random, n: int = 4) -> str:
    words = re.split(r"( +)", text)
    spots = [i for i, w in enumerate(words) if w.strip().isalpha()]
    for i in rng.sample(spots, n):
        words[i] = rng.choice(["reportedly", "allegedly", "never", "vendor"])
    return "".join(words)


def test_a_copy_with_a_few_real_edits_finds_its_version_as_the_top_similar_match(engine):
    docs = register_histories(engine)
    rng = random.Random(7)
    for key in ("github-subprocessors", "qwen-chat-privacy-policy"):
        for vid, text in rng.sample(docs[key], 3):
            report = ask(engine, _edit_words(text, rng))
            top = report.matches[0]
            assert top.tier == "similar" and top.profile == "sketch"
            same_text = {v for v, t in docs[key] if t == text}
            assert top.version in same_text, (key, vid, [(m.name, m.score) for m in report.matches])
            assert 0.9 < top.score < 1.0 and top.passage is None
            assert 1 <= top.diff.edits <= 8 and top.diff.complete
    zh_id, zh = docs["cn-anti-monopoly-law"][0]
    edited = zh.replace("经营者", "企业", 2)
    assert ask(engine, edited).matches[0].version == zh_id


def test_a_paragraph_cut_from_a_version_finds_it_through_its_passage(engine):
    docs = register_histories(engine)
    for key, pick in (("github-subprocessors", 10), ("cn-company-law", 0)):
        vid, text = docs[key][pick]
        paragraphs = [p for p in text.split("\n\n") if len(p) > 150]
        paragraph = paragraphs[len(paragraphs) // 2]
        report = ask(engine, paragraph, top=10)
        assert report.matches and all(m.tier == "similar" for m in report.matches)
        top = report.matches[0]
        top_text = dict(docs[key])[top.version]
        assert paragraph in top_text
        assert top.score == 1.0
        p = top.passage
        assert p is not None and p.coverage > 0.95
        assert top_text[p.b_start : p.b_end].strip() == paragraph.strip()
        assert (
            vid in {m.version for m in report.matches}
            or sum(paragraph in t for _, t in docs[key]) > 10
        )


def test_a_text_containing_a_registered_version_finds_it_as_a_passage(engine):
    docs = register_histories(engine)
    zh = docs["cn-anti-monopoly-law"][1][1]
    page = "报纸第一版\n\n" + docs["cn-company-law"][0][1][:3000] + "\n\n" + zh[:4000]
    with store.transaction(engine) as s:
        excerpt = archive.register(s, zh[:4000].encode(), name="x", doc="excerpt")
    report = ask(engine, page)
    assert report.matches[0].version == excerpt.version
    p = report.matches[0].passage
    assert p is not None and page[p.a_start : p.a_end] == zh[:4000]


def test_an_unrelated_text_matches_nothing(engine):
    register_histories(engine)
    report = ask(engine, "The quarterly cricket fixtures were announced on Tuesday in Leeds.")
    assert report.matches == ()


def test_reindex_rebuilds_the_same_index_and_a_stale_one_is_refused(engine):
    with store.transaction(engine) as s:
        archive.register(s, "第一版 文本，内容。".encode(), name="a", doc="d")
        archive.register(s, b"A second, English, text of some length.", name="b", doc="e")
    with store.reader(engine) as s:
        before = sorted(s.execute(_keys_by_content()).all())
    with store.transaction(engine) as s:
        s.delete(s.get(IndexState, "sketch_version"))
    with pytest.raises(SchemaError, match="prov reindex"), store.reader(engine) as s:
        identify.identify(s, b"anything")
    with store.transaction(engine) as s:
        assert index.rebuild(s)[:2] == (2, 2)
    with store.reader(engine) as s:
        after = sorted(s.execute(_keys_by_content()).all())
        assert s.exec(select(func.count()).select_from(IndexState)).one() == 2
    assert before == after and len(before) > 2 * sketch.BANDS
    assert ask(engine, "第一版文本,内容。").matches[0].profile == "cjk"


def _keys_by_content():
    """(band, key, content hash) of every key every content holds."""
    q = index.key_rows().subquery()
    return select(q.c.band, q.c.key, ContentIndex.content_hash).join(
        ContentIndex, ContentIndex.id == q.c.content_id
    )


def test_the_stored_sketch_is_the_sketch_modules(engine):
    text = "Ein kurzer Text über Straßen, 中文 text, and ＡＢＣ." * 5
    made, shingles = index._sketch(text)
    assert made == sketch.sketch(text) and shingles == len(sketch.shingle_hashes(text))


def test_registering_the_same_bytes_twice_indexes_them_once(engine):
    with store.transaction(engine) as s:
        archive.register(s, b"Same words, twice over.", name="a", doc="one")
        archive.register(s, b"Same words, twice over.", name="b", doc="two")
    with store.reader(engine) as s:
        rows = s.exec(select(KeyRun.chain)).all()
        assert len(set(rows)) == 1 and s.exec(select(func.count()).select_from(ContentIndex)).one() == 1


# -- the CLI -------------------------------------------------------------------------

runner = CliRunner()


def test_identify_exits_0_on_a_match_and_1_on_none_with_the_json_contract(db_url, tmp_path):
    text = "The council approved the budget on Monday after a long debate.\n" * 3
    path = tmp_path / "a.txt"
    path.write_text(text)
    assert (
        runner.invoke(app, ["--db", db_url, "register", str(path), "--doc", "news"]).exit_code == 0
    )
    hit = runner.invoke(
        app, ["--db", db_url, "identify", "-", "--json"], input=text.replace(" ", "\n")
    )
    assert hit.exit_code == 0, hit.output
    out = json.loads(hit.stdout)
    assert set(out) == {"query", "matches"}
    assert {"hash", "chars"} <= set(out["query"])
    m = out["matches"][0]
    assert {"version", "document", "tier", "profile", "score", "passage"} <= set(m)
    assert (m["document"], m["tier"], m["profile"], m["score"]) == (
        "news",
        "normalized",
        "whitespace",
        1.0,
    )
    miss = runner.invoke(app, ["--db", db_url, "identify", "-", "--json"], input="Nothing like it.")
    assert miss.exit_code == 1
    assert json.loads(miss.stdout)["matches"] == []
    human = runner.invoke(app, ["--db", db_url, "identify", str(path)])
    assert human.exit_code == 0 and "exact" in human.stdout and "news@1" in human.stdout
    bad = runner.invoke(app, ["--db", db_url, "identify", str(path), "--normalize", "nope"])
    assert bad.exit_code == 2


def test_reindex_prints_a_json_summary(db_url, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("One text to index.")
    runner.invoke(app, ["--db", db_url, "register", str(path), "--doc", "d"])
    result = runner.invoke(app, ["--db", db_url, "reindex", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["contents"], out["versions"]) == (1, 1) and out["keys"] >= 32


# -- normal forms ----------------------------------------------------------------------

_pieces = st.sampled_from(
    [*"ab AZ\n\t\u3000，。：“”—-'\"中文ﬁＡßｶ\u200b\u0301ℌ㎁İΣ", "e\u0301", "가\u11a8"]
)
_texts = st.lists(_pieces, max_size=30).map("".join)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_texts)
def test_the_indexed_normal_forms_are_the_lenses_normal_forms(text):
    for profile in index.NORMAL_PROFILES:
        assert index.normal_form(text, profile) == lenses.normalize(text, profile).text


def test_the_indexed_normal_forms_match_the_lenses_on_real_text():
    corpus = corpus_or_skip()
    for rel in HISTORIES:
        for path in sorted((corpus / rel).glob("*.md"))[:2]:
            text = path.read_text(encoding="utf-8")
            for profile in index.NORMAL_PROFILES:
                assert index.normal_form(text, profile) == lenses.normalize(text, profile).text


# -- ranking by what the user asked (issue 9) ----------------------------------------

TERMS = "github-site-policy/github-terms-of-service"


def _register_terms(engine) -> dict[int, str]:
    corpus = corpus_or_skip()
    out = {}
    with store.transaction(engine) as s:
        for path in sorted((corpus / TERMS).glob("*.md")):
            report = archive.register(s, path.read_bytes(), name=str(path), doc="terms")
            out[report.version] = path.read_text(encoding="utf-8")
    return out


def _identify_cli(db_url: str, query: str, *args: str) -> tuple[dict, str]:
    as_json = runner.invoke(app, ["--db", db_url, "identify", "-", "--json", *args], input=query)
    assert as_json.exit_code == 0, as_json.output
    human = runner.invoke(app, ["--db", db_url, "identify", "-", *args], input=query)
    assert human.exit_code == 0, human.output
    return json.loads(as_json.stdout), human.stdout


def test_an_excerpt_is_answered_with_a_version_holding_it_at_the_default_top(db_url, engine):
    texts = _register_terms(engine)
    rng = random.Random(9)
    tried = 0
    while tried < 3:
        vid = rng.choice(sorted(texts))
        start = rng.randrange(len(texts[vid]) - 1200)
        query = texts[vid][start : start + 1200]
        holders = {v for v, t in texts.items() if query in t}
        if len(holders) < 2:
            continue
        tried += 1
        out, human = _identify_cli(db_url, query)
        rows = out["matches"]
        assert rows[0]["version"] in holders, (vid, start, [m["name"] for m in rows])
        assert rows[0]["verbatim"] == "exact" and rows[0]["score"] == 1.0
        p = rows[0]["passage"]
        assert texts[rows[0]["version"]][p["b_start"] : p["b_end"]].strip() == query.strip()
        scores = [m["score"] for m in rows]
        assert scores == sorted(scores, reverse=True)  # ordered by the share of the query found
        for m in rows:  # verbatim only when it is
            assert (m["verbatim"] == "exact") == (query in texts[m["version"]])
        assert "verbatim" in human
        # the earliest registered of the versions holding it verbatim comes first
        assert rows[0]["version"] == min(holders)

    # A share short of verbatim is never shown as verbatim, nor as 100%.
    text = texts[max(texts)]
    start = len(text) // 3
    query = text[start : start + 1200]
    cut = query.index(" the ") + 1
    query = query[:cut] + "a" + query[cut + 3 :]  # "the" -> "a": in no version
    assert not any(query in t for t in texts.values())
    out, human = _identify_cli(db_url, query)
    assert out["matches"] and all(m["verbatim"] is None for m in out["matches"])
    assert all(m["score"] < 1.0 for m in out["matches"])
    assert "verbatim" not in human and "100.0%" not in human and "(100%)" not in human


def _rewrap(text: str) -> str:
    return "\n\n".join(textwrap.fill(p, 61) for p in text.split("\n\n") if p.strip()) + "\n"


def test_a_rewrapped_copy_is_answered_with_its_version_not_a_neighbour_holding_it(db_url, engine):
    docs = register_histories(engine)
    vid, text = docs["github-subprocessors"][-3]
    neighbour = text + "\n\nA new subprocessor, Example Analytics Ltd, processes logs in Dublin.\n"
    with store.transaction(engine) as s:  # registered after, a superset: it holds every word
        archive.register(s, neighbour.encode(), name="n", doc="mirror")
    query = _rewrap(text).replace("-\n", "-\n", 1)
    out, _ = _identify_cli(db_url, query)
    assert out["matches"][0]["version"] == vid, [m["name"] for m in out["matches"]]


def test_the_summary_agrees_with_the_diff_it_recommends(db_url, engine, tmp_path):
    docs = register_histories(engine)
    rng = random.Random(11)
    for key, pick in (("github-subprocessors", 7), ("qwen-chat-privacy-policy", 2)):
        _, text = docs[key][pick]
        path = tmp_path / f"{key}.txt"
        path.write_text(_edit_words(text, rng, 3), encoding="utf-8")
        result = runner.invoke(app, ["--db", db_url, "identify", str(path)])
        assert result.exit_code == 0, result.output
        command = re.search(r"see: prov diff (\S+) (\S+) --normalize (\w+)", result.stdout)
        assert command is not None, result.stdout
        name, target, lens = command.groups()
        assert target == str(path)
        shown = re.search(r"(\d+) edits?, \+(\d+) / -(\d+) chars", result.stdout).groups()
        diff = runner.invoke(
            app, ["--db", db_url, "diff", name, str(path), "--normalize", lens, "--json"]
        )
        assert diff.exit_code == 0, diff.output
        stats = json.loads(diff.stdout)["stats"]
        assert tuple(map(int, shown)) == (stats["edits"], stats["inserted"], stats["deleted"])
        top = json.loads(
            runner.invoke(app, ["--db", db_url, "identify", str(path), "--json"]).stdout
        )["matches"][0]
        assert top["diff"]["edits"] == stats["edits"] and top["diff"]["profile"] == lens


# -- skipping comparisons that cannot be shown -------------------------------------------

_words = st.sampled_from(["the ", "a ", "data ", "中文", "法律", "。", "，", " ", "\n", "ﬁle ", "\u3000"])
_prose = st.lists(_words, min_size=1, max_size=60).map("".join)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_prose, _prose, st.integers(0, 60), st.integers(0, 60))
def test_the_share_found_never_exceeds_the_longest_common_subsequence(a, b, cut, keep):
    """The law identify's skipping rests on: a comparison keeps at most the LCS of the normal forms."""
    from rapidfuzz.distance import LCSseq

    for version, query in ((a, b), (a, a[cut : cut + keep] + b[:keep]), (a + b + a, b)):
        for lens in ("exact", *index.NORMAL_PROFILES):
            *_, share = identify._explain(version, query, lens)
            nq, nv = index.normal_form(query, lens), index.normal_form(version, lens)
            lcs = LCSseq.similarity(nv, nq)
            assert share * len(nq) <= lcs + 1e-6, (version, query, lens)


def _answers(engine, queries: list[str]) -> list[list[tuple]]:
    return [
        [(m.version, m.tier, m.score, m.verbatim, m.passage, m.diff) for m in ask(engine, q).matches]
        for q in queries
    ]


def test_skipping_comparisons_never_changes_the_answer(engine, monkeypatch):
    docs = register_histories(engine)
    rng = random.Random(5)
    queries = []
    for key in ("github-subprocessors", "qwen-chat-privacy-policy", "cn-company-law"):
        for _, text in rng.sample(docs[key], 2):
            start = rng.randrange(len(text) // 2)
            queries += [
                _edit_words(text, rng, 2) if " " in text else text.replace("公司", "企业", 2),
                _rewrap(text),
                text[start : start + 1200],
                _edit_words(text[start : start + 1500], rng, 1) if " " in text else text[start:][:900],
            ]
    compared = []
    explain = identify._explain
    monkeypatch.setattr(
        identify, "_explain", lambda *a: compared.append(a[0]) or explain(*a)
    )
    monkeypatch.setattr(identify, "LCS_PRUNE", False)
    every = _answers(engine, queries)
    all_compared = len(compared)
    compared.clear()
    monkeypatch.setattr(identify, "LCS_PRUNE", True)
    monkeypatch.setattr(identify, "SHORTLIST_EXTRA", None)  # every row by the rule
    assert _answers(engine, queries) == every
    assert all(every)  # each query found something
    assert len(compared) < all_compared  # and some comparisons were skipped
    # With the cap on the later rows' comparisons, the first row is still the rule's best.
    monkeypatch.setattr(identify, "SHORTLIST_EXTRA", 2)
    capped = _answers(engine, queries)
    assert [rows[0] for rows in capped] == [rows[0] for rows in every]
