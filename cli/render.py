"""How results look: aligned tables and coloured diffs for people, JSON for scripts.

Colour comes from rich, which honours NO_COLOR and plain pipes. Text from the
archive is always passed as `rich.text.Text`, never as markup, so a document
containing ``[brackets]`` prints as it is.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

# The library's types are only annotations here: `prov --help` and a usage error
# import none of the library (tests/test_startup.py); a renderer that needs one at
# run time imports it in its body.
if TYPE_CHECKING:
    from provenance.diff import DiffStats, Edit
    from provenance.editrecord import StoredPassage
    from provenance.importer import ImportReport
    from provenance.records import (
        DemoReport,
        DiffReport,
        DocumentSummary,
        InitReport,
        LinkReport,
        LogEntry,
        LogReport,
        ParentLink,
        RegisterReport,
        TraceReport,
        VersionInfo,
    )

# Piped output is not cropped to 80 columns: it is read by people in pagers and files.
out = Console(
    highlight=False,
    soft_wrap=True,
    width=None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "200")),
)
err = Console(stderr=True, highlight=False)


def _summary_text(kinds: Any) -> str:
    from provenance.kinds import summary_text

    return summary_text(kinds)


def _json(value: Any, tp: Any = None, *, line: bool = False) -> None:
    from provenance import records

    sys.stdout.write(records.to_json(value, tp, indent=None if line else 2) + "\n")
    sys.stdout.flush()


@contextmanager
def progress(
    what: str, *, enabled: bool = True, min_total: int = 50
) -> Iterator[Callable[..., None] | None]:
    """A ``tick(done, total, what=None)`` callback drawing a progress bar on stderr,
    with the rate and the time left; ``what`` renames the step (an import checks,
    then registers).

    The bar appears only on a terminal and for work of at least ``min_total``
    steps; with ``enabled`` False (``--json``) the callback is None.
    """
    if not enabled or not err.is_terminal:
        yield None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    task = None
    current = what

    def tick(done: int, total: int, step: str | None = None) -> None:
        nonlocal task, current
        if total < min_total:
            return
        if task is None:
            bar.start()
            current = step or what
            task = bar.add_task(current, total=total, rate="")
        elif (step or what) != current:  # the next step: its own rate and time left
            current = step or what
            bar.reset(task, total=total, description=current, rate="")
        speed = bar.tasks[0].speed
        bar.update(task, completed=done, rate=f"{speed:,.0f}/s" if speed else "")

    try:
        yield tick
    finally:
        if task is not None:
            bar.stop()


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
            "  (approximate: a cost cap was hit; the edits replay exactly but may not be minimal)",
            style="yellow",
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
    if report.outcome != "registered":
        return _sighted(report)
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
        for x in report.passages:
            out.print(Text("    ") + passage_line(x))
    if report.suggestion:
        out.print(
            Text(
                f"  note: this text looks like an {report.suggestion} of version "
                f"{report.parents[0]}, not a {report.relation}; register such copies with "
                f"--relation {report.suggestion}",
                style="yellow",
            )
        )


def _sighted(report: RegisterReport) -> None:
    """Bytes that are already the latest version: a sighting of it, or nothing new."""
    name = f"{report.document}@{report.number}"
    seen = report.sighting
    line = Text()
    if report.outcome == "sighted" and seen is not None:
        line.append("Sighted ", style="bold")
        line.append(name, style="bold cyan")
        line.append(f" (version {report.version}) again: {_seen_where(seen.source, seen.captured_at)}")
        out.print(line)
        out.print(
            Text(
                f"  no new version: these bytes are already {name} (sighting {seen.id}); "
                "--new-version registers one",
                style="dim",
            )
        )
        _not_recorded(report, name)
        return
    line.append("Unchanged: ", style="bold")
    line.append(name, style="bold cyan")
    held = "its own registration" if seen is None else f"sighting {seen.id}"
    line.append(f" (version {report.version}) already holds these bytes from this source at this time ({held})")
    out.print(line)
    out.print(Text("  nothing recorded; --new-version registers a version all the same", style="dim"))
    _not_recorded(report, name)


def _not_recorded(report: RegisterReport, name: str) -> None:
    """Say what was given and not recorded: a sighting has no label and links nothing."""
    if "label" in report.not_recorded:
        out.print(
            Text(f"  --label not recorded: a sighting has none; prov annotate {name} --label sets it", style="yellow")
        )
    if "relation" in report.not_recorded:
        out.print(Text("  --relation not recorded: a sighting links nothing", style="yellow"))


def _seen_where(source: str | None, captured_at: str | None) -> str:
    return f"source {source or '-'}, captured {captured_at or '-'}"


def imported(report: ImportReport, as_json: bool) -> None:
    """Each registration, then each entry skipped for a reason other than being present
    (those are counted), then one line of totals."""
    if as_json:
        return _json(report)
    for r in report.registered:
        registered(r, False)
    passed = Counter(s.reason for s in report.skipped if s.reason in ("not text", "failed"))
    for skip in report.skipped:
        if skip.reason in ("sighted", "unchanged", "present", "not text", "failed"):
            continue
        why = {
            "revisit": "a revisit of a capture this file does not hold",
            "no text": "no main text found (its raw capture is registered)",
        }[skip.reason]
        out.print(Text(f"  skipped {skip.name}: {why}", style="yellow"))
    if passed:  # counted, not listed: a crawl holds far more images than pages
        said = {"not text": "not text or HTML", "failed": "failed (HTTP status not 2xx)"}
        counts = ", ".join(f"{n} {said[reason]}" for reason, n in sorted(passed.items()))
        out.print(Text(f"  passed over captures that give no version: {counts} (listed in --json)"))
    present = (
        f"; {report.unchanged} unchanged or already present, not registered"
        if report.unchanged
        else ""
    )
    if report.sightings:
        n = report.sightings
        present += f"; {n} sighting{'s' if n != 1 else ''} of versions already held recorded"
    out.print(
        Text(
            f"Imported {report.versions} versions of {len(report.documents)} documents from "
            f"{report.manifest} ({report.new_contents} new contents stored){present}",
            style="bold",
        )
    )
    if not report.versions and not report.sightings and report.unchanged:
        out.print("Nothing new: every entry is already in the archive.")


def linked(report: LinkReport, as_json: bool) -> None:
    if as_json:
        return _json(report)
    out.print(
        Text(f"Linked version {report.child} as {report.relation} of version {report.parent}: ")
        + stats_line(report.stats)
    )
    for x in report.passages:
        out.print(Text("    ") + passage_line(x))


def _parent_text(p: ParentLink) -> Text:
    line = Text(f"{p.relation} of {p.parent_name}: ", style="dim") + stats_line(p.stats, p.complete)
    for extra in link_meaning(p):
        line.append("\n    ")
        line.append_text(extra)
    return line


def log(report: LogReport, as_json: bool) -> None:
    """One row per version, oldest first; each parent on its own line of the row.

    Nothing is cut at any width. Below 120 columns the fields are abbreviated
    (``@N`` for a parent in the same document, an 8-digit hash, the capture
    date or else the registration date); where even those columns do not fit
    beside a label, each version is a short block of lines instead of a row.
    """
    if as_json:
        return _json(report)
    width = out.width
    wide = width >= 120
    out.print(_log_heading(report))
    if not report.versions:
        return
    rows = [_log_row(entry, report.document, wide) for entry in report.versions]
    names = ("ver", "hash", "chars", "from", "edits", "label", "times" if wide else "date")
    fixed = [
        max(len(names[i]), *(max(map(len, row[i].plain.split("\n"))) for row in rows))
        for i in range(len(names))
    ]
    label_room = width - (sum(fixed) - fixed[5]) - 2 * (len(names) - 1)
    if label_room < min(fixed[5], 10):
        for entry in report.versions:
            _log_block(entry, report.document)
        return
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    for i, name in enumerate(names):
        if i == 5:  # the label takes what is left, wrapping inside its cell
            table.add_column(name, overflow="fold")
        else:
            table.add_column(
                name,
                justify="right" if name == "chars" else "left",
                min_width=fixed[i],
                no_wrap=True,
            )
    for row in rows:
        table.add_row(*row)
    out.print(table)


def _log_row(entry: LogEntry, document: str, wide: bool) -> list[Text]:
    sources = Text("\n").join(_log_source(p, document, wide) for p in entry.parents) or Text(
        "-", style="dim"
    )
    edits = Text("\n").join(_log_edits(p, wide) for p in entry.parents)
    label = Text(entry.label or "", style="italic")
    if entry.same_content or entry.near_identical:
        label += Text("\n" if entry.label else "") + _elsewhere(
            entry.same_content, entry.near_identical
        )
    return [
        Text(f"@{entry.number}", style="bold cyan"),
        Text(short(entry.hash) if wide else _log_hash(entry.hash)),
        Text(str(entry.chars)),
        sources,
        edits,
        label,
        Text(_log_when(entry, wide), style="dim"),
    ]


def _log_block(entry: LogEntry, document: str) -> None:
    """A version on a narrow terminal: a heading line, then one line per parent."""
    head = Text(f"@{entry.number}", style="bold cyan")
    head.append(f" {_log_hash(entry.hash)} {entry.chars} chars")
    if entry.label:
        head.append(f" {entry.label}", style="italic")
    out.print(head, soft_wrap=False)
    for p in entry.parents:
        out.print(
            Text("  ")
            + _log_source(p, document, False)
            + ": "
            + _log_edits(p, False, "    "),
            soft_wrap=False,
        )
    out.print(Text(f"  {_log_when(entry, True)}", style="dim"), soft_wrap=False)
    if entry.same_content or entry.near_identical:
        out.print(
            Text("  ") + _elsewhere(entry.same_content, entry.near_identical), soft_wrap=False
        )


def _log_hash(digest: str) -> str:
    return digest.removeprefix("blake3:")[:8]  # the shortest prefix a REF accepts


def _log_source(p: ParentLink, document: str, wide: bool) -> Text:
    """Where a parent link comes from: ``revision of d@3``, or ``rev @3`` when narrow."""
    name = p.parent_name
    if wide:
        return Text(f"{p.relation} of {name}")
    if name.startswith(f"{document}@"):
        name = name.removeprefix(document)
    return Text(f"{'rev' if p.relation == 'revision' else p.relation} {name}")


def _log_heading(report: LogReport) -> Text:
    heading = _log_count(report)
    if report.only:
        heading.append(f"  (edits counted: {report.only} only, --only)", style="yellow")
    return heading


def _log_count(report: LogReport) -> Text:
    heading = Text(report.document, style="bold")
    n = report.total
    if report.shown == n:
        heading.append(f"  {n} version{'s' if n != 1 else ''}")
        return heading
    why = []
    if report.since:
        why.append(f"registered since {report.since}")
    if report.captured_since:
        why.append(f"captured since {report.captured_since}")
    if why:
        why[0] = f"{report.matched} " + why[0]
    if report.limit is not None and report.shown < report.matched:
        why.append(f"the newest {report.shown} (--limit {report.limit})")
    heading.append(f"  showing {report.shown} of {n} versions", style="bold yellow")
    heading.append(f" ({'; '.join(why)})", style="yellow")
    return heading


def _log_edits(p: ParentLink, wide: bool, indent: str = "") -> Text:
    """A link's stored edits, then what they mean: passages, moves, kinds."""
    stats, complete = p.stats, p.complete
    line = Text()
    n = stats.edits
    line.append(f"{n} edit{'s' if n != 1 else ''}", style="bold")
    line.append(", " if wide else " ")
    line.append(f"+{stats.inserted}", style="green")
    line.append(" / " if wide else "/")
    line.append(f"-{stats.deleted}", style="red")
    line.append(f", similarity {stats.similarity:.3f}" if wide else f" {stats.similarity:.3f}")
    if not complete:
        line.append(" (not minimal)" if wide else " ~", style="yellow")
    for extra in link_meaning(p, wide):
        line.append("\n" + indent)
        line.append_text(extra)
    return line


