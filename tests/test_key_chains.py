"""Index keys (band keys and anchors) stored as runs over chains of revisions: every
content still holds exactly the keys its text gives, identify counts them as a row
per key per content would, and the runs are a small fraction of those rows."""

from __future__ import annotations

import math
import random

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import func, select

from provenance import Archive, archive, identify, index, schema, sketch, store
from provenance import verify as verifying
from provenance.models import Content, ContentIndex, KeyRun

_WORDS = ["archive", "record", "version", "page", "article", "statement", "minister", "council", "budget", "river", "harbour", "school", "court", "report", "witness", "evidence", "summer", "winter", "market", "railway", "the", "a", "of", "and", "to", "in", "that", "was", "for", "on", "with", "as", "by", "at", "from", "it"]


def _text(rng: random.Random, words: int) -> str:
    lines, line = [], []
    for _ in range(words):
        line.append(rng.choice(_WORDS))
        if len(line) > 11 and rng.random() < 0.2:
            lines.append(" ".join(line) + ".")
            line = []
    return "\n".join([*lines, " ".join(line)]) + "\n"


def _revise(text: str, rng: random.Random, edits: int) -> str:
    words = text.split(" ")
    for _ in range(edits):
        i = rng.randrange(len(words))
        words[i] = rng.choice([rng.choice(_WORDS), "修订", "𝔸stral", words[i] + " new"])
    return " ".join(words)


def _history(seed: int, versions: int, words: int = 900, edits: int = 6) -> list[str]:
    rng = random.Random(seed)
    texts = [_text(rng, words)]
    for _ in range(versions - 1):
        texts.append(_revise(texts[-1], rng, rng.randint(1, edits)))
    return texts


def _from_text(text: str) -> set[tuple[int, int]]:
    """The (band, key) pairs registration computes for ``text``."""
    return set(index.rows_for("x", text).keys)


def _anchors(text: str) -> set[int]:
    return {k for b, k in _from_text(text) if b == sketch.ANCHOR_BAND}


def _stored(session) -> dict[str, list[tuple[int, int]]]:
    """Content hash -> the (band, key) pairs the runs give it (a list: a duplicate would show)."""
    q = index.key_rows().subquery()
    out: dict[str, list[tuple[int, int]]] = {}
    for digest, band, key in session.execute(
        sa.select(ContentIndex.content_hash, q.c.band, q.c.key).join(
            q, q.c.content_id == ContentIndex.id
        )
    ):
        out.setdefault(digest, []).append((band, key))
    return out


def _texts(session) -> dict[str, str]:
    from provenance import contents

    return {h: contents.get_text(session, h) for h in session.exec(select(Content.hash))}


def _assert_every_content_holds_its_texts_anchors(session) -> None:
    stored = _stored(session)
    for digest, text in _texts(session).items():
        held = stored.get(digest, [])
        assert len(held) == len(set(held)), digest
        assert set(held) == _from_text(text), digest


def _places(session) -> dict[str, tuple[int, int]]:
    rows = session.execute(sa.select(ContentIndex.content_hash, ContentIndex.chain, ContentIndex.pos))
    return {h: (c, p) for h, c, p in rows}


def _runs(session) -> int:
    return session.exec(select(func.count()).select_from(KeyRun)).one()


def test_a_history_keeps_each_versions_keys_in_a_fraction_of_the_rows(engine):
    texts = _history(1, 12)
    with store.transaction(engine) as s:
        for text in texts:
            archive.register(s, text.encode(), name="a.txt", doc="article")
    with store.reader(engine) as s:
        _assert_every_content_holds_its_texts_anchors(s)
        places = _places(s)
        held = sum(len(_from_text(t)) for t in texts)
        runs = _runs(s)
        assert verifying.verify(s, deep=True).ok
    assert len({c for c, _ in places.values()}) == 1  # one chain
    assert sorted(p for _, p in places.values()) == list(range(12))
    assert runs < 0.35 * held, (runs, held)  # a row per anchor per content gave `held`


