"""Issue 10, part 1: `provenance.Archive`, the library's one front door.

Everything a skin needs, through the object: each call its own transaction,
the acting user in the audit log, the same reports the JSON output is made of.
"""

from __future__ import annotations

import json
from pathlib import Path

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


# -- the door's own surface ------------------------------------------------------

ARCHIVE_METHODS = {
    "annotate", "as_actor", "authenticate", "blame", "capture", "check", "checkpoint", "checkpoints", "close",
    "content", "create_token", "demo", "diff", "diff_text", "documents", "events",
    "export", "export_bagit", "export_prov_json", "identify", "import_batch", "import_manifest", "import_source", "init",
    "keygen", "link", "log", "names", "prove", "raw", "reading", "register", "reindex",
    "resolve", "revoke_token", "show", "side", "texts", "tokens", "trace", "verify", "verify_proof",
    "version", "document", "raw_version", "changes", "stored",
}  # fmt: skip


def test_the_public_names_are_pinned():
    assert provenance.__all__ == ["Archive"]
    star: dict = {}
    exec("from provenance import *", star)
    assert set(star) - {"__builtins__"} == {"Archive"}
    public = {n for n in dir(Archive) if not n.startswith("_")}
    assert public == ARCHIVE_METHODS, "Archive's methods change only on purpose: update the pin"


# -- reports that come back whole ------------------------------------------------


def test_a_trace_names_its_versions_and_carries_both_texts_outside_the_json(archive):
    page, copy = _seeded(archive)
    trace = archive.trace("report@1", "report@2", profile="cjk")
    assert trace.names == {page.version: "report@1", copy.version: "report@2"}
    assert trace.net.a_text == (SEEDS / PAGE).read_text(encoding="utf-8")
    assert trace.net.b_text == (SEEDS / COPY).read_text(encoding="utf-8")
    document = json.loads(provenance.records.to_json(trace))
    assert "names" not in document and "a_text" not in document["net"]


def test_the_demo_is_built_in_the_library_with_what_its_renderer_needs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("1", "2"):  # files named like the versions it makes do not stop it
        (tmp_path / name).write_bytes(b"notes\n")
    with Archive(str(tmp_path / "demo" / "archive.db"), actor="demo-user") as fresh:
        report = fresh.demo()
        assert [r.number for r in report.registered] == [1, 2]
        assert set(report.trace.names.values()) == {"xinhua-blockchain-study-2019@1", "xinhua-blockchain-study-2019@2"}
        assert report.trace.net.a_text and report.trace.net.b_text
        assert {e.actor for e in fresh.events().events} == {"demo-user"}
    assert report.database.endswith("archive.db")


def test_blame_carries_the_text_its_spans_index(archive):
    _seeded(archive)
    report = archive.blame("report@2")
    assert report.text == (SEEDS / COPY).read_text(encoding="utf-8")
    assert report.spans[-1].end == len(report.text)


def test_an_export_is_written_whole_by_the_library(archive, tmp_path):
    _seeded(archive)
    printed = archive.export("report")
    assert printed.out is None and json.loads(printed.text)
    written = archive.export("report", out=tmp_path / "prov.json")
    assert written.out == str(tmp_path / "prov.json") and written.text == ""
    assert (tmp_path / "prov.json").read_text(encoding="utf-8") == printed.text
    assert oct((tmp_path / "prov.json").stat().st_mode & 0o777) == "0o600"
    with pytest.raises(ProvenanceError, match="prov-json or bagit"):
        archive.export("report", format="zip")


def test_a_proof_bundle_is_written_by_the_library(archive, tmp_path):
    _seeded(archive)
    keys = proofs.keygen(tmp_path / "keys")
    archive.checkpoint(load_private_key(keys.private_key))
    proof = archive.prove("report@1", out=tmp_path / "proof.json")
    assert (tmp_path / "proof.json").read_text(encoding="utf-8") == proof.bundle


def test_reindex_reports_its_own_timing(archive):
    _seeded(archive)
    report = archive.reindex()
    assert report.contents == 2 and report.versions == 2 and report.seconds >= 0


def test_tokens_are_made_listed_and_revoked_through_the_door(archive):
    made = archive.create_token("bot", "write")
    assert made.secret and [t.name for t in archive.tokens()] == ["bot"]
    assert archive.authenticate(made.secret).name == "bot"
    assert archive.authenticate("not a secret") is None
    assert archive.revoke_token("bot").revoked_at
    kinds = [e.kind for e in archive.events().events]
    assert kinds[-2:] == ["token.created", "token.revoked"]


# -- what the HTTP service needs: REFs that never read a file ------------------------


