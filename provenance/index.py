"""The identify index: what registration records so a text can be found again.

Per *content* (the same bytes registered twice are indexed once):

- ``normal_hash``: the BLAKE3 hash of the text seen through each lens of
  ``NORMAL_PROFILES`` (whitespace, cjk, loose), so "equal under a profile" is
  one indexed lookup, never a scan (a row names its ``content_index`` row,
  and its hash is kept as 32 bytes);
- ``content_index``: the MinHash signature, the size of the shingle set and
  the number of anchors (`provenance.sketch`), and the ``digest`` of all the
  content's index rows (`rows_digest`), which `prov verify` checks the rows
  against without recomputing them from the text;
- ``key_run`` and ``key_chain``: its keys, the 32 LSH band keys and the
  anchors (band -1). A content registered as a revision of the content at
  the end of a chain takes the next position in it, and only the keys it
  adds or drops are written (a run per key, open until a later position
  drops it); `key_rows` joins them back into one row per key per content,
  which is what identify counts and verify checks. Any placement gives the
  same rows: placement saves space, it changes no answer.

``index_state`` names the schemes that built it (``SKETCH_VERSION`` of
`provenance.sketch`, ``NORMAL_VERSION`` here); `check_current` refuses to
answer from an index built by another scheme, and `rebuild` recomputes all of
it. Everything lives in the database, on SQLite and PostgreSQL alike.

The normalized texts are those of `provenance.lenses.normalize`, computed by
`provenance.lenses.normal_text` without the offset maps, which identification
does not need and which cost ten times more (a test holds them equal on the
corpus and on random texts). Normalization has one owner, `provenance.lenses`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from blake3 import blake3
from sqlalchemy import (
    and_,
    bindparam,
    case,
    delete,
    insert,
    literal,
    literal_column,
    type_coerce,
    update,
)
from sqlalchemy import cast as sa_cast
from sqlalchemy.sql import Select
from sqlalchemy.types import BigInteger
from sqlmodel import Session, func, select

from provenance import contents, lazy, lenses, plain
from provenance.errors import SchemaError
from provenance.hashing import content_hash
from provenance.models import (
    Content,
    ContentIndex,
    Document,
    IndexState,
    KeyChain,
    KeyRun,
    Link,
    NormalHash,
    Version,
)

np = lazy.module("numpy")
sketch = lazy.module("provenance.sketch")  # numpy, for writing and searching the index only

NORMAL_PROFILES = ("whitespace", "cjk", "loose")
"""The lenses whose hashes are kept, weakest first."""

NORMAL_VERSION = 4
"""Name of the normal-form scheme; bump it when `provenance.lenses` changes a normalized text.

2: invisible characters hidden, hyphenated line breaks joined, segmentation
spaces next to punctuation in Latin islands of CJK text dropped (issue 9).
3: a line break between two digits in a Latin island of CJK text dropped
(``cjk`` and ``loose``: a printed page's ``45\n00`` is ``4500``).
4: a hyphen before a line break kept by ``whitespace`` and ``cjk`` (a re-wrapped
``well-\nknown`` is ``well-known``); only ``loose`` joins the letters."""


# -- normal forms ----------------------------------------------------------------


def normal_form(text: str, profile: str) -> str:
    """``lenses.normalize(text, profile).text``, without the offset maps (``lenses.normal_text``)."""
    return lenses.normal_text(text, profile)


def normal_hashes(text: str) -> dict[str, str]:
    """Profile -> hash of the text through that lens, for ``NORMAL_PROFILES``."""
    return {p: content_hash(normal_form(text, p).encode("utf-8")) for p in NORMAL_PROFILES}


# -- the digest of a content's index rows -------------------------------------------

_P, _Q = 2_147_483_629, 2_147_483_587
"""Primes under 2**31: keys are summed modulo each (their product exceeds 2**64, so
one changed key always changes a sum), and no sum overflows 64 bits in SQL."""


def key_summary(pairs: np.ndarray) -> tuple[int, ...]:
    """What `key_summary_query` computes in SQL, from a content's (band, key) rows.

    ``(rows, 0, sum of bands, sum of keys mod P, sum of keys mod Q, sum of
    (key mod P) * (band + 2) mod Q)``, with SQL's remainder (the sign of the
    dividend: ``np.fmod``). The 0 stands for the count of rows holding a value
    that is not an integer. One row added, removed, or changed in its band or
    key changes the summary; so does swapping keys between bands.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    bands, keys = pairs[:, 0], pairs[:, 1]
    by_p = np.fmod(keys, _P)
    return (
        len(pairs),
        0,
        int(bands.sum()),
        int(by_p.sum()),
        int(np.fmod(keys, _Q).sum()),
        int(np.fmod(by_p * (bands + 2), _Q).sum()),
    )


