"""The diff engine's laws, over any Unicode: astral characters, combining marks, CRLF, empty texts."""

from __future__ import annotations

import itertools
import pathlib
import random
import time
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Indel

from provenance import diff

# Characters a real archive meets: CJK, astral (emoji, historic scripts),
# combining marks, CR/LF and other whitespace, plus anything hypothesis finds.
_alphabet = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(
        ["\r\n", "\n", "\r", " ", "\u3000", "\t", "e\u0301", "😀", "𠀋", "中", "国", "。"]
    ),
)
texts = st.lists(_alphabet, max_size=60).map("".join)


@given(texts, texts)
@settings(max_examples=400)
def test_edits_applied_to_a_give_b_exactly(a, b):
    result = diff.diff(a, b)
    assert diff.replay(a, result.edits) == b
    assert result.complete


@given(texts, texts)
def test_inverted_edits_take_b_back_to_a(a, b):
    assert diff.replay(b, diff.invert(diff.diff(a, b).edits)) == a


@given(texts, texts)
def test_edits_are_ordered_disjoint_and_carry_the_original_characters(a, b):
    edits = diff.diff(a, b).edits
    for e in edits:
        assert a[e.a_start : e.a_end] == e.old
        assert b[e.b_start : e.b_end] == e.new
        assert e.op == ("replace" if e.old and e.new else "delete" if e.old else "insert")
    for first, second in itertools.pairwise(edits):
        assert first.a_end < second.a_start or first.b_end < second.b_start


@given(texts, texts)
def test_compact_storage_form_round_trips(a, b):
    edits = diff.diff(a, b).edits
    assert diff.from_compact(diff.to_compact(edits), a) == edits


@given(texts)
def test_identical_texts_have_no_edits_and_similarity_one(a):
    result = diff.diff(a, a)
    assert result.edits == ()
    assert result.stats.similarity == 1.0


def test_offsets_count_code_points_not_utf16_units_or_bytes():
    result = diff.diff("a😀b𠀋c", "a😀X𠀋c")
    (edit,) = result.edits
    assert (edit.a_start, edit.a_end, edit.old, edit.new) == (2, 3, "b", "X")


def test_stats_count_characters_inserted_and_deleted():
    result = diff.diff("The cat sat.", "The dog sat down.")
    assert diff.replay("The cat sat.", result.edits) == "The dog sat down."
    assert result.stats.inserted == sum(len(e.new) for e in result.edits)
    assert result.stats.deleted == sum(len(e.old) for e in result.edits)
    assert 0 < result.stats.similarity < 1


def _large_pair(size: int, seed: int = 7) -> tuple[str, str]:
    rng = random.Random(seed)
    words = [
        "".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 8))) for _ in range(3000)
    ]
    lines = [" ".join(rng.choice(words) for _ in range(12)) for _ in range(size // 70)]
    a = "\n".join(lines)
    b = list(a)
    for _ in range(len(a) // 100):
        b[rng.randrange(len(b))] = rng.choice("xyz")
    return a, "".join(b)


def test_a_large_revision_with_one_percent_edits_is_diffed_completely():
    a, b = _large_pair(300_000)
    result = diff.diff(a, b)
    assert result.complete
    assert diff.replay(a, result.edits) == b
    # 1% of the characters changed: a rewrite would be a handful of huge edits.
    assert result.stats.similarity > 0.95


def test_a_diff_cut_short_by_its_deadline_says_so_and_still_replays():
    rng = random.Random(3)
    a = "".join(rng.choice("ab") for _ in range(200_000))
    b = "".join(rng.choice("ab") for _ in range(200_000))
    result = diff.diff(a, b, deadline=0.001)
    assert not result.complete
    assert diff.replay(a, result.edits) == b


@given(texts, texts)
@settings(max_examples=300)
def test_the_line_and_word_passes_for_long_texts_still_replay_exactly(a, b):
    # Long texts are diffed by lines, then words, then characters; force that
    # path on short texts so hypothesis can explore it.
    saved = diff.COARSE_ABOVE
    diff.COARSE_ABOVE = 4
    try:
        result = diff.diff(a, b)
    finally:
        diff.COARSE_ABOVE = saved
    assert diff.replay(a, result.edits) == b
    for e in result.edits:
        assert a[e.a_start : e.a_end] == e.old and b[e.b_start : e.b_end] == e.new


def _rewrite_pair(lines: int, seed: int = 11) -> tuple[str, str]:
    rng = random.Random(seed)
    words = [
        "".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 8))) for _ in range(500)
    ]
    a = "\n".join(" ".join(rng.choice(words) for _ in range(10)) for _ in range(lines))
    b = "\n".join(" ".join(rng.choice(words) for _ in range(10)) for _ in range(lines))
    return a, b


