"""Issue 11, sightings: the same bytes seen again are a sighting of a version, not a duplicate.

Through the CLI and `Archive`, on SQLite and PostgreSQL (the ``db_url`` fixture):
registering bytes that are already a document's latest version records a sighting
(its source, capture time and who recorded it) instead of a new version, unless
``--new-version``; a version's own registration counts as a sighting it holds, so
the same registration or import again adds nothing and says so; bytes of an older
version are a new version (a revert). ``prov verify`` checks the sighting rows
against their events, and Memento's "which version was live at T" counts them.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from provenance import Archive, schema, store
from provenance import verify as verifying
from provenance.models import Event, Sighting
from provenance.sources import live

from .test_cli import prov, prov_json
from .test_sources import _warc

ALICE = ("--as", "alice")


def _file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _register(db_url: str, path: str, *args: str) -> dict:
    return prov_json(db_url, *ALICE, "register", path, "--doc", "story", *args)


def _events(db_url: str, kind: str) -> list[dict]:
    return prov_json(db_url, "events", "--kind", kind)["events"]


def _state(db_url: str, docs: list[str]) -> dict:
    """What the archive holds, without the times of registration (a re-run's clock):
    each document's log with its sightings, and each version's exact bytes."""

    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if k not in ("registered_at", "recorded_at", "id", "version")}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    out = {}
    for doc in docs:
        log = prov_json(db_url, "log", doc)
        raws = [
            hashlib.sha256(prov(db_url, "show", v["name"], "--raw").stdout_bytes).hexdigest()
            for v in log["versions"]
        ]
        out[doc] = (plain(log), raws)
    return out


# -- registering the same bytes again ----------------------------------------------------


def test_the_same_bytes_at_a_new_capture_time_are_one_sighting_and_no_new_version(db_url, tmp_path):
    page = _file(tmp_path, "page.txt", "The council voted to close the library.\n")
    first = _register(db_url, page, "--captured-at", "2024-05-01T10:00:00Z", "--source", "gazette")
    assert first["outcome"] == "registered" and first["number"] == 1
    again = _register(db_url, page, "--captured-at", "2024-05-02T10:00:00Z", "--source", "gazette")
    assert again["outcome"] == "sighted" and again["version"] == first["version"]
    assert again["number"] == 1 and again["parents"] == [] and again["stats"] is None
    seen = again["sighting"]
    assert (seen["source"], seen["captured_at"], seen["recorded_by"]) == (
        "gazette",
        "2024-05-02T10:00:00+00:00",
        "alice",
    )
    log = prov_json(db_url, "log", "story")
    assert log["total"] == 1 and [s["id"] for s in log["versions"][0]["sightings"]] == [seen["id"]]
    show = prov_json(db_url, "show", "story@1")
    assert show["sightings"] == [seen]
    human = prov(db_url, "register", page, "--doc", "story", "--captured-at", "2024-05-03T10:00:00Z")
    assert human.exit_code == 0 and "Sighted story@1" in human.stdout and "--new-version" in human.stdout
    assert "seen again 2×" in prov(db_url, "log", "story").stdout
    assert "sighted" in prov(db_url, "show", "story@1").stdout
    events = _events(db_url, "version.sighted")
    assert [e["version"] for e in events] == ["story@1", "story@1"] and events[0]["actor"] == "alice"
    assert events[0]["event"]["sighting"]["id"] == seen["id"]
    assert "story@1 seen again: gazette" in prov(db_url, "events", "story").stdout


def test_exports_carry_every_sighting_with_its_source_times_and_recorder(db_url, tmp_path):
    """An archivist's export is the whole record: a version seen again at another
    source and time says so in PROV-JSON and in the bag's versions.json."""
    prov_model = pytest.importorskip("prov.model")
    bagit = pytest.importorskip("bagit")
    page = _file(tmp_path, "page.txt", "The council voted to close the library.\n")
    _register(db_url, page, "--captured-at", "2024-05-01T10:00:00Z", "--source", "gazette")
    seen = _register(db_url, page, "--captured-at", "2024-05-02T10:00:00Z", "--source", "mirror")["sighting"]
    exported = prov(db_url, "export", "story", "--format", "prov-json")
    assert exported.exit_code == 0, exported.output
    doc = prov_model.ProvDocument.deserialize(content=exported.stdout, format="json")
    records = list(doc.get_records())
    sightings = [
        r
        for r in records
        if isinstance(r, prov_model.ProvActivity) and "pv:Sighting" in {str(t) for t in r.get_attribute("prov:type")}
    ]
    assert len(sightings) == 1
    (activity,) = sightings
    assert {str(v) for v in activity.get_attribute("pv:source")} == {"mirror"}
    assert {str(v) for v in activity.get_attribute("pv:capturedAt")} == {seen["captured_at"]}
    used = [r for r in records if isinstance(r, prov_model.ProvUsage) and r.args[0] == activity.identifier]
    assert [str(u.args[1]) for u in used] == [f"pvver:{seen['version']}"]
    told = [r for r in records if isinstance(r, prov_model.ProvAssociation) and r.args[0] == activity.identifier]
    assert [str(a.args[1]) for a in told] == ["pvagent:alice"]
    folder = tmp_path / "bag"
    assert prov(db_url, "export", "story", "--format", "bagit", str(folder)).exit_code == 0
    bagit.Bag(str(folder)).validate()
    (entry,) = json.loads((folder / "data" / "versions.json").read_text(encoding="utf-8"))
    assert [(s["source"], s["captured_at"], s["recorded_by"]) for s in entry["sightings"]] == [
        ("mirror", seen["captured_at"], "alice")
    ]


def test_a_label_or_relation_given_with_a_sighting_is_said_not_recorded(db_url, tmp_path):
    page = _file(tmp_path, "page.txt", "The council voted to close the library.\n")
    _register(db_url, page, "--label", "first print", "--captured-at", "2024-05-01")
    same = _register(db_url, page, "--label", "first print", "--captured-at", "2024-05-02")
    assert same["outcome"] == "sighted" and same["not_recorded"] == []  # the version's own label
    other = _register(db_url, page, "--label", "evening edition", "--captured-at", "2024-05-03")
    assert other["outcome"] == "sighted" and other["not_recorded"] == ["label"]
    again = _register(db_url, page, "--label", "evening edition", "--captured-at", "2024-05-03", "--relation", "copy")
    assert again["outcome"] == "unchanged" and again["not_recorded"] == ["label", "relation"]
    human = prov(db_url, "register", page, "--doc", "story", "--label", "late", "--captured-at", "2024-05-04")
    assert human.exit_code == 0 and "--label not recorded" in human.stdout and "prov annotate story@1" in human.stdout
    assert prov_json(db_url, "show", "story@1")["label"] == "first print"


def test_registering_the_same_bytes_source_and_time_again_records_nothing(db_url, tmp_path):
    page = _file(tmp_path, "page.txt", "Same words.\n")
    _register(db_url, page, "--captured-at", "2024-05-01")
    before = prov_json(db_url, "events")["total"]
    own = _register(db_url, page, "--captured-at", "2024-05-01")
    assert own["outcome"] == "unchanged" and own["sighting"] is None  # its own registration
    seen = _register(db_url, page, "--captured-at", "2024-06-01")["sighting"]
    held = _register(db_url, page, "--captured-at", "2024-06-01")
    assert held["outcome"] == "unchanged" and held["sighting"]["id"] == seen["id"]
    assert "Unchanged: story@1" in prov(db_url, "register", page, "--doc", "story", "--captured-at", "2024-06-01").stdout
    assert prov_json(db_url, "events")["total"] == before + 1  # the one sighting
    assert len(prov_json(db_url, "show", "story@1")["sightings"]) == 1
    # A new source at the same time is another sighting.
    other = _register(db_url, page, "--captured-at", "2024-06-01", "--source", "mirror")
    assert other["outcome"] == "sighted" and other["sighting"]["id"] != seen["id"]


def test_new_version_registers_the_same_bytes_as_a_version(db_url, tmp_path):
    page = _file(tmp_path, "page.txt", "Same words.\n")
    _register(db_url, page)
    made = _register(db_url, page, "--new-version")
    assert made["outcome"] == "registered" and made["number"] == 2 and made["sighting"] is None
    assert made["stats"]["edits"] == 0 and not made["new_content"]
    with Archive(db_url, actor="lib") as archive:
        assert archive.register(b"Same words.\n", doc="story").outcome == "unchanged"
        third = archive.register(b"Same words.\n", doc="story", new_version=True)
        assert (third.outcome, third.number) == ("registered", 3)
        assert [v.number for v in archive.log("story").versions] == [1, 2, 3]
        assert all(not v.sightings for v in archive.log("story").versions)


def test_the_bytes_of_an_older_version_are_a_new_version_not_a_sighting(db_url, tmp_path):
    """The issue says a sighting is of the document's *latest* version: a text that goes
    back to an earlier one (A, B, A: a revert) is a version of its own."""
    a = _file(tmp_path, "a.txt", "The terms, as first posted.\n")
    b = _file(tmp_path, "b.txt", "The terms, briefly changed.\n")
    _register(db_url, a, "--captured-at", "2024-01-01")
    _register(db_url, b, "--captured-at", "2024-01-02")
    back = _register(db_url, a, "--captured-at", "2024-01-03")
    assert back["outcome"] == "registered" and back["number"] == 3 and back["sighting"] is None
    log = prov_json(db_url, "log", "story")["versions"]
    assert [len(v["sightings"]) for v in log] == [0, 0, 0]
    assert log[0]["hash"] == log[2]["hash"] and log[2]["parents"][0]["parent_name"] == "story@2"


def test_an_explicit_parent_that_is_not_the_latest_makes_a_version(db_url, tmp_path):
    a = _file(tmp_path, "a.txt", "First.\n")
    _register(db_url, a)
    _register(db_url, _file(tmp_path, "b.txt", "Second.\n"))
    forked = _register(db_url, a, "--parent", "story@1", "--captured-at", "2024-01-01")
    assert forked["outcome"] == "registered" and forked["number"] == 3
    # The latest as the explicit parent is the same as no parent: a sighting.
    latest = _register(db_url, a, "--parent", "story@3", "--captured-at", "2024-02-01")
    assert latest["outcome"] == "sighted" and latest["version"] == forked["version"]


def test_the_service_answers_200_with_the_sighting_for_bytes_already_the_latest(db_url):
    from fastapi.testclient import TestClient

    from provenance import tokens
    from provenance_web.app import create_app
    from provenance_web.settings import Settings

    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        with store.transaction(engine) as session:
            secret = tokens.create(session, "bot", "write").secret
    finally:
        engine.dispose()
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "text/plain"}
    with TestClient(create_app(db_url, settings=Settings())) as api:
        url = "/api/documents/story/versions"
        made = api.post(url, content=b"Words.\n", headers=headers, params={"captured_at": "2024-01-01"})
        assert made.status_code == 201 and made.json()["outcome"] == "registered"
        seen = api.post(url, content=b"Words.\n", headers=headers, params={"captured_at": "2024-01-02"})
        assert seen.status_code == 200 and seen.json()["outcome"] == "sighted"
        assert seen.json()["sighting"]["recorded_by"] == "bot"
        forced = api.post(url, content=b"Words.\n", headers=headers, params={"new_version": "true"})
        assert forced.status_code == 201 and forced.json()["number"] == 2
        page = api.get("/versions/story@1")
        assert page.status_code == 200 and "Sightings" in page.text and "2024-01-02" in page.text
        assert "seen again 1 time<" in api.get("/documents/story").text


