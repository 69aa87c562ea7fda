"""Server-rendered pages over `provenance.Archive`: what a journalist or an auditor reads.

Every page parses its request, asks the archive in ``request.app.state.archive``
(through `Archive`'s methods, or `gateway` for what `Archive` lacks yet; a REF
always through ``Archive.resolve(ref, files=False)``, never a server file) and
renders the report it gets back with a Jinja2 template (autoescaped: a text
holding ``<script>`` shows as text). The pages work without JavaScript: lens,
grain and view are plain GET forms, identify is a POST form.

Pages: documents (``/``), a document's timeline, a version, compare, identify,
blame, the events log, checkpoints and proofs. `render_diff` turns a
`DiffReport` into the pieces the templates draw; `lineage_svg` lays out a
document's lineage for its inline SVG.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.routing import NoMatchFound

from provenance import Archive, audit
from provenance.errors import AmbiguousRefError, InputError, NotFoundError, ProvenanceError
from provenance.granularity import GRAINS
from provenance.kinds import KINDS
from provenance.lenses import DEFAULT_PROFILE, PROFILES, is_cjk
from provenance.records import DiffReport, LogReport
from provenance.text import charset
from provenance.validate import RELATIONS

from . import gateway

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"

router = APIRouter()
logger = logging.getLogger(__name__)

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,  # every page: a text is data, never markup
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=_env)

MAX_PASTE = 5 * 1024 * 1024
"""Largest text the identify box takes (bytes): a long newspaper page is 50 KB."""

EVENTS_PER_PAGE = 50
SEQ_MAX = 2**63 - 1  # the largest sequence number the log's column holds: a cursor past it is refused

FOLD = 1200
"""Unchanged runs longer than this (code points) are folded in a diff, keeping
``CONTEXT`` either side; the fold opens without JavaScript (``<details>``)."""
CONTEXT = 240

PREVIEW = 20_000
"""Code points of a version's text shown on its page (the raw download has all)."""

BLAME_COLOURS = 8  # background classes .b0 to .b7 in style.css


# -- addresses -----------------------------------------------------------------


def document_url(key: str) -> str:
    return "/documents/" + quote(key, safe="")


def version_url(name: str) -> str:
    return "/versions/" + quote(name, safe="@")


def page_url(path: str, **params: Any) -> str:
    given = {k: v for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urlencode(given) if given else "")


def lang_of(text: str) -> str:
    """``zh`` for a text mostly in Chinese characters (its ``lang`` attribute), else ``""``."""
    sample = [c for c in text[:4000] if not c.isspace()]
    if not sample:
        return ""
    return "zh" if sum(is_cjk(c) for c in sample) / len(sample) > 0.3 else ""


def short_time(value: str | None) -> str:
    """An ISO time to the second, for tables (the full value is in the ``title``)."""
    if not value:
        return ""
    return value.replace("T", " ")[:19]


_env.globals.update(
    document_url=document_url,
    version_url=version_url,
    page_url=page_url,
    PROFILES=PROFILES,
    GRAINS=GRAINS,
    KINDS=KINDS,
)
_env.filters.update(lang=lang_of, short_time=short_time)


def raw_url(request: Request, name: str) -> str:
    """Where a version's bytes download: the API's raw route (ETag, conditional GET)
    when the app serves the API, else this router's own."""
    try:
        return str(request.app.url_path_for("raw", ref=quote(name, safe="/@")))
    except NoMatchFound:
        return page_url("/raw", ref=name)


def archive_of(request: Request) -> Archive:
    return request.app.state.archive


def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    return templates.TemplateResponse(request, template, context, status_code=status)


def error_page(request: Request, exc: ProvenanceError) -> Response:
    """A domain error as a page: 404 unknown, 409 ambiguous (with the candidates), 400 otherwise."""
    if isinstance(exc, NotFoundError):
        status, title = 404, "Not found"
    elif isinstance(exc, AmbiguousRefError):
        status, title = 409, "More than one version matches"
    elif isinstance(exc, InputError):
        status, title = 400, "This request cannot be answered"
    else:  # the store or the record itself: its message may name a path, so it stays in the log
        logger.error("page %s: %s", request.url.path, exc)
        return page(
            request, "error.html", 503, title="The archive could not answer",
            message="The archive cannot be read right now; its operator will find why in the server log.",
            candidates=[],
        )
    candidates = exc.candidates if isinstance(exc, AmbiguousRefError) else []
    return page(request, "error.html", status, title=title, message=str(exc), candidates=candidates)


