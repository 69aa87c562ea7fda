"""Tampering behind the tool's back: every single change made directly in the database shows.

On a populated archive (revisions, copies, an excerpt, a merge, annotations,
two checkpoints), hundreds of random single changes are made with plain SQL
— a byte of a stored blob, altered text recompressed so that only its hash
can tell, a field of any row, an event's JSON, a deleted row or event,
reordered events, swapped contents, a changed checkpoint, any column of any
row of the identify index — each inside a transaction that is rolled back
afterwards, and `verify` must report each one, naming the table and row. A
sample also goes through `prov verify` on a committed copy, which must exit 1.

Damage that is not a plausible edit but a broken value (a frame stored as
text, a truncated zstd frame, an edit record that is not a list, a number
column holding text) must be a problem too, never a crash.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import zstandard
from sqlmodel import Session
from typer.testing import CliRunner

from provenance import audit, contents, fixity, index, packed, sketch, store
from provenance import verify as verifying
from provenance.models import (
    RELATIONS,
    Checkpoint,
    Content,
    ContentIndex,
    Digest,
    Document,
    EditRecord,
    Event,
    IndexState,
    KeyChain,
    KeyRun,
    Link,
    NormalHash,
    Sighting,
    Version,
)
from provenance_cli.app import app

from .audit_archive import populate

runner = CliRunner()
BENIGN_FLIPS: list[str] = []  # bit flips zstd ignores (e.g. in spare header bits): no damage
COUNTS = {"sqlite": 1000, "postgresql": 1000}

C, V, L, E, D, EV, CP = (
    Content.__table__,
    Version.__table__,
    Link.__table__,
    EditRecord.__table__,
    Document.__table__,
    Event.__table__,
    Checkpoint.__table__,
)
S = Sighting.__table__
KR, KC = KeyRun.__table__, KeyChain.__table__
CI, NH, IS = ContentIndex.__table__, NormalHash.__table__, IndexState.__table__


@dataclass
class Damage:
    what: str
    table: str  # "*": any problem; "index": any problem of the index check
    row: str | None = None  # None: any row of the table
    event: int | None = None  # damage to this event: a problem naming it, or a checkpoint's


Tamper = Callable[[sa.Connection, random.Random], Damage]


def _rows(conn: sa.Connection, table: sa.Table) -> list:
    return list(conn.execute(sa.select(table).order_by(*table.primary_key.columns.values())))


def _flip(data: bytes, rng: random.Random, lo: int = 0, hi: int | None = None) -> bytes:
    hi = len(data) if hi is None else hi
    i = rng.randrange(lo, hi)
    out = bytearray(data)
    out[i] ^= rng.choice([1, 2, 4, 8, 16, 32, 64, 128])
    return bytes(out)


def _other(rng: random.Random, value, choices):
    options = [c for c in choices if c != value]
    return rng.choice(options)


def _decodes_to(rows: dict, digest: str, data: bytes) -> bytes | None:
    changed = dict(rows)
    changed[digest] = SimpleNamespace(**{**changed[digest]._mapping, "data": data})
    try:
        return contents.reconstruct(digest, changed.get)
    except Exception:
        return None


def blob_byte(conn, rng):
    """Flip one bit of a stored frame; a flip zstd ignores (the bytes read back unchanged) is
    no damage to the record, so another bit is drawn (see BENIGN_FLIPS)."""
    rows = {r.hash: r for r in _rows(conn, C)}
    row = rng.choice(sorted(rows.values(), key=lambda r: r.hash))
    original = contents.reconstruct(row.hash, rows.get)
    while True:
        data = _flip(row.data, rng)
        if _decodes_to(rows, row.hash, data) != original:
            break
        BENIGN_FLIPS.append(row.hash)
    conn.execute(C.update().where(C.c.hash == row.hash).values(data=data))
    return Damage("flipped a bit of a stored blob", "content", row.hash)


def _bytes_of(conn, digest):
    rows = {r.hash: r for r in _rows(conn, C)}
    return contents.reconstruct(digest, rows.get)


def blob_recompressed(conn, rng):
    row = rng.choice(_rows(conn, C))
    data = _bytes_of(conn, row.hash)
    altered = _flip(data, rng)
    base = _bytes_of(conn, row.base_hash) if row.compression == contents.DELTA else None
    conn.execute(
        C.update().where(C.c.hash == row.hash).values(data=contents.compress(altered, base))
    )
    return Damage("altered the text and recompressed it, valid zstd", "content", row.hash)


def content_field(conn, rng):
    row = rng.choice(_rows(conn, C))
    name = rng.choice(["size", "chars", "compression", "depth", "base_hash", "encoding"])
    if name == "encoding":
        # Some of these read the bytes as the same text (ASCII as latin-1 or GB18030): only the
        # version.registered event's encoding tells.
        value = _other(rng, row.encoding, [None, "latin-1", "gb18030", "ascii", "utf-16-le"])
    elif name == "compression":
        value = _other(rng, row.compression, [contents.FULL, contents.DELTA, "none"])
    elif name == "base_hash":
        value = _other(rng, row.base_hash, [r.hash for r in _rows(conn, C)] + [None])
        if value == row.hash:
            value = (
                None
                if row.base_hash is not None
                else _other(rng, row.hash, [r.hash for r in _rows(conn, C)])
            )
    else:
        value = getattr(row, name) + rng.choice([1, -1, 7])
    conn.execute(C.update().where(C.c.hash == row.hash).values({name: value}))
    return Damage(f"changed content.{name}", "content", row.hash)


def swap_contents(conn, rng):
    a, b = rng.sample(_rows(conn, C), 2)
    conn.execute(
        C.update()
        .where(C.c.hash == a.hash)
        .values(data=b.data, compression=b.compression, base_hash=b.base_hash, depth=b.depth)
    )
    conn.execute(
        C.update()
        .where(C.c.hash == b.hash)
        .values(data=a.data, compression=a.compression, base_hash=a.base_hash, depth=a.depth)
    )
    return Damage("swapped two contents' stored bytes", "content", a.hash)


def version_field(conn, rng):
    rows = _rows(conn, V)
    row = rng.choice(rows)
    name = rng.choice(
        [
            "document_id",
            "number",
            "content_hash",
            "label",
            "source",
            "captured_at",
            "registered_at",
            "meta",
        ]
    )
    values = {}
    if name == "document_id":
        values = {
            "document_id": _other(rng, row.document_id, [r.id for r in _rows(conn, D)]),
            "number": 900 + row.id,
        }
    elif name == "number":
        values = {"number": row.number + 100}
    elif name == "content_hash":
        values = {"content_hash": _other(rng, row.content_hash, [r.hash for r in _rows(conn, C)])}
    elif name == "meta":
        meta = dict(row.meta)
        if meta and rng.random() < 0.5:
            meta[rng.choice(list(meta))] = "forged"
        else:
            meta["added"] = "x"
        values = {"meta": meta}
    elif name == "label":
        values = {"label": _other(rng, row.label, [None, "retracted", "first take!"])}
    elif name == "captured_at":
        values = {"captured_at": _other(rng, row.captured_at, [None, "1999-01-01", "2024-03-02"])}
    else:
        old = getattr(row, name) or "x"
        values = {name: old[:-1] + ("0" if old[-1] != "0" else "1")}
    conn.execute(V.update().where(V.c.id == row.id).values(values))
    return Damage(f"changed version.{name}", "version", str(row.id))


def link_field(conn, rng):
    rows = _rows(conn, L)
    row = rng.choice(rows)
    name = rng.choice(["relation", "child_id", "parent_id"])
    if name == "relation":
        value = _other(rng, row.relation, RELATIONS)
    else:
        pairs = {(r.child_id, r.parent_id) for r in rows}
        ids = [v.id for v in _rows(conn, V)]
        options = []
        for vid in ids:
            child, parent = (vid, row.parent_id) if name == "child_id" else (row.child_id, vid)
            if child != parent and (child, parent) not in pairs:
                options.append(vid)
        value = rng.choice(options)
    conn.execute(L.update().where(L.c.id == row.id).values({name: value}))
    return Damage(f"changed link.{name}", "link", str(row.id))


def edit_field(conn, rng):
    row = rng.choice(_rows(conn, E))
    name = rng.choice(
        ["edits", "edit_count", "inserted", "deleted", "similarity", "complete", "engine"]
    )
    if name == "edits":
        edits = [list(e) for e in row.edits]
        if edits:
            e = rng.choice(edits)
            k = rng.randrange(5)
            e[k] = (e[k] + "!") if k == 4 else e[k] + 1
        else:
            edits = [[0, 0, 0, 1, "x"]]
        value = edits
    elif name == "similarity":
        value = row.similarity / 2 + 0.01
    elif name == "complete":
        value = not row.complete
    elif name == "engine":
        value = row.engine + "-forged"
    else:
        value = getattr(row, name) + 1
    conn.execute(E.update().where(E.c.link_id == row.link_id).values({name: value}))
    return Damage(f"changed edit_record.{name}", "edit_record", str(row.link_id))


def document_field(conn, rng):
    row = rng.choice(_rows(conn, D))
    if rng.random() < 0.5:
        conn.execute(D.update().where(D.c.id == row.id).values(key=row.key + "-x"))
        return Damage("changed document.key", "document", str(row.id))
    conn.execute(D.update().where(D.c.id == row.id).values(created_at="2000-01-01T00:00:00Z"))
    return Damage("changed document.created_at", "document", str(row.id))


def sighting_field(conn, rng):
    """A sighting moved to another version or another day, its source or metadata changed,
    one forged into the table or one deleted: the page "seen" where or when it was not."""
    rows = _rows(conn, S)
    row = rng.choice(rows)
    name = rng.choice(
        ["version_id", "source", "captured_at", "recorded_at", "meta", "forged", "deleted"]
    )
    if name == "deleted":
        conn.execute(S.delete().where(S.c.id == row.id))
        return Damage("deleted a sighting", "sighting", str(row.id))
    if name == "forged":
        new_id = max(r.id for r in rows) + 1
        values = {c: getattr(row, c) for c in ("version_id", "source", "recorded_at", "meta")}
        conn.execute(S.insert().values(id=new_id, captured_at="2019-01-01", **values))
        return Damage("forged a sighting", "sighting", str(new_id))
    versions = [r.id for r in _rows(conn, V)]
    value = {
        "version_id": _other(rng, row.version_id, versions),
        "source": (row.source or "") + " (forged)",
        "captured_at": "2019-01-01",
        "recorded_at": "2001-01-01T00:00:00Z",
        "meta": {**row.meta, "crawl": "forged"},
    }[name]
    conn.execute(S.update().where(S.c.id == row.id).values({name: value}))
    return Damage(f"changed sighting.{name}", "sighting", str(row.id))


def delete_row(conn, rng):
    table = rng.choice([V, L, E, D, C])
    row = rng.choice(_rows(conn, table))
    key = table.primary_key.columns.values()[0]
    conn.execute(table.delete().where(key == getattr(row, key.name)))
    return Damage(f"deleted a {table.name} row", table.name, str(getattr(row, key.name)))


def event_char(conn, rng):
    row = rng.choice(_rows(conn, EV))
    i = rng.randrange(len(row.body))
    ch = _other(rng, row.body[i], list('abc019"{}:,x '))
    body = row.body[:i] + ch + row.body[i + 1 :]
    conn.execute(EV.update().where(EV.c.seq == row.seq).values(body=body))
    return Damage(f"changed one character of event {row.seq}", "event", event=row.seq)


def event_field(conn, rng):
    """Rewrite an event canonically, changing who acted or when, and the column that
    repeats it: nothing but a checkpoint can tell."""
    row = rng.choice(_rows(conn, EV))
    obj = json.loads(row.body)
    name = rng.choice(["actor", "time"])
    obj[name] = "mallory" if name == "actor" else "2001-01-01T00:00:00Z"
    if obj[name] == json.loads(row.body)[name]:
        obj[name] = "eve"
    conn.execute(
        EV.update().where(EV.c.seq == row.seq).values(body=audit.canonical(obj), **{name: obj[name]})
    )
    return Damage(f"rewrote event {row.seq}'s {name} canonically", "checkpoint")


def event_column(conn, rng):
    """A column repeating a field of an event changed alone: the event then hides from
    (or shows in) a search by that field."""
    row = rng.choice(_rows(conn, EV))
    roll = rng.random()
    if roll < 0.3:
        name = rng.choice(["actor", "time"])
        value = "mallory" if name == "actor" else "2001-01-01T00:00:00.000000Z"
        conn.execute(EV.update().where(EV.c.seq == row.seq).values(**{name: value}))
        return Damage(f"changed event {row.seq}'s {name} column", "event", str(row.seq))
    if roll < 0.65:
        value = _other(rng, row.kind, audit.KINDS)
        conn.execute(EV.update().where(EV.c.seq == row.seq).values(kind=value))
        return Damage(f"changed event {row.seq}'s kind column", "event", str(row.seq))
    conn.execute(EV.update().where(EV.c.seq == row.seq).values(subject=row.subject + "0"))
    return Damage(f"changed event {row.seq}'s subject column", "event", str(row.seq))


def delete_event(conn, rng):
    rows = _rows(conn, EV)
    row = rows[-1] if rng.random() < 0.3 else rng.choice(rows)
    conn.execute(EV.delete().where(EV.c.seq == row.seq))
    return Damage(f"deleted event {row.seq}", "*")


def reorder_events(conn, rng):
    a, b = rng.sample(_rows(conn, EV), 2)
    conn.execute(
        EV.update().where(EV.c.seq == a.seq).values({**b._mapping, "seq": a.seq})
    )
    conn.execute(
        EV.update().where(EV.c.seq == b.seq).values({**a._mapping, "seq": b.seq})
    )
    return Damage(f"swapped events {a.seq} and {b.seq}", "event", event=a.seq)


def append_event(conn, rng):
    rows = _rows(conn, EV)
    source = rng.choice(rows)
    obj = json.loads(source.body)
    obj["seq"] = len(rows)
    conn.execute(
        EV.insert().values(
            {**source._mapping, "seq": len(rows), "body": audit.canonical(obj)}
        )
    )
    return Damage(f"appended a copy of event {source.seq}", "*")


def extra_version(conn, rng):
    row = rng.choice(_rows(conn, V))
    values = dict(row._mapping)
    values.pop("id")
    values["number"] = 500
    conn.execute(V.insert().values(values))
    return Damage("inserted a version row no event registered", "version")


def checkpoint_change(conn, rng):
    row = rng.choice(_rows(conn, CP))
    name = rng.choice(["text", "root", "size", "timestamp", "public_key", "key_id", "origin"])
    if name == "text":
        i = rng.randrange(len(row.text) - 1)
        ch = _other(rng, row.text[i], list("AZaz09+/"))
        value = row.text[:i] + ch + row.text[i + 1 :]
    elif name == "root":
        value = _other(rng, row.root[0], list("0123456789abcdef")) + row.root[1:]
    elif name == "size":
        value = row.size - 1
    elif name == "public_key":
        from provenance import checkpoint as signing

        value = signing.generate_keypair()[1].decode()
    elif name == "key_id":
        value = "00000000"
    elif name == "origin":
        value = row.origin + ".x"
    else:
        value = "2030-01-01T00:00:00Z"
    conn.execute(CP.update().where(CP.c.id == row.id).values({name: value}))
    return Damage(f"changed checkpoint.{name}", "checkpoint", str(row.id))


def index_summary(conn, rng):
    """A column of a content_index row: its counts, signature, digest or content."""
    row = rng.choice(_rows(conn, CI))
    # Not its id: nothing refers to it (its keys are found by its chain and position).
    name = rng.choice(["shingles", "anchors", "signature", "digest", "content_hash"])
    if name == "signature":
        value = _flip(row.signature, rng)
    elif name == "digest":
        value = row.digest[:-1] + _other(rng, row.digest[-1], "0123456789abcdef")
    elif name == "content_hash":
        value = "blake3:" + "0" * 64
    else:
        value = getattr(row, name) + rng.choice([1, -1, 5])
    conn.execute(CI.update().where(CI.c.id == row.id).values({name: value}))
    return Damage(f"changed content_index.{name}", "content_index", str(row.id))


def index_normal(conn, rng):
    """A normalized hash changed, moved to another lens or index row, or deleted."""
    row = rng.choice(_rows(conn, NH))
    digest = conn.execute(sa.select(CI.c.content_hash).where(CI.c.id == row.index_id)).scalar()
    where = (NH.c.index_id == row.index_id) & (NH.c.profile == row.profile)
    action = rng.choice(["hash", "profile", "index_id", "delete"])
    if action == "delete":
        conn.execute(NH.delete().where(where))
    elif action == "hash":
        conn.execute(
            NH.update()
            .where(where)
            .values(hash=row.hash[:-1] + _other(rng, row.hash[-1], "0123456789abcdef"))
        )
    elif action == "profile":
        conn.execute(NH.update().where(where).values(profile="exact"))
    else:  # an index row that does not exist
        top = conn.execute(sa.select(sa.func.max(CI.c.id))).scalar()
        conn.execute(NH.update().where(where).values(index_id=top + 1000))
    return Damage(f"{action} of a normal_hash row", "normal_hash", f"{digest} {row.profile}")


def index_run(conn, rng):
    """A key run: its band, key, chain or ends changed, deleted, or one inserted. Each
    change moves a key into or out of some content, or leaves a run covering none."""
    runs = _rows(conn, KR)
    row = rng.choice(runs)
    taken = {(r.band, r.key, r.chain, r.lo) for r in runs}
    tails = {r.id: r.tail for r in _rows(conn, KC)}
    where = (
        (KR.c.band == row.band) & (KR.c.key == row.key) & (KR.c.chain == row.chain) & (KR.c.lo == row.lo)
    )

    def free(band=row.band, key=row.key, chain=row.chain, lo=row.lo) -> bool:
        """Whether the run's primary key with these fields changed is unused."""
        return (band, key, chain, lo) not in taken

    action = rng.choice(["band", "key", "chain", "lo", "hi", "delete", "insert"])
    if action == "delete":
        conn.execute(KR.delete().where(where))
    elif action == "insert":
        lo = rng.randrange(tails[row.chain] + 1)
        conn.execute(
            KR.insert().values(band=row.band, key=rng.randrange(2**31), chain=row.chain, lo=lo, hi=None)
        )
    elif action == "band":  # as another band's key, or an anchor's (band -1)
        bands = [b for b in (sketch.ANCHOR_BAND, *range(sketch.BANDS)) if b != row.band and free(band=b)]
        conn.execute(KR.update().where(where).values(band=rng.choice(bands)))
    elif action == "key":
        conn.execute(KR.update().where(where).values(key=row.key ^ (1 << rng.randrange(31))))
    elif action == "chain":
        chains = [c for c in tails if c != row.chain and free(chain=c)]
        conn.execute(KR.update().where(where).values(chain=rng.choice([*chains, 10**6])))
    elif action == "lo":
        lo = rng.choice([n for n in (row.lo + 1, row.lo - 1) if free(lo=n)])
        conn.execute(KR.update().where(where).values(lo=lo))
    elif row.hi is None:  # closed: at its start (a shorter run) or before it (none)
        conn.execute(KR.update().where(where).values(hi=row.lo if row.lo < tails[row.chain] else row.lo - 1))
    else:  # opened: through the chain's end
        conn.execute(KR.update().where(where).values(hi=None))
    return Damage(f"{action} of a key_run row", "key_run")


