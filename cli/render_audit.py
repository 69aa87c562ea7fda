"""How the audit commands' results look (see `render` for the conventions)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from provenance_cli.render import _json, note, out

if TYPE_CHECKING:
    from provenance.annotate import AnnotateReport
    from provenance.events import EventEntry, EventsReport
    from provenance.export import ExportReport
    from provenance.proofs import CheckpointReport, KeygenReport, ProofCheck, ProofReport
    from provenance.verify import VerifyReport

PROGRESS_FROM = 200
"""Contents to check before `prov verify` shows a progress bar."""


def verified(report: VerifyReport, as_json: bool) -> None:
    if as_json:
        return _json(report)
    for p in report.problems:
        line = Text(f"{p.check}: ", style="bold red")
        line.append(p.message)
        out.print(line, soft_wrap=True)
    scope = (
        f"{report.contents_checked} of {report.contents} contents (sample)"
        if report.quick
        else f"{report.contents_checked} contents"
    )
    summary = Text(
        f"{report.events} events (root {report.root[:16]}…), {report.documents} documents, "
        f"{report.versions} versions, {report.links} links, {report.sightings} sightings, {scope}, "
        f"{report.bytes_checked} bytes hashed, the index of {report.index_checked} contents, "
        f"{report.checkpoints} checkpoints"
    )
    if report.checkpoints:
        summary.append(f" (signatures checked with the {report.signatures})")
    if report.ok:
        out.print(Text("OK  ", style="bold green") + summary, soft_wrap=True)
    else:
        n = len(report.problems)
        out.print(
            Text(f"{n} problem{'s' if n != 1 else ''}  ", style="bold red") + summary,
            soft_wrap=True,
        )
    if report.unsigned_events:
        note(
            f"{report.unsigned_events} of {report.events} events come after the last checkpoint "
            "that verified: no signature covers them yet, so a rewrite of them could go unseen "
            "(prov checkpoint signs the log as it is now)"
        )


def annotated(report: AnnotateReport, as_json: bool) -> None:
    if as_json:
        return _json(report)
    if report.event is None:
        out.print(Text(f"{report.name} already has these values; nothing recorded"))
        return
    line = Text(f"Annotated {report.name} (event {report.event})")
    out.print(line)
    old = {"label": report.old_label, "meta": report.old_meta}
    for change in _changes(old, {"label": report.new_label, "meta": report.new_meta}):
        out.print(Text(f"  {change}"))


def keys_written(report: KeygenReport, as_json: bool) -> None:
    if as_json:
        return _json(report)
    out.print(
        Text(f"Private key: {report.private_key} (owner-only; keep it out of backups you share)")
    )
    out.print(Text(f"Public key:  {report.public_key} (publish it with your checkpoints)"))
    out.print(Text(f"Key id:      {report.key_id}"))


def checkpointed(report: CheckpointReport, as_json: bool) -> None:
    if as_json:
        return _json(report)
    note(f"checkpoint {report.id}: {report.size} events, signed by key {report.key_id}")
    out.file.write(report.text)
    out.file.flush()


def checkpoints(reports: list[CheckpointReport], as_json: bool) -> None:
    if as_json:
        from provenance.proofs import CheckpointReport

        return _json(reports, list[CheckpointReport])
    if not reports:
        out.print("No checkpoints yet: make one with prov checkpoint")
        return
    table = Table()
    for col in ("id", "size", "root", "timestamp", "key"):
        table.add_column(col, justify="right" if col in ("id", "size") else "left")
    for r in reports:
        table.add_row(str(r.id), str(r.size), r.root[:16] + "…", r.timestamp, r.key_id)
    out.print(table)


def proved(report: ProofReport, out_path: str | None, as_json: bool) -> None:
    if as_json:
        return _json(report)
    if out_path is None:
        out.file.write(report.bundle)
        out.file.flush()
        return
    if report.kind == "inclusion":
        out.print(
            Text(
                f"Wrote {out_path}: {report.name} is event {report.leaf_index} of the "
                f"{report.tree_size} signed in checkpoint {report.checkpoints[0]}"
            )
        )
    else:
        out.print(
            Text(
                f"Wrote {out_path}: the log at size {report.tree_size} extends the log at size "
                f"{report.old_size} (checkpoints {report.checkpoints[0]} and {report.checkpoints[1]})"
            )
        )


def proof_checked(report: ProofCheck, as_json: bool) -> None:
    if as_json:
        return _json(report)
    if report.ok:
        out.print(
            Text("OK  ", style="bold green")
            + Text(f"{report.kind} proof in {report.file} verifies with key {report.key_id}")
        )
        return
    out.print(Text("FAILED  ", style="bold red") + Text(f"{report.kind} proof in {report.file}"))
    for reason in report.reasons:
        out.print(Text(f"  {reason}"), soft_wrap=True)


def exported(report: ExportReport, as_json: bool) -> None:
    if as_json:
        return _json(report)
    what = f"{report.versions} versions, {report.links} links"
    if report.format == "bagit":
        out.print(Text(f"Wrote BagIt bag {report.out} ({what}, {len(report.files)} payload files)"))
    else:
        out.print(Text(f"Wrote PROV-JSON {report.out} ({what})"))


_VERBS = {
    "document.created": "created",
    "version.registered": "registered",
    "link.added": "linked",
    "version.annotated": "annotated",
    "version.sighted": "sighted",
    "import.run": "imported",
    "token.created": "token made",
    "token.revoked": "token revoked",
}


def _changes(old: dict, new: dict) -> list[str]:
    """What an annotation changed ({label, meta} before and after), one item per field."""
    parts = []
    if old.get("label") != new.get("label"):
        parts.append(f"label: {old.get('label')!r} -> {new.get('label')!r}")
    before, after = old.get("meta") or {}, new.get("meta") or {}
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            parts.append(f"meta {key}: {before.get(key)!r} -> {after.get(key)!r}")
    return parts


def _what(e: EventEntry) -> str:
    event = e.event
    if e.kind == "document.created":
        return f"document {e.document}"
    if e.kind == "version.registered":
        v = event["version"]
        label = f"  {v['label']!r}" if v.get("label") else ""
        return f"{e.version}  {v['content_hash'][:19]}…{label}"
    if e.kind == "link.added":
        return f"{e.version} <- {e.parent} ({event['link']['relation']})"
    if e.kind == "version.annotated":
        return f"{e.version}: {'; '.join(_changes(event['old'], event['new'])) or 'no change'}"
    if e.kind == "version.sighted":
        seen = event["sighting"]
        return f"{e.version} seen again: {seen['source'] or '-'}, captured {seen['captured_at'] or '-'}"
    if e.kind in ("token.created", "token.revoked"):
        token = event["token"]
        return f"API token {token['name']} ({token['scope']}, sha256 {token['hash_prefix']}…)"
    run = event["import"]
    n = len(run["versions"])
    return f"{n} version{'s' if n != 1 else ''} from {run['manifest']}"


def event_list(report: EventsReport, as_json: bool) -> None:
    if as_json:
        return _json(report)
    scope = f" about {report.about}" if report.about else ""
    if not report.events:
        out.print(
            f"No events{scope} match"
            + (f" ({report.matched} matched before --last)" if report.matched else "")
        )
        return
    table = Table(box=None, pad_edge=False)
    for col in ("seq", "time", "actor", "event", "what"):
        table.add_column(col, justify="right" if col == "seq" else "left", no_wrap=col != "what")
    for e in report.events:
        when = e.time.replace("T", " ")[:19]
        table.add_row(str(e.seq), when, e.actor, _VERBS.get(e.kind, e.kind), _what(e))
    out.print(table)
    shown = len(report.events)
    head = f"the last {shown} of " if shown < report.matched else ""
    if report.matched == report.total:
        note(f"{head}{report.total} event{'s' if report.total != 1 else ''} in the log")
    else:
        note(f"{head}{report.matched} of the log's {report.total} events{scope}")
