"""Changing a version's label and metadata, the only fields of a version that may change.

The bytes, the document, the number and the times of a registration are
fixed; a label ("as printed", "retracted") and free metadata may be corrected
later. Each change appends a ``version.annotated`` event with the old and new
values, so the current label and metadata are the registered ones with every
annotation replayed in order, which `prov verify` checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from provenance import audit, refs, validate
from provenance.errors import InputError


@dataclass(frozen=True, slots=True)
class AnnotateReport:
    """What `prov annotate` did; ``event`` is None when nothing changed."""

    version: int
    name: str
    old_label: str | None
    new_label: str | None
    old_meta: dict[str, Any]
    new_meta: dict[str, Any]
    event: int | None


def annotate(
    session: Session,
    ref: refs.Ref,
    *,
    label: str | None = None,
    clear_label: bool = False,
    meta: dict[str, Any] | None = None,
    unset_meta: list[str] | None = None,
    actor: str = audit.UNKNOWN_ACTOR,
) -> AnnotateReport:
    """Set (or clear) the label of ``ref`` and set or remove metadata keys.

    Every value obeys `provenance.validate`, and the metadata after the change
    does too (its size is the whole version's), before anything is written.
    """
    if label is None and not clear_label and not meta and not unset_meta:
        raise InputError("nothing to change: give --label, --clear-label, --meta or --unset-meta")
    if label is not None and clear_label:
        raise InputError("--label and --clear-label contradict each other")
    validate.label(label)
    meta = validate.meta(meta)
    for key in unset_meta or []:
        validate.meta_key(key, field="--unset-meta")
    validate.actor(actor)
    if isinstance(ref, str):
        validate.reference(ref, field="REF")
    version = refs.resolve(session, ref)
    name = refs.version_name(session, version)
    old_label, old_meta = version.label, dict(version.meta or {})
    new_label = None if clear_label else (label if label is not None else old_label)
    new_meta = dict(old_meta)
    for key in unset_meta or []:
        if key not in new_meta:
            raise InputError(f"{name} has no metadata key {key!r} to unset")
        del new_meta[key]
    new_meta.update(meta)
    new_meta = validate.meta(new_meta)
    if (new_label, new_meta) == (old_label, old_meta):
        return AnnotateReport(version.id, name, old_label, new_label, old_meta, new_meta, None)
    version.label = new_label
    version.meta = new_meta
    session.add(version)
    session.flush()
    time = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    event = audit.version_annotated(
        session,
        version.id,
        {"label": old_label, "meta": old_meta},
        {"label": new_label, "meta": new_meta},
        actor,
        time,
    )
    return AnnotateReport(version.id, name, old_label, new_label, old_meta, new_meta, event.seq)