def test_a_branch_starts_a_chain_of_its_own_and_a_shared_content_is_placed_once(engine):
    first, second, branch = _history(2, 3)
    with store.transaction(engine) as s:
        archive.register(s, first.encode(), name="a", doc="d")
        archive.register(s, second.encode(), name="a", doc="d")
        # A revision of d@1, which no longer ends its chain: it starts one.
        archive.register(s, branch.encode(), name="b", doc="e", parents=["d@1"])
        # The same bytes as d@2 in another document: indexed once, where they are.
        archive.register(s, second.encode(), name="c", doc="f")
        archive.register(s, _revise(second, random.Random(3), 4).encode(), name="c", doc="f")
    with store.reader(engine) as s:
        _assert_every_content_holds_its_texts_anchors(s)
        places = _places(s)
        assert verifying.verify(s, deep=True).ok
    assert len(places) == 4
    first_chain = places[archive_hash(first)][0]
    assert sorted(places.values()) == sorted(
        [(first_chain, 0), (first_chain, 1), (first_chain, 2), (places[archive_hash(branch)][0], 0)]
    )
    assert places[archive_hash(branch)][0] != first_chain


def archive_hash(text: str) -> str:
    from provenance.hashing import content_hash

    return content_hash(text.encode())


def _brute_shares(session, query: str) -> dict[str, float]:
    """What the anchor search must find, from the texts alone (`identify._ANCHOR_SQL`'s rule)."""
    q = sketch.sketch(query)
    sample = sorted(q.anchors)[: identify.ANCHOR_SAMPLE]
    k, total = len(sample), len(q.anchors)
    need = max(1, math.ceil(identify.ANCHOR_SHARE * k))
    out = {}
    for digest, text in _texts(session).items():
        own = _anchors(text)
        n = len(own.intersection(sample))
        if n >= min(3, need) and (n >= need or (n >= 3 and 2 * total * n >= k * len(own))):
            out[digest] = n / k
    return out


