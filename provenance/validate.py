"""The rules every value obeys before it enters the record, the same on every backend.

A value that one backend would store and another would refuse (a document key
longer than its column, a NUL in a text column, ``NaN`` in a JSON column) or
that would make the audit log's canonical JSON something else than JSON (a
lone surrogate, ``NaN``) is refused here, before any row is written, with one
`InputError` line naming the field and the problem. docs/validation.md states
the rules; this module is their only owner.

Each check returns the value to store (a time in its canonical form, a copy
of the metadata). It takes ``field``, the field's name as the user wrote it
(by default the `prov` option, ``--doc``; a manifest's field, ``doc``), and
``where``, the file or manifest entry the value came from, to begin the
message with.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from provenance.errors import InputError

RELATIONS = ("revision", "copy", "excerpt", "derived", "merge")
"""What a link says of a child and its parent; the schema's CHECK constraint
(`provenance.models`) holds the same list. Here, not in the models, so that
checking an option needs no SQLAlchemy."""

DOC_MAX = 1024
"""A document key's characters: the column's width (`models.Document.key`)."""
LABEL_MAX = 512
"""A label's characters: the column's width (`models.Version.label`)."""
SOURCE_MAX = 4096
"""A source's characters: a long URL fits; the column itself is unbounded."""
ACTOR_MAX = 256
"""An actor's characters (a user name or an e-mail address)."""
ENCODING_MAX = 64
"""An encoding name's characters (the longest Python codec name has 20)."""
TIME_MAX = 40
"""A time's characters in its canonical form: the column's width (`models.Version.captured_at`)."""
REF_MAX = 4096
"""A reference's characters: a document key, ``@`` and a number, or a file path."""
PATH_MAX = 4096
"""A file path's characters (Linux's PATH_MAX)."""
META_KEY_MAX = 256
"""A metadata key's characters."""
META_DEPTH = 32
"""How deep metadata nests: levels of objects and lists, the top-level object the first."""
META_BYTES = 1 << 20
"""The metadata of one version, as canonical UTF-8 JSON: 1 MiB."""
INT_MAX = (1 << 63) - 1
"""The largest integer in metadata (64-bit signed), so that every JSON reader reads it back."""
NUMBER_MAX = (1 << 31) - 1
"""The largest version number or id in a reference: the column's range (32-bit signed)."""

SHOWN = 40  # how much of a refused value a message repeats

_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # Unicode Cc, Zl, Zp


def shown(value: str) -> str:
    """``value`` for a one-line message: quoted and escaped, cut after 40 characters."""
    if len(value) > SHOWN:
        return repr(value[:SHOWN]) + "…"
    return repr(value)


def display_path(value: str) -> str:
    """A file path for a one-line message: as it is, or quoted and escaped when it
    holds a character that would break the line or the terminal."""
    if _LINE_BREAKING.search(value) or _SURROGATE.search(value):
        return repr(value)
    return value


def _refuse(where: str | None, field: str, problem: str) -> InputError:
    return InputError(f"{where}: {field}: {problem}" if where else f"{field}: {problem}")


def _check_string(
    value: Any,
    field: str,
    where: str | None,
    *,
    max_chars: int,
    single_line: bool = True,
    required: bool = False,
) -> str:
    """The rules every stored string obeys: text, bounded, no NUL, no lone surrogate."""
    if not isinstance(value, str):
        raise _refuse(where, field, f"must be text, not {_json_type(value)}")
    if required and not value.strip():
        raise _refuse(where, field, "cannot be empty")
    if len(value) > max_chars:
        raise _refuse(where, field, f"at most {max_chars} characters (this one has {len(value)})")
    nul = value.find("\x00")
    if nul >= 0:
        raise _refuse(where, field, f"contains a NUL character (U+0000) at character {nul}")
    found = _SURROGATE.search(value)
    if found:
        raise _refuse(
            where, field, f"contains a lone surrogate (U+{ord(found[0]):04X}) at character {found.start()}"
        )
    found = _LINE_BREAKING.search(value) if single_line else None
    if found:
        raise _refuse(
            where,
            field,
            f"contains a control or line-break character (U+{ord(found[0]):04X}) at character {found.start()}",
        )
    return value


