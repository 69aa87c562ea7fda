"""Checking the whole record against itself: fixity, the audit log, and signed checkpoints.

`verify` answers "is everything stored what was registered?" without
trusting any single table:

1. **The log.** Events are numbered 0, 1, 2, … without gaps; each is
   canonical JSON whose ``seq``, ``kind`` and subject agree with its row; the
   Merkle root is recomputed from the events alone.
2. **The record.** Replaying the events gives every document, version, link,
   edit record, sighting and API token the archive should hold, field by field (a version's label
   and metadata are the registered ones with each ``version.annotated`` event
   applied in order). Each row must match the event that made it, every row
   must have an event and every event its row.
3. **Fixity.** Every stored content is decompressed and hashed again with
   BLAKE3; its hash, size and character count must be what its row says, and
   the set of stored contents must be exactly those the events name
   (`fixity`: on a large archive, in worker processes while this thread
   checks the log and the record).
4. **The identify index.** Every content's index rows (its normalized hashes
   per lens, its sketch summary and its sketch keys) must be exactly those its
   text gives now (recomputed where fixity has the bytes in memory, in the
   workers), under the scheme `index_state` names, which must be the current
   one; a row changed, missing or left over is index damage, remedied by
   ``prov reindex`` (the index is derived data: nothing in the log covers it).
5. **Checkpoints.** Each stored checkpoint must parse, agree with its row,
   cover no more events than the log holds, carry the root recomputed at its
   size, and bear a valid signature: by the public key the caller gives (an
   outside, trusted copy) or else by the public key stored with it. The stored
   key only shows the checkpoints are self-consistent: whoever can rewrite the
   database can replace it too; auditors should pass the published key.

What it cannot see: a change to an event's actor or time (fields no row
repeats) after the latest checkpoint, and the deletion of checkpoints or of
trailing events together with the rows they made after the latest
checkpoint. Publishing checkpoints is what closes those gaps.

With ``quick``, contents are checked on a random sample (`QUICK_SAMPLE`,
chosen with the OS's randomness so that nobody can predict it), and so is the
index: the rows of the sampled contents are recomputed, while every content
is still checked to have its index rows and every index row to name a stored
content (sketch keys only for the sample); everything else is checked in full,
since it is cheap.

Damage of any kind is a problem in the report, never an exception: values of
the wrong type in a column (text where bytes belong, as SQLite allows), text
that is not UTF-8, JSON that is not what it should be; and should a check meet
something no test foresaw, what it could not check is itself reported.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import random
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from blake3 import blake3
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlmodel import Session

from provenance import audit, contents, diff, fixity, index, merkle, packed, sketch
from provenance import checkpoint as signing
from provenance.errors import InputError
from provenance.hashing import PREFIX, content_hash
from provenance.models import (
    ApiToken,
    Checkpoint,
    Content,
    ContentIndex,
    Document,
    EditRecord,
    Event,
    IndexState,
    KeyChain,
    KeyRun,
    Link,
    NormalHash,
    Sighting,
    Version,
)

QUICK_SAMPLE = 64
"""How many contents `verify(quick=True)` hashes."""

INDEX_SAMPLE = 16
"""How many contents a full verify (not ``deep``) recomputes the index rows of from
their texts, chosen with the OS's randomness; the others are checked against
their stored digest. A long law edition costs about 70 ms to recompute, so 16
cost about a second (``benchmarks/verify.py``); what the sample can and cannot
show is in docs/audit.md."""

Progress = fixity.Progress


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing found wrong. ``expected`` and ``found`` are JSON texts of the values."""

    check: str  # "log", "record", "fixity", "index" or "checkpoint"
    table: str  # the table where the damage shows: event, document, version, …
    row: str | None  # that row's key (seq, id or content hash), when there is one
    event: int | None  # the event involved, when there is one
    field: str | None
    expected: str | None
    found: str | None
    message: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What `prov verify` found; ``ok`` when ``problems`` is empty."""

    ok: bool
    quick: bool
    events: int
    root: str  # hex Merkle root recomputed from the events
    documents: int
    versions: int
    links: int
    contents: int  # content rows stored
    contents_checked: int  # how many were hashed again
    bytes_checked: int  # their decompressed bytes
    index_checked: int  # contents whose identify index rows were recomputed and compared
    checkpoints: int
    signatures: str  # "given key", "stored key" or "none" (no checkpoints)
    unsigned_events: int  # events after the last checkpoint that verified: no signature covers them
    problems: tuple[Problem, ...]
    sightings: int = 0  # sighting rows checked against their version.sighted events


def _fast_canonical() -> Callable[[Any], str]:
    """`audit.canonical`, built once: the C encoder json.dumps builds anew on every call.

    Without circular-reference markers: it only encodes values parsed from JSON.
    Falls back to `audit.canonical` where the C encoder is missing or differs.
    """
    try:
        from json.encoder import c_make_encoder, encode_basestring

        encode = c_make_encoder(None, None, encode_basestring, None, ":", ",", True, False, True)

        def canonical(value: Any) -> str:
            return "".join(encode(value, 0))

        sample = {"b": [1, 2.5, -0.0, 1e16, None, True, 'é\n\u2028"\\'], "a": {"z": {}, "y": []}}
        if canonical(sample) == audit.canonical(sample):
            return canonical
    except Exception:  # any trouble: the plain way
        pass
    return audit.canonical


_canonical = _fast_canonical()


def _shown(value: Any) -> Any:
    """A stored value JSON cannot hold (bytes where text belongs), as text saying what it is."""
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes: {bytes(value[:32]).hex()}{'…' if len(value) > 32 else ''}>"
    return repr(value)


def _j(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_shown)


def _printable(text: str) -> str:
    """Text that can be printed: a column that was not UTF-8 reads with lone surrogates."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass
class _Found:
    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        check: str,
        table: str,
        row: Any,
        message: str,
        *,
        event: int | None = None,
        field: str | None = None,
        expected: Any = ...,
        found: Any = ...,
    ) -> None:
        self.problems.append(
            Problem(
                check,
                table,
                None if row is None else _printable(str(row)),
                event,
                field,
                None if expected is ... else _printable(_j(expected)),
                None if found is ... else _printable(_j(found)),
                _printable(message),
            )
        )


# -- the log -----------------------------------------------------------------------

_PAYLOAD_KEYS = {
    "document.created": {"document"},
    "version.registered": {"version"},
    "link.added": {"link", "edit_record"},
    "version.annotated": {"version", "old", "new"},
    "version.sighted": {"sighting"},
    "import.run": {"import"},
    "token.created": {"token"},
    "token.revoked": {"token"},
}
_FIELDS = {
    "document": ("id", "key", "created_at"),
    "version": (
        "id",
        "document",
        "document_id",
        "number",
        "content_hash",
        "label",
        "source",
        "captured_at",
        "registered_at",
        "meta",
    ),
    "link": ("id", "child", "parent", "relation"),
    "sighting": ("id", "version", "source", "captured_at", "recorded_at", "meta"),
    "token": ("id", "name", "scope", "hash_prefix"),
}


@dataclass
class _Expected:
    """The record as the events say it should be."""

    documents: dict[int, tuple[int, dict]] = field(default_factory=dict)  # id -> (seq, payload)
    versions: dict[int, tuple[int, dict]] = field(default_factory=dict)
    state: dict[int, tuple[Any, Any, list[int]]] = field(default_factory=dict)  # label, meta, seqs
    links: dict[int, tuple[int, dict, str]] = field(default_factory=dict)  # + edit record hash
    sightings: dict[int, tuple[int, dict]] = field(default_factory=dict)  # id -> (seq, payload)
    tokens: dict[int, tuple[int, dict, str]] = field(default_factory=dict)  # + created time
    revoked: dict[int, tuple[int, str]] = field(default_factory=dict)  # id -> (seq, time)


def _subject(kind: str, obj: dict) -> str | None:
    try:
        if kind == "document.created":
            return f"document:{obj['document']['id']}"
        if kind == "version.registered":
            return f"version:{obj['version']['id']}"
        if kind == "link.added":
            return f"link:{obj['link']['id']}"
        if kind == "version.annotated":
            return f"version:{obj['version']}"
        if kind == "version.sighted":
            return f"version:{obj['sighting']['version']}"
        if kind == "import.run":
            return audit.import_subject(obj["import"]["manifest_hash"])
        if kind in ("token.created", "token.revoked"):
            return f"token:{obj['token']['id']}"
    except (KeyError, TypeError, AttributeError):
        return None
    return None


def _is_time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


_HASH_RE = re.compile(r"blake3:[0-9a-f]{64}")


_TOKEN_PREFIX_RE = re.compile(f"[0-9a-f]{{{audit.TOKEN_HASH_DIGITS}}}")


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and _HASH_RE.fullmatch(value) is not None


_EVENT_KEYS = {
    kind: {"seq", "kind", "time", "actor", *keys} for kind, keys in _PAYLOAD_KEYS.items()
}
_FIELD_KEYS = {name: set(keys) for name, keys in _FIELDS.items()}
# Fields a payload may carry beyond _FIELDS: added later, absent from the events written before.
_LATER_FIELDS = {"version": {"encoding"}}