# -- imports -----------------------------------------------------------------------------


def _manifest(tmp_path: Path) -> Path:
    """A document's captures: the same text seen on three days (two sightings), then a
    change, a copy elsewhere, and the change seen again from another source."""
    _file(tmp_path, "v1.txt", "The council will vote on Tuesday.\n")
    _file(tmp_path, "v2.txt", "The council voted on Tuesday to close the library.\n")
    rows = [
        {"path": "v1.txt", "doc": "story", "source": "gazette", "captured_at": "2024-05-01T09:00:00Z"},
        {"path": "v1.txt", "doc": "story", "source": "gazette", "captured_at": "2024-05-02T09:00:00Z"},
        {"path": "v1.txt", "doc": "story", "source": "gazette", "captured_at": "2024-05-03T09:00:00Z"},
        {"path": "v2.txt", "doc": "story", "source": "gazette", "captured_at": "2024-05-04T09:00:00Z"},
        {"path": "v1.txt", "doc": "mirror", "relation": "copy", "parent": "story@1"},
        {"path": "v2.txt", "doc": "story", "source": "wire", "captured_at": "2024-05-04T10:00:00Z",
         "meta": {"desk": "city"}},
    ]  # fmt: skip
    path = tmp_path / "captures.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_the_same_import_twice_gives_the_same_archive_plus_nothing(db_url, tmp_path):
    manifest = _manifest(tmp_path)
    first = prov_json(db_url, "import", str(manifest))
    assert (first["versions"], first["sightings"], first["unchanged"]) == (3, 3, 0)
    assert [s["reason"] for s in first["skipped"]] == ["sighted"] * 3
    assert [s["sighting"] is not None for s in first["skipped"]] == [True] * 3
    state, events = _state(db_url, ["story", "mirror"]), prov_json(db_url, "events")["total"]
    assert [len(v["sightings"]) for v in state["story"][0]["versions"]] == [2, 1]

    again = prov_json(db_url, "import", str(manifest))
    assert (again["versions"], again["sightings"], again["unchanged"]) == (0, 0, 6)
    assert {s["reason"] for s in again["skipped"]} <= {"present", "unchanged"}
    assert _state(db_url, ["story", "mirror"]) == state
    assert prov_json(db_url, "events")["total"] == events  # not even an import.run event
    assert "Nothing new" in prov(db_url, "import", str(manifest)).stdout
    assert prov(db_url, "verify").exit_code == 0


