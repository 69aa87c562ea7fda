"""The archive's user-level operations: register, link, show, log, diff, trace.

Each function takes an open session: the caller (a CLI command) opens one
transaction per user action and passes it down, so a failure anywhere leaves
nothing half-written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from dataclasses import field as default
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, func, select

from provenance import (
    audit,
    contents,
    diff,
    editrecord,
    index,
    kinds,
    lineage,
    plain,
    refs,
    sightings,
    validate,
)
from provenance.compare import Comparison, compare, explained, only_kind
from provenance.diff import DiffStats, Edit
from provenance.errors import (
    EncodingConflict,
    InputError,
    LineageError,
    NotFoundError,
    ProvenanceError,
)
from provenance.hashing import content_hash
from provenance.lensdiff import diff_under
from provenance.lenses import DEFAULT_PROFILE, check_profile, invisible_characters
from provenance.models import RELATIONS, Content, Document, EditRecord, Link, Version
from provenance.records import (
    DiffReport,
    DocumentSummary,
    LinkReport,
    LogEntry,
    LogReport,
    ParentLink,
    RegisterReport,
    TraceReport,
    TraceStep,
    VersionInfo,
)
from provenance.text import DecodedText, decode, read_file


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(value: str, what: str = "--captured-at") -> str:
    """Validate an ISO 8601 time and return it in a canonical ISO form (offset kept)."""
    return validate.time(value, field=what)


def register(
    session: Session,
    data: bytes,
    *,
    name: str,
    doc: str | None = None,
    parents: Sequence[refs.Ref] | None = None,
    relation: str | None = None,
    source: str | None = None,
    captured_at: str | None = None,
    label: str | None = None,
    meta: dict[str, Any] | None = None,
    encoding: str | None = None,
    allow_empty: bool = False,
    actor: str = audit.UNKNOWN_ACTOR,
    prepared: Prepared | None = None,
    new_version: bool = False,
) -> RegisterReport:
    """Register ``data`` (read from ``name``) as a new version.

    Without parents, a new version of an existing document is linked to that
    document's latest version as a ``revision``; several parents make a
    ``merge`` unless a relation is given.

    Bytes that are already the document's latest version (its one parent) make
    no new version unless ``new_version``: a sighting of that version is
    recorded instead, or nothing when it already holds this source and capture
    time (`provenance.sightings`; the report's ``outcome`` says which).

    ``prepared`` is the costly work `prepare` did for this registration before
    the write lock; this function still decides everything here, in the
    caller's transaction, and takes from it only what it computed from the same
    inputs (see `Prepared`).
    """
    if not data and not allow_empty:
        raise InputError(
            f"{name}: the file is empty; an empty capture is usually a failed download or save. "
            "Pass --allow-empty to register it anyway"
        )
    # Every value entering the record obeys one set of rules (provenance.validate),
    # the same on both backends.
    doc = None if doc is None else validate.document(doc)
    parents = _parent_refs(parents)
    relation = validate.relation(relation)
    label = validate.label(label)
    source = validate.source(source)
    meta = validate.meta(meta)
    actor = validate.actor(actor)
    decoded = _decoded(session, prepared, data, name, encoding)
    if prepared is not None and decoded is not prepared.decoded:
        prepared = None  # its work was for another reading of these bytes: redone here
    captured = validate.time(captured_at) if captured_at else None

    parent_versions = [refs.resolve(session, ref) for ref in parents or []]
    if doc is None:
        if parent_versions:
            doc = session.get(Document, parent_versions[0].document_id).key
        else:
            raise InputError(f"{name}: say which document this is a version of with --doc KEY")
    if not doc.strip():
        raise InputError("--doc: a document key cannot be empty")

    # The document and its latest version in one query (the latest's number is the
    # highest: the next number and the sighting rule both follow from it).
    found = session.exec(_DOCUMENT_AND_LATEST, params={"doc": doc}).first()
    document, latest = found if found is not None else (None, None)
    new_document = document is None
    if document is None:
        document = Document(key=doc, created_at=now())
        session.add(document)
        session.flush()
        audit.document_created(session, document, actor)
    last_number = latest.number if latest is not None else 0

    if not parent_versions and latest is not None:
        parent_versions = [latest]
    guessed = relation is None
    if parent_versions and relation is None:
        relation = "merge" if len(parent_versions) > 1 else "revision"
    seen: set[int] = set()
    for p in parent_versions:
        if p.id in seen:
            raise LineageError(f"parent {refs.version_name(session, p)} is given twice")
        seen.add(p.id)
    if not new_version and len(parent_versions) == 1:
        again = _seen_again(
            session, document, last_number, parent_versions[0], decoded, source, captured, meta, actor
        )
        if again is not None:
            unrecorded = (("label",) if label is not None and label != parent_versions[0].label else ()) + (
                ("relation",) if not guessed else ()
            )
            return replace(again, not_recorded=unrecorded) if unrecorded else again
    if prepared is not None:  # before anything is written: a stale attempt costs the lock little
        prepared.check(parent_versions, decoded)

    base = parent_versions[0].content_hash if parent_versions else None
    digest, new_content = _put(session, decoded, base, prepared)
    # The content's encoding as stored: on PostgreSQL another writer may have stored these
    # bytes first, since this transaction read them, in an encoding that reads another text.
    stored_encoding = decoded.encoding if new_content else contents.encoding_of(session, digest)
    if (
        stored_encoding != decoded.encoding
        and contents.decoded(decoded.data, stored_encoding, digest) != decoded.text
    ):
        raise EncodingConflict(name, decoded.encoding, stored_encoding, digest)
    number = last_number + 1
    version_meta = dict(meta or {})  # the bytes' encoding is the content's (contents.reading)
    values = {
        "document_id": document.id,
        "number": number,
        "content_hash": digest,
        "label": label,
        "source": source,
        "captured_at": captured,
        "registered_at": now(),
        "meta": version_meta,
    }
    # A Core insert (no unit of work to flush); the object is the row, for what follows.
    version = Version(id=plain.run(session, _INSERT_VERSION, values)[0][0], **values)
    audit.version_registered(session, version, document.key, actor, stored_encoding)
    _index(session, version, decoded.text, prepared, base)

    first: ParentLinkDetail | None = None
    for p in parent_versions:
        added = _add_link(
            session,
            child=version,
            parent=p,
            relation=relation,
            child_text=decoded.text,
            actor=actor,
            prepared=prepared,
        )
        first = first or added
    suggestion = None
    if guessed and len(parent_versions) == 1 and first is not None and first.passages:
        suggestion = "excerpt"
    return RegisterReport(
        version=version.id,
        document=document.key,
        number=number,
        hash=digest,
        parents=tuple(p.id for p in parent_versions),
        relation=relation if parent_versions else None,
        new_content=new_content,
        new_document=new_document,
        stats=None if first is None else first.stats,
        suggestion=suggestion,
        passages=() if first is None else first.passages,
    )


def _seen_again(
    session: Session,
    document: Document,
    latest: int,
    parent: Version,
    decoded: DecodedText,
    source: str | None,
    captured: str | None,
    meta: dict[str, Any] | None,
    actor: str,
) -> RegisterReport | None:
    """The report of a sighting when the bytes are ``parent``'s and ``parent`` is the
    document's latest version (number ``latest``); None when they make a new version."""
    digest = content_hash(decoded.data)
    if parent.content_hash != digest or parent.document_id != document.id:
        return None
    if parent.number != latest:
        return None  # an older version's bytes: the text went back, a new version
    seen = sightings.see(
        session,
        parent,
        source=source,
        captured_at=captured,
        meta=meta,
        actor=actor,
        recorded_at=now(),
    )
    return RegisterReport(
        version=parent.id,
        document=document.key,
        number=parent.number,
        hash=digest,
        parents=(),
        relation=None,
        new_content=False,
        new_document=False,
        stats=None,
        outcome=seen.outcome,
        sighting=seen.sighting,
    )


# Built once: building a select costs more than running it (a registration runs it under the lock).
_DOCUMENT_AND_LATEST = (
    select(Document, Version)
    .join(Version, col(Version.document_id) == col(Document.id), isouter=True)
    .where(Document.key == bindparam("doc"))
    .order_by(col(Version.number).desc())
    .limit(1)
    .with_for_update(of=Document)
)
_INSERT_VERSION = Version.__table__.insert().returning(Version.__table__.c.id)
_INSERT_LINK = Link.__table__.insert().returning(Link.__table__.c.id)
_INSERT_RECORD = EditRecord.__table__.insert()


@dataclass(frozen=True, slots=True)
class ParentLinkDetail:
    """What adding a link found: the stored statistics and the passages of an excerpt."""

    stats: DiffStats
    passages: tuple[editrecord.StoredPassage, ...]


def _add_link(
    session: Session,
    *,
    child: Version,
    parent: Version,
    relation: str,
    child_text: str | None = None,
    actor: str = audit.UNKNOWN_ACTOR,
    prepared: Prepared | None = None,
) -> ParentLinkDetail:
    built = prepared.build(parent, child) if prepared else None
    if built is None:
        parent_text = contents.get_text(session, parent.content_hash)
        if child_text is None:
            child_text = contents.get_text(session, child.content_hash)
        built = editrecord.build(parent_text, child_text)
    result = built.result
    # Core inserts (no unit of work to flush); the objects are the rows, for the event.
    values: dict[str, Any] = {"child_id": child.id, "parent_id": parent.id, "relation": relation}
    link = Link(id=plain.run(session, _INSERT_LINK, values)[0][0], **values)
    fields = {
        "link_id": link.id,
        "edits": diff.to_compact(result.edits),
        "edit_count": result.stats.edits,
        "inserted": result.stats.inserted,
        "deleted": result.stats.deleted,
        "similarity": result.stats.similarity,
        "complete": result.complete,
        "engine": result.engine,
        "detail": built.detail,
    }
    plain.run(session, _INSERT_RECORD, fields)
    audit.link_added(session, link, fields, actor, now())
    return ParentLinkDetail(result.stats, editrecord.passages(built.detail))


# -- registering in two steps: the costly work before the write lock -------------


class Stale(Exception):
    """A registration under the lock met a parent its `Prepared` work did not diff
    against (another writer registered a version of the document in between): the
    transaction is rolled back and the work redone (`Archive.register`)."""


@dataclass(slots=True)
class Prepared:
    """The pure, costly part of a registration, done in a read snapshot before the
    write lock (`prepare`): the decoded text, the content's stored frame, its index
    rows, and the edit record against each parent the snapshot showed.

    Each piece is kept under what it was computed from (the bytes; the content's
    hash; the parent's and the child's content hashes), so `register`, deciding
    everything again under the lock, uses a piece only where its inputs are the
    same: a frame or index rows never go stale (contents are never changed), an
    edit record does when the document's latest version moved on. Then, while
    ``strict``, `register` raises `Stale` rather than diff under the lock; the
    last attempt is not strict and diffs there, so a registration always ends.
    """

    data: bytes
    encoding: str | None
    decoded: DecodedText | None = None
    frames: dict[str, dict[str, Any]] = default(default_factory=dict)
    rows: dict[str, index.Rows] = default(default_factory=dict)
    builds: dict[tuple[str, str], editrecord.Built] = default(default_factory=dict)
    strict: bool = True

    def check(self, parents: list[Version], decoded: DecodedText) -> None:
        """Raise `Stale` if, while strict, an edit record against one of ``parents`` is missing."""
        digest = content_hash(decoded.data)
        for parent in parents:
            if self.strict and (parent.content_hash, digest) not in self.builds:
                raise Stale(f"{parent.content_hash} was not diffed before the lock")

    def build(self, parent: Version, child: Version) -> editrecord.Built | None:
        built = self.builds.get((parent.content_hash, child.content_hash))
        if built is None and self.strict:
            raise Stale(f"{parent.content_hash} was not diffed before the lock")
        return built


def prepare(
    session: Session,
    data: bytes,
    *,
    name: str,
    doc: str | None = None,
    parents: Sequence[refs.Ref] | None = None,
    encoding: str | None = None,
    into: Prepared | None = None,
) -> Prepared:
    """The costly work of registering ``data`` as ``register`` will (same arguments),
    read from ``session`` (a snapshot): decode, hash, compress (a delta against the
    expected parent), diff against each expected parent (the given ones, else the
    document's latest version), index. Adds to ``into`` when given (a retry keeps
    what still applies). Never fails: input `register` will refuse leaves the work
    undone (and not strict), so that `register` raises the error, in its order."""
    work = into if into is not None and into.data is data else Prepared(data, encoding)
    try:
        if work.decoded is None:
            work.decoded = contents.reading(session, data, name, encoding)
        text, digest = work.decoded.text, content_hash(work.decoded.data)
        expected = _expected_parents(session, doc, parents)
        stored = session.get(Content, digest) is not None
        read: dict[str, DecodedText] = {}  # each parent's chain rebuilt once, for delta and diff

        def parent(h: str) -> DecodedText:
            if h not in read:
                read[h] = contents.stored(session, h)
            return read[h]

        if not stored and digest not in work.frames:
            base = expected[0].content_hash if expected else None
            work.frames[digest] = contents.frame(
                session,
                work.decoded.data,
                digest,
                base,
                encoding=work.decoded.encoding,
                chars=len(text),
                base_data=parent(base).data if base and base != digest else None,
            )
        if not stored and digest not in work.rows:
            work.rows[digest] = index.rows_for(digest, text)
        for version in expected:
            key = (version.content_hash, digest)
            if key not in work.builds:
                work.builds[key] = editrecord.build(parent(version.content_hash).text, text)
    except ProvenanceError:
        work.strict = False
    return work


def _parent_refs(parents: Any) -> list[refs.Ref]:
    """The parents given, each REF checked (`validate.references`); a `Version`
    the caller has resolved already is passed on as it is."""
    if isinstance(parents, list | tuple) and any(isinstance(p, Version) for p in parents):
        return [p if isinstance(p, Version) else validate.reference(p) for p in parents]
    return list(validate.references(parents))


def _expected_parents(
    session: Session, doc: str | None, parents: Sequence[refs.Ref] | None
) -> list[Version]:
    """The parents `register` would link to, as this snapshot shows them."""
    if parents:
        return [refs.resolve(session, ref) for ref in _parent_refs(parents)]
    if doc is None:
        return []
    latest = session.exec(
        select(Version)
        .join(Document, col(Document.id) == col(Version.document_id))
        .where(Document.key == validate.document(doc))
        .order_by(col(Version.number).desc())
        .limit(1)
    ).first()
    return [] if latest is None else [latest]


def _decoded(
    session: Session, prepared: Prepared | None, data: bytes, name: str, encoding: str | None
) -> DecodedText:
    """The registration's text, by `contents.reading`'s rule: `prepare`'s reading when it
    read these bytes with this encoding. Contents never change, so a reading from a
    stored content still holds; bytes another writer stored since are met when they are
    put, and their stored encoding checked then (`register`)."""
    if (
        prepared is not None
        and prepared.decoded is not None
        and prepared.data is data
        and prepared.encoding == encoding
    ):
        return prepared.decoded
    return contents.reading(session, data, name, encoding)


def _put(
    session: Session, decoded: DecodedText, base: str | None, prepared: Prepared | None
) -> tuple[str, bool]:
    """`contents.put` of the bytes as given, with the frame `prepare` made when there is one."""
    digest = content_hash(decoded.data)
    made = prepared.frames.get(digest) if prepared is not None else None
    if made is None or made.get("encoding") != decoded.encoding:
        return contents.put(
            session,
            decoded.data,
            digest,
            base=base,
            encoding=decoded.encoding,
            chars=len(decoded.text),
        )
    return digest, contents.insert(session, made)


def _index(
    session: Session, version: Version, text: str, prepared: Prepared | None, base: str | None
) -> None:
    """`index.add_version` (its anchors stored against ``base``'s, the first parent's
    content), with the rows `prepare` computed when there are any."""
    rows = prepared.rows.get(version.content_hash) if prepared is not None else None
    if rows is None:
        index.add_version(session, version, text, base)
    else:
        index.insert_rows(session, rows, base)


def link(
    session: Session,
    child_ref: refs.Ref,
    parent_ref: refs.Ref,
    relation: str,
    actor: str = audit.UNKNOWN_ACTOR,
) -> LinkReport:
    """Add a lineage link between two registered versions."""
    for ref, field in ((child_ref, "CHILD"), (parent_ref, "PARENT")):
        if isinstance(ref, str):
            validate.reference(ref, field=field)
    relation = validate.relation(relation, field="--relation")
    if relation is None:
        raise InputError("--relation: give one of " + ", ".join(RELATIONS))
    actor = validate.actor(actor)
    child = refs.resolve(session, child_ref)
    parent = refs.resolve(session, parent_ref)
    child_name = refs.version_name(session, child)
    parent_name = refs.version_name(session, parent)
    if child.id == parent.id:
        raise LineageError(f"{child_name} cannot be linked to itself")
    existing = session.exec(
        select(Link).where(Link.child_id == child.id, Link.parent_id == parent.id)
    ).first()
    if existing is not None:
        raise LineageError(
            f"{child_name} is already linked to {parent_name} (as {existing.relation})"
        )
    if lineage.is_ancestor(session, child.id, of=parent.id):
        raise LineageError(
            f"linking {child_name} to {parent_name} would make a cycle: "
            f"{child_name} is already an ancestor of {parent_name}"
        )
    added = _add_link(session, child=child, parent=parent, relation=relation, actor=actor)
    return LinkReport(
        child=child.id,
        parent=parent.id,
        relation=relation,
        stats=added.stats,
        passages=added.passages,
    )


# -- reading ------------------------------------------------------------------


def _parent_links(
    session: Session, version_id: int, profile: str = DEFAULT_PROFILE, only: str | None = None
) -> tuple[ParentLink, ...]:
    """The version's links to its parents, with the stored edit statistics.

    Under a profile other than ``exact`` the statistics are recomputed
    through the lens (`provenance.compare`, as `prov diff` does), so a
    re-layout of the text counts as no edit. Each link says what its record
    means (passages, moves) and counts its edits by kind; with ``only`` it
    counts that kind alone and how many edits of other kinds it left out.
    """
    rows = session.exec(
        select(Link, EditRecord)
        .join(EditRecord, col(EditRecord.link_id) == col(Link.id))
        .where(Link.child_id == version_id)
        .order_by(Link.id)
    ).all()
    out = []
    child_text = text_of(session, session.get(Version, version_id)) if rows else ""
    for link_row, record in rows:
        parent = session.get(Version, link_row.parent_id)
        parent_text = text_of(session, parent)
        if profile == "exact":
            unchanged = len(parent_text) - record.deleted
            stats = DiffStats(
                record.edit_count, record.inserted, record.deleted, unchanged, record.similarity
            )
            edits: tuple[Edit, ...] = diff.from_compact(record.edits, parent_text)
        else:
            seen = compare(parent_text, child_text, profile=profile)
            stats = seen.stats
            edits = tuple(e.as_edit() for e in seen.edits if e.inside)
        passages = editrecord.passages(record.detail)
        if passages:  # what the excerpt changed, not the page it was cut from
            edits = tuple(e for e in edits if any(_within(e, x) for x in passages))
        counted = kinds.summarize(kinds.classify(e, parent_text, child_text) for e in edits)
        kept = _keep_kind(counted, only)
        out.append(
            ParentLink(
                parent=parent.id,
                parent_name=refs.version_name(session, parent),
                relation=link_row.relation,
                stats=stats,
                complete=record.complete,
                passages=passages,
                moves=editrecord.stored_moves(record.detail),
                kinds=kept,
                hidden=_count(counted) - _count(kept),
            )
        )
    return tuple(out)


def _keep_kind(counted: tuple[tuple[str, int], ...], only: str | None) -> tuple[tuple[str, int], ...]:
    """Edits per kind, of ``only`` alone when one is given."""
    return counted if only is None else tuple((k, n) for k, n in counted if k == only)


def _count(counted: tuple[tuple[str, int], ...]) -> int:
    return sum(n for _, n in counted)


def _check_only(only: str | None) -> str | None:
    return None if only is None else kinds.check_kind(only)


def _within(e: Edit, x: editrecord.StoredPassage) -> bool:
    return x.a_start <= e.a_start and e.a_end <= x.a_end and x.b_start <= e.b_start and e.b_end <= x.b_end


def show(session: Session, ref: refs.Ref) -> VersionInfo:
    version = refs.resolve(session, ref)
    content = session.get(Content, version.content_hash)
    doc = session.get(Document, version.document_id)
    children = session.exec(
        select(Link.child_id).where(Link.parent_id == version.id).order_by(Link.child_id)
    ).all()
    same = session.exec(
        select(Version)
        .where(Version.content_hash == version.content_hash, Version.id != version.id)
        .order_by(Version.id)
    ).all()
    return VersionInfo(
        version=version.id,
        document=doc.key,
        number=version.number,
        name=f"{doc.key}@{version.number}",
        hash=version.content_hash,
        size=content.size,
        chars=content.chars,
        label=version.label,
        source=version.source,
        captured_at=version.captured_at,
        registered_at=version.registered_at,
        meta=dict(version.meta or {}),
        parents=_parent_links(session, version.id),
        children=tuple(children),
        same_content=tuple(refs.version_name(session, v) for v in same),
        near_identical=index.elsewhere(session, version)[1],
        registered_by=_registered_by(session, version.id),
        encoding=content.encoding,
        sightings=sightings.of_version(session, version.id),
    )


def _registered_by(session: Session, version_id: int) -> str | None:
    actor = audit.registered_by(session, version_id)
    return actor if isinstance(actor, str) else None  # else damaged: prov verify says how


def raw(session: Session, ref: refs.Ref) -> bytes:
    """The exact bytes registered for ``ref``."""
    return contents.get_bytes(session, refs.resolve(session, ref).content_hash)


def text_of(session: Session, version: Version) -> str:
    return contents.get_text(session, version.content_hash)


def texts(session: Session, ids: tuple[int, ...] | list[int]) -> dict[int, str]:
    """The texts of the versions with these ids."""
    return {i: text_of(session, session.get(Version, i)) for i in dict.fromkeys(ids)}


def names(session: Session, ids: tuple[int, ...] | list[int]) -> dict[int, str]:
    """DOC@N for each of these version ids."""
    return {i: refs.version_name(session, session.get(Version, i)) for i in dict.fromkeys(ids)}


def log(
    session: Session,
    doc: str,
    *,
    profile: str = DEFAULT_PROFILE,
    limit: int | None = None,
    since: str | None = None,
    captured_since: str | None = None,
    only: str | None = None,
    after: int | None = None,
    first: int | None = None,
) -> LogReport:
    """A document's versions, oldest first, each with its links to its parents.

    ``since`` keeps the versions registered at or after that ISO 8601 time,
    ``captured_since`` those captured at or after it (a version without a
    capture time is then left out); times without an offset are UTC. Of
    the versions kept, ``limit`` lists the newest; or, a page, ``first``
    lists the first of those numbered after ``after`` (a cursor: a version
    number), and ``newer`` counts the kept versions after the page. The
    report counts the document's versions and those kept, so a shorter
    listing says so. With ``only`` (an edit kind) each link counts that
    kind's edits and says how many of other kinds it left out.

    Only the listed versions are read whole and compared with their
    parents: a page costs its size, not the history's length.
    """
    check_profile(profile)
    only = _check_only(only)
    for value, what in ((limit, "--limit"), (first, "first")):
        if value is not None and value < 0:
            raise InputError(f"{what} {value} is negative")
    if limit is not None and (first is not None or after is not None):
        raise InputError("limit (the newest versions) and a page (first, after) are not asked together")
    since = parse_time(since, "--since") if since else None
    captured_since = parse_time(captured_since, "--captured-since") if captured_since else None
    document = refs.find_document(session, doc)
    page = _log_page(session, document.id, since, captured_since, limit, after, first)
    entries = []
    seen = sightings.of_versions(session, [v.id for v, _ in page.rows])
    for v, chars in page.rows:
        same, near = index.elsewhere(session, v)
        entries.append(
            LogEntry(
                version=v.id,
                number=v.number,
                name=f"{document.key}@{v.number}",
                hash=v.content_hash,
                chars=chars,
                label=v.label,
                source=v.source,
                captured_at=v.captured_at,
                registered_at=v.registered_at,
                parents=_parent_links(session, v.id, profile, only),
                same_content=same,
                near_identical=near,
                sightings=seen.get(v.id, ()),
            )
        )
    return LogReport(
        document=document.key,
        profile=profile,
        versions=tuple(entries),
        total=page.total,
        matched=page.matched,
        shown=len(entries),
        newer=page.newer,
        limit=limit,
        since=since,
        captured_since=captured_since,
        only=only,
    )


@dataclass(frozen=True, slots=True)
class _LogPage:
    rows: list[tuple[Version, int]]  # the listed versions, oldest first, with their sizes in characters
    total: int  # the document's versions
    matched: int  # those the time filters keep
    newer: int  # of those, numbered after the listed ones (a page's rest)


def _log_page(
    session: Session,
    document_id: int,
    since: str | None,
    captured_since: str | None,
    limit: int | None,
    after: int | None,
    first: int | None,
) -> _LogPage:
    """The versions `log` lists, and its counts.

    Without a time filter the database picks the listed rows (the cursor and the
    page's size in the query). A time filter reads every version's times first
    and compares them as times, not as text (a capture time keeps the offset it
    was given with), then reads the listed rows alone.
    """
    mine = col(Version.document_id) == document_id
    total = session.exec(select(func.count()).select_from(Version).where(mine)).one()
    rows = select(Version, Content.chars).join(Content, col(Content.hash) == col(Version.content_hash))
    number = col(Version.number)
    if not (since or captured_since):
        rows = rows.where(mine) if after is None else rows.where(mine, number > after)
        if limit is not None:
            newest = session.exec(rows.order_by(number.desc()).limit(limit)).all()
            return _LogPage(list(reversed(newest)), total, total, 0)
        ordered = rows.order_by(number)
        listed = list(session.exec(ordered if first is None else ordered.limit(first)).all())
        newer = 0
        if first is not None:
            bound = listed[-1][0].number if listed else after
            later = select(func.count()).select_from(Version).where(mine)
            newer = session.exec(later if bound is None else later.where(number > bound)).one()
        return _LogPage(listed, total, total, newer)
    times = session.exec(
        select(Version.number, Version.registered_at, Version.captured_at).where(mine).order_by(number)
    ).all()
    kept = [
        n
        for n, registered, captured in times
        if (not since or _log_time(registered) >= _log_time(since))
        and (not captured_since or _log_time(captured) >= _log_time(captured_since))
    ]
    candidates = kept if after is None else [n for n in kept if n > after]
    if limit is not None:
        chosen = candidates[len(candidates) - limit :] if limit else []
    else:
        chosen = candidates if first is None else candidates[:first]
    listed = []
    if chosen:
        wanted = set(chosen)
        span = session.exec(rows.where(mine, number >= chosen[0], number <= chosen[-1]).order_by(number))
        listed = [(v, chars) for v, chars in span if v.number in wanted]
    return _LogPage(listed, total, len(kept), len(candidates) - len(chosen) if first is not None else 0)


def _log_time(text: str | None) -> datetime:
    """A stored or given ISO 8601 time as an aware datetime (UTC when it names no offset).

    A missing or unreadable time (``prov verify`` reports damage) sorts before any other.
    """
    try:
        value = datetime.fromisoformat(text or "")
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def documents(session: Session) -> list[DocumentSummary]:
    rows = session.exec(
        select(
            Document.key,
            func.count(col(Version.id)),
            func.max(Version.number),
            func.min(Version.registered_at),
            func.max(Version.registered_at),
        )
        .join(Version, col(Version.document_id) == col(Document.id), isouter=True)
        .group_by(Document.id, Document.key)
        .order_by(Document.key)
    ).all()
    return [DocumentSummary(key, n, latest, first, last) for key, n, latest, first, last in rows]


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a diff: a registered version, or a file that is not registered."""

    version: int | None
    name: str  # DOC@N, or the file's path
    text: str


def side(session: Session, ref: str, encoding: str | None = None) -> Side:
    """The version a REF names; for a file that is not registered, the file itself
    (decoded from ``encoding``, as `register` decodes: UTF-8 unless named or marked).

    So a journalist can diff a registered version against the text in hand
    without registering it first.
    """
    try:
        version = refs.resolve(session, ref)
    except NotFoundError:
        if ref not in ("", "-") and Path(ref).is_file():
            return Side(None, ref, decode(read_file(ref), ref, encoding).text)
        raise
    return Side(version.id, refs.version_name(session, version), text_of(session, version))


def diff_sides(
    a: Side,
    b: Side,
    *,
    profile: str = DEFAULT_PROFILE,
    by: str = "char",
    only: str | None = None,
) -> DiffReport:
    """The edits from A to B under a lens and at a grain (see `provenance.compare`),
    with moves and edit kinds, and the invisible characters either side holds."""
    check_profile(profile)
    only = _check_only(only)
    whole = explained(a.text, b.text, compare(a.text, b.text, profile=profile, by=by))
    return _diff_report(a, b, whole, only)


def _diff_report(a: Side, b: Side, whole: Comparison, only: str | None) -> DiffReport:
    """The report of comparison ``whole`` of A and B, with only the edits of kind
    ``only`` when one is given (and how many inside edits of other kinds it hid)."""
    result = only_kind(whole, only)
    inside = sum(1 for e in whole.edits if e.inside)
    hidden = inside - sum(1 for e in result.edits if e.inside) if only else 0
    invisible = (invisible_characters(a.text), invisible_characters(b.text))
    return DiffReport.of(
        a.version, b.version, a.name, b.name, result, invisible, (a.text, b.text), hidden
    )


def diff_versions(
    session: Session, ref_a: str, ref_b: str, *, profile: str = DEFAULT_PROFILE, by: str = "char"
) -> DiffReport:
    return diff_sides(side(session, ref_a), side(session, ref_b), profile=profile, by=by)


def stored_edits(session: Session, edge: lineage.Edge, parent_text: str) -> tuple[Edit, ...]:
    record = session.get(EditRecord, edge.link_id)
    if record is None:
        raise NotFoundError(f"link {edge.link_id} has no edit record")
    return diff.from_compact(record.edits, parent_text)


def trace(
    session: Session,
    ref_a: refs.Ref,
    ref_b: refs.Ref,
    *,
    profile: str = DEFAULT_PROFILE,
    by: str = "char",
    only: str | None = None,
) -> TraceReport:
    """How B came from A along the lineage, step by step, and the net edits.

    Each step shows the edits stored with its link (inverted when the path
    climbs from child to parent); under a profile other than ``exact`` they
    are recomputed through the lens, since the stored ones are exact. With
    ``only`` (an edit kind) every step and the net diff keep that kind's edits
    and count the others they left out. The report names every version on the
    path and carries the texts of A and B, for a renderer.
    """
    check_profile(profile)
    only = _check_only(only)
    a = refs.resolve(session, ref_a)
    b = refs.resolve(session, ref_b)
    texts: dict[int, str] = {}

    def text(version_id: int) -> str:
        if version_id not in texts:
            texts[version_id] = text_of(session, session.get(Version, version_id))
        return texts[version_id]

    found = lineage.path_between(session, a.id, b.id) if a.id != b.id else ([], None)
    steps: list[TraceStep] = []
    path: tuple[int, ...] = ()
    via = None
    if found is not None:
        edges, via = found
        node = a.id
        path_nodes = [a.id]
        for edge, direction in edges:
            if direction == "backward":
                src, dst = edge.child, edge.parent
            else:
                src, dst = edge.parent, edge.child
            assert src == node
            record = session.get(EditRecord, edge.link_id)
            passages = editrecord.passages(record.detail if record else None)
            moved = editrecord.stored_moves(record.detail if record else None)
            if direction == "backward":
                passages = tuple(editrecord.reversed_passage(x) for x in passages)
                moved = tuple(editrecord.reversed_move(m) for m in moved)
            if profile == "exact":
                edits = stored_edits(session, edge, text(edge.parent))
                if direction == "backward":
                    edits = diff.invert(edits)
                stats = diff.stats_for(len(text(src)), len(text(dst)), edits)
            else:
                lensed = diff_under(text(src), text(dst), profile)
                edits, stats = lensed.edits, lensed.stats
            counted = edits
            if passages:
                counted = tuple(e for e in edits if any(_within(e, x) for x in passages))
            summary = kinds.summarize(kinds.classify(e, text(src), text(dst)) for e in counted)
            hidden = 0
            if only is not None:
                kept = tuple(e for e in edits if kinds.classify(e, text(src), text(dst)) == only)
                hidden, edits, summary = len(edits) - len(kept), kept, _keep_kind(summary, only)
            steps.append(
                TraceStep(
                    src,
                    dst,
                    edge.relation,
                    direction,
                    edits,
                    stats,
                    passages,
                    moved,
                    summary,
                    hidden,
                )
            )
            node = dst
            path_nodes.append(dst)
        path = tuple(path_nodes)
    net = explained(text(a.id), text(b.id), compare(text(a.id), text(b.id), profile=profile, by=by))
    named = names(session, path or (a.id, b.id))
    sides = Side(a.id, named[a.id], text(a.id)), Side(b.id, named[b.id], text(b.id))
    return TraceReport(
        a=a.id,
        b=b.id,
        path=path,
        via=via,
        steps=tuple(steps),
        net=_diff_report(*sides, net, only),
        only=only,
        names=named,
    )
