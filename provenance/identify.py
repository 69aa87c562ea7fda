"""Identify a text: is it a registered version, which one, and if none, which are closest.

Tiers, best first (``identify``):

1. **exact**: the query's content hash is registered, or its text is a
   registered content's text character for character in other bytes (another
   encoding, a UTF-16 byte-order mark: ``same_bytes`` false); every version
   carrying it is a match (score 1). A GB18030 version pasted as UTF-8 is
   the same text, not a match "through the whitespace lens".
2. **normalized**: the query's text through a lens (whitespace, cjk, loose,
   weakest first) hashes to a registered content's hash through the same lens
   (`provenance.index`, one indexed lookup per profile); score 1, ``profile``
   names the weakest lens that made them equal.
3. **similar**: candidates from the LSH index (contents sharing a band key of
   the query's MinHash signature) and from the anchor index (contents holding
   at least half of a sample of the query's anchors: the query is a passage of
   them; or whose anchors the query mostly holds: they are a passage of the
   query). Contents longer than the query holding *every* sampled anchor (as
   a content holding the query verbatim does) are confirmed first, earliest
   first, beyond the usual budget (``HOLDERS_MAX``); the others are pre-ranked
   by the signature's estimates and the ``CONFIRM`` best confirmed on exact
   shingle sets. Every confirmed content is ranked by the issue's rule, on
   the comparison `provenance.compare.compare` makes of it with the query,
   the comparison `prov diff VERSION QUERY --normalize LENS` makes (``LENS``:
   the lens asked for, else ``SUMMARY_LENS``):

   - ``score``: the share of the query found in the version, the query's
     characters (through the lens) the comparison keeps unchanged (a
     character more is a higher share: rounded, the source of a query one
     word off lost to its parent on registration);
   - ties by lens equality (``verbatim``: the query inside the version, or
     the version inside the query, byte for byte, else through the weakest
     lens of whitespace, cjk, loose, else none);
   - then by the fewest edits (``diff``: the comparison's own summary, so it
     agrees with the diff it recommends; ``passage`` is its passage, with
     ``a`` = the query and ``b`` = the version);
   - then by the earliest registration (the content's first version).

   They are compared in a first order (shingle containment in whole percent,
   verbatim holders first, Jaccard, then, of contents equal on those, the
   ones sharing most words and lines with the query, then the earliest),
   which decides only how soon the likely winners are ranked. Once ``top``
   versions are ranked, a further content is compared only if it could
   still reach them (``_cannot_reach``): its best conceivable key is its
   share bound (the longest common subsequence of the two texts' normal
   forms over the query's), its lens equality, no edit and its first
   version; one whose best key ranks below the ``top``-th row's is left out
   uncompared (``LCS_PRUNE``; provably the same answers, at a fraction of a
   millisecond to a few milliseconds instead of a comparison's tens to
   hundreds). After ``SHORTLIST_EXTRA`` such further comparisons, only a
   content that could outrank the first row is compared. So no confirmed
   content the rule ranks first is dropped, and the rows after it are the
   rule's order of the contents compared (every one that could outrank the
   first row, and at least ``top + SHORTLIST_EXTRA``); what is not confirmed
   (beyond ``CONFIRM``, ``CONFIRM_CHARS`` and ``HOLDERS_MAX``, or never a
   candidate of the index) is not ranked, and benchmarks/identify.py
   measures how often that costs the top match.

Contents matched by a better tier are not repeated by a worse one, and a
tier runs only when the better ones found nothing (``all_tiers`` runs them all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Row, bindparam
from sqlalchemy import text as sql_text
from sqlmodel import Session, col, select

from provenance import contents, index, refs, sketch
from provenance.align import Passage
from provenance.compare import compare
from provenance.errors import InputError
from provenance.hashing import content_hash
from provenance.lenses import check_profile
from provenance.models import Content, ContentIndex, Digest, Document, NormalHash, Version
from provenance.text import decode

try:  # the banded LCS behind PRUNE; without it every shortlisted content is compared
    from rapidfuzz.distance import LCSseq
except ImportError:  # pragma: no cover
    LCSseq = None

TIERS = ("exact", "normalized", "similar")

DEFAULT_TOP = 3

BAND_CANDIDATES = 200
"""Most contents taken from the LSH bands (those sharing the most band keys)."""

ANCHOR_SAMPLE = 64
"""Anchors of the query looked up: its ``ANCHOR_SAMPLE`` smallest anchor keys, a
uniform sample (keys are hashes), so a long query costs no more than a short one."""

ANCHOR_SHARE = 0.5
"""A content holding this share of the sampled anchors is a candidate (the query
is mostly a passage of it), as measured in benchmarks/sketch_quality.py."""

CONFIRM = 32
CONFIRM_MIN = 3
CONFIRM_CHARS = 400_000
"""Candidates, pre-ranked on the signature, confirmed on exact shingle sets: at
most ``CONFIRM``, and beyond the first ``max(CONFIRM_MIN, top)`` only while their
texts total under ``CONFIRM_CHARS`` characters (about 1 ms per 10 000)."""

NEAR_MAX = 128
"""Of the candidates estimated within ``PRUNE_MARGIN`` of the best, the first
``NEAR_MAX`` are read and ordered by the raw lines they share with the query
before any is confirmed: the signature cannot order the revisions of one
history a word or two apart (its estimates differ by less than their standard
error; the source of a similar query was found at the 82nd place of such a
pre-rank, benchmarks/identify.py)."""

PRUNE_MARGIN = 0.25
"""A candidate whose estimated containment is this far below the ``top``-th
confirmed containment is not confirmed (the estimate's standard error is
under 0.05 for the signature, 0.07 for a 64-anchor sample)."""

MIN_SCORE = 0.2
"""Similar matches below this containment and Jaccard are not reported."""

HOLDER_RATIO = 1.0
HOLDERS_MAX = 64
HOLDER_BATCH = 8
"""Contents with more shingles than ``HOLDER_RATIO`` times the query's that hold
every sampled anchor of it may hold the query verbatim; at most ``HOLDERS_MAX``
of them (earliest indexed first, read ``HOLDER_BATCH`` at a time) are confirmed
before any other candidate, beyond the ``CONFIRM_CHARS`` budget, until
``top + SHORTLIST_EXTRA`` of them hold it byte for byte."""

SHORTLIST_EXTRA: int | None = 2
"""Contents compared beyond those filling the ``top`` rows that could reach
only the second to ``top``-th row (None: no cap). Every content that could
outrank the first row is compared, however many; the rows after it are the
rule's best of the contents compared. Without the cap a query one word off a
crawled page compared 72 revisions of it a few characters apart, at 100 ms
each, to order the second and third rows. Also the verbatim holders read
beyond the ``top`` (``HOLDERS_MAX``): until ``top + SHORTLIST_EXTRA`` of them
hold the query byte for byte."""

SUMMARY_LENS = "cjk"
"""The lens of the comparison behind a similar match when none is asked for
(``--normalize``): it hides layout and segmentation, as passages are found."""

LCS_PRUNE = LCSseq is not None
"""Skip the comparison of a content that cannot reach the ``top`` rows (``_cannot_reach``):
its share found is at most the longest common subsequence of the two texts
through the lens, checked with rapidfuzz's banded LCS (a few ms where the
comparison takes hundreds). Provably the same answers; a test holds them
equal with and without it."""


@dataclass(frozen=True, slots=True)
class QueryInfo:
    hash: str
    chars: int
    profiles: tuple[str, ...]  # the lenses tried for the normalized tier


@dataclass(frozen=True, slots=True)
class DiffSummary:
    """Edits from the version to the query (inside the passage, for a passage match)."""

    edits: int
    inserted: int
    deleted: int
    similarity: float
    complete: bool
    profile: str  # the lens: what `prov diff VERSION QUERY --normalize PROFILE` reports


@dataclass(frozen=True, slots=True)
class Match:
    version: int
    document: str
    number: int
    name: str  # DOC@N
    tier: str  # exact, normalized or similar
    profile: str  # exact, the lens that made them equal, or "sketch" for similar
    score: float  # 1 for exact and normalized; for similar, the share of the query found
    jaccard: float
    verbatim: str | None  # the weakest lens showing one text inside the other verbatim, or None
    same_bytes: bool  # the version's bytes are the query's, byte for byte (not only its text)
    passage: Passage | None  # a = the query, b = the version
    diff: DiffSummary | None
    registered_at: str
    captured_at: str | None
    label: str | None
    source: str | None


@dataclass(frozen=True, slots=True)
class IdentifyReport:
    """What `prov identify` found, best first; empty ``matches`` means nothing matched."""

    query: QueryInfo
    matches: tuple[Match, ...]


def identify(
    session: Session,
    data: bytes,
    *,
    name: str = "<query>",
    profile: str | None = None,
    top: int = DEFAULT_TOP,
    doc: str | None = None,
    encoding: str | None = None,
    all_tiers: bool = False,
) -> IdentifyReport:
    """Find ``data`` among the registered versions (see the module docstring).

    ``profile`` restricts the normalized tier to one lens (``exact``: none);
    ``top`` is how many similar versions to report (0: no similar tier);
    ``doc`` restricts every tier to one document. A tier runs only when the
    better ones matched nothing, unless ``all_tiers``.
    """
    if top < 0:
        raise InputError("--top: give 0 or more")
    profiles = index.NORMAL_PROFILES if profile is None else (check_profile(profile),)
    profiles = tuple(p for p in profiles if p != "exact")
    index.check_current(session)
    decoded = decode(data, name, encoding)
    text = decoded.text
    digest = content_hash(decoded.data)
    doc_id = refs.find_document(session, doc).id if doc is not None else None

    matches: list[Match] = []
    seen: set[str] = set()  # content hashes already matched

    rows = _versions(session, [col(Version.content_hash) == digest], doc_id)
    matches += [
        _match(v, d, "exact", "exact", 1.0, 1.0, verbatim="exact", same_bytes=True) for v, d in rows
    ]
    if rows:
        seen.add(digest)
    rows = _same_text(session, text, doc_id, seen)  # beside the same bytes: the same answer
    matches += [_match(v, d, "exact", "exact", 1.0, 1.0, verbatim="exact") for v, d in rows]
    seen.update(v.content_hash for v, _ in rows)

    for p in profiles if all_tiers or not matches else ():
        h = content_hash(index.normal_form(text, p).encode("utf-8"))
        hashes = (
            select(ContentIndex.content_hash)
            .join(NormalHash, NormalHash.index_id == ContentIndex.id)
            .where(NormalHash.profile == p, NormalHash.hash == h)
        )
        rows = _versions(session, [col(Version.content_hash).in_(hashes)], doc_id)
        rows = [(v, d) for v, d in rows if v.content_hash not in seen]
        matches += [_match(v, d, "normalized", p, 1.0, 1.0, verbatim=p) for v, d in rows]
        seen.update(v.content_hash for v, _ in rows)

    if top and (all_tiers or not matches):
        lens = SUMMARY_LENS if profile is None else check_profile(profile)
        matches += _similar(session, text, top, doc_id, seen, lens)
    return IdentifyReport(QueryInfo(digest, len(text), profiles), tuple(matches))


def _same_text(
    session: Session, text: str, doc_id: int | None, seen: set[str]
) -> list[tuple[Row, Row]]:
    """Versions whose text is ``text`` in other bytes than the query's.

    The same text has the same hash through any lens, so the candidates are
    the contents equal to it through the weakest one; each is then read and
    compared character for character (a lens hides what the exact tier must
    not: a line break, an invisible character). Only contents of the query's
    length in characters are read: a re-wrapped or re-spaced copy, which is
    equal through the lens too, is mostly not.
    """
    h = content_hash(index.normal_form(text, index.NORMAL_PROFILES[0]).encode("utf-8"))
    candidates = (
        select(ContentIndex.content_hash)
        .join(NormalHash, NormalHash.index_id == ContentIndex.id)
        .join(Content, col(Content.hash) == col(ContentIndex.content_hash))
        .where(
            NormalHash.profile == index.NORMAL_PROFILES[0],
            NormalHash.hash == h,
            Content.chars == len(text),
        )
    )
    rows = _versions(session, [col(Version.content_hash).in_(candidates)], doc_id)
    rows = [(v, d) for v, d in rows if v.content_hash not in seen]
    stored = contents.texts(session, sorted({v.content_hash for v, _ in rows}))
    return [(v, d) for v, d in rows if stored[v.content_hash] == text]


def _versions(session: Session, where: list, doc_id: int | None) -> list[tuple[Row, Row]]:
    """(version, document) rows: plain columns, not ORM objects (a third of the cost)."""
    stmt = select(
        col(Version.id).label("id"),
        Version.number,
        Version.content_hash,
        Version.registered_at,
        Version.captured_at,
        Version.label,
        Version.source,
        Document.key,
    ).join(Document, col(Document.id) == col(Version.document_id))
    for cond in where:
        stmt = stmt.where(cond)
    if doc_id is not None:
        stmt = stmt.where(Version.document_id == doc_id)
    return [(r, r) for r in session.execute(stmt.order_by(Version.id)).all()]


def _match(
    v: Row,
    d: Row,
    tier: str,
    profile: str,
    score: float,
    jaccard: float,
    passage: Passage | None = None,
    summary: DiffSummary | None = None,
    verbatim: str | None = None,
    same_bytes: bool = False,
) -> Match:
    return Match(
        version=v.id,
        document=d.key,
        number=v.number,
        name=f"{d.key}@{v.number}",
        tier=tier,
        profile=profile,
        score=round(score, 6),
        jaccard=round(jaccard, 6),
        verbatim=verbatim,
        same_bytes=same_bytes,
        passage=passage,
        diff=summary,
        registered_at=v.registered_at,
        captured_at=v.captured_at,
        label=v.label,
        source=v.source,
    )


# -- the similar tier -------------------------------------------------------------


_IN_DOC = (
    " AND {col} IN (SELECT ci.id FROM content_index ci JOIN version v"
    " ON v.content_hash = ci.content_hash WHERE v.document_id = :doc)"
)

_HELD = (
    " FROM key_run r JOIN content_index i ON i.chain = r.chain AND i.pos >= r.lo"
    " AND i.pos <= COALESCE(r.hi, 2147483647)"
)
# The contents holding a key: those of its run's chain at the positions the run
# covers (`provenance.index.key_rows`), so every count below is the one a row per
# key per content gives.

_BAND_SQL = (
    "SELECT i.id, COUNT(*) AS n" + _HELD + " WHERE {bands}{doc}"
    " GROUP BY i.id ORDER BY n DESC, i.id LIMIT :lim"
)
# The bands as ``(r.band = :b0 AND r.key = :k0) OR ...``: one primary-key probe each
# (SQLite's MULTI-INDEX OR); ``band IN (...) AND key IN (...)`` probes 32 x 32.

_ANCHOR_SQL = (
    "SELECT g.content_id, g.n FROM (SELECT i.id AS content_id, COUNT(*) AS n" + _HELD
    + " WHERE r.band = :anchor AND r.key IN :keys{doc} GROUP BY i.id HAVING COUNT(*) >= :floor) g"
    " JOIN content_index c ON c.id = g.content_id"
    " WHERE g.n >= :need OR (g.n >= 3 AND 2 * :total * g.n >= :k * c.anchors)"
    " ORDER BY g.n DESC, g.content_id LIMIT :lim"
)
# A content holding ``ANCHOR_SHARE`` of the sample (the query is mostly a passage
# of it), or at least 3 and half of the sample's expected share of its own
# anchors (it is mostly inside the query). Counting before the join: a sample
# meets thousands of contents once or twice (common phrases), and only those
# with ``floor`` hits need their anchor count.

_ROWS_SQL = (
    "SELECT c.id, c.content_hash, c.shingles, c.signature, t.chars FROM content_index c"
    " JOIN content t ON t.hash = c.content_hash WHERE c.id IN :ids"
)


@dataclass(slots=True)
class _Candidate:
    id: int
    hash: str
    shingles: int
    signature: bytes
    chars: int
    bands: int = 0  # band keys shared with the query
    anchors: float = 0.0  # share of the sampled query anchors it holds


def _run(session: Session, sql: str, expanding: tuple[str, ...], types=None, **params):
    """The rows of ``sql``; ``types`` names result columns read through a column type."""
    stmt = sql_text(sql).bindparams(*(bindparam(n, expanding=True) for n in expanding))
    if types:
        stmt = stmt.columns(**types)
    return session.execute(stmt, params).all()


def candidates(session: Session, s: sketch.Sketch, doc_id: int | None = None) -> dict[str, float]:
    """Content hash -> share of the sampled query anchors it holds (0 if found by bands only)."""
    return {c.hash: c.anchors for c in _candidates(session, s, doc_id)}


def _candidates(session: Session, s: sketch.Sketch, doc_id: int | None) -> list[_Candidate]:
    """Contents sharing band keys with the query, or holding (or held in) its anchors.

    Two grouped index scans of ``key_run`` (the band keys, then the
    anchors), each joined to the positions its runs cover (written as plain
    SQL: building the same statement with the expression language cost more
    than running it), then one fetch of the candidates' index rows.
    """
    doc = {"doc": doc_id} if doc_id is not None else {}
    bands: dict[int, int] = {}
    where = " OR ".join(f"(r.band = :b{i} AND r.key = :k{i})" for i in range(len(s.bands)))
    sql = _BAND_SQL.format(bands=f"({where})", doc=_IN_DOC.format(col="i.id") if doc else "")
    params = {f"{c}{i}": v for i, bk in enumerate(s.bands) for c, v in zip("bk", bk, strict=True)}
    for cid, n in _run(session, sql, (), lim=BAND_CANDIDATES, **params, **doc):
        bands[cid] = n
    anchors: dict[int, float] = {}
    sample = sorted(s.anchors)[:ANCHOR_SAMPLE]
    if sample:
        k, total = len(sample), len(s.anchors)
        need = max(1, math.ceil(ANCHOR_SHARE * k))
        sql = _ANCHOR_SQL.format(doc=_IN_DOC.format(col="i.id") if doc else "")
        for cid, n in _run(
            session,
            sql,
            ("keys",),
            anchor=sketch.ANCHOR_BAND,
            keys=sample,
            need=need,
            floor=min(3, need),
            total=total,
            k=k,
            lim=BAND_CANDIDATES,
            **doc,
        ):
            anchors[cid] = n / k
    ids = sorted(bands.keys() | anchors.keys())
    if not ids:
        return []
    out = []
    for cid, h, shingles, signature, chars in _run(
        session, _ROWS_SQL, ("ids",), {"content_hash": Digest}, ids=ids
    ):
        out.append(
            _Candidate(
                cid, h, shingles, bytes(signature), chars, bands.get(cid, 0), anchors.get(cid, 0.0)
            )
        )
    return out


def _shingles(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(sorted unique shingle hashes, raw hashes in text order) of a text.

    The shingle set is `provenance.sketch.shingle_hashes`; sorting the raw
    hashes is twice as fast as ``np.unique`` and gives the order for free.
    """
    raw = sketch.text_shingle_hashes(text)
    ordered = np.sort(raw)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep], raw


