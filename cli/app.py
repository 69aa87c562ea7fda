"""`prov`: the command-line face of the provenance library.

Each command parses, opens the archive (`provenance.Archive`, from ``--db`` or
``$PROV_DB``, acting as ``--as``; `provenance_cli.group.opened`), calls it once
and hands the report it returns to `render`. No SQL, no business rules and no
report assembly here: each `Archive` method is one transaction and returns a
whole report. This module holds the commands on versions and comparisons; the
audit, identify and service commands are in their own modules, loaded below.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from provenance import validate
from provenance.text import MAX_SIZE
from provenance_cli import render
from provenance_cli.group import (
    ByOpt,
    ContextOpt,
    JsonOpt,
    LimitOpt,
    NormalizeOpt,
    OnlyOpt,
    ViewOpt,
    _ctx,
    app,
    handles_errors,
    opened,
    read_input,
)

__all__ = ["app", "main"]


@app.command()
@handles_errors
def init(
    shared: Annotated[
        bool,
        typer.Option(
            "--shared",
            help="Make a new SQLite archive a group's: its file group-readable and writable "
            "(0660), in a 0770 setgid folder when init makes the folder. Without it a new "
            "archive is private: 0600, in a 0700 folder. An existing file or folder keeps "
            "its mode.",
        ),
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Create the archive's schema, or upgrade it to this program's version.

    A failed init (a full disk, say) leaves no new file or folder behind.
    """
    with opened(create=True) as archive:
        report = archive.init(shared=shared)
    render.init(report, json)