def _well_formed(kind: str, obj: dict) -> str | None:
    """None if the payload of an event of ``kind`` has the right shape, else what is wrong."""
    expected = _EVENT_KEYS[kind]
    if obj.keys() != expected:
        return f"has fields {sorted(obj)}, expected {sorted(expected)}"
    if not _is_time(obj["time"]):
        return f"time {obj['time']!r} is not an ISO 8601 time"
    if not isinstance(obj["actor"], str) or not obj["actor"]:
        return "actor is not a non-empty string"
    for name, keys in _FIELD_KEYS.items():
        if name in obj and kind != "version.annotated":
            value = obj[name]
            later = _LATER_FIELDS.get(name, set())
            if not isinstance(value, dict) or not keys <= value.keys() <= keys | later:
                return f"{name!r} does not have exactly the fields {list(_FIELDS[name])}" + (
                    f" (and {', '.join(sorted(later))})" if later else ""
                )
            if not isinstance(value["id"], int) or isinstance(value["id"], bool):
                return f"{name} id is not an integer"
    if kind == "version.annotated":
        if not isinstance(obj["version"], int):
            return "version is not an integer id"
        for side in ("old", "new"):
            value = obj[side]
            if not isinstance(value, dict) or set(value) != {"label", "meta"}:
                return f"{side!r} does not have exactly the fields label and meta"
    if kind == "import.run":
        run = obj["import"]
        if not isinstance(run, dict) or set(run) != {"manifest", "manifest_hash", "versions"}:
            return "'import' does not have exactly the fields manifest, manifest_hash, versions"
        if not _is_hash(run["manifest_hash"]) or not isinstance(run["manifest"], str):
            return "the import's manifest or manifest_hash is malformed"
        ids = run["versions"]
        if not isinstance(ids, list) or not all(type(v) is int for v in ids):
            return "the import's versions are not a list of integer ids"
    if kind in ("token.created", "token.revoked"):
        token = obj["token"]
        if not all(isinstance(token[k], str) for k in ("name", "scope", "hash_prefix")):
            return "the token's name, scope or hash_prefix is not a string"
        if _TOKEN_PREFIX_RE.fullmatch(token["hash_prefix"]) is None:
            return f"the token's hash_prefix is not {audit.TOKEN_HASH_DIGITS} hex digits"
    if kind == "version.sighted":
        seen = obj["sighting"]
        if type(seen["version"]) is not int:
            return "the sighting's version is not an integer id"
        if not all(seen[k] is None or _is_time(seen[k]) for k in ("captured_at", "recorded_at")):
            return "the sighting's captured_at or recorded_at is not an ISO 8601 time"
        if seen["recorded_at"] is None or seen["recorded_at"] != obj["time"]:
            return "the sighting's recorded_at is not the event's time"
        if seen["source"] is not None and not isinstance(seen["source"], str):
            return "the sighting's source is not a string"
        if not isinstance(seen["meta"], dict):
            return "the sighting's meta is not an object"
    if kind == "link.added" and not _is_hash(obj["edit_record"]):
        return "edit_record is not a blake3: hash"
    if kind == "version.registered" and not _is_hash(obj["version"]["content_hash"]):
        return "content_hash is not a blake3: hash"
    if kind == "version.registered" and not isinstance(obj["version"].get("encoding", ""), str | None):
        return "the version's encoding is neither a name nor null"
    return None


def _stream(session: Session, query: Any, poll: Callable[[], None], batch: int = 2000) -> Any:
    """The rows of ``query``, fetched ``batch`` at a time, calling ``poll()`` between."""
    result = session.execute(query.execution_options(yield_per=batch))
    for part in result.partitions():
        yield from part
        poll()


def _read_log(
    session: Session, wanted_sizes: set[int], found: _Found, poll: Callable[[], None]
) -> tuple[int, bytes, dict[int, bytes], _Expected]:
    """Check the events and replay them; returns (count, root, roots at wanted sizes, record)."""
    table = Event.__table__
    rows = _stream(
        session,
        sa.select(
            table.c.seq,
            table.c.kind,
            table.c.subject,
            table.c.actor,
            table.c.time,
            _raw(table.c.body),
        ).order_by(table.c.seq),
        poll,
    )
    leaves: list[bytes] = []
    expect = _Expected()
    next_seq = 0
    clock = _Clock(found)
    for seq, kind, subject, actor, time, stored in rows:
        if not fixity.is_int(seq):
            found.add(
                "log",
                "event",
                seq,
                f"an event's seq column holds {_j(seq)}, not a number (its event is not checked)",
                field="seq",
                expected=next_seq,
                found=seq,
            )
            continue
        if seq != next_seq:
            if seq > next_seq:
                gap = f"{next_seq}" if seq == next_seq + 1 else f"{next_seq} to {seq - 1}"
                message = f"events are not contiguous: event {gap} is missing before event {seq}"
            else:
                message = f"event numbers go backwards: {seq} after {next_seq - 1}"
            found.add("log", "event", seq, message, event=seq, expected=next_seq, found=seq)
        next_seq = seq + 1
        try:
            body = packed.event_text(stored)
        except ValueError as exc:
            found.add(
                "log", "event", seq, f"event {seq}'s stored body cannot be read: {exc}", event=seq
            )
            body = repr(stored)  # a leaf all the same: the log keeps its size, not its root
        leaves.append(audit.event_leaf_hash(body))
        obj = _parse_event(seq, kind, subject, body, found, {"actor": actor, "time": time})
        if obj is not None:
            clock.tick(seq, obj.get("time"))
            _replay(seq, obj, expect, found)
    n = len(leaves)
    roots = merkle.roots_at(leaves, {m for m in wanted_sizes if 0 <= m <= n} | {n})
    return n, roots[n], roots, expect


CLOCK_SLACK = timedelta(seconds=60)
"""How far an event's time may fall before an earlier event's. Writers hold the
write lock for their whole transaction and take their times inside it, so on
one clock the log's times never go backwards; this allows for writers on
machines whose clocks differ by less than a minute. A time further back is a
problem: it is how an event forged into the log after the latest checkpoint
with an old date (a registration "from 2019") shows."""


class _Clock:
    """Checks that event times do not go backwards (by more than ``CLOCK_SLACK``)."""

    def __init__(self, found: _Found) -> None:
        self.found = found
        self.latest: datetime | None = None
        self.latest_seq = -1
        self.latest_text = ""

    def tick(self, seq: int, text: Any) -> None:
        if not isinstance(text, str):
            return  # malformed times are reported with the event's shape
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            return
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if self.latest is not None and when < self.latest - CLOCK_SLACK:
            self.found.add(
                "log",
                "event",
                seq,
                f"event {seq}'s time {text} is before event {self.latest_seq}'s "
                f"({self.latest_text}): the log's times go backwards",
                event=seq,
                field="time",
                expected=f">= {self.latest_text}",
                found=text,
            )
            return
        if self.latest is None or when > self.latest:
            self.latest, self.latest_seq, self.latest_text = when, seq, text


_scan = json.JSONDecoder().scan_once


def _loads(text: str) -> Any:
    """`json.loads`, through the C scanner directly when ``text`` is one bare JSON value.

    (``json.loads`` spends more time in its Python wrapper than in parsing a
    short event.) Anything else, and every error, goes through ``json.loads``.
    """
    try:
        value, end = _scan(text, 0)
    except (StopIteration, ValueError):
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def _parse_event(
    seq: int, kind: Any, subject: Any, body: str, found: _Found, columns: dict[str, Any]
) -> dict | None:
    """The event's JSON, if it can be checked further; each problem of its shape,
    and each column (``kind``, ``subject``, and ``columns``: field -> the column
    repeating it) that does not say what its JSON says, is reported."""
    try:
        obj = _loads(body)
    except ValueError as exc:
        found.add("log", "event", seq, f"event {seq} is not valid JSON ({exc})", event=seq)
        return None
    if not isinstance(obj, dict):
        found.add("log", "event", seq, f"event {seq} is not a JSON object", event=seq)
        return None
    if _canonical(obj) != body:
        found.add("log", "event", seq, f"event {seq} is not in canonical JSON form", event=seq)
    if obj.get("seq") != seq:
        found.add(
            "log",
            "event",
            seq,
            f"event stored at seq {seq} says it is event {obj.get('seq')!r} "
            "(moved, reordered or replaced)",
            event=seq,
            field="seq",
            expected=seq,
            found=obj.get("seq"),
        )
    body_kind = obj.get("kind")
    if body_kind != kind:
        found.add(
            "log",
            "event",
            seq,
            f"event {seq}'s kind column is {kind!r} but its JSON says {body_kind!r}",
            event=seq,
            field="kind",
            expected=body_kind,
            found=kind,
        )
    for name, column in columns.items():
        if column != obj.get(name):
            found.add(
                "log",
                "event",
                seq,
                f"event {seq}'s {name} column is {column!r} but its JSON says {obj.get(name)!r}",
                event=seq,
                field=name,
                expected=obj.get(name),
                found=column,
            )
    if body_kind not in _PAYLOAD_KEYS:
        found.add("log", "event", seq, f"event {seq} has unknown kind {body_kind!r}", event=seq)
        return None
    problem = _well_formed(body_kind, obj)
    if problem is not None:
        found.add("log", "event", seq, f"event {seq} ({body_kind}) {problem}", event=seq)
        return None
    expected_subject = _subject(body_kind, obj)
    if subject != expected_subject:
        found.add(
            "log",
            "event",
            seq,
            f"event {seq}'s subject column is {subject!r} but its JSON is about {expected_subject!r}",
            event=seq,
            field="subject",
            expected=expected_subject,
            found=subject,
        )
    return obj