def index_one_key(conn, rng):
    """The key of a run that only the last content of its chain holds, changed."""
    tails = {r.id: r.tail for r in _rows(conn, KC)}
    row = rng.choice([r for r in _rows(conn, KR) if r.lo == tails[r.chain]])
    where = (
        (KR.c.band == row.band) & (KR.c.key == row.key) & (KR.c.chain == row.chain) & (KR.c.lo == row.lo)
    )
    conn.execute(KR.update().where(where).values(key=row.key ^ (1 << rng.randrange(31))))
    return Damage("changed key of a one-content key_run row", "key_run")


def index_place(conn, rng):
    """A content's place (chain, position) changed, or a chain's tail."""
    action = rng.choice(["chain", "pos", "tail"])
    if action == "tail":
        row = rng.choice(_rows(conn, KC))
        conn.execute(KC.update().where(KC.c.id == row.id).values(tail=row.tail + rng.choice([1, -1])))
        return Damage("changed key_chain.tail", "key_chain", str(row.id))
    row = rng.choice(_rows(conn, CI))
    value = {"chain": 10**6, "pos": row.pos + 1000}[action]
    conn.execute(CI.update().where(CI.c.id == row.id).values({action: value}))
    if action == "chain":  # in no chain
        return Damage("changed content_index.chain", "content_index", str(row.id))
    return Damage("changed content_index.pos", "key_chain", str(row.chain))  # past its tail


