"""Where an import's entries come from: one module per kind of source.

Each turns what it reads into a `provenance.importer.Collection`, entries in
the shape a manifest's are, so that registration (and the re-run rule) stays
in `provenance.importer`:

- `provenance.sources.folder`: the files of a folder, successive revisions of one document
- `provenance.sources.gitlog`: every commit that changed one file of a git repository
- `provenance.sources.warc`: the text and HTML captures of a WARC or WACZ file

`collection` chooses among them (and the manifest) by what it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlmodel import Session

from provenance import importer, validate
from provenance.errors import InputError
from provenance.text import MAX_SIZE, read_file

MANIFEST_SUFFIXES = (".jsonl", ".ndjson", ".csv")
WEB_ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".wacz")


def kind_of(location: str, *, git: bool = False) -> str:
    """Which source ``location`` is: ``git`` (asked for), ``manifest`` or ``warc``
    (by its suffix), or ``folder`` (a directory)."""
    if git:
        return "git"
    lower = location.lower()
    if lower.endswith(MANIFEST_SUFFIXES):
        return "manifest"
    if lower.endswith(WEB_ARCHIVE_SUFFIXES):
        return "warc"
    if Path(location).is_dir():
        return "folder"
    if not Path(location).exists():
        raise InputError(f"{location}: no such file or folder")
    if not Path(location).is_file():
        read_file(location, max_size=0)  # says what it is: a device, a FIFO, a socket
    raise InputError(
        f"{location}: not a source prov import reads: a manifest is .jsonl or .csv, a web "
        "archive .warc, .warc.gz or .wacz; or give a folder, or a git repository with --git --path FILE"
    )


def collection(
    location: str,
    *,
    git_path: str | None = None,
    glob: str | None = None,
    order: str | None = None,
    doc: str | None = None,
    allow_outside: bool = False,
    max_size: int = MAX_SIZE,
    encoding: str | None = None,
) -> importer.Collection:
    """The entries of the source at ``location`` (not a manifest: `importer.run` reads those).

    ``git_path`` (a file of the repository at ``location``) makes it a git
    source; ``glob`` and ``order`` choose a folder's files; ``doc`` names the
    document of a folder or a git file; ``encoding`` is the encoding of a
    folder's files or a git file (a manifest names one per entry, a web
    archive's captures declare theirs). An option the source does not take
    is refused, so that nothing is silently ignored.
    """
    kind = kind_of(location, git=git_path is not None)
    given = {
        "--glob": glob is not None,
        "--order": order is not None,
        "--doc": doc is not None,
        "--path": git_path is not None,
        "--encoding": encoding is not None,
    }
    takes = {
        "folder": {"--glob", "--order", "--doc", "--encoding"},
        "git": {"--path", "--doc", "--encoding"},
        "warc": set(),
        "manifest": set(),
    }[kind]
    refused = [name for name, is_given in given.items() if is_given and name not in takes]
    if refused:
        raise InputError(f"{location}: {refused[0]} does not apply to a {_what(kind)}")
    if kind == "folder":
        from provenance.sources import folder

        return folder.collection(
            location,
            glob=glob or "*",
            order=order or "name",
            doc=doc,
            allow_outside=allow_outside,
            max_size=max_size,
            encoding=encoding,
        )
    if kind == "git":
        from provenance.sources import gitlog

        assert git_path is not None
        return gitlog.collection(
            location, git_path, doc=doc, max_size=max_size, encoding=encoding
        )
    if kind == "warc":
        from provenance.sources import warc

        return warc.collection(location, max_size=max_size)
    raise InputError(f"{location}: a manifest is imported with importer.run")


def _what(kind: str) -> str:
    return {
        "folder": "folder",
        "git": "git repository",
        "warc": "web archive",
        "manifest": "manifest",
    }[kind]


def run(
    into: Session | importer.Sessions,
    location: str,
    *,
    actor: str,
    git: bool = False,
    git_path: str | None = None,
    glob: str | None = None,
    order: str | None = None,
    doc: str | None = None,
    allow_outside: bool = False,
    max_size: int = MAX_SIZE,
    encoding: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> importer.ImportReport:
    """Import the source at ``location``: in ``into``, the caller's one transaction or
    the archive's sessions, in batches (`importer.register_all`).

    A manifest goes to `importer.run`; any other source is read whole into a
    `Collection` (its bytes loaded one entry at a time, as each is checked and
    registered) and registered by `importer.register_all`.
    """
    validate.actor(actor)
    if git and git_path is None:
        raise InputError(f"{location}: --git needs --path FILE, the file whose history is imported")
    if git_path is not None and not git:
        raise InputError(f"{location}: --path names a file of a git repository; add --git")
    if kind_of(location, git=git) == "manifest":
        given = (("--glob", glob), ("--order", order), ("--doc", doc), ("--encoding", encoding))
        refused = [n for n, v in given if v]
        if refused:
            extra = "; a manifest names each entry's encoding" if refused[0] == "--encoding" else ""
            raise InputError(f"{location}: {refused[0]} does not apply to a manifest{extra}")
        return importer.run(
            into,
            location,
            actor=actor,
            progress=progress,
            allow_outside=allow_outside,
            max_size=max_size,
        )
    found = collection(
        location,
        git_path=git_path,
        glob=glob,
        order=order,
        doc=doc,
        allow_outside=allow_outside,
        max_size=max_size,
        encoding=encoding,
    )
    return importer.register_all(into, found, actor=actor, progress=progress, max_size=max_size)