def test_the_same_web_archive_twice_gives_the_same_archive(db_url, tmp_path):
    """A page crawled three times with the same text, then changed: one version and two
    sightings (each keeping its WARC record id), and a re-run records nothing."""
    body, changed = b"Plain words of the notice.", b"Plain words of the notice, amended."
    records = [
        ("response", "https://example.org/notice", f"2024-01-0{day}T00:00:00Z", body, "text/plain", None)
        for day in (1, 2, 3)
    ] + [("response", "https://example.org/notice", "2024-01-04T00:00:00Z", changed, "text/plain", None)]
    path = _warc(tmp_path / "crawl.warc", records)
    first = prov_json(db_url, "import", str(path))
    assert (first["versions"], first["sightings"]) == (2, 2)
    doc = "org,example)/notice"
    sightings = prov_json(db_url, "show", f"{doc}@1")["sightings"]
    assert [s["captured_at"][:10] for s in sightings] == ["2024-01-02", "2024-01-03"]
    assert all(s["meta"]["warc_record_id"].startswith("<urn:uuid:") for s in sightings)
    state = _state(db_url, [doc])
    again = prov_json(db_url, "import", str(path))
    assert (again["versions"], again["sightings"]) == (0, 0)
    assert _state(db_url, [doc]) == state


def test_an_import_cut_short_and_run_again_equals_one_run_through(db_url, tmp_path, request):
    """However far a first run got (here: the first k entries of the manifest, as a
    run interrupted after k entries leaves it), running the whole import after it
    comes to the archive one uninterrupted run gives, sightings included."""
    manifest = _manifest(tmp_path)
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    prov_json(db_url, "import", str(manifest))
    expected = _state(db_url, ["story", "mirror"])
    for k in (1, 2, 3, 5):
        with _fresh(db_url, tmp_path / f"cut{k}.db", request) as url:
            part = tmp_path / f"part{k}.jsonl"
            part.write_text("".join(lines[:k]), encoding="utf-8")
            prov_json(url, "import", str(part))
            resumed = prov_json(url, "import", str(manifest))
            assert resumed["versions"] + resumed["sightings"] > 0, k
            assert _state(url, ["story", "mirror"]) == expected, k


