"""Bulk registration from a manifest: many files, their provenance, one transaction.

An archivist registering a collection writes (or exports from a catalogue) a
manifest, one entry per file, and imports it: every entry is registered in
order, exactly as `prov register` would, inside one transaction, so a bad
entry anywhere leaves the archive as it was. Registering many versions in
one transaction is also several times faster than one transaction each.

Manifests are JSON Lines (``.jsonl``) or CSV (``.csv``, with a header row).
The fields of an entry, all but ``path`` and ``doc`` optional:

``path``        the file, relative to the manifest's folder
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
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session

from provenance import archive, audit
from provenance.errors import InputError, ProvenanceError
from provenance.hashing import content_hash
from provenance.records import RegisterReport
from provenance.text import read_file

FIELDS = ("path", "doc", "parent", "relation", "source", "captured_at", "label", "encoding", "meta")


@dataclass(frozen=True, slots=True)
class Entry:
    line: int
    path: Path
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


def read_manifest(path: str) -> tuple[bytes, list[Entry]]:
    """The manifest's bytes and its entries; errors name the file and line."""
    data = read_file(path)
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
    entries = [_entry(path, base, line, row) for line, row in rows]
    if not entries:
        raise InputError(f"{path}: the manifest lists no files")
    return data, entries


def _jsonl_rows(path: str, text: str) -> list[tuple[int, dict]]:
    rows = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise InputError(f"{path}:{number}: an entry is a JSON object")
        rows.append((number, row))
    return rows


def _csv_rows(path: str, text: str) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for row in reader:
        meta = {k[5:]: v for k, v in row.items() if k and k.startswith("meta.") and v}
        plain = {
            k: v for k, v in row.items() if k and not k.startswith("meta.") and v not in ("", None)
        }
        if "parent" in plain:
            plain["parent"] = [p for p in plain["parent"].split("|") if p]
        plain["meta"] = meta
        rows.append((reader.line_num, plain))
    return rows


def _entry(manifest: str, base: Path, line: int, row: dict) -> Entry:
    where = f"{manifest}:{line}"
    unknown = set(row) - set(FIELDS)
    if unknown:
        raise InputError(
            f"{where}: unknown field {sorted(unknown)[0]!r}; fields are {', '.join(FIELDS)}"
        )
    for field in ("path", "doc"):
        if not isinstance(row.get(field), str) or not row[field].strip():
            raise InputError(f"{where}: {field!r} is required")
    parents = row.get("parent") or ()
    if isinstance(parents, str):
        parents = (parents,)
    if not isinstance(parents, list | tuple) or not all(isinstance(p, str) for p in parents):
        raise InputError(f"{where}: 'parent' is a REF or a list of REFs")
    meta = row.get("meta") or {}
    if not isinstance(meta, dict):
        raise InputError(f"{where}: 'meta' is an object")
    for field in ("relation", "source", "captured_at", "label", "encoding"):
        if row.get(field) is not None and not isinstance(row[field], str):
            raise InputError(f"{where}: {field!r} is text")
    return Entry(
        line=line,
        path=base / row["path"],
        doc=row["doc"],
        parents=tuple(parents),
        relation=row.get("relation"),
        source=row.get("source"),
        captured_at=row.get("captured_at"),
        label=row.get("label"),
        encoding=row.get("encoding"),
        meta=meta,
    )


def run(
    session: Session,
    manifest: str,
    *,
    actor: str,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Register every entry of ``manifest`` in ``session`` (the caller's one transaction)."""
    data, entries = read_manifest(manifest)
    reports: list[RegisterReport] = []
    for done, entry in enumerate(entries):
        try:
            reports.append(
                archive.register(
                    session,
                    read_file(str(entry.path)),
                    name=str(entry.path),
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
