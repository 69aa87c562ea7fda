"""The identify index: what registration records so a text can be found again.

Per *content* (the same bytes registered twice are indexed once):

- ``normal_hash``: the BLAKE3 hash of the text seen through each lens of
  ``NORMAL_PROFILES`` (whitespace, cjk, loose), so "equal under a profile" is
  one indexed lookup, never a scan;
- ``content_index``: the MinHash signature, the size of the shingle set and
  the number of anchors (`provenance.sketch`);
- ``sketch_key``: the 32 LSH band keys and the anchors (band -1).

``index_state`` names the schemes that built it (``SKETCH_VERSION`` of
`provenance.sketch`, ``NORMAL_VERSION`` here); `check_current` refuses to
answer from an index built by another scheme, and `rebuild` recomputes all of
it. Everything lives in the database, on SQLite and PostgreSQL alike.

The normalized texts are those of `provenance.lenses.normalize`, computed by
`provenance.lenses.normal_text` without the offset maps, which identification
does not need and which cost ten times more (a test holds them equal on the
corpus and on random texts). Normalization has one owner, `provenance.lenses`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, func, select

from provenance import contents, lenses, sketch
from provenance.errors import SchemaError
from provenance.hashing import content_hash
from provenance.models import (
    Content,
    ContentIndex,
    Document,
    IndexState,
    NormalHash,
    SketchKey,
    Version,
)

NORMAL_PROFILES = ("whitespace", "cjk", "loose")
"""The lenses whose hashes are kept, weakest first."""

NORMAL_VERSION = 2
"""Name of the normal-form scheme; bump it when `provenance.lenses` changes a normalized text.

2: invisible characters hidden, hyphenated line breaks joined, segmentation
spaces next to punctuation in Latin islands of CJK text dropped (issue 9)."""


# -- normal forms ----------------------------------------------------------------


def normal_form(text: str, profile: str) -> str:
    """``lenses.normalize(text, profile).text``, without the offset maps (``lenses.normal_text``)."""
    return lenses.normal_text(text, profile)


def normal_hashes(text: str) -> dict[str, str]:
    """Profile -> hash of the text through that lens, for ``NORMAL_PROFILES``."""
    return {p: content_hash(normal_form(text, p).encode("utf-8")) for p in NORMAL_PROFILES}


# -- writing -----------------------------------------------------------------------


def _insert(session: Session, table):
    dialect = session.get_bind().dialect.name
    return {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect](table)


def _sketch(text: str) -> tuple[sketch.Sketch, int]:
    """`provenance.sketch.sketch` and the size of the shingle set, from one shingling pass."""
    raw = sketch.raw_shingle_hashes(sketch.comparison_code_points(text))
    ordered = np.sort(raw)
    distinct = int(np.count_nonzero(ordered[1:] != ordered[:-1])) + 1 if len(ordered) else 0
    sig = sketch.signature_of_hashes(raw)
    made = sketch.Sketch(
        signature=sketch.signature_to_bytes(sig),
        bands=tuple(sketch.band_keys(sig)),
        anchors=tuple(sketch.anchors_of_hashes(raw).tolist()),
    )
    return made, distinct


def add_content(session: Session, digest: str, text: str) -> bool:
    """Index one content unless it already is; returns whether it was indexed now."""
    s, shingles = _sketch(text)
    stmt = (
        _insert(session, ContentIndex.__table__)
        .values(
            content_hash=digest,
            shingles=shingles,
            anchors=len(s.anchors),
            signature=s.signature,
        )
        .on_conflict_do_nothing(index_elements=["content_hash"])
        .returning(ContentIndex.__table__.c.id)
    )
    row = session.execute(stmt).first()
    if row is None:
        return False  # indexed before (same bytes registered earlier, or concurrently)
    session.execute(
        insert(NormalHash.__table__),
        [{"content_hash": digest, "profile": p, "hash": h} for p, h in normal_hashes(text).items()],
    )
    session.execute(
        insert(SketchKey.__table__),
        [{"band": b, "key": k, "content_id": row.id} for b, k in s.index_rows()],
    )
    return True


def add_version(session: Session, version: Version, text: str) -> bool:
    """Index a newly registered version's content (a no-op when its bytes are indexed)."""
    indexed = session.exec(
        select(ContentIndex.id).where(ContentIndex.content_hash == version.content_hash)
    ).first()
    if indexed is not None:
        return False
    return add_content(session, version.content_hash, text)


