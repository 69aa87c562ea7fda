"""What changed with each new version: the newest versions, each with its diff from
its first parent, read in one snapshot, for a reader who follows an archive or a
document (the HTTP service's Atom feeds).

The diff is read through a lens: the one asked for, else ``cjk`` for a text that
is mostly Chinese, Japanese or Korean (where the spaces of layout and word
segmentation are noise) and ``whitespace`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from provenance import archive as ops
from provenance import refs
from provenance.lenses import check_profile, is_cjk
from provenance.models import Version
from provenance.records import DiffReport, VersionInfo

CJK_SHARE = 0.3
"""The share of a text's visible characters that makes it a CJK text."""

SAMPLE = 4000
"""Visible characters of a text read to decide (its beginning)."""


@dataclass(frozen=True, slots=True)
class Change:
    """A version, and its diff from its first parent under ``lens`` (None: it has no parent)."""

    info: VersionInfo
    diff: DiffReport | None
    lens: str


def is_cjk_text(text: str) -> bool:
    """Whether ``text`` is mostly Chinese, Japanese or Korean (its first `SAMPLE` visible characters)."""
    visible = [ch for ch in text[: SAMPLE * 2] if not ch.isspace()][:SAMPLE]
    return bool(visible) and sum(map(is_cjk, visible)) >= CJK_SHARE * len(visible)


def newest(session: Session, *, doc: str | None = None, count: int, lens: str | None = None) -> list[Change]:
    """The newest ``count`` versions (of ``doc``, or of the whole archive), newest
    first, each with its diff from its first parent (``lens`` None: chosen by its text)."""
    if lens is not None:
        check_profile(lens)
    query = sa.select(Version.id).order_by(Version.id.desc()).limit(max(0, count))
    if doc is not None:
        query = query.where(Version.document_id == refs.find_document(session, doc).id)
    return [_change(session, vid, lens) for vid in session.execute(query).scalars()]


def _change(session: Session, version: int, lens: str | None) -> Change:
    info = ops.show(session, session.get(Version, version))  # never a REF: a file could shadow it
    text = ops.texts(session, (version,))[version]
    chosen = lens or ("cjk" if is_cjk_text(text) else "whitespace")
    report = None
    if info.parents:
        first = info.parents[0]
        a = ops.Side(first.parent, first.parent_name, ops.texts(session, (first.parent,))[first.parent])
        report = ops.diff_sides(a, ops.Side(version, info.name, text), profile=chosen)
    return Change(info, report, chosen)
