"""`prov`: the command-line face of the provenance library.

This module parses, opens one transaction per command, calls the library and
hands the result to `render`. It holds no SQL and no business rules.

Every error, a usage error included, is one line on stderr and exit code 2
(`handles_errors` for the library's errors and for output that cannot be
written, `ProvGroup` for what the option parser refuses). Read commands open
the archive read-only; only ``init`` (and ``demo``) create one.
"""

from __future__ import annotations

import errno
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlmodel import Session
from typer.core import TyperGroup

from provenance import archive, audit, demo, refs, schema, sources, store, validate
from provenance.errors import InputError, ProvenanceError
from provenance.kinds import KINDS
from provenance.records import DemoReport, DocumentSummary, InitReport
from provenance.text import MAX_SIZE, read_file
from provenance_cli import render

try:  # typer vendors click since 0.20
    from typer._click.exceptions import ClickException, NoArgsIsHelpError
except ImportError:  # pragma: no cover - older typer on click
    from click.exceptions import ClickException, NoArgsIsHelpError


class ProvGroup(TyperGroup):
    """The `prov` command group: what the parser refuses is one line too.

    click prints usage errors as a framed panel with the usage above it; here
    they are one ``prov: error:`` line naming the command's ``--help``, with
    exit code 2, like every other error.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except NoArgsIsHelpError as exc:  # plain `prov`: the help, not an error
            # Building the error built the help: rich printed it then (and left the
            # message empty), plain click put it in the message.
            if exc.format_message():
                typer.echo(exc.format_message())
            sys.exit(0)
        except ClickException as exc:
            command = exc.ctx.command_path if getattr(exc, "ctx", None) else "prov"
            render.error(f"{one_line(exc.format_message())} (see {command} --help)")
            sys.exit(2)
        except typer.Abort:
            render.error("aborted")
            sys.exit(2)
        except OSError as exc:  # writing the help or a usage message failed
            _output_failed(exc)
            sys.exit(2)
        # Without standalone mode click returns an Exit's code, or the command's None.
        sys.exit(result if isinstance(result, int) else 0)


app = typer.Typer(
    name="prov",
    cls=ProvGroup,
    help="Text versioning and provenance: register versions, trace their lineage, diff them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


@dataclass
class Context:
    db: str | None = None
    verbose: bool = False
    actor: str | None = None
    changed: bool = False  # a write transaction of this command committed

    def location(self) -> store.DatabaseLocation:
        return store.resolve(self.db)

    def resolve_actor(self) -> str:
        """Who acts, for the audit log: --as, else $PROV_USER, else the OS user."""
        if self.actor and self.actor.strip():
            return self.actor.strip()
        return audit.default_actor()


_ctx = Context()


@app.callback()
def _global(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL or SQLite file path (default: $PROV_DB, else "
            "~/.local/share/provenance/archive.db).",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Say which database is used.")
    ] = False,
    actor: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="USER",
            help="Who acts, recorded in the audit log (default: $PROV_USER, else the OS user).",
            show_default=False,
        ),
    ] = None,
) -> None:
    _ctx.db = db
    _ctx.verbose = verbose
    _ctx.actor = actor
    _ctx.changed = False


def one_line(message: str) -> str:
    """``message`` with its line breaks (and the spaces around them) made one space."""
    return re.sub(r"\s*[\r\n]+\s*", " ", message).strip()


def handles_errors(fn: Callable) -> Callable:
    """Turn library errors into one line on stderr and exit code 2, with nothing written.

    Standard output is flushed before the command returns, so that a full
    disk or a closed pipe is met here and said in one line too.
    """

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = fn(*args, **kwargs)
            sys.stdout.flush()
            return result
        except ProvenanceError as exc:
            render.error(one_line(str(exc)))
            raise typer.Exit(exc.exit_code) from None
        except OSError as exc:
            _output_failed(exc)
            raise typer.Exit(2) from None

    return wrapper


def _output_failed(exc: OSError) -> None:
    """Say in one line that output could not be written, and stop Python's own attempt
    to flush standard output again at exit (which would print a traceback)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    if fd is not None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    if exc.errno == errno.EPIPE:  # the reader went away (`prov log | head`): nothing to say
        return
    reason = exc.strerror or str(exc)
    if exc.filename is not None:
        render.error(one_line(f"{exc.filename}: {reason}"))
        return
    done = "; the change itself was recorded" if _ctx.changed else ""
    render.error(f"cannot write to standard output: {reason}{done}")