def test_identify_counts_keys_through_the_runs_as_from_the_texts(engine):
    rng = random.Random(4)
    # Heavy revisions: many runs closed and opened, so a sample meets them.
    histories = [
        _history(10 + i, rng.randint(2, 9), words=rng.randint(200, 1200), edits=80)
        for i in range(6)
    ]
    with store.transaction(engine) as s:
        for i, texts in enumerate(histories):
            for text in texts:
                archive.register(s, text.encode(), name="x", doc=f"doc{i}")
    queries = []
    for texts in histories:
        for text in texts:
            start = rng.randrange(max(1, len(text) - 1500))
            queries += [text[start : start + 1500], _revise(text, rng, 3), text[: len(text) // 3]]
    with store.reader(engine) as s:
        texts = _texts(s)
        for query in queries:
            q = sketch.sketch(query)
            found = {h: share for h, share in identify.candidates(s, q).items() if share}
            assert found == _brute_shares(s, query)
            # The band keys: every content sharing one, with how many (fewer than
            # BAND_CANDIDATES contents here, so none is cut).
            bands = {c.hash: c.bands for c in identify._candidates(s, q, None) if c.bands}
            shared = {h: len(_from_text(t) & set(q.bands)) for h, t in texts.items()}
            assert bands == {h: n for h, n in shared.items() if n}


def test_reindex_rebuilds_the_same_keys_in_the_same_chains(engine):
    with store.transaction(engine) as s:
        for i in range(3):
            for text in _history(20 + i, 4):
                archive.register(s, text.encode(), name="x", doc=f"doc{i}")
    with store.reader(engine) as s:
        before = (_places(s), {h: sorted(k) for h, k in _stored(s).items()}, _runs(s))
    with store.transaction(engine) as s:
        index.rebuild(s)
    with store.reader(engine) as s:
        after = (_places(s), {h: sorted(k) for h, k in _stored(s).items()}, _runs(s))
        assert verifying.verify(s, deep=True).ok
    assert _chains(before[0]) == _chains(after[0])  # chain ids may differ (a sequence moves on)
    assert before[1:] == after[1:]


def _chains(places: dict[str, tuple[int, int]]) -> list[list[str]]:
    """The contents of each chain in position order: the chains up to their ids."""
    chains: dict[int, list[tuple[int, str]]] = {}
    for digest, (chain, pos) in places.items():
        chains.setdefault(chain, []).append((pos, digest))
    return sorted([h for _, h in sorted(members)] for members in chains.values())


def test_an_archive_from_0008_upgrades_to_its_own_keys_and_reindex_compacts_it(db_url):
    with Archive(db_url, actor="t") as a:
        for text in _history(30, 6):
            a.register(text.encode(), doc="article")
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        with store.reader(engine) as s:
            anchors = {h: sorted(k) for h, k in _stored(s).items()}
            compact = _runs(s)
        command.downgrade(schema.alembic_config(engine), "0008")
        with engine.connect() as conn:  # a row per key per content, as 0008 kept them
            rows = conn.execute(
                sa.text(
                    "SELECT c.content_hash, k.band, k.key FROM sketch_key k JOIN content_index c"
                    " ON c.id = k.content_id"
                )
            ).all()
        old: dict[str, list[tuple[int, int]]] = {}
        for digest, band, key in rows:
            old.setdefault(digest, []).append((band, key))
        assert {h: sorted(k) for h, k in old.items()} == anchors
        schema.upgrade(engine)
        with store.reader(engine) as s:
            assert {h: sorted(k) for h, k in _stored(s).items()} == anchors
            assert _runs(s) == len(rows)  # each content a chain of its own
            assert len({c for c, _ in _places(s).values()}) == len(anchors)
            assert verifying.verify(s, deep=True).ok
        with Archive(db_url, actor="t") as a:  # a new revision extends its parent's chain
            a.register(_revise(_history(30, 6)[-1], random.Random(5), 2).encode(), doc="article")
        with store.transaction(engine) as s:
            index.rebuild(s)
        with store.reader(engine) as s:
            assert verifying.verify(s, deep=True).ok
            assert len({c for c, _ in _places(s).values()}) == 1
            assert compact < _runs(s) < len(rows) / 2
    finally:
        engine.dispose()


def test_a_run_holding_text_is_named_and_the_runs_after_it_still_checked(engine):
    """SQLite keeps text in an integer column: such a run is one problem, and the next
    run of its key is checked as usual (comparing with the text raised before)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's integer columns cannot hold text")
    with store.transaction(engine) as s:
        for text in _history(40, 3):
            archive.register(s, text.encode(), name="x", doc="d")
    with engine.begin() as conn:
        band, key, chain = conn.execute(
            sa.text("SELECT band, key, chain FROM key_run WHERE lo = 0 ORDER BY band, key LIMIT 1")
        ).one()
        conn.execute(
            sa.text("UPDATE key_run SET hi = 'x' WHERE band = :b AND key = :k AND chain = :c AND lo = 0"),
            {"b": band, "k": key, "c": chain},
        )
        conn.execute(  # a later run of the same key, overlapping nothing well-typed
            sa.text("INSERT INTO key_run (band, key, chain, lo, hi) VALUES (:b, :k, :c, 2, NULL)"),
            {"b": band, "k": key, "c": chain},
        )
    with store.reader(engine) as s:
        report = verifying.verify(s)
    runs = [p for p in report.problems if p.table == "key_run"]
    assert any("not an integer" in p.message for p in runs), runs
    assert not any("could not be checked" in p.message for p in report.problems), report.problems


def test_a_revision_placed_by_a_writer_that_never_saw_its_parent_holds_its_own_keys(engine):
    """A chain's open runs are not read back: the writer takes them to be its tail's
    keys, from the keys it indexed last or, in another process, from the tail's text.
    Both ways every content holds exactly its text's keys, once, in one chain."""
    texts = _history(50, 8, edits=40)
    with store.transaction(engine) as s:
        for i, text in enumerate(texts):
            if i % 2:  # as a new process would: nothing remembered
                index._recent = index._RecentKeys(64)
            archive.register(s, text.encode(), name="x", doc="d")
    with store.reader(engine) as s:
        _assert_every_content_holds_its_texts_anchors(s)
        places = _places(s)
        assert verifying.verify(s, deep=True).ok
    assert sorted(places.values()) == [(places[archive_hash(texts[0])][0], p) for p in range(8)]


def test_the_keys_remembered_are_bounded_and_the_oldest_go_first():
    recent = index._RecentKeys(3)
    for i in range(5):
        recent.put(f"h{i}", frozenset({(0, i)}))
    recent.put("h2", frozenset({(0, 2)}))  # used again: kept past the next put
    recent.put("h5", frozenset({(0, 5)}))
    assert [recent.get(f"h{i}") is not None for i in range(6)] == [False, False, True, False, True, True]