def _similar(
    session: Session, text: str, top: int, doc_id: int | None, seen: set[str], lens: str
) -> list[Match]:
    q_set, q_raw = _shingles(text)
    q_sig = sketch.signature_of_hashes(q_raw)
    s = sketch.Sketch(
        signature=sketch.signature_to_bytes(q_sig),
        bands=tuple(sketch.band_keys(q_sig)),
        anchors=tuple(sketch.anchors_of_hashes(q_raw).tolist()),
    )
    rows = [c for c in _candidates(session, s, doc_id) if c.hash not in seen]
    if not rows:
        return []
    nq = len(q_set)
    sigs = sketch.signatures_from_bytes([r.signature for r in rows])
    j_est = np.count_nonzero(sigs == sketch.packed(q_sig), axis=1) / sketch.NUM_PERM
    nv = np.array([r.shingles for r in rows], dtype=float)
    c_est = np.minimum(1.0, j_est * (nq + nv) / ((1 + j_est) * nq))
    anchor_share = np.array([r.anchors for r in rows])
    estimate = {r.id: max(c_est[i], anchor_share[i]) for i, r in enumerate(rows)}
    order = sorted(
        range(len(rows)),
        key=lambda i: (-estimate[rows[i].id], -j_est[i], abs(nv[i] - nq), rows[i].id),
    )
    # Holders: longer contents holding every sampled anchor of the query, which
    # is what a content holding the query verbatim (in comparison form) does.
    # The signature cannot tell them apart, so the pre-rank would cut them
    # anywhere: they are confirmed first, earliest first, until ``want``
    # verbatim ones are found (a later one can only tie and lose on
    # registration) or ``HOLDERS_MAX`` are tried.
    want = top + (SHORTLIST_EXTRA or 0)
    full = len(s.anchors) > 0
    holders = sorted(
        (r for r in rows if full and r.anchors >= 1.0 and r.shingles > nq * HOLDER_RATIO),
        key=lambda r: r.id,
    )[:HOLDERS_MAX]
    held = {r.id for r in holders}
    texts: dict[str, str] = {}
    confirm: list[_Candidate] = []
    verbatim_holders = 0
    for at in range(0, len(holders), HOLDER_BATCH):
        batch = holders[at : at + HOLDER_BATCH]
        texts.update(load_texts(session, [r.hash for r in batch]))
        for r in batch:
            confirm.append(r)
            verbatim_holders += text in texts[r.hash]
        if verbatim_holders >= want:
            break
    # Then the others in pre-rank order, each on its own. Revisions of one
    # history a word apart (a crawl's states) have estimates the signature
    # cannot order (they differ by less than its standard error): those
    # estimated near the best are read first and ordered by the query's raw
    # lines they hold (``_line_overlap``, a set intersection: a query a few
    # words off its source misses a few of its lines and more of any other
    # revision's), the pre-rank's order kept among equals.
    rest = [rows[i] for i in order if rows[i].id not in held]
    near = [r for r in rest[:NEAR_MAX] if estimate[r.id] + PRUNE_MARGIN >= estimate[rest[0].id]]
    if len(near) > max(CONFIRM_MIN, top):
        texts.update(load_texts(session, [r.hash for r in near if r.hash not in texts]))
        q_lines = _line_lengths(text)
        overlap = {r.id: _line_overlap(q_lines, texts[r.hash]) for r in near}
        near.sort(key=lambda r: -overlap[r.id])
        rest = near + rest[len(near) :]
    budget = 0
    for taken, r in enumerate(rest[:CONFIRM]):
        if taken >= max(CONFIRM_MIN, top) and budget + r.chars > CONFIRM_CHARS:
            break
        confirm.append(r)
        budget += r.chars
    texts.update(load_texts(session, [r.hash for r in confirm if r.hash not in texts]))
    sizes = {r.hash: r.shingles for r in rows}

    def score(h: str) -> tuple[float, float] | None:
        """(containment of the query's shingles, Jaccard), None below ``MIN_SCORE``."""
        version_text = texts[h]
        if text in version_text:  # verbatim: every shingle is there, no need to count
            return 1.0, min(1.0, nq / max(1, sizes[h]))
        v_set, _ = _shingles(version_text)
        inter = _overlap(q_set, v_set)
        containment = inter / nq if nq else 0.0
        union = nq + len(v_set) - inter
        jaccard = inter / union if union else 1.0
        if max(containment, jaccard, inter / len(v_set) if len(v_set) else 0.0) < MIN_SCORE:
            return None
        return containment, jaccard

    scored: list[tuple[tuple, str, tuple[float, float] | None, int]] = []
    unscored: list[tuple[tuple, str, None, int]] = []
    best: list[float] = []  # confirmed containments, highest first
    for r in confirm:
        # The signature's (or the anchors') estimate is within PRUNE_MARGIN of
        # the true containment but for a one-in-thousands draw: a candidate
        # estimated that far below the top-th confirmed one is put last,
        # unscored, and scored only if the ranking cannot exclude it.
        if len(best) >= top and estimate[r.id] + PRUNE_MARGIN < best[top - 1]:
            unscored.append(((), r.hash, None, r.id))
            continue
        result = score(r.hash)
        if result is not None:
            verbatim = text in texts[r.hash]
            # A first order on shingles, in whole percent (a few common phrases
            # elsewhere in a long version must not outrank the version holding
            # the query closely), verbatim holders first, then Jaccard, then the earliest.
            first = (
                -math.floor(100 * result[0] + 1e-9),
                not verbatim,
                0.0 if verbatim else -result[1],
            )
            scored.append((first, r.hash, result, r.id))
            best.append(result[0])
            best.sort(reverse=True)
    scored.sort(key=lambda t: (t[0], t[3]))

    # The order of comparison: the first order; of contents equal on shingles
    # (the same text in comparison form: a crawl that only changed layout),
    # those sharing the most words, then raw lines, with the query first.
    # The order decides which contents are compared first (the sooner the
    # likely winners are ranked, the more of the rest the bound excludes
    # uncompared) and which fill the later rows (``SHORTLIST_EXTRA``); the
    # first row is the rule's over every confirmed content.
    q_lines_set, q_words = set(text.splitlines()), set(text.split())
    ordered: list[tuple[str, tuple[float, float] | None]] = []
    at = 0
    while at < len(scored):
        end = at + 1
        while end < len(scored) and scored[end][0] == scored[at][0]:
            end += 1
        tied = scored[at:end]
        if len(tied) > 1 and scored[at][0][1]:  # verbatim holders stay earliest first
            tied.sort(key=lambda t: (_line_similarity(q_lines_set, q_words, texts[t[1]]), t[3]))
        ordered += [(t[1], t[2]) for t in tied]
        at = end
    ordered += [(t[1], None) for t in unscored]
    carrying = _versions_of(session, [h for h, _ in ordered], doc_id)
    forms = _Forms(text)
    ranked = []
    shown = extra = 0  # versions carrying the contents ranked; contents compared beyond them
    for h, result in ordered:
        versions = carrying.get(h)
        if not versions:
            continue
        first_id = versions[0][0].id
        if shown >= top:
            # Every content that could outrank the first row is compared; of
            # those that could only reach a later row, SHORTLIST_EXTRA.
            capped = SHORTLIST_EXTRA is not None and extra >= SHORTLIST_EXTRA
            bar = ranked[0][0] if capped else _top_key(ranked, top)
            if _cannot_reach(forms, h, texts[h], lens, first_id, bar):
                continue
            extra += 1
        if result is None and (result := score(h)) is None:
            continue
        found = forms.verbatim_lens(h, texts[h])
        passage, summary, share = _explain(texts[h], text, lens)
        key = (-share, LENS_RANK.index(found), summary.edits, first_id)
        ranked.append((key, versions, share, result[1], found, passage, summary, h))
        ranked.sort(key=lambda r: r[0])
        shown += len(versions)
    ranked.sort(key=lambda r: r[0])
    out: list[Match] = []
    for _, versions, share, jaccard, found, passage, summary, _ in ranked:
        for v, d in versions:
            out.append(_match(v, d, "similar", "sketch", share, jaccard, passage, summary, found))
            if len(out) >= top:
                return out
    return out


