"""The identify index's anchors are the winnowed minima, however they are computed.

`provenance.sketch.anchors_of_hashes` keeps the least hash of every
``ANCHOR_WINDOW`` consecutive windows. These tests hold it to the direct
definition (the minimum of each window read whole, as the index was first
built), on random hashes with many ties and on the corpus, so that the rows
an archive stores do not change with how they are found.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance import index, sketch

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def direct_anchors(raw_hashes: np.ndarray, k: int = sketch.K) -> np.ndarray:
    """The definition: each window's rightmost minimum, read window by window."""
    n = len(raw_hashes) - (sketch.ANCHOR_TILES - 1) * k
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    acc = raw_hashes[:n]
    for j in range(1, sketch.ANCHOR_TILES):
        acc = sketch._splitmix64(acc * sketch._POLY ^ raw_hashes[j * k : j * k + n])
    w = min(sketch.ANCHOR_WINDOW, n)
    view = np.lib.stride_tricks.sliding_window_view(acc, w)
    picked = np.arange(n - w + 1) + (w - 1 - np.argmin(view[:, ::-1], axis=1))
    return np.unique(acc[picked] >> np.uint64(64 - sketch.KEY_BITS))  # the stored top bits


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=400), st.integers(1, 80))
def test_window_minima_are_the_least_of_each_window(values, w):
    x = np.array(values, dtype=np.uint64)
    if len(x) < w:
        return
    expected = np.array([x[i : i + w].min() for i in range(len(x) - w + 1)], dtype=np.uint64)
    padded = np.concatenate([x, np.full(-len(x) % w, np.iinfo(np.uint64).max, dtype=np.uint64)])
    assert np.array_equal(sketch._window_minima(padded, len(x), w), expected)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab c\n中文", max_size=600))
def test_anchors_of_any_text_are_those_of_the_definition(text):
    raw = sketch.text_shingle_hashes(text)
    assert np.array_equal(sketch.anchors_of_hashes(raw), direct_anchors(raw))


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the corpus lives beside the repository")
def test_every_corpus_version_keeps_its_index_rows():
    """Anchors, and so the stored rows and their digest, as the definition gives them."""
    for path in sorted(CORPUS.glob("*/*/*.md"))[::7]:
        text = path.read_text(encoding="utf-8")
        raw = sketch.text_shingle_hashes(text)
        expected = direct_anchors(raw)
        assert np.array_equal(sketch.anchors_of_hashes(raw), expected), path
        rows = index.rows_for("blake3:x", text)
        assert [k for b, k in rows.keys if b == sketch.ANCHOR_BAND] == expected.tolist(), path


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="ab c\n中文", max_size=600), st.integers(1, 90))
def test_anchors_taken_in_chunks_are_those_of_the_whole_text(text, chunk):
    # A big text's windows are taken a chunk at a time (sketch.ANCHOR_CHUNK) to bound memory.
    raw = sketch.text_shingle_hashes(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sketch, "ANCHOR_CHUNK", chunk)
        assert np.array_equal(sketch.anchors_of_hashes(raw), direct_anchors(raw))