def index_state(conn, rng):
    row = rng.choice(_rows(conn, IS))
    conn.execute(IS.update().where(IS.c.name == row.name).values(value=row.value + "0"))
    return Damage(f"changed index_state.{row.name}", "index_state")


TAMPERS: list[Tamper] = [
    blob_byte,
    blob_recompressed,
    content_field,
    swap_contents,
    version_field,
    link_field,
    edit_field,
    document_field,
    delete_row,
    event_char,
    event_field,
    event_column,
    delete_event,
    reorder_events,
    append_event,
    extra_version,
    checkpoint_change,
    index_summary,
    index_normal,
    index_run,
    index_place,
    index_state,
    sighting_field,  # last: the draws of the others stay as they were
]


def _loosen(conn: sa.Connection) -> None:
    """Let one transaction break foreign keys, as someone editing the database could."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    else:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")


@contextmanager
def _tampered(
    conn: sa.Connection, tamper: Tamper, rng: random.Random
) -> Iterator[tuple[Damage, Session]]:
    """One change behind the tool's back and a session that sees it; rolled back after."""
    trans = conn.begin()
    try:
        _loosen(conn)
        damage = tamper(conn, rng)
        with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
            yield damage, session
    finally:
        trans.rollback()


def _caught(report: verifying.VerifyReport, damage: Damage) -> bool:
    if report.ok:
        return False
    if damage.table == "*":
        return True
    if damage.table == "index":
        return any(p.check == "index" for p in report.problems)
    if damage.event is not None:
        return any(
            p.event == damage.event or p.row == str(damage.event) or p.table == "checkpoint"
            for p in report.problems
        )
    return any(
        p.table == damage.table and (damage.row is None or p.row == damage.row)
        for p in report.problems
    )


