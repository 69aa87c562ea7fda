"""The audit log: one event per change to the record, appended and never rewritten.

Every change (a document created, a version registered, a link added, a
version's label or metadata changed, a version sighted again, an API token made or revoked) appends one *event*: a JSON object
written canonically (keys sorted, no spaces, UTF-8 kept as is) so that the
same event always has the same bytes. Those bytes are a leaf of the Merkle
tree in `provenance.merkle`; the tree's size and root follow from the events
alone.

An event carries ``seq`` (its 0-based position), ``kind``, ``time``,
``actor`` and the full content of what it created or changed, so that
`provenance.verify` can check each row of the record against the event that
made it. The kinds and their payloads:

- ``document.created``: ``document`` = {id, key, created_at}
- ``version.registered``: ``version`` = {id, document, document_id, number,
  content_hash, label, source, captured_at, registered_at, meta, encoding}:
  ``encoding`` is the encoding its bytes are stored and read in (None:
  UTF-8), so that an encoding changed behind the tool's back is found even
  where it reads the bytes as the same text; events written before it was
  added have no ``encoding``
- ``link.added``: ``link`` = {id, child, parent, relation} and
  ``edit_record`` = BLAKE3 of the canonical JSON of the stored edit record
  (see `edit_record_hash`)
- ``version.annotated``: ``version`` (its id), ``old`` and ``new`` = {label, meta}
- ``version.sighted``: ``sighting`` = {id, version, source, captured_at,
  recorded_at, meta}: a version's exact bytes seen again, recorded as a
  sighting of it instead of a new version (`provenance.sightings`); its time
  is the row's ``recorded_at``, its subject the version's (``version:12``)
- ``import.run``: ``import`` = {manifest, manifest_hash, versions}: a bulk
  registration (`provenance.importer`), after the events of the versions it
  registered, naming its source (a manifest, folder, repository or web
  archive) by its path and a BLAKE3 hash (see `provenance.importer.Collection`)
- ``token.created``: ``token`` = {id, name, scope, hash_prefix}: an API token
  made (`provenance.tokens`); ``hash_prefix`` is the first 16 hex digits of the
  SHA-256 of its secret, enough to tell a row's hash replaced behind the
  tool's back and too few to stand for the secret. Never the secret, never
  the whole hash.
- ``token.revoked``: ``token`` as above, the token made invalid (its time is
  the row's ``revoked_at``)

Appending takes the log's lock: on PostgreSQL a transaction-level advisory
lock, on SQLite the write lock every write transaction starts with
(``BEGIN IMMEDIATE``, see `provenance.store.transaction`). So concurrent
writers get consecutive ``seq`` numbers in commit order, never the same one.

The actor is whoever the caller says acts (the CLI resolves ``--as``, then
``PROV_USER``, then the OS user); this module never reads the environment.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from blake3 import blake3
from sqlmodel import Session

from provenance import merkle, plain
from provenance.models import ApiToken, Document, EditRecord, Event, Link, Sighting, Version
from provenance.store import WRITE_LOCK_KEY, holds_write_lock

UNKNOWN_ACTOR = "unknown"
ENV_USER = "PROV_USER"


def default_actor() -> str:
    """Who acts when nobody says: ``$PROV_USER``, else the OS user, else `UNKNOWN_ACTOR`."""
    env = os.environ.get(ENV_USER, "").strip()
    if env:
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return UNKNOWN_ACTOR
"""The actor recorded when a library caller does not say who acts."""

KINDS = (
    "document.created",
    "version.registered",
    "link.added",
    "version.annotated",
    "version.sighted",
    "import.run",
    "token.created",
    "token.revoked",
)

# Any fixed 64-bit number: the key of the PostgreSQL advisory lock guarding the log head.
_PG_LOCK_KEY = WRITE_LOCK_KEY  # the writers' lock: taking it again in a write is free


def canonical(value: Any) -> str:
    """The canonical JSON text of ``value``: sorted keys, no spaces, non-ASCII kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_leaf_hash(body: str) -> bytes:
    """The Merkle leaf hash of an event's canonical JSON."""
    return merkle.leaf_hash(body.encode("utf-8"))