def storable(value: str) -> bool:
    """Whether ``value`` could be held by a text column (no NUL, no lone surrogate). A
    string that could not names nothing stored, and PostgreSQL refuses to be asked
    about it, so a lookup answers "none" without asking."""
    return "\x00" not in value and not _SURROGATE.search(value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def document(value: Any, *, where: str | None = None, field: str = "--doc") -> str:
    """A document key: 1 to 1,024 characters on one line, not only spaces."""
    return _check_string(value, field, where, max_chars=DOC_MAX, required=True)


def label(value: Any, *, where: str | None = None, field: str = "--label") -> str | None:
    """A label (None: no label): at most 512 characters on one line."""
    if value is None:
        return None
    return _check_string(value, field, where, max_chars=LABEL_MAX)


def source(value: Any, *, where: str | None = None, field: str = "--source") -> str | None:
    """Where a text came from (None: not said): at most 4,096 characters on one line."""
    if value is None:
        return None
    return _check_string(value, field, where, max_chars=SOURCE_MAX)


def actor(value: Any, *, where: str | None = None, field: str = "--as") -> str:
    """Who acts, as the audit log records it: 1 to 256 characters on one line."""
    return _check_string(value, field, where, max_chars=ACTOR_MAX, required=True)


def encoding(value: Any, *, where: str | None = None, field: str = "--encoding") -> str | None:
    """An encoding's name (None: UTF-8): at most 64 characters on one line.

    Whether Python knows it as a text encoding is `provenance.text.decode`'s check.
    """
    if value is None:
        return None
    return _check_string(value, field, where, max_chars=ENCODING_MAX, required=True)


def relation(value: Any, *, where: str | None = None, field: str = "--relation") -> str | None:
    """A link's relation (None: guessed): one of `RELATIONS`."""
    if value is None:
        return None
    _check_string(value, field, where, max_chars=16)
    if value not in RELATIONS:
        raise _refuse(
            where, field, f"unknown relation {shown(value)}; use one of {', '.join(RELATIONS)}"
        )
    return value


def time(value: Any, *, where: str | None = None, field: str = "--captured-at") -> str:
    """An ISO 8601 time, in the canonical form it is stored in (its offset kept).

    A date alone stays a date. The canonical form has at most 40 characters
    (an offset with seconds and microseconds makes it longer, and is refused).
    """
    _check_string(value, field, where, max_chars=REF_MAX)
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _refuse(
            where,
            field,
            f"{shown(value)} is not an ISO 8601 time (e.g. 2019-10-25 or 2019-10-25T08:00:00+08:00)",
        ) from None
    canonical = parsed.date().isoformat() if len(text) == 10 else parsed.isoformat()
    if len(canonical) > TIME_MAX:
        raise _refuse(
            where, field, f"{shown(value)} is longer than {TIME_MAX} characters written out ({canonical})"
        )
    return canonical


def reference(value: Any, *, where: str | None = None, field: str = "--parent") -> str:
    """A REF as a user typed it: on one line, at most 4,096 characters, and its
    numbers (``12``, ``DOC@3``) ASCII digits within the columns' range.

    Whether it names a version is `provenance.refs.resolve`'s answer. A
    reference of digits alone may be a hash prefix, so only its digits are
    checked; a file (``file:NAME``, a path with a ``/``) only as a string.
    """
    _check_string(value, field, where, max_chars=REF_MAX, required=True)
    if value.startswith("file:") or "/" in value:  # a file, named as `provenance.refs` reads one
        return value
    if value.isdigit() and not value.isascii():
        raise _refuse(where, field, f"{shown(value)} is not a version id (ASCII digits 0-9)")
    if "@" in value:
        key, _, selector = value.rpartition("@")
        if not key:
            raise _refuse(where, field, f"{shown(value)} names no document before the @")
        if selector.isdigit():
            if not selector.isascii():
                raise _refuse(where, field, f"{shown(value)}: a version number is ASCII digits 0-9")
            if int(selector) > NUMBER_MAX:
                raise _refuse(where, field, f"{shown(value)}: no version number is above {NUMBER_MAX}")
    return value


def references(value: Any, *, where: str | None = None, field: str = "--parent") -> tuple[str, ...]:
    """Several REFs (a REF alone is a list of one; None or "" none)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise _refuse(where, field, f"must be a REF or a list of REFs, not {_json_type(value)}")
    return tuple(reference(ref, where=where, field=field) for ref in value)


def path(value: Any, *, where: str | None = None, field: str = "path") -> str:
    """A file path as given: 1 to 4,096 characters, no NUL, no lone surrogate.

    Control characters are allowed (file systems allow them); a path that is
    recorded (a manifest's, in its ``import.run`` event) must be `recorded_path`.
    """
    return _check_string(value, field, where, max_chars=PATH_MAX, single_line=False, required=True)


def recorded_path(value: Any, *, where: str | None = None, field: str = "manifest") -> str:
    """A file path the audit log records: a `path` on one line."""
    return _check_string(value, field, where, max_chars=PATH_MAX, required=True)


def meta(value: Any, *, where: str | None = None, field: str = "--meta") -> dict[str, Any]:
    """Free metadata: a JSON object with text keys, finite numbers, bounded depth and size.

    Keys are 1 to 256 characters on one line; strings have no NUL and no lone
    surrogate; numbers are finite, integers within 64 bits; at most 32 levels
    of objects and lists, the top-level object the first; the whole is at most 1 MiB as canonical JSON.
    Returns a plain copy (lists for tuples, dicts for mappings).
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _refuse(where, field, f"must be an object, not {_json_type(value)}")
    copy = _json_value(value, field, where, 0)
    size = len(json.dumps(copy, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size > META_BYTES:
        raise _refuse(where, field, f"at most {META_BYTES} bytes as JSON (this one has {size})")
    return copy


def meta_key(value: Any, *, where: str | None = None, field: str = "--meta") -> str:
    """One metadata key (as `meta` checks each key)."""
    return _check_string(value, field, where, max_chars=META_KEY_MAX, required=True)


def _json_value(value: Any, at: str, where: str | None, depth: int) -> Any:
    """A checked copy of one JSON value found at ``at`` (``meta['a'][0]``)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > INT_MAX:
            raise _refuse(where, at, f"an integer beyond 64 bits (at most {INT_MAX} either side of 0)")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _refuse(where, at, f"{value} is not a finite number (JSON has no NaN or Infinity)")
        return value
    if isinstance(value, str):
        return _check_string(value, at, where, max_chars=META_BYTES, single_line=False)
    if isinstance(value, Mapping | list | tuple):
        if depth >= META_DEPTH:
            raise _refuse(where, at, f"nested deeper than {META_DEPTH} levels")
        if isinstance(value, Mapping):
            out = {}
            for key, item in value.items():
                named = shown(key) if isinstance(key, str) else repr(key)
                meta_key(key, where=where, field=f"{at} key {named}")
                out[key] = _json_value(item, f"{at}[{named}]", where, depth + 1)
            return out
        return [_json_value(item, f"{at}[{i}]", where, depth + 1) for i, item in enumerate(value)]
    raise _refuse(where, at, f"{type(value).__name__} is not a JSON value")


def text(value: str, name: str) -> str:
    """A decoded text: no lone surrogate (some codecs, such as UTF-7, decode to them)."""
    found = _SURROGATE.search(value)
    if found:
        raise InputError(
            f"{name}: the decoded text has a lone surrogate (U+{ord(found[0]):04X}) at character "
            f"{found.start()}, which UTF-8 cannot store"
        )
    return value


def meta_pairs(items: Any, *, where: str | None = None, field: str = "--meta") -> dict[str, str]:
    """``KEY=VALUE`` strings (``--meta``, the service's ``meta`` parameter) as metadata;
    the values are checked by `meta` when they enter the record."""
    pairs: dict[str, str] = {}
    for item in items or ():
        key, sep, value = str(item).partition("=")
        if not sep or not key:
            raise _refuse(where, field, f"{shown(str(item))}: write KEY=VALUE")
        pairs[key] = value
    return pairs