@pytest.fixture
def populated(engine, tmp_path):
    return populate(engine, tmp_path)


def test_an_untouched_archive_verifies_clean_on_every_check(engine, populated):
    from provenance import checkpoint as signing

    with store.reader(engine) as s:
        report = verifying.verify(s, public_key=signing.load_public_key(populated.public_key))
    assert report.ok, report.problems
    assert report.checkpoints == 2 and report.signatures == "given key"
    assert report.contents_checked == report.contents > 5
    with store.reader(engine) as s:
        assert verifying.verify(s, quick=True).ok


def _remember_index_fingerprints(monkeypatch) -> None:
    """Recompute each text's index rows once, not on each of a thousand verifies.

    Sound here: the rows are a function of the text alone, and verify only
    recomputes them from bytes that hash to their content hash.
    """
    real = verifying._expected_index
    seen: dict[str, object] = {}

    def remembered(text):
        if text not in seen:
            seen[text] = real(text)
        return seen[text]

    monkeypatch.setattr(verifying, "_expected_index", remembered)


def test_every_random_single_change_behind_the_tools_back_is_caught(engine, populated, monkeypatch):
    _remember_index_fingerprints(monkeypatch)
    rng = random.Random(20241123)
    n = COUNTS[engine.dialect.name]
    missed = []
    kinds: dict[str, int] = {}
    started = time.perf_counter()
    with engine.connect() as conn:
        for i in range(n):
            tamper = TAMPERS[i % len(TAMPERS)]
            with _tampered(conn, tamper, rng) as (damage, session):
                report = verifying.verify(session)
            kinds[tamper.__name__] = kinds.get(tamper.__name__, 0) + 1
            if not _caught(report, damage):
                missed.append((damage, report.problems[:3]))
    elapsed = time.perf_counter() - started
    assert not missed, f"{len(missed)} of {n} changes not caught, e.g. {missed[:3]}"
    assert len(kinds) == len(TAMPERS)
    print(
        f"\n{engine.dialect.name}: {n} tampers caught in {elapsed:.1f}s; {len(BENIGN_FLIPS)} benign bit flips redrawn"
    )
    # The rollbacks left the archive untouched.
    with store.reader(engine) as s:
        assert verifying.verify(s).ok