def test_resolve_without_files_never_reads_a_file(archive, tmp_path, monkeypatch):
    page, copy = _seeded(archive)
    archive.register(b"desk notes\n", doc="desk/notes")
    secret = tmp_path / "secret.txt"
    secret.write_bytes((SEEDS / PAGE).read_bytes())  # the very bytes of report@1
    monkeypatch.chdir(tmp_path)
    assert archive.resolve(f"file:{secret}") == page.version  # the CLI's REF reads files
    for ref in (f"file:{secret}", str(secret), "./secret.txt", "secret.txt", f"{secret}@1"):
        with pytest.raises(ProvenanceError) as refused:
            archive.resolve(ref, files=False)
        assert type(refused.value).__name__ == "NotFoundError", ref
    assert archive.resolve("report@latest", files=False) == copy.version
    assert archive.resolve(str(page.version), files=False) == page.version
    assert archive.show(str(archive.resolve("desk/notes@1", files=False))).document == "desk/notes"
    with pytest.raises(ProvenanceError, match="versions 1 to 1"):
        archive.resolve("desk/notes@4", files=False)


def test_a_service_answers_whatever_files_its_working_folder_holds(archive, tmp_path, monkeypatch):
    """A service resolves a REF once, without files; the operation that answers must not
    resolve it again as the CLI would, where a file named like the REF stops it."""
    page, copy = _seeded(archive)
    monkeypatch.chdir(tmp_path)
    for version in (page.version, copy.version):
        (tmp_path / str(version)).write_bytes(b"a file named like the version id\n")
    with pytest.raises(ProvenanceError, match="the file of that name here"):
        archive.show(str(page.version))  # the CLI's REF: a bare word that is a file is refused
    one, two = str(page.version), str(copy.version)
    assert archive.show(one, files=False).version == page.version
    assert archive.raw_version(one, files=False)[0].version == page.version
    assert archive.version(one, files=False).info.version == page.version
    assert [s.to for s in archive.trace(one, two, files=False).steps] == [copy.version]
    assert archive.blame(two, files=False).version == copy.version
    archive.checkpoint(load_private_key(proofs.keygen(tmp_path / "keys").private_key))
    assert archive.prove(one, files=False).version == page.version
    assert archive.annotate(two, label="checked", files=False).new_label == "checked"
    notes = str(archive.register(b"desk notes\n", doc="desk/notes").version)
    (tmp_path / notes).write_bytes(b"another file named like a version id\n")
    assert archive.link(notes, one, "derived", files=False).relation == "derived"


def test_events_about_a_ref_without_files_never_read_a_file(archive, tmp_path):
    _seeded(archive)
    secret = tmp_path / "secret.txt"
    secret.write_bytes((SEEDS / PAGE).read_bytes())  # the very bytes of report@1
    assert archive.events(about=f"file:{secret}").about == "report@1"  # the CLI's REF reads files
    for ref in (f"file:{secret}", str(secret)):
        with pytest.raises(ProvenanceError) as refused:
            archive.events(about=ref, files=False)
        assert type(refused.value).__name__ == "NotFoundError", ref
    assert archive.events(about="report@1", files=False).about == "report@1"
    assert archive.events(about="report", files=False).about == "report"


def test_documents_are_filtered_by_part_of_their_key_ignoring_case(archive):
    _seeded(archive)
    archive.register(b"other\n", doc="Council/Minutes")
    assert [d.document for d in archive.documents(matching="council")] == ["Council/Minutes"]
    assert [d.document for d in archive.documents(matching="REP")] == ["report"]
    assert archive.documents(matching="nothing like it") == []
    assert len(archive.documents(matching="  ")) == 2


def test_a_version_is_diffed_against_bytes_in_hand(archive):
    _seeded(archive)
    archive.register(b"The council met on Monday.\n", doc="minutes")
    report = archive.diff_text("minutes@1", b"The council met on Tuesday.\n", name="draft", files=False)
    assert (report.a_name, report.b_name, report.b) == ("minutes@1", "draft", None)
    assert report.b_text == "The council met on Tuesday.\n" and report.edits
    with pytest.raises(ProvenanceError):
        archive.diff_text("minutes@1", b"\x89PNG\xff not utf-8", name="draft")


def test_a_content_is_read_by_its_whole_hash(archive):
    page, _ = _seeded(archive)
    data = (SEEDS / PAGE).read_bytes()
    assert archive.content(page.hash) == data
    assert archive.content(page.hash.removeprefix("blake3:").upper()) == data
    with pytest.raises(ProvenanceError, match="whole hash"):
        archive.content(page.hash[:20])
    with pytest.raises(ProvenanceError):
        archive.content("blake3:" + "0" * 64)


# -- --only KIND: filtered in the library, never silently ---------------------------

