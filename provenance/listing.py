"""The documents listed a page at a time, filtered and cut in SQL.

A page is the documents after a key, in order of key, as many as asked: a
keyset (the cursor is the last key seen), so a document registered between
two pages is neither repeated nor makes one skipped. ``matching`` keeps the
keys that contain it, ignoring case. SQLite and PostgreSQL answer alike:
keys are ordered by code point on both (SQLite's binary order; PostgreSQL's
``"C"`` collation, whatever the database's own), and case is folded by the
Unicode lower-case mapping on both (Python's `str.lower`, given to SQLite as
a function; ICU's on PostgreSQL, whatever the database's locale), never by a
locale that one server has and the other has not.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from provenance import validate
from provenance.errors import InputError, NotFoundError
from provenance.models import Document, Version
from provenance.records import DocumentSummary

LOWER = "prov_lower"
"""The SQL function SQLite folds a key's case with (`str.lower`, registered per connection)."""

ICU = "und-x-icu"
"""The PostgreSQL collation whose `lower` is the Unicode mapping (ICU's root locale)."""


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def by_code_point(session: Session, column: Any) -> Any:
    """``column`` compared and ordered by code point, as Python orders strings."""
    return column.collate("C") if _dialect(session) == "postgresql" else column


def _lower(session: Session, column: Any) -> Any:
    if _dialect(session) == "postgresql":
        return sa.func.lower(column.collate(ICU))
    connection = session.connection().connection.driver_connection
    connection.create_function(LOWER, 1, _str_lower, deterministic=True)
    return getattr(sa.func, LOWER)(column)


def _str_lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def _contains(session: Session, column: Any, needle: str) -> Any:
    """``column`` contains ``needle`` (a plain substring: no wildcard, no length limit)."""
    find = sa.func.strpos if _dialect(session) == "postgresql" else sa.func.instr
    return find(_lower(session, column), needle.lower()) > 0


def documents(
    session: Session,
    *,
    matching: str = "",
    after: str | None = None,
    limit: int | None = None,
) -> list[DocumentSummary]:
    """The documents in order of key: those whose key contains ``matching`` (ignoring
    case; blank: all), after the key ``after``, the first ``limit`` of them (None: all)."""
    if limit is not None and limit < 0:
        raise InputError(f"limit {limit} is negative")
    key = by_code_point(session, Document.key)
    page = sa.select(Document.id, Document.key)
    wanted = matching.strip()
    if not validate.storable(wanted):
        return []  # no key holds it
    if wanted:
        page = page.where(_contains(session, Document.key, wanted))
    if after is not None:
        page = page.where(key > after)
    page = page.order_by(key)
    if limit is not None:
        page = page.limit(limit)
    chosen = page.subquery()
    rows = session.execute(
        sa.select(
            chosen.c.key,
            sa.func.count(Version.id),
            sa.func.max(Version.number),
            sa.func.min(Version.registered_at),
            sa.func.max(Version.registered_at),
        )
        .select_from(chosen)
        .outerjoin(Version, Version.document_id == chosen.c.id)
        .group_by(chosen.c.id, chosen.c.key)
        .order_by(by_code_point(session, chosen.c.key))
    ).all()
    return [DocumentSummary(k, n, latest, first, last) for k, n, latest, first, last in rows]


def document(session: Session, key: str) -> DocumentSummary:
    """The summary of the document called exactly ``key``."""
    if not validate.storable(key):
        raise NotFoundError(f"no document {validate.shown(key)}")
    row = session.execute(
        sa.select(
            Document.key,
            sa.func.count(Version.id),
            sa.func.max(Version.number),
            sa.func.min(Version.registered_at),
            sa.func.max(Version.registered_at),
        )
        .outerjoin(Version, Version.document_id == Document.id)
        .where(Document.key == key)
        .group_by(Document.id, Document.key)
    ).first()
    if row is None:
        raise NotFoundError(f"no document {key[:40]!r}")
    return DocumentSummary(*row)
