"""`prov` commands for the audit log: annotate, events, verify, keygen, checkpoint, prove,
verify-proof, export.

Loaded by `provenance_cli.app`; registered on the `app` of
`provenance_cli.group`, whose `opened` and conventions these commands share.
`verify` and `verify-proof` exit 1 when they find a problem (2 stays for usage
errors); `verify-proof` never opens a database.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from provenance import validate
from provenance.errors import InputError
from provenance_cli import render, render_audit
from provenance_cli.group import DEFAULT_ORIGIN, EVENT_KINDS, JsonOpt, app, handles_errors, opened


@app.command()
@handles_errors
def annotate(
    ref: Annotated[str, typer.Argument(help="The version (REF).")],
    label: Annotated[str | None, typer.Option(help="Set the version's label.")] = None,
    clear_label: Annotated[
        bool, typer.Option("--clear-label", help="Remove the version's label.")
    ] = False,
    meta: Annotated[
        list[str] | None, typer.Option(help="Set metadata KEY=VALUE; repeatable.")
    ] = None,
    unset_meta: Annotated[
        list[str] | None, typer.Option("--unset-meta", help="Remove metadata KEY; repeatable.")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Change a version's label or metadata (recorded in the audit log with the old values)."""
    with opened(write=True) as archive:
        report = archive.annotate(
            ref,
            label=label,
            clear_label=clear_label,
            meta=validate.meta_pairs(meta),
            unset_meta=unset_meta,
        )
    render_audit.annotated(report, json)


@app.command()
@handles_errors
def events(
    about: Annotated[
        str | None,
        typer.Argument(
            metavar="[DOC|REF]",
            help="Only the events about this document (its versions, links and imports) "
            "or this version.",
            show_default=False,
        ),
    ] = None,
    actor: Annotated[
        str | None, typer.Option("--actor", metavar="USER", help="Only this actor's events.")
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            metavar="KIND",
            help="Only events of this kind (repeatable): " + ", ".join(EVENT_KINDS) + ".",
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option(metavar="TIME", help="Only events at or after this ISO time.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(metavar="TIME", help="Only events before this ISO time.")
    ] = None,
    last: Annotated[
        int | None,
        typer.Option("--last", min=0, metavar="N", help="Only the last N of those."),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Who changed what in the record, and when: the audit log's events, oldest first."""
    with opened() as archive:
        report = archive.events(
            about=about,
            actor=actor,
            kinds=tuple(kind or ()),
            since=since,
            until=until,
            limit=last,
        )
    render_audit.event_list(report, json)


@app.command()
@handles_errors
def verify(
    quick: Annotated[
        bool,
        typer.Option("--quick", help="Check the log and records, and only a sample of contents."),
    ] = False,
    deep: Annotated[
        bool,
        typer.Option(
            "--deep",
            help="Recompute every content's index rows from its text, about what prov reindex "
            "costs (default: a sample, the others checked against their stored digest).",
        ),
    ] = False,
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            metavar="PUBKEY",
            help="Check checkpoint signatures with this public key (default: the key stored "
            "with each checkpoint, which only shows they are self-consistent).",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=0,
            metavar="N",
            help="Worker processes that rebuild and hash contents on a large archive "
            "(0: none, all in this process; default: one per core but one, at most 8).",
            show_default=False,
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Check every stored byte, row and event against the audit log; exit 1 on any problem."""
    if quick and deep:
        raise InputError("give --quick or --deep, not both")
    with (
        opened() as archive,
        render.progress(
            "checking contents", enabled=not json, min_total=render_audit.PROGRESS_FROM
        ) as progress,
    ):
        report = archive.verify(
            quick=quick,
            deep=deep,
            public_key=key or None,
            progress=progress,
            processes=jobs,
        )
    render_audit.verified(report, json)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
@handles_errors
def keygen(
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="Where to write checkpoint.key (mode 0600) and checkpoint.pub "
            "(default: $XDG_CONFIG_HOME/provenance, i.e. ~/.config/provenance).",
            show_default=False,
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Make an Ed25519 key pair for signing checkpoints; the private key never enters the database."""
    from provenance import Archive

    render_audit.keys_written(Archive.keygen(directory), json)


KeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--key",
        help="The private key (default: ~/.config/provenance/checkpoint.key, made by prov keygen).",
        show_default=False,
    ),
]


@app.command()
@handles_errors
def checkpoint(
    key: KeyOpt = None,
    origin: Annotated[
        str | None,
        typer.Option(
            help=f"The log's name, fixed by its first checkpoint (default: {DEFAULT_ORIGIN})."
        ),
    ] = None,
    list_: Annotated[
        bool, typer.Option("--list", help="List the stored checkpoints instead.")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Sign the audit log's current size and root, store it, and print it for publishing."""
    if list_:
        with opened() as archive:
            reports = archive.checkpoints()
        render_audit.checkpoints(reports, json)
        return
    with opened(write=True) as archive:
        report = archive.checkpoint(key, origin)
    render_audit.checkpointed(report, json)


@app.command()
@handles_errors
def prove(
    ref: Annotated[
        str | None, typer.Argument(help="The version whose registration to prove (REF).")
    ] = None,
    consistency: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--consistency",
            metavar="OLD NEW",
            help="Prove that checkpoint NEW extends checkpoint OLD (each named by tree size, "
            "or by id as id:N).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the bundle to this file, not stdout (whole or not at all; a new file is 0600).",
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """A proof bundle: inclusion of a version's registration, or consistency of two checkpoints."""
    if (ref is None) == (consistency is None):
        raise InputError("give either a REF or --consistency OLD NEW")
    with opened() as archive:
        report = archive.prove(ref, consistency=consistency, out=out)
    render_audit.proved(report, str(out) if out else None, json)


@app.command("verify-proof")
@handles_errors
def verify_proof(
    file: Annotated[Path, typer.Argument(help="A proof bundle written by prov prove.")],
    key: Annotated[
        Path, typer.Option("--key", metavar="PUBKEY", help="The log's published public key.")
    ],
    json: JsonOpt = False,
) -> None:
    """Check a proof bundle with the log's public key alone, as an outside auditor; exit 1 if it fails."""
    from provenance import Archive

    report = Archive.verify_proof(file, key=key)
    render_audit.proof_checked(report, json)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
@handles_errors
def export(
    doc: Annotated[str, typer.Argument(help="The document's key.")],
    dest: Annotated[
        Path | None,
        typer.Argument(help="The bag folder (bagit) or file (prov-json); same as --out."),
    ] = None,
    format: Annotated[
        str, typer.Option("--format", help="prov-json (W3C PROV) or bagit (a BagIt bag).")
    ] = "prov-json",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write, whole or not at all: a new file is 0600, a new bag folder 0700.",
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Export a document's lineage as W3C PROV-JSON, or its versions as a BagIt bag."""
    if dest is not None and out is not None and dest != out:
        raise InputError("give the destination once, as an argument or as --out")
    target = dest or out
    if format == "prov-json" and json and target is None:
        raise InputError("--json reports on a written file: give --out FILE (or drop --json)")
    if format == "bagit" and target is None:
        raise InputError(
            "--format bagit needs the bag's folder: prov export DOC --format bagit DIR"
        )
    with opened() as archive:
        report = archive.export(doc, format=format, out=target)
    if report.out is None:  # PROV-JSON on standard output
        sys.stdout.write(report.text)
        sys.stdout.flush()
        return
    render_audit.exported(report, json)
