"""Sightings: a version's exact bytes seen again, recorded instead of a new version.

Registering bytes that are already a document's latest version (`prov register`,
an import's entry, a re-capture of an unchanged page) makes no new version: it
records a *sighting* of that version, its source and capture time, in the
``sighting`` table, with one ``version.sighted`` event whose actor is who
recorded it (`provenance.audit`). ``--new-version`` (``new_version=True``)
registers a version all the same.

The rule for re-runs: a version's own registration counts as a sighting it
already holds. So bytes seen with the same source and the same capture time as
the version itself, or as one of its sightings, add nothing (``unchanged``);
a new capture time or a new source adds one sighting. A re-run of any import
therefore adds nothing and says so, and an interrupted import run again comes
to what one uninterrupted run writes. Only the source and the capture time
tell two sightings apart: their ``meta`` (a commit id, HTTP headers) is kept
with the first, and a label is the version's alone (`prov annotate` changes it).

Bytes that are an *older* version of the document, not its latest, are a new
version (the text went back: a revert), never a sighting.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select

from provenance import audit, packed
from provenance.models import Event, Sighting
from provenance.records import SightingInfo


@dataclass(frozen=True, slots=True)
class Seen:
    """What seeing a version's bytes again did: ``sighted``, a sighting recorded
    (``sighting``); ``unchanged``, the version already held them from that source at
    that time: its own registration (``sighting`` None) or ``sighting``."""

    outcome: Literal["sighted", "unchanged"]
    sighting: SightingInfo | None


class Held(Protocol):
    """A version as a sighting needs it (a `Version` row, or an import's note of one)."""

    @property
    def id(self) -> int | None: ...
    @property
    def source(self) -> str | None: ...
    @property
    def captured_at(self) -> str | None: ...


def holds(version: Held, source: str | None, captured_at: str | None) -> bool:
    """Whether ``version``'s own registration is this sighting (same source and time)."""
    return (version.source, version.captured_at) == (source, captured_at)


def see(
    session: Session,
    version: Held,
    *,
    source: str | None,
    captured_at: str | None,
    meta: dict[str, Any] | None,
    actor: str,
    recorded_at: str,
) -> Seen:
    """Record that ``version``'s bytes were seen from ``source`` at ``captured_at``
    (values already checked by `provenance.validate`), unless the version or one of
    its sightings already holds that source and time (the module's rule)."""
    if holds(version, source, captured_at):
        return Seen("unchanged", None)
    assert version.id is not None
    for row in _rows(session, [version.id]):
        if (row.source, row.captured_at) == (source, captured_at):
            return Seen("unchanged", _info(row, _actors(session, [row.version_id]).get(row.id)))
    row = Sighting(
        version_id=version.id,
        source=source,
        captured_at=captured_at,
        recorded_at=recorded_at,
        meta=dict(meta or {}),
    )
    session.add(row)
    session.flush()
    audit.version_sighted(session, row, actor)
    return Seen("sighted", _info(row, actor))


def of_versions(session: Session, ids: Iterable[int]) -> dict[int, tuple[SightingInfo, ...]]:
    """The sightings of each of these versions, oldest recorded first (a version
    without any is left out)."""
    wanted = list(dict.fromkeys(ids))
    rows = [r for start in range(0, len(wanted), 500) for r in _rows(session, wanted[start : start + 500])]
    if not rows:
        return {}
    actors = _actors(session, {r.version_id for r in rows})
    found: dict[int, list[SightingInfo]] = {}
    for row in sorted(rows, key=lambda r: r.id):
        found.setdefault(row.version_id, []).append(_info(row, actors.get(row.id)))
    return {vid: tuple(seen) for vid, seen in found.items()}


def of_version(session: Session, version_id: int) -> tuple[SightingInfo, ...]:
    return of_versions(session, [version_id]).get(version_id, ())


def _rows(session: Session, ids: list[int]) -> list[Sighting]:
    return list(
        session.exec(
            select(Sighting).where(col(Sighting.version_id).in_(ids)).order_by(col(Sighting.id))
        ).all()
    )


def _actors(session: Session, version_ids: Iterable[int]) -> dict[int, str]:
    """Sighting id -> the actor of its ``version.sighted`` event."""
    subjects = [f"version:{v}" for v in version_ids]
    found: dict[int, str] = {}
    for start in range(0, len(subjects), 500):
        bodies = session.execute(
            sa.select(sa.type_coerce(Event.body, sa.LargeBinary)).where(
                Event.kind == "version.sighted", col(Event.subject).in_(subjects[start : start + 500])
            )
        ).scalars()
        for body in bodies:
            try:  # a damaged event: prov verify says how
                event = json.loads(packed.event_text(body))
                sid, actor = event["sighting"]["id"], event["actor"]
            except (ValueError, KeyError, TypeError):
                continue
            if isinstance(sid, int) and isinstance(actor, str):
                found.setdefault(sid, actor)
    return found


def _info(row: Sighting, actor: str | None) -> SightingInfo:
    assert row.id is not None
    return SightingInfo(
        id=row.id,
        version=row.version_id,
        source=row.source,
        captured_at=row.captured_at,
        recorded_at=row.recorded_at,
        recorded_by=actor,
        meta=dict(row.meta or {}),
    )
