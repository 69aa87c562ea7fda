"""REFs as the HTTP service takes them: never a file of the server.

On the command line a REF may name a file (``file:NAME``, a path with a
``/``), which `provenance.refs.resolve` hashes and `Archive.diff` reads; over
HTTP that would read the server's files. So a web REF is a version id, a
hash prefix, ``DOC@N`` or ``DOC@latest``: ``file:`` is refused, a REF with a
``/`` (a document key with a slash) is looked up through the document's log,
which reads no file, and a bare word that happens to name a file in the
server's working folder is answered as unknown, like any unknown REF.
Wanted in `Archive`: ``resolve(ref, files=False)`` and the same for every
method taking a REF.
"""

from __future__ import annotations

import os

from provenance import Archive, validate
from provenance.errors import NotFoundError
from provenance.refs import FILE_PREFIX


def _unknown(ref: str) -> NotFoundError:
    return NotFoundError(
        f"no version matches {validate.shown(ref)} (a REF is a version id, a hash prefix "
        "of 8+ hex digits, DOC@N or DOC@latest)"
    )


def _names_server_file(ref: str) -> bool:
    try:
        return os.path.lexists(ref)
    except (OSError, ValueError):
        return False


def checked(archive: Archive, ref: str, field: str = "ref") -> str:
    """``ref`` in a form the library resolves without looking at a file (an id for a
    key with a slash)."""
    validate.reference(ref, field=field)
    if ref.startswith(FILE_PREFIX):
        raise _unknown(ref)
    if "/" not in ref:
        if _names_server_file(ref):
            raise _unknown(ref)
        return ref
    key, _, selector = ref.rpartition("@")
    if not key or not (selector == "latest" or (selector.isascii() and selector.isdigit())):
        raise _unknown(ref)
    versions = archive.log(key).versions
    if not versions:
        raise NotFoundError(f"{validate.shown(ref)}: the document has no versions")
    if selector == "latest":
        return str(versions[-1].version)
    for entry in versions:
        if entry.number == int(selector):
            return str(entry.version)
    raise NotFoundError(f"{validate.shown(ref)}: document {validate.shown(key)} has versions 1 to {len(versions)}")


def stable(ref: str) -> bool:
    """Whether ``ref`` always names the same version (an id, ``DOC@N``, a whole hash),
    so that what it addresses may be cached as immutable."""
    if ref.isascii() and ref.isdigit():
        return True
    selector = ref.rpartition("@")[2] if "@" in ref else None
    if selector is not None:
        return selector.isascii() and selector.isdigit()
    bare = ref.lower().removeprefix("blake3:")
    return len(bare) == 64 and all(c in "0123456789abcdef" for c in bare)