@contextmanager
def _fresh(db_url: str, path: Path, request) -> Iterator[str]:
    """Another empty archive on the same backend as ``db_url``."""
    drop = None
    if db_url.startswith("sqlite"):
        url = store.to_url(str(path))
    else:
        server = request.getfixturevalue("pg_server")
        drop = server.create_database()
        url = server.url(drop)
    engine = store.open_engine(store.DatabaseLocation(url, "test"), create_dir=True)
    schema.upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        if drop:
            request.getfixturevalue("pg_server").drop_database(drop)


# -- the record: verify and tampering ------------------------------------------------------


def _sighted_archive(db_url: str) -> None:
    with Archive(db_url, actor="alice") as archive:
        archive.register(b"One.\n", doc="d", captured_at="2024-01-01")
        archive.register(b"One.\n", doc="d", captured_at="2024-01-02", source="wire", meta={"k": 1})
        archive.register(b"One.\n", doc="d", captured_at="2024-01-03")
        archive.register(b"Two.\n", doc="d", captured_at="2024-01-04")


def test_an_archive_with_sightings_verifies_clean(db_url):
    _sighted_archive(db_url)
    with Archive(db_url) as archive:
        report = archive.verify()
    assert report.ok, report.problems
    assert report.sightings == 2 and report.versions == 2
    assert "2 sightings" in prov(db_url, "verify").stdout


