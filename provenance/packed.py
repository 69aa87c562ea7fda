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

An edit record's edits (`PackedEdits`, since migration 0010) are framed by
their gaps rather than their offsets: ``[a_start, a_end, b_start, b_end, new]``
per edit becomes three lists, ``skip`` (the parent's characters kept since the
previous edit), ``take`` (the parent's characters this edit replaces) and
``put`` (its new text). ``b_start`` and ``b_end`` follow from them, so only
edits whose offsets do follow are framed so (`_by_gaps` checks, and any other
list is framed as it is): what is read back is what was written, exactly.
Absolute offsets grow with the text and compress badly; on the corpus the
edits' frames went from 1,148 KB to 493 KB. `edits_text` gives back the compact
JSON text of the list either way, which is what the audit log hashes.

An audit event's body (`EventBody`, since migration 0015) is its canonical
JSON text, kept as a zstd frame compressed with `EVENT_DICTIONARY`: a template
of every kind's keys, so that a short event does not pay for them each time
(the corpus's 2,042 bodies: 693 KB of text, 316 KB of frames; about 500 KB without
the dictionary). The text read back is the text written, byte for byte, which
is what the log's Merkle leaves hash; a frame carries no checksum of its own
because that leaf hash (and the tables the event is replayed against) already
check it. The dictionary is part of the storage format: a frame is only
readable with the bytes it was written with, so it never changes (a test
reads a frame written when it was made).
"""

from __future__ import annotations

import json
import threading
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


_GAPS = ("put", "skip", "take")


def pack_edits(edits: Any) -> bytes:
    """The frame of an edit record's edits: by their gaps when that form gives
    them back exactly (see the module's docstring), else as they are."""
    gaps = _by_gaps(edits)
    return pack(edits if gaps is None else gaps)


def _by_gaps(edits: Any) -> dict[str, list] | None:
    if not isinstance(edits, list) or not edits:
        return None
    skip, take, put = [], [], []
    at = shift = 0
    for row in edits:
        if not isinstance(row, list | tuple) or len(row) != 5:
            return None
        a0, a1, b0, b1, new = row
        if not (_int(a0) and _int(a1) and _int(b0) and _int(b1) and type(new) is str):
            return None
        if b0 != a0 + shift or b1 - b0 != len(new):
            return None
        skip.append(a0 - at)
        take.append(a1 - a0)
        put.append(new)
        at, shift = a1, shift + len(new) - (a1 - a0)
    return {"put": put, "skip": skip, "take": take}


def _int(value: Any) -> bool:
    return type(value) is int  # not a bool: True would come back as 1


def _offsets(form: Any) -> Any:
    """The edits a frame's value stands for: a list as it is, gaps rebuilt into one.
    Raises ``ValueError`` for an object that is not such gaps."""
    if not isinstance(form, dict):
        return form
    if sorted(form) != list(_GAPS) or not all(isinstance(form[k], list) for k in _GAPS):
        raise ValueError(f"an object with keys {sorted(form)}, not the gaps of edits")
    put, skip, take = (form[k] for k in _GAPS)
    if not len(put) == len(skip) == len(take):
        raise ValueError("gaps of edits whose lists differ in length")
    edits = []
    at = shift = 0
    for new, gap, cut in zip(put, skip, take, strict=True):
        if not (_int(gap) and _int(cut) and type(new) is str):
            raise ValueError("gaps of edits holding a value that is not a count or a text")
        a0 = at + gap
        a1 = a0 + cut
        edits.append([a0, a1, a0 + shift, a0 + shift + len(new), new])
        at, shift = a1, shift + len(new) - cut
    return edits


def edits_text(blob: Any) -> str:
    """The compact JSON text of the edits a stored frame holds (the list, whichever
    form it was framed in). Raises ``ValueError`` as `stored_text` does, and for
    an object that is not the gaps of edits."""
    text = stored_text(blob)
    if not text.startswith("{"):
        return text
    return json_text(_offsets(json.loads(text)))


def unpack_edits(blob: Any) -> Any:
    """The edits of a stored frame (see `pack_edits`)."""
    try:
        return _offsets(json.loads(stored_text(blob)))
    except ValueError as exc:
        raise IntegrityError(
            f"a stored JSON frame cannot be read: {exc}; run: prov verify"
        ) from None


EVENT_DICTIONARY = "\n".join(
    (
        '{"actor":"","document":{"created_at":"","id":,"key":""},"kind":"document.created",'
        '"seq":,"time":"2026-01-01T00:00:00.000000Z"}',
        '{"actor":"","kind":"version.registered","seq":,"time":"2026-01-01T00:00:00.000000Z",'
        '"version":{"captured_at":null,"content_hash":"blake3:","document":"","document_id":,'
        '"encoding":null,"id":,"label":null,"meta":{},"number":,'
        '"registered_at":"2026-01-01T00:00:00.000000Z","source":null}}',
        '{"actor":"","edit_record":"blake3:","kind":"link.added","link":{"child":,"id":,'
        '"parent":,"relation":"revision"},"seq":,"time":"2026-01-01T00:00:00.000000Z"}',
        '{"actor":"","kind":"version.annotated","new":{"label":null},"old":{"label":null},'
        '"seq":,"time":"2026-01-01T00:00:00.000000Z","version":}',
        '{"actor":"","kind":"version.sighted","seq":,"sighting":{"captured_at":null,"id":,'
        '"meta":{},"recorded_at":"2026-01-01T00:00:00.000000Z","source":null,"version":},'
        '"time":"2026-01-01T00:00:00.000000Z"}',
        '{"actor":"","import":{"manifest":"","manifest_hash":"blake3:","versions":[]},'
        '"kind":"import.run","seq":,"time":"2026-01-01T00:00:00.000000Z"}',
        '{"actor":"","kind":"token.created","seq":,"time":"2026-01-01T00:00:00.000000Z",'
        '"token":{"hash_prefix":"","id":,"name":"","scope":"write"}}',
        '{"actor":"","kind":"token.revoked","seq":,"time":"2026-01-01T00:00:00.000000Z",'
        '"token":{"hash_prefix":"","id":,"name":"","scope":"read"}}',
    )
).encode("utf-8")
"""The raw-content zstd dictionary of event bodies: one template per event kind.
Part of the storage format (see the module's docstring): never changed."""

# On the corpus's events: level 6 frames 316 KB at 7 us an event, level 19 312 KB at
# 50 us (an import writes two events a version); level 3, 330 KB at 5 us.
_EVENT_LEVEL = 6
_events = threading.local()


def _event_codec() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    """This thread's compressor and decompressor of event bodies (neither may be
    shared between threads; building them per event costs more than the work)."""
    codec = getattr(_events, "codec", None)
    if codec is None:
        dictionary = zstandard.ZstdCompressionDict(
            EVENT_DICTIONARY, dict_type=zstandard.DICT_TYPE_RAWCONTENT
        )
        codec = _events.codec = (
            zstandard.ZstdCompressor(
                level=_EVENT_LEVEL, dict_data=dictionary, write_checksum=False, write_dict_id=False
            ),
            zstandard.ZstdDecompressor(dict_data=dictionary),
        )
    return codec


def pack_event(body: str) -> bytes:
    """The stored frame of an event's canonical JSON text."""
    return _event_codec()[0].compress(body.encode("utf-8", "surrogatepass"))


def event_text(blob: Any) -> str:
    """The event body a stored frame holds. Raises ``ValueError`` (naming what was
    found) when ``blob`` is not a readable frame of UTF-8 text."""
    if isinstance(blob, memoryview):
        blob = blob.tobytes()
    if not isinstance(blob, bytes) or not blob.startswith(_MAGIC):
        found = "text" if isinstance(blob, str) else type(blob).__name__
        raise ValueError(f"not a zstd frame (found {found})")
    try:
        data = _event_codec()[1].decompress(blob)
    except zstandard.ZstdError as exc:
        raise ValueError(f"a damaged zstd frame ({exc})") from None
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise ValueError(f"a frame that is not UTF-8 ({exc.reason} at byte {exc.start})") from None


class EventBody(sa.types.TypeDecorator):
    """An audit event's canonical JSON text, stored as `pack_event` frames it
    (BLOB / bytea): text in, the same text out. A stored value that is not such a
    frame is an `IntegrityError`; `prov verify` reads it with `event_text`."""

    impl = sa.LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        return None if value is None else pack_event(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        try:
            return event_text(value)
        except ValueError as exc:
            raise IntegrityError(
                f"a stored event cannot be read: {exc}; run: prov verify"
            ) from None


class PackedJSON(sa.types.TypeDecorator):
    """A JSON value stored as the zstd frame of its compact text (BLOB / bytea)."""

    impl = sa.LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        return None if value is None else pack(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else unpack(value)


class PackedEdits(PackedJSON):
    """An edit record's edits, framed by `pack_edits`."""

    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        return None if value is None else pack_edits(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else unpack_edits(value)
