"""The audit log read as people read it: who changed what in the record, and when.

`audit` writes one event per change; this module finds the events about a
document or a version (its registration, its annotations, its sightings, the
links that name it, the imports that brought it), or by an actor, of a kind (the API
tokens made and revoked, ``token.created`` and ``token.revoked``, among
them), or in a time window, and names the versions they are about. The event itself is
returned as stored, so that a script sees exactly what the log holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from provenance import audit, packed, refs, validate
from provenance.errors import InputError, IntegrityError, NotFoundError
from provenance.models import Document, Event, Link, Version


@dataclass(frozen=True, slots=True)
class EventEntry:
    """One event of the log, with the names of the versions it is about."""

    seq: int
    time: str
    actor: str
    kind: str  # one of audit.KINDS
    subject: str  # "document:3", "version:12", "link:7", "import:<hash>", "token:2"
    document: str | None  # the document's key, when the event is about one
    version: str | None  # the version registered, annotated or sighted, or a link's child
    parent: str | None  # a link's parent
    event: dict[str, Any]  # the event's JSON as stored


@dataclass(frozen=True, slots=True)
class EventsReport:
    """What `prov events` found: ``matched`` events passed the filters, the last
    ``len(events)`` of them are listed (all unless a limit was given), or a page
    of them; ``newer`` of the matched come after the listed ones (after the
    page's cursor when none is listed), so a page knows its place."""

    total: int  # events in the log
    matched: int
    about: str | None  # the document or version asked about
    events: tuple[EventEntry, ...]
    newer: int = 0


def _time(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{what} {text!r} is not an ISO 8601 date or time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _window(text: str, what: str) -> str:
    """An ISO 8601 time as the log writes its times (`provenance.archive.now`: UTC,
    microseconds, ``Z``), so that comparing the strings compares the times."""
    try:
        utc = _time(text, what).astimezone(UTC)
    except OverflowError:
        raise InputError(f"{what} {text!r} is out of range") from None
    return utc.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _imports_bringing(session: Session, ids: Any) -> list[int]:
    """The seqs of the import events that brought one of the versions ``ids`` (a
    select). Their version lists are inside the stored frames, so they are read
    here: one row per import run, not per event of the log."""
    wanted = set(session.execute(ids).scalars())
    t = Event.__table__
    found = []
    stored = sa.type_coerce(t.c.body, sa.LargeBinary)
    for seq, blob in session.execute(sa.select(t.c.seq, stored).where(t.c.kind == "import.run")):
        try:
            versions = json.loads(packed.event_text(blob))["import"]["versions"]
        except (ValueError, KeyError, TypeError):
            continue  # a damaged event: prov verify says how
        if isinstance(versions, list) and any(v in wanted for v in versions if type(v) is int):
            found.append(seq)
    return found


def _named(prefix: str, column: Any) -> Any:
    return sa.literal(prefix) + sa.cast(column, sa.String)


def _about(session: Session, ref: str, files: bool = True) -> tuple[str, Any]:
    """(what ``ref`` names, the condition an event about it meets).

    An event is about a document when its subject is the document, one of its
    versions or a link that names one, or it is an import that brought one of
    them; about a version likewise. Without ``files`` (a service) a document key
    is looked up first whatever it holds, and a version is named without reading
    a file (`provenance.refs.resolve`).
    """
    name: str | None = None
    if not files:
        validate.reference(ref, field="about")
    if "@" not in ref or not files:
        doc = session.execute(sa.select(Document).where(Document.key == ref)).scalar()
        if doc is not None:
            name, ids = doc.key, sa.select(Version.id).where(Version.document_id == doc.id)
            itself = f"document:{doc.id}"
    if name is None:
        try:
            version = refs.resolve(session, ref, files=files)
        except NotFoundError:
            if "@" in ref:
                raise
            refs.find_document(session, ref)  # raises, naming the documents it may have meant
            raise
        name, ids = refs.version_name(session, version), sa.select(sa.literal(version.id))
        itself = f"version:{version.id}"
    t = Event.__table__
    links = sa.select(_named("link:", Link.id)).where(
        sa.or_(Link.child_id.in_(ids), Link.parent_id.in_(ids))
    )
    versions = sa.select(_named("version:", Version.id)).where(Version.id.in_(ids))
    condition = sa.or_(
        t.c.subject == itself,
        t.c.subject.in_(versions),
        t.c.subject.in_(links),
        t.c.seq.in_(
            sa.bindparam(
                "imports", _imports_bringing(session, ids), expanding=True, literal_execute=True
            )
        ),
    )
    return name, condition


def events(
    session: Session,
    *,
    about: str | None = None,
    actor: str | None = None,
    kinds: tuple[str, ...] = (),
    since: str | None = None,
    until: str | None = None,
    limit: int | None = None,
    files: bool = True,
    after: int | None = None,
    first: int | None = None,
    before: int | None = None,
) -> EventsReport:
    """The events matching every filter given, oldest first: the last ``limit`` of
    them, or (a page) the first ``first`` after sequence number ``after``; with
    ``before``, of those numbered before it. Pages newest first are the last
    ``limit`` before the oldest event of the page above; oldest first, the
    first ``first`` after the newest of the page before.

    ``about`` is a document key or a version reference (``DOC@N``, an id, a
    hash prefix, a file unless ``files`` is False); ``since`` and ``until`` are ISO 8601 dates or times
    (UTC unless they say otherwise), ``until`` exclusive. Every filter and the
    page are read by the database (the log can be long); ``matched`` counts all
    that pass the filters, whatever the page.
    """
    unknown = [k for k in kinds if k not in audit.KINDS]
    if unknown:
        raise InputError(f"unknown event kind {unknown[0]!r}; kinds: {', '.join(audit.KINDS)}")
    for value, what in ((limit, "limit"), (first, "first")):
        if value is not None and value < 0:
            raise InputError(f"{what} {value} is negative")
    if limit is not None and (first is not None or after is not None):
        raise InputError("limit (the last events) and a page (first, after) are not asked together")
    t = Event.__table__
    conditions = []
    name = None
    if about is not None:
        name, condition = _about(session, about, files)
        conditions.append(condition)
    if kinds:
        conditions.append(t.c.kind.in_(kinds))
    if actor is not None:
        stored = validate.storable(actor)  # else no event is by it
        conditions.append(t.c.actor == actor if stored else sa.false())
    if since:
        conditions.append(t.c.time >= _window(since, "since"))
    if until:
        conditions.append(t.c.time < _window(until, "until"))
    total = session.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
    matched = session.execute(
        sa.select(sa.func.count()).select_from(t).where(*conditions)
    ).scalar_one()
    window = list(conditions)
    if after is not None:
        window.append(t.c.seq > after)
    if before is not None:
        window.append(t.c.seq < before)
    query = sa.select(t.c.seq, t.c.kind, t.c.subject, t.c.body).where(*window)
    if limit is not None:
        recent = query.order_by(t.c.seq.desc()).limit(limit).subquery()
        rows: Any = sa.select(recent).order_by(recent.c.seq)
    else:
        rows = query.order_by(t.c.seq)
        if first is not None:
            rows = rows.limit(first)
    shown = [
        (seq, kind, subject, _parsed(seq, body))
        for seq, kind, subject, body in session.execute(rows)
    ]
    newer = _newer(session, conditions, shown, after, first, before)
    names = _names(session, shown)
    return EventsReport(
        total,
        matched,
        name,
        tuple(_entry(seq, kind, subject, event, names) for seq, kind, subject, event in shown),
        newer,
    )


def _parsed(seq: int, body: str) -> dict[str, Any]:
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise IntegrityError(f"event {seq} is not JSON ({exc}); run: prov verify") from None
    if not isinstance(event, dict):
        raise IntegrityError(f"event {seq} is not a JSON object; run: prov verify")
    return event


def _newer(
    session: Session,
    conditions: list[Any],
    shown: list[tuple[int, str, str, dict]],
    after: int | None,
    first: int | None,
    before: int | None,
) -> int:
    """How many matching events come after the listed ones (after the cursor when
    none is listed): none when the listing reaches the newest, else counted by
    the database."""
    if before is None and first is None:
        return 0
    seq = Event.__table__.c.seq
    if shown:
        bound = seq > shown[-1][0]
    elif first is None:  # nothing before ``before``
        bound = seq >= before
    else:
        bound = seq > after if after is not None else sa.true()
    count = sa.select(sa.func.count()).select_from(Event.__table__).where(*conditions, bound)
    return session.execute(count).scalar_one()


def _names(session: Session, shown: list[tuple[int, str, str, dict]]) -> dict[int, str]:
    """``DOC@N`` of every version the shown events name."""
    ids: set[int] = set()
    for _seq, kind, _subject, event in shown:
        if kind == "link.added":
            ids |= {event["link"]["child"], event["link"]["parent"]}
        elif kind == "version.annotated":
            ids.add(event["version"])
        elif kind == "version.sighted":
            ids.add(event["sighting"]["version"])
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Version.id, Document.key, Version.number)
        .join(Document, Document.id == Version.document_id)
        .where(Version.id.in_(ids))
    )
    return {vid: f"{key}@{number}" for vid, key, number in rows}


def _entry(
    seq: int, kind: str, subject: str, event: dict[str, Any], names: dict[int, str]
) -> EventEntry:
    document = version = parent = None
    if kind == "document.created":
        document = event["document"]["key"]
    elif kind == "version.registered":
        document = event["version"]["document"]
        version = f"{document}@{event['version']['number']}"
    elif kind == "version.annotated":
        version = names.get(event["version"], f"version {event['version']}")
    elif kind == "version.sighted":
        seen = event["sighting"]["version"]
        version = names.get(seen, f"version {seen}")
    elif kind == "link.added":
        version = names.get(event["link"]["child"], f"version {event['link']['child']}")
        parent = names.get(event["link"]["parent"], f"version {event['link']['parent']}")
    if version is not None and document is None:
        document = version.rpartition("@")[0] or None
    return EventEntry(
        seq,
        event.get("time", ""),
        event.get("actor", ""),
        kind,
        subject,
        document,
        version,
        parent,
        event,
    )