def test_sighting_rows_changed_behind_the_tools_back_are_named(db_url):
    """A sighting forged into the table, moved to another version or another day, its
    metadata altered, or deleted: each is a problem naming the sighting's row."""
    _sighted_archive(db_url)
    T, E = Sighting.__table__, Event.__table__
    cases = {
        "a sighting forged": (
            lambda c: c.execute(
                T.insert().values(
                    id=99, version_id=1, source="forged", captured_at="2019-01-01", recorded_at="2026-01-01T00:00:00Z", meta={}
                )
            ),
            "99",
            "has no version.sighted event",
        ),
        "a sighting moved to another day": (
            lambda c: c.execute(T.update().where(T.c.id == 1).values(captured_at="2019-06-01")),
            "1",
            "captured_at",
        ),
        "a sighting moved to another version": (
            lambda c: c.execute(T.update().where(T.c.id == 2).values(version_id=2)),
            "2",
            "version_id",
        ),
        "a sighting's source changed": (
            lambda c: c.execute(T.update().where(T.c.id == 1).values(source="elsewhere")),
            "1",
            "source",
        ),
        "a sighting's metadata changed": (
            lambda c: c.execute(T.update().where(T.c.id == 1).values(meta={"k": 2})),
            "1",
            "meta",
        ),
        "a sighting deleted": (
            lambda c: c.execute(T.delete().where(T.c.id == 2)),
            "2",
            "the row is missing",
        ),
    }
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        with engine.connect() as conn:
            for what, (change, row, needle) in cases.items():
                trans = conn.begin()
                try:
                    change(conn)
                    with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
                        report = verifying.verify(session)
                finally:
                    trans.rollback()
                named = [p for p in report.problems if p.table == "sighting" and p.row == row]
                assert named and needle in named[0].message, (what, report.problems[:3])
            # An event's sighting rewritten (another capture time) is a problem of the log.
            trans = conn.begin()
            try:
                seq, body = conn.execute(
                    sa.select(E.c.seq, E.c.body).where(E.c.kind == "version.sighted").order_by(E.c.seq)
                ).first()
                event = json.loads(body)
                event["sighting"]["captured_at"] = "2019-06-01"
                conn.execute(E.update().where(E.c.seq == seq).values(body=json.dumps(event, sort_keys=True, separators=(",", ":"))))
                with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
                    report = verifying.verify(session)
            finally:
                trans.rollback()
            assert any(p.table == "sighting" and p.field == "captured_at" for p in report.problems), report.problems
    finally:
        engine.dispose()


def test_a_sighting_of_a_version_no_event_registered_is_a_problem_of_the_log(db_url):
    _sighted_archive(db_url)
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    E = Event.__table__
    try:
        with engine.connect() as conn:
            trans = conn.begin()
            try:
                seq, body = conn.execute(
                    sa.select(E.c.seq, E.c.body).where(E.c.kind == "version.sighted").order_by(E.c.seq)
                ).first()
                event = json.loads(body)
                event["sighting"]["version"] = 77
                conn.execute(
                    E.update()
                    .where(E.c.seq == seq)
                    .values(body=json.dumps(event, sort_keys=True, separators=(",", ":")), subject="version:77")
                )
                with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
                    report = verifying.verify(session)
            finally:
                trans.rollback()
    finally:
        engine.dispose()
    assert any(p.check == "log" and "which no earlier event registered" in p.message for p in report.problems)


# -- Memento: which version was live at T ---------------------------------------------------


