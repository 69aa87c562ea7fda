"""The values the archive hands back: what a command reports.

These frozen dataclasses are also the JSON contract of the CLI: `to_json`
serialises them through pydantic, and `json_schema` documents them, so the
schema in `docs/json/` is generated from the very types the code returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from provenance.compare import Comparison, PassageSpan, ReportedEdit
from provenance.diff import DiffStats, Edit
from provenance.editrecord import StoredMove, StoredPassage
from provenance.granularity import SentenceChange
from provenance.lenses import Invisible
from provenance.moves import Move


@dataclass(frozen=True, slots=True)
class ParentLink:
    """One lineage link seen from its child."""

    parent: int
    parent_name: str
    relation: str
    stats: DiffStats
    complete: bool
    # What the stored record says the edits mean (see provenance.editrecord):
    # the passages of an excerpt, with their inside edits, and moved blocks.
    passages: tuple[StoredPassage, ...] = ()
    moves: tuple[StoredMove, ...] = ()
    kinds: tuple[tuple[str, int], ...] = ()  # edits per kind (provenance.kinds), when asked
    # With an ``only`` kind (`prov log --only`), ``kinds`` counts that kind alone and
    # ``hidden`` the link's edits of other kinds left out.
    hidden: int = 0


ForRenderer = Field(exclude=True)
"""What a report carries for the skins that draw it (texts, names) and no JSON document
holds: the JSON contract stays the ids and edits, the renderer gets what it needs
without asking the archive again."""


@dataclass(frozen=True, slots=True)
class SightingInfo:
    """A version's exact bytes seen again (`provenance.sightings`): where and when they
    were seen, when that was recorded and by whom, instead of a new version."""

    id: int
    version: int  # the version seen
    source: str | None  # where they were seen (a URL, a publication, a commit's author)
    captured_at: str | None  # when they were seen there (ISO 8601)
    recorded_at: str  # when the archive recorded the sighting
    recorded_by: str | None  # the actor of its version.sighted event (None: no event)
    meta: dict[str, Any]  # what the source says of the sighting (a commit id, HTTP headers)


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """A version's metadata, as `prov show` reports it."""

    version: int
    document: str
    number: int
    name: str  # DOC@N, the reference a person reads
    hash: str
    size: int
    chars: int
    label: str | None
    source: str | None
    captured_at: str | None
    registered_at: str
    meta: dict[str, Any]
    parents: tuple[ParentLink, ...]
    children: tuple[int, ...]
    same_content: tuple[str, ...]  # other versions (DOC@N) holding the same bytes
    near_identical: tuple[str, ...] = ()  # other versions equal through the loose lens
    registered_by: str | None = None  # the actor of its registration event (None: no event)
    # the character encoding of its bytes as stored (None: UTF-8); `show --raw` returns
    # those bytes exactly, and every comparison uses the text they decode to
    encoding: str | None = None
    # Every time these bytes were seen again without a new version, oldest recorded first.
    sightings: tuple[SightingInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class RegisterReport:
    """What `prov register` did."""

    version: int
    document: str
    number: int
    hash: str
    parents: tuple[int, ...]
    relation: str | None
    new_content: bool
    new_document: bool
    stats: DiffStats | None  # edits from the first parent, when there is one
    # A relation the text suggests when none was given: "excerpt" when it is
    # a passage of its parent (the record found passages, see provenance.editrecord).
    suggestion: str | None = None
    # The passages of the first parent the text carries (or that carry it).
    passages: tuple[StoredPassage, ...] = ()
    # ``registered``: a new version was made. ``sighted``: the bytes are already the
    # document's latest version (``version``), and a sighting of it was recorded instead
    # (``sighting``). ``unchanged``: that version already holds these bytes from this
    # source at this capture time (its own registration, or ``sighting``): nothing was
    # written. Without a new version, ``parents`` is empty and ``relation`` and ``stats``
    # are None: nothing was linked.
    outcome: Literal["registered", "sighted", "unchanged"] = "registered"
    sighting: SightingInfo | None = None
    # What was given that a sighting does not record, so that nothing given is dropped
    # unsaid: "label" (a label other than the version's: `prov annotate` sets it) and
    # "relation" (nothing was linked).
    not_recorded: tuple[Literal["label", "relation"], ...] = ()


@dataclass(frozen=True, slots=True)
class LinkReport:
    """What `prov link` did."""

    child: int
    parent: int
    relation: str
    stats: DiffStats
    passages: tuple[StoredPassage, ...] = ()  # of an excerpt (see provenance.editrecord)


@dataclass(frozen=True, slots=True)
class DiffReport:
    """The edits from version A to version B, as `prov diff` reports them.

    Offsets are code points of the original texts whatever the ``profile``;
    with ``passages`` (see `provenance.compare` for when one is reported),
    the material outside them is edits marked ``inside: false``, at most one
    per gap: before the first passage, between two, after the last,
    and ``stats`` describe the passages only (counted under the profile);
    each passage says how much of A and of B it is. ``passage`` is the only
    passage or the first of several (``passages[0]``), kept for scripts written
    before ``passages``.
    ``sentences`` is set with ``by="sentence"``.
    """

    a: int | None  # a version id, or None for a file that is not registered
    b: int | None
    a_name: str  # DOC@N, or the file's path
    b_name: str
    profile: str
    by: str
    edits: tuple[ReportedEdit, ...]
    stats: DiffStats
    complete: bool
    passage: PassageSpan | None
    hint: str | None
    sentences: tuple[SentenceChange, ...] | None
    passages: tuple[PassageSpan, ...] = ()
    # Moved blocks (the inside edits leave them out: provenance.moves.apply(A,
    # edits, moves) gives B), the inside edits per kind, and the --only kind.
    moves: tuple[Move, ...] = ()
    kinds: tuple[tuple[str, int], ...] = ()
    only: str | None = None
    invisible_a: tuple[Invisible, ...] = ()  # invisible characters in A (provenance.lenses)
    invisible_b: tuple[Invisible, ...] = ()
    # With ``only``: the inside edits of other kinds left out (``edits`` holds the rest).
    hidden: int = 0
    # The two texts the offsets point into, for a renderer (never in the JSON).
    a_text: Annotated[str, ForRenderer] = field(default="", compare=False, repr=False)
    b_text: Annotated[str, ForRenderer] = field(default="", compare=False, repr=False)

    @classmethod
    def of(
        cls,
        a: int | None,
        b: int | None,
        a_name: str,
        b_name: str,
        c: Comparison,
        invisible: tuple[tuple[Invisible, ...], tuple[Invisible, ...]] = ((), ()),
        texts: tuple[str, str] = ("", ""),
        hidden: int = 0,
    ) -> DiffReport:
        """The report of comparison ``c``; ``hidden`` counts what an ``only`` kind left out."""
        return cls(
            a,
            b,
            a_name,
            b_name,
            c.profile,
            c.by,
            c.edits,
            c.stats,
            c.complete,
            c.passage,
            c.hint,
            c.sentences,
            c.passages,
            c.moves,
            c.kinds,
            c.only,
            *invisible,
            hidden,
            *texts,
        )


@dataclass(frozen=True, slots=True)
class TraceStep:
    from_: Annotated[int, Field(alias="from")]
    to: int
    relation: str
    direction: str  # "forward" (parent to child) or "backward" (child to parent)
    edits: tuple[Edit, ...]
    stats: DiffStats
    # From the stored record, seen in the step's direction (A is the step's start):
    passages: tuple[StoredPassage, ...] = ()
    moves: tuple[StoredMove, ...] = ()
    kinds: tuple[tuple[str, int], ...] = ()  # the step's edits per kind (provenance.kinds)
    # With the trace's ``only`` kind: ``edits`` and ``kinds`` keep that kind alone
    # (``stats`` stay the whole step's) and ``hidden`` counts the edits left out.
    hidden: int = 0


@dataclass(frozen=True, slots=True)
class TraceReport:
    """The lineage path from A to B, each step's edits, and the net edits.

    With ``only`` (`prov trace --only KIND`) every step and the net diff list the
    edits of that kind alone and say how many others they left out (``hidden``).
    """

    a: int
    b: int
    path: tuple[int, ...]  # empty when no lineage connects A and B
    via: int | None  # the common ancestor the path goes through, if any
    steps: tuple[TraceStep, ...]  # stored edits of each link (recomputed under a profile)
    net: DiffReport  # A to B directly
    only: str | None = None
    # DOC@N of A, B and every version on the path, for a renderer (never in the JSON).
    names: Annotated[dict[int, str], ForRenderer] = field(
        default_factory=dict, compare=False, repr=False
    )


@dataclass(frozen=True, slots=True)
class LogEntry:
    version: int
    number: int
    name: str
    hash: str
    chars: int
    label: str | None
    source: str | None
    captured_at: str | None
    registered_at: str
    parents: tuple[ParentLink, ...]
    same_content: tuple[str, ...] = ()  # other versions (DOC@N) holding the same bytes
    near_identical: tuple[str, ...] = ()  # other versions equal through the loose lens
    # Every time these bytes were seen again without a new version, oldest recorded first.
    sightings: tuple[SightingInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class LogReport:
    """A document's versions, oldest first, as `prov log` lists them.

    ``total`` versions are in the document; ``matched`` of them pass the
    time filters (``since`` on the registration time, ``captured_since`` on
    the capture time, which excludes versions without one) and ``shown`` =
    ``len(versions)`` are listed: the newest ``limit`` of the matched, or all;
    or, a page (the HTTP API's), the first of them after a cursor, and then
    ``newer`` of the matched come after the page.
    """

    document: str
    profile: str  # the lens the link statistics were computed under
    versions: tuple[LogEntry, ...]
    total: int = 0
    matched: int = 0
    shown: int = 0
    newer: int = 0  # matched versions after the last listed (0 unless a page)
    limit: int | None = None
    since: str | None = None  # registered at or after this time (canonical ISO)
    captured_since: str | None = None  # captured at or after this time (canonical ISO)
    # With ``only`` (`prov log --only KIND`) each link counts the edits of that kind
    # alone and says how many of other kinds it left out (`ParentLink.hidden`).
    only: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    document: str
    versions: int
    latest: int | None
    first_registered: str | None
    last_registered: str | None


@dataclass(frozen=True, slots=True)
class InitReport:
    database: str
    before: str | None
    after: str


@dataclass(frozen=True, slots=True)
class DemoReport:
    """What `prov demo` did: the archive it made, the seeds it registered, their trace."""

    database: str
    registered: tuple[RegisterReport, ...]
    trace: TraceReport


@cache
def _adapter(tp: Any) -> TypeAdapter:
    return TypeAdapter(tp)


def to_json(value: Any, tp: Any = None, *, indent: int | None = 2) -> str:
    """The JSON document for ``value`` (of type ``tp``, default its own class); on one
    line with ``indent=None`` (a JSON Lines record)."""
    adapter = _adapter(tp if tp is not None else type(value))
    return adapter.dump_json(value, by_alias=True, indent=indent).decode()


def json_schema(tp: Any) -> dict:
    return _adapter(tp).json_schema(by_alias=True, mode="serialization")
