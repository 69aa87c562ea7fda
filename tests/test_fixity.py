"""Fixity's character count agrees with Python's for any text (it never decodes)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from provenance import fixity


@given(st.text())
def test_characters_are_counted_without_decoding_for_any_unicode(text: str) -> None:
    data = text.encode("utf-8")
    assert fixity.count_chars(data) == len(text)
    assert fixity.count_chars(bytearray(data)) == len(text)


def test_astral_cjk_and_crlf_count_as_python_counts_them() -> None:
    text = "区块链\r\n𝔘𝔫𝔦😀 é"
    assert fixity.count_chars(text.encode()) == len(text) == 11
