"""REFs as the HTTP service takes them: never a file of the server.

On the command line a REF may name a file (``file:NAME``, a path with a
``/``); over HTTP that would read the server's files. So every route resolves
a REF with ``Archive.resolve(ref, files=False)``: a version id, a hash prefix,
``DOC@N`` or ``DOC@latest``, a key with a ``/`` looked up without the file
system. What stays here is the one question the library does not answer:
whether a REF always names the same version, for caching.
"""

from __future__ import annotations


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
