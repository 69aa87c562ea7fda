"""`prov` commands that find texts and attribute them: identify, blame, reindex.

Loaded by `provenance_cli.app`; registered on the `app` of
`provenance_cli.group`, whose `opened` and conventions these commands share.
`identify` exits 1 when nothing matched (2 stays for errors).
"""

from __future__ import annotations

from typing import Annotated

import typer

from provenance_cli import render, render_identify
from provenance_cli.group import DEFAULT_TOP, JsonOpt, app, handles_errors, opened, read_input

NormalizeOpt = Annotated[
    str | None,
    typer.Option(
        "--normalize",
        metavar="PROFILE",
        help="A lens: exact, whitespace, cjk or loose.",
        show_default=False,
    ),
]


@app.command()
@handles_errors
def identify(
    path: Annotated[str, typer.Argument(help="The text to identify: a file, or - for stdin.")],
    normalize: NormalizeOpt = None,
    top: Annotated[
        int, typer.Option("--top", help="How many similar versions to report (0: none).")
    ] = DEFAULT_TOP,
    doc: Annotated[
        str | None, typer.Option("--doc", help="Look only among this document's versions.")
    ] = None,
    all_tiers: Annotated[
        bool,
        typer.Option(
            "--all-tiers",
            help="Also list similar versions when an exact or normalized one matched.",
        ),
    ] = False,
    encoding: Annotated[
        str | None, typer.Option(help="The text's encoding when it is not UTF-8.")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Which registered version is this text: exact, equal under a lens, or the nearest ones.

    Without --normalize the lenses whitespace, cjk and loose are tried in that
    order. Exit code 0 when something matched, 1 when nothing did.
    """
    data, name = read_input(path)
    with opened() as archive:
        report = archive.identify(
            data,
            name=name,
            profile=normalize,
            top=top,
            doc=doc,
            encoding=encoding,
            all_tiers=all_tiers,
        )
    render_identify.identify(report, json, name)
    if not report.matches:
        raise typer.Exit(1)


@app.command()
@handles_errors
def blame(
    ref: Annotated[
        str,
        typer.Argument(help="The version: id, hash prefix, DOC@N, or a file as file:NAME or ./PATH."),
    ],
    normalize: NormalizeOpt = None,
    json: JsonOpt = False,
) -> None:
    """Which earlier version introduced each span of a version's text.

    Attributions follow the stored edits of every link in the lineage (copies,
    excerpts and merges included; for a character present in several parents,
    the version registered first wins). With --normalize PROFILE each link is
    re-diffed through that lens, so layout-only changes introduce nothing.
    """
    with opened() as archive:
        report = archive.blame(ref, normalize)
    render_identify.blame(report, json)


@app.command()
@handles_errors
def reindex(json: JsonOpt = False) -> None:
    """Rebuild the identify index (normalized hashes, sketches) in one transaction."""
    with opened(write=True) as archive, render.progress("indexing", enabled=not json) as tick:
        report = archive.reindex(progress=tick)
    render_identify.reindexed(report, json)