def passage_line(x: StoredPassage, wide: bool = True) -> Text:
    """``passage A[111:1497] → B[0:2147]: 7 edits under cjk`` (the inside edits)."""
    n = x.edits
    line = Text(f"passage A[{x.a_start}:{x.a_end}] → B[{x.b_start}:{x.b_end}]: ", style="cyan")
    line.append(f"{n} edit{'s' if n != 1 else ''}", style="bold")
    line.append(f" under {x.profile}")
    if wide:
        line.append(f", {x.coverage:.1%} of the shorter text matched", style="dim")
    return line


def link_meaning(p: ParentLink, wide: bool = True) -> list[Text]:
    """What a link's record says besides its statistics: passages, moves, edit kinds."""
    lines = [passage_line(x, wide) for x in p.passages]
    if p.moves:
        n = len(p.moves)
        moved = sum(m.b_end - m.b_start for m in p.moves)
        lines.append(Text(f"{n} move{'s' if n != 1 else ''} ({moved} chars)", style="magenta"))
    if p.kinds and (wide or not p.passages):
        lines.append(Text(_summary_text(p.kinds), style="dim"))
    if p.hidden:
        n = p.hidden
        lines.append(Text(f"{n} edit{'s' if n != 1 else ''} of other kinds left out (--only)", style="yellow"))
    return lines


