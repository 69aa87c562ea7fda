"""The HTTP API: every read and write the CLI has, over `provenance.Archive`.

Each route parses its request, calls one `Archive` method and answers with
the report it returns, serialised by `provenance.records.to_json`: the very
document ``prov ... --json`` prints, and the OpenAPI schema of each answer is
generated from that same type. Lists (documents, versions, events) come a
page at a time; the next page's URL is in the ``Link`` header
(``rel="next"``), its cursor the last item's key, so writes between two
pages neither repeat nor skip an item that was there. See docs/http.md.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, Field

from provenance import Archive, audit, validate
from provenance.annotate import AnnotateReport
from provenance.blame import BlameReport
from provenance.changes import Change
from provenance.errors import NotFoundError
from provenance.events import EventsReport
from provenance.granularity import GRAINS
from provenance.hashing import PREFIX
from provenance.identify import IdentifyReport
from provenance.importer import ImportReport
from provenance.index import ReindexReport
from provenance.kinds import KINDS as EDIT_KINDS
from provenance.lenses import PROFILES
from provenance.proofs import CheckpointReport, ProofReport
from provenance.records import (
    DiffReport,
    DocumentSummary,
    LinkReport,
    LogReport,
    RegisterReport,
    TraceReport,
    VersionInfo,
    to_json,
)
from provenance.text import charset
from provenance.verify import VerifyReport
from provenance_web import feeds, memento
from provenance_web.access import admin, bearer, needs, reader, writer
from provenance_web.errors import ApiError, ErrorBody
from provenance_web.refs import stable

router = APIRouter()

TEXT = "text/plain; charset=utf-8"


def _text_type(encoding: str | None) -> str:
    """The media type of a content's bytes: plain text in the charset it records."""
    return f"text/plain; charset={charset(encoding)}"
"""The media type of every stored content: the record holds texts, stored as UTF-8."""

Reader = Annotated[Archive, Depends(reader)]
Writer = Annotated[Archive, Depends(writer)]
Admin = Annotated[Archive, Depends(admin)]

# The parameters that take one of a few names, as enums: the OpenAPI document lists
# the names, and any other is refused with 422 before a route runs. Each list is the
# library's own, so a lens or a kind added there is offered here.
Lens = Literal[tuple(PROFILES)]  # type: ignore[valid-type]
Grain = Literal[GRAINS]  # type: ignore[valid-type]
EditKind = Literal[tuple(EDIT_KINDS)]  # type: ignore[valid-type]
Relation = Literal[validate.RELATIONS]  # type: ignore[valid-type]
EventKind = Literal[audit.KINDS]  # type: ignore[valid-type]

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": what}
    for status, what in {
        400: "A malformed request (a JSON body that does not parse, an Accept-Datetime that is not an RFC 1123 date) or another problem the library reports.",
        401: "No token, or one that is not valid or was revoked (when one is needed).",
        403: "A token whose scope does not allow this.",
        404: "No such document, version or content.",
        409: "An ambiguous REF (`candidates` lists what it matches) or a lineage conflict.",
        413: "A request body above the server's limit.",
        422: "Invalid input: a parameter, a text that is not valid in its encoding (`offset`).",
        503: "The archive's database cannot be used.",
    }.items()
}