def _again(seq: int, seen: dict, key: Any, what: str, found: _Found) -> bool:
    """Whether event ``seq`` does ``what`` to ``key`` again, after the event ``seen``
    records for it (a problem naming both)."""
    if key not in seen:
        return False
    found.add(
        "log", "event", seq, f"event {seq} {what} again (first by event {seen[key][0]})", event=seq
    )
    return True


def _replay(seq: int, obj: dict, expect: _Expected, found: _Found) -> None:
    kind = obj["kind"]
    if kind == "document.created":
        doc = obj["document"]
        if _again(seq, expect.documents, doc["id"], f"creates document {doc['id']}", found):
            return
        expect.documents[doc["id"]] = (seq, doc)
    elif kind == "version.registered":
        ver = obj["version"]
        if _again(seq, expect.versions, ver["id"], f"registers version {ver['id']}", found):
            return
        created = expect.documents.get(ver["document_id"])
        if created is None:
            found.add(
                "log",
                "event",
                seq,
                f"event {seq} registers version {ver['id']} in document {ver['document_id']}, "
                "which no earlier event created",
                event=seq,
            )
        elif created[1]["key"] != ver["document"]:
            found.add(
                "log",
                "event",
                seq,
                f"event {seq} names document {ver['document']!r} but document "
                f"{ver['document_id']} was created as {created[1]['key']!r} (event {created[0]})",
                event=seq,
                field="document",
                expected=created[1]["key"],
                found=ver["document"],
            )
        expect.versions[ver["id"]] = (seq, ver)
        expect.state[ver["id"]] = (ver["label"], ver["meta"], [seq])
    elif kind == "link.added":
        link = obj["link"]
        if _again(seq, expect.links, link["id"], f"adds link {link['id']}", found):
            return
        for end in ("child", "parent"):
            if link[end] not in expect.versions:
                found.add(
                    "log",
                    "event",
                    seq,
                    f"event {seq} links {end} version {link[end]!r}, which no earlier event registered",
                    event=seq,
                )
        expect.links[link["id"]] = (seq, link, obj["edit_record"])
    elif kind == "import.run":
        missing = [v for v in obj["import"]["versions"] if v not in expect.versions]
        if missing:
            found.add(
                "log",
                "event",
                seq,
                f"event {seq} records an import of versions {missing}, "
                "which no earlier event registered",
                event=seq,
            )
    elif kind == "version.sighted":
        seen = obj["sighting"]
        if _again(seq, expect.sightings, seen["id"], f"records sighting {seen['id']}", found):
            return
        if seen["version"] not in expect.versions:
            found.add(
                "log",
                "event",
                seq,
                f"event {seq} records a sighting of version {seen['version']}, "
                "which no earlier event registered",
                event=seq,
            )
        expect.sightings[seen["id"]] = (seq, seen)
    elif kind == "token.created":
        token = obj["token"]
        if _again(seq, expect.tokens, token["id"], f"creates token {token['id']}", found):
            return
        expect.tokens[token["id"]] = (seq, token, obj["time"])
    elif kind == "token.revoked":
        token = obj["token"]
        created = expect.tokens.get(token["id"])
        if created is None:
            found.add(
                "log",
                "event",
                seq,
                f"event {seq} revokes token {token['id']}, which no earlier event created",
                event=seq,
            )
            return
        if token != created[1]:
            found.add(
                "log",
                "event",
                seq,
                f"event {seq} revokes token {token['id']} as other than event {created[0]} "
                "created it",
                event=seq,
                field="token",
                expected=created[1],
                found=token,
            )
        if _again(seq, expect.revoked, token["id"], f"revokes token {token['id']}", found):
            return
        expect.revoked[token["id"]] = (seq, obj["time"])
    else:  # version.annotated
        vid = obj["version"]
        if vid not in expect.state:
            found.add(
                "log",
                "event",
                seq,
                f"event {seq} annotates version {vid}, which no earlier event registered",
                event=seq,
            )
            return
        label, meta, seqs = expect.state[vid]
        old = obj["old"]
        if old != {"label": label, "meta": meta}:
            found.add(
                "log",
                "event",
                seq,
                f"event {seq} annotates version {vid} from values it did not have "
                f"after events {', '.join(map(str, seqs))}",
                event=seq,
                field="old",
                expected={"label": label, "meta": meta},
                found=old,
            )
        expect.state[vid] = (obj["new"]["label"], obj["new"]["meta"], [*seqs, seq])


# -- the record --------------------------------------------------------------------


_EDITS_SLOT = "\x00edits\x00"
_EDITS_SLOT_JSON = json.dumps(_EDITS_SLOT)


def _stored_record_hash(fields: dict[str, Any]) -> str | None:
    """The edit record's hash taken over its stored edits text, without parsing it.

    JSON columns are written compactly with UTF-8 kept (`store.json_text`), which
    for the edits (a list of lists of numbers and strings) is exactly their
    canonical form; so the canonical record is the other fields' canonical JSON
    with the stored text put in place. None when that cannot be done here.
    """
    text = fields["edits"]
    if not isinstance(text, str):
        return None
    try:
        frame = _canonical({**fields, "edits": _EDITS_SLOT})
    except (TypeError, ValueError):
        return None
    return PREFIX + blake3(_utf8(frame.replace(_EDITS_SLOT_JSON, text, 1))).hexdigest()