def _log_when(entry: LogEntry, wide: bool) -> str:
    """Wide: the capture and registration times; narrow: the capture date, else
    the registration date marked ``reg``."""
    captured, registered = entry.captured_at, entry.registered_at.replace("T", " ")
    n = len(entry.sightings)
    if wide:
        seen = f" · seen again {n}×" if n else ""
        return f"captured {captured or '-'} · registered {registered[:19]}{seen}"
    seen = f" +{n} seen" if n else ""
    return (f"cap {captured[:10]}" if captured else f"reg {registered[:10]}") + seen


def _elsewhere(same: Sequence[str], near: Sequence[str]) -> Text:
    parts = ([f"same bytes as {', '.join(same)}"] if same else []) + (
        [f"near-identical to {', '.join(near)} (loose lens)"] if near else []
    )
    return Text("also registered: " + "; ".join(parts), style="dim")


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
        ("encoding", info.encoding or "utf-8"),
        ("label", info.label or "-"),
        ("source", info.source or "-"),
        ("captured", info.captured_at or "-"),
        (
            "registered",
            info.registered_at + (f" by {info.registered_by}" if info.registered_by else ""),
        ),
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
    if info.near_identical:
        table.add_row("near-identical", Text(", ".join(info.near_identical) + " (loose lens)"))
    for seen in info.sightings:
        by = f" by {seen.recorded_by}" if seen.recorded_by else ""
        table.add_row(
            "sighted",
            Text(f"{_seen_where(seen.source, seen.captured_at)} · recorded {seen.recorded_at[:19]}{by}"),
        )
    out.print(table)


