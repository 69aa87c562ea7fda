"""Memento (RFC 7089) over a document's versions.

The original resource (URI-R) is a document (``/api/documents/DOC/raw``, its
latest text); its mementos (URI-M) are its versions' raw bytes
(``/api/versions/ID/raw``), each dated by when it was captured, else when it
was registered (a capture time given as a date alone is that day's
midnight, UTC). The TimeGate (URI-G) answers ``Accept-Datetime`` with a 302
to the memento current at that time: the newest dated at or before it, or the
first when the time is before them all. The TimeMap (URI-T) lists them all
in ``application/link-format``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from provenance.records import LogEntry
from provenance_web.errors import ApiError

LINK_FORMAT = "application/link-format"


@dataclass(frozen=True, slots=True)
class Memento:
    version: int
    number: int
    datetime: datetime


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
    """A document's versions as mementos, oldest first (by time, then number)."""
    found = [Memento(e.version, e.number, memento_time(e.captured_at, e.registered_at)) for e in entries]
    return sorted(found, key=lambda m: (m.datetime, m.number))


def select(found: Sequence[Memento], when: datetime | None) -> Memento:
    """The memento current at ``when`` (None: the newest)."""
    if when is None:
        return found[-1]
    current = [m for m in found if m.datetime <= when]
    return current[-1] if current else found[0]


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
