"""How results look: aligned tables and coloured diffs for people, JSON for scripts.

Colour comes from rich, which honours NO_COLOR and plain pipes. Text from the
archive is always passed as `rich.text.Text`, never as markup, so a document
containing ``[brackets]`` prints as it is.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from provenance import records
from provenance.diff import DiffStats, Edit
from provenance.records import (
    DemoReport,
    DiffReport,
    DocumentSummary,
    InitReport,
    LinkReport,
    LogReport,
    ParentLink,
    RegisterReport,
    TraceReport,
    VersionInfo,
)

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)


def _json(value: Any, tp: Any = None) -> None:
    sys.stdout.write(records.to_json(value, tp) + "\n")
    sys.stdout.flush()


def error(message: str) -> None:
    err.print(Text("prov: error: ", style="bold red") + Text(message), soft_wrap=True)


def note(message: str) -> None:
    err.print(Text(message, style="dim"), soft_wrap=True)


def short(digest: str) -> str:
    return digest[: len("blake3:") + 12]


def stats_line(stats: DiffStats, complete: bool = True) -> Text:
    line = Text()
    line.append(f"{stats.edits} edit{'s' if stats.edits != 1 else ''}", style="bold")
    line.append(", ")
    line.append(f"+{stats.inserted}", style="green")
    line.append(" / ")
    line.append(f"-{stats.deleted}", style="red")
    line.append(f" chars, similarity {stats.similarity:.3f}")
    if not complete:
        line.append(
            "  (search cut short: edits replay exactly but may not be minimal)", style="yellow"
        )
    return line


def init(report: InitReport, as_json: bool) -> None:
    if as_json:
        return _json(report)
    if report.before == report.after:
        out.print(Text(f"Schema is current (revision {report.after}) in {report.database}"))
    else:
        was = report.before or "empty"
        out.print(Text(f"Schema upgraded {was} -> {report.after} in {report.database}"))


def registered(report: RegisterReport, as_json: bool) -> None:
    if as_json:
        return _json(report)
    line = Text()
    line.append("Registered ", style="bold")
    line.append(f"{report.document}@{report.number}", style="bold cyan")
    line.append(f" (version {report.version}) {short(report.hash)}…")
    line.append("  new content" if report.new_content else "  content already stored", style="dim")
    out.print(line)
    if report.parents:
        parents = ", ".join(str(p) for p in report.parents)
        detail = Text(f"  {report.relation} of version {parents}: ")
        if report.stats is not None:
            detail += stats_line(report.stats)
        out.print(detail)


def linked(report: LinkReport, as_json: bool) -> None:
    if as_json:
        return _json(report)
    out.print(
        Text(f"Linked version {report.child} as {report.relation} of version {report.parent}: ")
        + stats_line(report.stats)
    )


def _parent_text(p: ParentLink) -> Text:
    return Text(f"{p.relation} of {p.parent_name}: ", style="dim") + stats_line(p.stats, p.complete)


def log(report: LogReport, as_json: bool) -> None:
    if as_json:
        return _json(report)
    tree = Tree(Text(report.document, style="bold"))
    nodes: dict[int, Tree] = {}
    for entry in report.versions:
        label = Text()
        label.append(f"@{entry.number}", style="bold cyan")
        label.append(f"  {short(entry.hash)}  {entry.chars} chars")
        if entry.label:
            label.append(f"  {entry.label}", style="italic")
        when = entry.captured_at or "-"
        label.append(f"  captured {when}  registered {entry.registered_at[:19]}", style="dim")
        home = next((p for p in entry.parents if p.parent in nodes), None)
        node = (nodes[home.parent] if home else tree).add(label)
        for p in entry.parents:
            node.add(_parent_text(p))
        nodes[entry.version] = node
    out.print(tree)


def show(info: VersionInfo, as_json: bool) -> None:
    if as_json:
        return _json(info)
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("version", f"{info.name} (id {info.version})"),
        ("hash", info.hash),
        ("size", f"{info.size} bytes, {info.chars} characters"),
        ("label", info.label or "-"),
        ("source", info.source or "-"),
        ("captured", info.captured_at or "-"),
        ("registered", info.registered_at),
    ]
    rows += [(f"meta {k}", str(v)) for k, v in sorted(info.meta.items())]
    for key, value in rows:
        table.add_row(key, Text(value))
    for p in info.parents:
        table.add_row("parent", _parent_text(p))
    if info.children:
        table.add_row("children", Text(", ".join(str(c) for c in info.children)))
    if info.same_content:
        table.add_row("same bytes", Text(", ".join(info.same_content)))
    out.print(table)


def _visible(s: str) -> str:
    """Whitespace inside an edit made visible."""
    return s.replace("\r", "␍").replace("\n", "↵").replace("\t", "→").replace(" ", "·")


def _flat(s: str) -> str:
    return s.replace("\r", " ").replace("\n", " ")


def edits_view(edits: Sequence[Edit], a: str, *, context: int, limit: int) -> list[Text]:
    lines: list[Text] = []
    shown = edits if limit <= 0 else edits[:limit]
    for e in shown:
        line = Text()
        line.append(f"{e.a_start}-{e.a_end} → {e.b_start}-{e.b_end}  ", style="dim")
        line.append(_flat(a[max(0, e.a_start - context) : e.a_start]), style="dim")
        plain = out.color_system is None  # no colour: mark edits as git's word diff does
        if e.old:
            line.append(f"[-{_visible(e.old)}-]" if plain else _visible(e.old), style="red strike")
        if e.new:
            line.append(
                f"{{+{_visible(e.new)}+}}" if plain else _visible(e.new), style="green underline"
            )
        line.append(_flat(a[e.a_end : e.a_end + context]), style="dim")
        lines.append(line)
    if len(shown) < len(edits):
        lines.append(
            Text(
                f"… {len(edits) - len(shown)} more edits (--limit 0 shows all, --json gives them all)"
            )
        )
    return lines


def diff(
    report: DiffReport, texts: dict[int, str], as_json: bool, *, context: int, limit: int
) -> None:
    if as_json:
        return _json(report)
    out.print(
        Text(f"version {report.a} → version {report.b}: ")
        + stats_line(report.stats, report.complete)
    )
    for line in edits_view(report.edits, texts[report.a], context=context, limit=limit):
        out.print(line, soft_wrap=True)


def trace(
    report: TraceReport,
    names: dict[int, str],
    texts: dict[int, str],
    as_json: bool,
    *,
    context: int,
    limit: int,
) -> None:
    if as_json:
        return _json(report)
    a, b = names[report.a], names[report.b]
    if not report.path and report.a != report.b:
        out.print(
            Text(f"No lineage connects {a} and {b}; net edits computed directly.", style="yellow")
        )
    elif report.path:
        path = Text("path: ")
        for i, node in enumerate(report.path):
            if i:
                step = report.steps[i - 1]
                arrow = (
                    f" —{step.relation}→ "
                    if step.direction == "forward"
                    else f" ←{step.relation}— "
                )
                path.append(arrow, style="dim")
            path.append(names.get(node, str(node)), style="bold cyan")
        if report.via is not None and report.via not in (report.a, report.b):
            path.append(
                f"   (through common ancestor {names.get(report.via, report.via)})", style="dim"
            )
        out.print(path)
        table = Table(box=None, pad_edge=False)
        for col in ("step", "relation", "edits", "+chars", "-chars", "similarity"):
            table.add_column(col, justify="right" if col not in ("step", "relation") else "left")
        for s in report.steps:
            table.add_row(
                f"{names.get(s.from_, s.from_)} → {names.get(s.to, s.to)}",
                s.relation + ("" if s.direction == "forward" else " (reversed)"),
                str(s.stats.edits),
                str(s.stats.inserted),
                str(s.stats.deleted),
                f"{s.stats.similarity:.3f}",
            )
        out.print(table)
    out.print(Text(f"net {a} → {b}: ") + stats_line(report.net.stats, report.net.complete))
    for line in edits_view(report.net.edits, texts[report.a], context=context, limit=limit):
        out.print(line, soft_wrap=True)


def docs(summaries: list[DocumentSummary], as_json: bool) -> None:
    if as_json:
        return _json(summaries, list[DocumentSummary])
    if not summaries:
        out.print("No documents yet: register one with prov register FILE --doc KEY")
        return
    table = Table()
    table.add_column("document")
    table.add_column("versions", justify="right")
    table.add_column("first registered")
    table.add_column("last registered")
    for s in summaries:
        table.add_row(
            Text(s.document),
            str(s.versions),
            (s.first_registered or "-")[:19],
            (s.last_registered or "-")[:19],
        )
    out.print(table)


def demo(
    report: DemoReport,
    names: dict[int, str],
    texts: dict[int, str],
    as_json: bool,
    *,
    context: int,
    limit: int,
) -> None:
    if as_json:
        return _json(report)
    out.print(Text(f"Demo archive: {report.database}", style="bold"))
    for r in report.registered:
        registered(r, False)
    out.print()
    trace(report.trace, names, texts, False, context=context, limit=limit)
    db = report.database.removeprefix("sqlite:///")
    out.print()
    out.print(
        Text("Explore it: ", style="bold")
        + Text(f"prov --db {db} log {report.registered[0].document}")
    )
