"""Lists a page at a time, filtered by the database: the documents and the audit log.

Every test runs on SQLite and PostgreSQL (the ``db_url`` fixture) against
the same expectation computed here in Python from the whole, unpaged record,
so both backends must give the same answer: keys in code-point order, case
folded alike, every item once across the pages, and ``about`` finding exactly
the events about the subject.
"""

from __future__ import annotations

import json

import pytest

from provenance import Archive
from provenance.errors import InputError, NotFoundError
from provenance.records import to_json

KEYS = [
    "Council/Minutes", "council/budget", "report", "REPORT-2", "Ärzte-Kammer", "ärzte/notes",
    "straße", "Zürich", "zürich/rat", "新华社/区块链", "新华社/经济", "a", "B", "_x", "Ωmega",
    "omega", "Report 3", "b/c/d", "z", "Z", "rep_ort", "rep%ort", "1st", "10th", "2nd",
]  # fmt: skip
"""More documents than a page; keys whose code-point order is not a locale's order
(upper case before lower, ``Ä`` after ``z``, CJK last), cases that fold outside ASCII,
and the characters LIKE treats as wildcards."""

SIZES = (1, 2, 3, 7, 24, 25, 26, 100)


@pytest.fixture
def archive(db_url):
    with Archive(db_url, actor="lister") as opened:
        batch = [{"doc": key, "text": f"The text of {key}.\n"} for key in KEYS]
        opened.import_batch(json.dumps(batch).encode(), source="first batch")
        yield opened


def _pages(ask, size: int, key) -> list:
    """Every item, read a page of ``size`` at a time, each page after the last key seen."""
    seen, after = [], None
    while True:
        page = ask(after=after, size=size + 1)
        seen += page[:size]
        if len(page) <= size:
            return seen
        after = key(page[size - 1])


def test_the_documents_come_in_code_point_order_a_page_at_a_time_none_lost_or_repeated(archive):
    whole = archive.documents()
    assert [d.document for d in whole] == sorted(KEYS)
    for size in SIZES:
        paged = _pages(
            lambda after, size: archive.documents(after=after, limit=size), size, lambda d: d.document
        )
        assert paged == whole, f"pages of {size}"


@pytest.mark.parametrize(
    "matching", ["council", "REPORT", "ärzte", "ÄRZTE", "ZÜRICH", "新华社", "%", "_", "rep%", "Ω", "  z  ", "none such"]
)
def test_matching_keeps_the_keys_containing_it_ignoring_case_on_every_page(archive, matching):
    wanted = matching.strip().lower()
    expected = sorted(k for k in KEYS if wanted in k.lower())
    assert [d.document for d in archive.documents(matching)] == expected
    for size in (1, 2, 5):
        paged = _pages(
            lambda after, size: archive.documents(matching, after=after, limit=size),
            size,
            lambda d: d.document,
        )
        assert [d.document for d in paged] == expected


def test_a_documents_summary_counts_its_versions(archive):
    archive.register(b"The text of report, revised.\n", doc="report")
    (listed,) = [d for d in archive.documents("report") if d.document == "report"]
    assert archive.document("report") == listed
    assert (listed.versions, listed.latest) == (2, 2)
    assert listed.first_registered < listed.last_registered


def _subjects_about(archive: Archive, doc: str) -> set[int]:
    """The seqs of the events about ``doc``, found from the whole log as a reader would:
    its creation, its versions' registrations and annotations, the links naming one of
    its versions, the imports that brought one."""
    everything = archive.events().events
    ids = {v.version for v in archive.log(doc).versions}
    def named(e) -> set:
        body = e.event
        return {
            "version.registered": lambda: {body["version"]["id"]},
            "version.annotated": lambda: {body["version"]},
            "link.added": lambda: {body["link"]["child"], body["link"]["parent"]},
            "import.run": lambda: set(body["import"]["versions"]),
        }.get(e.kind, set)()

    about = {e.seq for e in everything if named(e) & ids}
    about |= {e.seq for e in everything if e.kind == "document.created" and e.event["document"]["key"] == doc}
    return about


@pytest.fixture
def log(archive):
    """A log longer than a page: two imports, registrations, links, annotations, tokens."""
    archive.register(b"The text of report, revised.\n", doc="report")
    archive.register(b"The text of report, revised again.\n", doc="report")
    archive.link("REPORT-2@1", "report@2", "derived")
    archive.annotate("report@1", label="first")
    archive.annotate("Council/Minutes@1", label="minutes")
    second = [{"doc": "report", "text": "The text of report, from a second batch.\n"}]
    second += [{"doc": "Zürich", "text": "Zürich, revised.\n"}]
    archive.as_actor("importer").import_batch(json.dumps(second).encode(), source="second batch")
    archive.create_token("bot")
    return archive