_OPEN = literal_column("2147483647")  # an open run's end: past any position


def key_rows() -> Select:
    """``(band, key, content_id)`` of every key every content holds (its band keys, and
    its anchors under band ``ANCHOR_BAND``): the runs of its chain that cover its
    position, joined by the database, one row per key per content."""
    r, c = KeyRun.__table__, ContentIndex.__table__
    covers = and_(
        c.c.chain == r.c.chain, c.c.pos >= r.c.lo, c.c.pos <= func.coalesce(r.c.hi, _OPEN)
    )
    return select(
        r.c.band.label("band"), r.c.key.label("key"), c.c.id.label("content_id")
    ).select_from(r.join(c, covers))


def key_summary_query(session: Session) -> Select:
    """``(content_id, *key_summary)`` per content, from every key of `key_rows`, computed by the database.

    One scan in the database's own code: the keys (the archive's largest
    table) never cross into Python. On SQLite a column may hold text; such
    rows are counted in the second field, which `key_summary` gives as 0.
    """
    t = key_rows().subquery()
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:  # integers are 64-bit there whatever the column says
        band, key = type_coerce(t.c.band, BigInteger), t.c.key
    else:  # products of 32-bit columns would overflow
        band, key = sa_cast(t.c.band, BigInteger), sa_cast(t.c.key, BigInteger)
    by_p = key % _P
    if sqlite:
        odd = func.sum(
            case(
                (
                    (func.typeof(t.c.band) != "integer") | (func.typeof(t.c.key) != "integer"),
                    1,
                ),
                else_=0,
            )
        )
    else:
        odd = literal(0)
    return select(
        t.c.content_id,
        func.count(),
        odd,
        func.sum(band),
        func.sum(by_p),
        func.sum(key % _Q),
        func.sum(by_p * (band + 2) % _Q),
    ).group_by(t.c.content_id)


def rows_digest(
    normals: Mapping[Any, Any], shingles: Any, anchors: Any, signature: Any, keys: tuple[Any, ...]
) -> str:
    """The digest `content_index.digest` holds: of a content's normal hashes, its
    content_index columns and the `key_summary` of its sketch keys.

    Total over stored values of any type (a damaged column): a value of
    another type gives another digest.
    """
    if isinstance(signature, bytes | bytearray | memoryview):
        signature = bytes(signature).hex()
    else:
        signature = repr(signature)
    body = repr(
        (
            sorted((repr(p), repr(h)) for p, h in normals.items()),
            repr(shingles),
            repr(anchors),
            signature,
            tuple(int(x) if x is not None else None for x in keys),
        )
    )
    return "blake3:" + blake3(body.encode("utf-8", "surrogateescape")).hexdigest()


# -- writing -----------------------------------------------------------------------


def _insert(session: Session, table):
    return lazy.dialect_insert(session.get_bind().dialect.name)(table)


def _sketch(text: str) -> tuple[sketch.Sketch, int]:
    """`provenance.sketch.sketch` and the size of the shingle set, from one shingling pass."""
    raw = sketch.text_shingle_hashes(text)
    sig = sketch.signature_of_hashes(raw)
    made = sketch.Sketch(
        signature=sketch.signature_to_bytes(sig),
        bands=tuple(sketch.band_keys(sig)),
        anchors=tuple(sketch.anchors_of_hashes(raw).tolist()),
    )
    # Counted last, sorting the hashes in place: a big text's arrays are tens of MB,
    # and a sorted copy beside them was the sketch's largest moment.
    raw.sort()
    distinct = int(np.count_nonzero(raw[1:] != raw[:-1])) + 1 if len(raw) else 0
    return made, distinct