def _report(value: Any, tp: Any = None, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(to_json(value, tp), status_code=status, media_type="application/json", headers=headers)


def _ref(archive: Archive, ref: str, field: str = "ref") -> str:
    """The version ``ref`` names, as its id: resolved without reading a file of the
    server (`Archive.resolve` with ``files=False``), so no REF reaches a file."""
    return str(archive.resolve(ref, files=False, field=field))


def _url(request: Request, route: str, **params: str) -> str:
    """An absolute URL of a route; path parameters percent-encoded (``/`` too)."""
    return str(request.url_for(route, **{k: quote(v, safe="") for k, v in params.items()}))


# -- request bodies -----------------------------------------------------------

_TEXT_BODY = {
    "requestBody": {
        "required": True,
        "description": "The text's exact bytes, kept as sent (UTF-8 unless ?encoding= names another or a UTF-16/UTF-32 byte-order mark says which).",
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


async def _body(request: Request) -> bytes:
    return await request.body()


Body = Annotated[bytes, Depends(_body)]


class LinkRequest(BaseModel):
    """A lineage link to add: CHILD comes from PARENT (as `prov link`)."""

    child: str = Field(description="The version that comes from PARENT (REF).")
    parent: str = Field(description="The version it comes from (REF).")
    relation: Relation = Field(description="How CHILD comes from PARENT.")


class ImportEntry(BaseModel):
    """One entry of an import batch: a `prov import` manifest entry that carries its
    content (``text``, or ``base64`` for other bytes) instead of a ``path``."""

    model_config = ConfigDict(extra="forbid")

    doc: str = Field(description="The document's key.")
    text: str | None = Field(default=None, description="The content, registered as its UTF-8 bytes.")
    base64: str | None = Field(default=None, description="The content's exact bytes, base64 (standard alphabet, padded).")
    name: str | None = Field(default=None, description="What messages call the entry (default: BATCH:N).")
    parent: str | list[str] | None = Field(
        default=None, description="A version it comes from (REF, an earlier entry's too), or several for a merge."
    )
    relation: Relation | None = Field(default=None, description="How it comes from its parent (default: guessed).")
    source: str | None = Field(default=None, description="Where the text came from (URL, publication).")
    captured_at: str | None = Field(default=None, description="When it was published or captured (ISO 8601).")
    label: str | None = Field(default=None, description="A short label for the version.")
    encoding: str | None = Field(default=None, description="The base64 bytes' encoding when it is not UTF-8.")
    meta: dict[str, Any] | None = Field(default=None, description="Free metadata.")


_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "description": "The batch: a JSON array of entries, registered in order, all or none.",
        "content": {"application/json": {"schema": {"type": "array", "minItems": 1, "items": ImportEntry.model_json_schema()}}},
    }
}


class AnnotateRequest(BaseModel):
    """What to change of a version's label and metadata (as `prov annotate`)."""

    label: str | None = Field(default=None, description="The new label.")
    clear_label: bool = Field(default=False, description="Remove the label.")
    meta: dict[str, Any] = Field(default_factory=dict, description="Metadata keys to set.")
    unset_meta: list[str] = Field(default_factory=list, description="Metadata keys to remove.")


# -- pagination ---------------------------------------------------------------


def _cursor(kind: str, after: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([kind, after]).encode()).rstrip(b"=").decode()


def _after(kind: str, cursor: str | None, tp: type) -> Any:
    if cursor is None:
        return None
    try:
        found_kind, after = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        found_kind, after = None, None
    if (
        found_kind != kind
        or not isinstance(after, tp)
        or isinstance(after, bool)
        or (isinstance(after, int) and not 0 <= after < 2**63)  # a key the database holds
    ):
        raise ApiError(422, "invalid_cursor", "the cursor is not one this list gave; start again without it")
    return after


def _page_size(request: Request, limit: int | None) -> int:
    settings = request.app.state.settings
    if limit is None:
        return settings.page_size
    if limit > settings.max_page_size:
        raise ApiError(422, "invalid_request", f"limit: at most {settings.max_page_size}")
    return limit


def _next_link(request: Request, kind: str, after: Any, size: int) -> dict[str, str]:
    url = request.url.include_query_params(cursor=_cursor(kind, after), limit=size)
    return {"Link": f'<{url}>; rel="next"'}


Cursor = Annotated[str | None, Query(description="The cursor of the next page (from the Link header).")]
Limit = Annotated[int | None, Query(ge=1, description="Items per page (the server's page size if not given).")]
Profile = Annotated[Lens, Query(description="The lens the texts are compared through.")]


# -- documents and versions ---------------------------------------------------


@router.get("/documents", response_model=list[DocumentSummary], responses=_ERRORS, tags=["documents"])
def documents(
    request: Request,
    archive: Reader,
    matching: Annotated[str, Query(max_length=1024, description="Only documents whose key contains this (ignoring case).")] = "",
    cursor: Cursor = None,
    limit: Limit = None,
) -> Response:
    """Every document, by key (`prov docs`), a page at a time; with ``matching``,
    those whose key contains it."""
    after = _after("documents", cursor, str)
    size = _page_size(request, limit)
    found = archive.documents(matching, after=after, limit=size + 1)
    page = found[:size]
    headers = _next_link(request, "documents", page[-1].document, size) if len(found) > size else None
    return _report(page, list[DocumentSummary], headers=headers)


@router.get(
    "/documents/{doc:path}/versions", response_model=LogReport, responses=_ERRORS, tags=["documents"]
)
def log(
    request: Request,
    doc: str,
    archive: Reader,
    profile: Profile = "exact",
    since: Annotated[str | None, Query(description="Registered at or after (ISO 8601).")] = None,
    captured_since: Annotated[str | None, Query(description="Captured at or after (ISO 8601).")] = None,
    only: Annotated[EditKind | None, Query(description="Count only the edits of this kind on each link.")] = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Response:
    """A document's versions, oldest first (`prov log`), a page at a time: ``shown``
    counts this page, ``matched`` all that pass the filters, ``newer`` those after
    this page. The library reads and compares the page's versions alone."""
    after = _after("versions", cursor, int)
    size = _page_size(request, limit)
    report = archive.log(
        doc,
        profile=profile,
        since=since,
        captured_since=captured_since,
        only=only,
        after=after,
        first=size,
    )
    more = report.newer and report.versions
    headers = _next_link(request, "versions", report.versions[-1].number, size) if more else None
    return _report(report, headers=headers)


@router.post(
    "/documents/{doc:path}/versions",
    status_code=201,
    response_model=RegisterReport,
    responses={
        200: {
            "model": RegisterReport,
            "description": "No new version: the body is already the document's latest version "
            "(outcome sighted or unchanged; see docs/sightings.md).",
        },
        **_ERRORS,
    },
    openapi_extra=_TEXT_BODY,
    tags=["writes"],
)
def register(
    request: Request,
    doc: str,
    archive: Writer,
    data: Body,
    parent: Annotated[list[str] | None, Query(description="A version this one comes from (REF); repeat for a merge.")] = None,
    relation: Annotated[Relation | None, Query(description="How it comes from its parent (default: guessed).")] = None,
    source: Annotated[str | None, Query(description="Where the text came from (URL, publication).")] = None,
    captured_at: Annotated[str | None, Query(description="When it was published or captured (ISO 8601).")] = None,
    label: Annotated[str | None, Query(description="A short label for the version.")] = None,
    meta: Annotated[list[str] | None, Query(description="Free metadata KEY=VALUE; repeatable.")] = None,
    encoding: Annotated[str | None, Query(description="The body's encoding when it is not UTF-8.")] = None,
    allow_empty: Annotated[bool, Query(description="Register an empty body (refused by default).")] = False,
    name: Annotated[str, Query(description="What messages call the text (e.g. its file name).")] = "the body",
    new_version: Annotated[bool, Query(description="A new version even when the body is already the document's latest version (by default a sighting of it).")] = False,
) -> Response:
    """Register the body as a new version of ``doc`` (`prov register`); 201 with the
    version's URL in ``Location``. A body that is already the document's latest
    version records a sighting of it instead (200, ``outcome`` ``sighted`` or
    ``unchanged``) unless ``new_version``."""
    parents = [_ref(archive, p, "parent") for p in parent or []]
    fields = validate.meta_pairs(meta, field="meta")
    report = archive.register(
        data,
        name=name,
        doc=doc,
        parents=parents,
        relation=relation,
        source=source,
        captured_at=captured_at,
        label=label,
        meta=fields,
        encoding=encoding,
        allow_empty=allow_empty,
        new_version=new_version,
    )
    status = 201 if report.outcome == "registered" else 200
    return _report(report, status=status, headers={"Location": _url(request, "show", ref=str(report.version))})


@router.get("/documents/{doc:path}/raw", response_class=Response, responses={200: {"content": {"text/plain": {}}}, **_ERRORS}, tags=["memento"])
def document_raw(request: Request, doc: str, archive: Reader) -> Response:
    """The document's latest text: the original resource (URI-R) of its Memento
    TimeGate and TimeMap."""
    info, data = archive.raw_version(f"{doc}@latest", files=False, unless=_held(request))
    headers = {
        "ETag": f'"{info.hash}"',
        "Cache-Control": "no-cache",
        "Link": ", ".join(
            [
                memento.link(_url(request, "timegate", doc=doc), "timegate"),
                memento.link(_url(request, "timemap", doc=doc), "timemap", type=memento.LINK_FORMAT),
            ]
        ),
    }
    if data is None:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=_text_type(info.encoding), headers=headers)


@router.get(
    "/documents/{doc:path}/timegate",
    status_code=302,
    response_class=Response,
    responses={302: {"description": "To the memento current at Accept-Datetime."}, **_ERRORS},
    tags=["memento"],
)
def timegate(
    request: Request,
    doc: str,
    archive: Reader,
    accept_datetime: Annotated[str | None, Header(description="RFC 1123, e.g. Sat, 26 Oct 2019 00:00:00 GMT.")] = None,
) -> Response:
    """Memento TimeGate (RFC 7089): a 302 to the version live at ``Accept-Datetime``: the
    one seen last at or before it (its capture time, else registration time, and its
    sightings'), the one seen last without it."""
    when = memento.parse_accept_datetime(accept_datetime) if accept_datetime else None
    found = memento.mementos(archive.log(doc).versions)
    if not found:
        raise NotFoundError("the document has no versions")
    chosen = memento.select(found, when)
    location = _url(request, "raw", ref=str(chosen.version))
    link = ", ".join(
        [
            memento.link(_url(request, "document_raw", doc=doc), "original"),
            memento.link(_url(request, "timemap", doc=doc), "timemap", type=memento.LINK_FORMAT),
            memento.link(location, "memento", datetime=memento.http_date(chosen.datetime)),
        ]
    )
    return Response(status_code=302, headers={"Location": location, "Vary": "accept-datetime", "Link": link})


@router.get(
    "/documents/{doc:path}/timemap",
    response_class=Response,
    responses={200: {"content": {memento.LINK_FORMAT: {}}}, **_ERRORS},
    tags=["memento"],
)
def timemap(request: Request, doc: str, archive: Reader) -> Response:
    """Memento TimeMap (RFC 7089): every version of the document, in link format."""
    found = memento.mementos(archive.log(doc).versions)
    if not found:
        raise NotFoundError("the document has no versions")
    body = memento.timemap(
        _url(request, "document_raw", doc=doc),
        _url(request, "timegate", doc=doc),
        _url(request, "timemap", doc=doc),
        found,
        lambda m: _url(request, "raw", ref=str(m.version)),
    )
    return Response(body, media_type=memento.LINK_FORMAT)


NormalizeQuery = Annotated[
    Lens | None,
    Query(description="The lens of the edits (default: cjk for a CJK text, whitespace otherwise)."),
]


def _atom(request: Request, changes: list[Change], title: str) -> Response:
    body = feeds.feed(
        title=title,
        self_uri=str(request.url),
        feed_id=str(request.url.remove_query_params("normalize")),
        changes=changes,
        entry_uri=lambda c: _url(request, "show", ref=str(c.info.version)),
        updated="1970-01-01T00:00:00Z",
    )
    return Response(body, media_type=feeds.MEDIA_TYPE)


@router.get(
    "/documents/{doc:path}/feed.atom",
    response_class=Response,
    responses={200: {"content": {feeds.MEDIA_TYPE: {}}}, **_ERRORS},
    tags=["feeds"],
)
def document_feed(request: Request, doc: str, archive: Reader, normalize: NormalizeQuery = None) -> Response:
    """Atom feed of a document: one entry per version, newest first, with its edits."""
    changes = archive.changes(doc, count=request.app.state.settings.feed_entries, lens=normalize)
    return _atom(request, changes, f"Versions of {doc}")


@router.get("/feed.atom", response_class=Response, responses={200: {"content": {feeds.MEDIA_TYPE: {}}}, **_ERRORS}, tags=["feeds"])
def archive_feed(request: Request, archive: Reader, normalize: NormalizeQuery = None) -> Response:
    """Atom feed of the whole archive: the newest versions of every document."""
    changes = archive.changes(count=request.app.state.settings.feed_entries, lens=normalize)
    return _atom(request, changes, "New versions in the archive")


@router.get(
    "/documents/{doc:path}/prov.json",
    responses={200: {"content": {"application/json": {}}, "description": "A W3C PROV-JSON document."}, **_ERRORS},
    tags=["documents"],
)
def export_prov_json(doc: str, archive: Reader) -> Response:
    """The document's lineage as W3C PROV-JSON (`prov export --format prov-json`)."""
    text, _ = archive.export_prov_json(doc)
    return Response(text, media_type="application/json")


@router.get("/documents/{doc:path}", response_model=DocumentSummary, responses=_ERRORS, tags=["documents"])
def document(doc: str, archive: Reader) -> Response:
    """One document's summary."""
    return _report(archive.document(doc))


# -- one version ---------------------------------------------------------------


def _held(request: Request) -> frozenset[str]:
    """The content hashes the client's ``If-None-Match`` names (``*``: any)."""
    given = request.headers.get("if-none-match") or ""
    tags = (t.strip().removeprefix("W/") for t in given.split(","))
    return frozenset(t if t == "*" else t.strip('"') for t in tags if t)


def _raw_response(
    digest: str, data: bytes | None, *, immutable: bool, headers: dict[str, str], encoding: str | None
) -> Response:
    """The bytes of ``digest`` in ``encoding``, or 304 when ``data`` is None (the client holds them)."""
    headers = {
        "ETag": f'"{digest}"',
        "Cache-Control": "public, max-age=31536000, immutable" if immutable else "no-cache",
        **headers,
    }
    if data is None:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=_text_type(encoding), headers=headers)


