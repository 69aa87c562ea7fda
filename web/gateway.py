"""What the pages need that `provenance.Archive` does not offer yet, in one place.

Each function here is a candidate method of `Archive`: it calls the library and
returns what the library returns. No SQL, no report assembly: when `Archive`
grows the method, the function becomes a one-line call and then goes away (as
``version_id``, ``find_documents``, ``diff_with_text`` and ``event_subject``
went: they are `Archive.resolve` with ``files=False``, `Archive.documents` with
``matching``, `Archive.diff_text` and `Archive.events` with ``files=False``).
"""

from __future__ import annotations

from dataclasses import dataclass

from provenance import Archive
from provenance.events import EventEntry
from provenance.text import decode


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
