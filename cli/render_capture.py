"""How capture and watch results look: one line per page, then the schedule."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from provenance_cli.render import _json, out

if TYPE_CHECKING:
    from provenance.sources.live import CaptureReport, WatchReport

_STYLE = {
    "registered": "green",
    "unchanged": "",
    "refused": "yellow",
    "failed": "red",
    "not text": "yellow",
}


def _line(report: CaptureReport) -> Text:
    what = report.outcome
    if report.outcome == "registered":
        names = ", ".join(f"{r.document}@{r.number}" for r in report.registered)
        what = f"registered {names}"
    elif report.outcome == "unchanged" and report.version_name:
        what = f"unchanged (still {report.version_name})"
        if report.sighting is not None:
            what += f", seen again (sighting {report.sighting.id})"
    line = Text(f"{report.url}: ", style="bold")
    line.append(what, style=_STYLE[report.outcome])
    if report.reason and report.outcome != "unchanged":
        line.append(f": {report.reason}")
    return line


def captured(report: CaptureReport, as_json: bool) -> None:
    """The outcome, then where the page came from when a redirect led elsewhere."""
    if as_json:
        return _json(report)
    out.print(_line(report))
    if report.redirects and report.final_url:
        out.print(f"  redirected to {report.final_url} (through {len(report.redirects)})")


def watched(report: WatchReport, as_json: bool, *, line: bool = False) -> None:
    """Each feed and page checked, then totals and when the next check is due; with
    ``line``, the JSON on one line (a JSON Lines record per round)."""
    if as_json:
        return _json(report, line=line)
    for feed in report.feeds:
        line = Text(f"feed {feed.url}: ", style="bold")
        if feed.outcome == "read":
            line.append(f"{len(feed.articles)} articles, {len(feed.new)} new")
        else:
            line.append(feed.outcome, style=_STYLE.get(feed.outcome, ""))
            if feed.reason:
                line.append(f": {feed.reason}")
        out.print(line)
    for capture in report.captures:
        out.print(_line(capture))
    changed = sum(c.outcome == "registered" for c in report.captures)
    out.print(
        Text(
            f"Checked {len(report.captures)} of {len(report.pages)} watched pages at "
            f"{report.checked_at}: {changed} changed. Next check due {report.next_due or 'never'} "
            f"(schedule in {report.state_file}).",
            style="bold",
        )
    )