def current_state() -> dict[str, str]:
    return {"sketch_version": str(sketch.SKETCH_VERSION), "normal_version": str(NORMAL_VERSION)}


def check_current(session: Session) -> None:
    """Refuse an index that is missing or was built by another scheme."""
    stored = {row.name: row.value for row in session.exec(select(IndexState)).all()}
    if not stored:
        raise SchemaError("this archive's identify index has not been built yet; run: prov reindex")
    if stored != current_state():
        raise SchemaError(
            f"this archive's identify index was built by another scheme ({stored}, "
            f"this program uses {current_state()}); rebuild it with: prov reindex"
        )


@dataclass(frozen=True, slots=True)
class ReindexReport:
    """What `prov reindex` did."""

    contents: int  # contents indexed
    versions: int  # versions they carry
    keys: int  # sketch_key rows written (bands and anchors)
    sketch_version: int
    normal_version: int
    seconds: float


def rebuild(
    session: Session, progress: Callable[[int, int], None] | None = None
) -> tuple[int, int, int]:
    """Drop and recompute the whole index in the caller's transaction.

    Returns (contents, versions, key rows). ``progress(done, total)`` is
    called after each content.
    """
    session.execute(delete(SketchKey.__table__))
    session.execute(delete(NormalHash.__table__))
    session.execute(delete(ContentIndex.__table__))
    session.execute(delete(IndexState.__table__))
    hashes = session.exec(select(Content.hash).order_by(Content.hash)).all()
    for i, digest in enumerate(hashes):
        add_content(session, digest, contents.get_text(session, digest))
        if progress is not None:
            progress(i + 1, len(hashes))
    session.execute(
        insert(IndexState.__table__), [{"name": k, "value": v} for k, v in current_state().items()]
    )

    keys = session.exec(select(func.count()).select_from(SketchKey)).one()
    versions = session.exec(select(func.count()).select_from(Version)).one()
    return len(hashes), versions, keys


NEAR_PROFILE = "loose"
"""The lens under which two different contents count as near-identical."""

ELSEWHERE_LIMIT = 20


def elsewhere(session: Session, version: Version) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Other versions (DOC@N) with the same bytes, and with near-identical ones.

    Near-identical: a different content equal to this one through the
    ``NEAR_PROFILE`` lens (whitespace, width, case, quotes and dashes aside),
    found by the normalized-hash index. At most ``ELSEWHERE_LIMIT`` of each.
    """

    def names(stmt) -> tuple[str, ...]:
        rows = session.exec(
            stmt.join(Document, Document.id == Version.document_id)
            .order_by(Version.id)
            .limit(ELSEWHERE_LIMIT)
        ).all()
        return tuple(f"{key}@{number}" for key, number in rows)

    same = names(
        select(Document.key, Version.number).where(
            Version.content_hash == version.content_hash, Version.id != version.id
        )
    )
    mine = (
        select(NormalHash.hash)
        .where(NormalHash.content_hash == version.content_hash, NormalHash.profile == NEAR_PROFILE)
        .scalar_subquery()
    )
    near = names(
        select(Document.key, Version.number)
        .join(NormalHash, NormalHash.content_hash == Version.content_hash)
        .where(
            NormalHash.profile == NEAR_PROFILE,
            NormalHash.hash == mine,
            Version.content_hash != version.content_hash,
        )
    )
    return same, near