_RAW = {200: {"content": {"text/plain": {}}, "description": "The exact registered bytes, in the charset its Content-Type names."}, 304: {"description": "Not modified (If-None-Match)."}, **_ERRORS}


@router.get("/versions/{ref:path}/raw", response_class=Response, responses=_RAW, tags=["versions"])
def raw(request: Request, ref: str, archive: Reader) -> Response:
    """The exact bytes registered for a version (`prov show --raw`), a memento of its
    document: ``ETag`` is the content hash, ``Memento-Datetime`` its time."""
    info, data = archive.raw_version(ref, files=False, unless=_held(request))
    when = memento.seen_times(info.captured_at, info.registered_at, info.sightings)[0]
    link = ", ".join(
        [
            memento.link(_url(request, "document_raw", doc=info.document), "original"),
            memento.link(_url(request, "timegate", doc=info.document), "timegate"),
            memento.link(_url(request, "timemap", doc=info.document), "timemap", type=memento.LINK_FORMAT),
        ]
    )
    return _raw_response(
        info.hash,
        data,
        immutable=stable(ref),
        headers={"Memento-Datetime": memento.http_date(when), "Link": link},
        encoding=info.encoding,
    )


@router.get("/contents/{digest}/raw", response_class=Response, responses=_RAW, tags=["versions"])
def content_raw(request: Request, digest: str, archive: Reader) -> Response:
    """The bytes of a content, addressed by its whole hash (``blake3:`` optional): immutable."""
    data, encoding = archive.stored(digest)  # 422 for a malformed hash, 404 for one not stored, before any 304
    whole = PREFIX + digest.lower().removeprefix(PREFIX)
    held = _held(request)
    held_data = None if "*" in held or whole in held else data
    return _raw_response(whole, held_data, immutable=True, headers={}, encoding=encoding)


