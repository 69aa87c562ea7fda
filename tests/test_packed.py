"""Edit records are stored as zstd frames of their JSON (`provenance.packed`): what is
read back is exactly what was written, for any text an edit can carry."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance import packed
from provenance.errors import IntegrityError

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