def _utf8(text: str) -> bytes:
    """UTF-8, keeping the bytes of a column that was not UTF-8 (read with surrogateescape)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _stored_boolean(value: Any) -> Any:
    """A boolean column as stored: 0 and 1 (or a native boolean) are booleans, else as found."""
    if type(value) is bool:
        return value
    if type(value) is int and value in (0, 1):
        return bool(value)
    return value


def _raw(column: sa.ColumnElement) -> sa.ColumnElement:
    """A column read as the driver gives it (no result processing): what is stored."""
    return sa.type_coerce(column, sa.types.NullType())


def _json_column(value: Any) -> Any:
    """A JSON column read as text (so that damaged JSON cannot stop the check)."""
    if value is None or not isinstance(value, str):
        return value
    try:
        return _loads(value)
    except ValueError:
        return value  # compared as the raw text: it will not match


def _compare(
    found: _Found, table: str, row_id: Any, seqs: list[int], expected: dict, actual: dict
) -> None:
    for name, want in expected.items():
        have = actual[name]
        if have != want or type(have) is not type(want):
            if isinstance(want, float) and isinstance(have, float) and have == want:
                continue
            events = ", ".join(map(str, seqs))
            found.add(
                "record",
                table,
                row_id,
                f"{table} {row_id}: {name} is {_j(have)} but event{'s' if len(seqs) > 1 else ''} "
                f"{events} {'say' if len(seqs) > 1 else 'says'} {_j(want)}",
                event=seqs[-1],
                field=name,
                expected=want,
                found=have,
            )


def _same_types(have: tuple, want: tuple) -> bool:
    return tuple(map(type, have)) == tuple(map(type, want))


def _check_documents(session: Session, expect: _Expected, found: _Found) -> int:
    t = Document.__table__
    seen = 0
    pending = dict(expect.documents)
    for row in session.execute(sa.select(t.c.id, t.c.key, t.c.created_at).order_by(t.c.id)):
        seen += 1
        entry = pending.pop(row.id, None)
        if entry is None:
            found.add(
                "record",
                "document",
                row.id,
                f"document {row.id} ({row.key!r}) has no document.created event",
            )
            continue
        seq, doc = entry
        _compare(
            found,
            "document",
            row.id,
            [seq],
            {"key": doc["key"], "created_at": doc["created_at"]},
            {"key": row.key, "created_at": row.created_at},
        )
    for doc_id, (seq, doc) in pending.items():
        found.add(
            "record",
            "document",
            doc_id,
            f"event {seq} created document {doc_id} ({doc['key']!r}) but the row is missing",
            event=seq,
        )
    return seen


def _check_versions(
    session: Session, expect: _Expected, found: _Found, poll: Callable[[], None]
) -> int:
    t = Version.__table__
    seen = 0
    pending = dict(expect.versions)
    c = Content.__table__
    query = (
        sa.select(
            t.c.id,
            t.c.document_id,
            t.c.number,
            t.c.content_hash,
            t.c.label,
            t.c.source,
            t.c.captured_at,
            t.c.registered_at,
            sa.cast(t.c.meta, sa.Text).label("meta"),
            c.c.encoding,
            c.c.hash,
        )
        .join(c, c.c.hash == t.c.content_hash, isouter=True)  # a missing content is fixity's finding
        .order_by(t.c.id)
    )
    fixed = ("document_id", "number", "content_hash", "source", "captured_at", "registered_at")
    misnamed: set[str] = set()
    for row in _stream(session, query, poll):
        seen += 1
        vid = row[0]
        entry = pending.pop(vid, None)
        if entry is None:
            found.add("record", "version", vid, f"version {vid} has no version.registered event")
            continue
        seq, ver = entry
        if "encoding" in ver and row[10] not in (None, *misnamed) and row[9] != ver["encoding"]:
            misnamed.add(row[10])  # one finding per content, however many versions it has
            found.add(
                "record",
                "content",
                row[10],
                f"content {row[10]}: encoding is {_j(row[9])} but event {seq} registered "
                f"version {vid} with its bytes in {_j(ver['encoding'])}",
                event=seq,
                field="encoding",
                expected=ver["encoding"],
                found=row[9],
            )
        label, meta, seqs = expect.state[vid]
        want = (
            ver["document_id"],
            ver["number"],
            ver["content_hash"],
            ver["source"],
            ver["captured_at"],
            ver["registered_at"],
            label,
        )
        have = (row[1], row[2], row[3], row[5], row[6], row[7], row[4])
        row_meta = _json_column(row[8])
        if (
            have == want
            and meta == row_meta
            and type(meta) is type(row_meta)
            and _same_types(have, want)
        ):
            continue
        _compare(
            found,
            "version",
            vid,
            [seq],
            dict(zip(fixed, want[:6], strict=True)),
            dict(zip(fixed, have[:6], strict=True)),
        )
        _compare(
            found,
            "version",
            vid,
            seqs,
            {"label": label, "meta": meta},
            {"label": row[4], "meta": row_meta},
        )
    for vid, (seq, _ver) in pending.items():
        found.add(
            "record",
            "version",
            vid,
            f"event {seq} registered version {vid} but the row is missing",
            event=seq,
        )
    return seen


_EDIT_RECORD_FIELDS = (
    "edits",
    "edit_count",
    "inserted",
    "deleted",
    "similarity",
    "complete",
    "engine",
)


_LINK_FIELDS = ("child_id", "parent_id", "relation")


def _check_links(
    session: Session, expect: _Expected, found: _Found, poll: Callable[[], None]
) -> int:
    t = Link.__table__
    seen = 0
    pending = dict(expect.links)
    query = sa.select(t.c.id, t.c.child_id, t.c.parent_id, t.c.relation).order_by(t.c.id)
    for row in _stream(session, query, poll):
        seen += 1
        entry = pending.pop(row.id, None)
        if entry is None:
            found.add("record", "link", row.id, f"link {row.id} has no link.added event")
            continue
        seq, link, _ = entry
        want = (link["child"], link["parent"], link["relation"])
        have = (row[1], row[2], row[3])
        if have == want and _same_types(have, want):
            continue
        _compare(
            found,
            "link",
            row.id,
            [seq],
            dict(zip(_LINK_FIELDS, want, strict=True)),
            dict(zip(_LINK_FIELDS, have, strict=True)),
        )
    for link_id, (seq, _link, _) in pending.items():
        found.add(
            "record",
            "link",
            link_id,
            f"event {seq} added link {link_id} but the row is missing",
            event=seq,
        )

    e = EditRecord.__table__
    pending_records = {link_id: (seq, h) for link_id, (seq, _, h) in expect.links.items()}
    query = sa.select(
        e.c.link_id,
        _raw(e.c.edits).label("edits"),
        e.c.edit_count,
        e.c.inserted,
        e.c.deleted,
        e.c.similarity,
        # as stored: SQLite keeps any value in a boolean column, which reads as true
        sa.type_coerce(e.c.complete, sa.Integer).label("complete"),
        e.c.engine,
        _raw(e.c.detail).label("detail"),
    ).order_by(e.c.link_id)
    for row in _stream(session, query, poll, batch=1000):
        link_id = row[0]
        entry = pending_records.pop(link_id, None)
        if entry is None:
            found.add(
                "record",
                "edit_record",
                link_id,
                f"edit record of link {link_id} has no link.added event",
            )
            continue
        seq, want = entry
        fields = dict(zip(_EDIT_RECORD_FIELDS, row[1:8], strict=True))
        fields["complete"] = _stored_boolean(fields["complete"])
        try:
            fields["edits"] = packed.edits_text(fields["edits"])
            detail = None if row[8] is None else _json_column(packed.stored_text(row[8]))
        except ValueError as exc:
            found.add(
                "record",
                "edit_record",
                link_id,
                f"edit record of link {link_id} cannot be read: its edits or detail are {exc}",
                event=seq,
            )
            continue
        if detail is not None:  # as audit.edit_record_fields leaves it out when None
            fields["detail"] = detail
        have = _stored_record_hash(fields)
        if have != want:
            # Written by an older serialiser (or re-spaced): compare the values.
            fields["edits"] = _json_column(fields["edits"])
            try:  # audit.edit_record_hash, with the encoder built once
                have = PREFIX + blake3(_utf8(_canonical(fields))).hexdigest()
            except (TypeError, ValueError):  # a value JSON cannot hold: hashed as text
                have = PREFIX + blake3(_utf8(_j(fields))).hexdigest()
        if have != want:
            found.add(
                "record",
                "edit_record",
                row.link_id,
                f"edit record of link {row.link_id} hashes to {have} but event {seq} says {want}: "
                "its edits or statistics were changed",
                event=seq,
                field="hash",
                expected=want,
                found=have,
            )
    for link_id, (seq, _) in pending_records.items():
        found.add(
            "record",
            "edit_record",
            link_id,
            f"event {seq} added link {link_id} but its edit record is missing",
            event=seq,
        )
    return seen


def _check_tokens(session: Session, expect: _Expected, found: _Found) -> int:
    """Every API token row must be the one its ``token.created`` event made, revoked
    exactly when its ``token.revoked`` event says (or not at all): a token row put in
    behind the tool's back, or a hash replaced by one whose secret someone knows, shows."""
    t = ApiToken.__table__
    seen = 0
    pending = dict(expect.tokens)
    query = sa.select(t.c.id, t.c.name, t.c.scope, t.c.hash, t.c.created_at, t.c.revoked_at)
    for row in session.execute(query.order_by(t.c.id)):
        seen += 1
        entry = pending.pop(row.id, None)
        if entry is None:
            found.add(
                "record",
                "api_token",
                row.id,
                f"API token {row.id} ({_j(row.name)}) has no token.created event",
            )
            continue
        seq, token, created_at = entry
        revoked = expect.revoked.get(row.id)
        seqs = [seq] if revoked is None else [seq, revoked[0]]
        stored_hash = row.hash
        if isinstance(stored_hash, str) and stored_hash.startswith("sha256:"):
            stored_hash = audit.token_hash_prefix(stored_hash)
        _compare(
            found,
            "api_token",
            row.id,
            seqs,
            {
                "name": token["name"],
                "scope": token["scope"],
                "hash_prefix": token["hash_prefix"],
                "created_at": created_at,
                "revoked_at": None if revoked is None else revoked[1],
            },
            {
                "name": row.name,
                "scope": row.scope,
                "hash_prefix": stored_hash,
                "created_at": row.created_at,
                "revoked_at": row.revoked_at,
            },
        )
    for token_id, (seq, token, _) in pending.items():
        found.add(
            "record",
            "api_token",
            token_id,
            f"event {seq} created API token {token_id} ({_j(token['name'])}) but the row is missing",
            event=seq,
        )
    return seen


_SIGHTING_FIELDS = ("version_id", "source", "captured_at", "recorded_at", "meta")


def _check_sightings(session: Session, expect: _Expected, found: _Found) -> int:
    """Every sighting row must be the one its ``version.sighted`` event recorded, field
    by field, and every such event must have its row: a sighting put in, changed or
    deleted behind the tool's back (a page "seen" on a day it was not) shows."""
    t = Sighting.__table__
    seen = 0
    pending = dict(expect.sightings)
    query = sa.select(
        t.c.id,
        t.c.version_id,
        t.c.source,
        t.c.captured_at,
        t.c.recorded_at,
        sa.cast(t.c.meta, sa.Text).label("meta"),
    ).order_by(t.c.id)
    for row in session.execute(query):
        seen += 1
        entry = pending.pop(row.id, None)
        if entry is None:
            found.add(
                "record",
                "sighting",
                row.id,
                f"sighting {row.id} (of version {_j(row.version_id)}) has no version.sighted event",
            )
            continue
        seq, want = entry
        _compare(
            found,
            "sighting",
            row.id,
            [seq],
            dict(zip(_SIGHTING_FIELDS, (want["version"], *(want[k] for k in _SIGHTING_FIELDS[1:])), strict=True)),
            dict(zip(_SIGHTING_FIELDS, (*row[1:5], _json_column(row[5])), strict=True)),
        )
    for sighting_id, (seq, want) in pending.items():
        found.add(
            "record",
            "sighting",
            sighting_id,
            f"event {seq} recorded sighting {sighting_id} of version {want['version']} "
            "but the row is missing",
            event=seq,
        )
    return seen