@router.get("/versions/{ref:path}/blame", response_model=BlameReport, responses=_ERRORS, tags=["versions"])
def blame(ref: str, archive: Reader, profile: Annotated[Lens | None, Query(description="A lens to re-diff each link through (default: the stored edits).")] = None) -> Response:
    """Which version introduced each span of a version's text (`prov blame`)."""
    return _report(archive.blame(ref, profile, files=False))


@router.get("/versions/{ref:path}/proof", response_model=ProofReport, responses=_ERRORS, tags=["audit"])
def prove(ref: str, archive: Reader) -> Response:
    """An inclusion proof of a version's registration in the latest checkpoint (`prov prove`)."""
    return _report(archive.prove(ref, files=False))


@router.post(
    "/versions/{ref:path}/annotations", response_model=AnnotateReport, responses=_ERRORS, tags=["writes"]
)
def annotate(ref: str, change: AnnotateRequest, archive: Writer) -> Response:
    """Set or clear a version's label, set or remove metadata keys (`prov annotate`)."""
    report = archive.annotate(
        ref,
        label=change.label,
        clear_label=change.clear_label,
        meta=change.meta,
        unset_meta=change.unset_meta,
        files=False,
    )
    return _report(report)


@router.post(
    "/versions/{ref:path}/diff", response_model=DiffReport, responses=_ERRORS, openapi_extra=_TEXT_BODY, tags=["compare"]
)
def diff_text(
    ref: str,
    archive: Reader,
    data: Body,
    name: Annotated[str, Query(description="What the report calls the body (B; the version is A).")] = "the body",
    encoding: Annotated[str | None, Query(description="The body's encoding when it is not UTF-8.")] = None,
    profile: Profile = "exact",
    by: By = "char",
    only: Annotated[EditKind | None, Query(description="List only the edits of this kind.")] = None,
) -> Response:
    """The edits from the version to the body, a text that is not registered (`prov diff
    REF FILE`); nothing is written."""
    report = archive.diff_text(ref, data, name=name, encoding=encoding, files=False, profile=profile, by=by, only=only)
    return _report(report)


