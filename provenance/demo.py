"""The seed case: a printed newspaper page and a word-segmented copy of one report on it."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

import provenance_seeds
from provenance import archive
from provenance.models import Version
from provenance.records import RegisterReport, TraceReport

DOCUMENT = "xinhua-blockchain-study-2019"
PAGE = "000_1ce08642ff723812.txt"
COPY = "002_16046881f2c4a19a.txt"


def seeds_dir() -> Path:
    """The installed seed documents (the repository's `seeds/` folder)."""
    for entry in provenance_seeds.__path__:
        path = Path(entry)
        if (path / PAGE).is_file():
            return path
    raise FileNotFoundError("the seed documents are not installed")  # pragma: no cover


def register_seeds(
    session: Session, *, profile: str = "cjk", actor: str = "demo"
) -> tuple[tuple[RegisterReport, ...], TraceReport]:
    """Register the page and the segmented copy as two versions of one document, and trace them.

    The trace compares them under ``profile``: by default ``cjk``, which sees
    past the copy's word segmentation to the handful of real wording edits.
    """
    folder = seeds_dir()
    page = archive.register(
        session,
        (folder / PAGE).read_bytes(),
        name=PAGE,
        doc=DOCUMENT,
        source="printed newspaper page, Shanghai (seeds/" + PAGE + ")",
        captured_at="2019-10-26",
        label="printed page",
        actor=actor,
    )
    copy = archive.register(
        session,
        (folder / COPY).read_bytes(),
        name=COPY,
        doc=DOCUMENT,
        parents=[session.get(Version, page.version)],  # not a REF a file here could shadow
        relation="excerpt",
        source="word-segmented republication of the report body (seeds/" + COPY + ")",
        label="segmented copy",
        actor=actor,
    )
    trace = archive.trace(
        session, session.get(Version, page.version), session.get(Version, copy.version), profile=profile
    )
    return (page, copy), trace
