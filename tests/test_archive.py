"""The archive through the library, on SQLite and PostgreSQL."""

from __future__ import annotations

import random

import pytest
from blake3 import blake3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from provenance import archive, contents, diff, store
from provenance.errors import AmbiguousRefError, InputError, LineageError, NotFoundError
from provenance.models import Content, Document, EditRecord, Link, Version


def reg(engine, data: bytes | str, **kw):
    if isinstance(data, str):
        data = data.encode()
    kw.setdefault("name", "test.txt")
    with store.transaction(engine) as s:
        return archive.register(s, data, **kw)


def test_registering_same_bytes_twice_stores_them_once(engine):
    first = reg(engine, "same words", doc="a")
    second = reg(engine, "same words", doc="b")
    assert first.hash == second.hash
    assert first.new_content and not second.new_content
    with store.reader(engine) as s:
        assert len(s.exec(select(Content)).all()) == 1
        assert len(s.exec(select(Version)).all()) == 2


def test_hash_is_blake3_of_the_exact_bytes(engine):
    data = "中文\r\nline two 😀\n".encode()
    report = reg(engine, data, doc="d")
    assert report.hash == "blake3:" + blake3(data).hexdigest()


def test_versions_are_numbered_in_registration_order_and_chain_as_revisions(engine):
    r1 = reg(engine, "one", doc="story")
    r2 = reg(engine, "one two", doc="story")
    r3 = reg(engine, "one two three", doc="story")
    assert (r1.number, r2.number, r3.number) == (1, 2, 3)
    assert r1.parents == () and r2.parents == (r1.version,) and r3.parents == (r2.version,)
    assert r2.relation == "revision"
    assert r2.stats.inserted == 4 and r2.stats.deleted == 0


def test_stored_edits_replay_the_parent_into_the_child_byte_for_byte(engine):
    texts = ["Hello world.\r\n", "Hello, wide world!\r\n😀", "Goodbye 世界\n"]
    for t in texts:
        reg(engine, t, doc="h")
    with store.reader(engine) as s:
        for link in s.exec(select(Link)).all():
            parent = archive.text_of(s, s.get(Version, link.parent_id))
            child = archive.text_of(s, s.get(Version, link.child_id))
            record = s.get(EditRecord, link.id)
            assert diff.replay(parent, diff.from_compact(record.edits, parent)) == child


def test_a_version_can_have_several_parents_as_a_merge(engine):
    a = reg(engine, "alpha text", doc="m")
    b = reg(engine, "beta text", doc="other")
    merged = reg(engine, "alpha beta text", doc="m", parents=[str(a.version), str(b.version)])
    assert merged.relation == "merge"
    assert merged.parents == (a.version, b.version)
    with store.reader(engine) as s:
        info = archive.show(s, str(merged.version))
    assert [p.relation for p in info.parents] == ["merge", "merge"]


def test_lineage_across_documents_is_allowed(engine):
    original = reg(engine, "the wire story", doc="wire")
    copy = reg(
        engine, "the wire story, republished", doc="paper", parents=["wire@1"], relation="copy"
    )
    assert copy.document == "paper" and copy.parents == (original.version,)


def test_a_link_that_would_make_a_cycle_is_refused_and_nothing_is_written(engine):
    reg(engine, "v1", doc="c")
    reg(engine, "v2", doc="c")
    with pytest.raises(LineageError, match="cycle"), store.transaction(engine) as s:
        archive.link(s, "c@1", "c@2", "derived")
    with store.reader(engine) as s:
        assert len(s.exec(select(Link)).all()) == 1


def test_a_failed_registration_leaves_nothing_behind(engine):
    with pytest.raises(NotFoundError), store.transaction(engine) as s:
        archive.register(s, b"text", name="x.txt", doc="new-doc", parents=["nosuch@1"])
    with pytest.raises(InputError), store.transaction(engine) as s:
        archive.register(s, b"text", name="x.txt", doc="new-doc", relation="bogus")
    with store.reader(engine) as s:
        assert s.exec(select(Document)).all() == []
        assert s.exec(select(Content)).all() == []


def test_invalid_utf8_is_refused_with_the_byte_offset(engine):
    with pytest.raises(InputError, match="byte offset 3"):
        reg(engine, b"abc\xff\xfe", doc="x", name="bad.txt")


