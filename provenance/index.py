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

The normalized texts are those of `provenance.lenses.normalize` (a test holds
them equal on the corpus and on random texts), computed here without the
offset maps, which identification does not need and which cost ten times
more.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

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

NORMAL_VERSION = 1
"""Name of the normal-form scheme; bump it when `provenance.lenses` changes a normalized text."""


# -- normal forms ----------------------------------------------------------------

_WS_CLASS = r"\s\u200b\u2060\ufeff"  # as provenance.lenses sees whitespace
_WS_RUN = re.compile(f"[{_WS_CLASS}]+")
_CJK_CLASS = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in lenses.CJK_RANGES)
_HAS_CJK = re.compile(f"[{_CJK_CLASS}]")


def _continues(cp: int) -> bool:
    if cp < 0x300:
        return False
    if 0x1160 <= cp <= 0x11FF or 0xD7B0 <= cp <= 0xD7FF:
        return True
    return unicodedata.category(chr(cp))[0] == "M"


@cache
def _fold_one(seq: str, loose: bool) -> str:
    norm = unicodedata.normalize("NFKC", seq)
    if loose:
        norm = unicodedata.normalize("NFKC", norm.casefold())
    return norm


@cache
def _is_mark(ch: str) -> bool:
    return _continues(ord(ch))


def _fold_forms(text: str, loose: bool) -> str:
    """NFKC (and casefold) per combining sequence, as `provenance.lenses` does it.

    Only sequences with marks and characters that fold to something else are
    handed to ``unicodedata``: one regex built from the text's distinct
    characters finds them, so a Chinese text pays for its full-width
    punctuation, not for every character.
    """
    if unicodedata.is_normalized("NFKC", text) and (not loose or text == text.casefold()):
        chars = text
    else:
        distinct = sorted(set(text))
        marks = "".join(re.escape(c) for c in distinct if _is_mark(c))
        # ASCII capitals are lowered below in one pass, not one callback each.
        changing = "".join(
            re.escape(c)
            for c in distinct
            if _fold_one(c, loose) != c and not (loose and "A" <= c <= "Z")
        )
        parts = ([f"(?s:.[{marks}]+)"] if marks else []) + ([f"[{changing}]"] if changing else [])
        if parts:
            pattern = re.compile("|".join(parts))
            chars = pattern.sub(lambda m: _fold_one(m.group(), loose), text)
        else:
            chars = text
    return chars.translate(_LOOSE_ASCII) if loose else chars


_LOOSE_ASCII = {
    **lenses.LOOSE_TABLE,
    **{c: c + 32 for c in range(ord("A"), ord("Z") + 1)},
}


def _fold_whitespace(chars: str, drop_beside_cjk: bool) -> str:
    folded = _WS_RUN.sub(" ", chars).strip(" ")
    if not drop_beside_cjk or not _HAS_CJK.search(chars):
        return folded
    out: list[str] = []
    pos = 0
    n = len(chars)
    for m in _WS_RUN.finditer(chars):
        r0, r1 = m.span()
        out.append(chars[pos:r0])
        pos = r1
        if r0 == 0 or r1 == n:
            continue
        if lenses.side_is_cjk(chars, r0 - 1, -1) or lenses.side_is_cjk(chars, r1, 1):
            continue
        out.append(" ")
    out.append(chars[pos:])
    return "".join(out)


def normal_form(text: str, profile: str) -> str:
    """``lenses.normalize(text, profile).text``, without the offset maps."""
    lenses.check_profile(profile)
    if profile == "exact":
        return text
    if profile == "whitespace":
        return _fold_whitespace(text, False)
    return _fold_whitespace(_fold_forms(text, profile == "loose"), True)


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
