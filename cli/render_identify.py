"""How identify, blame and reindex results look: tables and a coloured margin for people."""

from __future__ import annotations

import math
import shlex
from collections import Counter
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from provenance_cli.render import _json, out, short

if TYPE_CHECKING:
    from provenance.blame import BlameReport
    from provenance.identify import IdentifyReport, Match
    from provenance.index import ReindexReport

_PALETTE = ("cyan", "green", "magenta", "yellow", "blue", "red", "bright_cyan", "bright_green")


def _passage(m: Match) -> str:
    p = m.passage
    if p is None:
        return "-"
    return f"query {p.a_start}-{p.a_end} = version {p.b_start}-{p.b_end}"


def found(m: Match) -> str:
    """How much of the query the version has: verbatim (and through which lens), or the share.

    A share is rounded down, so "100.0%" is never shown for a text that is
    not verbatim through any lens.
    """
    if m.tier == "exact" and not m.same_bytes:
        return "the same text, in other bytes"
    if m.verbatim == "exact":
        return "verbatim"
    if m.verbatim is not None:
        return f"verbatim through the {m.verbatim} lens"
    return f"{min(999, math.floor(1000 * m.score + 1e-9)) / 10:.1f}%"


def identify(report: IdentifyReport, as_json: bool, name: str = "FILE") -> None:
    if as_json:
        return _json(report)
    q = report.query
    out.print(Text(f"query {short(q.hash)}…  {q.chars} characters", style="dim"))
    if not report.matches:
        out.print(Text("No registered version matches, exactly, under a lens or by similarity."))
        return
    table = Table(box=None, pad_edge=False)
    for column in ("tier", "version", "found", "profile", "passage", "captured", "registered"):
        table.add_column(column, justify="right" if column == "found" else "left")
    for m in report.matches:
        table.add_row(
            Text(m.tier, style="bold green" if m.tier != "similar" else "yellow"),
            Text(m.name, style="bold cyan"),
            found(m),
            m.profile,
            _passage(m),
            m.captured_at or "-",
            m.registered_at[:19],
        )
    out.print(table)
    similar = next((m for m in report.matches if m.tier == "similar"), None)
    if similar is not None and similar.diff is not None:
        d = similar.diff
        where = "inside the passage" if similar.passage else "whole text"
        line = Text(f"{similar.name} → query ({where}, {d.profile} lens): ")
        line.append(f"{d.edits} edit{'s' if d.edits != 1 else ''}", style="bold")
        line.append(", ")
        line.append(f"+{d.inserted}", style="green")
        line.append(" / ")
        line.append(f"-{d.deleted}", style="red")
        line.append(f" chars, similarity {d.similarity:.3f}")
        if not d.complete:
            line.append("  (approximate)", style="yellow")
        target = shlex.quote(name) if name not in ("", "-", "<stdin>") else "FILE"
        line.append(
            f"   see: prov diff {similar.name} {target} --normalize {d.profile}", style="dim"
        )
        out.print(line)


def blame(report: BlameReport, as_json: bool) -> None:
    if as_json:
        return _json(report)
    text = report.text
    colour = {vid: _PALETTE[i % len(_PALETTE)] for i, vid in enumerate(sorted(report.versions))}
    width = max((len(f"@{v.name.rsplit('@', 1)[1]}") for v in report.versions.values()), default=2)
    spans = list(report.spans)
    k = 0
    pos = 0
    for line in text.splitlines(keepends=True) or [""]:
        end = pos + len(line)
        body = Text()
        owners: Counter[int] = Counter()
        while k < len(spans) and spans[k].start < end:
            s = spans[k]
            a, b = max(s.start, pos), min(s.end, end)
            piece = text[a:b].rstrip("\r\n")
            body.append(piece, style=colour[s.introduced_by])
            owners[s.introduced_by] += len(piece.strip()) or 0
            if s.end <= end:
                k += 1
            else:
                break
        owner = owners.most_common(1)[0][0] if owners and owners.most_common(1)[0][1] else None
        if owner is None and k < len(spans):
            owner = spans[min(k, len(spans) - 1)].introduced_by
        tag = "@" + report.versions[owner].name.rsplit("@", 1)[1] if owner is not None else ""
        margin = Text(f"{tag:>{width}}{'*' if len(owners) > 1 else ' '}│ ", style="dim")
        out.print(margin + body, soft_wrap=True)
        pos = end
    legend = Table(box=None, pad_edge=False, title="introduced by", title_justify="left")
    for name in ("version", "label", "source", "captured", "registered"):
        legend.add_column(name)
    for vid, v in sorted(report.versions.items()):
        legend.add_row(
            Text(v.name, style=colour[vid]),
            v.label or "-",
            v.source or "-",
            v.captured_at or "-",
            v.registered_at[:19],
        )
    out.print()
    out.print(legend)
    if report.profile != "exact":
        out.print(Text(f"(links re-diffed through the {report.profile} lens)", style="dim"))


def reindexed(report: ReindexReport, as_json: bool) -> None:
    if as_json:
        return _json(report)
    out.print(
        Text(
            f"Indexed {report.contents} contents ({report.versions} versions, "
            f"{report.keys} key runs) in {report.seconds:.1f} s "
            f"(sketch scheme {report.sketch_version}, normal forms {report.normal_version})"
        )
    )