def test_another_encoding_is_accepted_when_named_and_its_bytes_kept_as_given(engine):
    data = "新华社".encode("gb18030")
    report = reg(engine, data, doc="gb", encoding="gb18030")
    with store.reader(engine) as s:
        assert archive.raw(s, str(report.version)) == data
        info = archive.show(s, str(report.version))
        assert archive.text_of(s, s.get(Version, report.version)) == "新华社"
    assert info.encoding == "gb18030" and info.chars == 3
    assert info.hash == "blake3:" + blake3(data).hexdigest()
    assert "transcoded_from" not in info.meta


def test_an_empty_file_needs_allow_empty(engine):
    with pytest.raises(InputError, match="--allow-empty"):
        reg(engine, b"", doc="e")
    assert reg(engine, b"", doc="e", allow_empty=True).number == 1


@pytest.mark.parametrize("ref", ["1", "doc@1", "doc@latest"])
def test_refs_name_versions_by_id_doc_number_and_latest(engine, ref):
    reg(engine, "only version", doc="doc")
    with store.reader(engine) as s:
        assert archive.show(s, ref).name == "doc@1"


def test_a_hash_prefix_names_a_version_with_or_without_the_algorithm(engine):
    r = reg(engine, "prefixed", doc="p")
    hexdigits = r.hash.split(":")[1]
    with store.reader(engine) as s:
        assert archive.show(s, hexdigits[:8]).version == r.version
        assert archive.show(s, "blake3:" + hexdigits[:12]).version == r.version
        for n in (9, 33, 64):  # odd lengths end inside a stored byte
            assert archive.show(s, hexdigits[:n].upper()).version == r.version
        for n in (8, 9, 64):  # one digit off, at the prefix's end: names nothing
            near = hexdigits[: n - 1] + format((int(hexdigits[n - 1], 16) + 1) % 16, "x")
            with pytest.raises(NotFoundError):
                archive.show(s, near)


def test_an_ambiguous_ref_lists_the_candidates(engine):
    r = reg(engine, "shared", doc="one")
    reg(engine, "shared", doc="two")
    with store.reader(engine) as s, pytest.raises(AmbiguousRefError) as exc:
        archive.show(s, r.hash[:20])
    assert "one@1" in str(exc.value) and "two@1" in str(exc.value)


def test_a_file_path_is_a_ref_resolved_by_its_hash(engine, tmp_path):
    reg(engine, "from a file", doc="f")
    path = tmp_path / "copy.txt"
    path.write_text("from a file")
    with store.reader(engine) as s:
        assert archive.show(s, str(path)).name == "f@1"


def test_unknown_document_suggests_close_keys(engine):
    reg(engine, "x", doc="blockchain-study")
    with (
        store.reader(engine) as s,
        pytest.raises(NotFoundError, match="did you mean blockchain-study"),
    ):
        archive.log(s, "blockchain-studdy")


def test_trace_forward_gives_each_step_and_the_net_edits(engine):
    reg(engine, "The minister said on Monday.", doc="t")
    reg(engine, "The minister said on Tuesday.", doc="t")
    reg(engine, "The prime minister said on Tuesday.", doc="t")
    with store.reader(engine) as s:
        tr = archive.trace(s, "t@1", "t@3")
    assert tr.path == (1, 2, 3)
    assert [st.direction for st in tr.steps] == ["forward", "forward"]
    assert (
        diff.replay("The minister said on Monday.", tr.net.edits)
        == "The prime minister said on Tuesday."
    )


def test_trace_goes_through_the_common_ancestor_when_neither_descends(engine):
    root = reg(engine, "Base text of the article.", doc="b")
    left = reg(engine, "Base text of the article, left.", doc="b")
    right = reg(engine, "Base text of the story.", doc="b", parents=[str(root.version)])
    with store.reader(engine) as s:
        tr = archive.trace(s, str(left.version), str(right.version))
        texts = archive.texts(s, tr.path)
    assert tr.path == (left.version, root.version, right.version)
    assert tr.via == root.version
    assert [st.direction for st in tr.steps] == ["backward", "forward"]
    for step in tr.steps:
        assert diff.replay(texts[step.from_], step.edits) == texts[step.to]


