"""The schema is made only by the Alembic migrations, and they match the models."""

from __future__ import annotations

import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import provenance.models  # noqa: F401
import provenance_db
from provenance import schema, store
from provenance.errors import IntegrityError, SchemaError
from provenance.hashing import content_hash
from provenance.models import Digest
from provenance.packed import EventBody


def test_migrating_an_empty_database_gives_exactly_the_models_schema(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, SQLModel.metadata) == []


def test_the_head_every_command_checks_against_is_the_newest_migration():
    assert schema.head_revision() == provenance_db.HEAD


def test_init_is_idempotent(engine):
    before, after = schema.upgrade(engine)
    assert before == after == schema.head_revision()


def test_a_database_without_the_schema_is_refused_with_the_command_to_fix_it(tmp_path):
    engine = store.open_engine(store.DatabaseLocation(store.to_url(str(tmp_path / "x.db")), "test"))
    with pytest.raises(SchemaError, match=r"create it with: prov --db .* init"):
        schema.require_current(engine, str(tmp_path / "x.db"))
    engine.dispose()


def _sqlite_archive(tmp_path):
    engine = store.open_engine(
        store.DatabaseLocation(store.to_url(str(tmp_path / "a.db")), "test"), access="create"
    )
    schema.upgrade(engine)
    return engine


def test_foreign_keys_are_enforced_again_once_the_migrations_have_run(tmp_path):
    """SQLite's migrations run with foreign keys off (`provenance_db.env`): the connection
    they ran on goes back to the pool, and must refuse a row naming nothing afterwards."""
    import sqlalchemy as sa

    engine = _sqlite_archive(tmp_path)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        with pytest.raises(sa.exc.IntegrityError, match="FOREIGN KEY"), engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO link (parent_id, child_id, relation) VALUES (7, 8, 'revision')"
            )
    finally:
        engine.dispose()


def test_a_migration_leaving_a_row_that_names_nothing_is_refused_but_old_damage_is_not(tmp_path):
    engine = _sqlite_archive(tmp_path)
    insert = "INSERT INTO link (parent_id, child_id, relation) VALUES (7, 8, 'revision')"
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("COMMIT")  # out of the transaction the pool began
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("BEGIN")
            before = schema.dangling_keys(conn)
            schema.refuse_new_dangling_keys(conn, before)  # nothing new: no error
            conn.exec_driver_sql(insert)
            with pytest.raises(SchemaError, match="2 rows of link naming missing rows of version"):
                schema.refuse_new_dangling_keys(conn, before)
            schema.refuse_new_dangling_keys(conn, schema.dangling_keys(conn))  # already there
            conn.exec_driver_sql("ROLLBACK")
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    finally:
        engine.dispose()


def test_a_database_from_an_unknown_newer_revision_is_refused(engine):
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff'")
    with pytest.raises(SchemaError, match="newer than this program knows"):
        schema.require_current(engine, "the archive")


def test_edit_records_packed_by_0008_read_back_and_verify_after_a_downgrade_and_upgrade(
    db_url, seeds
):
    """0008 turns JSON edit records into zstd frames; one made before it must read and
    verify after it exactly as it was (on both backends, with Chinese text and a detail)."""
    import sqlalchemy as sa
    from alembic import command

    from provenance import Archive

    page, copy = (seeds[name] for name in sorted(seeds))
    with Archive(db_url, actor="t") as archive:
        archive.register(page, doc="page")
        archive.register(copy, doc="report", parents=["page@1"], relation="excerpt")
        archive.register(page.replace("区块链".encode(), "链".encode(), 1), doc="page")
        traced = [archive.trace("page@1", "report@1"), archive.trace("page@1", "page@2")]
    assert traced[0].steps[0].passages and traced[1].steps[0].edits
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        with engine.connect() as conn:
            before = conn.execute(sa.text("SELECT link_id, edits, detail FROM edit_record")).all()
        command.downgrade(schema.alembic_config(engine), "0007")
        with engine.connect() as conn:  # JSON again, as 0007 stored it
            rows = conn.execute(
                sa.text("SELECT CAST(edits AS TEXT), CAST(detail AS TEXT) FROM edit_record")
            ).all()
        assert all(edits.startswith("[[") for edits, _ in rows)
        assert any(detail not in (None, "null") for _, detail in rows)
        schema.upgrade(engine)
        with engine.connect() as conn:
            after = conn.execute(sa.text("SELECT link_id, edits, detail FROM edit_record")).all()
    finally:
        engine.dispose()
    frames = [b"\x28\xb5\x2f\xfd"] * len(before)  # zstd's magic number
    assert [bytes(r.edits)[:4] for r in before] == [bytes(r.edits)[:4] for r in after] == frames
    with Archive(db_url, actor="t") as archive:
        assert archive.verify().ok
        again = [archive.trace("page@1", "report@1"), archive.trace("page@1", "page@2")]
    assert [t.steps for t in again] == [t.steps for t in traced]


