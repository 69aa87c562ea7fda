"""`prov`: the command-line face of the provenance library.

This module parses, opens one transaction per command, calls the library and
hands the result to `render`. It holds no SQL and no business rules.
"""

from __future__ import annotations

import getpass
import os
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

from provenance import archive, demo, importer, schema, store
from provenance.errors import InputError, ProvenanceError
from provenance.kinds import KINDS
from provenance.records import DemoReport, DocumentSummary, InitReport
from provenance.text import read_file
from provenance_cli import render

app = typer.Typer(
    name="prov",
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

    def location(self) -> store.DatabaseLocation:
        return store.resolve(self.db)

    def resolve_actor(self) -> str:
        """Who acts, for the audit log: --as, else $PROV_USER, else the OS user."""
        if self.actor and self.actor.strip():
            return self.actor.strip()
        env = os.environ.get("PROV_USER", "").strip()
        if env:
            return env
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "unknown"


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


def handles_errors(fn: Callable) -> Callable:
    """Turn library errors into one line on stderr and exit code 2, with nothing written."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ProvenanceError as exc:
            render.error(str(exc))
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def _open(location: store.DatabaseLocation, *, create: bool = False):
    if _ctx.verbose:
        render.note(f"database: {location.display()} (from {location.origin})")
    return store.open_engine(location, create_dir=create)


@contextmanager
def _session(*, write: bool) -> Iterator[Session]:
    location = _ctx.location()
    engine = _open(location, create=False)
    try:
        schema.require_current(engine, location.display())
        with (store.transaction if write else store.reader)(engine) as session:
            yield session
    finally:
        engine.dispose()


@app.command()
@handles_errors
def init(json: JsonOpt = False) -> None:
    """Create the archive's schema, or upgrade it to this program's version."""
    location = _ctx.location()
    engine = _open(location, create=location.is_sqlite)
    try:
        before, after = schema.upgrade(engine)
    finally:
        engine.dispose()
    render.init(InitReport(location.display(), before, after), json)


def read_input(path: str) -> tuple[bytes, str]:
    """The bytes of PATH, or of standard input for ``-``, and the name errors use."""
    if path == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    return read_file(path), path


def _parse_meta(items: list[str] | None) -> dict[str, str]:
    meta: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"--meta {item!r}: write KEY=VALUE")
        meta[key] = value
    return meta


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
    manifest: Annotated[
        str,
        typer.Argument(help="A .jsonl or .csv manifest: one file per entry, with its provenance."),
    ],
    json: JsonOpt = False,
) -> None:
    """Register many files from a manifest, all in one transaction (all or nothing)."""
    with (
        _session(write=True) as session,
        render.progress("registering", enabled=not json) as tick,
    ):
        report = importer.run(session, manifest, actor=_ctx.resolve_actor(), progress=tick)
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
        str, typer.Argument(help="A version: id, hash prefix, DOC@N, DOC@latest or a file.")
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
    """The edits from A to B at the original offsets of both (B may be an unregistered file)."""
    with _session(write=False) as session:
        a, b = archive.side(session, ref_a), archive.side(session, ref_b)
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
    engine = _open(location, create=location.is_sqlite)
    try:
        schema.upgrade(engine)
        with store.transaction(engine) as session:
            registered, report = demo.register_seeds(
                session, profile=normalize, actor=_ctx.resolve_actor()
            )
            names = archive.names(session, report.path or (report.a, report.b))
            texts = archive.texts(session, (report.a, report.b))
    finally:
        engine.dispose()
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


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
