"""Content storage: the exact bytes of a text, compressed, stored once per hash."""

from __future__ import annotations

import zstandard
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from provenance.errors import IntegrityError, NotFoundError
from provenance.hashing import content_hash
from provenance.models import Content

COMPRESSION = "zstd"
_LEVEL = 6


def compress(data: bytes) -> bytes:
    # The frame carries its own checksum: a damaged blob fails loudly on read.
    return zstandard.ZstdCompressor(level=_LEVEL, write_checksum=True).compress(data)


def decompress(blob: bytes, compression: str) -> bytes:
    if compression == COMPRESSION:
        return zstandard.ZstdDecompressor().decompress(blob)
    if compression == "none":
        return blob
    raise IntegrityError(f"unknown compression {compression!r}")


def put(session: Session, data: bytes, digest: str | None = None) -> tuple[str, bool]:
    """Store ``data`` unless its hash is already stored; returns (hash, newly stored)."""
    digest = digest or content_hash(data)
    values = {
        "hash": digest,
        "size": len(data),
        "chars": len(data.decode("utf-8")),
        "compression": COMPRESSION,
        "data": compress(data),
    }
    dialect = session.get_bind().dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
    if insert is None:  # pragma: no cover - only the two supported backends
        if session.get(Content, digest) is not None:
            return digest, False
        session.add(Content(**values))
        session.flush()
        return digest, True
    stmt = (
        insert(Content.__table__)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["hash"])
        .returning(Content.__table__.c.hash)
    )
    return digest, session.execute(stmt).first() is not None


def get_bytes(session: Session, digest: str) -> bytes:
    row = session.get(Content, digest)
    if row is None:
        raise NotFoundError(f"content {digest} is not stored")
    return decompress(row.data, row.compression)


def get_text(session: Session, digest: str) -> str:
    return get_bytes(session, digest).decode("utf-8")
