"""The archive's front door: `Archive`, one object for every skin.

An `Archive` is an archive opened: where it is (a URL or an SQLite path,
resolved as the CLI resolves ``--db``), who acts (recorded in the audit log),
and one transaction per user action. Every operation the CLI has is a method
here returning the report the JSON output is made from, so the CLI, the HTTP
service and a script all go through the same door::

    from provenance import Archive

    with Archive("newsroom.db", actor="alice") as archive:
        archive.init()
        report = archive.register(Path("page.txt").read_bytes(), doc="page", name="page.txt")
        print(archive.log("page").to_json())

Reads run in a read-only session, writes in one transaction each (all or
nothing); the schema is checked once, on the first action. Modelled on
`sqlite_utils.Database` and `httpx.Client`: cheap to open, closed with
``close()`` or a ``with`` block.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provenance import archive as ops
from provenance import contents, lazy, listing, refs, schema, store
from provenance.audit import default_actor
from provenance.errors import InputError
from provenance.hashing import PREFIX
from provenance.output import write_whole
from provenance.records import DemoReport, InitReport
from provenance.validate import reference

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from provenance.annotate import AnnotateReport
    from provenance.blame import BlameReport
    from provenance.detail import VersionDetail
    from provenance.events import EventsReport
    from provenance.identify import IdentifyReport
    from provenance.importer import ImportReport
    from provenance.proofs import CheckpointReport, KeygenReport, ProofCheck, ProofReport
    from provenance.records import (
        DiffReport,
        DocumentSummary,
        LinkReport,
        LogReport,
        RegisterReport,
        TraceReport,
        VersionInfo,
    )
    from provenance.tokens import CreatedToken, TokenInfo


PREPARE_ATTEMPTS = 4
"""How many times `Archive.register` prepares a registration before the write lock;
the last attempt, if it comes to that, diffs against the new parent under the lock."""


annotating = lazy.module("provenance.annotate")
blaming = lazy.module("provenance.blame")
changing = lazy.module("provenance.changes")
detail = lazy.module("provenance.detail")
signing = lazy.module("provenance.checkpoint")
demo = lazy.module("provenance.demo")
importer = lazy.module("provenance.importer")
index = lazy.module("provenance.index")
proofs = lazy.module("provenance.proofs")
sources = lazy.module("provenance.sources")
live = lazy.module("provenance.sources.live")
tokens = lazy.module("provenance.tokens")
event_log = lazy.module("provenance.events")
exporting = lazy.module("provenance.export")
identifying = lazy.module("provenance.identify")
verifying = lazy.module("provenance.verify")


class _Engines:
    """The engines of one opened archive, shared by its `Archive.as_actor` views:
    one that only reads (an SQLite archive on read-only media can be read) and
    one that writes, each opened on first use."""

    def __init__(self, location: store.DatabaseLocation) -> None:
        self.location = location
        self.opened: dict[str, Engine] = {}
        self.checked = False

    def get(self, access: store.Access) -> Engine:
        engine = self.opened.get(access)
        if engine is None:
            engine = self.opened[access] = store.open_engine(self.location, access=access)
        if not self.checked:
            with store.database_errors():
                schema.require_current(engine, self.location.display())
            self.checked = True
        return engine

    def close(self) -> None:
        for engine in self.opened.values():
            engine.dispose()
        self.opened.clear()


def _named(session: Session, ref: str, *, files: bool, field: str) -> refs.Ref:
    """``ref`` as the library's operations take it, in the caller's snapshot: as given
    for the CLI; for a service (``files`` False) checked, resolved without looking at a
    file, and passed on as the version itself (never as a string an operation would
    resolve again, which could then name a file of the server's working folder), so
    that the whole answer is read in the one snapshot ``session`` is. A malformed REF
    is refused naming ``field``."""
    if files:
        return ref
    reference(ref, field=field)
    return refs.resolve(session, ref, files=False)


def _version_side(session: Session, ref: str, *, files: bool = False) -> ops.Side:
    """The registered version ``ref`` names as one side of a comparison (never a file
    that is not registered; with ``files`` False no file is looked at)."""
    version = refs.resolve(session, ref, files=files)
    return ops.Side(version.id, refs.version_name(session, version), ops.text_of(session, version))


class Archive:
    """An archive, opened. ``where`` is a database URL or an SQLite file path
    (``None``: ``$PROV_DB``, else the default archive); ``actor`` is recorded
    in the audit log for every change (default: `default_actor`).

    Opening creates nothing: reads never write (an archive on read-only media
    can be read), writes refuse an archive that is read-only, and only
    `init` makes a new archive.
    """

    def __init__(self, where: str | None = None, *, actor: str | None = None) -> None:
        self.location = store.resolve(where)
        self.actor = (actor or "").strip() or default_actor()
        self._engines = _Engines(self.location)

    def as_actor(self, actor: str) -> Archive:
        """The same opened archive (its engines shared), acting as ``actor``."""
        other = Archive.__new__(Archive)
        other.location, other.actor, other._engines = self.location, actor, self._engines
        return other

    # -- opening and closing -------------------------------------------------

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Archive({self.location.display()!r}, actor={self.actor!r})"

    def close(self) -> None:
        self._engines.close()

    @contextmanager
    def _session(self, *, write: bool) -> Iterator[Session]:
        engine = self._engines.get("write" if write else "read")
        with (store.transaction if write else store.reader)(engine) as session:
            yield session

    def reading(self) -> Any:
        """A read-only session, for callers that need several reads to agree."""
        return self._session(write=False)

    def check(self) -> None:
        """Open the archive for reading and check its schema: raises the error any
        read would (no archive there, an old schema) before a long-running skin starts."""
        with self._session(write=False):
            pass

    # -- the schema ----------------------------------------------------------

    def init(self, *, shared: bool = False) -> InitReport:
        """Create the archive (an SQLite file private to its owner unless ``shared``)
        and its schema, or upgrade the schema to this program's version."""
        self.close()
        with store.creating(self.location):
            engine = store.open_engine(
                self.location, access="create", create_dir=True, shared=shared
            )
            try:
                with store.database_errors():
                    before, after = schema.upgrade(engine)
            finally:
                engine.dispose()
        return InitReport(self.location.display(), before, after)

    def demo(self, *, profile: str = "cjk") -> DemoReport:
        """Create the archive (as `init`), register the two seed documents in it and
        trace one from the other under ``profile`` (`provenance.demo`), all in one
        transaction: what `prov demo` shows."""
        self.close()
        with store.creating(self.location):
            engine = store.open_engine(self.location, access="create", create_dir=True)
            try:
                with store.database_errors():
                    schema.upgrade(engine)
                with store.transaction(engine) as session:
                    registered, trace = demo.register_seeds(
                        session, profile=profile, actor=self.actor
                    )
            finally:
                engine.dispose()
        return DemoReport(self.location.display(), registered, trace)

    # -- writes: one transaction each ----------------------------------------

    def register(
        self,
        data: bytes,
        *,
        name: str = "<bytes>",
        doc: str | None = None,
        parents: Sequence[str] | None = None,
        relation: str | None = None,
        source: str | None = None,
        captured_at: str | None = None,
        label: str | None = None,
        meta: dict[str, Any] | None = None,
        encoding: str | None = None,
        allow_empty: bool = False,
        new_version: bool = False,
    ) -> RegisterReport:
        """Register ``data`` as a new version of ``doc`` (see `provenance.archive.register`).

        Bytes that are already the document's latest version record a sighting of
        it instead (the report's ``outcome`` is ``sighted``, or ``unchanged`` when
        that source and capture time are already held; `provenance.sightings`),
        unless ``new_version``.

        The costly work (decode, hash, compress, diff against the parent, index)
        is done in a read snapshot first (`provenance.archive.prepare`); the write
        transaction then holds the lock only to number and append. If another
        writer registered a version of the document in between, the diff against
        the new parent is prepared again, up to `PREPARE_ATTEMPTS` times; the
        last attempt diffs under the lock rather than give up.
        """
        given = list(parents) if parents else None
        work: ops.Prepared | None = None
        for attempt in range(1, PREPARE_ATTEMPTS + 1):
            with self._session(write=False) as session:
                work = ops.prepare(
                    session, data, name=name, doc=doc, parents=given, encoding=encoding, into=work
                )
            work.strict = work.strict and attempt < PREPARE_ATTEMPTS
            try:
                with self._session(write=True) as session:
                    return ops.register(
                        session,
                        data,
                        name=name,
                        doc=doc,
                        parents=given,
                        relation=relation,
                        source=source,
                        captured_at=captured_at,
                        label=label,
                        meta=dict(meta or {}),
                        encoding=encoding,
                        allow_empty=allow_empty,
                        actor=self.actor,
                        prepared=work,
                        new_version=new_version,
                    )
            except ops.Stale:
                continue
        raise AssertionError("the last attempt is not strict")  # pragma: no cover

    def import_manifest(
        self,
        manifest: str | Path,
        *,
        progress: Callable[..., Any] | None = None,
        allow_outside: bool = False,
        max_size: int | None = None,
    ) -> ImportReport:
        """Register every file of a manifest: every entry checked, then committed in
        batches (`provenance.importer.register_all`; see `provenance.importer.run` for
        ``allow_outside`` and ``max_size``)."""
        limits = {} if max_size is None else {"max_size": max_size}
        return importer.run(
            self._session,
            str(manifest),
            actor=self.actor,
            progress=progress,
            allow_outside=allow_outside,
            **limits,
        )

    def import_source(
        self, source: str | Path, *, progress: Callable[..., Any] | None = None, **options: Any
    ) -> ImportReport:
        """Import a manifest, a folder, a git file's history or a web archive: every
        entry checked, then committed in batches, so that an import cut short and run
        again comes to what one run gives (`provenance.importer.register_all`; options:
        git, git_path, glob, order, doc, allow_outside, max_size; see
        `provenance.sources.run`)."""
        return sources.run(self._session, str(source), actor=self.actor, progress=progress, **options)

    def link(
        self,
        child: str,
        parent: str,
        relation: str,
        *,
        files: bool = True,
        fields: tuple[str, str] = ("CHILD", "PARENT"),
    ) -> LinkReport:
        """Link CHILD to PARENT; with ``files`` False (a service) neither REF names a
        file, and both are resolved in the link's own transaction."""
        with self._session(write=True) as session:
            child = _named(session, child, files=files, field=fields[0])
            parent = _named(session, parent, files=files, field=fields[1])
            return ops.link(session, child, parent, relation, actor=self.actor)

    def annotate(
        self,
        ref: str,
        *,
        label: str | None = None,
        clear_label: bool = False,
        meta: dict[str, Any] | None = None,
        unset_meta: Sequence[str] | None = None,
        files: bool = True,
    ) -> AnnotateReport:
        with self._session(write=True) as session:
            return annotating.annotate(
                session,
                _named(session, ref, files=files, field="ref"),
                label=label,
                clear_label=clear_label,
                meta=dict(meta or {}),
                unset_meta=list(unset_meta or ()),
                actor=self.actor,
            )

    def checkpoint(self, key: Any = None, origin: str | None = None) -> CheckpointReport:
        """Sign the audit log's size and root and store the checkpoint. ``key`` is a
        private key, the path of its file, or None for the one `keygen` writes by
        default; it is read before the archive is opened."""
        if key is None or isinstance(key, str | Path):
            key = proofs.signing_key(key)
        with self._session(write=True) as session:
            return proofs.create(session, key, origin)

    @staticmethod
    def keygen(directory: Path | None = None) -> KeygenReport:
        """Write a new checkpoint signing key pair into ``directory`` (default: the
        user's configuration folder, `provenance.proofs.default_key_dir`). A static
        method: making keys needs no archive."""
        return proofs.keygen(directory)

    @staticmethod
    def verify_proof(file: str | Path, *, key: str | Path) -> ProofCheck:
        """Check the proof bundle in ``file`` with the log's public key (the file
        ``key``) alone, as an outside auditor does. A static method, so it can never
        open a database: an auditor holds a bundle and a published key, not the
        archive, and no ``$PROV_DB`` or default archive is even looked at."""
        return proofs.check_file(file, key)

    def reindex(self, *, progress: Callable[..., Any] | None = None) -> index.ReindexReport:
        """Rebuild the identify index from the stored contents, in one transaction."""
        with self._session(write=True) as session:
            return index.reindex(session, progress=progress)

    def create_token(self, name: str, scope: str = "write") -> CreatedToken:
        """Make an API token called ``name`` (its secret is in the report, this once)."""
        with self._session(write=True) as session:
            return tokens.create(session, name, scope, actor=self.actor)

    def revoke_token(self, name: str) -> TokenInfo:
        with self._session(write=True) as session:
            return tokens.revoke(session, name, actor=self.actor)

    def authenticate(self, secret: str) -> TokenInfo | None:
        """The API token whose secret this is (revoked or not: see ``revoked_at``), or None."""
        with self._session(write=False) as session:
            return tokens.authenticate(session, secret)

    def tokens(self) -> list[TokenInfo]:
        """Every API token, valid and revoked, by name (never a secret)."""
        with self._session(write=False) as session:
            return tokens.list_tokens(session)

    # -- reads ---------------------------------------------------------------

    def documents(
        self, matching: str = "", *, after: str | None = None, limit: int | None = None
    ) -> list[DocumentSummary]:
        """The documents by key; with ``matching``, those whose key contains it
        (ignoring case); a page: the first ``limit`` after the key ``after``
        (`provenance.listing.documents`)."""
        with self._session(write=False) as session:
            return listing.documents(session, matching=matching, after=after, limit=limit)

    def document(self, key: str) -> DocumentSummary:
        """The summary of the document called ``key``."""
        with self._session(write=False) as session:
            return listing.document(session, key)

    def resolve(self, ref: str, *, files: bool = True, field: str = "REF") -> int:
        """The id of the version ``ref`` names. With ``files`` False no file is read
        or looked at, as a service must (`provenance.refs.resolve`): a REF is then a
        version id, a hash prefix, DOC@N or DOC@latest. ``field`` names the REF
        in the message of a malformed one."""
        reference(ref, field=field)
        with self._session(write=False) as session:
            return refs.resolve(session, ref, files=files).id

    def content(self, digest: str) -> bytes:
        """The bytes of a stored content, by its whole hash (``blake3:`` optional)."""
        bare = digest.lower().removeprefix(PREFIX)
        if len(bare) != 64 or any(c not in "0123456789abcdef" for c in bare):
            raise InputError("a content is addressed by its whole hash: blake3: and 64 hex digits")
        with self._session(write=False) as session:
            return contents.get_bytes(session, PREFIX + bare)

    def stored(self, digest: str) -> tuple[bytes, str | None]:
        """A stored content's bytes and their recorded encoding (None: UTF-8), by its
        whole hash, read in one snapshot (as a raw download names its ``charset``)."""
        bare = digest.lower().removeprefix(PREFIX)
        if len(bare) != 64 or any(c not in "0123456789abcdef" for c in bare):
            raise InputError("a content is addressed by its whole hash: blake3: and 64 hex digits")
        with self._session(write=False) as session:
            return contents.get_bytes(session, PREFIX + bare), contents.encoding_of(session, PREFIX + bare)

    def log(self, doc: str, **options: Any) -> LogReport:
        """A document's versions (options: profile, limit, since, captured_since, only;
        a page: the ``first`` after version number ``after``)."""
        with self._session(write=False) as session:
            return ops.log(session, doc, **options)

    def show(self, ref: str, *, files: bool = True) -> VersionInfo:
        """A version's metadata; with ``files`` False a REF never names a file."""
        with self._session(write=False) as session:
            return ops.show(session, _named(session, ref, files=files, field="ref"))

    def raw_version(
        self, ref: str, *, files: bool = True, unless: Collection[str] = ()
    ) -> tuple[VersionInfo, bytes | None]:
        """A version's metadata and its exact registered bytes, read in one snapshot
        (so the bytes are the ones ``hash`` names, whatever is registered meanwhile);
        the bytes are None, and not read, when its hash is one of ``unless`` (what a
        client's ``If-None-Match`` already holds; ``*``: any)."""
        with self._session(write=False) as session:
            version = refs.resolve(session, _named(session, ref, files=files, field="ref"))
            info = ops.show(session, version)
            if info.hash in unless or "*" in unless:
                return info, None
            return info, ops.raw(session, version)

    def version(self, ref: str, *, files: bool = True) -> VersionDetail:
        """A version whole, in one snapshot: what `show` reports with its text, its
        children by name, the events about it and whether it can be proved
        (`provenance.detail`). With ``files`` False a REF never names a file."""
        reference(ref, field="REF")
        with self._session(write=False) as session:
            return detail.version_detail(session, ref, files=files)

    def raw(self, ref: str) -> bytes:
        """The exact registered bytes of a version."""
        with self._session(write=False) as session:
            return ops.raw(session, ref)

    def side(self, ref: str) -> ops.Side:
        """A version (or an unregistered file) as one side of a comparison."""
        with self._session(write=False) as session:
            return ops.side(session, ref)

    def diff(
        self,
        ref_a: str,
        ref_b: str,
        *,
        files: bool = True,
        fields: tuple[str, str] = ("A", "B"),
        encoding: str | None = None,
        **options: Any,
    ) -> DiffReport:
        """The edits from A to B (options: profile, by, only); either may be a file
        that is not registered, named as a REF names one (``file:NAME``, a path
        with a ``/``), unless ``files`` is False (as a service must: each REF is
        then resolved as `resolve` with ``files=False`` does, and a malformed one
        is refused naming its ``fields``). ``encoding`` is such a file's encoding
        (refused when neither side is one). Both sides are read in one snapshot.
        The report carries both texts for a renderer."""
        if not files:
            reference(ref_a, field=fields[0])
            reference(ref_b, field=fields[1])
        with self._session(write=False) as session:
            if files:
                a = ops.side(session, refs.as_path(ref_a), encoding)
                b = ops.side(session, refs.as_path(ref_b), encoding)
            else:
                a, b = _version_side(session, ref_a), _version_side(session, ref_b)
        if encoding is not None and a.version is not None and b.version is not None:
            raise InputError(
                f"--encoding {encoding}: it is the encoding of a file given as A or B, "
                f"and both are registered versions ({a.name}, {b.name})"
            )
        return ops.diff_sides(a, b, **options)

    def diff_text(
        self,
        ref: str,
        data: bytes,
        *,
        name: str = "<bytes>",
        encoding: str | None = None,
        files: bool = True,
        **options: Any,
    ) -> DiffReport:
        """The edits from version ``ref`` to a text in hand that is not registered
        (``data``, decoded as `register` decodes it: `provenance.contents.reading`);
        ``name`` is what the report and messages call it. Options as `diff`."""
        if not files:
            reference(ref, field="ref")
        with self._session(write=False) as session:
            text = contents.reading(session, data, name, encoding).text
            a = _version_side(session, ref, files=files)
        return ops.diff_sides(a, ops.Side(None, name, text), **options)

    def trace(
        self,
        ref_a: str,
        ref_b: str,
        *,
        files: bool = True,
        fields: tuple[str, str] = ("A", "B"),
        **options: Any,
    ) -> TraceReport:
        """How B came from A along the lineage (options: profile, by, only); the
        report names every version on the path and carries the texts of A and B.
        With ``files`` False (a service) neither REF names a file and a malformed one
        is refused naming its ``fields``; both are resolved, and the whole trace read,
        in one snapshot."""
        with self._session(write=False) as session:
            a = _named(session, ref_a, files=files, field=fields[0])
            b = _named(session, ref_b, files=files, field=fields[1])
            return ops.trace(session, a, b, **options)

    def texts(self, ids: Sequence[int]) -> dict[int, str]:
        with self._session(write=False) as session:
            return ops.texts(session, tuple(ids))

    def names(self, ids: Sequence[int]) -> dict[int, str]:
        with self._session(write=False) as session:
            return ops.names(session, tuple(ids))

    def changes(self, doc: str | None = None, *, count: int, lens: str | None = None) -> list[changing.Change]:
        """The newest ``count`` versions (of ``doc``, else of the archive), newest first,
        each with its diff from its first parent under ``lens`` (None: ``cjk`` for a
        CJK text, ``whitespace`` otherwise), all read in one snapshot
        (`provenance.changes`): what a feed of new versions carries."""
        with self._session(write=False) as session:
            return changing.newest(session, doc=doc, count=count, lens=lens)

    def identify(self, data: bytes, **options: Any) -> IdentifyReport:
        """Which registered version ``data`` is (options: name, profile, top, doc,
        encoding, all_tiers)."""
        with self._session(write=False) as session:
            return identifying.identify(session, data, **options)

    def blame(self, ref: str, profile: str | None = None, *, files: bool = True) -> BlameReport:
        """Which version introduced each span; the report carries the version's text.
        With ``files`` False a REF never names a file."""
        with self._session(write=False) as session:
            report = blaming.blame(session, _named(session, ref, files=files, field="ref"), profile)
            return replace(report, text=ops.texts(session, (report.version,))[report.version])

    def events(self, **filters: Any) -> EventsReport:
        """The audit log (filters: about, actor, kinds, since, until; the last
        ``limit``, or a page: the ``first`` after sequence number ``after``; either
        of those numbered ``before`` a sequence number; and ``files=False`` for an
        ``about`` that must never name a file)."""
        with self._session(write=False) as session:
            return event_log.events(session, **filters)

    def verify(self, **options: Any) -> verifying.VerifyReport:
        """Check every stored byte, row and event (options: quick, deep, public_key,
        progress, processes). ``public_key`` (to check checkpoint signatures with) is a
        key or the path of its file, read before the archive is opened."""
        key = options.get("public_key")
        if isinstance(key, str | Path):
            options["public_key"] = signing.load_public_key(key)
        with self._session(write=False) as session:
            return verifying.verify(session, **options)

    def checkpoints(self) -> list[CheckpointReport]:
        with self._session(write=False) as session:
            return proofs.list_checkpoints(session)

    def prove(
        self,
        ref: str | None = None,
        *,
        consistency: tuple[str, str] | None = None,
        out: Path | None = None,
        files: bool = True,
    ) -> ProofReport:
        """An inclusion proof of a version, or a consistency proof between two
        checkpoints; with ``out`` its bundle is also written there, whole or not at all.
        With ``files`` False the version's REF never names a file."""
        with self._session(write=False) as session:
            if consistency:
                report = proofs.consistency(session, *consistency)
            else:
                report = proofs.inclusion(session, _named(session, ref or "", files=files, field="ref"))
        if out is not None:
            write_whole(out, report.bundle)
        return report

    def export(
        self, doc: str, *, format: str = "prov-json", out: Path | None = None
    ) -> exporting.ExportReport:
        """Export a document (`prov export`): PROV-JSON written whole to ``out`` (or,
        without one, carried in the report's ``text``), or a BagIt bag in folder ``out``."""
        with self._session(write=False) as session:
            return exporting.export(session, doc, format, out)

    def export_prov_json(self, doc: str) -> tuple[str, exporting.ExportReport]:
        with self._session(write=False) as session:
            return exporting.prov_json(session, doc)

    def export_bagit(self, doc: str, folder: Path) -> exporting.ExportReport:
        with self._session(write=False) as session:
            return exporting.bagit_bag(session, doc, folder)

    def import_batch(self, data: bytes, *, source: str = "batch", **options: Any) -> ImportReport:
        """Register every entry of a batch that carries its contents (a JSON array, see
        `provenance.importer.read_batch`), all in one transaction; nothing is read from a
        file (options: max_size, progress)."""
        with self._session(write=True) as session:
            return importer.run_batch(session, data, source=source, actor=self.actor, **options)

    def capture(self, url: str, **options: Any) -> live.CaptureReport:
        """Fetch the page at ``url`` and register it when its text changed, the raw page
        and its text in one transaction; robots.txt, timeouts and HTTP errors are
        outcomes of the report (options: timeout, user_agent, max_size, client; see
        `provenance.sources.live.capture`)."""
        return live.capture(self._session, url, actor=self.actor, **options)