def edit_record_fields(record: EditRecord | dict[str, Any]) -> dict[str, Any]:
    """The stored fields of an edit record (all but its link id), as one JSON object.

    ``detail`` is left out when it is None, so that records written before it
    existed hash as they did then.
    """
    get = record.get if isinstance(record, dict) else lambda k: getattr(record, k, None)
    fields = {
        "edits": get("edits"),
        "edit_count": get("edit_count"),
        "inserted": get("inserted"),
        "deleted": get("deleted"),
        "similarity": get("similarity"),
        "complete": get("complete"),
        "engine": get("engine"),
    }
    detail = get("detail")
    if detail is not None:
        fields["detail"] = detail
    return fields


def edit_record_hash(record: EditRecord | dict[str, Any]) -> str:
    """``blake3:<hex>`` of the canonical JSON of an edit record's stored fields."""
    return "blake3:" + blake3(canonical(edit_record_fields(record)).encode("utf-8")).hexdigest()


def document_payload(document: Document) -> dict[str, Any]:
    return {"id": document.id, "key": document.key, "created_at": document.created_at}


def version_payload(version: Version, document_key: str, encoding: str | None) -> dict[str, Any]:
    return {
        "id": version.id,
        "document": document_key,
        "document_id": version.document_id,
        "number": version.number,
        "content_hash": version.content_hash,
        "label": version.label,
        "source": version.source,
        "captured_at": version.captured_at,
        "registered_at": version.registered_at,
        "meta": dict(version.meta or {}),
        "encoding": encoding,
    }


def link_payload(link: Link) -> dict[str, Any]:
    return {
        "id": link.id,
        "child": link.child_id,
        "parent": link.parent_id,
        "relation": link.relation,
    }


def sighting_payload(sighting: Sighting) -> dict[str, Any]:
    return {
        "id": sighting.id,
        "version": sighting.version_id,
        "source": sighting.source,
        "captured_at": sighting.captured_at,
        "recorded_at": sighting.recorded_at,
        "meta": dict(sighting.meta or {}),
    }


TOKEN_HASH_DIGITS = 16
"""How many hex digits of a token's SHA-256 its events carry (64 bits)."""


def token_hash_prefix(stored_hash: str) -> str:
    """The first `TOKEN_HASH_DIGITS` hex digits of a token's stored ``sha256:<hex>`` hash."""
    return stored_hash.removeprefix("sha256:")[:TOKEN_HASH_DIGITS]


def token_payload(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "scope": token.scope,
        "hash_prefix": token_hash_prefix(token.hash),
    }


# -- appending -----------------------------------------------------------------

_INSERT = Event.__table__.insert()


@dataclass(frozen=True, slots=True)
class Appended:
    """An event just appended."""

    seq: int
    kind: str
    subject: str
    body: str


def lock(session: Session) -> None:
    """Hold the log's lock until the transaction ends (PostgreSQL; SQLite already holds it).

    A transaction of `provenance.store.transaction` holds it from its start: not asked again."""
    if session.get_bind().dialect.name == "postgresql" and not holds_write_lock(session):
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


_NEXT_SEQ = "provenance.audit.next_seq"


def _next_seq(session: Session) -> int:
    """The seq of the next event: the log's head read once per transaction, under its lock.

    Holding the lock, this transaction is the log's only writer until it ends, and
    every event it appends goes through `append`: the head after its first append
    is known without asking. Kept per transaction (a new one reads it again)."""
    transaction = session.get_transaction()
    known = session.info.get(_NEXT_SEQ)
    if known is not None and transaction is not None and known[0] is transaction:
        return known[1]
    lock(session)
    last = session.execute(_HEAD).scalar_one()
    return 0 if last is None else last + 1


_HEAD = sa.select(sa.func.max(Event.__table__.c.seq))


def append(
    session: Session, kind: str, subject: str, actor: str, time: str, payload: dict[str, Any]
) -> Appended:
    """Append one event; returns it (written with a plain INSERT, not added to the session)."""
    seq = _next_seq(session)
    body = canonical({"seq": seq, "kind": kind, "time": time, "actor": actor, **payload})
    row = {"seq": seq, "kind": kind, "subject": subject, "body": body}
    plain.run(session, _INSERT, {**row, "actor": actor, "time": time})
    session.info[_NEXT_SEQ] = (session.get_transaction(), seq + 1)
    return Appended(**row)


