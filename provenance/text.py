"""Turning registered bytes into text.

The archive stores the exact bytes a user registered, in whatever encoding
they came in; the hash is of those bytes, and the decoded text is what every
comparison uses. Which encoding a registration's bytes are read in (`decode`):

1. the encoding the user names (``--encoding``, a manifest's ``encoding``, a
   page's declared charset), strictly: bytes invalid in it are refused with
   the byte offset;
2. otherwise a UTF-32 or UTF-16 byte-order mark says which of those it is;
3. otherwise UTF-8, strictly. A UTF-8 byte-order mark stays in the text as
   the character U+FEFF (the lenses other than ``exact`` ignore it).

No legacy encoding is ever guessed: bytes that are not UTF-8 and carry no
byte-order mark are refused, and the message suggests ``--encoding``. The
rule for bytes the archive already holds is `provenance.contents.reading`'s.
`charset` names an encoding as HTTP does, for the raw downloads.

Only regular files are read, and at most ``max_size`` bytes of them: a
device (``/dev/zero``), a FIFO or a folder is refused before a byte is read.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from dataclasses import dataclass

from provenance import validate
from provenance.errors import EncodingError, InputError

MAX_SIZE = 64 << 20
"""The largest file read by default (64 MiB): far beyond any article or law
edition, and small enough that reading one never exhausts memory."""

CODEC_NAME_MAX = 32
"""The longest encoding name a content records (``content.encoding``)."""

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)  # UTF-32's before UTF-16's: FF FE 00 00 begins with FF FE


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str
    data: bytes  # the bytes as given: what is stored and hashed
    encoding: str | None = None  # their encoding (a Python codec name) when not UTF-8


def codec_name(encoding: str | None, name: str) -> str:
    """The Python codec name of the text encoding ``encoding`` (None: ``utf-8``), as a
    content records it; refused in one line naming ``name`` when it is no text encoding."""
    validate.encoding(encoding)
    try:
        codec = codecs.lookup((encoding or "utf-8").lower())
    except LookupError:
        raise InputError(f"{name}: unknown encoding {validate.shown(encoding)}") from None
    if not getattr(codec, "_is_text_encoding", True) or codec.name == "undefined":
        raise InputError(f"{name}: {validate.shown(encoding)} is not a text encoding")
    if len(codec.name) > CODEC_NAME_MAX:  # pragma: no cover - no codec Python ships is
        raise InputError(f"{name}: the encoding name {codec.name!r} is too long to record")
    return codec.name


def detected(data: bytes) -> str | None:
    """The encoding a byte-order mark at the start of ``data`` names (UTF-16 or
    UTF-32), or None: then the bytes are read as UTF-8."""
    for mark, encoding in _BOMS:
        if data.startswith(mark):
            return encoding
    return None


def decode(data: bytes, name: str, encoding: str | None = None) -> DecodedText:
    """Decode ``data`` (from the file or stream ``name``) strictly, by the rule above.

    The bytes are kept exactly as given (`DecodedText.data`); ``encoding`` in
    the result is the codec they were read with, None for UTF-8.
    """
    if encoding is None:
        encoding = detected(data)
    codec = codec_name(encoding, name)
    if codec in ("utf-16", "utf-32") and detected(data) is None and data:
        raise InputError(
            f"{name}: {codec.upper()} without a byte-order mark could be either byte order; "
            f"name it with --encoding {codec}-le or --encoding {codec}-be"
        )
    try:
        text = data.decode(codec, errors="strict")
    except UnicodeDecodeError as exc:
        raise EncodingError(name, exc.start, codec) from None
    except UnicodeError as exc:  # a codec that fails without saying where
        raise InputError(f"{name}: cannot be decoded as {codec} ({exc})") from None
    if codec == "utf-8":
        return DecodedText(text, data)
    validate.text(text, name)
    return DecodedText(text, data, codec)


_WINDOWS = re.compile(r"cp(125\d)")
_ISO = re.compile(r"iso8859-(\d+)")
_HTTP_NAMES = {
    "ascii": "us-ascii",
    "shift_jis": "Shift_JIS",
    "cp932": "windows-31j",
    "cp936": "gbk",
    "mac-roman": "macintosh",
}


def charset(encoding: str | None) -> str:
    """The name HTTP (``Content-Type: ...; charset=``) gives a content's ``encoding``
    (a Python codec name, None: UTF-8): ``cp1252`` is ``windows-1252``,
    ``iso8859-2`` is ``iso-8859-2``, ``euc_jp`` is ``euc-jp``."""
    if encoding is None:
        return "utf-8"
    if encoding in _HTTP_NAMES:
        return _HTTP_NAMES[encoding]
    if found := _WINDOWS.fullmatch(encoding):
        return f"windows-{found[1]}"
    if found := _ISO.fullmatch(encoding):
        return f"iso-8859-{found[1]}"
    return encoding.replace("_", "-")


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