def test_forked_fixity_workers_find_exactly_what_the_check_in_process_finds(
    engine, populated, monkeypatch
):
    """Large archives hash their contents in forked workers: same findings, same counts,
    whether in one round or in many (here each task is its own round)."""
    monkeypatch.setattr(fixity, "PARALLEL_MIN_BYTES", 0)
    rng = random.Random(11)
    content_damage = [blob_byte, blob_recompressed, content_field, swap_contents, delete_row]
    with engine.connect() as conn:
        for i in range(15):
            tamper = content_damage[i % len(content_damage)]
            with _tampered(conn, tamper, rng) as (damage, session):
                alone = verifying.verify(session, processes=0)
                forked = verifying.verify(session, processes=2)
                with monkeypatch.context() as patch:
                    patch.setattr(fixity, "ROUND_BYTES", 1)
                    rounds = verifying.verify(session, processes=2)
            assert _caught(alone, damage), (damage, alone.problems[:3])
            for report in (forked, rounds):
                assert report.problems == alone.problems, damage
                assert (report.contents_checked, report.bytes_checked) == (
                    alone.contents_checked,
                    alone.bytes_checked,
                )
    with store.reader(engine) as s:
        clean = verifying.verify(s, processes=2)
    assert clean.ok and clean.contents_checked == clean.contents


def _clone(db_url: str, request, tmp_path: Path, n: int) -> str:
    if db_url.startswith("sqlite"):
        source = Path(db_url.removeprefix("sqlite:///"))
        target = tmp_path / f"copy{n}.db"
        shutil.copyfile(source, target)
        return store.to_url(str(target))
    server = request.getfixturevalue("pg_server")
    name = sa.engine.make_url(db_url).database
    copy = f"{name}_c{n}"
    admin = server.admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    admin.dispose()
    request.addfinalizer(lambda: server.drop_database(copy))
    return server.url(copy)


def test_prov_verify_exits_1_and_names_the_damage_on_a_tampered_copy(
    db_url, engine, populated, request, tmp_path
):
    clean = runner.invoke(app, ["--db", db_url, "verify", "--key", str(populated.public_key)])
    assert clean.exit_code == 0, clean.output
    assert clean.stdout.startswith("OK")
    engine.dispose()
    rng = random.Random(5)
    for n, tamper in enumerate(TAMPERS):
        url = _clone(db_url, request, tmp_path, n)
        # A plain engine: SQLite's foreign keys stay off, as in any sqlite3 shell.
        eng = sa.create_engine(url)
        with eng.begin() as conn:
            if conn.dialect.name != "sqlite":
                _loosen(conn)
            damage = tamper(conn, rng)
        eng.dispose()
        result = runner.invoke(app, ["--db", url, "verify", "--json"])
        assert result.exit_code == 1, (damage, result.output)
        report = json.loads(result.stdout)
        assert not report["ok"] and report["problems"]
        if damage.table not in ("*",):
            assert any(p["table"] == damage.table for p in report["problems"]), (damage, report["problems"])
        human = runner.invoke(app, ["--db", url, "verify"])
        assert human.exit_code == 1 and "problem" in human.stdout


def test_prov_verify_jobs_sets_the_worker_processes_and_reports_the_same(
    db_url, engine, populated, monkeypatch
):
    monkeypatch.setattr(fixity, "PARALLEL_MIN_BYTES", 0)
    started = []
    real = fixity.Run.__init__

    def spy(self, *args, **kwargs):
        real(self, *args, **kwargs)
        started.append(self._parallel)

    monkeypatch.setattr(fixity.Run, "__init__", spy)
    reports = {}
    for jobs in ("0", "2"):
        result = runner.invoke(app, ["--db", db_url, "verify", "--jobs", jobs, "--json"])
        assert result.exit_code == 0, result.output
        reports[jobs] = json.loads(result.stdout)
    assert started == [False, fixity._can_fork()]
    assert reports["0"] == reports["2"] and reports["0"]["ok"]
    bad = runner.invoke(app, ["--db", db_url, "verify", "--jobs", "-1"])
    assert bad.exit_code == 2 and "--jobs" in bad.output


def test_a_changed_index_row_is_named_by_recomputing_only_its_content(
    engine, populated, monkeypatch
):
    """The digest beside each content's index rows says which content changed; only its
    rows are recomputed from the text (none sampled here), and the changed row is named."""
    monkeypatch.setattr(verifying, "INDEX_SAMPLE", 0)
    with engine.connect() as conn:
        for seed in range(6):
            with _tampered(conn, index_one_key, random.Random(seed)) as (damage, session):
                report = verifying.verify(session)
            assert _caught(report, damage), (damage, report.problems[:3])
            assert report.index_checked == 1 < report.contents
        with store.reader(engine) as s:
            clean = verifying.verify(s)
    assert clean.ok and clean.index_checked == 0


def _forge_normal_hash(conn, rng):
    """A normal hash changed and the digest beside it rewritten to match: what only
    recomputing from the text can show."""
    damage = index_normal(conn, random.Random(3))
    row = conn.execute(sa.select(CI).where(CI.c.content_hash == damage.row.split()[0])).one()
    normals = {
        r.profile: r.hash for r in conn.execute(sa.select(NH).where(NH.c.index_id == row.id))
    }
    held = index.key_rows().subquery()
    keys = [tuple(r) for r in conn.execute(sa.select(held.c.band, held.c.key).where(held.c.content_id == row.id))]
    forged = index.rows_digest(
        normals, row.shingles, row.anchors, row.signature, index.key_summary(keys)
    )
    conn.execute(CI.update().where(CI.c.id == row.id).values(digest=forged))
    return damage


