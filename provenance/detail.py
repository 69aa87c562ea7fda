"""One version as a reader sees it whole: `VersionDetail`, read in one snapshot.

What `prov show` reports (`provenance.records.VersionInfo`) with what a page
about the version shows beside it: its text, its children by name, the events
about it and whether a proof of its registration can be made. Read in one
session, so every part describes the same state of the record (five reads in
five sessions could straddle a registration).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from provenance import archive, proofs, refs
from provenance.events import EventEntry, events
from provenance.records import VersionInfo


@dataclass(frozen=True, slots=True)
class VersionDetail:
    """A version whole: ``info`` as `prov show` reports it, its ``text``, its
    ``children`` as (id, DOC@N), the ``events`` about it (oldest first) and
    whether a checkpoint exists to prove its registration against (``provable``)."""

    info: VersionInfo
    text: str
    children: tuple[tuple[int, str], ...]
    events: tuple[EventEntry, ...]
    provable: bool


def version_detail(session: Session, ref: str, *, files: bool = True) -> VersionDetail:
    """The version ``ref`` names (a file only if ``files``), whole."""
    version = refs.resolve(session, ref, files=files)
    info = archive.show(session, version)
    names = archive.names(session, info.children)
    return VersionDetail(
        info=info,
        text=archive.text_of(session, version),
        children=tuple((c, names[c]) for c in info.children),
        events=events(session, about=str(version.id), files=False).events,
        provable=proofs.latest(session) is not None,
    )
