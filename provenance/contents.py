"""Content storage: the exact bytes of a text, compressed, stored once per hash.

A new content whose parent is already stored is kept as a zstd frame
compressed with the parent's bytes as a raw dictionary: a light revision of a
45 KB policy then costs tens of bytes instead of 14 KB. Chains are bounded
(`MAX_DEPTH`), as in git's packs, so reading any content decompresses at most
that many frames. A content whose parent ends a full chain starts the next
chain as a delta against the whole frame the full one started from, while the
text is still close to it (`_RESTART_GAIN`), else whole: on the corpus the
stored frames went from 869 KB to 574 KB (whole copies had been 77% of them).
Every frame carries zstd's checksum; the hash of the reconstructed bytes is
the real fixity check (`provenance.verify`).

A content's bytes are those registered, in the encoding they came in, which
the content records (``encoding``; None: UTF-8). Deltas work on the bytes, so
a content and its base may be in different encodings. Every reader of a
stored text decodes it here (`get_text`, `texts`, `decoded`), and a
registration's bytes that are already stored are read as they were stored
(`reading`): one hash decodes one way.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping

import zstandard
from sqlalchemy import bindparam
from sqlalchemy import text as sql_text
from sqlmodel import Session

from provenance import lazy, plain
from provenance import text as decoding
from provenance.errors import EncodingConflict, IntegrityError, NotFoundError
from provenance.hashing import content_hash
from provenance.models import Content, Digest

FULL = "zstd"
DELTA = "zstd-delta"
MAX_DEPTH = 16  # the longest chain of deltas a content is rebuilt through
_LEVEL = 6
# A delta is kept only when it is clearly smaller than the content on its own.
_DELTA_GAIN = 0.8
# A content whose parent ends a full chain is kept as a delta against the whole
# frame that chain starts from (depth 1: reading stays within MAX_DEPTH frames)
# while that delta is at most this share of the content on its own; past it,
# the text has drifted far enough from that frame for a new whole one to pay.
_RESTART_GAIN = 0.5


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
    session: Session,
    data: bytes,
    digest: str | None = None,
    base: str | None = None,
    *,
    encoding: str | None = None,
    chars: int | None = None,
) -> tuple[str, bool]:
    """Store ``data`` unless its hash is already stored; returns (hash, newly stored).

    ``base`` names a stored content (usually the parent version's) to keep
    ``data`` as a delta against, when that is worth it and the chain is short.
    ``encoding`` is the bytes' encoding (None: UTF-8), ``chars`` the length of
    their text when the caller has decoded it already.
    """
    digest = digest or content_hash(data)
    if session.get(Content, digest) is not None:
        return digest, False
    stored_now = insert(session, frame(session, data, digest, base, encoding=encoding, chars=chars))
    if stored_now:  # the next revision's parent, in an import
        _remember(session, digest, bytes(data), encoding)
    return digest, stored_now


def frame(
    session: Session,
    data: bytes,
    digest: str | None = None,
    base: str | None = None,
    *,
    encoding: str | None = None,
    chars: int | None = None,
    base_data: bytes | None = None,
) -> dict[str, object]:
    """The row `put` would store for ``data`` (compressed, or a delta against ``base``),
    without writing it: a writer computes it before it takes the write lock and then
    `insert`s it. Contents are never changed or deleted, so a frame made in one
    snapshot stays valid in any later transaction (its base is still there).
    ``base_data`` is ``base``'s bytes when the caller has rebuilt them (`stored`)."""
    digest = digest or content_hash(data)
    values: dict[str, object] = {
        "hash": digest,
        "size": len(data),
        "chars": len(decoded(data, encoding, digest)) if chars is None else chars,
        "compression": FULL,
        "base_hash": None,
        "depth": 0,
        "data": compress(data),
        "encoding": encoding,
    }
    base_row = session.get(Content, base) if base and base != digest else None
    base_hash, base_depth, gain = None, 0, _DELTA_GAIN
    if base_row is not None and base_row.depth < MAX_DEPTH:
        base_hash, base_depth = base_row.hash, base_row.depth
        if base_data is None:
            base_data = get_bytes(session, base_hash)
    elif base_row is not None:
        # The chain is full: start the next one from the chain's whole frame.
        start = _chain_start(session, base_row.hash)
        if start is not None:
            base_data = decompress(start.data, start.compression)
            base_hash, gain = start.hash, _RESTART_GAIN
    if base_hash is not None:
        delta = compress(data, base_data)
        if len(delta) < gain * len(values["data"]):
            values.update(
                compression=DELTA, base_hash=base_hash, depth=base_depth + 1, data=delta
            )
    return values


def _chain_start(session: Session, digest: str):
    """The row of the whole frame ``digest``'s delta chain starts from (None: the chain
    is broken)."""
    rows = {row.hash: row for row in _chain_rows(session, [digest])}
    row = rows.get(digest)
    for _ in range(MAX_DEPTH + 1):
        if row is None or row.compression != DELTA:
            return row
        row = rows.get(row.base_hash)
    return None


def _insert_statement(statement):
    # A concurrent writer may store the same bytes first: that is not an error.
    table = Content.__table__
    return (
        statement(table).on_conflict_do_nothing(index_elements=["hash"]).returning(table.c.hash)
    )


@functools.cache
def _insert_for(dialect: str):
    # Built once per dialect: the values go in as parameters, so SQLAlchemy's statement cache
    # keys the statement alone, not the bytes (a cache key of a 20 KB frame costs more than the insert).
    return _insert_statement(lazy.dialect_insert(dialect))


def insert(session: Session, values: dict[str, object]) -> bool:
    """Store a `frame` unless its hash is already stored; returns whether it was stored now."""
    return bool(plain.run(session, _insert_for(session.get_bind().dialect.name), values))


# The contents a session rebuilt or stored last, by hash, with their recorded encodings:
# a registration reads its parent's bytes (for the delta) and text (for the diff), and
# in an import the parent is the content the entry before stored. Neither changes for
# a hash, and the cache lives and dies with its session (one transaction, one snapshot).
_REBUILT = "provenance.contents.rebuilt"
_REBUILT_ENTRIES = 16
_REBUILT_BYTES = 64 << 20


def _rebuilt(session: Session) -> OrderedDict[str, tuple[bytes, str | None]]:
    return session.info.setdefault(_REBUILT, OrderedDict())


def _remember(session: Session, digest: str, data: bytes, encoding: str | None) -> None:
    kept = _rebuilt(session)
    kept[digest] = (data, encoding)
    kept.move_to_end(digest)
    while len(kept) > _REBUILT_ENTRIES or (
        len(kept) > 1 and sum(len(d) for d, _ in kept.values()) > _REBUILT_BYTES
    ):
        kept.popitem(last=False)


def get_bytes(session: Session, digest: str) -> bytes:
    """The exact bytes of a stored content, following its delta chain."""
    return _rebuild(session, digest)[0]


def _rebuild(session: Session, digest: str) -> tuple[bytes, str | None]:
    """A content's bytes and recorded encoding: the bytes from this session's last
    rebuilt or stored ones, else from its delta chain read in one query."""
    kept = _rebuilt(session)
    if digest in kept:
        return kept[digest]
    rows = {row.hash: row for row in _chain_rows(session, [digest])}
    data = reconstruct(digest, rows.get, {h: d for h, (d, _) in kept.items()})
    _remember(session, digest, data, rows[digest].encoding)
    return data, rows[digest].encoding


def reconstruct(
    digest: str,
    fetch: Callable[[str], Content | None],
    known: Mapping[str, bytes] | None = None,
    *,
    keep: dict[str, bytes] | None = None,
) -> bytes:
    """Rebuild a content from its frames; ``fetch`` returns the row for a hash.

    ``known`` holds bytes already rebuilt, by hash: the chain is read down to
    the first of them, not to its whole frame. ``keep`` receives the bytes of
    every frame rebuilt on the way (contents of one history share their bases).
    """
    if known and digest in known:
        return known[digest]
    chain: list[Content] = []
    current: str | None = digest
    data: bytes | bytearray | None = None
    while current is not None:
        if known and current in known:
            data = known[current]
            break
        row = fetch(current)
        if row is None:
            if current == digest:
                raise NotFoundError(f"content {digest} is not stored")
            raise IntegrityError(f"content {digest}: its delta base {current} is missing")
        chain.append(row)
        if len(chain) > MAX_DEPTH + 1:
            raise IntegrityError(f"content {digest}: delta chain longer than {MAX_DEPTH}")
        current = row.base_hash if row.compression == DELTA else None
    for row in reversed(chain):
        data = decompress_into(row.data, row.compression, data)
        if keep is not None:
            data = keep[row.hash] = bytes(data)
    assert data is not None
    return bytes(data)


def decoded(data: bytes | bytearray, encoding: str | None, digest: str = "") -> str:
    """The text of a content's bytes, read in its recorded ``encoding`` (None: UTF-8).

    Bytes that do not decode so (a damaged record: `register` never stores
    such) raise `IntegrityError`, naming the content and the byte offset.
    """
    name = encoding or "utf-8"
    try:
        return data.decode(name)
    except UnicodeDecodeError as exc:
        raise IntegrityError(
            f"content {digest}: its bytes are not valid {name} (its recorded encoding) "
            f"at byte offset {exc.start}"
        ) from None
    except (LookupError, UnicodeError) as exc:
        raise IntegrityError(f"content {digest}: cannot be decoded as {name!r} ({exc})") from None


def get_text(session: Session, digest: str) -> str:
    """The text of a stored content, decoded in its recorded encoding."""
    return stored(session, digest).text


def stored(session: Session, digest: str) -> decoding.DecodedText:
    """A stored content's text, bytes and recorded encoding, its delta chain rebuilt once
    (a writer needs the parent's bytes for a delta and its text for the diff)."""
    data, encoding = _rebuild(session, digest)
    return decoding.DecodedText(decoded(data, encoding, digest), data, encoding)


def encoding_of(session: Session, digest: str) -> str | None:
    """The recorded encoding of a stored content (None: UTF-8)."""
    row = session.get(Content, digest)
    if row is None:
        raise NotFoundError(f"content {digest} is not stored")
    return row.encoding


def reading(
    session: Session,
    data: bytes,
    name: str,
    encoding: str | None = None,
    known: decoding.DecodedText | None = None,
) -> decoding.DecodedText:
    """``data`` (from ``name``) decoded for registering: by `provenance.text.decode`'s
    rule, except that bytes the archive already holds are read as they were stored.

    Without ``encoding``, stored bytes are read in their recorded encoding (the
    archive knows how these exact bytes decode; nothing is guessed). With one,
    its text must be the stored content's text: the same bytes read as ASCII or
    as GB18030 of ASCII are one content, which keeps the encoding it was first
    recorded with; a claim that reads them as another text is refused in one
    line. ``known`` is this decoding done before (in another snapshot), reused.
    """
    digest = content_hash(data)
    row = session.get(Content, digest)
    if row is None:
        return known if known is not None else decoding.decode(data, name, encoding)
    # ``data`` hashes to the stored content, so it is its bytes: decoded here, not rebuilt.
    if encoding is None:
        if known is not None and known.encoding == row.encoding:
            return known
        return decoding.DecodedText(decoded(data, row.encoding, digest), data, row.encoding)
    claim = known if known is not None else decoding.decode(data, name, encoding)
    if claim.encoding == row.encoding:
        return claim
    if claim.text == decoded(data, row.encoding, digest):
        return decoding.DecodedText(claim.text, data, row.encoding)
    raise EncodingConflict(name, claim.encoding, row.encoding, digest)


_CHAIN_SQL = (
    "WITH RECURSIVE chain(hash) AS (SELECT hash FROM content WHERE hash IN :hashes"
    " UNION SELECT c.base_hash FROM content c JOIN chain ON c.hash = chain.hash"
    " WHERE c.compression = :delta AND c.base_hash IS NOT NULL)"
    " SELECT t.hash, t.compression, t.base_hash, t.data, t.encoding FROM content t"
    " JOIN chain ON t.hash = chain.hash"
)


def texts(session: Session, hashes: list[str]) -> dict[str, str]:
    """The texts of these contents, with their whole delta chains read in one query.

    Contents of one history share their delta bases, so each frame is read and
    decompressed once for all of them.
    """
    hashes = list(dict.fromkeys(hashes))
    if not hashes:
        return {}
    rows = {row.hash: row for row in _chain_rows(session, hashes)}
    data: dict[str, bytes] = {}
    for h in hashes:
        reconstruct(h, rows.get, data, keep=data)
    return {h: decoded(data[h], rows[h].encoding, h) for h in hashes}


def _chain_rows(session: Session, hashes: list[str]) -> list:
    """The rows (hash, compression, base_hash, data, encoding) of these contents and of
    every frame their delta chains go through, in one query."""
    stmt = (
        sql_text(_CHAIN_SQL)
        .bindparams(bindparam("hashes", expanding=True, type_=Digest))
        .columns(hash=Digest, base_hash=Digest)
    )
    return list(session.execute(stmt, {"hashes": hashes, "delta": DELTA}))