@dataclass(frozen=True, slots=True)
class Rows:
    """A content's index rows, computed from its text alone (`rows_for`) and written
    by `insert_rows`: a writer computes them before it takes the write lock."""

    digest: str
    content_index: dict[str, Any]
    normals: dict[str, str]
    keys: tuple[tuple[int, int], ...]


def rows_for(digest: str, text: str) -> Rows:
    """The index rows of content ``digest`` whose text is ``text`` (no database)."""
    s, shingles = _sketch(text)
    normals = normal_hashes(text)
    keys = tuple(s.index_rows())
    content_index = {
        "content_hash": digest,
        "shingles": shingles,
        "anchors": len(s.anchors),
        "signature": s.signature,
        "digest": rows_digest(
            normals,
            shingles,
            len(s.anchors),
            s.signature,
            key_summary(np.array(keys, dtype=np.int64)),
        ),
    }
    return Rows(digest, content_index, normals, keys)


def _index_insert(statement):
    table = ContentIndex.__table__
    return (
        statement(table)
        .on_conflict_do_nothing(index_elements=["content_hash"])
        .returning(table.c.id)
    )


@cache
def _index_insert_for(dialect: str):
    # Built once per dialect, values given as parameters: the statement cache keys the statement alone.
    return _index_insert(lazy.dialect_insert(dialect))


_NORMAL_INSERT = insert(NormalHash.__table__)
_CI = ContentIndex.__table__
_RUN = KeyRun.__table__
_CHAIN = KeyChain.__table__
_RUN_INSERT = insert(_RUN)
_RUN_CLOSE = (
    update(_RUN)
    .where(
        _RUN.c.band == bindparam("b"),
        _RUN.c.key == bindparam("k"),
        _RUN.c.chain == bindparam("c"),
        _RUN.c.hi.is_(None),
    )
    .values(hi=bindparam("h"))
)
_CHAIN_EXTEND = (
    update(_CHAIN)
    .where(_CHAIN.c.id == bindparam("c"), _CHAIN.c.tail == bindparam("p"))
    .values(tail=bindparam("t"))
)
_CHAIN_INSERT = insert(_CHAIN).returning(_CHAIN.c.id)
_PLACE = update(_CI).where(_CI.c.id == bindparam("i")).values(chain=bindparam("c"), pos=bindparam("p"))


def insert_rows(session: Session, rows: Rows, base: str | None = None) -> bool:
    """Write `rows_for`'s rows unless the content is indexed; returns whether it was indexed now.

    ``base``: the content this one was registered as a revision of; its keys are
    stored as the change from ``base``'s when ``base`` ends its chain (`place`).
    """
    stmt = _index_insert_for(session.get_bind().dialect.name)
    returned = plain.run(session, stmt, rows.content_index)
    if not returned:
        return False  # indexed before (same bytes registered earlier, or concurrently)
    plain.run_many(
        session,
        _NORMAL_INSERT,
        [{"index_id": returned[0][0], "profile": p, "hash": h} for p, h in rows.normals.items()],
    )
    place(session, returned[0][0], rows.keys, base)
    _recent.put(rows.digest, frozenset(rows.keys))
    return True