@router.get("/versions/{ref:path}", response_model=VersionInfo, responses=_ERRORS, tags=["versions"])
def show(ref: str, archive: Reader) -> Response:
    """A version's metadata (`prov show`)."""
    return _report(archive.show(ref, files=False))


# -- comparing -----------------------------------------------------------------

RefA = Annotated[str, Query(description="Version A (REF).")]
RefB = Annotated[str, Query(description="Version B (REF).")]
By = Annotated[Grain, Query(description="The granularity the edits are shown at.")]


@router.get("/diff", response_model=DiffReport, responses=_ERRORS, tags=["compare"])
def diff(
    a: RefA,
    b: RefB,
    archive: Reader,
    profile: Profile = "exact",
    by: By = "char",
    only: Annotated[EditKind | None, Query(description="List only the edits of this kind.")] = None,
) -> Response:
    """The edits from A to B (`prov diff`)."""
    report = archive.diff(a, b, files=False, fields=("a", "b"), profile=profile, by=by, only=only)
    return _report(report)


@router.get("/trace", response_model=TraceReport, responses=_ERRORS, tags=["compare"])
def trace(
    a: RefA,
    b: RefB,
    archive: Reader,
    profile: Profile = "exact",
    by: By = "char",
    only: Annotated[
        EditKind | None,
        Query(description="List only the edits of this kind, in every step and the net edits; each says how many others it left out (`hidden`)."),
    ] = None,
) -> Response:
    """How B came from A along the lineage (`prov trace`)."""
    report = archive.trace(a, b, files=False, fields=("a", "b"), profile=profile, by=by, only=only)
    return _report(report)