def _open(
    location: store.DatabaseLocation,
    *,
    access: store.Access,
    create_dir: bool = False,
    shared: bool = False,
):
    if _ctx.verbose:
        how = " read-only" if access == "read" and location.is_sqlite else ""
        render.note(f"database: {location.display()} (from {location.origin}){how}")
    return store.open_engine(location, access=access, create_dir=create_dir, shared=shared)


@contextmanager
def _session(*, write: bool) -> Iterator[Session]:
    """One transaction on the archive: a write, or a read on an archive opened read-only."""
    location = _ctx.location()
    engine = _open(location, access="write" if write else "read")
    try:
        with store.database_errors():
            schema.require_current(engine, location.display())
        with (store.transaction if write else store.reader)(engine) as session:
            yield session
        _ctx.changed = _ctx.changed or write
    finally:
        engine.dispose()


def write_output(path: Path, text: str) -> None:
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
    location = _ctx.location()
    with store.creating(location):
        engine = _open(location, access="create", create_dir=True, shared=shared)
        try:
            with store.database_errors():
                before, after = schema.upgrade(engine)
        finally:
            engine.dispose()
    _ctx.changed = True
    render.init(InitReport(location.display(), before, after), json)


def read_input(path: str) -> tuple[bytes, str]:
    """The bytes of PATH, or of standard input for ``-``, and the name errors use.

    Either is at most `MAX_SIZE` bytes: standard input is read one byte
    past it, so that more is refused without reading it all.
    """
    if path == "-":
        data = sys.stdin.buffer.read(MAX_SIZE + 1)
        if len(data) > MAX_SIZE:
            raise InputError(f"<stdin>: more than {MAX_SIZE} bytes, over the limit of {MAX_SIZE}")
        return data, "<stdin>"
    return read_file(path), path


