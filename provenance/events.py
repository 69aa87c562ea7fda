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

from provenance import audit, refs, validate
from provenance.errors import InputError, NotFoundError
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
    ``len(events)`` of them are listed (all unless a limit was given)."""

    total: int  # events in the log
    matched: int
    about: str | None  # the document or version asked about
    events: tuple[EventEntry, ...]


def _time(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{what} {text!r} is not an ISO 8601 date or time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _subjects(session: Session, ref: str, files: bool = True) -> tuple[str, set[str], set[int]]:
    """(what ``ref`` names, the event subjects about it, its version ids).

    Without ``files`` (a service) a document key is looked up first whatever it
    holds, and a version is named without reading a file (`provenance.refs.resolve`).
    """
    if "@" not in ref or not files:
        doc = session.execute(sa.select(Document).where(Document.key == ref)).scalar()
        if doc is not None:
            ids = set(
                session.execute(sa.select(Version.id).where(Version.document_id == doc.id))
                .scalars()
                .all()
            )
            return doc.key, {f"document:{doc.id}"} | _about_versions(session, ids), ids
    if not files:
        validate.reference(ref, field="about")
    try:
        version = refs.resolve(session, ref, files=files)
    except NotFoundError:
        if "@" in ref:
            raise
        refs.find_document(session, ref)  # raises, naming the documents it may have meant
        raise
    return refs.version_name(session, version), _about_versions(session, {version.id}), {version.id}


def _about_versions(session: Session, ids: set[int]) -> set[str]:
    if not ids:
        return set()
    links = session.execute(
        sa.select(Link.id).where(sa.or_(Link.child_id.in_(ids), Link.parent_id.in_(ids)))
    ).scalars()
    return {f"version:{i}" for i in ids} | {f"link:{i}" for i in links}


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
) -> EventsReport:
    """The events matching every filter given, oldest first (the last ``limit`` of them).

    ``about`` is a document key or a version reference (``DOC@N``, an id, a
    hash prefix, a file unless ``files`` is False); ``since`` and ``until`` are ISO 8601 dates or times
    (UTC unless they say otherwise), ``until`` exclusive.
    """
    unknown = [k for k in kinds if k not in audit.KINDS]
    if unknown:
        raise InputError(f"unknown event kind {unknown[0]!r}; kinds: {', '.join(audit.KINDS)}")
    if limit is not None and limit < 0:
        raise InputError(f"limit {limit} is negative")
    start = _time(since, "since") if since else None
    end = _time(until, "until") if until else None
    t = Event.__table__
    total = session.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
    query = sa.select(t.c.seq, t.c.kind, t.c.subject, t.c.body).order_by(t.c.seq)
    name, ids = None, set()
    if about is not None:
        name, subjects, ids = _subjects(session, about, files)
        query = query.where(sa.or_(t.c.subject.in_(subjects), t.c.kind == "import.run"))
    if kinds:
        query = query.where(t.c.kind.in_(kinds))
    rows: Any = query
    if limit is not None and about is None and actor is None and not (start or end):
        # Only SQL filters: count them there and read just the last ``limit`` events.
        count = session.execute(
            sa.select(sa.func.count()).select_from(query.subquery())
        ).scalar_one()
        recent = query.order_by(None).order_by(t.c.seq.desc()).limit(limit).subquery()
        rows = sa.select(recent).order_by(recent.c.seq)
        skipped = count - min(limit, count)  # matched, but before the last ``limit``
    else:
        skipped = 0
    found = []
    for seq, kind, subject, body in session.execute(rows):
        event = json.loads(body)
        if kind == "import.run" and about is not None and not ids & set(event["import"]["versions"]):
            continue  # an import that brought none of the versions asked about
        if actor is not None and event.get("actor") != actor:
            continue
        if start or end:
            when = _time(event["time"], f"event {seq}'s time")
            if (start and when < start) or (end and when >= end):
                continue
        found.append((seq, kind, subject, event))
    shown = found if limit is None else found[max(0, len(found) - limit) :] if limit else []
    names = _names(session, shown)
    return EventsReport(
        total,
        skipped + len(found),
        name,
        tuple(_entry(seq, kind, subject, event, names) for seq, kind, subject, event in shown),
    )


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
