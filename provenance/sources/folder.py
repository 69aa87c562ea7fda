"""A folder of files as successive revisions of one document.

The files a glob pattern matches (``*`` by default; ``**`` reaches into
subfolders) are registered in name order (the relative paths compared as
text, so ``v10`` comes before ``v2``: pad numbers) or in modification-time
order, each a revision of the one before. Each version records its file: the
path as its source, the modification time (UTC) as its capture time, and the
path relative to the folder as ``meta.file``, the original a re-run matches.

Names starting with a dot (``.git``, ``.DS_Store``) are left out unless the
pattern itself starts with one; only regular files are read, and a symlink
leading out of the folder is refused unless outside files are allowed.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from provenance import validate
from provenance.errors import InputError
from provenance.importer import Collection, Entry
from provenance.text import MAX_SIZE

ORDERS = ("name", "mtime")


def collection(
    folder: str,
    *,
    glob: str = "*",
    order: str = "name",
    doc: str | None = None,
    allow_outside: bool = False,
    max_size: int = MAX_SIZE,
    encoding: str | None = None,
) -> Collection:
    """The files of ``folder`` matching ``glob``, in ``order``, as versions of ``doc``
    (default: the folder's name), each read in ``encoding`` (None: by
    `provenance.text.decode`'s rule)."""
    if order not in ORDERS:
        raise InputError(f"--order: {validate.shown(order)} is not one of {', '.join(ORDERS)}")
    validate.recorded_path(folder, field="folder")
    base = Path(folder)
    if not base.is_dir():
        raise InputError(f"{folder}: not a folder")
    if not glob or Path(glob).is_absolute() or ".." in Path(glob).parts:
        raise InputError(f"--glob: {validate.shown(glob)} is a pattern inside the folder")
    key = validate.document(doc if doc is not None else Path(os.path.abspath(folder)).name)
    root = Path(os.path.realpath(base))
    files: list[tuple[str, Path, int]] = []
    for path in base.glob(glob):
        relative = path.relative_to(base)
        if not glob.startswith(".") and any(part.startswith(".") for part in relative.parts):
            continue
        real = Path(os.path.realpath(path))
        if not real.is_file():
            continue
        if not allow_outside and not real.is_relative_to(root):
            raise InputError(
                f"{validate.display_path(str(path))}: leads outside {folder} through a symlink; "
                "files stay inside the folder unless outside files are allowed (--allow-outside)"
            )
        files.append((relative.as_posix(), path, real.stat().st_mtime_ns))
    if not files:
        raise InputError(f"{folder}: no file matches {validate.shown(glob)}")
    if order == "name":
        files.sort(key=lambda f: f[0])
    else:
        files.sort(key=lambda f: (f[2], f[0]))
    entries = []
    for number, (relative, path, mtime) in enumerate(files, start=1):
        name = validate.display_path(str(path))
        entries.append(
            Entry(
                line=number,
                path=path,
                name=name,
                doc=key,
                parents=(),
                relation=None,
                source=validate.source(name, where=name, field="source"),
                captured_at=_utc(mtime),
                label=None,
                encoding=encoding,
                meta={"file": relative},
                where=name,
                original=("file", relative),
            )
        )

    return Collection("folder", validate.display_path(folder), tuple(entries))


def _utc(mtime_ns: int) -> str:
    moment = datetime.fromtimestamp(mtime_ns / 1e9, UTC)
    return validate.time(moment.isoformat(timespec="microseconds").replace("+00:00", "Z"))