# -- fixity ------------------------------------------------------------------------


def _check_stored(table: dict[str, Any], expect: _Expected, found: _Found) -> dict[str, int]:
    """The stored contents must be exactly those the events name; returns hash -> version."""
    named: dict[str, int] = {}
    for vid, (_seq, ver) in expect.versions.items():
        named.setdefault(ver["content_hash"], vid)
    for digest in sorted(table.keys() - named.keys()):
        found.add(
            "fixity", "content", digest, f"content {digest} is stored but no event registered it"
        )
    for digest in sorted(named.keys() - table.keys()):
        vid = named[digest]
        found.add(
            "fixity",
            "content",
            digest,
            f"content {digest} of version {vid} (event {expect.versions[vid][0]}) is not stored",
            event=expect.versions[vid][0],
        )
    return named


def _report_fixity(
    findings: Iterable[fixity.Finding], named: dict[str, int], found: _Found
) -> None:
    for f in findings:
        vid = named.get(f.digest)
        where = f" (version {vid})" if vid is not None else ""
        found.add(
            "fixity",
            "content",
            f.digest,
            f"content {f.digest}{where} {f.message}",
            field=f.field,
            expected=f.expected,
            found=f.found,
        )


# -- the edit records replay ------------------------------------------------------

REPLAY_TEXTS = 16  # texts kept while replaying (a chain's child is the next link's parent)


def _check_replays(
    session: Session, damaged: set[str], sample: int | None, found: _Found
) -> int:
    """Every link's stored edits turn its parent's text into its child's, byte for byte.

    The edits are hashed in the link's event and the contents in their
    versions' events, but only replaying the one on the other ties them
    together: contents swapped between two linked versions (in rows and
    events alike, after the last checkpoint) make edits that no longer lead
    from the parent to the child. Links whose contents failed fixity
    (``damaged``) are left to that finding; ``sample`` replays that many
    links at random (``--quick``) instead of all. Returns the links replayed.
    """
    lk, v, e = Link.__table__, Version.__table__, EditRecord.__table__
    parent, child = v.alias("parent"), v.alias("child")
    stored = Content.__table__.alias("stored")
    query = (
        sa.select(
            lk.c.id,
            parent.c.content_hash,
            child.c.content_hash,
            _raw(e.c.edits),
            stored.c.encoding,
        )
        .join(parent, parent.c.id == lk.c.parent_id)
        .join(child, child.c.id == lk.c.child_id)
        .outerjoin(stored, stored.c.hash == child.c.content_hash)
        .join(e, e.c.link_id == lk.c.id)
        .order_by(lk.c.child_id, lk.c.id)
    )
    rows = list(session.execute(query))
    if sample is not None and len(rows) > sample:
        rows = sorted(random.SystemRandom().sample(rows, sample), key=lambda r: r[0])
    texts: dict[str, str] = {}
    replayed = 0
    for link_id, parent_hash, child_hash, edits_json, child_encoding in rows:
        if parent_hash in damaged or child_hash in damaged:
            continue
        try:
            compact = json.loads(packed.edits_text(edits_json))
        except ValueError:
            continue  # reported by the record check
        text = texts.get(parent_hash)
        if text is None:
            try:
                text = contents.get_text(session, parent_hash)
            except Exception:  # damage: fixity reports it
                continue
            _keep(texts, parent_hash, text)
        replayed += 1
        try:
            result = diff.replay(text, diff.from_compact(compact, text))
        except (ValueError, TypeError, IndexError) as exc:
            found.add(
                "record",
                "edit_record",
                link_id,
                f"edit record of link {link_id} cannot be applied to its parent's text ({exc})",
                field="edits",
            )
            continue
        if child_encoding is not None:  # bytes in another encoding: compare the texts
            try:
                child_text = contents.get_text(session, child_hash)
            except Exception:  # damage: fixity reports it
                continue
            if result == child_text:
                _keep(texts, child_hash, result)
            else:
                found.add(
                    "record",
                    "edit_record",
                    link_id,
                    f"edit record of link {link_id} does not turn its parent's content "
                    f"{parent_hash} into the text of its child's {child_hash} "
                    f"({child_encoding}): the contents or the edits were changed",
                    field="edits",
                    expected=child_hash,
                )
            continue
        got = content_hash(result.encode("utf-8", "surrogatepass"))
        if got == child_hash:
            # The replay is the child's text, proven by its hash: the next link
            # of a chain (whose parent this child is) needs no rebuild.
            _keep(texts, child_hash, result)
        else:
            found.add(
                "record",
                "edit_record",
                link_id,
                f"edit record of link {link_id} does not turn its parent's content "
                f"{parent_hash} into its child's {child_hash}: it gives {got} "
                "(the contents or the edits were changed)",
                field="edits",
                expected=child_hash,
                found=got,
            )
    return replayed


def _keep(texts: dict[str, str], digest: str, text: str) -> None:
    """Remember ``text`` as the content ``digest``'s, keeping the last ``REPLAY_TEXTS``."""
    texts.pop(digest, None)
    if len(texts) >= REPLAY_TEXTS:
        texts.pop(next(iter(texts)))
    texts[digest] = text


# -- the identify index ------------------------------------------------------------

_REINDEX = "run prov reindex to rebuild the index"
_DETAILED = 100  # contents whose index damage is itemised row by row (then one line each)
_ROWS_SHOWN = 10  # differing keys (band keys, anchors) itemised per content


@dataclass(frozen=True, slots=True)
class _IndexRows:
    """What the identify index holds (or should hold) for one content."""

    normals: dict[str, Any]  # profile -> hash (normal_hash rows)
    shingles: Any  # content_index columns
    anchors: Any
    signature: Any
    keys: np.ndarray  # (band, key) of its band keys and anchors, shape (n, 2) int64, sorted
    digest: Any = None  # content_index.digest as stored (None: not stored, or not read)
    rid: Any = None  # content_index.id
    keys_read: bool = True  # False: ``keys`` was not read (the database summed them instead)


def _sorted_keys(pairs: np.ndarray) -> np.ndarray:
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return np.ascontiguousarray(pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))])


def _expected_index(text: str) -> _IndexRows:
    """The rows `index.add_content` writes for ``text``, from the same public functions."""
    raw = sketch.text_shingle_hashes(text)
    signature = sketch.signature_of_hashes(raw)
    made = sketch.Sketch(
        signature=sketch.signature_to_bytes(signature),
        bands=tuple(sketch.band_keys(signature)),
        anchors=tuple(sketch.anchors_of_hashes(raw).tolist()),
    )
    return _IndexRows(
        normals=index.normal_hashes(text),
        shingles=len(np.unique(raw)),
        anchors=len(made.anchors),
        signature=made.signature,
        keys=_sorted_keys(np.array(made.index_rows(), dtype=np.int64)),
    )


def _fingerprint(rows: _IndexRows) -> bytes:
    """One hash of all of a content's index rows: equal exactly when the rows are."""
    h = blake3()
    for profile in sorted(rows.normals, key=repr):
        h.update(_utf8(f"{profile!r}={rows.normals[profile]!r};"))
    signature = rows.signature
    if isinstance(signature, bytes | bytearray | memoryview):
        signature = bytes(signature).hex()
    h.update(_utf8(f"{rows.shingles!r};{rows.anchors!r};{signature!r};{len(rows.keys)};"))
    h.update(rows.keys.tobytes())
    return h.digest()


def _index_fingerprint(digest: str, data: bytes | bytearray, encoding: str | None) -> bytes:
    """fixity's ``derive``: the fingerprint of the index rows a content's bytes call for."""
    return _fingerprint(_expected_index(contents.decoded(data, encoding, digest)))


@dataclass(frozen=True, slots=True)
class _RecomputeSome:
    """fixity's ``derive`` for some contents only: the others come back as None (checked clean)."""

    chosen: frozenset[str]

    def __call__(self, digest: str, data: bytes | bytearray, encoding: str | None) -> bytes | None:
        return _index_fingerprint(digest, data, encoding) if digest in self.chosen else None


def _stored_digest_of(rows: _IndexRows, summaries: dict[Any, tuple]) -> str:
    """`index.rows_digest` of the rows as stored (keys summed by the database unless read)."""
    if rows.keys_read:
        keys = index.key_summary(rows.keys)
    else:
        keys = summaries.get(rows.rid, index.key_summary(np.zeros((0, 2), dtype=np.int64)))
    return index.rows_digest(rows.normals, rows.shingles, rows.anchors, rows.signature, keys)


def _to_recompute(session: Session, table: dict[str, Any], todo: set[str]) -> set[str]:
    """Contents whose index rows are recomputed from their text besides the deep check:
    those with no digest, and a random sample (`INDEX_SAMPLE`) of the rest."""
    t = ContentIndex.__table__
    undigested = {
        d for (d,) in session.execute(sa.select(t.c.content_hash).where(t.c.digest.is_(None)))
    }
    rest = sorted((todo - undigested) & table.keys(), key=str)
    sample = random.SystemRandom().sample(rest, min(INDEX_SAMPLE, len(rest)))
    return (undigested & todo) | set(sample)