def test_the_timegate_counts_sightings_as_times_a_version_was_live(db_url):
    """v1 captured on the 24th and seen again on the 27th; v2 captured on the 28th and
    (a capture imported later) already seen on the 26th. A version seen at T was live at
    T: the gate answers the version seen last at or before T."""
    from fastapi.testclient import TestClient

    from provenance_web.app import create_app
    from provenance_web.settings import Settings

    with Archive(db_url, actor="alice") as archive:
        v1 = archive.register(b"First text.\n", doc="c", captured_at="2019-10-24T00:00:00Z").version
        archive.register(b"First text.\n", doc="c", captured_at="2019-10-27T00:00:00Z")
        v2 = archive.register(b"Second text.\n", doc="c", captured_at="2019-10-28T00:00:00Z").version
        assert archive.register(b"Second text.\n", doc="c", captured_at="2019-10-26T00:00:00Z").outcome == "sighted"
    cases = {
        "Thu, 24 Oct 2019 12:00:00 GMT": v1,
        "Sat, 26 Oct 2019 12:00:00 GMT": v2,  # seen on the 26th, before its own capture
        "Sun, 27 Oct 2019 12:00:00 GMT": v1,  # seen again on the 27th
        "Mon, 28 Oct 2019 12:00:00 GMT": v2,
        "Tue, 01 Jan 2019 00:00:00 GMT": v1,  # before every sighting: the first seen
        None: v2,
    }
    with TestClient(create_app(db_url, settings=Settings())) as api:
        for given, expected in cases.items():
            headers = {"Accept-Datetime": given} if given else {}
            r = api.get("/api/documents/c/timegate", headers=headers, follow_redirects=False)
            assert r.status_code == 302 and r.headers["location"].endswith(f"/api/versions/{expected}/raw"), given
        raw = api.get(f"/api/versions/{v2}/raw")
        assert parsedate_to_datetime(raw.headers["memento-datetime"]) == datetime(2019, 10, 26, tzinfo=UTC)
        timemap = api.get("/api/documents/c/timemap").text
        assert timemap.index(f"/versions/{v1}/raw") < timemap.index(f"/versions/{v2}/raw")
        assert 'datetime="Sat, 26 Oct 2019 00:00:00 GMT"' in timemap


# -- live capture and watch ----------------------------------------------------------------


class _Page(ThreadingHTTPServer):
    daemon_threads = True