BEFORE = b"The council approved 12 new parks on Monday.\nThe mayor praised the plan.\n"
AFTER = b"The council approved 15 new parks on Monday.\nThe mayor criticised the plan.\n"


@pytest.fixture
def parks(archive):
    archive.register(BEFORE, doc="parks")
    archive.register(AFTER, doc="parks")
    return archive


def test_only_number_keeps_the_changed_number_and_counts_the_wording_left_out(parks):
    whole = parks.diff("parks@1", "parks@2")
    assert dict(whole.kinds) == {"number": 1, "wording": 1} and whole.hidden == 0
    only = parks.diff("parks@1", "parks@2", only="number")
    assert [(e.old, e.new) for e in only.edits] == [("12", "15")]
    assert only.only == "number" and only.hidden == 1


def test_a_trace_with_only_filters_every_step_and_the_net_edits(parks):
    whole = parks.trace("parks@1", "parks@2")
    trace = parks.trace("parks@1", "parks@2", only="number")
    (step,) = trace.steps
    assert trace.only == "number" and step.kinds == (("number", 1),)
    assert step.hidden == len(whole.steps[0].edits) - len(step.edits) > 0
    assert all(BEFORE.decode()[e.a_start - 1 : e.a_end + 1].strip(" ").isdigit() for e in step.edits)
    assert [(e.old, e.new) for e in trace.net.edits] == [("12", "15")] and trace.net.hidden == 1
    assert whole.only is None and whole.steps[0].hidden == 0


def test_a_log_with_only_counts_that_kind_and_says_what_it_left_out(parks):
    log = parks.log("parks", only="wording")
    (link,) = log.versions[1].parents
    assert log.only == "wording" and link.kinds == (("wording", link.kinds[0][1]),)
    assert link.hidden >= 1  # the number edit
    whole = parks.log("parks").versions[1].parents[0]
    assert link.hidden + link.kinds[0][1] == sum(n for _, n in whole.kinds) and whole.hidden == 0


@pytest.mark.parametrize("call", ["diff", "trace", "log"])
def test_an_unknown_kind_is_refused_naming_the_kinds(parks, call):
    ask = {
        "diff": lambda: parks.diff("parks@1", "parks@2", only="typo"),
        "trace": lambda: parks.trace("parks@1", "parks@2", only="typo"),
        "log": lambda: parks.log("parks", only="typo"),
    }[call]
    with pytest.raises(ProvenanceError, match="the kinds are negation, number"):
        ask()


# -- a version whole, keys and proofs --------------------------------------------


def test_version_is_show_with_the_text_children_events_and_proofs_of_one_snapshot(archive, tmp_path):
    page, copy = _seeded(archive)
    whole = archive.version("report@1", files=False)
    assert whole.info == archive.show("report@1")
    assert whole.text == archive.texts([page.version])[page.version]
    assert whole.children == ((copy.version, "report@2"),)
    assert whole.events == archive.events(about=str(page.version)).events
    assert [e.kind for e in whole.events][-1] == "link.added"  # the copy's link to it
    assert whole.provable is False  # no checkpoint yet
    keys = Archive.keygen(tmp_path / "keys")
    archive.checkpoint(Path(keys.private_key))
    assert archive.version(str(page.version)).provable is True


def test_version_of_a_file_is_refused_when_files_are_not_read(archive, tmp_path):
    _seeded(archive)
    there = tmp_path / "page.txt"
    there.write_bytes((SEEDS / PAGE).read_bytes())
    assert archive.version(str(there)).info.name == "report@1"  # as show reads a REF
    with pytest.raises(ProvenanceError):
        archive.version(str(there), files=False)


def test_verify_proof_opens_no_archive(archive, tmp_path, monkeypatch):
    """An auditor checks a bundle with the public key alone: with $PROV_DB naming a
    folder that does not exist (any open would fail), the check still answers."""
    page, _ = _seeded(archive)
    keys = Archive.keygen(tmp_path / "keys")
    archive.checkpoint(Path(keys.private_key))
    bundle = tmp_path / "proof.json"
    archive.prove(str(page.version), out=bundle)
    monkeypatch.setenv("PROV_DB", str(tmp_path / "no" / "such" / "archive.db"))
    checked = Archive.verify_proof(bundle, key=keys.public_key)
    assert checked.ok and checked.kind == "inclusion" and checked.key_id == keys.key_id
    other = Archive.keygen(tmp_path / "other")
    assert not Archive.verify_proof(bundle, key=other.public_key).ok
    assert not (tmp_path / "no").exists()
    with pytest.raises(ProvenanceError, match="cannot read"):
        Archive.verify_proof(tmp_path / "missing.json", key=keys.public_key)