def _choice(value: str | None, allowed: Any, default: str) -> str:
    return value if value in allowed else default


# -- static files --------------------------------------------------------------


@router.get("/static/{name}", include_in_schema=False, name="page_static")
def static(name: str) -> Response:
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})


# -- documents and versions -----------------------------------------------------


@router.get("/", include_in_schema=False, name="page_documents")
def documents(request: Request, q: str = "") -> Response:
    try:
        found = archive_of(request).documents(matching=q)
    except ProvenanceError as exc:
        return error_page(request, exc)
    return page(request, "documents.html", query=q, documents=found)


@router.get("/documents", include_in_schema=False, name="page_documents_alias")
def documents_alias(q: str = "") -> Response:
    return RedirectResponse(page_url("/", q=q), status_code=307)


@router.get("/documents/{key:path}", include_in_schema=False, name="page_document")
def document(request: Request, key: str) -> Response:
    try:
        log = archive_of(request).log(key)
    except ProvenanceError as exc:
        return error_page(request, exc)
    return page(request, "document.html", log=log, lineage=lineage_svg(log))


@router.get("/versions/{ref:path}", include_in_schema=False, name="page_version")
def version(request: Request, ref: str) -> Response:
    try:
        found = archive_of(request).version(ref, files=False)
    except ProvenanceError as exc:
        return error_page(request, exc)
    info, text = found.info, found.text
    return page(
        request,
        "version.html",
        info=info,
        raw=raw_url(request, info.name),
        preview=text[:PREVIEW],
        truncated=len(text) > PREVIEW,
        children=list(found.children),
        events=found.events,
        proofs_possible=found.provable,
        meta_json=json.dumps(info.meta, ensure_ascii=False, indent=2) if info.meta else "",
    )


@router.get("/raw", include_in_schema=False, name="page_raw")
def raw(request: Request, ref: str = "") -> Response:
    """The exact registered bytes, in the charset their content records, as a download
    named DOC@N.txt."""
    archive = archive_of(request)
    try:
        vid = archive.resolve(ref, files=False)
        info = archive.show(str(vid))
        data = archive.raw(str(vid))
    except ProvenanceError as exc:
        return error_page(request, exc)
    filename = quote(f"{info.name}.txt", safe="@")
    return Response(
        data,
        media_type=f"text/plain; charset={charset(info.encoding)}",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{filename}",
            "ETag": f'"{info.hash}"',
        },
    )


# -- compare -------------------------------------------------------------------


@router.get("/compare", include_in_schema=False, name="page_compare")
def compare(
    request: Request,
    a: str = "",
    b: str = "",
    lens: str = DEFAULT_PROFILE,
    by: str = "char",
    view: str = "inline",
    only: str = "",
) -> Response:
    lens = _choice(lens, PROFILES, DEFAULT_PROFILE)
    by = _choice(by, GRAINS, "char")
    view = _choice(view, ("inline", "side"), "inline")
    only = _choice(only, KINDS, "")
    form = {"a": a, "b": b, "lens": lens, "by": by, "view": view, "only": only}
    if not a.strip() or not b.strip():
        return page(request, "compare.html", form=form, diff=None)
    archive = archive_of(request)
    try:
        report = archive.diff(
            a, b, files=False, fields=("a", "b"), profile=lens, by=by, only=only or None
        )
    except ProvenanceError as exc:
        return error_page(request, exc)
    shown = render_diff(report, report.a_text, report.b_text)
    return page(request, "compare.html", form=form, diff=shown)


# -- identify ------------------------------------------------------------------


@router.get("/identify", include_in_schema=False, name="page_identify_form")
def identify_form(request: Request) -> Response:
    return page(request, "identify.html", result=None, form={"text": "", "doc": "", "encoding": ""})