@pytest.fixture
def page() -> Iterator[dict]:
    """A plain-text page on loopback; the test sets its body in ``served["body"]``."""
    served = {"body": b"Notice: the library closes on Friday.\n"}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = b"" if self.path == "/robots.txt" else served["body"]
            self.send_response(404 if self.path == "/robots.txt" else 200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = _Page(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served["url"] = f"http://127.0.0.1:{server.server_port}/notice"
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


def test_an_unchanged_capture_is_a_sighting_with_its_fetch_time(db_url, page):
    first = prov_json(db_url, "capture", page["url"])
    again = prov_json(db_url, "capture", page["url"])
    assert again["outcome"] == "unchanged" and again["version_name"] == first["version_name"]
    assert again["sighting"]["captured_at"] == again["fetched_at"]
    assert again["sighting"]["meta"]["http_status"] == 200
    assert "seen again" in prov(db_url, "capture", page["url"]).stdout
    assert len(prov_json(db_url, "show", first["version_name"])["sightings"]) == 2
    page["body"] = b"Notice: the library stays open.\n"
    assert prov_json(db_url, "capture", page["url"])["outcome"] == "registered"


def test_a_watch_records_a_sighting_at_most_once_a_day_per_version(db_url, page, tmp_path, monkeypatch):
    """Checks every 15 minutes would be 96 sightings a day; a watch records one only when
    the version was last seen `WATCH_SIGHTING_GAP` or more before the fetch."""
    clock = [datetime(2026, 12, 1, 8, 0, tzinfo=UTC)]
    monkeypatch.setattr(live, "_now", lambda: clock[0].isoformat(timespec="microseconds"))
    watch_list = tmp_path / "watch.txt"
    watch_list.write_text(page["url"] + "\n")
    checks = [timedelta(0), timedelta(minutes=15), timedelta(hours=5), timedelta(hours=23, minutes=59),
              timedelta(days=1, minutes=1), timedelta(days=1, hours=3)]  # fmt: skip
    outcomes = []
    with Archive(db_url, actor="watcher") as archive:
        for delay in checks:
            clock[0] = datetime(2026, 12, 1, 8, 0, tzinfo=UTC) + delay
            live.state_path(watch_list).unlink(missing_ok=True)  # due now, whatever the schedule
            (report,) = live.watch(archive, watch_list, now=clock[0]).captures
            outcomes.append((report.outcome, report.sighting is not None))
        name = report.version_name
        sightings = archive.show(name).sightings
    assert outcomes == [
        ("registered", False),
        ("unchanged", False),
        ("unchanged", False),
        ("unchanged", False),
        ("unchanged", True),  # a day and a minute after the capture
        ("unchanged", False),  # 3 hours after that sighting
    ]
    assert [s.captured_at for s in sightings] == ["2026-12-02T08:01:00+00:00"]
    assert timedelta(days=1) == live.WATCH_SIGHTING_GAP


def test_log_lists_the_sightings_of_many_versions_in_one_report(db_url):
    """Property-style: whatever order of texts and times, the log's sightings are exactly
    the registrations that named the latest version's bytes at a new time."""
    rng = random.Random(11)
    texts = [b"A.\n", b"B.\n", b"C.\n"]
    expected: dict[int, int] = {}
    with Archive(db_url, actor="alice") as archive:
        latest = None
        for day in range(1, 25):
            data = rng.choice(texts)
            when = f"2024-01-{day:02d}"
            report = archive.register(data, doc="p", captured_at=when)
            if latest is not None and data == latest[0]:
                assert report.outcome == "sighted" and report.number == latest[1]
                expected[latest[1]] = expected.get(latest[1], 0) + 1
            else:
                assert report.outcome == "registered"
                latest = (data, report.number)
        log = archive.log("p")
    assert {v.number: len(v.sightings) for v in log.versions if v.sightings} == expected
    assert prov(db_url, "verify").exit_code == 0


# -- a law: an import's sightings follow from its entries, and its re-run adds nothing ----

_ENTRY = st.tuples(
    st.sampled_from(["A.\n", "B.\n", "C.\n"]),
    st.sampled_from([None, "gazette", "wire"]),
    st.sampled_from([None, "2024-01-01", "2024-01-02", "2024-01-03"]),
)


def _model(entries: list[tuple[str, str | None, str | None]]) -> tuple[int, int]:
    """(versions, sightings) the rule gives: a text unlike the latest is a version; the
    latest's text from a source and time it does not yet hold, a sighting."""
    versions = sightings = 0
    latest, held = None, set()
    for text, source, when in entries:
        if text != latest:
            versions, latest, held = versions + 1, text, {(source, when)}
        elif (source, when) not in held:
            sightings += 1
            held.add((source, when))
    return versions, sightings


def _batch(doc: str, entries: list[tuple[str, str | None, str | None]]) -> bytes:
    return json.dumps(
        [{"doc": doc, "text": t, "source": s, "captured_at": w} for t, s, w in entries]
    ).encode()


def _held(log) -> list:
    """A log as what it holds: each version's bytes and provenance and its sightings'."""
    return [
        (v.number, v.hash, v.source, v.captured_at, [(s.source, s.captured_at) for s in v.sightings])
        for v in log.versions
    ]


def test_an_imports_sightings_follow_from_its_entries_and_a_re_run_adds_nothing(db_url):
    """For any entries: the versions and sightings are those the rule gives, the same
    import again records nothing, and an import cut short after k entries and run again
    holds what one run holds."""
    runs = iter(range(10**6))

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(_ENTRY, min_size=1, max_size=8), st.data())
    def check(entries, data):
        n = next(runs)  # documents of their own per example, in the one archive
        once, cut = f"law-{n}", f"cut-{n}"
        with Archive(db_url, actor="law") as archive:
            first = archive.import_batch(_batch(once, entries))
            assert (first.versions, first.sightings) == _model(entries)
            log = archive.log(once)
            assert sum(len(v.sightings) for v in log.versions) == first.sightings
            again = archive.import_batch(_batch(once, entries))
            assert (again.versions, again.sightings) == (0, 0)
            assert again.unchanged == len(entries)
            assert archive.log(once) == log
            k = data.draw(st.integers(1, len(entries)), label="cut after")
            archive.import_batch(_batch(cut, entries[:k]))
            archive.import_batch(_batch(cut, entries))
            assert _held(archive.log(cut)) == _held(log)

    check()
