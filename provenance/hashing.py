"""Content identity: BLAKE3 of the exact bytes, written ``blake3:<64 hex>``."""

from __future__ import annotations

import re

from blake3 import blake3

PREFIX = "blake3:"
_HEX = re.compile(r"^[0-9a-f]+$")
MIN_PREFIX = 8


def content_hash(data: bytes) -> str:
    """The identity of a content: BLAKE3 of its exact bytes."""
    return PREFIX + blake3(data).hexdigest()


def hash_prefix(ref: str) -> str | None:
    """The hex digits of a hash prefix (``blake3:`` optional), or None if ``ref`` is not one.

    A prefix needs at least eight hex digits: shorter ones collide too often
    to be a useful name for a version.
    """
    text = ref.lower()
    if text.startswith(PREFIX):
        text = text[len(PREFIX) :]
    if len(text) < MIN_PREFIX or len(text) > 64 or not _HEX.match(text):
        return None
    return text


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """The first and last hash starting with the hex digits ``prefix``: a stored
    hash (32 bytes) starts with them exactly when it lies between the two."""
    return PREFIX + prefix.ljust(64, "0"), PREFIX + prefix.ljust(64, "f")
