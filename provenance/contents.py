"""Content storage: the exact bytes of a text, compressed, stored once per hash.

A new content whose parent is already stored is kept as a zstd frame
compressed with the parent's bytes as a raw dictionary: a light revision of a
45 KB policy then costs tens of bytes instead of 14 KB. Chains are bounded
(`MAX_DEPTH`), as in git's packs, so reading any content decompresses at most
that many frames. Every frame carries zstd's checksum; the hash of the
reconstructed bytes is the real fixity check (`provenance.verify`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import zstandard
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from provenance.errors import IntegrityError, NotFoundError
from provenance.hashing import content_hash
from provenance.models import Content

FULL = "zstd"
DELTA = "zstd-delta"
MAX_DEPTH = 16  # the longest chain of deltas before a content is stored whole
_LEVEL = 6
# A delta is kept only when it is clearly smaller than the content on its own.
_DELTA_GAIN = 0.8


def _compressor(base: bytes | None = None) -> zstandard.ZstdCompressor:
    if base is None:
        return zstandard.ZstdCompressor(level=_LEVEL, write_checksum=True)
    dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return zstandard.ZstdCompressor(level=_LEVEL, dict_data=dictionary, write_checksum=True)


def compress(data: bytes, base: bytes | None = None) -> bytes:
    return _compressor(base).compress(data)


def decompress(blob: bytes, compression: str, base: bytes | None = None) -> bytes:
    """The bytes of one stored frame (``base``: the bytes of its base, for a delta)."""
    return bytes(decompress_into(blob, compression, base))


def decompress_into(
    blob: bytes, compression: str, base: bytes | bytearray | None = None
) -> bytes | bytearray:
    """`decompress`, but may return a fresh ``bytearray`` (saving a copy on hot paths)."""
    if compression in (FULL, DELTA):
        if compression == DELTA and base is None:
            raise IntegrityError("a delta frame needs the bytes of its base")
        frames = _frames()
        if frames is not None:
            return frames.decompress(blob, base if compression == DELTA else None)
        try:
            if compression == FULL:
                return zstandard.ZstdDecompressor().decompress(blob)
            dictionary = zstandard.ZstdCompressionDict(
                bytes(base), dict_type=zstandard.DICT_TYPE_RAWCONTENT
            )
            return zstandard.ZstdDecompressor(dict_data=dictionary).decompress(blob)
        except zstandard.ZstdError as exc:
            raise IntegrityError(f"stored frame does not decompress: {exc}") from None
    if compression == "none":
        return blob
    raise IntegrityError(f"unknown compression {compression!r}")


class _Frames:
    """One reusable zstd decompression context, through zstandard's cffi binding of libzstd.

    python-zstandard's own API binds a dictionary to a new decompressor, so a
    delta frame there costs a dictionary copy and a fresh context (most of the
    time of a 30 KB delta). Here a delta's base is referenced as a one-frame
    raw-content prefix (``ZSTD_DCtx_refPrefix_advanced``), which reads the
    same frames: a raw-content dictionary and a prefix are both plain history
    before the frame.
    """

    def __init__(self, ffi, lib) -> None:
        self._ffi = ffi
        self._lib = lib
        self._dctx = ffi.gc(lib.ZSTD_createDCtx(), lib.ZSTD_freeDCtx)
        self._bad = {lib.ZSTD_CONTENTSIZE_UNKNOWN, lib.ZSTD_CONTENTSIZE_ERROR}

    def _fail(self, code: int) -> IntegrityError:
        self._lib.ZSTD_DCtx_reset(self._dctx, self._lib.ZSTD_reset_session_and_parameters)
        name = self._ffi.string(self._lib.ZSTD_getErrorName(code)).decode()
        return IntegrityError(f"stored frame does not decompress: {name}")

    def decompress(self, blob: bytes, base: bytes | bytearray | None) -> bytes | bytearray:
        ffi, lib = self._ffi, self._lib
        src = ffi.from_buffer(blob)
        size = lib.ZSTD_getFrameContentSize(src, len(blob))
        if size in self._bad:  # not a one-shot frame of ours: let python-zstandard say why
            try:
                if base is None:
                    return zstandard.ZstdDecompressor().decompress(blob)
                dictionary = zstandard.ZstdCompressionDict(
                    bytes(base), dict_type=zstandard.DICT_TYPE_RAWCONTENT
                )
                return zstandard.ZstdDecompressor(dict_data=dictionary).decompress(blob)
            except zstandard.ZstdError as exc:
                raise IntegrityError(f"stored frame does not decompress: {exc}") from None
        out = bytearray(size)
        if base is not None:
            code = lib.ZSTD_DCtx_refPrefix_advanced(
                self._dctx, ffi.from_buffer(base), len(base), lib.ZSTD_dct_rawContent
            )
            if lib.ZSTD_isError(code):
                raise self._fail(code)
        code = lib.ZSTD_decompressDCtx(self._dctx, ffi.from_buffer(out), size, src, len(blob))
        if lib.ZSTD_isError(code):
            raise self._fail(code)
        if code != size:
            raise IntegrityError(
                f"stored frame does not decompress: it holds {code} bytes, its header says {size}"
            )
        return out


_local = threading.local()


def _frames() -> _Frames | None:
    """This thread's `_Frames`, or None where zstandard's cffi binding is not importable."""
    frames = getattr(_local, "frames", False)
    if frames is False:
        try:
            from zstandard.backend_cffi import ffi, lib
        except ImportError:  # cffi absent: python-zstandard's own API does it, more slowly
            frames = None
        else:
            frames = _Frames(ffi, lib)
        _local.frames = frames
    return frames


def put(
    session: Session, data: bytes, digest: str | None = None, base: str | None = None
) -> tuple[str, bool]:
    """Store ``data`` unless its hash is already stored; returns (hash, newly stored).

    ``base`` names a stored content (usually the parent version's) to keep
    ``data`` as a delta against, when that is worth it and the chain is short.
    """
    digest = digest or content_hash(data)
    if session.get(Content, digest) is not None:
        return digest, False
    return digest, insert(session, frame(session, data, digest, base))


def frame(
    session: Session, data: bytes, digest: str | None = None, base: str | None = None
) -> dict[str, object]:
    """The row `put` would store for ``data`` (compressed, or a delta against ``base``),
    without writing it: a writer computes it before it takes the write lock and then
    `insert`s it. Contents are never changed or deleted, so a frame made in one
    snapshot stays valid in any later transaction (its base is still there)."""
    digest = digest or content_hash(data)
    values: dict[str, object] = {
        "hash": digest,
        "size": len(data),
        "chars": len(data.decode("utf-8")),
        "compression": FULL,
        "base_hash": None,
        "depth": 0,
        "data": compress(data),
    }
    base_row = session.get(Content, base) if base and base != digest else None
    if base_row is not None and base_row.depth < MAX_DEPTH:
        delta = compress(data, get_bytes(session, base_row.hash))
        if len(delta) < _DELTA_GAIN * len(values["data"]):
            values.update(
                compression=DELTA, base_hash=base_row.hash, depth=base_row.depth + 1, data=delta
            )
    return values


def insert(session: Session, values: dict[str, object]) -> bool:
    """Store a `frame` unless its hash is already stored; returns whether it was stored now."""
    dialect = session.get_bind().dialect.name
    statement = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect]
    # A concurrent writer may store the same bytes first: that is not an error.
    stmt = (
        statement(Content.__table__)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["hash"])
        .returning(Content.__table__.c.hash)
    )
    return session.execute(stmt).first() is not None


def get_bytes(session: Session, digest: str) -> bytes:
    """The exact bytes of a stored content, following its delta chain."""
    return reconstruct(digest, lambda h: session.get(Content, h))


def reconstruct(digest: str, fetch: Callable[[str], Content | None]) -> bytes:
    """Rebuild a content from its frames; ``fetch`` returns the row for a hash."""
    chain: list[Content] = []
    current: str | None = digest
    while current is not None:
        row = fetch(current)
        if row is None:
            if current == digest:
                raise NotFoundError(f"content {digest} is not stored")
            raise IntegrityError(f"content {digest}: its delta base {current} is missing")
        chain.append(row)
        if len(chain) > MAX_DEPTH + 1:
            raise IntegrityError(f"content {digest}: delta chain longer than {MAX_DEPTH}")
        current = row.base_hash if row.compression == DELTA else None
    data: bytes | bytearray | None = None
    for row in reversed(chain):
        data = decompress_into(row.data, row.compression, data)
    assert data is not None
    return bytes(data)


def get_text(session: Session, digest: str) -> str:
    return get_bytes(session, digest).decode("utf-8")