@app.command()
@handles_errors
def register(
    path: Annotated[str, typer.Argument(help="The file to register, or - for standard input.")],
    doc: Annotated[
        str | None, typer.Option("--doc", help="The document's key (slug or URL).")
    ] = None,
    parent: Annotated[
        list[str] | None,
        typer.Option("--parent", help="A version this one comes from (REF); repeat for a merge."),
    ] = None,
    relation: Annotated[
        str | None,
        typer.Option(help="revision, copy, excerpt, derived or merge (default: revision)."),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Where the text came from (URL, publication).")
    ] = None,
    captured_at: Annotated[
        str | None,
        typer.Option("--captured-at", help="When it was published or captured (ISO 8601)."),
    ] = None,
    label: Annotated[str | None, typer.Option(help="A short label for the version.")] = None,
    meta: Annotated[
        list[str] | None, typer.Option(help="Free metadata KEY=VALUE; repeatable.")
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            help="The file's encoding when it is not UTF-8 (e.g. gb18030); without it a "
            "UTF-16 or UTF-32 byte-order mark is honoured, else the file must be UTF-8. "
            "The bytes are kept exactly as given."
        ),
    ] = None,
    allow_empty: Annotated[
        bool, typer.Option("--allow-empty", help="Register an empty file (refused by default).")
    ] = False,
    new_version: Annotated[
        bool,
        typer.Option(
            "--new-version",
            help="Make a new version even when the bytes are already the document's latest "
            "version (by default that records a sighting of it).",
        ),
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Register a text as a new version of a document.

    Bytes that are already the document's latest version make no new version: a
    sighting of it (this source and capture time) is recorded instead, or nothing
    when it already holds them; --new-version registers a version all the same.
    """
    data, name = read_input(path)
    with opened(write=True) as archive:
        report = archive.register(
            data,
            name=name,
            doc=doc,
            parents=parent,
            relation=relation,
            source=source,
            captured_at=captured_at,
            label=label,
            meta=validate.meta_pairs(meta),
            encoding=encoding,
            allow_empty=allow_empty,
            new_version=new_version,
        )
    render.registered(report, json)


@app.command("import")
@handles_errors
def import_cmd(
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE",
            help="What to import: a .jsonl or .csv manifest, a folder of files, a web archive "
            "(.warc, .warc.gz, .wacz), or a git repository with --git --path FILE.",
        ),
    ],
    git: Annotated[
        bool,
        typer.Option(
            "--git",
            help="SOURCE is a git repository: every commit that changed --path is a version "
            "(renames followed; read through the git program).",
        ),
    ] = False,
    path: Annotated[
        str | None,
        typer.Option(
            "--path",
            metavar="FILE",
            help="With --git: the file whose history is imported, relative to the repository's top.",
        ),
    ] = None,
    glob: Annotated[
        str | None,
        typer.Option(
            "--glob",
            metavar="PATTERN",
            help="A folder's files to import (default *; ** reaches into subfolders).",
        ),
    ] = None,
    order: Annotated[
        str | None,
        typer.Option(
            "--order",
            metavar="name|mtime",
            help="A folder's files in name order (default) or modification-time order.",
        ),
    ] = None,
    doc: Annotated[
        str | None,
        typer.Option(
            "--doc",
            metavar="KEY",
            help="The document of a folder (default: its name) or of a git file (default: --path).",
        ),
    ] = None,
    allow_outside: Annotated[
        bool,
        typer.Option(
            "--allow-outside",
            help="Also read files outside the manifest's or folder's folder (absolute paths, .., "
            "symlinks leading out); refused by default.",
        ),
    ] = False,
    max_size: Annotated[
        int,
        typer.Option(
            "--max-size",
            metavar="BYTES",
            min=1,
            help="The largest file or record read, the manifest included.",
        ),
    ] = MAX_SIZE,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            help="The encoding of a folder's files or a git file when not UTF-8 (e.g. gb18030); "
            "a manifest names each entry's, a web archive's captures declare theirs.",
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Register many versions from one source: every entry checked first, then committed in batches.

    A manifest lists files with their provenance; a folder's files are successive
    revisions of one document; a git file's commits, and a web archive's text and
    HTML captures, are versions with their capture time and original identifiers
    recorded. A bad entry anywhere writes nothing; other writers take their
    turn between batches; an import cut short (Ctrl-C, killed) and run again
    registers the rest. A re-run registers nothing again: what is already
    present is reported unchanged. Paths in a manifest are read from its folder.
    """
    with (
        opened(write=True) as archive,
        render.progress("registering", enabled=not json) as tick,
    ):
        report = archive.import_source(
            source,
            git=git,
            git_path=path,
            glob=glob,
            order=order,
            doc=doc,
            allow_outside=allow_outside,
            max_size=max_size,
            encoding=encoding,
            progress=tick,
        )
    render.imported(report, json)


@app.command()
@handles_errors
def link(
    child: Annotated[str, typer.Argument(help="The version that comes from PARENT (REF).")],
    parent: Annotated[str, typer.Argument(help="The version it comes from (REF).")],
    relation: Annotated[str, typer.Option(help="revision, copy, excerpt, derived or merge.")],
    json: JsonOpt = False,
) -> None:
    """Record that one registered version comes from another."""
    with opened(write=True) as archive:
        report = archive.link(child, parent, relation)
    render.linked(report, json)


@app.command()
@handles_errors
def log(
    doc: Annotated[str, typer.Argument(help="The document's key.")],
    normalize: NormalizeOpt = "exact",
    limit: Annotated[
        int | None, typer.Option("--limit", help="List only the newest N versions.", min=0)
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only versions registered at or after this ISO 8601 time (UTC if bare)."),
    ] = None,
    captured_since: Annotated[
        str | None,
        typer.Option(
            help="Only versions captured at or after this ISO 8601 time (UTC if bare); "
            "versions without a capture time are left out."
        ),
    ] = None,
    only: OnlyOpt = None,
    json: JsonOpt = False,
) -> None:
    """A document's versions, oldest first, one row each: its hash, size, label,
    times, and the parent(s) it comes from with the edits from each.

    Every version is listed unless --limit, --since or --captured-since asks for
    fewer, and then the listing says how many of how many it shows. With --only
    KIND each link counts the edits of that kind and says how many others it left out.
    """
    with opened() as archive:
        report = archive.log(
            doc,
            profile=normalize,
            limit=limit,
            since=since,
            captured_since=captured_since,
            only=only,
        )
    render.log(report, json)


@app.command()
@handles_errors
def show(
    ref: Annotated[
        str,
        typer.Argument(
            help="A version: id, hash prefix, DOC@N, DOC@latest, or a file as file:NAME "
            "or a path with a /."
        ),
    ],
    raw: Annotated[
        bool, typer.Option("--raw", help="Write the exact registered bytes to stdout.")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """A version's metadata, or with --raw its exact bytes."""
    with opened() as archive:
        if raw:
            data = archive.raw(ref)
        else:
            info = archive.show(ref)
    if raw:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    render.show(info, json)


@app.command("diff")
@handles_errors
def diff_cmd(
    ref_a: Annotated[str, typer.Argument(metavar="REF_A")],
    ref_b: Annotated[str, typer.Argument(metavar="REF_B")],
    normalize: NormalizeOpt = "exact",
    by: ByOpt = "char",
    context: ContextOpt = 30,
    limit: LimitOpt = 50,
    view: ViewOpt = "auto",
    only: OnlyOpt = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            help="The encoding of a file given as A or B when it is not UTF-8 (e.g. gb18030); "
            "without it a UTF-16 or UTF-32 byte-order mark is honoured, else the file must be UTF-8."
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """The edits from A to B at the original offsets of both (either may be an unregistered file).

    A file is named explicitly: file:NAME, or a path with a / in it (./draft.txt).
    """
    with opened() as archive:
        report = archive.diff(ref_a, ref_b, profile=normalize, by=by, only=only, encoding=encoding)
    render.diff(report, json, context=context, limit=limit, view=view)


@app.command()
@handles_errors
def trace(
    ref_a: Annotated[str, typer.Argument(metavar="REF_A")],
    ref_b: Annotated[str, typer.Argument(metavar="REF_B")],
    normalize: NormalizeOpt = "exact",
    by: ByOpt = "char",
    context: ContextOpt = 30,
    limit: LimitOpt = 20,
    view: ViewOpt = "auto",
    only: OnlyOpt = None,
    json: JsonOpt = False,
) -> None:
    """How release B came from release A: the lineage path, each step's edits, the net edits.

    With --only KIND every step and the net edits list that kind alone and say how
    many edits of other kinds they left out.
    """
    with opened() as archive:
        report = archive.trace(ref_a, ref_b, profile=normalize, by=by, only=only)
    render.trace(report, json, context=context, limit=limit, view=view)


@app.command()
@handles_errors
def docs(json: JsonOpt = False) -> None:
    """The documents in the archive, with their version counts."""
    with opened() as archive:
        summaries = archive.documents()
    render.docs(summaries, json)


@app.command("demo")
@handles_errors
def demo_cmd(
    normalize: NormalizeOpt = "cjk",
    context: ContextOpt = 30,
    limit: LimitOpt = 20,
    view: ViewOpt = "auto",
    json: JsonOpt = False,
) -> None:
    """Register the two seed documents in a fresh archive and trace one from the other."""
    if _ctx.db is None:
        folder = Path(tempfile.mkdtemp(prefix="prov-demo-"))
        _ctx.db = str(folder / "archive.db")
    with opened(create=True) as archive:
        report = archive.demo(profile=normalize)
    render.demo(report, json, context=context, limit=limit, view=view)


# The other command modules register theirs on `app` when imported; imported last,
# so that `prov --help` lists this module's commands first.
from provenance_cli import audit as _audit  # noqa: E402,F401  (registers commands)
from provenance_cli import capture as _capture  # noqa: E402,F401  (registers commands)
from provenance_cli import identify as _identify  # noqa: E402,F401  (registers commands)
from provenance_cli import service as _service  # noqa: E402,F401  (registers commands)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
