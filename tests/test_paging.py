"""Issue 10: lists come a page at a time, and a page is read on its own.

A document's versions (`Archive.log` with ``after`` and ``first``, the API's
``/documents/{doc}/versions``) and the audit log newest first (`Archive.events`
with ``before``, the web page's Older and Newer links) are paged by the
library: the database picks the page, and only the page's versions are read
and compared with their parents. Walking every page gives back the whole list,
each item once and exactly as the whole list shows it, on both backends.
"""

from __future__ import annotations

import html
import json
import random
import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from provenance import Archive, contents
from provenance.records import to_json
from provenance_cli.app import app as cli
from provenance_web import pages
from provenance_web.app import create_app

VERSIONS = 60
NAMES = ("Alice Moreau", "Bashir Khan", "Chen Wei", "Dana Ortiz")
WORDS = ("approved", "debated", "postponed", "rejected", "welcomed")


def _texts(n: int, seed: int = 10) -> list[str]:
    """``n`` revisions of a council report, each changing numbers, names, quotes or words."""
    rng = random.Random(seed)
    lines = [
        f"Line {i}: the council {rng.choice(WORDS)} item {i} costing {rng.randint(100, 9999)} pounds, "
        f"said {rng.choice(NAMES)}, \"we {rng.choice(WORDS)} it\"."
        for i in range(12)
    ]
    out = ["\n".join(lines) + "\n"]
    while len(out) < n:
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(lines))
            change = rng.choice(("number", "name", "quote", "word", "negation"))
            line = lines[i]
            if change == "number":
                line = re.sub(r"costing \d+", f"costing {rng.randint(100, 9999)}", line)
            elif change == "name":
                line = re.sub("said [A-Z][a-z]+ [A-Z][a-z]+", f"said {rng.choice(NAMES)}", line)
            elif change == "quote":
                line = re.sub(r'"we \w+ it"', f'"we {rng.choice(WORDS)} it"', line)
            elif change == "word":
                line = re.sub(r"council \w+", f"council {rng.choice(WORDS)}", line)
            else:
                line = line.replace(" item", " not item", 1) if " not " not in line else line.replace(" not", "", 1)
            lines[i] = line
        text = "\n".join(lines) + "\n"
        if text not in out:  # each revision changes something
            out.append(text)
    return out


