"""Writing a file the archive produced (an export, a proof bundle): whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from provenance.errors import InputError


def write_whole(path: Path, text: str) -> None:
    """Write ``text`` to the file ``path`` whole or not at all.

    It goes to a temporary file in the same folder, which then replaces
    ``path``: a full disk or an interrupted command leaves no empty or partial
    file, and an existing one untouched. A new file is private (0600); a file
    replaced keeps its mode. A path that is not a regular file (``/dev/stdout``,
    a pipe) is written directly.
    """
    if path.exists() and not path.is_file():
        try:
            with path.open("w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        return
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if path.is_file():
                os.fchmod(handle.fileno(), path.stat().st_mode & 0o7777)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
