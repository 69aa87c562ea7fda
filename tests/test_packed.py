"""Edit records are stored as zstd frames of their JSON (`provenance.packed`), the edits
by their gaps: what is read back is exactly what was written, for any text an edit can
carry and any list the edits column is given."""

from __future__ import annotations

import json
import random

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance import diff, packed
from provenance.errors import IntegrityError
from provenance.store import json_text

_TEXT = st.text(
    st.one_of(
        st.characters(), st.sampled_from(["\ud800", "\udcff", "\udfff", "\r", "\n", "😀", "中"])
    )
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_TEXT, inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_a_value_reads_back_as_it_was_written(value):
    blob = packed.pack(value)
    assert blob.startswith(b"\x28\xb5\x2f\xfd")
    assert packed.unpack(blob) == value
    assert packed.unpack(memoryview(blob)) == value  # as a PostgreSQL driver may hand it over


def test_an_edit_with_a_lone_surrogate_is_kept_not_mangled():
    edits = [[0, 1, 0, 2, "\ud800x"]]
    assert packed.unpack(packed.pack(edits)) == edits
    assert packed.stored_text(packed.pack(edits)) == '[[0,1,0,2,"\ud800x"]]'


@pytest.mark.parametrize(
    "blob",
    ["[]", b"[]", packed.pack([1, 2, 3])[:-2], packed.pack([1])[:4] + b"\x00" * 12],
)
def test_a_value_that_is_not_a_readable_frame_is_one_clear_error(blob):
    with pytest.raises(IntegrityError, match=r"stored JSON frame cannot be read.*prov verify"):
        packed.unpack(blob)


_INT = st.integers(min_value=-(2**40), max_value=2**40)
_ROW = st.lists(_INT, min_size=4, max_size=4).map(tuple)
# Rows of any shape an edits list might hold, most of them not a diff's.
_ANY_EDITS = st.lists(
    st.one_of(
        st.tuples(_INT, _INT, _INT, _INT, _TEXT).map(list),
        st.lists(st.one_of(_INT, _TEXT, st.booleans()), max_size=6),
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(_ANY_EDITS)
def test_any_edits_read_back_exactly_and_hash_as_their_list(edits):
    blob = packed.pack_edits(edits)
    assert packed.unpack_edits(blob) == edits
    assert packed.unpack_edits(memoryview(blob)) == edits
    assert packed.edits_text(blob) == json_text(edits)  # what the audit log hashes


@settings(max_examples=300, deadline=None)
@given(_TEXT, _TEXT)
def test_a_diffs_edits_are_framed_by_their_gaps_and_give_back_the_child(a, b):
    edits = diff.to_compact(diff.diff(a, b).edits)
    blob = packed.pack_edits(edits)
    form = json.loads(packed.stored_text(blob))
    assert isinstance(form, dict) if edits else form == []
    back = packed.unpack_edits(blob)
    assert back == edits
    assert diff.replay(a, diff.from_compact(back, a)) == b


def test_gaps_make_a_long_records_frame_smaller(seeds):
    """The point of the form: offsets that grow with the text compress badly."""
    page = max(seeds.values(), key=len).decode("utf-8")
    rng = random.Random(7)
    child = "".join(ch + "。" if rng.random() < 0.01 else ch for ch in page)
    edits = diff.to_compact(diff.diff(page, child).edits)
    assert len(edits) > 30
    assert len(packed.pack_edits(edits)) < 0.7 * len(packed.pack(edits))


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"a": 1}, "not the gaps of edits"),
        ({"put": ["x"], "skip": [0, 1], "take": [0]}, "differ in length"),
        ({"put": ["x"], "skip": [True], "take": [0]}, "not a count or a text"),
        ({"put": [1], "skip": [0], "take": [0]}, "not a count or a text"),
        ({"put": "x", "skip": [0], "take": [0]}, "not the gaps of edits"),
    ],
)
def test_gaps_that_are_not_edits_are_one_clear_error(value, problem):
    blob = packed.pack(value)
    with pytest.raises(IntegrityError, match=rf"cannot be read: .*{problem}.*prov verify"):
        packed.unpack_edits(blob)
    with pytest.raises(ValueError, match=problem):
        packed.edits_text(blob)


# -- event bodies -----------------------------------------------------------------

# A frame written when event bodies were first framed (migration 0015). Frames are only
# readable with the dictionary they were written with: changing `EVENT_DICTIONARY`
# would make every stored event unreadable, and this fails first.
_FIRST_FRAME = bytes.fromhex(
    "28b52ffd608e0095030044047b726565723731322d30345432313a356162e4babae6b091e697a5e68aa52f"
    "e7acace59b9be789883222676231383033303733227363616e20f0a0808b2e747874227d7d0e002083c6b2"
    "c1a28c5c4539181075e34399131cca48e39365b09c8401974451f3e4fb9624ac450b19da6303"
)
_FIRST_BODY = (
    '{"actor":"reporter","kind":"version.registered","seq":7,"time":"2026-12-04T21:50:00.000000Z",'
    '"version":{"captured_at":null,"content_hash":"blake3:' + "ab" * 32 + '",'
    '"document":"人民日报/第四版","document_id":2,"encoding":"gb18030","id":7,"label":null,'
    '"meta":{},"number":3,"registered_at":"2026-12-04T21:50:00.000000Z","source":"scan 𠀋.txt"}}'
)


def test_an_event_frame_written_by_an_earlier_release_still_reads():
    assert packed.event_text(_FIRST_FRAME) == _FIRST_BODY
    assert packed.event_text(memoryview(_FIRST_FRAME)) == _FIRST_BODY


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_an_event_body_reads_back_as_the_text_written(body):
    assert packed.event_text(packed.pack_event(body)) == body


@pytest.mark.parametrize(
    "blob, problem",
    [
        ('{"seq":1}', "not a zstd frame (found text)"),
        (b"\x28\xb5\x2f\xfd\x00", "a damaged zstd frame"),
        (packed.pack_event("{}")[:-2], "a damaged zstd frame"),
        (7, "not a zstd frame (found int)"),
    ],
)
def test_a_stored_event_that_is_not_a_readable_frame_is_named(blob, problem):
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        packed.event_text(blob)
    with pytest.raises(IntegrityError, match="run: prov verify"):
        packed.EventBody().process_result_value(blob, None)


def test_the_dictionary_makes_short_events_smaller():
    body = _FIRST_BODY
    plain = len(zstandard.ZstdCompressor(level=19).compress(body.encode()))
    assert len(packed.pack_event(body)) < 0.7 * plain
