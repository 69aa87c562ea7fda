"""Naming versions: turning what a user types into a version.

A REF is any of: a version id (``12``), a unique prefix of a content hash (at
least eight hex digits, ``blake3:`` optional), ``DOC@N``, ``DOC@latest``, or
a file named explicitly (resolved by hashing it): ``file:NAME``, or a path
with a ``/`` in it (``./notes.txt``, ``/tmp/page.txt``). A bare word is never
silently a file: when it names a file in the current folder, it is refused
with how to name either. An ambiguous or unknown REF is an error that lists
the candidates.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from sqlmodel import Session, col, func, select

from provenance import validate
from provenance.errors import AmbiguousRefError, InputError, NotFoundError
from provenance.hashing import content_hash, hash_prefix, prefix_bounds
from provenance.models import Document, Version
from provenance.text import read_file
from provenance.validate import shown

FILE_PREFIX = "file:"
MAX_ID = 2**63 - 1  # the id column's range on both backends


def version_name(session: Session, version: Version) -> str:
    doc = session.get(Document, version.document_id)
    return f"{doc.key}@{version.number}"


def find_document(session: Session, key: str) -> Document:
    if not validate.storable(key):
        raise NotFoundError(f"no document {shown(key)}")
    doc = session.exec(select(Document).where(Document.key == key)).first()
    if doc is None:
        keys = session.exec(select(Document.key)).all()
        close = difflib.get_close_matches(key, keys, n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise NotFoundError(f"no document {key!r}{hint}")
    return doc


def named_file(ref: str) -> Path | None:
    """The file ``ref`` names explicitly (``file:NAME``, or a path with a ``/``), else None."""
    if ref.startswith(FILE_PREFIX):
        return Path(ref[len(FILE_PREFIX) :])
    if "/" in ref:
        return Path(ref)
    return None


def as_path(ref: str) -> str:
    """``ref`` with ``file:NAME`` spelled as a path (``./NAME``), for code that tells
    files from references by the ``/``; any other REF unchanged."""
    path = ref[len(FILE_PREFIX) :] if ref.startswith(FILE_PREFIX) else None
    if path is None or not path:
        return ref
    return path if "/" in path else "./" + path


def version_id(text: str) -> int | None:
    """The version id ``text`` spells (ASCII digits within the id column's range), or None."""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


Ref = str | Version
"""A REF as a user wrote it, or a version already resolved (passed on as it is)."""


def resolve(session: Session, ref: Ref, *, files: bool = True) -> Version:
    """The one version ``ref`` names (a `Version` is its own answer).

    With ``files`` False no file is ever read or looked at (a service must not
    read its server's files): ``file:NAME`` is refused as unknown, a REF with a
    ``/`` is a document key's ``DOC@N`` or ``DOC@latest``, and a bare word is a
    REF whatever the current folder holds.
    """
    if isinstance(ref, Version):
        return ref
    if not files:
        if ref.startswith(FILE_PREFIX):
            raise NotFoundError(_unknown_without_files(ref))
        return _reference(session, ref, files=False)
    if ref.startswith(FILE_PREFIX):
        name = ref[len(FILE_PREFIX) :]
        if not name:
            raise InputError(f"{ref!r}: name the file after {FILE_PREFIX}")
        return _by_file(session, ref, name)
    if "/" in ref and _is_file(ref):
        if "@" in ref and _document_exists(session, ref.rpartition("@")[0]):
            raise InputError(
                f"{ref!r} is both a file and a version of document {ref.rpartition('@')[0]!r}: "
                f"write {FILE_PREFIX}{ref} for the file"
            )
        return _by_file(session, ref, ref)
    if "/" not in ref and _is_file_here(ref):
        if "@" in ref or version_id(ref) is not None or hash_prefix(ref) is not None:
            raise InputError(
                f"{ref!r} could be a version or the file of that name here; write ./{ref} "
                f"or {FILE_PREFIX}{ref} for the file, or name the version another way "
                "(DOC@N, a hash prefix)"
            )
        raise InputError(
            f"{ref!r} is a file here, not a version reference; a file is named explicitly: "
            f"./{ref} or {FILE_PREFIX}{ref}"
        )
    return _reference(session, ref, files=True)


def _unknown_without_files(ref: str) -> str:
    return (
        f"no version matches {shown(ref)} (a REF is a version id, a hash prefix of 8+ hex "
        "digits, DOC@N or DOC@latest)"
    )


def _reference(session: Session, ref: str, *, files: bool) -> Version:
    """The version a REF that is not a file names (an id, a hash prefix, DOC@N)."""
    if "@" in ref:
        key, _, selector = ref.rpartition("@")
        doc = find_document(session, key)
        if selector == "latest":
            number = session.exec(
                select(func.max(Version.number)).where(Version.document_id == doc.id)
            ).one()
        elif selector.isascii() and selector.isdigit():
            number = int(selector)
        else:
            raise NotFoundError(f"{ref!r}: after @ comes a version number or 'latest'")
        version = None
        if number is not None and number <= MAX_ID:
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
    number = version_id(ref)
    if number is not None:
        by_id = session.get(Version, number)
        if by_id is not None:
            candidates.append(by_id)
    prefix = hash_prefix(ref)
    if prefix is not None:
        low, high = prefix_bounds(prefix)
        candidates += _versions_with(session, col(Version.content_hash).between(low, high))
    if not candidates:
        if not files:
            raise NotFoundError(_unknown_without_files(ref))
        if prefix is None and number is None and "/" in ref:
            raise NotFoundError(f"{ref}: no such file, and not a version reference")
        raise NotFoundError(
            f"no version matches {ref!r} (a REF is a version id, a hash prefix of 8+ hex digits, "
            f"DOC@N, DOC@latest, or a file: {FILE_PREFIX}NAME or a path with a /)"
        )
    unique = {v.id: v for v in candidates}
    return _one(session, ref, list(unique.values()))


def _is_file(path: str) -> bool:
    try:
        return Path(path).is_file()
    except (OSError, ValueError):  # a name the system cannot look up (NUL, too long)
        return False


def _is_file_here(word: str) -> bool:
    """Whether ``word`` names something in the current folder that could be read as a file."""
    try:
        path = Path(word)
        return word not in ("", "-") and path.exists() and not path.is_dir()
    except (OSError, ValueError):
        return False


def _document_exists(session: Session, key: str) -> bool:
    return session.exec(select(Document.id).where(Document.key == key)).first() is not None


def _by_file(session: Session, ref: str, path: str) -> Version:
    """The version whose bytes the file at ``path`` holds."""
    digest = content_hash(read_file(path))
    found = _versions_with(session, col(Version.content_hash) == digest)
    if not found:
        raise NotFoundError(f"{ref}: its content ({digest[:23]}…) is not registered")
    return _one(session, ref, found)


def _versions_with(session: Session, condition) -> list[Version]:
    return list(session.exec(select(Version).where(condition).order_by(Version.id).limit(51)).all())


def _one(session: Session, ref: str, found: list[Version]) -> Version:
    if len(found) == 1:
        return found[0]
    names = [f"{version_name(session, v)} (id {v.id}, {v.content_hash[:19]}…)" for v in found]
    raise AmbiguousRefError(ref, names)