def test_the_log_comes_a_page_at_a_time_none_lost_or_repeated(log):
    whole = log.events()
    assert whole.matched == whole.total > 60
    for size in SIZES:
        paged = _pages(lambda after, size: log.events(after=after, first=size).events, size, lambda e: e.seq)
        assert paged == list(whole.events), f"pages of {size}"


@pytest.mark.parametrize("doc", ["report", "REPORT-2", "Zürich", "Council/Minutes", "新华社/经济"])
def test_about_a_document_finds_exactly_the_events_about_it_on_every_page(log, doc):
    expected = _subjects_about(log, doc)
    found = log.events(about=doc, files=False)
    assert {e.seq for e in found.events} == expected
    assert found.matched == len(expected)
    assert [e.seq for e in found.events] == sorted(expected)
    for size in (1, 3):
        paged = _pages(
            lambda after, size: log.events(about=doc, files=False, after=after, first=size).events,
            size,
            lambda e: e.seq,
        )
        assert [e.seq for e in paged] == sorted(expected)


def test_about_a_version_finds_its_registration_links_annotations_and_imports(log):
    found = log.events(about="report@1", files=False)
    # its registration, the first import (which brought it), the link from @2 (a revision)
    # and its label; not the document's creation, nor the link that names @2 alone
    assert [e.kind for e in found.events] == [
        "version.registered", "import.run", "link.added", "version.annotated",
    ]  # fmt: skip
    assert found.events[2].version == "report@2" and found.events[2].parent == "report@1"
    (imported,) = [e for e in found.events if e.kind == "import.run"]
    assert imported.event["import"]["manifest"] == "first batch"  # not the second, which brought @4


def test_the_actor_kind_and_time_filters_agree_with_the_whole_log(log):
    everything = log.events().events
    by_importer = log.events(actor="importer")
    assert [e.seq for e in by_importer.events] == [e.seq for e in everything if e.actor == "importer"]
    assert by_importer.matched > 0
    kinds = ("link.added", "token.created")
    assert [e.seq for e in log.events(kinds=kinds).events] == [e.seq for e in everything if e.kind in kinds]
    middle = everything[len(everything) // 2].time
    since = log.events(since=middle)
    until = log.events(until=middle)
    assert [e.seq for e in until.events] + [e.seq for e in since.events] == [e.seq for e in everything]
    assert log.events(since=middle.replace("Z", "+08:00")).matched == len(everything)  # 8 hours earlier
    assert log.events(since=middle.replace("Z", "-08:00")).matched == 0  # 8 hours later, in UTC
    assert log.events(since="2999-01-01").events == ()


def test_the_last_events_and_a_page_count_every_match(log):
    whole = log.events(kinds=("version.registered",))
    last = log.events(kinds=("version.registered",), limit=3)
    assert last.events == whole.events[-3:] and last.matched == whole.matched
    page = log.events(kinds=("version.registered",), first=3, after=whole.events[0].seq)
    assert page.events == whole.events[1:4] and page.matched == whole.matched
    with pytest.raises(InputError, match="not asked together"):
        log.events(limit=3, first=3)


def test_the_paged_json_is_the_same_on_both_backends_but_for_times(log):
    """The first page of the log, stripped of what differs between two runs (times,
    hashes of token secrets), is what this test computes from the keys alone."""
    page = json.loads(to_json(log.events(first=4)))
    assert [e["kind"] for e in page["events"]] == ["document.created", "version.registered"] * 2
    assert [e["document"] for e in page["events"]] == [KEYS[0], KEYS[0], KEYS[1], KEYS[1]]


def test_a_string_no_column_can_hold_finds_nothing_rather_than_failing_the_database(log):
    """Found by the fuzzer on PostgreSQL, which refuses a NUL in a text parameter."""
    assert log.documents("rep\x00ort") == [] and log.documents("\ud800") == []
    with pytest.raises(NotFoundError):
        log.document("report\x00")
    with pytest.raises(InputError, match="NUL"):
        log.events(about="report\x00", files=False)
    assert log.events(actor="lister\x00").matched == 0
    with pytest.raises(NotFoundError):
        log.identify(b"The text of report.\n", doc="\x00")
