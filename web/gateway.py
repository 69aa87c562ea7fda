"""What the pages need that `provenance.Archive` does not offer yet, in one place.

Each function here is a candidate method of `Archive`: it calls the library and
returns what the library returns. No SQL, no report assembly: when `Archive`
grows the method, the function becomes a one-line call and then goes away (as
``version_id``, ``find_documents``, ``diff_with_text`` and ``event_subject``
went: they are `Archive.resolve` with ``files=False``, `Archive.documents` with
``matching``, `Archive.diff_text` and `Archive.events` with ``files=False``).
``events_page`` only arranges the page `Archive.events` reads (``before``, ``newer``).
"""

from __future__ import annotations

from dataclasses import dataclass

from provenance import Archive
from provenance.events import EventEntry
from provenance.text import decode


@dataclass(frozen=True, slots=True)
class EventsPage:
    """One page of the audit log, newest first: ``events``, with ``newer`` of the
    ``matched`` events above them and ``older`` below. The page is the ``page``-th
    of ``pages`` a reader passes through going from the newest to the oldest by
    the pages' links (``newer_after`` and ``older_before``, None at either end)."""

    total: int
    matched: int
    page: int
    pages: int
    size: int
    events: tuple[EventEntry, ...]
    newer: int
    older: int
    newer_after: int | None  # the cursor of the page above: the events after this sequence number
    older_before: int | None  # the cursor of the page below: the events before this sequence number


def events_page(
    archive: Archive, *, size: int, before: int | None = None, after: int | None = None, **filters
) -> EventsPage:
    """A page of `Archive.events`, newest first: the newest ``size`` events (before
    ``before``), or with ``after`` the oldest ``size`` after it, so that the links
    down and up give back the same pages (events are only ever appended, above).

    The library reads the page alone and counts the events above it; the page's
    number is then how many pages of ``size`` those fill, whatever was added
    since the reader's first page.
    """
    if after is not None:
        report = archive.events(after=after, first=size, before=before, **filters)
    else:
        report = archive.events(limit=size, before=before, **filters)
    shown = report.events
    newer = report.newer
    older = report.matched - newer - len(shown)
    page = -(-newer // size) + 1
    if shown:
        above, below = shown[-1].seq, shown[0].seq
    else:  # past either end: the way back is the cursor asked
        above = before - 1 if before is not None else after
        below = after + 1 if after is not None else before
    return EventsPage(
        total=report.total,
        matched=report.matched,
        page=page,
        pages=page + -(-older // size),
        size=size,
        events=tuple(reversed(shown)),
        newer=newer,
        older=older,
        newer_after=above if newer else None,
        older_before=below if older else None,
    )


@dataclass(frozen=True, slots=True)
class Pasted:
    """A text given in the identify box: what is compared, and from which bytes."""

    data: bytes
    text: str


def read_pasted(data: bytes, name: str, encoding: str | None = None) -> Pasted:
    """Decode a pasted or uploaded text as the library decodes a file (strictly)."""
    return Pasted(data, decode(data, name, encoding).text)
