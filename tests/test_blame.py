"""Blame: every span of a version attributed to the version that introduced it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from provenance import archive, blame, lineage, store
from provenance_cli.app import app

from .conftest import corpus_or_skip

ALPHA = "Alpha wrote the opening line of the report.\n"
BETA = "Beta added a paragraph about the budget vote.\n"
GAMMA = "Gamma, on the copy desk, added the mayor's reply.\n"
DELTA = "Delta wrote this note when merging both texts.\n"
SHARED = (
    "Both editors typed this very same sentence, a long one, long enough that the diff "
    "engine keeps it as unchanged text between the lines inserted around it.\n"
)
EPSILON = "(Epsilon framed the excerpt with this credit)\n"


def reg(engine, text: str, **kw) -> int:
    with store.transaction(engine) as s:
        return archive.register(s, text.encode(), name="t", **kw).version


def owners(engine, ref: str, profile: str | None = None) -> tuple[blame.BlameReport, str]:
    with store.reader(engine) as s:
        report = blame.blame(s, ref, profile)
        text = archive.texts(s, (report.version,))[report.version]
    return report, text


def by_line(report: blame.BlameReport, text: str) -> dict[str, set[int]]:
    """Each line (without its break) -> the versions its characters are attributed to."""
    out: dict[str, set[int]] = {}
    for span in report.spans:
        pos = span.start
        for piece in text[span.start : span.end].splitlines(keepends=True):
            start = text.rfind("\n", 0, pos) + 1
            end = text.find("\n", pos)
            line = text[start : end if end >= 0 else len(text)]
            if piece.strip("\n"):
                out.setdefault(line, set()).add(span.introduced_by)
            pos += len(piece)
    return out


def covers_exactly_once(report: blame.BlameReport) -> bool:
    pos = 0
    for span in report.spans:
        if span.start != pos or span.end <= span.start:
            return False
        pos = span.end
    return pos == report.chars


def test_every_span_of_a_merge_and_an_excerpt_is_attributed_to_its_author(engine):
    v1 = reg(engine, ALPHA, doc="report")
    v2 = reg(engine, ALPHA + BETA + SHARED, doc="report")  # revision of v1
    v3 = reg(engine, ALPHA + GAMMA + SHARED, doc="copy", parents=[str(v1)], relation="copy")
    v4 = reg(
        engine,
        ALPHA + BETA + GAMMA + SHARED + DELTA,
        doc="report",
        parents=[str(v2), str(v3)],
    )
    v5 = reg(engine, BETA + GAMMA + EPSILON, doc="wire", parents=[str(v4)], relation="excerpt")

    report, text = owners(engine, str(v4))
    assert covers_exactly_once(report)
    assert (
        by_line(report, text)
        == {
            ALPHA[:-1]: {v1},
            BETA[:-1]: {v2},
            GAMMA[:-1]: {v3},
            SHARED[:-1]: {v2},  # in both parents: the origin registered first wins
            DELTA[:-1]: {v4},
        }
    )
    report, text = owners(engine, str(v5))
    assert covers_exactly_once(report)
    assert by_line(report, text) == {BETA[:-1]: {v2}, GAMMA[:-1]: {v3}, EPSILON[:-1]: {v5}}
    assert {v2, v3, v5} <= set(report.versions)  # (the final line break is v4's, kept)
    assert report.versions[v3].name == "copy@1"


def test_normalize_keeps_a_reflowed_copy_from_claiming_the_text(engine):
    v1 = reg(engine, ALPHA + BETA, doc="report")
    reflowed = (ALPHA + BETA).replace(" the ", "\n the  ").replace("\n", "\n\n")
    v2 = reg(engine, reflowed + "A new closing line by the second editor.\n", doc="report")
    report, _ = owners(engine, str(v2))
    assert v2 in {s.introduced_by for s in report.spans if s.end < len(reflowed) - 5}
    report, text = owners(engine, str(v2), "whitespace")
    assert covers_exactly_once(report) and report.profile == "whitespace"
    for span in report.spans:
        expected = v1 if span.end <= len(reflowed) else v2
        assert span.introduced_by == expected, (text[span.start : span.end], span)


def test_on_a_real_history_spans_cover_the_text_once_and_come_from_ancestors(engine):
    corpus = corpus_or_skip()
    files = sorted((corpus / "github-site-policy" / "github-subprocessors").glob("*.md"))
    vid = 0
    for path in files:
        with store.transaction(engine) as s:
            vid = archive.register(
                s, path.read_bytes(), name=str(path), doc="subprocessors"
            ).version
    for profile in (None, "whitespace"):
        report, text = owners(engine, str(vid), profile)
        assert report.chars == len(text) == len(files[-1].read_text(encoding="utf-8"))
        assert covers_exactly_once(report)
        with store.reader(engine) as s:
            ancestors = set(lineage.ancestors(s, vid))
        assert {sp.introduced_by for sp in report.spans} <= ancestors
        assert len({sp.introduced_by for sp in report.spans}) > 3  # a real history has authors


def test_blame_json_lists_spans_and_introducing_versions(db_url):
    runner = CliRunner()
    for text in (ALPHA, ALPHA + BETA):
        result = runner.invoke(app, ["--db", db_url, "register", "-", "--doc", "r"], input=text)
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["--db", db_url, "blame", "r@2", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [(s["start"], s["end"]) for s in out["spans"]] == [
        (0, len(ALPHA)),
        (len(ALPHA), len(ALPHA + BETA)),
    ]
    first, second = (s["introduced_by"] for s in out["spans"])
    assert out["versions"][str(first)]["name"] == "r@1"
    assert out["versions"][str(second)]["name"] == "r@2"
    human = runner.invoke(app, ["--db", db_url, "blame", "r@2"])
    assert human.exit_code == 0 and "@1" in human.stdout and "Beta added" in human.stdout


@pytest.mark.parametrize("lens", ["cjk", "loose"])
def test_under_cjk_the_copy_owns_exactly_what_the_lens_diff_inserts(engine, seeds, lens):
    """The seed copy is the page's report re-segmented into words with a few wording
    edits: through ``cjk`` it owns the characters `prov diff --normalize cjk`
    shows inserted and nothing else (the segmenter's spaces are layout)."""
    page, copy = (seeds[name] for name in sorted(seeds))
    v1 = reg(engine, page.decode(), doc="page")
    v2 = reg(engine, copy.decode(), doc="copy", parents=[str(v1)], relation="excerpt")
    report, text = owners(engine, str(v2), lens)
    assert covers_exactly_once(report)
    owned = {
        k for s in report.spans if s.introduced_by == v2 for k in range(s.start, s.end)
    }
    with store.reader(engine) as s:
        shown = archive.diff_sides(
            archive.side(s, str(v1)), archive.side(s, str(v2)), profile=lens
        )
    inserted = {
        k for e in shown.edits if e.inside and e.new for k in range(e.b_start, e.b_end)
    }
    assert inserted, "the lens diff of the seeds has insertions"
    visible = lambda ks: {k for k in ks if not text[k].isspace()}  # noqa: E731
    assert visible(owned) == visible(inserted)