def document_created(session: Session, document: Document, actor: str) -> Appended:
    return append(
        session,
        "document.created",
        f"document:{document.id}",
        actor,
        document.created_at,
        {"document": document_payload(document)},
    )


def version_registered(
    session: Session, version: Version, document_key: str, actor: str, encoding: str | None
) -> Appended:
    """``encoding``: the stored content's (`provenance.contents.reading`), None for UTF-8."""
    return append(
        session,
        "version.registered",
        f"version:{version.id}",
        actor,
        version.registered_at,
        {"version": version_payload(version, document_key, encoding)},
    )


def link_added(
    session: Session, link: Link, record: EditRecord | dict[str, Any], actor: str, time: str
) -> Appended:
    return append(
        session,
        "link.added",
        f"link:{link.id}",
        actor,
        time,
        {"link": link_payload(link), "edit_record": edit_record_hash(record)},
    )


def version_annotated(
    session: Session,
    version_id: int,
    old: dict[str, Any],
    new: dict[str, Any],
    actor: str,
    time: str,
) -> Appended:
    return append(
        session,
        "version.annotated",
        f"version:{version_id}",
        actor,
        time,
        {"version": version_id, "old": old, "new": new},
    )


def version_sighted(session: Session, sighting: Sighting, actor: str) -> Appended:
    return append(
        session,
        "version.sighted",
        f"version:{sighting.version_id}",
        actor,
        sighting.recorded_at,
        {"sighting": sighting_payload(sighting)},
    )


def import_subject(manifest_hash: str) -> str:
    """The subject column of an import event (it holds 64 characters: a short hash)."""
    return "import:" + manifest_hash.removeprefix("blake3:")[:32]


def import_run(
    session: Session,
    manifest: str,
    manifest_hash: str,
    version_ids: list[int],
    actor: str,
    time: str,
) -> Appended:
    return append(
        session,
        "import.run",
        import_subject(manifest_hash),
        actor,
        time,
        {"import": {"manifest": manifest, "manifest_hash": manifest_hash, "versions": version_ids}},
    )


def token_created(session: Session, token: ApiToken, actor: str) -> Appended:
    return append(
        session,
        "token.created",
        f"token:{token.id}",
        actor,
        token.created_at,
        {"token": token_payload(token)},
    )


def token_revoked(session: Session, token: ApiToken, actor: str) -> Appended:
    assert token.revoked_at is not None
    return append(
        session,
        "token.revoked",
        f"token:{token.id}",
        actor,
        token.revoked_at,
        {"token": token_payload(token)},
    )


# -- reading -------------------------------------------------------------------


def event_bodies(session: Session, limit: int | None = None) -> Iterator[tuple[int, str]]:
    """(seq, body) of the events in order, the first ``limit`` of them if given."""
    table = Event.__table__
    query = sa.select(table.c.seq, table.c.body).order_by(table.c.seq)
    if limit is not None:
        query = query.limit(limit)
    yield from session.execute(query.execution_options(yield_per=2000))


def leaf_hashes(session: Session, limit: int | None = None) -> list[bytes]:
    """The leaf hashes of the events in order (the first ``limit`` if given)."""
    return [event_leaf_hash(body) for _, body in event_bodies(session, limit)]


@dataclass(frozen=True, slots=True)
class TreeHead:
    """The log's size (number of events) and Merkle root, hex-encoded."""

    size: int
    root: str


def tree_head(session: Session) -> TreeHead:
    builder = merkle.TreeBuilder()
    for _, body in event_bodies(session):
        builder.append(event_leaf_hash(body))
    return TreeHead(builder.size, builder.root().hex())


def _registration(what: Any, version_id: int) -> Any:
    return (
        sa.select(what)
        .where(Event.subject == f"version:{version_id}", Event.kind == "version.registered")
        .order_by(Event.seq)
        .limit(1)
    )


def registration_event(session: Session, version_id: int) -> Event | None:
    """The ``version.registered`` event of a version, if the log holds one."""
    return session.execute(_registration(Event, version_id)).scalar_one_or_none()


def registered_by(session: Session, version_id: int) -> str | None:
    """The actor of a version's ``version.registered`` event, if the log holds one
    (its ``actor`` column: `prov verify` checks that it says what the event says)."""
    return session.execute(_registration(Event.actor, version_id)).scalar_one_or_none()
