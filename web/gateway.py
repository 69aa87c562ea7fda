"""What the pages need that `provenance.Archive` does not offer yet, in one place.

Each function here is a candidate method of `Archive`: it calls the library
(inside ``archive.reading()`` where it needs a session) and returns what the
library returns. No SQL, no report assembly: when `Archive` grows the method,
the function becomes a one-line call and then goes away.
"""

from __future__ import annotations

from dataclasses import dataclass

from provenance import Archive
from provenance import archive as ops
from provenance.errors import NotFoundError
from provenance.events import EventEntry
from provenance.records import DiffReport, DocumentSummary
from provenance.refs import FILE_PREFIX
from provenance.text import decode


def version_id(archive: Archive, ref: str) -> int:
    """The id of the version ``ref`` names, never reading a file of the server.

    `provenance.refs.resolve` also takes files (``file:NAME``, a path with a
    ``/``) and `Archive.diff` reads a file that is not registered: right on
    the command line, a leak on the web. A web REF is a version id, a hash
    prefix, ``DOC@N`` or ``DOC@latest``; a key with a ``/`` in it is looked
    up through the document's log, which reads no file.
    Wanted in `Archive`: ``resolve(ref, files=False)``.
    """
    ref = ref.strip()
    if not ref or ref.startswith(FILE_PREFIX):
        raise NotFoundError(f"no version matches {ref!r} (files are not references here)")
    if "/" not in ref:
        return archive.show(ref).version
    key, at, selector = ref.rpartition("@")
    if not at or not (selector == "latest" or (selector.isascii() and selector.isdigit())):
        raise NotFoundError(f"no version matches {ref!r} (a REF is DOC@N, DOC@latest, an id or a hash prefix)")
    versions = archive.log(key).versions
    if not versions:
        raise NotFoundError(f"{ref!r}: document {key!r} has no versions")
    if selector == "latest":
        return versions[-1].version
    for entry in versions:
        if entry.number == int(selector):
            return entry.version
    raise NotFoundError(f"{ref!r}: document {key!r} has versions 1 to {len(versions)}")


def find_documents(archive: Archive, query: str) -> list[DocumentSummary]:
    """The documents whose key contains ``query`` (case-insensitive); all for an empty query.

    Wanted in `Archive`: ``documents(matching=..., limit=..., after=...)``,
    filtered and paginated in the database.
    """
    wanted = query.strip().casefold()
    found = archive.documents()
    return [d for d in found if wanted in d.document.casefold()] if wanted else found


@dataclass(frozen=True, slots=True)
class EventsPage:
    """One page of the audit log, newest first: ``events`` are the ``page``-th
    ``size`` of the ``matched`` events counted from the newest."""

    total: int
    matched: int
    page: int
    pages: int
    size: int
    events: tuple[EventEntry, ...]


def events_page(archive: Archive, *, page: int, size: int, **filters) -> EventsPage:
    """A page of `Archive.events`, newest first.

    Counts the matching events, reads the newest ``page * size`` and keeps the
    oldest ``size`` of them, so a deep page costs its depth. Wanted in `Archive`: ``events(...,
    before=SEQ)``, a stable cursor (the API's cursor may already be it).
    """
    # Asked for more than match, `provenance.events` keeps too few (``found[len(found)
    # - limit:]`` goes negative): count first, never ask past the count.
    matched = archive.events(limit=0, **filters).matched
    report = archive.events(limit=min(page * size, matched), **filters)
    shown = report.events
    end = len(shown) - (page - 1) * size if page > 1 else len(shown)
    chosen = shown[max(0, end - size) : max(0, end)]
    pages = max(1, -(-report.matched // size))
    return EventsPage(report.total, report.matched, page, pages, size, tuple(reversed(chosen)))


@dataclass(frozen=True, slots=True)
class Pasted:
    """A text given in the identify box: what is compared, and from which bytes."""

    data: bytes
    text: str


def read_pasted(data: bytes, name: str, encoding: str | None = None) -> Pasted:
    """Decode a pasted or uploaded text as the library decodes a file (strictly)."""
    return Pasted(data, decode(data, name, encoding).text)


def diff_with_text(archive: Archive, ref: str, text: str, name: str, **options) -> DiffReport:
    """The edits from version ``ref`` to a text that is not registered (what `prov diff
    VERSION FILE` shows for a file in hand). Wanted in `Archive`: ``diff(ref, text=...)``."""
    registered = archive.side(str(version_id(archive, ref)))
    return ops.diff_sides(registered, ops.Side(None, name, text), **options)


def event_subject(archive: Archive, about: str) -> str:
    """What `Archive.events` is asked about: a document key as given, a version as its
    id (so that no REF reaches the library's file lookup). Wanted in `Archive`: the
    same ``files=False`` for ``events(about=...)``."""
    key = about.strip()
    if any(d.document == key for d in archive.documents()):
        return key
    return str(version_id(archive, key))
