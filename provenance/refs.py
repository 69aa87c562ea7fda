"""Naming versions: turning what a user types into a version.

A REF is any of: a version id (``12``), a unique prefix of a content hash (at
least eight hex digits, ``blake3:`` optional), ``DOC@N``, ``DOC@latest``, or
the path of a file (resolved by hashing it). An ambiguous or unknown REF is
an error that lists the candidates.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from sqlmodel import Session, col, func, select

from provenance.errors import AmbiguousRefError, NotFoundError
from provenance.hashing import PREFIX, content_hash, hash_prefix
from provenance.models import Document, Version


def version_name(session: Session, version: Version) -> str:
    doc = session.get(Document, version.document_id)
    return f"{doc.key}@{version.number}"


def find_document(session: Session, key: str) -> Document:
    doc = session.exec(select(Document).where(Document.key == key)).first()
    if doc is None:
        keys = session.exec(select(Document.key)).all()
        close = difflib.get_close_matches(key, keys, n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise NotFoundError(f"no document {key!r}{hint}")
    return doc


def resolve(session: Session, ref: str) -> Version:
    """The one version ``ref`` names."""
    path = Path(ref)
    if ref not in ("", "-") and path.is_file():
        digest = content_hash(path.read_bytes())
        found = _versions_with(session, col(Version.content_hash) == digest)
        if not found:
            raise NotFoundError(f"{ref}: its content ({digest[:23]}…) is not registered")
        return _one(session, ref, found)

    if "@" in ref:
        key, _, selector = ref.rpartition("@")
        doc = find_document(session, key)
        if selector == "latest":
            number = session.exec(
                select(func.max(Version.number)).where(Version.document_id == doc.id)
            ).one()
        elif selector.isdigit():
            number = int(selector)
        else:
            raise NotFoundError(f"{ref!r}: after @ comes a version number or 'latest'")
        version = session.exec(
            select(Version).where(Version.document_id == doc.id, Version.number == number)
        ).first()
        if version is None:
            count = session.exec(
                select(func.count()).select_from(Version).where(Version.document_id == doc.id)
            ).one()
            raise NotFoundError(f"{ref!r}: document {key!r} has versions 1 to {count}")
        return version

    candidates: list[Version] = []
    if ref.isdigit():
        by_id = session.get(Version, int(ref))
        if by_id is not None:
            candidates.append(by_id)
    prefix = hash_prefix(ref)
    if prefix is not None:
        candidates += _versions_with(session, col(Version.content_hash).startswith(PREFIX + prefix))
    if not candidates:
        if prefix is None and not ref.isdigit() and "/" in ref:
            raise NotFoundError(f"{ref}: no such file, and not a version reference")
        raise NotFoundError(
            f"no version matches {ref!r} (a REF is a version id, a hash prefix of 8+ hex digits, "
            "DOC@N, DOC@latest or a file path)"
        )
    unique = {v.id: v for v in candidates}
    return _one(session, ref, list(unique.values()))


def _versions_with(session: Session, condition) -> list[Version]:
    return list(session.exec(select(Version).where(condition).order_by(Version.id).limit(51)).all())


def _one(session: Session, ref: str, found: list[Version]) -> Version:
    if len(found) == 1:
        return found[0]
    names = [f"{version_name(session, v)} (id {v.id}, {v.content_hash[:19]}…)" for v in found]
    raise AmbiguousRefError(ref, names)