@router.post("/identify", include_in_schema=False, name="page_identify")
async def identify(
    request: Request,
    text: str = Form(""),
    file: UploadFile | None = File(None),
    doc: str = Form(""),
    encoding: str = Form(""),
) -> Response:
    form = {"text": text, "doc": doc, "encoding": encoding}
    uploaded = await file.read(MAX_PASTE + 1) if file is not None and file.filename else b""
    if uploaded:
        data, name, from_box = uploaded, file.filename or "upload", False
    else:
        # A text box sends its line breaks as CRLF (HTML's form encoding, not the
        # user's text): read them back as LF, and say so on the page.
        data, name, from_box = text.replace("\r\n", "\n").encode("utf-8"), "pasted text", True
    if not data:
        return page(request, "identify.html", 400, result=None, form=form, problem="Paste a text or choose a file.")
    if len(data) > MAX_PASTE:
        return page(
            request, "identify.html", 413, result=None, form=form,
            problem=f"The text is larger than {MAX_PASTE // (1024 * 1024)} MB; identify it with the command line.",
        )
    archive = archive_of(request)
    chosen = (encoding.strip() or None) if not from_box else None
    try:
        pasted = gateway.read_pasted(data, name, chosen)
        report = archive.identify(data, name=name, doc=doc.strip() or None, encoding=chosen)
        nearest = None
        if report.matches and report.matches[0].tier != "exact":
            best = report.matches[0]
            lens = best.diff.profile if best.diff else (best.profile if best.profile in PROFILES else "exact")
            diffed = archive.diff_text(
                str(best.version), data, name=name, encoding=chosen, files=False, profile=lens
            )
            nearest = render_diff(diffed, diffed.a_text, diffed.b_text)
    except ProvenanceError as exc:
        return page(request, "identify.html", 400, result=None, form=form, problem=str(exc))
    return page(
        request,
        "identify.html",
        result=report,
        nearest=nearest,
        name=name,
        from_box=from_box,
        chars=len(pasted.text),
        form=form if from_box else {**form, "text": ""},
    )


# -- blame ---------------------------------------------------------------------


@router.get("/blame", include_in_schema=False, name="page_blame")
def blame(request: Request, ref: str = "", lens: str = "exact") -> Response:
    lens = _choice(lens, PROFILES, "exact")
    if not ref.strip():
        return page(request, "blame.html", form={"ref": ref, "lens": lens}, report=None)
    archive = archive_of(request)
    try:
        vid = archive.resolve(ref, files=False)
        report = archive.blame(str(vid), None if lens == "exact" else lens)
        text = report.text
    except ProvenanceError as exc:
        return error_page(request, exc)
    order = sorted(report.versions)
    colour = {v: i % BLAME_COLOURS for i, v in enumerate(order)}
    chars: dict[int, int] = dict.fromkeys(order, 0)
    spans = []
    for s in report.spans:
        who = report.versions[s.introduced_by]
        chars[s.introduced_by] += s.end - s.start
        spans.append((text[s.start : s.end], who, colour[s.introduced_by], order.index(s.introduced_by) + 1))
    legend = [(report.versions[v], colour[v], i + 1, chars[v]) for i, v in enumerate(order)]
    return page(
        request,
        "blame.html",
        form={"ref": report.name, "lens": lens},
        report=report,
        spans=spans,
        legend=legend,
        lang=lang_of(text),
    )


# -- the audit log, checkpoints and proofs -------------------------------------


@router.get("/events", include_in_schema=False, name="page_events")
def events(
    request: Request,
    before: int | None = Query(None, ge=1, le=SEQ_MAX),
    after: int | None = Query(None, ge=0, le=SEQ_MAX),
    about: str = "",
    actor: str = "",
    kind: str = "",
) -> Response:
    kind = _choice(kind, audit.KINDS, "")
    filters: dict[str, Any] = {"files": False}
    form = {"about": about, "actor": actor, "kind": kind}
    try:
        if about.strip():
            filters["about"] = about.strip()
        if actor.strip():
            filters["actor"] = actor.strip()
        if kind:
            filters["kinds"] = (kind,)
        shown = gateway.events_page(
            archive_of(request), size=EVENTS_PER_PAGE, before=before, after=after, **filters
        )
    except ProvenanceError as exc:
        return error_page(request, exc)
    return page(request, "events.html", shown=shown, form=form, kinds=audit.KINDS)


@router.get("/checkpoints", include_in_schema=False, name="page_checkpoints")
def checkpoints(request: Request) -> Response:
    try:
        found = archive_of(request).checkpoints()
    except ProvenanceError as exc:
        return error_page(request, exc)
    return page(request, "checkpoints.html", checkpoints=list(reversed(found)))


@router.get("/checkpoints/{checkpoint_id}.txt", include_in_schema=False, name="page_checkpoint_text")
def checkpoint_text(request: Request, checkpoint_id: int) -> Response:
    for c in archive_of(request).checkpoints():
        if c.id == checkpoint_id:
            return Response(
                c.text,
                media_type="text/plain; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="checkpoint-{c.id}.txt"'},
            )
    return error_page(request, NotFoundError(f"no checkpoint {checkpoint_id}"))


