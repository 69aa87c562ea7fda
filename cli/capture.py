"""`prov` commands on live pages: capture one URL, watch a list of pages and feeds.

Loaded by `provenance_cli.app`; registered on the `app` of `provenance_cli.group`.
`capture` exits 1 when the page gave no version (refused by robots.txt, failed,
not text): the report says why, and nothing was written. `watch` exits 0 when
its round ran, whatever each page's outcome (each is in the report), so that
cron mails only when the round itself could not run.
"""

from __future__ import annotations

from typing import Annotated

import typer

from provenance.text import MAX_SIZE
from provenance_cli import render, render_capture
from provenance_cli.group import JsonOpt, app, handles_errors, opened

TimeoutOpt = Annotated[
    float,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        min=0.1,
        help="How long one request may take (connecting, each read) before it is a failed result.",
    ),
]
UserAgentOpt = Annotated[
    str | None,
    typer.Option(
        "--user-agent",
        help="The User-Agent sent and matched against robots.txt (default: provenance/0.1).",
    ),
]
MaxSizeOpt = Annotated[
    int,
    typer.Option("--max-size", metavar="BYTES", min=1, help="The largest page read."),
]
DEFAULT_TIMEOUT_S = 30.0
"""`provenance.sources.live.TIMEOUT_S` (repeated: `prov --help` loads no fetching code)."""


@app.command()
@handles_errors
def capture(
    url: Annotated[str, typer.Argument(help="The page: an http:// or https:// URL.")],
    timeout: TimeoutOpt = DEFAULT_TIMEOUT_S,
    user_agent: UserAgentOpt = None,
    max_size: MaxSizeOpt = MAX_SIZE,
    json: JsonOpt = False,
) -> None:
    """Fetch a page and register it when its text changed.

    An HTML page is kept as served (document KEY#raw) and its main text
    (document KEY, linked derived from it); KEY is the URL in SURT form, so http,
    https and www. are one document. robots.txt is obeyed; redirects are
    followed and recorded; a timeout or an HTTP error is a result, not a crash.
    Exit code 0 when the page was registered or is unchanged, 1 when it gave no
    version.
    """
    options = {"user_agent": user_agent} if user_agent else {}
    with opened(write=True) as archive:
        report = archive.capture(url, timeout=timeout, max_size=max_size, **options)
    render_capture.captured(report, json)
    if report.outcome not in ("registered", "unchanged"):
        raise typer.Exit(1)


@app.command()
@handles_errors
def watch(
    watch_list: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="The watch list: one URL a line, or 'feed URL' for an RSS or Atom feed whose "
            "articles are watched; # starts a comment.",
        ),
    ],
    once: Annotated[
        bool,
        typer.Option("--once", help="Check what is due once and exit (for cron)."),
    ] = False,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT_S,
    user_agent: UserAgentOpt = None,
    max_size: MaxSizeOpt = MAX_SIZE,
    json: JsonOpt = False,
) -> None:
    """Re-check a list of pages and feeds on a schedule that backs off with each page's age.

    A page is checked every 15 minutes while its text is under 3 hours old (since
    it last changed, or was first seen), then hourly to a day, every 3 hours to a
    week, every 3 days to a month, then monthly; a feed every 15 minutes. Each
    check captures the page as prov capture does. The schedule is kept in
    FILE.state.json beside the list. Without --once it runs until interrupted,
    one report per round (with --json, JSON Lines: one line per round).
    """
    from provenance.sources import live

    options = {"user_agent": user_agent} if user_agent else {}
    with opened(write=True) as archive:
        archive.check()
        if once:
            with render.progress("checking", enabled=not json, min_total=2) as tick:
                report = live.watch(
                    archive,
                    watch_list,
                    timeout=timeout,
                    max_size=max_size,
                    progress=tick,
                    **options,
                )
            render_capture.watched(report, json)
            return
        try:
            for report in live.rounds(
                archive, watch_list, timeout=timeout, max_size=max_size, **options
            ):
                render_capture.watched(report, json, line=True)
        except KeyboardInterrupt:
            if not json:
                render.note("watch stopped")
