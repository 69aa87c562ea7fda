"""Issue 10, part 1: `provenance.Archive`, the library's one front door.

Everything a skin needs, through the object: each call its own transaction,
the acting user in the audit log, the same reports the JSON output is made of.
"""

from __future__ import annotations

import json

import pytest

import provenance
from provenance import Archive, proofs
from provenance.checkpoint import load_private_key
from provenance.errors import ProvenanceError

from .conftest import SEEDS

PAGE, COPY = sorted(p.name for p in SEEDS.glob("*.txt"))


@pytest.fixture
def archive(db_url):
    with Archive(db_url, actor="alice") as opened:
        yield opened


def _seeded(archive: Archive):
    page = archive.register(
        (SEEDS / PAGE).read_bytes(), name=PAGE, doc="report", source="the printed page"
    )
    copy = archive.register(
        (SEEDS / COPY).read_bytes(),
        name=COPY,
        doc="report",
        parents=[str(page.version)],
        relation="excerpt",
    )
    return page, copy


def test_the_front_door_is_exported_and_named():
    assert provenance.Archive is Archive
    assert provenance.__all__ == ["Archive"]


def test_every_operation_goes_through_the_door(archive, tmp_path):
    page, copy = _seeded(archive)
    log = archive.log("report")
    assert [e.version for e in log.versions] == [page.version, copy.version]
    assert archive.show("report@2").version == copy.version
    assert archive.raw("report@1") == (SEEDS / PAGE).read_bytes()
    shown = archive.diff("report@1", "report@2", profile="cjk")
    assert shown.passages, "the copy is an excerpt of the page"
    trace = archive.trace("report@1", "report@2", profile="cjk")
    assert [s.to for s in trace.steps] == [copy.version]
    found = archive.identify((SEEDS / COPY).read_bytes(), name=COPY)
    assert found.matches and found.matches[0].version == copy.version
    assert archive.blame("report@2").version == copy.version
    assert [d.document for d in archive.documents()] == ["report"]
    assert archive.verify(quick=True, processes=0).ok
    text, exported = archive.export_prov_json("report")
    assert json.loads(text) and exported.versions == 2
    keys = proofs.keygen(tmp_path / "keys")
    signed = archive.checkpoint(load_private_key(keys.private_key))
    assert [c.id for c in archive.checkpoints()] == [signed.id]
    proof = archive.prove("report@2")
    assert proof.name == "report@2"
    assert proofs.check_bundle("proof.json", proof.bundle, keys.public_key).ok
    assert archive.verify(processes=0).ok


def test_the_acting_user_is_in_the_audit_log(archive, db_url):
    _seeded(archive)
    with Archive(db_url, actor="bob") as other:
        other.annotate("report@1", label="as printed")
    actors = {(e.kind, e.actor) for e in archive.events().events}
    assert ("version.registered", "alice") in actors
    assert ("version.annotated", "bob") in actors


def test_a_failed_write_leaves_nothing(archive):
    _seeded(archive)
    before = archive.events().matched
    with pytest.raises(ProvenanceError):
        archive.register(b"text", doc="report", parents=["report@9"])
    assert archive.events().matched == before
    assert len(archive.log("report").versions) == 2


def test_an_archive_without_its_schema_says_so(tmp_path):
    with Archive(str(tmp_path / "new.db")) as fresh:
        with pytest.raises(ProvenanceError, match="init"):
            fresh.documents()
        assert fresh.init().after
        assert fresh.documents() == []


def test_reading_a_missing_archive_creates_nothing(tmp_path):
    where = tmp_path / "nowhere" / "archive.db"
    with Archive(str(where)) as missing, pytest.raises(ProvenanceError):
        missing.documents()
    assert not where.exists() and not where.parent.exists()


def test_views_as_other_actors_share_the_archive(archive, db_url):
    _seeded(archive)
    archive.as_actor("carol").annotate("report@2", label="checked")
    assert archive.show("report@2").label == "checked"
    assert archive.events().events[-1].actor == "carol"