class _RecentKeys:
    """The keys of the contents indexed last in this process, by content hash.

    A content's keys are a function of its text alone, so an entry never goes
    stale, whatever archive or transaction it came from; it saves sketching a
    chain's tail again when the next revision of it is placed (an import
    places every version after the one it indexed just before)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._keys: OrderedDict[str, frozenset[tuple[int, int]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str) -> frozenset[tuple[int, int]] | None:
        with self._lock:
            return self._keys.get(digest)

    def put(self, digest: str, keys: frozenset[tuple[int, int]]) -> None:
        with self._lock:
            self._keys[digest] = keys
            self._keys.move_to_end(digest)
            while len(self._keys) > self._size:
                self._keys.popitem(last=False)


_recent = _RecentKeys(64)


def _keys_of(session: Session, digest: str) -> frozenset[tuple[int, int]]:
    """The (band, key) pairs of stored content ``digest``: remembered, else sketched from its text."""
    keys = _recent.get(digest)
    if keys is None:
        keys = frozenset(_sketch(contents.get_text(session, digest))[0].index_rows())
        _recent.put(digest, keys)
    return keys


def place(
    session: Session, content_id: int, keys: tuple[tuple[int, int], ...], base: str | None
) -> None:
    """Store content ``content_id``'s (band, key) pairs: one position past ``base`` in
    its chain when ``base`` is that chain's tail (runs opened for the keys it adds,
    closed for those it drops), else at position 0 of a new chain (a run per key).

    A chain's open runs are the keys of the content at its tail (each revision
    closes the runs of the keys it drops), so they are ``base``'s own keys
    (`_keys_of`) and are not read back: no index of runs by chain is kept."""
    chain = pos = None
    if base is not None:
        found = session.execute(
            select(_CI.c.chain, _CI.c.pos).where(_CI.c.content_hash == base)
        ).first()
        if found is not None and found[0] is not None and found[1] is not None:
            c, p = found
            # Only a writer that still sees base at the tail moves it (row-locked on PostgreSQL).
            if session.execute(_CHAIN_EXTEND, {"c": c, "p": p, "t": p + 1}).rowcount == 1:
                chain, pos = c, p + 1
    if chain is None:
        chain, pos, held = plain.run(session, _CHAIN_INSERT, {"tail": 0})[0][0], 0, frozenset()
    else:
        held = _keys_of(session, base)
    wanted = set(keys)
    plain.run_many(
        session,
        _RUN_CLOSE,
        [{"b": b, "k": k, "c": chain, "h": pos - 1} for b, k in sorted(held - wanted)],
    )
    plain.run_many(
        session,
        _RUN_INSERT,
        [
            {"band": b, "key": k, "chain": chain, "lo": pos, "hi": None}
            for b, k in sorted(wanted - held)
        ],
    )
    plain.run(session, _PLACE, {"i": content_id, "c": chain, "p": pos})


def add_content(session: Session, digest: str, text: str, base: str | None = None) -> bool:
    """Index one content unless it already is; returns whether it was indexed now."""
    return insert_rows(session, rows_for(digest, text), base)


def add_version(session: Session, version: Version, text: str, base: str | None = None) -> bool:
    """Index a newly registered version's content (a no-op when its bytes are indexed)."""
    indexed = session.exec(
        select(ContentIndex.id).where(ContentIndex.content_hash == version.content_hash)
    ).first()
    if indexed is not None:
        return False
    return add_content(session, version.content_hash, text, base)


def current_state() -> dict[str, str]:
    return {"sketch_version": str(sketch.SKETCH_VERSION), "normal_version": str(NORMAL_VERSION)}


def check_current(session: Session) -> None:
    """Refuse an index that is missing or was built by another scheme."""
    stored = {row.name: row.value for row in session.exec(select(IndexState)).all()}
    if not stored:
        raise SchemaError("this archive's identify index has not been built yet; run: prov reindex")
    if stored != current_state():
        raise SchemaError(
            f"this archive's identify index was built by another scheme ({stored}, "
            f"this program uses {current_state()}); rebuild it with: prov reindex"
        )


@dataclass(frozen=True, slots=True)
class ReindexReport:
    """What `prov reindex` did."""

    contents: int  # contents indexed
    versions: int  # versions they carry
    keys: int  # key_run rows written (runs of band keys and anchors)
    sketch_version: int
    normal_version: int
    seconds: float


