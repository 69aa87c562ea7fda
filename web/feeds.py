"""Atom feeds (RFC 4287): one entry per new version, carrying its edits.

An entry's summary is the edit summary from the version's first parent (how
many edits, characters inserted and deleted, similarity, the kinds); its
content lists the edits themselves as XHTML ``<del>``/``<ins>``. The entries
are what `Archive.changes` returns (the edits under a lens: ``cjk`` for a text
that is mostly CJK, where layout spaces are noise, ``whitespace`` otherwise, or
the lens the reader asks for with ``?normalize=``). Written with the standard
library's `xml.etree.ElementTree`.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree as ET

from provenance.changes import Change
from provenance.kinds import summary_text

ATOM = "http://www.w3.org/2005/Atom"
XHTML = "http://www.w3.org/1999/xhtml"
MEDIA_TYPE = "application/atom+xml"
EDITS_SHOWN = 200  # edits listed in one entry; the summary counts them all
def summary(c: Change) -> str:
    if c.diff is None:
        return f"{c.info.name}: the document's first version ({c.info.chars:,} characters)"
    s = c.diff.stats
    kinds = f": {summary_text(c.diff.kinds)}" if c.diff.kinds else ""
    moves = f", {len(c.diff.moves)} moved" if c.diff.moves else ""
    return (
        f"{c.info.name} from {c.diff.a_name} under the {c.lens} lens: {s.edits} edits "
        f"(+{s.inserted} -{s.deleted} characters{moves}), similarity {s.similarity:.1%}{kinds}"
    )


def _sub(parent: ET.Element, tag: str, text: str | None = None, ns: str = ATOM, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def _content(entry: ET.Element, c: Change) -> None:
    content = _sub(entry, "content", type="xhtml")
    div = _sub(content, "div", ns=XHTML)
    _sub(div, "p", summary(c), ns=XHTML)
    if c.diff is None or not c.diff.edits:
        return
    ol = _sub(div, "ol", ns=XHTML)
    for e in c.diff.edits[:EDITS_SHOWN]:
        li = _sub(ol, "li", ns=XHTML, **{"class": f"{e.op} {e.kind or ''}".strip()})
        if e.old:
            _sub(li, "del", e.old, ns=XHTML)
        if e.new:
            _sub(li, "ins", e.new, ns=XHTML)
    hidden = len(c.diff.edits) - EDITS_SHOWN
    if hidden > 0:
        _sub(div, "p", f"and {hidden} more edits", ns=XHTML)


def feed(
    *, title: str, self_uri: str, feed_id: str, changes: Sequence[Change], entry_uri, updated: str
) -> bytes:
    """The feed document; ``entry_uri(change)`` is an entry's id and link."""
    root = ET.Element(f"{{{ATOM}}}feed")
    _sub(root, "title", title)
    _sub(root, "id", feed_id)
    _sub(root, "link", rel="self", href=self_uri, type=MEDIA_TYPE)
    _sub(root, "updated", max((c.info.registered_at for c in changes), default=updated))
    author = _sub(root, "author")
    _sub(author, "name", "provenance")
    _sub(root, "generator", "provenance")
    for c in changes:
        entry = _sub(root, "entry")
        uri = entry_uri(c)
        label = f" ({c.info.label})" if c.info.label else ""
        _sub(entry, "title", f"{c.info.name}{label}")
        _sub(entry, "id", uri)
        _sub(entry, "link", rel="alternate", href=uri)
        _sub(entry, "published", c.info.registered_at)
        _sub(entry, "updated", c.info.registered_at)
        if c.info.registered_by:
            _sub(_sub(entry, "author"), "name", c.info.registered_by)
        _sub(entry, "summary", summary(c))
        _content(entry, c)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
