"""The one hierarchy of errors the library raises.

The CLI maps every `ProvenanceError` to a one-line message on stderr and
exit code 2; anything else is a bug and gets a traceback.
"""

from __future__ import annotations


class ProvenanceError(Exception):
    """Base class: a problem the user can act on."""

    exit_code = 2


class InputError(ProvenanceError):
    """A file or argument given by the user cannot be used."""


class EncodingError(InputError):
    """Bytes that are not valid in the declared encoding."""

    def __init__(self, name: str, offset: int, encoding: str = "utf-8"):
        self.name = name
        self.offset = offset
        self.encoding = encoding
        hint = (
            "if the file uses another encoding, pass --encoding (e.g. --encoding gb18030)"
            if encoding.lower().replace("_", "-") in ("utf-8", "utf8")
            else "if the file uses another encoding, name that one with --encoding"
        )
        super().__init__(f"{name}: not valid {encoding.upper()} at byte offset {offset}; {hint}")


class EncodingConflict(InputError):
    """Bytes the archive holds, claimed in an encoding that reads them as another text."""

    def __init__(self, name: str, claimed: str | None, stored: str | None, digest: str):
        self.name = name
        self.claimed = claimed or "utf-8"
        self.stored = stored or "utf-8"
        super().__init__(
            f"{name}: these bytes are already stored (content {digest}) as {self.stored}, "
            f"and read as {self.claimed} they are another text; register them with "
            f"--encoding {self.stored}, or without --encoding"
        )


class NotFoundError(ProvenanceError):
    """A document, version or content that the archive does not hold."""


class AmbiguousRefError(ProvenanceError):
    """A reference that matches more than one version."""

    def __init__(self, ref: str, candidates: list[str]):
        self.ref = ref
        self.candidates = candidates
        shown = ", ".join(candidates[:10])
        more = f" (and {len(candidates) - 10} more)" if len(candidates) > 10 else ""
        super().__init__(f"{ref!r} is ambiguous: it matches {shown}{more}")


class LineageError(ProvenanceError):
    """A link that would break the lineage (a cycle, a self-link)."""


class DatabaseError(ProvenanceError):
    """The database cannot be opened or used."""


class SchemaError(DatabaseError):
    """The database's schema is missing or behind the code's."""


class IntegrityError(ProvenanceError):
    """Stored data that does not match what was registered."""