@pytest.mark.parametrize("damage", ["no index row", "short bytes", "text"])
def test_a_damaged_normal_hash_is_named_not_a_crash(engine, populated, damage):
    """A normal hash naming no index row is reported as that row (its content is then
    missing the hash); a stored hash that is not 32 bytes reads as what is there."""
    if damage == "text" and engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's bytea column cannot hold text")
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            _loosen(conn)
            row = _rows(conn, NH)[0]
            digest = conn.execute(sa.select(CI.c.content_hash).where(CI.c.id == row.index_id)).scalar()
            where = (NH.c.index_id == row.index_id) & (NH.c.profile == row.profile)
            if damage == "no index row":
                top = conn.execute(sa.select(sa.func.max(CI.c.id))).scalar()
                conn.execute(NH.update().where(where).values(index_id=top + 7))
            else:
                value = b"\x01\x02\x03" if damage == "short bytes" else "blake3:" + "0" * 64
                conn.exec_driver_sql(
                    "UPDATE normal_hash SET hash = ? WHERE index_id = ? AND profile = ?"
                    if engine.dialect.name == "sqlite"
                    else "UPDATE normal_hash SET hash = %s WHERE index_id = %s AND profile = %s",
                    (value, row.index_id, row.profile),
                )
            with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
                report = verifying.verify(session, deep=True)
        finally:
            trans.rollback()
    rows = {(p.table, p.row) for p in report.problems}
    assert ("normal_hash", f"{digest} {row.profile}") in rows, report.problems[:3]
    if damage == "no index row":
        assert ("normal_hash", f"{top + 7} {row.profile}") in rows
    assert not any("could not be checked" in p.message for p in report.problems)


def test_rows_forged_with_their_digest_are_named_by_the_deep_check(engine, populated):
    with (
        engine.connect() as conn,
        _tampered(conn, _forge_normal_hash, random.Random(0)) as (damage, session),
    ):
        deep = verifying.verify(session, deep=True)
    assert _caught(deep, damage), (damage, deep.problems[:3])
    assert deep.index_checked == deep.contents


def test_index_rows_without_a_digest_are_recomputed_from_their_texts(engine, populated):
    """As after the migration that added the digest, before `prov reindex`."""
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            conn.execute(CI.update().values(digest=None))
            index_one_key(conn, random.Random(0))
            with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
                report = verifying.verify(session)
        finally:
            trans.rollback()
    assert report.index_checked == report.contents
    assert {p.table for p in report.problems} == {"key_run"}


def test_when_the_system_cannot_fork_verify_checks_every_content_in_process(
    engine, populated, monkeypatch
):
    monkeypatch.setattr(fixity, "PARALLEL_MIN_BYTES", 0)

    class NoFork:
        def Pool(self, *args, **kwargs):
            raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(fixity.mp, "get_context", lambda method: NoFork())
    with store.reader(engine) as s:
        report = verifying.verify(s, processes=2)
    assert report.ok and report.contents_checked == report.contents > 5


def _delta(conn):
    return next(r for r in _rows(conn, C) if r.compression == contents.DELTA)


def _sql(statement: str, pick: Callable[[sa.Connection], dict]) -> Callable[[sa.Connection], None]:
    """Raw SQL; a parameter named ``h`` is a content hash, bound as its stored bytes."""
    text = sa.text(statement)
    if ":h" in statement:
        text = text.bindparams(sa.bindparam("h", type_=Digest))
    return lambda conn: conn.execute(text, pick(conn))


def _frame(data: bytes) -> bytes:
    """A zstd frame of any bytes, as `provenance.packed` writes them."""
    return zstandard.ZstdCompressor(write_checksum=True).compress(data)


def _event_frame(conn, seq: int) -> bytes:
    """Event ``seq``'s body as stored: its zstd frame."""
    stored = sa.type_coerce(EV.c.body, sa.LargeBinary)
    return bytes(conn.execute(sa.select(stored).where(EV.c.seq == seq)).scalar_one())


def _first_key(conn) -> dict:
    row = _rows(conn, KR)[0]
    return {"b": row.band, "k": row.key, "c": row.chain, "lo": row.lo}


