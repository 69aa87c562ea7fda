"""Bulk registration from a manifest: in order, with provenance, all or nothing."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from provenance.models import Event

from .test_cli import one_line_error, prov, prov_json


def _files(tmp_path, texts: dict[str, str]) -> None:
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")


def test_a_jsonl_manifest_registers_a_history_in_order_with_its_provenance(db_url, tmp_path):
    _files(
        tmp_path, {"v1.txt": "First draft.", "v2.txt": "First draft, edited.", "q.txt": "edited"}
    )
    entries = [
        {
            "path": "v1.txt",
            "doc": "story",
            "source": "wire",
            "captured_at": "2024-01-01T08:00:00+08:00",
        },
        {
            "path": "v2.txt",
            "doc": "story",
            "source": "web",
            "label": "final",
            "meta": {"desk": "city"},
        },
        {"path": "q.txt", "doc": "quote", "parent": "story@2", "relation": "excerpt"},
        {"path": "v1.txt", "doc": "mirror", "relation": "copy", "parent": "story@1"},
    ]
    manifest = tmp_path / "batch.jsonl"
    manifest.write_text("\n".join(json.dumps(e) for e in entries) + "\n", encoding="utf-8")
    out = prov_json(db_url, "import", str(manifest))
    assert out["versions"] == 4 and out["new_contents"] == 3  # v1.txt's bytes are stored once
    assert out["documents"] == ["story", "quote", "mirror"]
    log = prov_json(db_url, "log", "story")
    v1, v2 = log["versions"]
    assert v1["source"] == "wire" and v1["captured_at"] == "2024-01-01T08:00:00+08:00"
    assert v2["parents"][0]["relation"] == "revision" and v2["label"] == "final"
    assert prov_json(db_url, "show", "story@2")["meta"] == {"desk": "city"}
    quote = prov_json(db_url, "show", "quote@1")
    assert (
        quote["parents"][0]["relation"] == "excerpt"
        and quote["parents"][0]["parent_name"] == "story@2"
    )


def test_a_csv_manifest_takes_meta_columns_and_several_parents(db_url, tmp_path):
    _files(tmp_path, {"a.txt": "alpha text", "b.txt": "beta text", "m.txt": "alpha beta text"})
    (tmp_path / "batch.csv").write_text(
        "path,doc,parent,source,meta.shelf\n"
        "a.txt,a,,archive box 1,A1\n"
        "b.txt,b,,archive box 2,\n"
        "m.txt,m,a@1|b@1,merged,C3\n",
        encoding="utf-8",
    )
    out = prov_json(db_url, "import", str(tmp_path / "batch.csv"))
    assert out["versions"] == 3
    merged = prov_json(db_url, "show", "m@1")
    assert [p["relation"] for p in merged["parents"]] == ["merge", "merge"]
    assert merged["meta"] == {"shelf": "C3"} and merged["source"] == "merged"


def test_a_bad_entry_names_its_line_and_nothing_is_registered(db_url, tmp_path):
    _files(tmp_path, {"ok.txt": "fine"})
    manifest = tmp_path / "batch.jsonl"
    manifest.write_text(
        '{"path": "ok.txt", "doc": "d"}\n{"path": "ok.txt", "doc": "e"}\n'
        '{"path": "missing.txt", "doc": "d"}\n',
        encoding="utf-8",
    )
    one_line_error(
        prov(db_url, "import", str(manifest)), "batch.jsonl:3", "missing.txt", "no such file"
    )
    assert prov_json(db_url, "docs") == []


def test_a_malformed_manifest_is_refused_before_anything_is_read(db_url, tmp_path):
    manifest = tmp_path / "batch.jsonl"
    manifest.write_text('{"path": "x.txt", "doc": "d"}\nnot json\n', encoding="utf-8")
    one_line_error(prov(db_url, "import", str(manifest)), "batch.jsonl:2", "not JSON")
    manifest.write_text('{"path": "x.txt", "document": "d"}\n', encoding="utf-8")
    one_line_error(
        prov(db_url, "import", str(manifest)), "batch.jsonl:1", "unknown field 'document'"
    )
    other = tmp_path / "batch.txt"
    other.write_text("x", encoding="utf-8")
    one_line_error(prov(db_url, "import", str(other)), ".jsonl or .csv")


def test_an_imported_archive_verifies_clean(db_url, tmp_path):
    _files(tmp_path, {"v1.txt": "one", "v2.txt": "one two"})
    manifest = tmp_path / "batch.jsonl"
    manifest.write_text(
        '{"path": "v1.txt", "doc": "d"}\n{"path": "v2.txt", "doc": "d"}\n', encoding="utf-8"
    )
    prov_json(db_url, "import", str(manifest))
    assert prov(db_url, "verify").exit_code == 0


def test_an_import_is_recorded_in_the_audit_log_after_its_versions(db_url, tmp_path, engine):

    _files(tmp_path, {"v1.txt": "one", "v2.txt": "one two"})
    manifest = tmp_path / "batch.jsonl"
    manifest.write_text(
        '{"path": "v1.txt", "doc": "d"}\n{"path": "v2.txt", "doc": "d"}\n', encoding="utf-8"
    )
    out = prov_json(db_url, "import", str(manifest))
    events = Event.__table__
    with engine.connect() as conn:
        seq, body = conn.execute(
            sa.select(events.c.seq, events.c.body).where(events.c.kind == "import.run")
        ).one()
        last = conn.execute(sa.select(sa.func.max(events.c.seq))).scalar_one()
    event = json.loads(body)
    assert seq == last  # the import closes its batch
    assert event["import"]["manifest_hash"] == out["manifest_hash"]
    assert event["import"]["versions"] == [r["version"] for r in out["registered"]]
    # An import event naming a version no event registered is caught.
    forged = dict(event, **{"import": dict(event["import"], versions=[999])})
    with engine.begin() as conn:
        conn.execute(
            events.update()
            .where(events.c.seq == seq)
            .values(
                body=json.dumps(forged, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            )
        )
    result = prov(db_url, "verify")
    assert result.exit_code == 1 and "999" in result.stdout


def test_paths_are_read_from_the_manifests_folder_not_the_current_one(db_url, tmp_path, monkeypatch):
    folder = tmp_path / "batch"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.txt").write_text("inside the manifest's folder", encoding="utf-8")
    (folder / "alias.txt").symlink_to(folder / "sub" / "a.txt")  # a link that stays inside
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("beside it, in the current folder", encoding="utf-8")
    (folder / "batch.jsonl").write_text(
        '{"path": "sub/a.txt", "doc": "a"}\n{"path": "sub/../alias.txt", "doc": "b"}\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    out = prov_json(db_url, "import", "batch/batch.jsonl")
    assert out["versions"] == 2 and out["new_contents"] == 1
    assert prov(db_url, "show", "a@1", "--raw").stdout_bytes == b"inside the manifest's folder"
    assert prov(db_url, "show", "b@1", "--raw").stdout_bytes == b"inside the manifest's folder"


def test_files_outside_the_manifests_folder_are_read_only_when_allowed(db_url, tmp_path):
    from provenance import importer, store
    from provenance.errors import InputError

    folder = tmp_path / "batch"
    folder.mkdir()
    (tmp_path / "beside.txt").write_text("a file beside the folder", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("a file named by its absolute path", encoding="utf-8")
    manifest = folder / "batch.jsonl"
    manifest.write_text(
        json.dumps({"path": "../beside.txt", "doc": "beside"})
        + "\n"
        + json.dumps({"path": str(elsewhere), "doc": "elsewhere"})
        + "\n",
        encoding="utf-8",
    )
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        with pytest.raises(InputError, match=r"batch.jsonl:1: path '\.\./beside\.txt' climbs out"):
            importer.read_manifest(str(manifest))
        with store.transaction(engine) as session:
            report = importer.run(session, str(manifest), actor="t", allow_outside=True)
    finally:
        engine.dispose()
    assert report.documents == ("beside", "elsewhere")
    assert prov(db_url, "show", "elsewhere@1", "--raw").stdout_bytes == elsewhere.read_bytes()


def test_an_entry_is_checked_whole_before_any_file_is_read(db_url, tmp_path):
    (tmp_path / "ok.txt").write_text("fine", encoding="utf-8")
    manifest = tmp_path / "batch.jsonl"
    manifest.write_text(
        '{"path": "missing.txt", "doc": "d"}\n{"path": "ok.txt", "doc": "d", "label": "a\\u0000b"}\n',
        encoding="utf-8",
    )
    # Line 2 is refused for its label although line 1's file, missing, comes first.
    one_line_error(prov(db_url, "import", str(manifest)), "batch.jsonl:2", "label", "NUL")
    assert prov_json(db_url, "docs") == []


def test_a_batch_that_carries_its_contents_registers_in_order_and_reads_no_file(db_url, tmp_path):
    from provenance import Archive
    from provenance.errors import InputError

    (tmp_path / "secret.txt").write_text("First draft.", encoding="utf-8")
    batch = [
        {"doc": "story", "text": "First draft."},
        {"doc": "story", "text": "First draft, edited.", "label": "final"},
        {"doc": "quote", "text": "edited", "parent": "story@2", "relation": "excerpt"},
    ]
    with Archive(db_url, actor="desk") as archive:
        report = archive.import_batch(json.dumps(batch).encode(), source="desk-batch")
        assert (report.versions, report.documents, report.manifest) == (3, ("story", "quote"), "desk-batch")
        assert archive.show("quote@1").parents[0].parent_name == "story@2"
        before = archive.events().total
        for parent in (f"file:{tmp_path / 'secret.txt'}", str(tmp_path / "secret.txt")):
            bad = [{"doc": "more", "text": "x"}, {"doc": "other", "text": "y", "parent": parent}]
            with pytest.raises(InputError, match=r"^batch:2: no version matches"):
                archive.import_batch(json.dumps(bad).encode())
        assert archive.events().total == before and [d.document for d in archive.documents()] == ["quote", "story"]
        assert archive.verify().ok
