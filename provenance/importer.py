"""Bulk registration: many versions, their provenance, checked whole, committed in batches.

Every import, whatever its source, comes here as a `Collection` of entries
(`provenance.sources` turns a folder, a git repository or a web archive
into one); this module registers them. The manifest is the source it reads
itself.

An archivist registering a collection writes (or exports from a catalogue) a
manifest, one entry per file, and imports it: every entry is registered in
order, exactly as `prov register` would. Every entry is first checked, in a
read snapshot, before anything is written (`register_all`), so a bad entry
anywhere leaves the archive as it was; then the entries are committed in
batches of about a second (`BATCH_SECONDS`), so that other writers take their
turn between them, and an import cut short keeps what it committed: the same
import again registers the rest (the re-run rule below). Registering many
versions in one transaction is also several times faster than one
transaction each.

Manifests are JSON Lines (``.jsonl``) or CSV (``.csv``, with a header row).
The fields of an entry, all but ``path`` and ``doc`` optional:

``path``        the file, relative to the manifest's folder (and inside it)
``doc``         the document's key
``parent``      a REF (several: separated by ``|`` in CSV, a list in JSONL)
``relation``    revision, copy, excerpt, derived or merge
``source``      where the text came from
``captured_at`` when it was published or captured (ISO 8601)
``label``       a short label
``encoding``    the file's encoding when it is not UTF-8
``meta``        free metadata (an object in JSONL; ``meta.KEY`` columns in CSV)

Entries without ``parent`` follow the rule of `prov register`: a new
version of an existing document is a revision of its latest version, so a
manifest listing a document's versions in order records its history.

A batch (`run_batch`, the HTTP service's import) is the same entries as a
JSON array, each carrying its content (``text``, or ``base64`` bytes)
instead of a ``path``: nothing is read from a file, and a ``parent`` never
names one.

A manifest may come from elsewhere, so it is read as hostile: every field
obeys `provenance.validate` before anything is registered, and a path stays
inside the manifest's folder (no absolute path, no ``..`` or symlink leading
out) unless the caller passes ``allow_outside=True``. Only regular files of
at most ``max_size`` bytes are read (`provenance.text.read_file`).

A re-run adds nothing: an entry whose original (a file's name, a commit,
a WARC record: `Entry.original`) is already a version of its document, or a
sighting of one, with the same bytes, or, without an original, that is its
document's next version in order with the same bytes and provenance, or a
sighting with the same bytes, source and capture time, is *present*. One
whose bytes are already its document's latest version, or the version the
entry before it (of the same document) came to, is a *sighting* of that
version (`provenance.sightings`): recorded (*sighted*) when its source or
capture time is new to the version, else *unchanged*. None of them is
registered again, and the report lists them all. An import that records
nothing appends no event.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlmodel import Session, col, select

from provenance import archive, audit, contents, refs, sightings, validate
from provenance.errors import (
    EncodingConflict,
    InputError,
    LineageError,
    NotFoundError,
    ProvenanceError,
)
from provenance.hashing import PREFIX, content_hash, hash_prefix
from provenance.models import Content, Document, Version
from provenance.records import RegisterReport
from provenance.text import MAX_SIZE, read_file

FIELDS = ("path", "doc", "parent", "relation", "source", "captured_at", "label", "encoding", "meta")


@dataclass(frozen=True, slots=True)
class Entry:
    """One checked entry: ``path`` is the file to read, ``name`` how messages call it.

    A source whose bytes are not a file (a commit's blob, a WARC record)
    gives ``load`` instead of ``path``: called once, when the entry is
    registered, it returns the bytes, or None when there is nothing to
    register (``nothing`` then says why). ``where`` prefixes an error about
    the entry (default: the manifest's path and ``line``).
    """

    line: int
    path: Path | None
    name: str
    doc: str
    parents: tuple[str, ...]
    relation: str | None
    source: str | None
    captured_at: str | None
    label: str | None
    encoding: str | None
    meta: dict[str, Any]
    load: Callable[[], bytes | None] | None = None
    nothing: str = ""
    where: str = ""
    # (meta key, value) naming the original in its source, recorded in ``meta``
    # (``("git_commit", "1a2b...")``): with the same bytes, the entry is present.
    original: tuple[str, str] | None = None
    # An earlier entry of the same collection (its index) whose version is the
    # parent of this one, with ``relation``: the raw capture an extracted text
    # is derived from. The version is then also a revision of its document's
    # latest version, when there is one (a second link).
    parent_entry: int | None = None


@dataclass(frozen=True, slots=True)
class Collection:
    """What an import reads: its entries, in the order they are registered.

    ``kind`` is ``manifest``, ``folder``, ``git``, ``warc`` or ``batch`` (sent to the service); ``name`` the
    path recorded in the import's event; ``digest`` computes the hash
    recorded beside it (of the manifest or web archive file); without one, it
    is the hash of the listing of what the source held: one line per entry,
    its name, a tab and its content hash. ``passed_over`` are records of the source that
    give no entry, with why (a revisit of a capture the file does not hold).
    """

    kind: str
    name: str
    entries: tuple[Entry, ...]
    digest: Callable[[], str] | None = None
    passed_over: tuple[Skipped, ...] = ()
    close: Callable[[], None] | None = None  # what reading the entries holds open (a process)
    # False: a parent REF never names a file (`refs.resolve`), for entries that
    # come from another machine (a batch sent to the service).
    files: bool = True


SkipReason = Literal["sighted", "unchanged", "present", "revisit", "no text", "not text", "failed"]


@dataclass(frozen=True, slots=True)
class Skipped:
    """An entry that was not registered, and why.

    ``reason``: ``sighted``, its bytes are already the document's latest
    version (or the version the entry before it came to), and a sighting of it
    was recorded (``sighting``, its id); ``unchanged``, the same, but that
    version already held this source and capture time (nothing recorded);
    ``present``, a version of the document already holds its
    original (same commit, WARC record or file name) with the same bytes;
    ``revisit``, a WARC revisit record whose capture the file does not hold;
    ``no text``, an HTML capture in which no main text was found (its raw
    capture is still registered); ``not text``, a WARC capture (or revisit)
    of another type than text or HTML (an image, a script); ``failed``, a
    WARC capture whose HTTP status is not 2xx. ``version`` is the version that already
    holds it, when there is one.
    """

    name: str
    document: str
    reason: SkipReason
    version: int | None = None
    version_name: str | None = None  # DOC@N of ``version``
    sighting: int | None = None  # the sighting recorded (reason ``sighted``)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What `prov import` did: every registration, in the source's order.

    ``manifest`` is the source read (a manifest, a folder, a git repository's
    file, a WARC or WACZ file) and ``manifest_hash`` the hash its event
    records (see `Collection`). ``unchanged`` counts the entries already
    present, listed in ``skipped`` with the others not registered: a re-run
    registers nothing, and ``versions`` is then 0.
    """

    manifest: str
    manifest_hash: str
    versions: int
    new_contents: int
    documents: tuple[str, ...]
    registered: tuple[RegisterReport, ...]
    kind: str = "manifest"
    unchanged: int = 0
    skipped: tuple[Skipped, ...] = ()
    sightings: int = 0


def read_manifest(
    path: str, *, allow_outside: bool = False, max_size: int = MAX_SIZE
) -> tuple[bytes, list[Entry]]:
    """The manifest's bytes and its checked entries; errors name the file and line.

    Nothing but the manifest is read: the files it lists are checked for
    where they are, not yet opened.
    """
    validate.recorded_path(path, field="manifest")  # its path is recorded in the import event
    data = read_file(path, max_size=max_size)
    base = Path(path).parent
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 at byte offset {exc.start}") from None
    if path.endswith(".csv"):
        rows = _csv_rows(path, text)
    elif path.endswith((".jsonl", ".ndjson")):
        rows = _jsonl_rows(path, text)
    else:
        raise InputError(f"{path}: a manifest is .jsonl or .csv")
    entries = [_entry(path, base, line, row, allow_outside) for line, row in rows]
    if not entries:
        raise InputError(f"{path}: the manifest lists no files")
    return data, entries


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are unique: with two, which one was meant?"""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def _jsonl_rows(path: str, text: str) -> list[tuple[int, dict]]:
    rows = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw, object_pairs_hook=_no_duplicates)
        except _Duplicate as exc:
            raise InputError(f"{path}:{number}: the key {validate.shown(exc.args[0])} is given twice") from None
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: not JSON ({exc.msg})") from None
        except RecursionError:
            raise InputError(
                f"{path}:{number}: nested too deeply to read (meta nests at most {validate.META_DEPTH} levels)"
            ) from None
        except ValueError as exc:  # an integer of thousands of digits
            raise InputError(f"{path}:{number}: not JSON that can be read ({exc})") from None
        if not isinstance(row, dict):
            raise InputError(f"{path}:{number}: an entry is a JSON object")
        rows.append((number, row))
    return rows


def _csv_rows(path: str, text: str) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    try:
        header = reader.fieldnames or []
        if len(set(header)) != len(header):
            twice = next(name for name in header if header.count(name) > 1)
            raise InputError(f"{path}:1: the column {validate.shown(twice)} is given twice")
        for row in reader:
            if None in row:
                raise InputError(f"{path}:{reader.line_num}: more fields than the header names")
            meta = {k[5:]: v for k, v in row.items() if k and k.startswith("meta.") and v}
            plain = {
                k: v
                for k, v in row.items()
                if k and not k.startswith("meta.") and v not in ("", None)
            }
            if "parent" in plain:
                plain["parent"] = [p for p in plain["parent"].split("|") if p]
            plain["meta"] = meta
            rows.append((reader.line_num, plain))
    except csv.Error as exc:
        raise InputError(f"{path}:{reader.line_num + 1}: not CSV ({exc})") from None  # the line it failed on
    return rows


def _entry(manifest: str, base: Path, line: int, row: dict, allow_outside: bool) -> Entry:
    where = f"{manifest}:{line}"
    unknown = set(row) - set(FIELDS)
    if unknown:
        raise InputError(
            f"{where}: unknown field {validate.shown(sorted(unknown)[0])}; fields are {', '.join(FIELDS)}"
        )
    for field in ("path", "doc"):
        if row.get(field) is None:
            raise InputError(f"{where}: {field!r} is required")
    given = validate.path(row["path"], where=where, field="path")
    path, name = _confined(where, base, given, allow_outside)
    return Entry(
        line=line,
        path=path,
        name=name,
        **_checked_fields(row, where),
    )


def _checked_fields(row: dict[str, Any], where: str) -> dict[str, Any]:
    """The fields a manifest's entry and a batch's share, each checked (`provenance.validate`)."""
    captured_at = row.get("captured_at")
    return {
        "doc": validate.document(row["doc"], where=where, field="doc"),
        "parents": validate.references(row.get("parent", ()), where=where, field="parent"),
        "relation": validate.relation(row.get("relation"), where=where, field="relation"),
        "source": validate.source(row.get("source"), where=where, field="source"),
        "captured_at": validate.time(captured_at, where=where, field="captured_at") if captured_at else None,
        "label": validate.label(row.get("label"), where=where, field="label"),
        "encoding": validate.encoding(row.get("encoding"), where=where, field="encoding"),
        "meta": validate.meta(row.get("meta"), where=where, field="meta"),
    }


def _confined(where: str, base: Path, given: str, allow_outside: bool) -> tuple[Path, str]:
    """The file an entry's path names (to read) and its name in messages.

    Inside the manifest's folder, the path with every symlink resolved, so the
    file read is the one checked.
    """
    relative = Path(given)
    name = validate.display_path(str(base / relative))
    if allow_outside:
        return base / relative, name
    refused = f"{where}: path {validate.shown(given)}"
    hint = "paths stay inside the manifest's folder unless outside files are allowed (--allow-outside)"
    if relative.is_absolute():
        raise InputError(f"{refused} is absolute; {hint}")
    root = Path(os.path.realpath(base))
    real = Path(os.path.realpath(base / relative))
    if not real.is_relative_to(root):
        how = "climbs out with .." if ".." in relative.parts else "leads outside through a symlink"
        raise InputError(f"{refused} {how}; {hint}")
    return real, name


def run(
    into: Session | Sessions,
    manifest: str,
    *,
    actor: str,
    progress: Callable[[int, int], None] | None = None,
    allow_outside: bool = False,
    max_size: int = MAX_SIZE,
) -> ImportReport:
    """Register every entry of ``manifest``: in ``into``, the caller's one transaction
    or the archive's sessions, in batches (`register_all`).

    Every entry is checked before the first is registered. ``allow_outside``
    reads files outside the manifest's folder (absolute paths, ``..``,
    symlinks leading out); ``max_size`` bounds each file read, the manifest too.
    """
    validate.actor(actor)
    data, entries = read_manifest(manifest, allow_outside=allow_outside, max_size=max_size)
    digest = content_hash(data)
    collection = Collection("manifest", manifest, tuple(entries), lambda: digest)
    return register_all(into, collection, actor=actor, progress=progress, max_size=max_size)


@dataclass(frozen=True, slots=True)
class _Held:
    """A version already in the archive, as far as deciding a re-run needs it."""

    id: int
    number: int
    hash: str
    source: str | None
    captured_at: str | None
    label: str | None
    meta: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Planned(_Held):
    """A version an import will make, as its check plays it through (`_Plan`): its id
    is a negative stand-in."""

    doc: str = ""


_Found = Literal["present", "unchanged", "seen"]
"""Why an entry is not registered (`_Seen.holding`): ``seen``, its bytes are the latest
version's, a sighting of it (recorded unless the version already holds it)."""


@dataclass(frozen=True, slots=True)
class _Sighted:
    """A sighting already in the archive (or recorded by this import), of ``held``."""

    held: _Held
    source: str | None
    captured_at: str | None
    meta: dict[str, Any]


class _Seen:
    """The versions of the documents met so far in an import, and their sightings."""

    def __init__(self, session: Session, matched: dict[str, int] | None = None) -> None:
        self.session = session
        self.docs: dict[str, list[_Held]] = {}
        # per document, how many versions entries matched (kept from batch to batch)
        self.matched: dict[str, int] = {} if matched is None else matched
        self.sighted: dict[str, list[_Sighted]] = {}  # per document, its versions' sightings

    def versions(self, doc: str) -> list[_Held]:
        """The versions of ``doc``, oldest first (one query per document and import)."""
        found = self.docs.get(doc)
        if found is None:
            rows = self.session.exec(
                select(Version)
                .join(Document, col(Document.id) == col(Version.document_id))
                .where(Document.key == doc)
                .order_by(col(Version.number))
            ).all()
            found = self.docs[doc] = [
                _Held(v.id, v.number, v.content_hash, v.source, v.captured_at, v.label, dict(v.meta or {}))
                for v in rows
            ]
            by_id = {held.id: held for held in found}
            self.sighted[doc] = [
                _Sighted(by_id[s.version], s.source, s.captured_at, s.meta)
                for seen in sightings.of_versions(self.session, by_id).values()
                for s in seen
            ]
        return found

    def holding(self, entry: Entry, digest: str, before: _Held | None = None) -> tuple[_Found, _Held] | None:
        """Why ``entry`` is already present, with the version holding it, or None.

        Present: with an ``original``, a version with the same bytes and the
        same original (its meta item), or a sighting of one that recorded that
        original. Without one (a manifest's or a batch's entry), the document's
        next version not yet matched by this import, with the same bytes and the
        same provenance (source, capture time, label, every meta item): entries
        are matched to versions in order, so a history that returns to an
        earlier text (A, B, A) is three versions, and its re-run is three
        entries present; or a sighting with the same bytes, source and capture
        time, of ``before`` (the version the entry before it came to), or of any
        version for the import's first entry of the document (so that a
        sighting met again after another text does not stand for a version the
        run must register: a cut-short run resumed must come to what one run
        does). Either is ``unchanged`` when the version holding it is the
        document's latest. Failing those, bytes that are ``before``'s, else
        the latest version's, are ``seen``: a sighting of it, unless it already
        holds it (`provenance.sightings`). ``before`` comes first: in a re-run
        or a resumed run it is where the walk stands, as it was the latest when
        the run that recorded it got there.
        """
        versions = self.versions(entry.doc)

        def held_by(held: _Held) -> tuple[_Found, _Held]:
            return ("unchanged" if held is versions[-1] else "present"), held

        if entry.original is None:
            at = self.matched.get(entry.doc, 0)
            if at < len(versions) and _same(versions[at], entry, digest):
                self.matched[entry.doc] = at + 1
                return held_by(versions[at])
        else:
            key, value = entry.original
            for held in versions:
                if held.hash == digest and held.meta.get(key) == value:
                    return held_by(held)
        for seen in self.sighted[entry.doc]:  # an entry an earlier run recorded as a sighting
            if seen.held.hash != digest:
                continue
            same = (seen.source, seen.captured_at) == (entry.source, entry.captured_at)
            if entry.original is None and same and (before is None or seen.held.id == before.id):
                return held_by(seen.held)
            if entry.original is not None and seen.meta.get(entry.original[0]) == entry.original[1]:
                return held_by(seen.held)
        if before is not None and before.hash == digest:
            return "seen", before  # no change since the entry before it
        if versions and versions[-1].hash == digest:
            return "seen", versions[-1]
        return None

    def sight(self, entry: Entry, held: _Held) -> None:
        """A sighting of ``held`` recorded for ``entry``."""
        self.sighted[entry.doc].append(_Sighted(held, entry.source, entry.captured_at, dict(entry.meta)))

    def add(self, entry: Entry, report: RegisterReport) -> _Held:
        held = _Held(
            report.version,
            report.number,
            report.hash,
            entry.source,
            entry.captured_at,
            entry.label,
            dict(entry.meta),
        )
        versions = self.versions(entry.doc)
        versions.append(held)
        self.matched[entry.doc] = len(versions)
        return held


def _same(held: _Held, entry: Entry, digest: str) -> bool:
    """Whether ``held`` is ``entry`` registered: its bytes and its provenance."""
    return (
        held.hash == digest
        and (held.source, held.captured_at, held.label) == (entry.source, entry.captured_at, entry.label)
        and all(held.meta.get(k) == v for k, v in entry.meta.items())
    )


Sessions = Callable[..., AbstractContextManager[Session]]
"""The archive's sessions, as `provenance.Archive` opens them: ``sessions(write=False)``
is a read snapshot, ``sessions(write=True)`` one write transaction."""

ENV_BATCH_SECONDS = "PROV_IMPORT_BATCH_SECONDS"
BATCH_SECONDS = 1.0
"""How long one batch of an import holds the archive's write lock (seconds;
``$PROV_IMPORT_BATCH_SECONDS`` changes it): the batch commits after the entry that
takes it past this long (a single long entry is a batch of its own). Another writer
(a `prov register`) waits at most about this long for its turn, plus its own work;
on SQLite each batch also pauses `SQLITE_TURN_SECONDS`, so a shorter batch makes an
import slower. Measured with a `prov register` beside an import of the whole corpus
(docs/import.md, "Cut short, resumed, and beside other writers")."""

SQLITE_TURN_SECONDS = 0.12
"""On SQLite, how long an import lets go of the write lock between two batches.
SQLite keeps no queue of writers: one waiting for the lock in its busy handler tries
again every 100 ms at most (after its first few tries), so a pause longer than that
lets it in before the next batch begins. PostgreSQL queues the writers waiting for
the advisory lock (`provenance.store.transaction`), and there a commit is enough."""

CHECKED_BYTES = 64 << 20
"""How many bytes the check keeps for registering: an entry's bytes are read (a
file, a commit's blob, a WARC record, a main text extracted) once for both, until
this much is kept; past it, each is read again when its batch comes, and must hash
as it did when it was checked."""

ENV_TEST_DELAY = "PROV_TEST_IMPORT_DELAY"
"""Test-only: seconds slept after each entry is registered, inside its batch and so
holding the write lock, for a test to kill an import mid-way or register beside a
long one (tests/test_import_resume.py). Unset, nothing is slept."""


@dataclass(frozen=True, slots=True)
class _Checked:
    """One entry as the check found it: the hash of its bytes (None: nothing to
    register, ``Entry.nothing`` says why) and the bytes, when kept (`CHECKED_BYTES`)."""

    digest: str | None
    data: bytes | None


def register_all(
    into: Session | Sessions,
    collection: Collection,
    *,
    actor: str,
    progress: Callable[..., None] | None = None,
    max_size: int = MAX_SIZE,
) -> ImportReport:
    """Register the entries of ``collection``: checked whole first, then registered.

    Every entry is checked in one read snapshot before anything is written
    (`_check`): its bytes read, within ``max_size``, not empty, decoded, its
    parents found; a bad one is an error naming it, and nothing is written.
    ``into`` is the caller's one transaction (a `Session`: all or nothing, as a
    live capture registers a page and its text) or the archive's `Sessions`: the
    entries are then registered in batches of about `BATCH_SECONDS`, each one
    write transaction holding its versions, links, sightings and audit events,
    its own ``import.run`` event included, so that other writers take their turn
    between batches. An import cut short (killed, Ctrl-C) keeps the batches it
    committed, and the same import run again finds their entries present (see
    the module's docstring) and registers the rest: what one uninterrupted run
    records. ``progress(done, total, what)`` is called after each entry checked
    (``what`` is ``checking``) and registered (``registering``).
    """
    try:
        validate.actor(actor)
        if isinstance(into, Session):
            run = _Run(collection, _check(into, collection, max_size, progress), actor, max_size, progress)
            run.batch(into, None)
            return run.report()
        seconds = batch_seconds()
        with into(write=False) as snapshot:
            checked = _check(snapshot, collection, max_size, progress)
        run = _Run(collection, checked, actor, max_size, progress)
        while not run.done:
            try:
                with into(write=True) as session:
                    run.batch(session, seconds)
                    sqlite = session.get_bind().dialect.name == "sqlite"
            except InputError as exc:
                if not run.kept:
                    raise
                raise InputError(
                    f"{exc}; the {run.kept} entries before it are imported: once it is "
                    "put right, the same import again registers the rest"
                ) from None
            if sqlite and not run.done:
                time.sleep(SQLITE_TURN_SECONDS)
        return run.report()
    finally:
        if collection.close is not None:
            collection.close()


def batch_seconds() -> float:
    """`BATCH_SECONDS`, or ``$PROV_IMPORT_BATCH_SECONDS`` when it is a number of seconds
    (0: every entry its own batch)."""
    text = os.environ.get(ENV_BATCH_SECONDS, "").strip()
    try:
        value = float(text) if text else BATCH_SECONDS
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise InputError(f"${ENV_BATCH_SECONDS}: {text!r} is not a number of seconds")
    return value


def _where(collection: Collection, entry: Entry) -> str:
    return entry.where or f"{collection.name}:{entry.line}"


def _named(where: str, exc: ProvenanceError) -> InputError:
    """``exc`` as the one line naming the entry it is about."""
    message = str(exc)
    return InputError(message if message.startswith(where) else f"{where}: {message}")


def _load(entry: Entry, max_size: int) -> bytes | None:
    if entry.load is not None:
        return entry.load()
    assert entry.path is not None
    return read_file(str(entry.path), max_size=max_size)


EMPTY = (
    "the file is empty; an empty capture is usually a failed download or save, "
    "and an import registers none"
)


def _check(
    session: Session, collection: Collection, max_size: int, progress: Callable[..., None] | None
) -> list[_Checked]:
    """Every entry of ``collection`` read and checked as registering it would, in the
    snapshot ``session``, writing nothing; raises the error of the first bad one.

    What registering depends on is played through without writing (`_Plan`): which
    entries make a version (the others are sightings or present), so that a parent
    naming a version an earlier entry makes (``story@2``) is found, and bytes given
    twice are read as one content (the second may not claim an encoding reading them
    as another text, `provenance.contents.reading`)."""
    plan = _Plan(session)
    out: list[_Checked] = []
    kept = 0
    total = len(collection.entries)
    for number, entry in enumerate(collection.entries, start=1):
        where = _where(collection, entry)
        try:
            data = _load(entry, max_size)
            if data is None:
                out.append(_Checked(None, None))
            else:
                if not data:
                    raise InputError(f"{entry.name}: {EMPTY}")
                decoded = contents.reading(session, data, entry.name, entry.encoding)
                digest = content_hash(data)
                plan.read(entry, decoded, digest)
                plan.parents(entry, collection.files)
                plan.place(entry, digest)
                keep = kept + len(data) <= CHECKED_BYTES
                kept += len(data) if keep else 0
                out.append(_Checked(digest, data if keep else None))
        except ProvenanceError as exc:
            raise _named(where, exc) from None
        if progress is not None:
            progress(number, total, "checking")
    return out


class _Plan:
    """An import played through in a snapshot without writing: what `_check` needs of
    what the entries before an entry will have registered."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen = _Seen(session)
        self.last: dict[str, _Held] = {}  # per document, the version its latest entry came to
        self.planned: list[_Held] = []  # the versions the import will make, in order
        self.readings: dict[str, tuple[str | None, str]] = {}  # new content: its encoding, text's hash

    def read(self, entry: Entry, decoded: Any, digest: str) -> None:
        """Refuse bytes an earlier entry gives too, claimed in an encoding that reads them
        as another text (`provenance.contents.reading` refuses them once stored)."""
        text = content_hash(decoded.text.encode("utf-8", "surrogatepass"))
        first = self.readings.get(digest)
        if first is None:
            if self.session.get(Content, digest) is None:
                self.readings[digest] = (decoded.encoding, text)
            return
        if entry.encoding is not None and decoded.encoding != first[0] and text != first[1]:
            raise EncodingConflict(entry.name, decoded.encoding, first[0], digest)

    def parents(self, entry: Entry, files: bool) -> None:
        """Each parent REF names one version, in the archive or one the import makes first."""
        found = set()
        for ref in entry.parents:
            held = self._planned(ref, files)
            if held is None:
                version = refs.resolve(self.session, ref, files=files)
                key, name = version.id, refs.version_name(self.session, version)
            else:
                key, name = held.id, f"{held.doc}@{held.number}"
            if key in found:
                raise LineageError(f"parent {name} is given twice")
            found.add(key)

    def _planned(self, ref: str, files: bool) -> _Planned | None:
        """The version ``ref`` names among those the import makes before it, if one does."""
        if not self.planned:
            return None
        if "@" in ref and not ref.startswith(refs.FILE_PREFIX):
            key, _, selector = ref.rpartition("@")
            if key not in self.seen.docs:
                return None
            versions = self.seen.versions(key)
            if selector == "latest":
                chosen = versions[-1] if versions else None
            else:
                chosen = next((v for v in versions if str(v.number) == selector), None)
                if chosen is None and selector.isascii() and selector.isdigit() and versions:
                    raise NotFoundError(f"{ref!r}: document {key!r} has versions 1 to {len(versions)}")
            return chosen if isinstance(chosen, _Planned) else None
        prefix = hash_prefix(ref)
        digest = None
        if prefix is None and files and (ref.startswith(refs.FILE_PREFIX) or "/" in ref):
            path = refs.named_file(ref)
            if path is not None and path.is_file():
                digest = content_hash(read_file(str(path)))
        for held in self.planned:
            if (prefix is not None and held.hash.startswith(PREFIX + prefix)) or held.hash == digest:
                return held
        return None

    def place(self, entry: Entry, digest: str) -> None:
        """Where ``entry`` comes to: present, a sighting, or a version the import makes."""
        found = self.seen.holding(entry, digest, self.last.get(entry.doc))
        if found is not None:
            how, held = found
            if how == "seen" and not self._holds(entry, held):
                self.seen.sight(entry, held)
            self.last[entry.doc] = held
            return
        versions = self.seen.versions(entry.doc)
        held = _Planned(
            -len(self.planned) - 1,
            versions[-1].number + 1 if versions else 1,
            digest,
            entry.source,
            entry.captured_at,
            entry.label,
            dict(entry.meta),
            entry.doc,
        )
        versions.append(held)
        self.seen.matched[entry.doc] = len(versions)
        self.planned.append(held)
        self.last[entry.doc] = held

    def _holds(self, entry: Entry, held: _Held) -> bool:
        """Whether ``held`` already holds this sighting (`provenance.sightings.see`)."""
        if sightings.holds(held, entry.source, entry.captured_at):
            return True
        return any(
            s.held.id == held.id and (s.source, s.captured_at) == (entry.source, entry.captured_at)
            for s in self.seen.sighted.get(entry.doc, ())
        )


class _Run:
    """An import registering its checked entries, batch after batch: what it did so far."""

    def __init__(
        self,
        collection: Collection,
        checked: list[_Checked],
        actor: str,
        max_size: int,
        progress: Callable[..., None] | None,
    ) -> None:
        self.collection, self.checked = collection, checked
        self.actor, self.max_size, self.progress = actor, max_size, progress
        self.at = 0  # the next entry to register
        self.kept = 0  # the entries of the batches committed
        self.reports: list[RegisterReport] = []
        self.skipped: list[Skipped] = list(collection.passed_over)
        self.version_of: dict[int, str] = {}  # entry index -> DOC@N of its version, registered or found
        self.matched: dict[str, int] = {}  # per document, how many versions entries matched
        self.last: dict[str, _Held] = {}  # per document, the version its latest entry came to
        self.unchanged = self.sighted = 0
        if collection.digest is not None:
            self.digest = collection.digest()
        else:  # the listing of what the source held: "name<TAB>hash" per entry
            listing = "".join(
                f"{entry.name}\t{c.digest}\n"
                for entry, c in zip(collection.entries, checked, strict=True)
                if c.digest is not None
            )
            self.digest = content_hash(listing.encode("utf-8"))
        delay = os.environ.get(ENV_TEST_DELAY, "").strip()
        self.delay = float(delay) if delay else 0.0

    @property
    def done(self) -> bool:
        return self.at >= len(self.collection.entries)

    def batch(self, session: Session, seconds: float | None) -> None:
        """Register entries from the next one in ``session``, until all are (``seconds``
        None) or until ``seconds`` have passed, then the batch's ``import.run`` event."""
        started = time.monotonic()
        seen = _Seen(session, self.matched)  # the archive as it is now; what entries matched
        first_report, sighted = len(self.reports), self.sighted
        entries = self.collection.entries
        while not self.done:
            entry = entries[self.at]
            try:
                self._register(session, seen, self.at, entry)
            except ProvenanceError as exc:  # name the entry; the batch is rolled back
                raise _named(_where(self.collection, entry), exc) from None
            self.at += 1
            if self.delay:
                time.sleep(self.delay)
            if self.progress is not None:
                self.progress(self.at, len(entries), "registering")
            if seconds is not None and time.monotonic() - started >= seconds:
                break
        made = [r.version for r in self.reports[first_report:]]
        if made or self.sighted > sighted:
            audit.import_run(session, self.collection.name, self.digest, made, self.actor, archive.now())
        self.kept = self.at  # once the caller commits

    def _data(self, index_: int, entry: Entry) -> bytes | None:
        checked = self.checked[index_]
        if checked.digest is None or checked.data is not None:
            return checked.data
        data = _load(entry, self.max_size)
        if data is None or content_hash(data) != checked.digest:
            raise InputError(f"{entry.name}: changed since the import checked it; run the import again")
        return data

    def _register(self, session: Session, seen: _Seen, index_: int, entry: Entry) -> None:
        data = self._data(index_, entry)
        if data is None:
            self.skipped.append(Skipped(entry.name, entry.doc, entry.nothing or "no text"))
            return
        contents.reading(session, data, entry.name, entry.encoding)  # refused as register would
        digest = self.checked[index_].digest
        assert digest is not None  # the bytes as given are what is stored
        before = self.last.get(entry.doc)
        found = seen.holding(entry, digest, before)
        if found is not None:
            how, held = found
            self.last[entry.doc] = held
            self.version_of[index_] = f"{entry.doc}@{held.number}"
            sighting = None
            reason: SkipReason = "unchanged" if how == "seen" else how
            if how == "seen":  # its bytes seen again: new to the version?
                seen_again = sightings.see(
                    session,
                    held,
                    source=entry.source,
                    captured_at=entry.captured_at,
                    meta=entry.meta,
                    actor=self.actor,
                    recorded_at=archive.now(),
                )
                if seen_again.outcome == "sighted" and seen_again.sighting is not None:
                    reason, sighting = "sighted", seen_again.sighting.id
                    seen.sight(entry, held)
            if sighting is None:
                self.unchanged += 1
            else:
                self.sighted += 1
            self.skipped.append(
                Skipped(entry.name, entry.doc, reason, held.id, self.version_of[index_], sighting)
            )
            return
        parents = list(entry.parents)
        if not self.collection.files:
            parents = [str(refs.resolve(session, p, files=False).id) for p in parents]
        if entry.parent_entry is not None and entry.parent_entry in self.version_of:
            parents.append(self.version_of[entry.parent_entry])
        held_now = seen.versions(entry.doc)
        previous = held_now[-1] if held_now and entry.parent_entry is not None else None
        report = archive.register(
            session,
            data,
            name=entry.name,
            doc=entry.doc,
            parents=parents,
            relation=entry.relation if parents or entry.parent_entry is None else None,
            source=entry.source,
            captured_at=entry.captured_at,
            label=entry.label,
            meta=entry.meta,
            encoding=entry.encoding,
            actor=self.actor,
        )
        self.reports.append(report)
        if previous is not None:  # derived from its source, and its document's next
            archive.link(
                session,
                f"{entry.doc}@{report.number}",
                f"{entry.doc}@{previous.number}",
                "revision",
                actor=self.actor,
            )
        self.last[entry.doc] = seen.add(entry, report)
        self.version_of[index_] = f"{entry.doc}@{report.number}"

    def report(self) -> ImportReport:
        reports = self.reports
        return ImportReport(
            manifest=self.collection.name,
            manifest_hash=self.digest,
            versions=len(reports),
            new_contents=sum(r.new_content for r in reports),
            documents=tuple(dict.fromkeys(r.document for r in reports)),
            registered=tuple(reports),
            kind=self.collection.kind,
            unchanged=self.unchanged,
            skipped=tuple(self.skipped),
            sightings=self.sighted,
        )


# -- a batch that carries its contents (the HTTP service's import) ----------------

BATCH_FIELDS = ("doc", "text", "base64", "name", "parent", "relation", "source", "captured_at", "label", "encoding", "meta")
"""The fields of a batch entry: a manifest entry's, with the content itself
(``text``, or ``base64`` for bytes in another encoding) in place of ``path``."""

BATCH_MAX_ENTRIES = 10_000
"""The most entries one batch may hold (a larger collection is several batches)."""


def read_batch(data: bytes, *, source: str = "batch", max_size: int = MAX_SIZE) -> list[Entry]:
    """The checked entries of a batch: a JSON array of objects, each a manifest entry
    that carries its content (`BATCH_FIELDS`); errors name ``source`` and the entry
    (``batch:3`` is the third).

    ``text`` is a JSON string, registered as its UTF-8 bytes; ``base64`` is the
    exact bytes (standard alphabet, padded), in ``encoding`` when it is not UTF-8.
    Each content is at most ``max_size`` bytes. Nothing is read from any file.
    """
    validate.recorded_path(source, field="name")  # recorded in the import event
    try:
        rows = json.loads(data.decode("utf-8-sig"), object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not valid UTF-8 at byte offset {exc.start}") from None
    except _Duplicate as exc:
        raise InputError(f"{source}: the key {validate.shown(exc.args[0])} is given twice") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: not JSON ({exc.msg})") from None
    except RecursionError:
        raise InputError(f"{source}: nested too deeply to read (meta nests at most {validate.META_DEPTH} levels)") from None
    except ValueError as exc:  # an integer of thousands of digits
        raise InputError(f"{source}: not JSON that can be read ({exc})") from None
    if not isinstance(rows, list):
        raise InputError(f"{source}: a batch is a JSON array of entries")
    if not rows:
        raise InputError(f"{source}: the batch lists no entries")
    if len(rows) > BATCH_MAX_ENTRIES:
        raise InputError(f"{source}: {len(rows)} entries, over the limit of {BATCH_MAX_ENTRIES} in one batch")
    return [_batch_entry(f"{source}:{n}", n, row, max_size) for n, row in enumerate(rows, start=1)]


def _batch_entry(where: str, n: int, row: Any, max_size: int) -> Entry:
    if not isinstance(row, dict):
        raise InputError(f"{where}: an entry is a JSON object")
    unknown = set(row) - set(BATCH_FIELDS)
    if unknown:
        hint = "; the content goes in text or base64, never a path" if "path" in unknown else ""
        raise InputError(
            f"{where}: unknown field {validate.shown(sorted(unknown)[0])}; fields are {', '.join(BATCH_FIELDS)}{hint}"
        )
    if row.get("doc") is None:
        raise InputError(f"{where}: 'doc' is required")
    given = [f for f in ("text", "base64") if row.get(f) is not None]
    if len(given) != 1:
        raise InputError(f"{where}: give the content once, as text or as base64")
    if given == ["text"]:
        if not isinstance(row["text"], str):
            raise InputError(f"{where}: text: a JSON string")
        if row.get("encoding") is not None:
            raise InputError(f"{where}: encoding: only with base64 (text is sent as UTF-8)")
        try:
            content = row["text"].encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate (\ud800) in the JSON
            raise InputError(f"{where}: text: a lone surrogate at character {exc.start}") from None
    else:
        if not isinstance(row["base64"], str):
            raise InputError(f"{where}: base64: a JSON string")
        try:
            content = base64.b64decode(row["base64"], validate=True)
        except (binascii.Error, ValueError):
            raise InputError(f"{where}: base64: not base64 (standard alphabet, padded)") from None
    if len(content) > max_size:
        raise InputError(f"{where}: {len(content)} bytes, over the limit of {max_size}")
    name = validate.label(row.get("name"), where=where, field="name") or where
    return Entry(
        line=n,
        path=None,
        name=name,
        **_checked_fields(row, where),
        load=lambda: content,
        where=where,
    )


def run_batch(
    session: Session,
    data: bytes,
    *,
    actor: str,
    source: str = "batch",
    max_size: int = MAX_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Register every entry of a batch (`read_batch`) in ``session`` (the caller's one
    transaction), as `run` registers a manifest's: every entry is checked before the
    first is registered, and the ``import.run`` event records ``source`` and the hash
    of ``data``, the batch's exact bytes. A ``parent`` is a version id, a hash
    prefix, ``DOC@N`` or ``DOC@latest`` (an earlier entry's too), never a file."""
    validate.actor(actor)
    entries = read_batch(data, source=source, max_size=max_size)
    digest = content_hash(data)
    collection = Collection("batch", source, tuple(entries), lambda: digest, files=False)
    return register_all(session, collection, actor=actor, progress=progress, max_size=max_size)