LENS_RANK: tuple[str | None, ...] = ("exact", *index.NORMAL_PROFILES, None)
"""Best first: the query and the version equal (or one inside the other)
byte for byte, else through the weakest lens, else through none."""


def _top_key(ranked: list, top: int) -> tuple:
    """The ranking key of the content holding the ``top``-th version ranked so far."""
    shown = 0
    for r in sorted(ranked, key=lambda r: r[0]):
        shown += len(r[1])
        if shown >= top:
            return r[0]
    raise AssertionError("fewer than top versions ranked")


def _cannot_reach(forms: _Forms, h: str, version_text: str, lens: str, first_id: int, key) -> bool:
    """Whether the content ``h`` provably ranks below ``key`` (the ``top``-th row's), uncompared.

    Its key (minus the share found, lens equality, edits, its first
    version's id) is at best ``(-bound, lens equality, 0, first_id)``: its
    share found is the query's characters (through the lens) that the
    comparison keeps unchanged, a common subsequence of the two normal forms
    (the passage's inside diff or the whole texts' diff, both on them), so
    ``bound`` is their longest common subsequence over the query's; no
    comparison has fewer than 0 edits. When even that best key ranks below
    ``key``, the content cannot be shown. Cheapest first: registration alone
    (a later version cannot beat a verbatim match of no edit), then the
    LCS, then the lens (only when the bound ties the top share).
    """
    if not LCS_PRUNE:
        return False
    if (-1.0, 0, 0, first_id) > key:
        return True
    q, v = forms.of("", lens), forms.of(h, lens, version_text)
    if not q:
        return False
    # The top row's characters found (its share times the query's), one
    # lower for rounding: a common subsequence shorter than that ranks lower.
    need = max(0, round(-key[0] * len(q)) - 1)
    lcs = LCSseq.similarity(v, q, score_cutoff=need)  # 0 when under ``need``
    if lcs < need:
        return True
    bound = -min(1.0, lcs / len(q))
    if bound != key[0]:
        return bound > key[0]
    return (bound, LENS_RANK.index(forms.verbatim_lens(h, version_text)), 0, first_id) > key


