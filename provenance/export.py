"""Exports in standard formats: a document's lineage as W3C PROV-JSON, and BagIt bags.

PROV (https://www.w3.org/TR/prov-dm/) is built with the `prov` package and
BagIt (RFC 8493) bags with the `bagit` package, both imported only when an
export runs (the ``export`` extra: ``pip install 'provenance[export]'``), so
the archive itself does not depend on them.

In the PROV document:

- the document is a ``prov:Collection`` entity (``pvdoc:<id>``) whose members
  are its versions;
- each version is an entity (``pvver:<id>``) that is a specialization of its
  content, an entity named by its BLAKE3 hash (``blake3:<hex>``);
- each registration is an activity (``pvreg:<version id>``) that generated
  the version, used its parents, and was associated with the agent who ran
  it (``pvagent:<actor>``, from the audit log);
- each sighting (the same bytes seen again, `provenance.sightings`) is an
  activity (``pvsight:<id>``, of type ``pv:Sighting``) that used the version,
  at its capture time (else when it was recorded), with its source, capture
  and record times and metadata, associated with the agent who recorded it;
- each link is a derivation: ``revision`` -> ``wasRevisionOf``, ``excerpt``
  -> ``wasQuotedFrom``, ``copy``/``derived``/``merge`` -> ``wasDerivedFrom``,
  with the relation kept as ``pv:relation``. Parents in other documents
  appear as version entities too.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import Session

from provenance import audit, contents, proofs, refs, sightings
from provenance.errors import InputError
from provenance.models import Content, Document, Link, Version
from provenance.output import write_whole
from provenance.records import SightingInfo

NAMESPACE = "https://provenance.invalid/ns#"
EXTRA_HINT = "install the export extra: pip install 'provenance[export]'"


@dataclass(frozen=True, slots=True)
class ExportReport:
    """What `prov export` wrote."""

    document: str
    format: str  # "prov-json" or "bagit"
    out: str | None  # the file or bag folder; None when the PROV-JSON went to stdout
    versions: int
    links: int
    files: tuple[str, ...]  # payload files of a bag, relative to it
    # The PROV-JSON text when it was not written to a file (``out`` None), for the
    # skin to print; never in the JSON report.
    text: Annotated[str, Field(exclude=True)] = field(default="", compare=False, repr=False)


FORMATS = ("prov-json", "bagit")


def export(session: Session, key: str, format: str = "prov-json", out: Path | None = None) -> ExportReport:
    """Export document ``key`` (`prov export`): PROV-JSON written whole to ``out``
    (or, without one, carried in the report's ``text``), or a BagIt bag made in
    the folder ``out``."""
    if format not in FORMATS:
        raise InputError(f"--format {format!r}: use prov-json or bagit")
    if format == "bagit":
        if out is None:
            raise InputError("a BagIt export needs the bag's folder")
        return bagit_bag(session, key, out)
    text, report = prov_json(session, key)
    if out is None:
        return replace(report, text=text)
    write_whole(out, text)
    return replace(report, out=str(out))


def _require(module: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        raise InputError(f"export needs the {module!r} package; {EXTRA_HINT}") from None


@dataclass(frozen=True, slots=True)
class _Lineage:
    document: Document
    versions: list[Version]
    outside: list[Version]  # parents in other documents
    links: list[Link]
    names: dict[int, str]
    actors: dict[int, str]
    seen: dict[int, tuple[SightingInfo, ...]]  # the sightings of each version that has any


def _lineage(session: Session, key: str) -> _Lineage:
    document = refs.find_document(session, key)
    versions = list(
        session.execute(
            sa.select(Version).where(Version.document_id == document.id).order_by(Version.number)
        ).scalars()
    )
    ids = [v.id for v in versions]
    links = (
        list(
            session.execute(
                sa.select(Link).where(Link.child_id.in_(ids)).order_by(Link.id)
            ).scalars()
        )
        if ids
        else []
    )
    outside_ids = sorted({ln.parent_id for ln in links} - set(ids))
    outside = [session.get(Version, i) for i in outside_ids]
    names = {v.id: refs.version_name(session, v) for v in versions + outside}
    actors = {}
    for v in versions:
        actors[v.id] = audit.registered_by(session, v.id) or audit.UNKNOWN_ACTOR
    seen = sightings.of_versions(session, ids)
    return _Lineage(document, versions, outside, links, names, actors, seen)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def prov_document(session: Session, key: str) -> Any:
    """The W3C PROV document (a `prov.model.ProvDocument`) of a document's lineage."""
    _require("prov")
    from prov.model import PROV, PROV_TYPE, ProvDocument

    lineage = _lineage(session, key)
    doc = ProvDocument()
    pv = doc.add_namespace("pv", NAMESPACE)
    doc.add_namespace("pvdoc", "urn:provenance:document:")
    doc.add_namespace("pvver", "urn:provenance:version:")
    doc.add_namespace("pvreg", "urn:provenance:registration:")
    doc.add_namespace("pvagent", "urn:provenance:agent:")
    doc.add_namespace("pvsight", "urn:provenance:sighting:")
    doc.add_namespace("blake3", "urn:blake3:")

    collection = doc.entity(
        f"pvdoc:{lineage.document.id}",
        {
            PROV_TYPE: PROV["Collection"],
            "prov:label": lineage.document.key,
            "pv:createdAt": lineage.document.created_at,
        },
    )
    sizes = {
        row.hash: (row.size, row.chars, row.encoding)
        for row in session.execute(
            sa.select(Content.hash, Content.size, Content.chars, Content.encoding).where(
                Content.hash.in_({v.content_hash for v in lineage.versions + lineage.outside})
            )
        )
    }
    seen_contents: set[str] = set()
    agents: set[str] = set()

    def agent(actor: str) -> str:
        agent_id = f"pvagent:{quote(actor, safe='')}"
        if actor not in agents:
            agents.add(actor)
            doc.agent(agent_id, {"prov:label": actor})
        return agent_id
    for v in lineage.versions + lineage.outside:
        attrs: dict[str, Any] = {
            PROV_TYPE: pv["Version"],
            "prov:label": lineage.names[v.id],
            "pv:number": v.number,
            "pv:contentHash": v.content_hash,
            "pv:registeredAt": v.registered_at,
        }
        for name, value in (
            ("pv:versionLabel", v.label),
            ("pv:source", v.source),
            ("pv:capturedAt", v.captured_at),
        ):
            if value is not None:
                attrs[name] = value
        if v.meta:
            attrs["pv:meta"] = json.dumps(v.meta, ensure_ascii=False, sort_keys=True)
        entity = doc.entity(f"pvver:{v.id}", attrs)
        content_id = "blake3:" + v.content_hash.removeprefix("blake3:")
        if v.content_hash not in seen_contents:
            seen_contents.add(v.content_hash)
            size, chars, encoding = sizes.get(v.content_hash, (None, None, None))
            held = {PROV_TYPE: pv["Content"], "pv:size": size, "pv:chars": chars}
            if encoding is not None:  # the bytes' encoding when not UTF-8
                held["pv:encoding"] = encoding
            doc.entity(content_id, held)
        doc.specializationOf(entity, content_id)
        if v.document_id == lineage.document.id:
            doc.hadMember(collection, entity)
            when = _time(v.registered_at)
            activity = doc.activity(f"pvreg:{v.id}", when, when, {PROV_TYPE: pv["Registration"]})
            doc.wasGeneratedBy(entity, activity, when)
            doc.wasAssociatedWith(activity, agent(lineage.actors[v.id]))
        for seen in lineage.seen.get(v.id, ()):
            sighting = {PROV_TYPE: pv["Sighting"], "pv:recordedAt": seen.recorded_at}
            for name, value in (("pv:source", seen.source), ("pv:capturedAt", seen.captured_at)):
                if value is not None:
                    sighting[name] = value
            if seen.meta:
                sighting["pv:meta"] = json.dumps(seen.meta, ensure_ascii=False, sort_keys=True)
            when = _time(seen.captured_at or seen.recorded_at)
            activity = doc.activity(f"pvsight:{seen.id}", when, when, sighting)
            doc.used(activity, entity, when)
            doc.wasAssociatedWith(activity, agent(seen.recorded_by or audit.UNKNOWN_ACTOR))
    for ln in lineage.links:
        child, parent = f"pvver:{ln.child_id}", f"pvver:{ln.parent_id}"
        activity = f"pvreg:{ln.child_id}"
        doc.used(activity, parent)
        attrs = {"pv:relation": ln.relation, "pv:link": ln.id}
        if ln.relation == "revision":
            doc.wasRevisionOf(child, parent, activity, other_attributes=attrs)
        elif ln.relation == "excerpt":
            doc.wasQuotedFrom(child, parent, activity, other_attributes=attrs)
        else:
            doc.wasDerivedFrom(child, parent, activity, other_attributes=attrs)
    return doc


def prov_json(session: Session, key: str) -> tuple[str, ExportReport]:
    """(PROV-JSON text, report) for a document's lineage."""
    doc = prov_document(session, key)
    lineage = _lineage(session, key)
    text = doc.serialize(format="json", indent=2) + "\n"
    report = ExportReport(
        lineage.document.key, "prov-json", None, len(lineage.versions), len(lineage.links), ()
    )
    return text, report


def bagit_bag(session: Session, key: str, folder: Path) -> ExportReport:
    """Write a BagIt bag of the document into ``folder`` (new or empty).

    Payload: ``data/versions/NNNN.txt`` (each version's exact bytes),
    ``data/versions.json`` (number, hash, encoding, metadata and sightings per file),
    ``data/prov.json``
    and, when the log has one, ``data/checkpoint.txt`` (the latest signed
    checkpoint). Manifests use SHA-256 and SHA-512, as BagIt requires; the
    BLAKE3 hashes the archive uses are in versions.json and the PROV document.

    The bag is made whole in a temporary folder beside ``folder`` (private,
    0700) and then renamed to it: a failure (a full disk) leaves no partial bag.
    """
    bagit = _require("bagit")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(f"{folder}: the bag folder must be new or empty")
    text, _report = prov_json(session, key)
    lineage = _lineage(session, key)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    except OSError as exc:
        raise InputError(f"{folder}: cannot write the bag: {exc.strerror or exc}") from None
    try:
        files = _write_bag(session, bagit, lineage, text, building)
        os.replace(building, folder)
    except (OSError, bagit.BagError) as exc:
        shutil.rmtree(building, ignore_errors=True)
        reason = getattr(exc, "strerror", None) or exc
        raise InputError(f"{folder}: cannot write the bag: {reason}") from None
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return ExportReport(
        lineage.document.key,
        "bagit",
        str(folder),
        len(lineage.versions),
        len(lineage.links),
        tuple("data/" + f for f in files),
    )


def _write_bag(
    session: Session, bagit: Any, lineage: _Lineage, text: str, folder: Path
) -> list[str]:
    """Write the bag's payload into the empty ``folder`` and make it a bag; the payload's names."""
    (folder / "versions").mkdir()
    index = []
    files = []
    for v in lineage.versions:
        name = f"versions/{v.number:04d}.txt"
        (folder / name).write_bytes(contents.get_bytes(session, v.content_hash))
        files.append(name)
        index.append(
            {
                "file": "data/" + name,
                "name": lineage.names[v.id],
                "version": v.id,
                "number": v.number,
                "hash": v.content_hash,
                "label": v.label,
                "source": v.source,
                "captured_at": v.captured_at,
                "registered_at": v.registered_at,
                "meta": v.meta,
                "registered_by": lineage.actors[v.id],
                "encoding": contents.encoding_of(session, v.content_hash) or "utf-8",
                "sightings": [
                    {
                        "source": seen.source,
                        "captured_at": seen.captured_at,
                        "recorded_at": seen.recorded_at,
                        "recorded_by": seen.recorded_by,
                        "meta": seen.meta,
                    }
                    for seen in lineage.seen.get(v.id, ())
                ],
            }
        )
    (folder / "versions.json").write_text(
        json.dumps(index, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (folder / "prov.json").write_text(text, encoding="utf-8")
    files += ["versions.json", "prov.json"]
    head = proofs.latest(session)
    if head is not None:
        (folder / "checkpoint.txt").write_text(head.text, encoding="utf-8")
        files.append("checkpoint.txt")
    bag_info = {
        "External-Identifier": lineage.document.key,
        "External-Description": (
            f"Versions and lineage of document {lineage.document.key!r}, exported by provenance"
        ),
        "Content-Hash-Algorithm": (
            "BLAKE3: each version's blake3 hash of its exact bytes is in data/versions.json "
            "and data/prov.json; the manifests use SHA-256 and SHA-512 as BagIt requires"
        ),
    }
    bagit.make_bag(str(folder), bag_info, checksums=["sha256", "sha512"])
    return files
