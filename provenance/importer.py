"""Bulk registration from a manifest: many files, their provenance, one transaction.

An archivist registering a collection writes (or exports from a catalogue) a
manifest, one entry per file, and imports it: every entry is registered in
order, exactly as `prov register` would, inside one transaction, so a bad
entry anywhere leaves the archive as it was. Registering many versions in
one transaction is also several times faster than one transaction each.

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

A manifest may come from elsewhere, so it is read as hostile: every field
obeys `provenance.validate` before anything is registered, and a path stays
inside the manifest's folder (no absolute path, no ``..`` or symlink leading
out) unless the caller passes ``allow_outside=True``. Only regular files of
at most ``max_size`` bytes are read (`provenance.text.read_file`).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session

from provenance import archive, audit, validate
from provenance.errors import InputError, ProvenanceError
from provenance.hashing import content_hash
from provenance.records import RegisterReport
from provenance.text import MAX_SIZE, read_file

FIELDS = ("path", "doc", "parent", "relation", "source", "captured_at", "label", "encoding", "meta")


@dataclass(frozen=True, slots=True)
class Entry:
    """One checked entry: ``path`` is the file to read, ``name`` how messages call it."""

    line: int
    path: Path
    name: str
    doc: str
    parents: tuple[str, ...]
    relation: str | None
    source: str | None
    captured_at: str | None
    label: str | None
    encoding: str | None
    meta: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What `prov import` did: every registration, in manifest order."""

    manifest: str
    manifest_hash: str
    versions: int
    new_contents: int
    documents: tuple[str, ...]
    registered: tuple[RegisterReport, ...]


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
    captured_at = row.get("captured_at")
    return Entry(
        line=line,
        path=path,
        name=name,
        doc=validate.document(row["doc"], where=where, field="doc"),
        parents=validate.references(row.get("parent", ()), where=where, field="parent"),
        relation=validate.relation(row.get("relation"), where=where, field="relation"),
        source=validate.source(row.get("source"), where=where, field="source"),
        captured_at=validate.time(captured_at, where=where, field="captured_at") if captured_at else None,
        label=validate.label(row.get("label"), where=where, field="label"),
        encoding=validate.encoding(row.get("encoding"), where=where, field="encoding"),
        meta=validate.meta(row.get("meta"), where=where, field="meta"),
    )


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
    session: Session,
    manifest: str,
    *,
    actor: str,
    progress: Callable[[int, int], None] | None = None,
    allow_outside: bool = False,
    max_size: int = MAX_SIZE,
) -> ImportReport:
    """Register every entry of ``manifest`` in ``session`` (the caller's one transaction).

    Every entry is checked before the first is registered. ``allow_outside``
    reads files outside the manifest's folder (absolute paths, ``..``,
    symlinks leading out); ``max_size`` bounds each file read, the manifest too.
    """
    validate.actor(actor)
    data, entries = read_manifest(manifest, allow_outside=allow_outside, max_size=max_size)
    reports: list[RegisterReport] = []
    for done, entry in enumerate(entries):
        try:
            reports.append(
                archive.register(
                    session,
                    read_file(str(entry.path), max_size=max_size),
                    name=entry.name,
                    doc=entry.doc,
                    parents=list(entry.parents),
                    relation=entry.relation,
                    source=entry.source,
                    captured_at=entry.captured_at,
                    label=entry.label,
                    meta=entry.meta,
                    encoding=entry.encoding,
                    actor=actor,
                )
            )
        except ProvenanceError as exc:  # name the manifest line; nothing is kept
            raise InputError(f"{manifest}:{entry.line}: {exc}") from None
        if progress is not None:
            progress(done + 1, len(entries))
    digest = content_hash(data)
    audit.import_run(session, manifest, digest, [r.version for r in reports], actor, archive.now())
    return ImportReport(
        manifest=manifest,
        manifest_hash=digest,
        versions=len(reports),
        new_contents=sum(r.new_content for r in reports),
        documents=tuple(dict.fromkeys(r.document for r in reports)),
        registered=tuple(reports),
    )