def test_edit_records_framed_by_gaps_go_back_to_offsets_for_0009_and_return_the_same(
    db_url, seeds
):
    """0010 frames edits by their gaps; a downgrade must leave every frame as 0009 read
    it (the list of offsets), and the upgrade give back the same frames, verified clean."""
    import sqlalchemy as sa
    from alembic import command

    from provenance import Archive, packed

    page, copy = (seeds[name] for name in sorted(seeds))
    with Archive(db_url, actor="t") as archive:
        archive.register(page, doc="page")
        archive.register(copy, doc="report", parents=["page@1"], relation="excerpt")
        text = page.decode("utf-8")
        archive.register(text.replace("。", "；", 9).replace("\n", "\r\n").encode(), doc="page")
        traced = [archive.trace("page@1", "report@1"), archive.trace("page@1", "page@2")]
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    select = sa.text("SELECT link_id, edits FROM edit_record ORDER BY link_id")
    try:
        with engine.connect() as conn:
            before = [(i, bytes(b)) for i, b in conn.execute(select)]
        values = [packed.unpack_edits(b) for _, b in before]
        assert len(before) == 2 and all(len(v) > 3 for v in values)
        assert all(isinstance(packed.unpack(b), dict) for _, b in before)  # by gaps
        command.downgrade(schema.alembic_config(engine), "0009")
        with engine.connect() as conn:
            old = [(i, bytes(b)) for i, b in conn.execute(select)]
        assert [packed.unpack(b) for _, b in old] == values  # offsets, as 0009 reads them
        schema.upgrade(engine)
        with engine.connect() as conn:
            after = [(i, bytes(b)) for i, b in conn.execute(select)]
    finally:
        engine.dispose()
    assert after == before
    with Archive(db_url, actor="t") as archive:
        assert archive.verify(deep=True).ok
        again = [archive.trace("page@1", "report@1"), archive.trace("page@1", "page@2")]
    assert [t.steps for t in again] == [t.steps for t in traced]


def test_normal_hashes_keyed_by_index_row_go_back_to_content_hashes_for_0010_and_return(
    db_url, seeds
):
    """0011 keys normalized hashes by index row and keeps their bytes; a downgrade must
    give 0010's rows (content hash, lens, hash text) and the upgrade the same rows
    back, with the normalized tier of identify still finding a re-spaced copy."""
    import sqlalchemy as sa
    from alembic import command

    from provenance import Archive, index

    page, copy = (seeds[name] for name in sorted(seeds))
    respaced = page.decode("utf-8").replace("\n", "\n\n").encode("utf-8")
    with Archive(db_url, actor="t") as archive:
        archive.register(page, doc="page")
        archive.register(copy, doc="report")
        found = archive.identify(respaced)
    assert [(m.name, m.tier) for m in found.matches][:1] == [("page@1", "normalized")]
    texts = {"page": page.decode("utf-8"), "report": copy.decode("utf-8")}
    want = {
        (content_hash(t.encode("utf-8")), p, h)
        for t in texts.values()
        for p, h in index.normal_hashes(t).items()
    }
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    new = sa.text(
        "SELECT c.content_hash, n.profile, n.hash FROM normal_hash n"
        " JOIN content_index c ON c.id = n.index_id"
    ).columns(content_hash=Digest)  # as the head schema keeps it
    try:
        with engine.connect() as conn:
            before = {(c, p, "blake3:" + bytes(h).hex()) for c, p, h in conn.execute(new)}
        command.downgrade(schema.alembic_config(engine), "0010")
        with engine.connect() as conn:
            old = set(conn.execute(sa.text("SELECT content_hash, profile, hash FROM normal_hash")))
        schema.upgrade(engine)
        with engine.connect() as conn:
            after = {(c, p, "blake3:" + bytes(h).hex()) for c, p, h in conn.execute(new)}
    finally:
        engine.dispose()
    assert before == old == after == want
    with Archive(db_url, actor="t") as archive:
        assert archive.verify(deep=True).ok
        again = archive.identify(respaced)
    assert [(m.name, m.tier) for m in again.matches] == [(m.name, m.tier) for m in found.matches]