# (what, table where it must show, SQLite only?, the change); each crashed verify before.
BROKEN: list[tuple[str, str, bool, Callable[[sa.Connection], None]]] = [
    (
        "a frame stored as text instead of bytes",
        "content",
        True,
        _sql(
            "UPDATE content SET data = CAST(data AS TEXT) WHERE hash = :h",
            lambda c: {"h": _delta(c).hash},
        ),
    ),
    (
        "a frame replaced by plain text",
        "content",
        True,
        _sql(
            "UPDATE content SET data = 'hello' WHERE hash = :h",
            lambda c: {"h": _rows(c, C)[0].hash},
        ),
    ),
    (
        "a truncated zstd frame",
        "content",
        False,
        lambda c: c.execute(
            C.update()
            .where(C.c.hash == _delta(c).hash)
            .values(data=_delta(c).data[: len(_delta(c).data) // 2])
        ),
    ),
    (
        "a delta whose base row was deleted",
        "content",
        False,
        lambda c: c.execute(C.delete().where(C.c.hash == _delta(c).base_hash)),
    ),
    (
        "a delta that names no base",
        "content",
        False,
        lambda c: c.execute(C.update().where(C.c.hash == _delta(c).hash).values(base_hash=None)),
    ),
    (
        "a size column holding text",
        "content",
        True,
        _sql(
            "UPDATE content SET size = 'big' WHERE hash = :h", lambda c: {"h": _rows(c, C)[0].hash}
        ),
    ),
    (
        "a depth column holding text",
        "content",
        True,
        _sql(
            "UPDATE content SET depth = 'deep' WHERE hash = :h",
            lambda c: {"h": _delta(c).base_hash},
        ),
    ),
    (
        "an edit record whose JSON is not a list",
        "edit_record",
        False,
        _sql(
            "UPDATE edit_record SET edits = :v WHERE link_id = :i",
            lambda c: {"v": packed.pack({"a": 1}), "i": _rows(c, E)[0].link_id},
        ),
    ),
    (
        "an edit record whose edits are not UTF-8",
        "edit_record",
        False,
        _sql(
            "UPDATE edit_record SET edits = :v WHERE link_id = :i",
            lambda c: {"v": _frame(b"\x00\xff"), "i": _rows(c, E)[0].link_id},
        ),
    ),
    (
        "an edit record whose edits are JSON text, not a frame",
        "edit_record",
        True,
        _sql(
            "UPDATE edit_record SET edits = '[]' WHERE link_id = :i",
            lambda c: {"i": _rows(c, E)[0].link_id},
        ),
    ),
    (
        "an edit record whose frame is cut short",
        "edit_record",
        False,
        _sql(
            "UPDATE edit_record SET edits = :v WHERE link_id = :i",
            lambda c: {"v": packed.pack([[0, 1, 0, 1, "x"]])[:-3], "i": _rows(c, E)[0].link_id},
        ),
    ),
    (
        "an edit record given a detail its event does not hash",
        "edit_record",
        False,
        _sql(
            "UPDATE edit_record SET detail = :v WHERE link_id = :i",
            lambda c: {"v": packed.pack({"passages": []}), "i": _rows(c, E)[0].link_id},
        ),
    ),
    (
        "an edit record's complete flag holding text",
        "edit_record",
        True,
        _sql(
            "UPDATE edit_record SET complete = 'yes' WHERE link_id = :i",
            lambda c: {"i": _rows(c, E)[0].link_id},
        ),
    ),
    (
        "an edit record's complete flag holding 2 (which reads as true)",
        "edit_record",
        True,
        _sql(
            "UPDATE edit_record SET complete = 2 WHERE link_id = :i",
            lambda c: {"i": _rows(c, E)[0].link_id},
        ),
    ),
    (
        "a version's registered_at holding bytes",
        "version",
        True,
        _sql(
            "UPDATE version SET registered_at = X'00ff' WHERE id = :i",
            lambda c: {"i": _rows(c, V)[0].id},
        ),
    ),
    (
        "an event's seq holding text",
        "event",
        True,
        _sql("UPDATE event SET seq = 'one' WHERE seq = 1", lambda c: {}),
    ),
    (
        "an index key holding text",
        "key_run",
        True,
        _sql(
            "UPDATE key_run SET key = 'x' WHERE band = :b AND key = :k AND chain = :c AND lo = :lo",
            _first_key,
        ),
    ),
    (
        "an event's body stored as text, not a frame",
        "event",
        True,
        _sql("UPDATE event SET body = '{}' WHERE seq = 1", lambda c: {}),
    ),
    (
        "an event's frame cut short",
        "event",
        False,
        _sql("UPDATE event SET body = :b WHERE seq = 1", lambda c: {"b": _event_frame(c, 1)[:-3]}),
    ),
    (
        "a signature stored as text",
        "content_index",
        True,
        _sql(
            "UPDATE content_index SET signature = 'sig' WHERE id = :i",
            lambda c: {"i": _rows(c, CI)[0].id},
        ),
    ),
]


def test_broken_values_are_problems_never_crashes(engine, populated):
    """Each of these raised out of verify before; now each is a problem naming its table."""
    sqlite = engine.dialect.name == "sqlite"
    cases = [case for case in BROKEN if sqlite or not case[2]]  # PostgreSQL's types forbid the rest
    with engine.connect() as conn:
        for what, table, _, change in cases:

            def tamper(conn, rng, change=change, what=what, table=table):
                assert change(conn).rowcount == 1, f"{what}: the damage must touch one row"
                return Damage(what, table)

            with _tampered(conn, tamper, random.Random(0)) as (damage, session):
                report = verifying.verify(session)
                quick = verifying.verify(session, quick=True)
            assert _caught(report, damage), (what, report.problems[:3])
            assert not quick.ok, what


def _backdate(conn: sa.Connection, when: str) -> int:
    """The latest registration, event and row alike, given the time ``when``: what
    a registration forged into the log after the last checkpoint looks like."""
    row = conn.execute(
        sa.select(EV).where(EV.c.kind == "version.registered").order_by(EV.c.seq.desc())
    ).first()
    event = json.loads(row.body)
    event["time"] = event["version"]["registered_at"] = when
    conn.execute(
        EV.update().where(EV.c.seq == row.seq).values(body=audit.canonical(event), time=when)
    )
    conn.execute(V.update().where(V.c.id == event["version"]["id"]).values(registered_at=when))
    return row.seq


def test_an_event_dated_before_the_events_it_follows_is_named(engine, populated):
    """Issue 12: a registration forged into the tables after the last checkpoint with
    a 2019 date, its row and its event agreeing, was invisible to verify."""
    with engine.connect() as conn:

        for when in ("2019-03-01T00:00:00.000000Z", "2019-03-01T08:00:00+08:00"):

            def tamper(conn, rng, when=when):
                return Damage("a backdated registration", "event", event=_backdate(conn, when))

            with _tampered(conn, tamper, random.Random(0)) as (damage, session):
                report = verifying.verify(session)
            backwards = [p for p in report.problems if "go backwards" in p.message]
            assert backwards and backwards[0].event == damage.event, report.problems[:3]


def test_event_times_within_the_clock_slack_are_not_a_problem(engine, populated):
    """Two writers' clocks may differ by seconds: an event a second before the one
    it follows is not damage."""
    with engine.connect() as conn:

        def tamper(conn, rng):
            last = conn.execute(sa.select(EV).order_by(EV.c.seq.desc())).first()
            before = datetime.fromisoformat(json.loads(last.body)["time"])
            earlier = (before - timedelta(seconds=1)).isoformat(timespec="microseconds")
            return Damage("clock skew", "*", event=_backdate(conn, earlier.replace("+00:00", "Z")))

        with _tampered(conn, tamper, random.Random(0)) as (_, session):
            report = verifying.verify(session)
        assert not [p for p in report.problems if "go backwards" in p.message]


def _swap_linked_contents(conn: sa.Connection) -> int:
    """A link's parent and child given each other's content, rows and events alike."""
    link = _rows(conn, L)[0]
    ids = (link.parent_id, link.child_id)
    hashes = {r.id: r.content_hash for r in conn.execute(sa.select(V).where(V.c.id.in_(ids)))}
    swapped = {ids[0]: hashes[ids[1]], ids[1]: hashes[ids[0]]}
    for row in conn.execute(sa.select(EV).where(EV.c.kind == "version.registered")).all():
        event = json.loads(row.body)
        vid = event["version"]["id"]
        if vid in swapped:
            event["version"]["content_hash"] = swapped[vid]
            conn.execute(EV.update().where(EV.c.seq == row.seq).values(body=audit.canonical(event)))
    for vid, h in swapped.items():
        conn.execute(V.update().where(V.c.id == vid).values(content_hash=h))
    return link.id


def test_an_encoding_changed_to_one_reading_the_same_text_is_named(engine, populated):
    with store.reader(engine) as s:
        assert verifying.verify(s).ok
    with engine.begin() as conn:
        _loosen(conn)
        row = next(r for r in _rows(conn, C) if r.encoding is None and _bytes_of(conn, r.hash).isascii())
        conn.execute(C.update().where(C.c.hash == row.hash).values(encoding="latin-1"))
    with store.reader(engine) as s:
        report = verifying.verify(s)
    named = [p for p in report.problems if p.table == "content" and p.row == row.hash]
    assert named and all(p.field == "encoding" for p in named), report.problems
    assert len(named) == 1  # one finding for the content, not one per version holding it


def test_an_archive_whose_events_predate_the_encoding_field_still_verifies(engine, populated):
    # Events written before version.registered carried its bytes' encoding have no such field:
    # they are well formed, and their contents' encodings are simply not covered by the log.
    events = Event.__table__
    with engine.begin() as conn:
        for seq, body in conn.execute(sa.select(events.c.seq, events.c.body)).all():
            obj = json.loads(body)
            if obj["kind"] == "version.registered":
                del obj["version"]["encoding"]
                conn.execute(events.update().where(events.c.seq == seq).values(body=audit.canonical(obj)))
    with store.reader(engine) as s:
        report = verifying.verify(s)  # no key: the checkpoints' roots differ now, as they must
    assert [p for p in report.problems if p.table != "checkpoint"] == []


def test_contents_swapped_between_linked_versions_in_rows_and_events_are_named(engine, populated):
    """Issue 12: the rows and the events agree, each content is intact, and the
    stored edits still hash as their event says; only replaying them shows it."""
    with engine.connect() as conn:

        def tamper(conn, rng):
            return Damage("swapped contents", "edit_record", row=str(_swap_linked_contents(conn)))

        with _tampered(conn, tamper, random.Random(0)) as (damage, session):
            report = verifying.verify(session)
            quick = verifying.verify(session, quick=True)
        named = [p for p in report.problems if p.table == "edit_record" and "does not turn" in p.message]
        assert named and named[0].row == damage.row, report.problems[:3]
        assert not quick.ok  # a small archive: the quick sample holds every link


def test_prov_verify_exits_1_on_a_frame_stored_as_text(
    db_url, engine, populated, request, tmp_path
):
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's bytea column cannot hold text")
    engine.dispose()
    url = _clone(db_url, request, tmp_path, 99)
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        BROKEN[0][3](conn)
    eng.dispose()
    result = runner.invoke(app, ["--db", url, "verify", "--json"])
    assert result.exit_code == 1, result.output
    problems = json.loads(result.stdout)["problems"]
    assert any(p["table"] == "content" and "not bytes" in p["message"] for p in problems), problems


def test_token_rows_changed_behind_the_tools_back_are_named(engine, populated):
    """An API token forged into the table, given a secret someone knows, un-revoked or
    deleted: each is a problem naming the token's row, since its events say otherwise."""
    from provenance import tokens
    from provenance.models import ApiToken

    with store.transaction(engine) as s:
        kept = tokens.create(s, "ingest-bot", "write", actor="alice")
        tokens.create(s, "old-bot", "write", actor="alice")
        tokens.revoke(s, "old-bot", actor="alice")
    with store.reader(engine) as s:
        assert verifying.verify(s).ok
        ids = {t.name: t.id for t in s.exec(sa.select(ApiToken)).scalars()}
    T = ApiToken.__table__
    known = tokens.secret_hash("prov_a-secret-mallory-knows")
    cases = {
        "a forged admin token": (
            lambda conn: conn.execute(
                T.insert().values(
                    name="mallory", scope="admin", hash=known, created_at="2026-01-01T00:00:00Z"
                )
            ),
            "mallory",
            "has no token.created event",
        ),
        "a token's hash replaced": (
            lambda conn: conn.execute(T.update().where(T.c.name == "ingest-bot").values(hash=known)),
            "ingest-bot",
            "hash_prefix",
        ),
        "a token's scope raised": (
            lambda conn: conn.execute(T.update().where(T.c.name == "ingest-bot").values(scope="admin")),
            "ingest-bot",
            "scope",
        ),
        "a revoked token made valid again": (
            lambda conn: conn.execute(T.update().where(T.c.name == "old-bot").values(revoked_at=None)),
            "old-bot",
            "revoked_at",
        ),
        "a token's row deleted": (
            lambda conn: conn.execute(T.delete().where(T.c.name == "ingest-bot")),
            "ingest-bot",
            "the row is missing",
        ),
    }
    with engine.connect() as conn:
        for what, (change, name, needle) in cases.items():

            def tamper(conn, rng, change=change, what=what):
                change(conn)
                return Damage(what, "api_token")

            with _tampered(conn, tamper, random.Random(0)) as (_, session):
                token_id = ids.get(name) or session.execute(
                    sa.select(T.c.id).where(T.c.name == name)
                ).scalar_one()
                report = verifying.verify(session)
            named = [p for p in report.problems if p.table == "api_token" and p.row == str(token_id)]
            assert named and needle in named[0].message, (what, report.problems[:3])
    assert kept.secret not in json.dumps([p.message for p in report.problems])