def test_trace_between_unrelated_versions_has_no_path_but_net_edits(engine):
    reg(engine, "first story", doc="x")
    reg(engine, "second story", doc="y")
    with store.reader(engine) as s:
        tr = archive.trace(s, "x@1", "y@1")
    assert tr.path == () and tr.steps == ()
    assert diff.replay("first story", tr.net.edits) == "second story"


def test_documents_are_listed_with_version_counts(engine):
    reg(engine, "a1", doc="a")
    reg(engine, "a2", doc="a")
    reg(engine, "b1", doc="b")
    with store.reader(engine) as s:
        docs = archive.documents(s)
    assert [(d.document, d.versions, d.latest) for d in docs] == [("a", 2, 2), ("b", 1, 1)]


def test_stored_content_is_compressed_and_decompresses_to_the_bytes(engine):
    data = ("重复的文字。" * 500).encode()
    r = reg(engine, data, doc="z")
    with store.reader(engine) as s:
        row = s.get(Content, r.hash)
        assert len(row.data) < len(data) / 10
        assert contents.decompress(row.data, row.compression) == data


@given(st.binary(max_size=200).filter(lambda b: _is_utf8(b)) | st.text(max_size=80).map(str.encode))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_raw_round_trips_the_exact_bytes(engine, data):
    r = reg(engine, data, doc="raw", allow_empty=True)
    with store.reader(engine) as s:
        assert archive.raw(s, str(r.version)) == data
    assert r.hash == "blake3:" + blake3(data).hexdigest()


def _is_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_a_revision_is_stored_as_a_small_delta_against_its_parent(engine):
    text = "".join(f"Paragraph {i}: the terms of service say something long here.\n" for i in range(300))
    reg(engine, text, doc="tos")
    r2 = reg(engine, text.replace("Paragraph 150", "Section 150"), doc="tos")
    with store.reader(engine) as s:
        row = s.get(Content, r2.hash)
        assert row.compression == contents.DELTA and row.depth == 1
        assert len(row.data) < 200
        assert archive.raw(s, str(r2.version)) == text.replace("Paragraph 150", "Section 150").encode()


def test_delta_chains_are_bounded_and_every_version_reads_back_exactly(engine):
    texts = [("base text of a long article. " * 50) + f"revision {i}" for i in range(contents.MAX_DEPTH + 5)]
    reports = [reg(engine, t, doc="chain") for t in texts]
    with store.reader(engine) as s:
        depths = [s.get(Content, r.hash).depth for r in reports]
        assert max(depths) <= contents.MAX_DEPTH
        # A full chain is followed by a delta against the whole frame it started from,
        # not by another whole copy: the text is still close to that frame.
        restart = s.get(Content, reports[contents.MAX_DEPTH + 1].hash)
        assert (restart.depth, restart.base_hash) == (1, reports[0].hash)
        assert len(restart.data) < 100
        assert [r.depth for r in s.exec(select(Content)) if r.compression == contents.FULL] == [0]
        for r, t in zip(reports, texts, strict=True):
            assert archive.raw(s, str(r.version)) == t.encode()


def test_a_chain_of_a_text_that_drifted_away_from_its_start_starts_again_whole(engine):
    rng = random.Random(7)

    def paragraph() -> str:
        words = ("mayor", "bridge", "council", "budget", "river", "vote")
        return " ".join(rng.choice(words) + str(rng.randrange(10**6)) for _ in range(12)) + "\n"

    paragraphs = [paragraph() for _ in range(64)]
    texts = []
    for i in range(contents.MAX_DEPTH + 3):  # each revision rewrites 4 more of 64 paragraphs
        paragraphs[4 * i % 64 : 4 * i % 64 + 4] = [paragraph() for _ in range(4)]
        texts.append("".join(paragraphs))
    reports = [reg(engine, t, doc="drift") for t in texts]
    with store.reader(engine) as s:
        rows = [s.get(Content, r.hash) for r in reports]
        assert [r.depth for r in rows] == [*range(contents.MAX_DEPTH + 1), 0, 1]
        assert rows[contents.MAX_DEPTH + 1].compression == contents.FULL
        for r, t in zip(reports, texts, strict=True):
            assert archive.raw(s, str(r.version)) == t.encode()
