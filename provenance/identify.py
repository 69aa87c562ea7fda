"""Identify a text: is it a registered version, which one, and if none, which are closest.

Tiers, best first (``identify``):

1. **exact**: the query's content hash is registered; every version carrying
   it is a match (score 1).
2. **normalized**: the query's text through a lens (whitespace, cjk, loose,
   weakest first) hashes to a registered content's hash through the same lens
   (`provenance.index`, one indexed lookup per profile); score 1, ``profile``
   names the weakest lens that made them equal.
3. **similar**: candidates from the LSH index (contents sharing a band key of
   the query's MinHash signature) and from the anchor index (contents holding
   at least half of a sample of the query's anchors: the query is a passage of
   them; or whose anchors the query mostly holds: they are a passage of the
   query), pre-ranked by the signature's estimates, then confirmed on the
   ``CONFIRM`` best by exact shingle sets and ranked by **containment** (the
   share of the query's shingles found in the version, reported as ``score``),
   in whole percent, then Jaccard; contents that the signature cannot tell
   apart are confirmed once and ordered by the raw lines they share with the
   query (which separates versions that differ only in layout or a word). Each gets a
   diff summary (from the version to the query) or, when one text is a
   passage of the other, the passage (`provenance.align`, ``a`` = the query,
   ``b`` = the version) and the edits inside it.

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

from provenance import contents, diff, index, refs, sketch
from provenance.align import Passage, align
from provenance.errors import InputError, IntegrityError
from provenance.hashing import content_hash
from provenance.lensdiff import diff_under
from provenance.lenses import check_profile
from provenance.models import Document, NormalHash, Version
from provenance.text import decode

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

CONFIRM = 24
CONFIRM_MIN = 3
CONFIRM_CHARS = 150_000
"""Candidates, pre-ranked on the signature, confirmed on exact shingle sets: at
most ``CONFIRM``, and beyond the first ``max(CONFIRM_MIN, top)`` only while their
texts total under ``CONFIRM_CHARS`` characters (about 1 ms per 10 000)."""

GROUP_MEMBERS = 64
GROUP_CONFIRM = 4
"""Of contents the signature cannot tell apart, the first ``GROUP_MEMBERS`` (in
pre-rank order) are ordered by the raw lines they share with the query, and the
best ``GROUP_CONFIRM`` of those confirmed on shingles and ordered by Jaccard."""

PRUNE_MARGIN = 0.25
"""A candidate whose estimated containment is this far below the ``top``-th
confirmed containment is not confirmed (the estimate's standard error is
under 0.05 for the signature, 0.07 for a 64-anchor sample)."""

MIN_SCORE = 0.2
"""Similar matches below this containment and Jaccard are not reported."""

PASSAGE_BELOW = 0.8
"""When less than this share of the query's shingles is in the version, or of the
version's in the query, the match is reported as a passage (`provenance.align`)
rather than with a whole-text diff."""

DIFF_DEADLINE = 0.5
"""Seconds allowed to the diff summary of one match (``complete`` says if it ran out)."""


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


@dataclass(frozen=True, slots=True)
class Match:
    version: int
    document: str
    number: int
    name: str  # DOC@N
    tier: str  # exact, normalized or similar
    profile: str  # exact, the lens that made them equal, or "sketch" for similar
    score: float  # 1 for exact and normalized; containment of the query for similar
    jaccard: float
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
    matches += [_match(v, d, "exact", "exact", 1.0, 1.0) for v, d in rows]
    if rows:
        seen.add(digest)

    for p in profiles if all_tiers or not matches else ():
        h = content_hash(index.normal_form(text, p).encode("utf-8"))
        hashes = select(NormalHash.content_hash).where(
            NormalHash.profile == p, NormalHash.hash == h
        )
        rows = _versions(session, [col(Version.content_hash).in_(hashes)], doc_id)
        rows = [(v, d) for v, d in rows if v.content_hash not in seen]
        matches += [_match(v, d, "normalized", p, 1.0, 1.0) for v, d in rows]
        seen.update(v.content_hash for v, _ in rows)

    if top and (all_tiers or not matches):
        matches += _similar(session, text, top, doc_id, seen)
    return IdentifyReport(QueryInfo(digest, len(text), profiles), tuple(matches))


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

_BAND_SQL = (
    "SELECT content_id, COUNT(*) AS n FROM sketch_key WHERE {bands}{doc}"
    " GROUP BY content_id ORDER BY n DESC, content_id LIMIT :lim"
)
# The bands as ``(band = :b0 AND key = :k0) OR ...``: one primary-key probe each
# (SQLite's MULTI-INDEX OR); ``band IN (...) AND key IN (...)`` probes 32 x 32.

_ANCHOR_SQL = (
    "SELECT g.content_id, g.n FROM (SELECT content_id, COUNT(*) AS n FROM sketch_key"
    " WHERE band = :anchor AND key IN :keys{doc} GROUP BY content_id HAVING COUNT(*) >= :floor) g"
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


def _run(session: Session, sql: str, expanding: tuple[str, ...], **params):
    stmt = sql_text(sql).bindparams(*(bindparam(n, expanding=True) for n in expanding))
    return session.execute(stmt, params).all()


def candidates(session: Session, s: sketch.Sketch, doc_id: int | None = None) -> dict[str, float]:
    """Content hash -> share of the sampled query anchors it holds (0 if found by bands only)."""
    return {c.hash: c.anchors for c in _candidates(session, s, doc_id)}


def _candidates(session: Session, s: sketch.Sketch, doc_id: int | None) -> list[_Candidate]:
    """Contents sharing band keys with the query, or holding (or held in) its anchors.

    Two grouped index scans of ``sketch_key`` (written as plain SQL: building
    the same statement with the expression language cost more than running
    it), then one fetch of the candidates' index rows.
    """
    doc = {"doc": doc_id} if doc_id is not None else {}
    bands: dict[int, int] = {}
    where = " OR ".join(f"(band = :b{i} AND key = :k{i})" for i in range(len(s.bands)))
    sql = _BAND_SQL.format(bands=f"({where})", doc=_IN_DOC.format(col="content_id") if doc else "")
    params = {f"{c}{i}": v for i, bk in enumerate(s.bands) for c, v in zip("bk", bk, strict=True)}
    for cid, n in _run(session, sql, (), lim=BAND_CANDIDATES, **params, **doc):
        bands[cid] = n
    anchors: dict[int, float] = {}
    sample = sorted(s.anchors)[:ANCHOR_SAMPLE]
    if sample:
        k, total = len(sample), len(s.anchors)
        need = max(1, math.ceil(ANCHOR_SHARE * k))
        sql = _ANCHOR_SQL.format(doc=_IN_DOC.format(col="content_id") if doc else "")
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
    for cid, h, shingles, signature, chars in _run(session, _ROWS_SQL, ("ids",), ids=ids):
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
    raw = sketch.raw_shingle_hashes(sketch.comparison_code_points(text))
    ordered = np.sort(raw)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep], raw


def _similar(
    session: Session, text: str, top: int, doc_id: int | None, seen: set[str]
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
    sigs = np.frombuffer(b"".join(r.signature for r in rows), dtype="<u4").reshape(len(rows), -1)
    j_est = np.count_nonzero(sigs == q_sig, axis=1) / sketch.NUM_PERM
    nv = np.array([r.shingles for r in rows], dtype=float)
    c_est = np.minimum(1.0, j_est * (nq + nv) / ((1 + j_est) * nq))
    anchor_share = np.array([r.anchors for r in rows])
    estimate = {r.id: max(c_est[i], anchor_share[i]) for i, r in enumerate(rows)}
    order = sorted(
        range(len(rows)),
        key=lambda i: (-estimate[rows[i].id], -j_est[i], abs(nv[i] - nq), rows[i].hash),
    )
    # Contents with the same signature and shingle count are the same, or
    # nearly the same, text in comparison form (a crawl that only changed
    # layout, a revision of a word or two): one of each group is confirmed,
    # and its members are then ordered by how many raw lines they share with
    # the query, which is what separates them.
    groups: dict[tuple[bytes, int], list[_Candidate]] = {}
    for i in order:
        groups.setdefault((rows[i].signature, rows[i].shingles), []).append(rows[i])
    confirm: list[list[_Candidate]] = []
    budget = 0
    for members in list(groups.values())[:CONFIRM]:
        if len(confirm) >= max(CONFIRM_MIN, top) and budget + members[0].chars > CONFIRM_CHARS:
            break
        confirm.append(members)
        budget += members[0].chars
    texts = load_texts(session, [g[0].hash for g in confirm])

    def score(h: str) -> tuple[float, float, bool, tuple[int, int, int] | None] | None:
        v_set, v_raw = _shingles(texts[h])
        inter = _overlap(q_set, v_set)
        containment = inter / nq if nq else 0.0
        union = nq + len(v_set) - inter
        jaccard = inter / union if union else 1.0
        if max(containment, jaccard, inter / len(v_set) if len(v_set) else 0.0) < MIN_SCORE:
            return None
        passage_like = min(containment, inter / len(v_set)) < PASSAGE_BELOW
        span = None  # where the shared shingles lie in the version's comparison form
        if passage_like and nq and len(text) < len(texts[h]):
            at = np.minimum(np.searchsorted(q_set, v_raw), nq - 1)
            hits = np.flatnonzero(q_set[at] == v_raw)
            if len(hits):
                # the stretch as long as the query holding most shared shingles
                # (common phrases match all over a long version)
                width = len(q_raw)
                counts = np.searchsorted(hits, hits + width) - np.arange(len(hits))
                lo = int(hits[int(np.argmax(counts))])
                span = (lo, lo + width + sketch.K, len(v_raw) + sketch.K - 1)
        return containment, jaccard, passage_like, span

    scored = []
    best: list[float] = []  # confirmed containments, highest first
    for members in confirm:
        # The signature's (or the anchors') estimate is within PRUNE_MARGIN of
        # the true containment but for a one-in-thousands draw: a candidate
        # estimated that far below the top-th confirmed one cannot be shown.
        if len(best) >= top and estimate[members[0].id] + PRUNE_MARGIN < best[top - 1]:
            continue
        result = score(members[0].hash)
        if result is not None:
            scored.append((result, members))
            best.append(result[0])
            best.sort(reverse=True)
    # Containment in whole percent, so that a few common phrases elsewhere in
    # a long version do not outrank the version that holds the query closely.
    scored.sort(key=lambda t: (-math.floor(100 * t[0][0] + 1e-9), -t[0][1]))

    q_lines = set(text.splitlines())
    out: list[Match] = []
    for first, members in scored:
        hashes = [c.hash for c in members[:GROUP_MEMBERS]]
        results = {hashes[0]: first}
        if len(hashes) > 1:
            texts.update(load_texts(session, [h for h in hashes if h not in texts]))
            lines = {h: _line_similarity(q_lines, texts[h]) for h in hashes}
            hashes.sort(key=lambda h: -lines[h])
            for h in hashes[:GROUP_CONFIRM]:
                if h not in results:
                    results[h] = score(h)
            best = [h for h in hashes[:GROUP_CONFIRM] if results[h] is not None]
            best.sort(key=lambda h: (-results[h][1], -lines[h]))
            hashes = best + hashes[GROUP_CONFIRM:]
        carrying = _versions_of(session, hashes, doc_id)
        for h in hashes:
            versions = carrying.get(h)
            if not versions:
                continue
            result = results[h] if h in results else score(h)
            if result is None:
                continue
            containment, jaccard, passage_like, span = result
            # Below a whole-text top match, a passage of it is not the answer:
            # summarise by the diff alone.
            as_passage = passage_like and (not out or out[0].passage is not None)
            passage, summary = _explain(texts[h], text, as_passage, span)
            for v, d in versions:
                out.append(
                    _match(v, d, "similar", "sketch", containment, jaccard, passage, summary)
                )
                if len(out) >= top:
                    return out
    return out


def _versions_of(
    session: Session, hashes: list[str], doc_id: int | None
) -> dict[str, list[tuple[Row, Row]]]:
    """Content hash -> the versions carrying it (in ``doc_id`` if given), in one query."""
    out: dict[str, list[tuple[Row, Row]]] = {}
    for v, d in _versions(session, [col(Version.content_hash).in_(hashes)], doc_id):
        out.setdefault(v.content_hash, []).append((v, d))
    return out


def _line_similarity(q_lines: set[str], text: str) -> float:
    lines = set(text.splitlines())
    union = len(lines | q_lines)
    return len(lines & q_lines) / union if union else 1.0


def _explain(
    version_text: str, query: str, passage_like: bool, span: tuple[int, int, int] | None
) -> tuple[Passage | None, DiffSummary]:
    """The passage (when one text is mostly not in the other) and a summary of the edits.

    For a query much shorter than the version, alignment runs on a window of
    the version around the shared shingles (``span``: first and last in the
    comparison form, and its length), widened generously, and on the whole
    version if the passage found there reaches the window's edge.
    """
    if passage_like:
        al, shift = None, 0
        if span is not None and len(query) < len(version_text):
            ratio = len(version_text) / max(1, span[2])
            margin = max(200, len(query) // 2)
            lo = max(0, int(span[0] * ratio) - margin)
            hi = min(len(version_text), int(span[1] * ratio) + margin)
            if hi - lo < len(version_text):
                al = align(query, version_text[lo:hi], "cjk")
                p = al.passage
                inner = p is not None and (lo == 0 or p.b_start > 0)
                inner = inner and (hi == len(version_text) or p.b_end < hi - lo)
                al, shift = (al, lo) if inner else (None, 0)
        if al is None:
            al = align(query, version_text, "cjk")
        if al.passage is not None:
            p = al.passage
            passage = Passage(
                p.a_start, p.a_end, p.b_start + shift, p.b_end + shift, p.coverage, p.matched
            )
            # Counted through the lens that found the passage: the raw spans
            # differ by segmentation and layout the inside edits do not show.
            b0, b1 = p.b_start + shift, p.b_end + shift
            st = diff_under(version_text[b0:b1], query[p.a_start : p.a_end], "cjk").stats
            return passage, DiffSummary(
                st.edits, st.inserted, st.deleted, round(st.similarity, 6), True
            )
    result = diff.diff(version_text, query, deadline=DIFF_DEADLINE)
    st = result.stats
    return None, DiffSummary(
        st.edits, st.inserted, st.deleted, round(st.similarity, 6), result.complete
    )


def _overlap(query: np.ndarray, version: np.ndarray) -> int:
    """|query & version| for sorted unique arrays."""
    if not len(query) or not len(version):
        return 0
    at = np.minimum(np.searchsorted(version, query), len(version) - 1)
    return int(np.count_nonzero(version[at] == query))


_CHAIN_SQL = (
    "WITH RECURSIVE chain(hash) AS (SELECT hash FROM content WHERE hash IN :hashes"
    " UNION SELECT c.base_hash FROM content c JOIN chain ON c.hash = chain.hash"
    " WHERE c.compression = :delta AND c.base_hash IS NOT NULL)"
    " SELECT t.hash, t.compression, t.base_hash, t.data FROM content t"
    " JOIN chain ON t.hash = chain.hash"
)


def load_texts(session: Session, hashes: list[str]) -> dict[str, str]:
    """The texts of these contents, with their whole delta chains read in one query.

    Contents of one history share their delta bases, so each frame is read and
    decompressed once for all of them.
    """
    hashes = list(dict.fromkeys(hashes))
    if not hashes:
        return {}
    rows = {
        h: (compression, base, data)
        for h, compression, base, data in _run(
            session, _CHAIN_SQL, ("hashes",), hashes=hashes, delta=contents.DELTA
        )
    }
    data: dict[str, bytes | bytearray] = {}
    for h in hashes:
        chain: list[str] = []
        cur: str | None = h
        while cur is not None and cur not in data:
            if cur not in rows:
                raise IntegrityError(f"content {cur} is not stored")
            chain.append(cur)
            compression, base_hash, _ = rows[cur]
            cur = base_hash if compression == contents.DELTA else None
            if len(chain) > contents.MAX_DEPTH + 1:
                raise IntegrityError(f"content {h}: delta chain longer than {contents.MAX_DEPTH}")
        base = data[cur] if cur is not None else None
        for name in reversed(chain):
            compression, _, blob = rows[name]
            base = contents.decompress(blob, compression, base)
            data[name] = base
    return {h: data[h].decode("utf-8") for h in hashes}