def _visible(s: str) -> str:
    """Whitespace inside an edit made visible."""
    return s.replace("\r", "␍").replace("\n", "↵").replace("\t", "→").replace(" ", "·")


def _flat(s: str) -> str:
    return s.replace("\r", " ").replace("\n", " ")


def _marked(text: str, deleted: bool) -> Text:
    """An edit's old (``deleted``) or new text; marked like git's word diff without colour."""
    shown = _visible(text)
    if out.color_system is None:
        shown = f"[-{shown}-]" if deleted else f"{{+{shown}+}}"
    return Text(shown, style="red strike" if deleted else "green underline")


def _side(view: str) -> bool:
    return view == "side" or (view == "auto" and out.is_terminal and out.width >= 140)


def edits_view(
    edits: Sequence[Edit], a: str, b: str, *, context: int, limit: int, view: str = "inline"
) -> list[Any]:
    """Each edit in its context: one line (inline) or one row of A beside B (side)."""
    shown = list(edits if limit <= 0 else edits[:limit])
    lines: list[Any] = []
    if _side(view) and shown:
        table = Table(box=None, pad_edge=False, expand=True, show_header=True)
        table.add_column("where", style="dim", no_wrap=True)
        table.add_column("A", ratio=1)
        table.add_column("B", ratio=1)
        for e in shown:
            left = Text(_flat(a[max(0, e.a_start - context) : e.a_start]), style="dim")
            left += _marked(e.old, True) if e.old else Text("")
            left += Text(_flat(a[e.a_end : e.a_end + context]), style="dim")
            right = Text(_flat(b[max(0, e.b_start - context) : e.b_start]), style="dim")
            right += _marked(e.new, False) if e.new else Text("")
            right += Text(_flat(b[e.b_end : e.b_end + context]), style="dim")
            table.add_row(f"{e.a_start}→{e.b_start}", left, right)
        lines.append(table)
    else:
        for e in shown:
            line = Text()
            line.append(f"{e.a_start}-{e.a_end} → {e.b_start}-{e.b_end}  ", style="dim")
            line.append(_flat(a[max(0, e.a_start - context) : e.a_start]), style="dim")
            if e.old:
                line += _marked(e.old, True)
            if e.new:
                line += _marked(e.new, False)
            line.append(_flat(a[e.a_end : e.a_end + context]), style="dim")
            lines.append(line)
    if len(shown) < len(edits):
        lines.append(
            Text(
                f"… {len(edits) - len(shown)} more edits "
                "(--limit 0 shows all, --json gives them all)"
            )
        )
    return lines