@pytest.fixture
def history(db_url) -> str:
    """A document ``long`` of 60 versions: revisions, merges, sightings, capture times
    with and without offsets, and a copy in another document."""
    with Archive(db_url, actor="editor") as archive:
        for n, text in enumerate(_texts(VERSIONS), start=1):
            captured = None if n % 4 == 0 else f"2026-03-{1 + n % 28:02d}T{n % 24:02d}:00:00+0{n % 6}:00"
            archive.register(text.encode(), name=f"v{n}.txt", doc="long", captured_at=captured,
                             source=f"https://example.org/report/{n}", label=f"edition {n}")
            if n % 6 == 0:  # the same bytes seen again elsewhere: a sighting, not a version
                for m in range(n % 12 // 6 + 1):
                    archive.register(text.encode(), name=f"v{n}.txt", doc="long",
                                     source=f"https://mirror{m}.example/{n}")
            if n % 10 == 0 and n > 3:
                archive.link(f"long@{n}", f"long@{n - 3}", "merge")
        archive.register(_texts(VERSIONS)[29].encode(), name="copy.txt", doc="wire", parents=["long@30"],
                         relation="copy")
    return db_url


def _entries(report) -> list[dict]:
    return json.loads(to_json(report))["versions"]


def _walk_log(archive: Archive, size: int, **options) -> tuple[list[dict], list]:
    """Every page of ``long``'s log, ``size`` versions at a time, following ``newer``."""
    got: list[dict] = []
    reports = []
    after = None
    while True:
        report = archive.log("long", after=after, first=size, **options)
        reports.append(report)
        got += _entries(report)
        assert report.shown == len(report.versions) <= size
        assert report.newer == report.matched - len(got), "newer counts what the pages after it hold"
        if not report.newer:
            return got, reports
        after = report.versions[-1].number


OPTIONS = [
    {},
    {"only": "number"},
    {"only": "name", "profile": "whitespace"},
    {"since": "2000-01-01"},  # keeps all, read through the time filter
    {"captured_since": "2026-03-10T00:00:00Z"},  # compares the times, whatever their offset
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "all")
def test_every_page_of_a_log_is_the_slice_of_the_whole_log(history, options):
    with Archive(history, actor="reader") as archive:
        whole = archive.log("long", **options)
        listed = _entries(whole)
        assert whole.total == VERSIONS and whole.shown == whole.matched == len(listed) and whole.newer == 0
        if not options.get("captured_since"):
            assert [v["number"] for v in listed] == list(range(1, VERSIONS + 1))
            assert any(v["same_content"] for v in listed)
        else:
            assert 0 < whole.matched < VERSIONS, "the filter keeps some versions, not all"
        # the history carries what the pages must reproduce
        assert any(v["sightings"] for v in listed) and any(len(v["parents"]) == 2 for v in listed)
        assert any(p["kinds"] for v in listed for p in v["parents"])
        if options.get("only"):
            assert any(p["hidden"] for v in listed for p in v["parents"])
        for size in (1, 7, VERSIONS):
            got, reports = _walk_log(archive, size, **options)
            assert got == listed, f"pages of {size}"
            assert len(reports) == max(1, -(-whole.matched // size))
            for report in reports:
                assert (report.total, report.matched, report.profile, report.only) == (
                    whole.total, whole.matched, whole.profile, whole.only)


def test_a_page_is_read_alone(history, monkeypatch):
    """A page of one version reads that version's text and its parents', not the history's."""
    read: list[str] = []
    get_text = contents.get_text

    def counting(session, digest):
        read.append(digest)
        return get_text(session, digest)

    monkeypatch.setattr(contents, "get_text", counting)
    with Archive(history, actor="reader") as archive:
        whole = archive.log("long")
        read.clear()
        page = archive.log("long", after=40, first=1)
        (entry,) = page.versions
        assert entry.number == 41 and page.newer == VERSIONS - 41
        assert 0 < len(set(read)) <= 1 + len(entry.parents), read
        read.clear()
        last = archive.log("long", after=VERSIONS - 1, first=5)
        assert [v.number for v in last.versions] == [VERSIONS] and last.newer == 0
        assert len(set(read)) <= 1 + len(last.versions[0].parents)
        assert len(whole.versions) == VERSIONS


def test_prov_log_still_lists_every_version(history):
    out = CliRunner().invoke(cli, ["--db", history, "log", "long", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert [v["number"] for v in data["versions"]] == list(range(1, VERSIONS + 1))
    assert data["shown"] == data["total"] == VERSIONS and data["newer"] == 0
    with Archive(history, actor="reader") as archive:
        assert data["versions"] == _walk_log(archive, 7)[0]


def test_a_log_page_and_the_newest_are_not_asked_together(history):
    with Archive(history, actor="reader") as archive:
        for bad in ({"limit": 3, "first": 2}, {"limit": 3, "after": 4}, {"first": -1}):
            with pytest.raises(Exception, match=r"negative|not asked together"):
                archive.log("long", **bad)
        assert archive.log("long", after=VERSIONS, first=5).versions == ()
        assert archive.log("long", first=0).newer == VERSIONS


@pytest.mark.parametrize("options", [{}, {"only": "number"}, {"only": "quotation", "profile": "whitespace"}],
                         ids=["all", "only=number", "only=quotation,whitespace"])
def test_the_api_pages_the_log_as_the_library_lists_it(history, options):
    with Archive(history, actor="reader") as archive:
        whole = json.loads(to_json(archive.log("long", **options)))
    with TestClient(create_app(history), raise_server_exceptions=False) as api:
        for size in (1, 7, VERSIONS):
            got: list[dict] = []
            url, params = "/api/documents/long/versions", {"limit": size, **options}
            while url:
                r = api.get(url, params=params)
                assert r.status_code == 200, r.text
                body = r.json()
                assert {k: body[k] for k in ("document", "profile", "total", "matched", "only")} == {
                    k: whole[k] for k in ("document", "profile", "total", "matched", "only")}
                got += body["versions"]
                assert body["shown"] == len(body["versions"]) and body["newer"] == whole["matched"] - len(got)
                url, params = r.links.get("next", {}).get("url"), None
                assert bool(url) == bool(body["newer"]), "a next page exactly when versions are left"
            assert got == whole["versions"], f"pages of {size}"


# -- the audit log, newest first ---------------------------------------------------------


@pytest.fixture
def events_log(db_url) -> str:
    """A log of a few hundred events by two actors: documents made, versions
    registered, linked, sighted and annotated."""
    texts = _texts(60, seed=4)
    with Archive(db_url, actor="alice") as alice, Archive(db_url, actor="bob") as bob:
        for n, text in enumerate(texts, start=1):
            who = alice if n % 3 else bob
            who.register(text.encode(), name="t.txt", doc="minutes")
            who.register(text.encode(), name="t.txt", doc=f"desk/{n}")
            if n % 2:
                who.register(text.encode(), name="t.txt", doc="minutes", source=f"https://seen.example/{n}")
            if n % 5 == 0:
                who.annotate(f"minutes@{n}", label=f"checked {n}")
                who.link(f"desk/{n}@1", f"minutes@{n}", "copy")
        total = alice.events().total
    assert 250 <= total <= 400
    return db_url


def test_walking_the_events_newest_first_lists_each_once(events_log):
    with Archive(events_log, actor="auditor") as archive:
        every = [e.seq for e in archive.events().events]
        bob = [e.seq for e in archive.events(actor="bob").events]
        for size, filters in ((1, {}), (7, {}), (50, {}), (len(every), {}), (9, {"actor": "bob"})):
            expected = every if not filters else bob
            seen: list[int] = []
            before = None
            while True:
                report = archive.events(limit=size, before=before, **filters)
                assert len(report.events) <= size and report.matched == len(expected)
                assert report.newer == len(seen), "newer counts the pages above"
                seen += [e.seq for e in reversed(report.events)]
                if not report.events:
                    break
                before = report.events[0].seq
            assert seen == expected[::-1], (size, filters)
        # oldest first, the API's order, meets the same events
        page = archive.events(after=every[10], first=5)
        assert [e.seq for e in page.events] == every[11:16] and page.newer == len(every) - 16
        between = archive.events(after=every[10], before=every[13])
        assert [e.seq for e in between.events] == every[11:13] and between.newer == len(every) - 13


def _events_pages(client: TestClient, url: str, rel: str) -> list[tuple[list[int], str]]:
    """(sequence numbers, the "page X of Y" line) of each page from ``url`` by the ``rel`` links."""
    out = []
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.text[:500]
        shown = r.text
        seqs = [int(n) for n in re.findall(r'<tr><td class="num" data-label="#">(\d+)</td>', shown)]
        line = re.search(r'<p class="count">(.*?)</p>', shown).group(1)
        out.append((seqs, line))
        link = re.search(rf'<a rel="{rel}" href="([^"]+)"', shown)
        url = html.unescape(link.group(1)) if link else ""
    return out


@pytest.mark.parametrize("size", [7, 50])
def test_the_events_page_walks_older_and_back_newer(events_log, monkeypatch, size):
    monkeypatch.setattr(pages, "EVENTS_PER_PAGE", size)
    with Archive(events_log, actor="auditor") as archive:
        every = [e.seq for e in archive.events().events]
        alices = [e.seq for e in archive.events(actor="alice", kinds=("version.registered",)).events]
    with TestClient(create_app(events_log)) as client:
        for start, expected in (("/events", every), ("/events?actor=alice&kind=version.registered", alices)):
            down = _events_pages(client, start, "next")
            seen = [s for seqs, _ in down for s in seqs]
            assert seen == expected[::-1], "every event once, newest first"
            pages_of = -(-len(expected) // size)
            assert len(down) == pages_of
            for i, (seqs, line) in enumerate(down, start=1):
                assert line.endswith(f"page {i} of {pages_of}."), line
                assert len(seqs) == size or i == pages_of
            last = down[-1][0]
            # from the oldest page back up by the Newer links: the same pages
            oldest = f"{start}{'&' if '?' in start else '?'}before={last[0] + 1}"
            up = _events_pages(client, oldest, "prev")
            assert [seqs for seqs, _ in up] == [seqs for seqs, _ in reversed(down)]
            assert [line for _, line in up] == [line for _, line in reversed(down)]


def test_events_written_between_two_pages_are_neither_repeated_nor_skipped(events_log, monkeypatch):
    monkeypatch.setattr(pages, "EVENTS_PER_PAGE", 20)
    with Archive(events_log, actor="auditor") as archive:
        there = [e.seq for e in archive.events().events]
    with TestClient(create_app(events_log)) as client, Archive(events_log, actor="carol") as carol:
        first = client.get("/events").text
        older = html.unescape(re.search(r'<a rel="next" href="([^"]+)"', first).group(1))
        for n in range(5):  # written while the reader looks at the first page
            carol.register(f"new text {n}\n".encode(), name="n.txt", doc=f"late/{n}")
        seqs = re.findall(r'<tr><td class="num" data-label="#">(\d+)</td>', first)
        down = _events_pages(client, older, "next")
        seen = [int(s) for s in seqs] + [s for page, _ in down for s in page]
        assert seen == there[::-1]
        assert down[0][1].endswith(f"page 3 of {-(-len(there) // 20) + 1}."), down[0][1]
        # back up from there: the first page as it was, then one with the new events
        up = _events_pages(client, f"/events?after={down[0][0][0]}", "prev")
        assert [int(s) for s in seqs] == up[0][0]
        pages_now = -(-len(there) // 20) + 1
        assert len(up) == 2 and len(up[1][0]) == 10, "the newest page holds the 10 events written since"
        assert up[0][1].endswith(f"page 2 of {pages_now}.") and up[1][1].endswith(f"page 1 of {pages_now}.")