def test_a_heavy_rewrite_of_a_long_text_is_still_a_character_diff():
    a, b = _rewrite_pair(800)
    result = diff.diff(a, b)
    # Too costly for the exact search: the answer says it is approximate.
    assert not result.complete and diff.replay(a, result.edits) == b
    # Shared words survive as unchanged text rather than one huge replace.
    assert result.stats.edits > 100
    assert result.stats.unchanged > 0.1 * len(a)


def _on_a_slow_machine(monkeypatch, factor: float) -> list:
    """Every clock the diff reads runs ``factor`` times fast; returns the time limits it asks dmp for."""
    clock = time.perf_counter
    monkeypatch.setattr(diff, "time", types.SimpleNamespace(perf_counter=lambda: factor * clock()))
    limits: list = []
    search = diff._dmp.diff

    def recorded(*args, **kwargs):
        limits.append(kwargs.get("timelimit"))
        return search(*args, **kwargs)

    monkeypatch.setattr(diff._dmp, "diff", recorded)
    return limits


def test_an_approximate_diff_is_the_same_on_a_loaded_machine_as_on_a_quiet_one(monkeypatch):
    a, b = _rewrite_pair(800)
    quiet = diff.diff(a, b, semantic=False), diff.diff(a, b)
    limits = _on_a_slow_machine(monkeypatch, 1000)
    loaded = diff.diff(a, b, semantic=False), diff.diff(a, b)
    assert not quiet[0].complete
    assert loaded == quiet
    # Nothing the answer depends on was bounded by the clock.
    assert limits and set(limits) == {0}


def test_an_exact_diff_of_a_long_light_revision_is_the_same_on_a_machine_four_times_slower(
    monkeypatch,
):
    a, b = _large_pair(200_000)
    b = b.replace("abc", "cab", 40)
    quiet = diff.diff(a, b, semantic=False)
    limits = _on_a_slow_machine(monkeypatch, 4)
    assert diff.diff(a, b, semantic=False) == quiet
    assert quiet.complete
    assert set(limits) <= {0, diff.EXACT_SAFETY}


def test_an_exact_search_stopped_by_its_safety_net_is_flagged_approximate(monkeypatch):
    rng = random.Random(5)
    vocab = [
        "".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 8))) for _ in range(300)
    ]
    words = [rng.choice(vocab) for _ in range(3000)]
    edited = list(words)
    for _ in range(60):
        edited[rng.randrange(len(edited))] = rng.choice(vocab)
    a, b = " ".join(words), " ".join(edited)
    assert diff.diff(a, b, semantic=False).complete
    # Make Myers' search the only proof, and its safety net trip at once.
    monkeypatch.setattr(diff, "PROOF_WORK", 0)
    monkeypatch.setattr(diff, "MYERS_SHARE", 1)
    monkeypatch.setattr(diff, "EXACT_SAFETY", 1e-9)
    monkeypatch.setattr(diff, "histogram_bound", lambda a, b: -1)
    result = diff.diff(a, b, semantic=False)
    assert not result.complete
    assert diff.replay(a, result.edits) == b


SUBPROCESSORS = (
    pathlib.Path(__file__).resolve().parents[2]
    / "shared/corpus/github-site-policy/github-subprocessors"
)


def test_myers_search_as_the_proof_of_a_real_revision_is_minimal(monkeypatch):
    """diff-match-patch given a time limit also takes its half-match shortcut: on
    this real revision (6,239 to 6,467 characters) it costs 2,992 against a
    minimum of 2,874. A diff whose proof is Myers' search must not be that one."""
    if not SUBPROCESSORS.is_dir():
        pytest.skip(f"the corpus is not beside this checkout ({SUBPROCESSORS} is missing)")
    files = sorted(SUBPROCESSORS.glob("00[01][90]__*.md"))
    a, b = (f.read_text(encoding="utf-8") for f in files if f.name[:4] in ("0009", "0010"))
    # Myers' search the only proof, as it is on pairs where it is the cheaper one.
    monkeypatch.setattr(diff, "PROOF_WORK", 0)
    monkeypatch.setattr(diff, "MYERS_SHARE", 1)
    monkeypatch.setattr(diff, "MYERS_RUNS", 0)
    result = diff.diff(a, b, semantic=False)
    cost = result.stats.inserted + result.stats.deleted
    assert not result.complete or cost == Indel.distance(a, b) == 2874
    assert result.complete
    assert diff.replay(a, result.edits) == b