def _lineage_order(session: Session) -> list[tuple[str, str | None]]:
    """Every stored content once, with its base: the content of the first parent its
    first version links to (None: no parent), which is the base registration gave it
    unless a link was added later to a version registered without parents. In
    registration order, so each chain is rebuilt as it grew; then contents no version
    carries, by hash. Any base gives the same keys; a good one gives fewer runs."""
    first = (
        select(func.min(Link.id))
        .where(Link.child_id == Version.id)
        .correlate(Version)
        .scalar_subquery()
    )
    parent = Version.__table__.alias("parent")
    rows = session.execute(
        select(Version.content_hash, parent.c.content_hash)
        .select_from(Version)
        .outerjoin(Link, Link.id == first)
        .outerjoin(parent, parent.c.id == Link.parent_id)
        .order_by(Version.id)
    ).all()
    order: dict[str, str | None] = {}
    for digest, base in rows:
        order.setdefault(digest, base)
    for digest in session.exec(select(Content.hash).order_by(Content.hash)):
        order.setdefault(digest, None)
    return list(order.items())


def rebuild(
    session: Session, progress: Callable[[int, int], None] | None = None
) -> tuple[int, int, int]:
    """Drop and recompute the whole index in the caller's transaction.

    Returns (contents, versions, key rows). ``progress(done, total)`` is
    called after each content.
    """
    session.execute(delete(KeyRun.__table__))
    session.execute(delete(NormalHash.__table__))
    session.execute(delete(ContentIndex.__table__))
    session.execute(delete(KeyChain.__table__))
    session.execute(delete(IndexState.__table__))
    hashes = _lineage_order(session)
    for i, (digest, base) in enumerate(hashes):
        add_content(session, digest, contents.get_text(session, digest), base)
        if progress is not None:
            progress(i + 1, len(hashes))
    session.execute(
        insert(IndexState.__table__), [{"name": k, "value": v} for k, v in current_state().items()]
    )

    keys = session.exec(select(func.count()).select_from(KeyRun)).one()
    versions = session.exec(select(func.count()).select_from(Version)).one()
    return len(hashes), versions, keys


NEAR_PROFILE = "loose"
"""The lens under which two different contents count as near-identical."""

ELSEWHERE_LIMIT = 20


def reindex(
    session: Session, progress: Callable[[int, int], None] | None = None
) -> ReindexReport:
    """`rebuild`, and what it did (`prov reindex`'s report)."""
    started = time.perf_counter()
    contents, versions, keys = rebuild(session, progress=progress)
    return ReindexReport(
        contents=contents,
        versions=versions,
        keys=keys,
        sketch_version=int(current_state()["sketch_version"]),
        normal_version=NORMAL_VERSION,
        seconds=round(time.perf_counter() - started, 3),
    )


def elsewhere(session: Session, version: Version) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Other versions (DOC@N) with the same bytes, and with near-identical ones.

    Near-identical: a different content equal to this one through the
    ``NEAR_PROFILE`` lens (whitespace, width, case, quotes and dashes aside),
    found by the normalized-hash index. At most ``ELSEWHERE_LIMIT`` of each.
    """

    def names(stmt) -> tuple[str, ...]:
        rows = session.exec(
            stmt.join(Document, Document.id == Version.document_id)
            .order_by(Version.id)
            .limit(ELSEWHERE_LIMIT)
        ).all()
        return tuple(f"{key}@{number}" for key, number in rows)

    same = names(
        select(Document.key, Version.number).where(
            Version.content_hash == version.content_hash, Version.id != version.id
        )
    )
    mine = (
        select(NormalHash.hash)
        .join(ContentIndex, ContentIndex.id == NormalHash.index_id)
        .where(ContentIndex.content_hash == version.content_hash, NormalHash.profile == NEAR_PROFILE)
        .scalar_subquery()
    )
    near = names(
        select(Document.key, Version.number)
        .join(ContentIndex, ContentIndex.content_hash == Version.content_hash)
        .join(NormalHash, NormalHash.index_id == ContentIndex.id)
        .where(
            NormalHash.profile == NEAR_PROFILE,
            NormalHash.hash == mine,
            Version.content_hash != version.content_hash,
        )
    )
    return same, near