def _key_summaries(session: Session) -> dict[Any, tuple]:
    """content_index.id -> `index.key_summary` of its keys (`index.key_rows`), summed by the database."""
    out: dict[Any, tuple] = {}
    for cid, *sums in session.execute(index.key_summary_query(session)):
        out[cid] = tuple(int(x) if x is not None else None for x in sums)
    return out


def _index_state(session: Session, table: dict[str, Any], found: _Found) -> bool:
    """Whether the index was built by the current scheme (else one problem says so)."""
    t = IndexState.__table__
    stored = {row[0]: row[1] for row in session.execute(sa.select(t.c.name, t.c.value))}
    current = index.current_state()
    if stored == current:
        return True
    if not stored and not table:
        return True  # nothing to index
    if not stored:
        message = (
            f"the identify index has not been built for these {len(table)} contents; {_REINDEX}"
        )
    else:
        message = (
            f"the identify index was built by another scheme ({_j(stored)}, this program uses "
            f"{_j(current)}), so its rows cannot be checked; {_REINDEX}"
        )
    found.add("index", "index_state", None, message, expected=current, found=stored)
    return False


def _key_rows(session: Session, ids: list[int] | None) -> Iterator[np.ndarray]:
    """Every key of every content (`index.key_rows`: the band keys and anchors its
    chain's runs give it) as int64 arrays of (band, key, content_id), a batch at a time.

    Read through the driver's own cursor (millions of rows). A batch with a value
    that is not an integer (damage) is passed as an object array, for the caller to
    take row by row; a fractional number SQLite kept in an integer column reads
    truncated, so as another key, which does not match either.
    """
    t = index.key_rows().subquery()
    if ids is not None:
        if not ids:
            return
        query = sa.select(t.c.band, t.c.key, t.c.content_id).where(t.c.content_id.in_(ids))
        parts: Iterable[list] = [[tuple(r) for r in session.execute(query)]]
    else:
        every = index.key_rows().compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
        cursor = session.connection().connection.cursor()
        cursor.execute(str(every))

        def fetch() -> Iterator[list]:
            while batch := cursor.fetchmany(_KEY_BATCH):
                yield batch

        parts = fetch()
    for batch in parts:
        try:
            array = np.fromiter(
                itertools.chain.from_iterable(batch), dtype=np.int64, count=3 * len(batch)
            ).reshape(-1, 3)
        except (ValueError, TypeError, OverflowError):
            array = np.empty((len(batch), 3), dtype=object)
            for i, r in enumerate(batch):
                array[i] = tuple(r)
        yield array


_KEY_BATCH = 100_000


def _stored_index(
    session: Session,
    table: dict[str, Any],
    sampled: set[str] | None,
    summaries: dict[Any, tuple] | None,
    found: _Found,
) -> dict[str, _IndexRows]:
    """The index rows as stored, by content; rows naming no stored content are problems.

    ``sampled``: read the sketch keys of these contents only (``--quick``, and
    the recomputed contents of a full check, whose other keys the database
    sums: ``summaries``, which also name the keys of no index row).
    """
    ci = ContentIndex.__table__
    by_id: dict[Any, str] = {}
    listed: set[Any] = set()
    summary: dict[str, tuple[Any, Any, Any, Any, Any]] = {}
    for rid, digest, shingles, anchors, signature, stored_digest in session.execute(
        sa.select(
            ci.c.id, ci.c.content_hash, ci.c.shingles, ci.c.anchors, ci.c.signature, ci.c.digest
        )
    ):
        listed.add(rid)
        if digest not in table:
            found.add(
                "index",
                "content_index",
                rid,
                f"index row {rid} is for content {digest}, which is not stored; {_REINDEX}",
                field="content_hash",
                found=digest,
            )
            continue
        by_id[rid] = digest
        summary[digest] = (shingles, anchors, signature, stored_digest, rid)
    nh = NormalHash.__table__
    normals: dict[str, dict[str, Any]] = {}
    for rid, profile, value in session.execute(sa.select(nh.c.index_id, nh.c.profile, nh.c.hash)):
        digest = by_id.get(rid)
        if digest is None:
            if rid not in listed:  # else its index row is the problem, reported above
                found.add(
                    "index",
                    "normal_hash",
                    f"{rid} {profile}",
                    f"normalized hash ({profile}) of index row {rid}, which does not exist; "
                    f"{_REINDEX}",
                    field="index_id",
                    found=rid,
                )
            continue
        normals.setdefault(digest, {})[profile] = value
    for digest in sorted(table.keys() - summary.keys(), key=str):
        found.add(
            "index",
            "content_index",
            digest,
            f"content {digest} has no index row, so identify cannot find it; {_REINDEX}",
        )
    ids = None if sampled is None else sorted(r for r, d in by_id.items() if d in sampled)
    if ids is not None and len(ids) > _KEY_BATCH // 1000 and 2 * len(ids) > len(by_id):
        ids = None  # most of them: one scan, not a long IN list
    arrays: list[np.ndarray] = []
    for batch in _key_rows(session, ids):
        if batch.dtype == object:
            bad = [i for i, r in enumerate(batch) if not all(type(v) is int for v in r)]
            for r in batch[bad]:
                cid = r[2]
                digest = by_id.get(cid) if fixity.is_int(cid) else None
                found.add(
                    "index",
                    "key_run",
                    f"{r[0]!r},{r[1]!r},{r[2]!r}",
                    f"index key ({_j(r[0])}, {_j(r[1])}, {_j(r[2])}) holds a value that is "
                    f"not an integer{f' (content {digest})' if digest else ''}; {_REINDEX}",
                )
            good = np.setdiff1d(np.arange(len(batch)), bad)
            batch = np.array([tuple(batch[i]) for i in good], dtype=np.int64).reshape(-1, 3)
        arrays.append(batch)
    rows = np.concatenate(arrays) if arrays else np.zeros((0, 3), dtype=np.int64)
    del arrays
    rows = rows[np.lexsort((rows[:, 1], rows[:, 0], rows[:, 2]))]
    cids, starts = np.unique(rows[:, 2], return_index=True)
    ends = [*starts[1:].tolist(), len(rows)] if len(starts) else []
    keys: dict[str, np.ndarray] = {}
    orphans: dict[Any, int] = {}
    for cid, lo, hi in zip(cids.tolist(), starts.tolist(), ends, strict=True):
        digest = by_id.get(cid)
        if digest is None:
            orphans[cid] = hi - lo
            continue
        keys[digest] = rows[lo:hi, :2]
    if summaries is not None:
        for cid, sums in summaries.items():
            if cid not in by_id and cid not in orphans:
                orphans[cid] = sums[0]
    for cid, n in sorted(orphans.items(), key=lambda t: repr(t[0])):
        found.add(
            "index",
            "key_run",
            f"content_id {cid}",
            f"{n} index key{'s' if n != 1 else ''} of index row {cid}, which is for no stored "
            f"content (keys no content has); {_REINDEX}",
            field="content_id",
            found=cid,
        )
    out = {}
    empty = np.zeros((0, 2), dtype=np.int64)
    for digest, (shingles, anchors, signature, stored_digest, rid) in summary.items():
        pairs = np.ascontiguousarray(keys.get(digest, empty))  # sorted by band, key above
        read = sampled is None or ids is None or digest in sampled
        out[digest] = _IndexRows(
            normals.get(digest, {}), shingles, anchors, signature, pairs, stored_digest, rid, read
        )
    return out