def _inline(a: str, start: int, end: int, edits: Sequence[Edit]) -> Text:
    """``a[start:end]`` with the edits that fall in it shown in place."""
    line = Text()
    pos = start
    for e in edits:
        line.append(_flat(a[pos : e.a_start]))
        if e.old:
            line += _marked(e.old, True)
        if e.new:
            line += _marked(e.new, False)
        pos = e.a_end
    line.append(_flat(a[pos:end]))
    return line


def _excerpt(s: str, n: int = 24) -> str:
    flat = " ".join(s.split())
    return flat if len(flat) <= n else flat[:n] + "…"


def comparison(
    report: DiffReport, a: str, b: str, title: str, *, context: int, limit: int, view: str
) -> None:
    """A diff for people: the passage, its edits, the outside material in one line a side."""
    lens = "" if report.profile == "exact" else f" under --normalize {report.profile}"
    grain = "" if report.by == "char" else f", by {report.by}"
    n_passages = len(report.passages)
    scope = f" (within {n_passages} passages)" if n_passages > 1 else " (within the passage)" if report.passage else ""
    out.print(Text(f"{title}{lens}{grain}: ") + stats_line(report.stats, report.complete) + scope)
    for p in report.passages:
        out.print(
            Text("passage: ", style="bold")
            + Text(
                f"A[{p.a_start}:{p.a_end}] is carried as B[{p.b_start}:{p.b_end}] "
                f"({p.a_share:.1%} of A, {p.b_share:.1%} of B), "
                f"{p.coverage:.1%} of the shorter text matched verbatim"
            )
        )
    if report.kinds:
        out.print(Text("kinds: ", style="bold") + Text(_summary_text(report.kinds)))
    if report.only:
        n = len([e for e in report.edits if e.inside])
        out.print(Text(f"showing the {n} {report.only} edit{'s' if n != 1 else ''} (--only)" + _left_out(report.hidden), style="yellow"))
    for m in report.moves:
        inner = len(m.edits)
        out.print(
            Text("moved: ", style="bold magenta")
            + Text(
                f"A[{m.a_start}:{m.a_end}] → B[{m.b_start}:{m.b_end}] "
                f"({m.b_end - m.b_start} chars, {inner} edit{'s' if inner != 1 else ''} inside, "
                f"similarity {m.similarity:.2f}) {_excerpt(b[m.b_start:m.b_end], 40)!r}"
            ),
            soft_wrap=True,
        )
    for side, found in (("A", report.invisible_a), ("B", report.invisible_b)):
        if found:
            listed = ", ".join(f"{x.count}× {x.label} (first at {x.first})" for x in found)
            out.print(
                Text(f"invisible characters in {side}: {listed}; hidden by every lens but exact", style="yellow"),
                soft_wrap=True,
            )
    inside = [e for e in report.edits if e.inside]
    if report.sentences is not None:
        counts: dict[str, int] = {}
        for c in report.sentences:
            counts[c.kind] = counts.get(c.kind, 0) + 1
        summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "no changes"
        out.print(Text(f"sentences: {summary}", style="bold"))
        shown = report.sentences if limit <= 0 else report.sentences[:limit]
        for c in shown:
            where = f"A#{c.a_index}" if c.a_index is not None else ""
            where += (" → " if where and c.b_index is not None else "") + (
                f"B#{c.b_index}" if c.b_index is not None else ""
            )
            line = Text(f"{c.kind:>8} ", style="bold") + Text(f"{where}  ", style="dim")
            if c.kind == "changed" and c.a_start is not None and c.edits:
                line += _inline(a, c.a_start, c.a_end, c.edits)
            elif c.kind == "changed":
                line += (
                    _marked(_excerpt(c.old, 60), True)
                    + Text(" ")
                    + _marked(_excerpt(c.new, 60), False)
                )
            elif c.kind == "removed":
                line += _marked(_excerpt(c.old, 80), True)
            else:
                line += Text(_excerpt(c.new or c.old, 80))
            out.print(line, soft_wrap=True)
    else:
        for line in edits_view(inside, a, b, context=context, limit=limit, view=view):
            out.print(line, soft_wrap=True)
    outside = [e for e in report.edits if not e.inside]
    if outside:
        for side, name in (("a", "A"), ("b", "B")):
            parts = []
            spans = [(p.a_start, p.a_end) if side == "a" else (p.b_start, p.b_end) for p in report.passages]
            for e in outside:
                start, end = (e.a_start, e.a_end) if side == "a" else (e.b_start, e.b_end)
                text = e.old if side == "a" else e.new
                if end > start:
                    shown = _excerpt(text) or _visible(text)
                    parts.append(f"{end - start} chars {_outside_where(start, end, spans)} ({shown!r})")
            if parts:
                out.print(
                    Text(f"outside in {name}: " + "; ".join(parts), style="dim"), soft_wrap=True
                )
    if report.hint:
        out.print(Text(f"hint: {report.hint}", style="yellow"), soft_wrap=True)