class _Forms:
    """The query's and the versions' normal forms through the lenses, each computed once per call."""

    def __init__(self, query: str):
        self.query = query
        self._forms: dict[tuple[str, str], str] = {}

    def of(self, h: str, profile: str, text: str | None = None) -> str:
        """The normal form of content ``h`` (``""``: the query) through ``profile``."""
        key = (h, profile)
        if key not in self._forms:
            self._forms[key] = index.normal_form(self.query if not h else text, profile)
        return self._forms[key]

    def verbatim_lens(self, h: str, version_text: str) -> str | None:
        """`verbatim_lens` (query, version ``h``), on the cached forms."""
        short, long = ("", h) if len(self.query) <= len(version_text) else (h, "")
        if (self.query in version_text) if not short else (version_text in self.query):
            return "exact"
        for p in index.NORMAL_PROFILES:
            if self.of(short, p, version_text) in self.of(long, p, version_text):
                return p
        return None


def verbatim_lens(query: str, version_text: str) -> str | None:
    """The weakest lens through which the shorter text is inside the longer, verbatim.

    ``exact`` means the bytes; None means through no lens.
    """
    short, long = (
        (query, version_text) if len(query) <= len(version_text) else (version_text, query)
    )
    if short in long:
        return "exact"
    for p in index.NORMAL_PROFILES:
        if index.normal_form(short, p) in index.normal_form(long, p):
            return p
    return None