def _check_chains(session: Session, found: _Found) -> int:
    """Where the keys are kept (which keys each content holds is checked with its other
    index rows): every indexed content at a position of a chain that exists, each
    chain's tail its last position (else the next revision cannot be placed), and each
    run inside its chain, apart from the other runs of its key there (else a content
    would hold a key twice). Returns how many runs were read."""
    ci, ch, run = ContentIndex.__table__, KeyChain.__table__, KeyRun.__table__
    tails = {c: t for c, t in session.execute(sa.select(ch.c.id, ch.c.tail))}
    last: dict[Any, int] = {}
    for rid, chain, pos in session.execute(sa.select(ci.c.id, ci.c.chain, ci.c.pos)):
        if fixity.is_int(chain) and fixity.is_int(pos) and chain in tails and pos >= 0:
            last[chain] = max(last.get(chain, -1), pos)
            continue
        found.add(
            "index",
            "content_index",
            rid,
            f"index row {rid} is placed at position {_j(pos)} of chain {_j(chain)}, which "
            f"{'does not exist' if chain not in tails else 'is no position'}, so its keys "
            f"are not counted; {_REINDEX}",
            field="chain",
            found=[chain, pos],
        )
    for chain, tail in sorted(tails.items(), key=lambda t: repr(t[0])):
        if last.get(chain) != tail or not fixity.is_int(tail):
            end = last.get(chain)
            found.add(
                "index",
                "key_chain",
                chain,
                f"key chain {chain} ends at position {_j(tail)}, but "
                + ("no content is in it" if end is None else f"its last content is at {end}")
                + f"; {_REINDEX}",
                field="tail",
                expected=end,
                found=tail,
            )
    n = 0
    before: tuple[Any, Any, Any, Any] | None = None  # the previous run's (chain, band, key, hi)
    for band, key, chain, lo, hi in session.execute(
        sa.select(run.c.band, run.c.key, run.c.chain, run.c.lo, run.c.hi).order_by(
            run.c.chain, run.c.band, run.c.key, run.c.lo
        )
    ):
        n += 1
        where = (
            f"key run (band {_j(band)}, key {_j(key)}, chain {_j(chain)}, "
            f"from {_j(lo)} to {_j(hi)})"
        )
        problem = None
        if not all(fixity.is_int(v) for v in (band, key, chain, lo)) or not (
            hi is None or fixity.is_int(hi)
        ):
            problem = "holds a value that is not an integer"
        elif chain not in tails:
            problem = "is in no chain"
        elif fixity.is_int(tails[chain]) and (
            lo < 0 or lo > tails[chain] or (hi is not None and not lo <= hi <= tails[chain])
        ):
            problem = "covers no position of its chain, or runs past its end"
        elif before is not None and before[:3] == (chain, band, key) and (
            before[3] is None or before[3] >= lo
        ):
            problem = "overlaps another run of its key, so a content holds it twice"
        # Only a well-typed run is compared with the next (a text ``hi`` cannot be).
        before = (chain, band, key, hi) if problem is None or problem.startswith("overlaps") else None
        if problem is not None:
            found.add(
                "index", "key_run", f"{band},{key},{chain},{lo}", f"{where} {problem}; {_REINDEX}"
            )
    return n


def _full_rows(session: Session, have: _IndexRows) -> _IndexRows:
    """``have`` with its sketch keys read (a content the database summed, found to differ)."""
    if have.keys_read:
        return have
    arrays = [
        b for b in _key_rows(session, [have.rid]) if b.dtype != object
    ]  # values that are not integers were counted in the summary, which differs anyway
    pairs = np.concatenate(arrays)[:, :2] if arrays else np.zeros((0, 2), dtype=np.int64)
    return _IndexRows(
        have.normals, have.shingles, have.anchors, have.signature, _sorted_keys(pairs),
        have.digest, have.rid, True,
    )


def _index_row_id(session: Session, digest: str) -> Any:
    t = ContentIndex.__table__
    return session.execute(sa.select(t.c.id).where(t.c.content_hash == digest)).scalar()


def _itemise(
    session: Session, digest: str, want: _IndexRows, have: _IndexRows, found: _Found
) -> None:
    """Name each index row of ``digest`` that differs from what its text gives."""
    where = f"content {digest}"
    for profile in sorted(want.normals.keys() | have.normals.keys(), key=repr):
        w, h = want.normals.get(profile, ...), have.normals.get(profile, ...)
        if w == h and type(w) is type(h):
            continue
        row = f"{digest} {profile}"
        if h is ...:
            message = f"{where} has no normalized hash for the {profile} lens"
        elif w is ...:
            message = f"{where} has a normalized hash for {profile!r}, which is no lens indexed"
        else:
            message = f"{where}: its {profile} normalized hash is not that of its text"
        found.add(
            "index", "normal_hash", row, f"{message}; {_REINDEX}", field="hash", expected=w, found=h
        )
    rid = None
    for name in ("shingles", "anchors", "signature"):
        w, h = getattr(want, name), getattr(have, name)
        if isinstance(h, bytes | bytearray | memoryview) and isinstance(w, bytes):
            same = bytes(h) == w
        else:
            same = w == h and type(w) is type(h)
        if same:
            continue
        rid = rid if rid is not None else _index_row_id(session, digest)
        if name == "signature":
            w, h = _shown(w), _shown(h) if isinstance(h, bytes | bytearray | memoryview) else h
        found.add(
            "index",
            "content_index",
            rid,
            f"{where}: index row {rid}'s {name} is not that of its text; {_REINDEX}",
            field=name,
            expected=w,
            found=h,
        )
    wanted = set(map(tuple, want.keys.tolist()))
    stored = set(map(tuple, have.keys.tolist()))
    if wanted == stored:
        return
    rid = rid if rid is not None else _index_row_id(session, digest)
    diffs = [("missing", k) for k in sorted(wanted - stored)] + [
        ("extra", k) for k in sorted(stored - wanted)
    ]
    for kind, (band, key) in diffs[:_ROWS_SHOWN]:
        anchor = band == sketch.ANCHOR_BAND
        what = "anchor" if anchor else f"band {band} key"
        message = (
            f"{where} lacks its {what} {key}"
            if kind == "missing"
            else f"{where} holds a{'n' if anchor else ''} {what} {key} its text does not give"
        )
        found.add(
            "index",
            "key_run",
            f"{band},{key},{rid}",
            f"{message}; {_REINDEX}",
            field="key",
            expected=[band, key] if kind == "missing" else None,
            found=[band, key] if kind == "extra" else None,
        )
    if len(diffs) > _ROWS_SHOWN:
        found.add(
            "index",
            "key_run",
            f"content_id {rid}",
            f"{where}: {len(diffs) - _ROWS_SHOWN} more of its keys differ from its text's; {_REINDEX}",
        )


def _check_index(
    session: Session,
    table: dict[str, Any],
    derived: Iterable[tuple[str, Any]],
    stored: dict[str, _IndexRows],
    summaries: dict[Any, tuple],
    quick: bool,
    found: _Found,
) -> int:
    """Check each content's stored index rows; returns how many were recomputed from the text.

    ``derived``: (content, fingerprint of the rows its text gives, or None when
    not recomputed) for each content that checked clean. A recomputed content
    is compared with its text; any other (unless ``quick``) with the digest
    stored beside its rows, and, when they differ, with its text after all.
    """
    checked = 0
    detailed = 0

    def mismatch(digest: str, have: _IndexRows, text: str | None) -> None:
        nonlocal detailed
        if text is not None and detailed < _DETAILED:
            detailed += 1
            before = len(found.problems)
            _itemise(session, digest, _expected_index(text), _full_rows(session, have), found)
            if len(found.problems) > before:
                return
        found.add(
            "index",
            "content_index",
            digest,
            f"content {digest}: its index rows are not those its text gives; {_REINDEX}",
        )

    def digest_differs(digest: str, have: _IndexRows) -> None:
        found.add(
            "index",
            "content_index",
            have.rid,
            f"content {digest}: index row {have.rid}'s digest is not that of its index rows, "
            f"which are those its text gives; {_REINDEX}",
            field="digest",
            expected=_stored_digest_of(have, summaries),
            found=have.digest,
        )

    for digest, want in derived:
        have = stored.get(digest)
        if have is None:  # no index row: reported with the stored rows
            continue
        if isinstance(want, Exception):
            checked += 1
            found.add(
                "index",
                "content_index",
                digest,
                f"content {digest}: its index rows could not be recomputed "
                f"({type(want).__name__}: {want})",
            )
            continue
        if want is not None:  # recomputed from the text
            checked += 1
            if want != _fingerprint(have):
                mismatch(digest, have, contents.get_text(session, digest))
            elif have.digest is not None and have.digest != _stored_digest_of(have, summaries):
                digest_differs(digest, have)
            continue
        if quick:
            continue
        if have.digest is not None and have.digest == _stored_digest_of(have, summaries):
            continue
        # The rows (or their digest) changed: the text says which.
        checked += 1
        text = contents.get_text(session, digest) if detailed < _DETAILED else None
        full = _full_rows(session, have)
        if text is not None and _fingerprint(_expected_index(text)) == _fingerprint(full):
            digest_differs(digest, full)
        else:
            mismatch(digest, full, text)
    return checked


# -- checkpoints -------------------------------------------------------------------


def _checkpoint_rows(session: Session) -> list[Any]:
    t = Checkpoint.__table__
    return list(session.execute(sa.select(t).order_by(t.c.id)))