def _left_out(hidden: int) -> str:
    """What an ``--only`` filter left out, said: never a silent drop."""
    return f"; {hidden} edit{'s' if hidden != 1 else ''} of other kinds left out" if hidden else ""


def _outside_where(start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """Where material outside the passages lies on one side: before them, after them,
    or in a gap between two of them (passages are in the shorter text's order, so
    on the longer side the first is not always the leftmost)."""
    several = len(spans) > 1
    if not spans or end <= min(s for s, _ in spans):
        return "before the passages" if several else "before the passage"
    if start >= max(e for _, e in spans):
        return "after the passages" if several else "after the passage"
    return "between passages"


def diff(
    report: DiffReport,
    as_json: bool,
    *,
    context: int,
    limit: int,
    view: str = "auto",
) -> None:
    if as_json:
        return _json(report)
    comparison(
        report,
        report.a_text,
        report.b_text,
        f"{report.a_name} → {report.b_name}",
        context=context,
        limit=limit,
        view=view,
    )


def trace(
    report: TraceReport,
    as_json: bool,
    *,
    context: int,
    limit: int,
    view: str = "auto",
) -> None:
    if as_json:
        return _json(report)
    names = report.names
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
        for col in ("step", "relation", "edits", "+chars", "-chars", "similarity", "what"):
            table.add_column(
                col,
                justify="left" if col in ("step", "relation", "what") else "right",
                no_wrap=col != "what",
            )
        for s in report.steps:
            what = [passage_line(x, False) for x in s.passages]
            if s.moves:
                what.append(Text(f"{len(s.moves)} move{'s' if len(s.moves) != 1 else ''}"))
            if s.kinds:
                what.append(Text(_summary_text(s.kinds), style="dim"))
            if report.only:
                what.append(Text(f"only {report.only}" + _left_out(s.hidden), style="yellow"))
            table.add_row(
                _step_name(names, s.from_, s.to),
                s.relation + ("" if s.direction == "forward" else " (reversed)"),
                str(s.stats.edits),
                str(s.stats.inserted),
                str(s.stats.deleted),
                f"{s.stats.similarity:.3f}",
                Text("\n").join(what),
            )
        out.print(table)
    comparison(
        report.net,
        report.net.a_text,
        report.net.b_text,
        f"net {a} → {b}",
        context=context,
        limit=limit,
        view=view,
    )


def _step_name(names: dict[int, str], src: int, dst: int) -> str:
    """``doc@1 → @2`` within a document, both names in full across documents."""
    a, b = names.get(src, str(src)), names.get(dst, str(dst))
    doc_a, _, _ = a.rpartition("@")
    doc_b, _, number = b.rpartition("@")
    return f"{a} → @{number}" if doc_a == doc_b else f"{a} → {b}"


def docs(summaries: list[DocumentSummary], as_json: bool) -> None:
    if as_json:
        from provenance.records import DocumentSummary

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
    as_json: bool,
    *,
    context: int,
    limit: int,
    view: str = "auto",
) -> None:
    if as_json:
        return _json(report)
    out.print(Text(f"Demo archive: {report.database}", style="bold"))
    for r in report.registered:
        registered(r, False)
    out.print()
    trace(report.trace, False, context=context, limit=limit, view=view)
    db = report.database.removeprefix("sqlite:///")
    out.print()
    out.print(
        Text("Explore it: ", style="bold")
        + Text(f"prov --db {db} log {report.registered[0].document}")
    )