def test_runs_are_no_longer_indexed_by_chain_and_a_downgrade_to_0011_indexes_them_again(
    db_url, seeds
):
    """0012 drops key_run's index by chain; 0011's code reads it, so a downgrade puts it
    back, and an archive written without it identifies and verifies the same."""
    import sqlalchemy as sa
    from alembic import command

    from provenance import Archive

    page, copy = (seeds[name] for name in sorted(seeds))
    with Archive(db_url, actor="t") as archive:
        archive.register(page, doc="page")
        archive.register(page.replace("。".encode(), "，".encode(), 3), doc="page")
        archive.register(copy, doc="report")
        half = copy.decode("utf-8")[: len(copy.decode("utf-8")) // 2].encode("utf-8")
        found = archive.identify(half)
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        names = lambda: {i["name"] for i in sa.inspect(engine).get_indexes("key_run")}  # noqa: E731
        assert "ix_key_run_chain" not in names()
        command.downgrade(schema.alembic_config(engine), "0011")
        assert "ix_key_run_chain" in names()
        schema.upgrade(engine)
        assert "ix_key_run_chain" not in names()
    finally:
        engine.dispose()
    with Archive(db_url, actor="t") as archive:
        assert archive.verify(deep=True).ok
        again = archive.identify(half)
    assert found.matches and [(m.name, m.tier) for m in again.matches] == [
        (m.name, m.tier) for m in found.matches
    ]


def test_0013_packs_the_signatures_of_a_scheme_4_index_and_keeps_damage_visible(db_url, seeds):
    """0013 keeps the low 16 bits of each stored signature value and writes each row's
    digest again, but only where the old digest held: a row changed before the
    upgrade must still be reported by verify after it, not given a digest that fits."""
    import numpy as np
    import sqlalchemy as sa
    from alembic import command

    from provenance import Archive, index, sketch

    page, copy = (seeds[name] for name in sorted(seeds))
    edited = page.replace("。".encode(), "，".encode(), 3)
    texts = {content_hash(b): b.decode("utf-8") for b in (page, edited, copy)}
    with Archive(db_url, actor="t") as archive:
        for data, doc in ((page, "page"), (edited, "page"), (copy, "report")):
            archive.register(data, doc=doc)
        half = texts[content_hash(copy)][: len(texts[content_hash(copy)]) // 2].encode("utf-8")
        found = archive.identify(half)
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    rows = sa.text("SELECT content_hash, signature, digest FROM content_index").columns(
        content_hash=Digest, digest=Digest
    )  # read at the head schema
    try:
        command.downgrade(schema.alembic_config(engine), "0012")
        # Make the index exactly what 0012's code wrote: 32-bit values, their digests.
        with engine.begin() as conn:
            summaries = {
                cid: tuple(int(x) for x in rest)
                for cid, *rest in conn.execute(index.key_summary_query(sa.orm.Session(bind=conn)))
            }
            ids = dict(conn.execute(sa.text("SELECT content_hash, id FROM content_index")).all())
            olds = {}
            for digest, text in texts.items():
                raw = sketch.text_shingle_hashes(text)
                full = sketch.signature_of_hashes(raw).astype("<u4").tobytes()
                _, shingles = index._sketch(text)
                old = index.rows_digest(
                    index.normal_hashes(text),
                    shingles,
                    len(sketch.anchors_of_hashes(raw)),
                    full,
                    summaries[ids[digest]],
                )
                olds[digest] = old
                conn.execute(
                    sa.text(
                        "UPDATE content_index SET signature = :s, digest = :d"
                        " WHERE content_hash = :h"
                    ),
                    {"s": full, "d": old, "h": digest},
                )
            conn.execute(
                sa.text("UPDATE index_state SET value = '4' WHERE name = 'sketch_version'")
            )
            # One row damaged behind the tool's back: its shingle count no longer fits.
            conn.execute(
                sa.text("UPDATE content_index SET shingles = shingles + 1 WHERE content_hash = :h"),
                {"h": content_hash(edited)},
            )
        schema.upgrade(engine)
        with engine.connect() as conn:
            after = {h: (bytes(s), d) for h, s, d in conn.execute(rows)}
            state = conn.execute(
                sa.text("SELECT value FROM index_state WHERE name = 'sketch_version'")
            ).scalar()
    finally:
        engine.dispose()
    assert state == str(sketch.SKETCH_VERSION) == "5"
    for digest, text in texts.items():
        want = index.rows_for(digest, text).content_index
        assert after[digest][0] == want["signature"]
        assert len(want["signature"]) == 2 * sketch.NUM_PERM
        assert np.array_equal(
            sketch.signature_from_bytes(after[digest][0]), sketch.minhash(text) & 0xFFFF
        )
        if digest != content_hash(edited):
            assert after[digest][1] == want["digest"]
    # The damaged row was not given a digest over its packed values: it keeps the old one.
    assert after[content_hash(edited)][1] == olds[content_hash(edited)]
    with Archive(db_url, actor="t") as archive:
        report = archive.verify(deep=True)
        again = archive.identify(half)
    assert not report.ok
    damaged = ids[content_hash(edited)]
    assert {(p.table, str(p.row)) for p in report.problems} == {("content_index", str(damaged))}
    assert all(content_hash(edited) in p.message for p in report.problems), report.problems
    assert [(m.name, m.tier) for m in again.matches] == [(m.name, m.tier) for m in found.matches]


def test_0014_keeps_content_hashes_as_bytes_and_a_downgrade_to_0013_gives_back_their_text(
    db_url, seeds
):
    """0014 stores every content hash and index digest as its 32 bytes; 0013 held them as
    ``blake3:<hex>``. Down and up again must give the same hashes, delta chains still
    readable, refs by prefix still resolving, and a digest damaged before the upgrade
    still named by verify after it."""
    import sqlalchemy as sa
    from alembic import command

    from provenance import Archive

    page, copy = (seeds[name] for name in sorted(seeds))
    edited = page.replace("。".encode(), "，".encode(), 3)
    with Archive(db_url, actor="t") as archive:
        for data, doc in ((page, "page"), (edited, "page"), (copy, "report")):
            archive.register(data, doc=doc)
        half = copy.decode("utf-8")[: len(copy.decode("utf-8")) // 2].encode("utf-8")
        found = archive.identify(half)
        log = [(v.name, v.hash) for v in archive.log("page").versions]
    hashes = {content_hash(b) for b in (page, edited, copy)}
    columns = (
        ("content", "hash"),
        ("content", "base_hash"),
        ("version", "content_hash"),
        ("content_index", "content_hash"),
        ("content_index", "digest"),
    )

    def read(conn, typed: bool) -> dict:
        out = {}
        for table, column in columns:
            q = sa.text(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL")
            out[table, column] = sorted(
                conn.execute(q.columns(**{column: Digest}) if typed else q).scalars()
            )
        return out

    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        with engine.connect() as conn:
            before = read(conn, typed=True)
            sizes = (
                conn.execute(sa.text("SELECT DISTINCT length(hash) FROM content")).scalars().all()
            )
        command.downgrade(schema.alembic_config(engine), "0013")
        with engine.begin() as conn:
            old = read(conn, typed=False)
            damaged_id = conn.execute(
                sa.text("SELECT id FROM content_index WHERE content_hash = :h"),
                {"h": content_hash(edited)},
            ).scalar_one()
            conn.execute(  # written behind the tool's back: not a digest at all
                sa.text("UPDATE content_index SET digest = 'not a digest' WHERE id = :i"),
                {"i": damaged_id},
            )
        schema.upgrade(engine)
        with engine.connect() as conn:
            after = read(conn, typed=True)
    finally:
        engine.dispose()
    assert sizes == [32]
    assert set(before["content", "hash"]) == hashes
    assert before["content", "base_hash"], "the edited page is stored as a delta"
    assert old == before  # 0013's text is exactly the hashes 0014 held
    assert all(isinstance(v, str) for values in old.values() for v in values)
    digests = ("content_index", "digest")
    assert {k: v for k, v in after.items() if k != digests} == {
        k: v for k, v in before.items() if k != digests
    }
    lost = set(before[digests]) - set(after[digests])
    kept = set(after[digests]) - set(before[digests])
    assert len(lost) == 1  # the damaged row's, and only it
    assert kept == {"blake3:" + b"not a digest".hex()}  # the damage, as its UTF-8 bytes
    with Archive(db_url, actor="t") as archive:
        assert [(v.name, v.hash) for v in archive.log("page").versions] == log
        assert archive.show(log[1][1][:16]).name == "page@2"
        assert [archive.raw(name) for name, _ in log] == [page, edited]  # the delta chain reads
        again = archive.identify(half)
        report = archive.verify(deep=True)
    assert [(m.name, m.tier) for m in again.matches] == [(m.name, m.tier) for m in found.matches]
    assert not report.ok
    assert {(p.table, str(p.row)) for p in report.problems} == {("content_index", str(damaged_id))}


def test_0015_frames_event_bodies_and_a_downgrade_to_0014_gives_back_their_text(db_url, seeds):
    """0015 keeps each event body as a zstd frame and its actor and time as columns;
    0014 held the body as text. Down and up again must give every body back byte for
    byte (the log's root unchanged), the filters by actor and time the same events,
    and a body damaged before the upgrade still named by verify after it, alone."""
    import sqlalchemy as sa
    from alembic import command

    from provenance import Archive

    page, copy = (seeds[name] for name in sorted(seeds))
    with Archive(db_url, actor="alice") as archive:
        archive.register(page, doc="page")
    with Archive(db_url, actor="bob") as archive:
        archive.register(page.replace("。".encode(), "，".encode(), 3), doc="page")
        archive.register(copy, doc="report")
        archive.register(page, doc="page", source="a second scan")  # a sighting: a new kind

    def filtered(archive) -> list:
        bob = archive.events(actor="bob").events
        cut = bob[1].time
        return [
            [e.seq for e in bob],
            [e.seq for e in archive.events(since=cut).events],
            [e.seq for e in archive.events(until=cut).events],
        ]

    with Archive(db_url) as archive:
        answers = filtered(archive)
    assert all(answers) and answers[1] != answers[2]
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    select_text = sa.text("SELECT seq, body FROM event ORDER BY seq")
    try:
        with engine.connect() as conn:
            bodies = dict(conn.execute(select_text.columns(body=EventBody)).all())
            stored = conn.execute(sa.text("SELECT body FROM event")).scalars().all()
            columns = conn.execute(sa.text("SELECT seq, actor, time FROM event")).all()
        command.downgrade(schema.alembic_config(engine), "0014")
        with engine.begin() as conn:
            old = dict(conn.execute(select_text).all())
            names = {c["name"] for c in sa.inspect(conn).get_columns("event")}
            damaged = max(old)
            conn.execute(  # written behind the tool's back: not JSON at all
                sa.text("UPDATE event SET body = 'not an event' WHERE seq = :s"), {"s": damaged}
            )
        schema.upgrade(engine)
        with engine.connect() as conn:
            after = dict(conn.execute(select_text.columns(body=EventBody)).all())
            kept = conn.execute(
                sa.text("SELECT actor, time FROM event WHERE seq = :s"), {"s": damaged}
            ).one()
    finally:
        engine.dispose()
    assert all(bytes(b).startswith(b"\x28\xb5\x2f\xfd") for b in stored)  # frames, every one
    assert {seq: (actor, time) for seq, actor, time in columns} == {
        seq: (json.loads(b)["actor"], json.loads(b)["time"]) for seq, b in bodies.items()
    }
    assert {"alice", "bob"} <= {actor for _, actor, _ in columns}
    assert old == bodies and all(isinstance(b, str) for b in old.values())  # 0014's text
    assert "actor" not in names and "time" not in names
    assert after == {**bodies, damaged: "not an event"}
    assert tuple(kept) == ("", "")
    with Archive(db_url) as archive:
        report = archive.verify()
        bob = [e.seq for e in archive.events(actor="bob").events]
        with pytest.raises(IntegrityError, match=f"event {damaged} is not JSON"):
            archive.events()  # the whole log: the damage is in it
    assert bob == [s for s in answers[0] if s != damaged]  # the damage lost its actor
    assert not report.ok
    assert {p.event for p in report.problems if p.table == "event"} == {damaged}
