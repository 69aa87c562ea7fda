"""provenance: content-hashed text versions, their lineage and their edits.

The front door is `Archive` (`provenance.front`): open an archive by URL or
path and call the operation you want; every skin (the CLI, the HTTP service)
goes through it. It is imported on first use, so ``import provenance`` stays
cheap for the modules that only need part of the library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from provenance.front import Archive

__all__ = ["Archive"]


def __getattr__(name: str) -> Any:
    if name == "Archive":
        from provenance.front import Archive

        return Archive
    raise AttributeError(f"module 'provenance' has no attribute {name!r}")