def _versions_of(
    session: Session, hashes: list[str], doc_id: int | None
) -> dict[str, list[tuple[Row, Row]]]:
    """Content hash -> the versions carrying it (in ``doc_id`` if given), in one query."""
    out: dict[str, list[tuple[Row, Row]]] = {}
    for v, d in _versions(session, [col(Version.content_hash).in_(hashes)], doc_id):
        out.setdefault(v.content_hash, []).append((v, d))
    return out


def _line_lengths(text: str) -> dict[str, int]:
    """The distinct lines of a text (stripped, non-empty), cut after each sentence too, and their lengths.

    Sentences, because a crawled page holds a paragraph a line: one edit
    would otherwise cost a whole paragraph, and revisions differing in
    other sentences of it would tie.
    """
    cut = text.replace(". ", ".\n").replace("\u3002", "\u3002\n")
    return {line: len(line) for line in (raw.strip() for raw in cut.splitlines()) if line}


def _line_overlap(q_lines: dict[str, int], text: str) -> float:
    """The characters in lines the query and the text share, over those in the lines of either.

    A Jaccard similarity of the two texts' line sets, weighted by length:
    a revision that added lines (a superset) scores lower than its source.
    Costs a set intersection, a fraction of a shingle set's price.
    """
    lines = _line_lengths(text)
    shared = sum(q_lines[line] for line in lines.keys() & q_lines.keys())
    union = sum(q_lines.values()) + sum(lines.values()) - shared
    return shared / union if union else 0.0


