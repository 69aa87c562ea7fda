"""JSON columns kept as zstd frames: an edit record's edits and detail.

Edit records were the archive's second largest table after the identify
index: their compact JSON (`store.json_text`) was 3.0 MB for the corpus's
973 links, larger than the compressed texts they describe, and 1.2 MB as
zstd frames. A frame holds exactly the compact JSON text that was stored
before, so what the audit log hashes (the values) and what `prov verify`
hashes without parsing (that text) are unchanged.

`PackedJSON` is the column type: values in, values out. A stored value that
is not such a frame (written behind the tool's back) is an `IntegrityError`
naming the problem; `stored_text` is how `prov verify` reads one without
stopping at it.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
import zstandard

from provenance.errors import IntegrityError
from provenance.store import json_text

_LEVEL = 9
_MAGIC = b"\x28\xb5\x2f\xfd"  # every zstd frame starts with these bytes


def pack(value: Any) -> bytes:
    """The zstd frame of ``value``'s compact JSON text."""
    return zstandard.ZstdCompressor(level=_LEVEL, write_checksum=True).compress(
        json_text(value).encode("utf-8", "surrogatepass")
    )


def stored_text(blob: Any) -> str:
    """The JSON text a stored frame holds, decoded as `pack` encoded it (a lone
    surrogate in a value comes back as itself). Raises ``ValueError`` when ``blob``
    is not a readable frame or does not hold such text."""
    if isinstance(blob, memoryview):
        blob = blob.tobytes()
    if not isinstance(blob, bytes) or not blob.startswith(_MAGIC):
        raise ValueError(f"not a zstd frame (found {type(blob).__name__})")
    try:
        data = zstandard.ZstdDecompressor().decompress(blob)
    except zstandard.ZstdError as exc:
        raise ValueError(f"a damaged zstd frame ({exc})") from None
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"a frame whose JSON is not UTF-8 ({exc.reason} at byte {exc.start})"
        ) from None


def unpack(blob: Any) -> Any:
    """The value of a stored frame."""
    try:
        return json.loads(stored_text(blob))
    except ValueError as exc:
        raise IntegrityError(
            f"a stored JSON frame cannot be read: {exc}; run: prov verify"
        ) from None


class PackedJSON(sa.types.TypeDecorator):
    """A JSON value stored as the zstd frame of its compact text (BLOB / bytea)."""

    impl = sa.LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        return None if value is None else pack(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else unpack(value)