@router.get("/proof", include_in_schema=False, name="page_proof")
def proof(request: Request, ref: str = "", old: str = "", new: str = "") -> Response:
    """An inclusion proof of a version (``ref``) or a consistency proof between two
    checkpoints (``old``, ``new``), as the JSON bundle `prov verify-proof` checks."""
    archive = archive_of(request)
    try:
        if old.strip() or new.strip():
            report = archive.prove(consistency=(old.strip(), new.strip()))
            names = [n.strip().removeprefix("id:") for n in (old, new)]
            filename = f"consistency-{names[0]}-{names[1]}.json"
        else:
            vid = archive.resolve(ref, files=False)
            report = archive.prove(str(vid))
            filename = f"inclusion-{report.name}.json"
    except ProvenanceError as exc:
        return error_page(request, exc)
    return Response(
        report.bundle,
        media_type="application/json",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='@')}"},
    )


# -- drawing a diff ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of text in a drawn diff. ``role``: same, fold (unchanged, folded),
    ins, del, outside (material outside the passages, not compared), from and to
    (a moved block's old and new place); ``kind``: the edit's kind, or for outside
    material the text it is from (A or B); ``move``: the move's number (1-based)."""

    role: str
    text: str
    kind: str | None = None
    move: int = 0


@dataclass(frozen=True, slots=True)
class _Op:
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    old: str
    new: str
    role: str  # edit, outside, from, to
    kind: str | None = None
    move: int = 0


@dataclass(frozen=True, slots=True)
class DrawnDiff:
    """A `DiffReport` laid out for a page: ``inline`` (None when the passages stand
    in another order in each text, so one column cannot show both), and ``left``
    and ``right`` for side by side; ``counts`` of what is marked."""

    report: DiffReport
    inline: tuple[Piece, ...] | None
    left: tuple[Piece, ...]
    right: tuple[Piece, ...]
    inserted: int
    deleted: int
    replaced: int
    lang_a: str
    lang_b: str
    a_chars: int
    b_chars: int
    kinds: tuple[tuple[str, int], ...] = field(default=())


def _ops(report: DiffReport, a: str, b: str) -> list[_Op]:
    ops = [
        _Op(e.a_start, e.a_end, e.b_start, e.b_end, e.old, e.new, "edit" if e.inside else "outside", e.kind)
        for e in report.edits
    ]
    for n, m in enumerate(report.moves, 1):
        ops.append(_Op(m.a_start, m.a_end, m.b_at, m.b_at, a[m.a_start : m.a_end], "", "from", None, n))
        ops.append(_Op(m.a_at, m.a_at, m.b_start, m.b_end, "", b[m.b_start : m.b_end], "to", None, n))
    return ops


def _same(text: str, first: bool, last: bool) -> list[Piece]:
    """Unchanged text, folded when long (only its end shown at the start, its start at the end)."""
    if len(text) <= FOLD:
        return [Piece("same", text)] if text else []
    head = "" if first else text[:CONTEXT]
    tail = "" if last else text[-CONTEXT:]
    middle = text[len(head) : len(text) - len(tail)]
    return [p for p in (Piece("same", head), Piece("fold", middle), Piece("same", tail)) if p.text]


def _column(ops: list[_Op], text: str, side: str) -> list[Piece]:
    """One text with its side of every op marked (A: deletions, B: insertions)."""
    start, end = ("a_start", "a_end") if side == "a" else ("b_start", "b_end")
    marked = {"edit": "del" if side == "a" else "ins", "outside": "outside", "from": "from", "to": "to"}
    pieces: list[Piece] = []
    pos = 0
    for op in sorted(ops, key=lambda o: (getattr(o, start), getattr(o, end))):
        lo, hi = max(getattr(op, start), pos), getattr(op, end)
        if hi <= lo:
            continue
        pieces += _same(text[pos:lo], pos == 0, False)
        kind = side.upper() if op.role == "outside" else op.kind
        pieces.append(Piece(marked[op.role], text[lo:hi], kind, op.move))
        pos = hi
    pieces += _same(text[pos:], pos == 0, True)
    return pieces


def _inline(ops: list[_Op], b: str) -> list[Piece] | None:
    """One column: B's text with A's deleted material before each insertion; None when
    the ops do not stand in the same order in both texts."""
    ordered = sorted(ops, key=lambda o: (o.a_start, o.b_start, o.a_end))
    pieces: list[Piece] = []
    a_pos = b_pos = 0
    for op in ordered:
        if op.a_start < a_pos or op.b_start < b_pos:
            return None
        pieces += _same(b[b_pos : op.b_start], b_pos == 0, False)
        if op.role == "outside":
            if op.old:
                pieces.append(Piece("outside", op.old, "A"))
            if op.new:
                pieces.append(Piece("outside", op.new, "B"))
        else:
            if op.old:
                pieces.append(Piece("from" if op.role == "from" else "del", op.old, op.kind, op.move))
            if op.new:
                pieces.append(Piece("to" if op.role == "to" else "ins", op.new, op.kind, op.move))
        a_pos, b_pos = op.a_end, op.b_end
    pieces += _same(b[b_pos:], b_pos == 0, True)
    return pieces


def render_diff(report: DiffReport, a: str, b: str) -> DrawnDiff:
    """Lay out ``report`` (the edits from text ``a`` to text ``b``) for the templates."""
    ops = _ops(report, a, b)
    inside = [e for e in report.edits if e.inside]
    inline = _inline(ops, b)
    return DrawnDiff(
        report,
        tuple(inline) if inline is not None else None,
        tuple(_column(ops, a, "a")),
        tuple(_column(ops, b, "b")),
        sum(e.op == "insert" for e in inside),
        sum(e.op == "delete" for e in inside),
        sum(e.op == "replace" for e in inside),
        lang_of(a),
        lang_of(b),
        len(a),
        len(b),
        report.kinds,
    )


# -- drawing a lineage ---------------------------------------------------------

ROW = 56  # px between two versions in the lineage drawing
NODE_X = 170  # the versions' column; the links' arcs and names are drawn left of it
LANE = 30  # px between two arcs that would overlap


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    y: int
    label: str  # what the drawing writes beside the node
    inside: bool  # a version of this document (else a parent from another document)
    url: str


@dataclass(frozen=True, slots=True)
class Edge:
    relation: str
    path: str  # SVG path data
    label_x: int
    label_y: int
    title: str


@dataclass(frozen=True, slots=True)
class Lineage:
    width: int
    height: int
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    relations: tuple[str, ...]  # the relations drawn, for the legend
    node_x: int = NODE_X


def lineage_svg(log: LogReport) -> Lineage:
    """The document's versions top to bottom (oldest first) and every link to a
    parent as an arc on the left, each arc in the first lane where it overlaps no
    other (shortest first), named at its outermost point. Parents from
    other documents are drawn above, as squares."""
    ids = {e.version: e for e in log.versions}
    outer: list[tuple[int, str]] = []
    for e in log.versions:
        for p in e.parents:
            if p.parent not in ids and p.parent not in [o[0] for o in outer]:
                outer.append((p.parent, p.parent_name))
    y_of: dict[int, int] = {}
    nodes: list[Node] = []
    y = 28
    for vid, name in outer:
        y_of[vid] = y
        nodes.append(Node(name, y, name, False, version_url(name)))
        y += ROW
    for e in log.versions:
        y_of[e.version] = y
        when = short_time(e.captured_at or e.registered_at)[:10]
        tail = f" · {e.label}" if e.label else ""
        text = f"@{e.number}  {when}{tail}"
        nodes.append(Node(e.name, y, text if len(text) <= 32 else text[:31] + "…", True, version_url(e.name)))
        y += ROW
    links = sorted(
        ((y_of[p.parent], y_of[e.version], p.relation, f"{e.name} is a {p.relation} of {p.parent_name}")
         for e in log.versions for p in e.parents),
        key=lambda link: (abs(link[1] - link[0]), link[0]),
    )
    lanes: list[list[tuple[int, int]]] = []  # the y intervals each lane holds
    edges: list[Edge] = []
    for y1, y2, relation, title in links:
        lo, hi = min(y1, y2), max(y1, y2)
        lane = next(
            (k for k, held in enumerate(lanes) if all(hi <= a or lo >= b for a, b in held)),
            len(lanes),
        )
        if lane == len(lanes):
            lanes.append([])
        lanes[lane].append((lo, hi))
        reach = min(NODE_X - 10, 20 + LANE * lane)  # a cubic with both handles at x - reach bulges 3/4 of it
        x = NODE_X - 9
        edges.append(
            Edge(
                relation,
                f"M {x} {y1} C {x - reach} {y1}, {x - reach} {y2}, {x} {y2}",
                x - (3 * reach) // 4 - 4,
                (y1 + y2) // 2 + 4,
                title,
            )
        )
    relations = tuple(r for r in RELATIONS if any(ed.relation == r for ed in edges))
    return Lineage(NODE_X + 260, max(y - ROW // 2, 40), tuple(nodes), tuple(edges), relations)