@router.post(
    "/identify", response_model=IdentifyReport, responses=_ERRORS, openapi_extra=_TEXT_BODY, tags=["compare"]
)
def identify(
    archive: Reader,
    data: Body,
    name: Annotated[str, Query(description="What messages call the text.")] = "the body",
    profile: Annotated[Lens | None, Query(description="Only this lens for the normalized tier.")] = None,
    top: Annotated[int, Query(ge=0, le=100, description="How many similar versions (0: none).")] = 5,
    doc: Annotated[str | None, Query(description="Only versions of this document.")] = None,
    encoding: Annotated[str | None, Query(description="The body's encoding when it is not UTF-8.")] = None,
    all_tiers: Annotated[bool, Query(description="Run every tier, not only until one matches.")] = False,
) -> Response:
    """Which registered version the body is (`prov identify`)."""
    report = archive.identify(
        data, name=name, profile=profile, top=top, doc=doc, encoding=encoding, all_tiers=all_tiers
    )
    return _report(report)


# -- writes ----------------------------------------------------------------------


@router.post("/links", status_code=201, response_model=LinkReport, responses=_ERRORS, tags=["writes"])
def link(new: LinkRequest, archive: Writer) -> Response:
    """Add a lineage link (`prov link`)."""
    report = archive.link(new.child, new.parent, new.relation, files=False, fields=("child", "parent"))
    return _report(report, status=201)