def _line_similarity(q_lines: set[str], q_words: set[str], text: str) -> tuple[float, float]:
    """Minus the Jaccard similarity of the query's and the text's words, then of their lines.

    Words first: a re-wrapped copy shares no line with its source but all its
    words, save those it broke at a hyphen.
    """
    words, lines = set(text.split()), set(text.splitlines())
    w_union, l_union = len(words | q_words), len(lines | q_lines)
    return (
        -(len(words & q_words) / w_union if w_union else 1.0),
        -(len(lines & q_lines) / l_union if l_union else 1.0),
    )


def _explain(version_text: str, query: str, lens: str) -> tuple[Passage | None, DiffSummary, float]:
    """The passage, the summary of the edits and the share of the query found.

    All three from `provenance.compare.compare` (the version as A, the query
    as B, through ``lens``), the very comparison `prov diff VERSION FILE
    --normalize LENS` makes, so the summary is what that command reports.
    The share is the query's characters (through the lens) that the
    comparison keeps unchanged, over all of them.
    """
    c = compare(version_text, query, profile=lens)
    st = c.stats
    size = len(index.normal_form(query, lens))
    share = min(1.0, st.unchanged / size) if size else 1.0
    passage = None
    if c.passage is not None:
        p = c.passage
        passage = Passage(p.b_start, p.b_end, p.a_start, p.a_end, p.coverage, st.unchanged)
    summary = DiffSummary(
        st.edits, st.inserted, st.deleted, round(st.similarity, 6), c.complete, lens
    )
    return passage, summary, share


def _overlap(query: np.ndarray, version: np.ndarray) -> int:
    """|query & version| for sorted unique arrays."""
    if not len(query) or not len(version):
        return 0
    at = np.minimum(np.searchsorted(version, query), len(version) - 1)
    return int(np.count_nonzero(version[at] == query))


def load_texts(session: Session, hashes: list[str]) -> dict[str, str]:
    """The texts of these contents, read in one query (`provenance.contents.texts`)."""
    return contents.texts(session, hashes)
