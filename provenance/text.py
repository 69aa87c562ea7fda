"""Turning registered bytes into text, and text back into bytes.

The archive stores the exact UTF-8 bytes a user registered. Input in another
encoding is accepted only when the user names it, and is then stored as
UTF-8 (the version records the original encoding and its hash).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from provenance.errors import EncodingError, InputError
from provenance.hashing import content_hash


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str
    data: bytes  # the UTF-8 bytes to store
    transcoded_from: str | None = None  # the declared encoding, when not UTF-8
    original_hash: str | None = None  # hash of the bytes as given, when transcoded


def decode(data: bytes, name: str, encoding: str | None = None) -> DecodedText:
    """Decode ``data`` (from the file or stream ``name``) strictly.

    Without ``encoding`` the bytes must be UTF-8; a byte-order mark is kept as
    the character it is, since the record must stay exactly what was given.
    """
    enc = (encoding or "utf-8").lower()
    try:
        codec = codecs.lookup(enc)
    except LookupError:
        raise InputError(f"{name}: unknown encoding {encoding!r}") from None
    try:
        text = data.decode(codec.name, errors="strict")
    except UnicodeDecodeError as exc:
        raise EncodingError(name, exc.start, codec.name) from None
    if codec.name == "utf-8":
        return DecodedText(text, data)
    utf8 = text.encode("utf-8")
    return DecodedText(text, utf8, codec.name, content_hash(data))


def read_file(path: str) -> bytes:
    """The bytes of the file at ``path``, with a one-line error naming it when it cannot be read."""
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