def _check_checkpoints(
    rows: list[Any],
    events: int,
    roots: dict[int, bytes],
    public_key: Ed25519PublicKey | None,
    found: _Found,
) -> int:
    """Check each checkpoint; returns how many events the good ones cover (the most)."""
    last_size = -1
    covered = 0
    for row in rows:
        where = f"checkpoint {row.id}"
        before = len(found.problems)
        try:
            parsed = signing.Checkpoint.from_text(row.text)
        except InputError as exc:
            found.add(
                "checkpoint", "checkpoint", row.id, f"{where}: its text cannot be read: {exc}"
            )
            continue
        columns = {
            "origin": parsed.origin,
            "size": parsed.size,
            "root": parsed.root.hex(),
            "timestamp": parsed.timestamp,
            "key_id": parsed.key_id,
        }
        for name, want in columns.items():
            have = getattr(row, name)
            if have != want:
                found.add(
                    "checkpoint",
                    "checkpoint",
                    row.id,
                    f"{where}: {name} column is {_j(have)} but its signed text says {_j(want)}",
                    field=name,
                    expected=want,
                    found=have,
                )
        if parsed.size < last_size:
            found.add(
                "checkpoint",
                "checkpoint",
                row.id,
                f"{where} covers {parsed.size} events, fewer than an earlier checkpoint's {last_size}",
            )
        last_size = max(last_size, parsed.size)
        if parsed.size > events:
            found.add(
                "checkpoint",
                "checkpoint",
                row.id,
                f"{where} covers {parsed.size} events but the log holds {events}: "
                "events were deleted",
                field="size",
                expected=parsed.size,
                found=events,
            )
        elif roots.get(parsed.size) != parsed.root:
            found.add(
                "checkpoint",
                "checkpoint",
                row.id,
                f"{where}: the root of the first {parsed.size} events is "
                f"{roots[parsed.size].hex()} but the checkpoint signed {parsed.root.hex()}: "
                "the log was rewritten since",
                field="root",
                expected=parsed.root.hex(),
                found=roots[parsed.size].hex(),
            )
        key = public_key
        if key is None:
            try:
                key = signing.public_key_from_pem(row.public_key.encode("utf-8"))
            except (InputError, AttributeError) as exc:
                found.add(
                    "checkpoint",
                    "checkpoint",
                    row.id,
                    f"{where}: its stored public key cannot be read: {exc}",
                    field="public_key",
                )
                continue
        expected_id = signing.key_id(key)
        if parsed.key_id != expected_id:
            found.add(
                "checkpoint",
                "checkpoint",
                row.id,
                f"{where} is signed by key {parsed.key_id}, not by key {expected_id}",
                field="key_id",
                expected=expected_id,
                found=parsed.key_id,
            )
        elif not signing.verify_checkpoint(parsed, key):
            found.add(
                "checkpoint",
                "checkpoint",
                row.id,
                f"{where}: signature does not verify with key {expected_id}",
                field="text",
            )
        if len(found.problems) == before:
            covered = max(covered, parsed.size)
    return covered


# -- all of it ---------------------------------------------------------------------


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for the duration (and back as it was after).

    verify builds tens of thousands of small dicts (the parsed events) that
    hold no cycles; the collector rescanning them as they pile up cost about
    a sixth of verify's time on a 10,000-version archive.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def verify(
    session: Session,
    *,
    quick: bool = False,
    deep: bool = False,
    public_key: Ed25519PublicKey | None = None,
    progress: Progress | None = None,
    processes: int | None = None,
) -> VerifyReport:
    """Check fixity, the record against the log, the log, the index and the checkpoints.

    The index rows of every content are checked against the digest stored
    beside them, and recomputed from the text for a random sample (and for
    rows with no digest); ``deep`` recomputes every content's rows instead,
    which costs about what `prov reindex` does.

    On a large archive, contents are decompressed, hashed and their index rows
    recomputed by ``processes`` forked workers (by default one per core; see
    `fixity.Run`) while this thread reads the log, the record and the stored
    index; ``progress`` is called with (contents checked, contents to check).
    """
    found = _Found()
    with _lenient_text(session):
        return _verify(session, found, quick, deep, public_key, progress, processes)


def _verify(
    session: Session,
    found: _Found,
    quick: bool,
    deep: bool,
    public_key: Ed25519PublicKey | None,
    progress: Progress | None,
    processes: int | None,
) -> VerifyReport:
    checkpoints = _guarded(found, "checkpoint", "checkpoint", list, _checkpoint_rows, session)
    wanted = set()
    for row in checkpoints:
        if fixity.is_int(row.size):
            wanted.add(row.size)
        with contextlib.suppress(InputError, TypeError, ValueError, AttributeError):
            wanted.add(signing.Checkpoint.from_text(row.text).size)
    table = _guarded(found, "fixity", "content", dict, fixity.rows, session)
    todo = set(table)
    sampled = None
    if quick and len(todo) > QUICK_SAMPLE:
        sampled = set(random.SystemRandom().sample(sorted(todo, key=str), QUICK_SAMPLE))
        todo = fixity.with_bases(table, sampled)  # the sample's index rows are recomputed
    indexed = _guarded(found, "index", "index_state", bool, _index_state, session, table, found)
    derive: fixity.Derive | None = None
    if indexed:
        derive = _index_fingerprint
        if quick and sampled is not None:
            derive = _RecomputeSome(frozenset(sampled))  # not the bases rebuilt to reach them
        elif not deep and not quick:
            recompute = _guarded(
                found, "index", "content_index", set, _to_recompute, session, table, todo
            )
            derive = _RecomputeSome(frozenset(recompute))
            sampled = recompute  # their sketch keys are read; the others' summed
    trees, damaged = fixity.plan(table, todo)
    stored_index: dict[str, _IndexRows] = {}
    summaries: dict[Any, tuple] = {}
    with (
        _collector_paused(),
        fixity.Run(
            session,
            table,
            trees,
            processes=processes,
            progress=progress,
            derive=derive,
        ) as run,
    ):
        events, root, roots, expect = _guarded(
            found,
            "log",
            "event",
            _no_log,
            _read_log,
            session,
            wanted,
            found,
            run.poll,
        )
        documents = _guarded(
            found, "record", "document", int, _check_documents, session, expect, found
        )
        versions = _guarded(
            found, "record", "version", int, _check_versions, session, expect, found, run.poll
        )
        links = _guarded(
            found, "record", "link", int, _check_links, session, expect, found, run.poll
        )
        sightings = _guarded(
            found, "record", "sighting", int, _check_sightings, session, expect, found
        )
        _guarded(found, "record", "api_token", int, _check_tokens, session, expect, found)
        named = _guarded(found, "fixity", "content", dict, _check_stored, table, expect, found)
        if indexed:
            if not quick and not deep:
                summaries = _guarded(
                    found, "index", "key_run", dict, _key_summaries, session
                )
            stored_index = _guarded(
                found,
                "index",
                "content_index",
                dict,
                _stored_index,
                session,
                table,
                sampled,
                summaries if not quick and not deep else None,
                found,
            )
            _guarded(found, "index", "key_run", int, _check_chains, session, found)
        outcome = run.finish()
    _report_fixity((*damaged, *outcome.findings), named, found)
    broken = {f.digest for f in (*damaged, *outcome.findings)}
    _guarded(
        found,
        "record",
        "edit_record",
        int,
        _check_replays,
        session,
        broken,
        QUICK_SAMPLE if quick else None,
        found,
    )
    index_checked = 0
    if indexed:
        index_checked = _guarded(
            found,
            "index",
            "content_index",
            int,
            _check_index,
            session,
            table,
            outcome.derived,
            stored_index,
            summaries,
            quick,
            found,
        )
    covered = _guarded(
        found,
        "checkpoint",
        "checkpoint",
        int,
        _check_checkpoints,
        checkpoints,
        events,
        roots,
        public_key,
        found,
    )
    signatures = "none" if not checkpoints else ("given key" if public_key else "stored key")
    return VerifyReport(
        ok=not found.problems,
        quick=quick,
        events=events,
        root=root.hex(),
        documents=documents,
        versions=versions,
        links=links,
        sightings=sightings,
        contents=len(table),
        contents_checked=outcome.checked,
        bytes_checked=outcome.nbytes,
        index_checked=index_checked,
        checkpoints=len(checkpoints),
        signatures=signatures,
        unsigned_events=max(0, events - covered),
        problems=tuple(found.problems),
    )


def _no_log() -> tuple[int, bytes, dict[int, bytes], _Expected]:
    """What `_read_log` returns when the log could not be read at all."""
    return 0, merkle.root([]), {0: merkle.root([])}, _Expected()


def _guarded(
    found: _Found, check: str, table: str, default: Callable[[], Any], fn: Callable, *args: Any
) -> Any:
    """``fn(*args)``; should it fail on damage no check foresaw, that is a problem too."""
    try:
        return fn(*args)
    except Exception as exc:
        found.add(
            check,
            table,
            None,
            f"the {table} table could not be checked to the end: {type(exc).__name__}: {exc}",
        )
        return default()


@contextlib.contextmanager
def _lenient_text(session: Session) -> Iterator[None]:
    """On SQLite, text that is not UTF-8 reads (with surrogateescape) instead of raising.

    SQLite stores whatever it is given, so a column may hold bytes that are
    not UTF-8 (a frame pasted in as text); sqlite3 would raise on reading it.
    """
    raw = None
    with contextlib.suppress(Exception):
        raw = session.connection().connection.driver_connection
    if raw is None or not hasattr(raw, "text_factory"):
        yield
        return
    before = raw.text_factory
    raw.text_factory = lambda data: data.decode("utf-8", "surrogateescape")
    try:
        yield
    finally:
        raw.text_factory = before


def summary(problems: Iterable[Problem]) -> dict[str, int]:
    """Problems counted by check."""
    out: dict[str, int] = {}
    for p in problems:
        out[p.check] = out.get(p.check, 0) + 1
    return out
