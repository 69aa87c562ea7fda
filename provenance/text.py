"""Turning registered bytes into text, and text back into bytes.

The archive stores the exact UTF-8 bytes a user registered. Input in another
encoding is accepted only when the user names it, and is then stored as
UTF-8 (the version records the original encoding and its hash).

Only regular files are read, and at most ``max_size`` bytes of them: a
device (``/dev/zero``), a FIFO or a folder is refused before a byte is read.
"""

from __future__ import annotations

import codecs
import os
import stat
from dataclasses import dataclass

from provenance import validate
from provenance.errors import EncodingError, InputError
from provenance.hashing import content_hash

MAX_SIZE = 64 << 20
"""The largest file read by default (64 MiB): far beyond any article or law
edition, and small enough that reading one never exhausts memory."""


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
    validate.encoding(encoding)
    enc = (encoding or "utf-8").lower()
    try:
        codec = codecs.lookup(enc)
    except LookupError:
        raise InputError(f"{name}: unknown encoding {validate.shown(encoding)}") from None
    if not getattr(codec, "_is_text_encoding", True) or codec.name == "undefined":
        raise InputError(f"{name}: {validate.shown(encoding)} is not a text encoding")
    try:
        text = data.decode(codec.name, errors="strict")
    except UnicodeDecodeError as exc:
        raise EncodingError(name, exc.start, codec.name) from None
    except UnicodeError as exc:  # a codec that fails without saying where
        raise InputError(f"{name}: cannot be decoded as {codec.name} ({exc})") from None
    if codec.name == "utf-8":
        return DecodedText(text, data)
    validate.text(text, name)
    utf8 = text.encode("utf-8")
    return DecodedText(text, utf8, codec.name, content_hash(data))


def read_file(path: str, *, max_size: int = MAX_SIZE) -> bytes:
    """The bytes of the regular file at ``path``, at most ``max_size`` of them.

    Errors are one line naming the file. The file is opened without blocking
    (a FIFO would wait for a writer) and checked before it is read; its size
    is checked before reading and again while reading, for a file that grows.
    """
    if "\x00" in path:
        raise InputError(f"{validate.shown(path)}: a file path cannot contain a NUL character")
    name = validate.display_path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except ValueError:  # a lone surrogate the file system encoding cannot write
        raise InputError(f"{name}: not a file name this system can open") from None
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except PermissionError:
        raise InputError(f"{name}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror})") from None
    try:
        mode = os.fstat(fd)
        if stat.S_ISDIR(mode.st_mode):
            raise InputError(f"{name}: is a directory, not a file")
        if not stat.S_ISREG(mode.st_mode):
            raise InputError(f"{name}: not a regular file ({_kind(mode.st_mode)}); only files are read")
        if mode.st_size > max_size:
            raise InputError(f"{name}: {mode.st_size} bytes, over the limit of {max_size}")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(max_size + 1)
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)
    if len(data) > max_size:
        raise InputError(f"{name}: grew past the limit of {max_size} bytes while being read")
    return data


def _kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a regular file"
