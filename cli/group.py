"""The `prov` command group: its global options, its one-line errors, the archive it opens.

Every command module (`provenance_cli.app`, `.audit`, `.identify`, `.service`)
registers its commands on `app` here and opens the archive through `opened`;
none imports another command module, so the command modules form no cycle.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

import provenance
from provenance.errors import InputError, ProvenanceError
from provenance.text import MAX_SIZE, read_file
from provenance_cli import render

if TYPE_CHECKING:
    from provenance import Archive

# Help texts name these library values, and `prov --help` must not load the library
# modules that own them (with SQLAlchemy, numpy and cryptography under them:
# tests/test_startup.py): they are repeated here, and tests/test_startup.py checks
# that each equals its owner's.
EDIT_KINDS = ("negation", "number", "name", "quotation", "wording", "punctuation", "layout")
"""`provenance.kinds.KINDS`, in its order."""
EVENT_KINDS = (
    "document.created",
    "version.registered",
    "link.added",
    "version.annotated",
    "version.sighted",
    "import.run",
    "token.created",
    "token.revoked",
)
"""`provenance.audit.KINDS`."""
DEFAULT_ORIGIN = "provenance.local/audit"
"""`provenance.proofs.DEFAULT_ORIGIN`."""
DEFAULT_TOP = 3
"""`provenance.identify.DEFAULT_TOP`."""

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
    actor: str | None = None  # --as; `Archive` falls back on $PROV_USER, else the OS user
    changed: bool = False  # a write transaction of this command committed


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


@contextmanager
def opened(*, write: bool = False, create: bool = False) -> Iterator[Archive]:
    """The archive this command acts on (``--db``, else ``$PROV_DB``, else the default),
    as ``--as``; with ``--verbose`` it says which database, and whether read-only.

    A command that writes (or creates the archive) counts as changed once its
    call returned, its transaction committed, so that an output failure
    afterwards says the change was recorded.
    """
    archive = provenance.Archive(_ctx.db, actor=_ctx.actor)
    try:
        if _ctx.verbose:
            location = archive.location
            how = " read-only" if not (write or create) and location.is_sqlite else ""
            render.note(f"database: {location.display()} (from {location.origin}){how}")
        yield archive
        _ctx.changed = _ctx.changed or write or create
    finally:
        archive.close()


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
        help="Show only the edits of one kind: " + ", ".join(EDIT_KINDS) + ".",
    ),
]
