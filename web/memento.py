"""Memento (RFC 7089) over a document's versions.

The original resource (URI-R) is a document (``/api/documents/DOC/raw``, its
latest text); its mementos (URI-M) are its versions' raw bytes
(``/api/versions/ID/raw``). A version is *seen* at its own time (when it was
captured, else when it was registered; a capture time given as a date alone
is that day's midnight, UTC) and at each of its sightings' (captured, else
recorded: `provenance.sightings`). Its ``Memento-Datetime`` is the first time
it was seen. The TimeGate (URI-G) answers ``Accept-Datetime`` T with a 302 to
the version live at T: the one seen last at or before T (a version seen at T
was live at T; of two seen at the same instant, the higher number), or the
first seen when T is before them all; without T, the one seen last. The
TimeMap (URI-T) lists them all, by first seen, in ``application/link-format``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from provenance.records import LogEntry, SightingInfo
from provenance_web.errors import ApiError

LINK_FORMAT = "application/link-format"


@dataclass(frozen=True, slots=True)
class Memento:
    version: int
    number: int
    datetime: datetime  # when it was first seen (its Memento-Datetime)
    seen: tuple[datetime, ...] = ()  # every time it was seen, its own and its sightings', sorted


def _aware(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def memento_time(captured_at: str | None, registered_at: str) -> datetime:
    """When a version was current: its capture time, else its registration time."""
    found = _aware(captured_at) if captured_at else None
    return found or _aware(registered_at) or datetime.min.replace(tzinfo=UTC)


def seen_times(
    captured_at: str | None, registered_at: str, sightings: Sequence[SightingInfo] = ()
) -> tuple[datetime, ...]:
    """Every time a version was seen, sorted: its own (`memento_time`) and each
    sighting's (captured, else recorded)."""
    own = memento_time(captured_at, registered_at)
    return tuple(sorted([own, *(memento_time(s.captured_at, s.recorded_at) for s in sightings)]))


def http_date(value: datetime) -> str:
    """RFC 1123 in GMT, as ``Memento-Datetime`` and the TimeMap's ``datetime`` write it."""
    return format_datetime(value.astimezone(UTC), usegmt=True)


def parse_accept_datetime(text: str) -> datetime:
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        value = None
    if value is None:
        raise ApiError(
            400,
            "invalid_accept_datetime",
            "Accept-Datetime must be an RFC 1123 date, e.g. Sat, 26 Oct 2019 00:00:00 GMT",
        )
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def mementos(entries: Sequence[LogEntry]) -> list[Memento]:
    """A document's versions as mementos, oldest first (by first seen, then number)."""
    found = []
    for e in entries:
        seen = seen_times(e.captured_at, e.registered_at, e.sightings)
        found.append(Memento(e.version, e.number, seen[0], seen))
    return sorted(found, key=lambda m: (m.datetime, m.number))


def select(found: Sequence[Memento], when: datetime | None) -> Memento:
    """The memento live at ``when``: the one seen last at or before it (of two seen at
    the same instant, the higher number); the first seen when ``when`` is before every
    sighting; without ``when``, the one seen last."""
    current = [
        (t, m.number, m)
        for m in found
        for t in (m.seen or (m.datetime,))
        if when is None or t <= when
    ]
    if not current:
        return found[0]
    return max(current, key=lambda seen: (seen[0], seen[1]))[2]


def link(uri: str, rel: str, **params: str) -> str:
    extra = "".join(f'; {k}="{v}"' for k, v in params.items())
    return f'<{uri}>; rel="{rel}"{extra}'


def timemap(original: str, timegate: str, self_uri: str, found: Sequence[Memento], uri_of) -> str:
    """The TimeMap's link-format body; ``uri_of(memento)`` is its URI-M."""
    lines = [
        link(original, "original"),
        link(timegate, "timegate"),
        link(
            self_uri,
            "self",
            type=LINK_FORMAT,
            **{"from": http_date(found[0].datetime), "until": http_date(found[-1].datetime)},
        ),
    ]
    for i, m in enumerate(found):
        rel = " ".join(
            [*(["first"] if i == 0 else []), *(["last"] if i == len(found) - 1 else []), "memento"]
        )
        lines.append(link(uri_of(m), rel, datetime=http_date(m.datetime)))
    return ",\n".join(lines) + "\n"