@router.post(
    "/imports",
    status_code=201,
    response_model=ImportReport,
    responses=_ERRORS,
    openapi_extra=_BATCH_BODY,
    tags=["writes"],
)
def import_batch(
    archive: Writer,
    data: Body,
    name: Annotated[str, Query(description="The batch's name, recorded in the import event and in messages.")] = "batch",
) -> Response:
    """Register a batch of entries, each carrying its content, in one transaction (`prov
    import`): a bad entry anywhere refuses the whole batch and nothing is written."""
    return _report(archive.import_batch(data, source=name), status=201)


@router.post("/reindex", response_model=ReindexReport, responses=_ERRORS, tags=["writes"])
def reindex(archive: Admin) -> Response:
    """Rebuild the identify index (`prov reindex`); needs an admin token."""
    return _report(archive.reindex())


# -- the audit log -----------------------------------------------------------------


@router.get("/events", response_model=EventsReport, responses=_ERRORS, tags=["audit"])
def events(
    request: Request,
    archive: Reader,
    about: Annotated[str | None, Query(description="A document key or a version (REF).")] = None,
    actor: Annotated[str | None, Query(description="Only events by this actor.")] = None,
    kind: Annotated[list[EventKind] | None, Query(description="Only events of this kind; repeatable.")] = None,
    since: Annotated[str | None, Query(description="At or after (ISO 8601).")] = None,
    until: Annotated[str | None, Query(description="Before (ISO 8601).")] = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Response:
    """The audit log, oldest first (`prov events`), a page at a time: ``newer``
    counts the events after this page."""
    after = _after("events", cursor, int)
    size = _page_size(request, limit)
    report = archive.events(
        about=about,
        actor=actor,
        kinds=tuple(kind or ()),
        since=since,
        until=until,
        files=False,
        after=after,
        first=size,
    )
    more = report.newer and report.events
    headers = _next_link(request, "events", report.events[-1].seq, size) if more else None
    return _report(report, headers=headers)


@router.get("/verify", response_model=VerifyReport, responses=_ERRORS, tags=["audit"])
def verify(
    request: Request,
    archive: Reader,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    quick: Annotated[bool, Query(description="Check a sample of the contents (false: all; needs an admin token).")] = True,
) -> Response:
    """Check the record, the log, the index and the checkpoints (`prov verify`)."""
    if not quick:
        archive = needs("admin")(request, credentials)
    return _report(archive.verify(quick=quick, processes=1))


@router.get("/checkpoints", response_model=list[CheckpointReport], responses=_ERRORS, tags=["audit"])
def checkpoints(archive: Reader) -> Response:
    """The signed checkpoints of the audit log, oldest first (`prov checkpoint --list`)."""
    return _report(archive.checkpoints(), list[CheckpointReport])


@router.get("/proofs/consistency", response_model=ProofReport, responses=_ERRORS, tags=["audit"])
def consistency(
    old: Annotated[str, Query(description="The older checkpoint: its tree size, or id:N.")],
    new: Annotated[str, Query(description="The newer checkpoint.")],
    archive: Reader,
) -> Response:
    """A consistency proof between two checkpoints (`prov prove --consistency`)."""
    return _report(archive.prove(consistency=(old, new)))


# HEAD where a cache or a Memento client asks for headers alone (FastAPI adds none itself).
for _path, _route in (
    ("/documents/{doc:path}/raw", document_raw),
    ("/documents/{doc:path}/timegate", timegate),
    ("/documents/{doc:path}/timemap", timemap),
    ("/versions/{ref:path}/raw", raw),
    ("/contents/{digest}/raw", content_raw),
):
    router.add_api_route(_path, _route, methods=["HEAD"], include_in_schema=False)