def _parse_meta(items: list[str] | None) -> dict[str, str]:
    return validate.meta_pairs(items)


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
        str | None, typer.Option(help="The file's encoding when it is not UTF-8 (e.g. gb18030).")
    ] = None,
    allow_empty: Annotated[
        bool, typer.Option("--allow-empty", help="Register an empty file (refused by default).")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Register a text as a new version of a document."""
    data, name = read_input(path)
    with _session(write=True) as session:
        report = archive.register(
            session,
            data,
            name=name,
            doc=doc,
            parents=parent,
            relation=relation,
            source=source,
            captured_at=captured_at,
            label=label,
            meta=_parse_meta(meta),
            encoding=encoding,
            allow_empty=allow_empty,
            actor=_ctx.resolve_actor(),
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
    json: JsonOpt = False,
) -> None:
    """Register many versions from one source, all in one transaction (all or nothing).

    A manifest lists files with their provenance; a folder's files are successive
    revisions of one document; a git file's commits, and a web archive's text and
    HTML captures, are versions with their capture time and original identifiers
    recorded. A re-run registers nothing again: what is already present is
    reported unchanged. Paths in a manifest are read from its folder.
    """
    with (
        _session(write=True) as session,
        render.progress("registering", enabled=not json) as tick,
    ):
        report = sources.run(
            session,
            source,
            actor=_ctx.resolve_actor(),
            git=git,
            git_path=path,
            glob=glob,
            order=order,
            doc=doc,
            allow_outside=allow_outside,
            max_size=max_size,
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
    with _session(write=True) as session:
        report = archive.link(session, child, parent, relation, actor=_ctx.resolve_actor())
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
    json: JsonOpt = False,
) -> None:
    """A document's versions, oldest first, one row each: its hash, size, label,
    times, and the parent(s) it comes from with the edits from each.

    Every version is listed unless --limit, --since or --captured-since asks for
    fewer, and then the listing says how many of how many it shows.
    """
    with _session(write=False) as session:
        report = archive.log(
            session,
            doc,
            profile=normalize,
            limit=limit,
            since=since,
            captured_since=captured_since,
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
    with _session(write=False) as session:
        if raw:
            data = archive.raw(session, ref)
        else:
            info = archive.show(session, ref)
    if raw:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    render.show(info, json)


ContextOpt = Annotated[
    int, typer.Option("--context", help="Characters of unchanged text shown around each edit.")
]
NormalizeOpt = Annotated[
    str,
    typer.Option(
        "--normalize",
        metavar="PROFILE",
        help="Compare through a lens: exact (the bytes), whitespace, cjk (also drops "
        "segmentation spaces, unifies width) or loose (also case, quotes, dashes). "
        "Offsets stay those of the original texts.",
    ),
]
ByOpt = Annotated[str, typer.Option("--by", help="Granularity: char, word or sentence.")]
ViewOpt = Annotated[
    str,
    typer.Option("--view", help="inline, side (side by side) or auto (side on wide terminals)."),
]
LimitOpt = Annotated[int, typer.Option("--limit", help="Show at most this many edits (0: all).")]
OnlyOpt = Annotated[
    str | None,
    typer.Option(
        "--only",
        metavar="KIND",
        help="Show only the edits of one kind: " + ", ".join(KINDS) + ".",
    ),
]


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
    json: JsonOpt = False,
) -> None:
    """The edits from A to B at the original offsets of both (either may be an unregistered file).

    A file is named explicitly: file:NAME, or a path with a / in it (./draft.txt).
    """
    with _session(write=False) as session:
        a = archive.side(session, refs.as_path(ref_a))
        b = archive.side(session, refs.as_path(ref_b))
    report = archive.diff_sides(a, b, profile=normalize, by=by, only=only)
    render.diff(report, a.text, b.text, json, context=context, limit=limit, view=view)


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
    json: JsonOpt = False,
) -> None:
    """How release B came from release A: the lineage path, each step's edits, the net edits."""
    with _session(write=False) as session:
        report = archive.trace(session, ref_a, ref_b, profile=normalize, by=by)
        names = archive.names(session, report.path or (report.a, report.b))
        texts = archive.texts(session, (report.a, report.b))
    render.trace(report, names, texts, json, context=context, limit=limit, view=view)


@app.command()
@handles_errors
def docs(json: JsonOpt = False) -> None:
    """The documents in the archive, with their version counts."""
    with _session(write=False) as session:
        summaries: list[DocumentSummary] = archive.documents(session)
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
    location = _ctx.location()
    with store.creating(location):
        engine = _open(location, access="create", create_dir=True)
        try:
            with store.database_errors():
                schema.upgrade(engine)
            with store.transaction(engine) as session:
                registered, report = demo.register_seeds(
                    session, profile=normalize, actor=_ctx.resolve_actor()
                )
                names = archive.names(session, report.path or (report.a, report.b))
                texts = archive.texts(session, (report.a, report.b))
        finally:
            engine.dispose()
    _ctx.changed = True
    render.demo(
        DemoReport(location.display(), registered, report),
        names,
        texts,
        json,
        context=context,
        limit=limit,
        view=view,
    )


from provenance_cli import audit as _audit  # noqa: E402,F401  (registers commands)
from provenance_cli import identify as _identify  # noqa: E402,F401  (registers commands)
from provenance_cli import service as _service  # noqa: E402,F401  (registers commands)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
