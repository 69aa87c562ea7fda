"""Lenses: normalization profiles used to *compare* texts, never to rewrite them.

Two copies of one article differ in ways no reader cares about: whitespace,
line breaks from a page layout (some splitting a word), spaces a word
segmenter put between Chinese words, full-width against half-width
punctuation, Unicode forms. A lens folds those differences away so that a diff
sees only the wording. The stored text is never touched: ``normalize`` returns
the normalized string *and* an exact map from every normalized code point back
to the original span it came from, so every edit found through a lens can be
reported at offsets into the original texts.

Profiles (``PROFILES``), each a superset of the previous one:

- ``exact``: identity.
- ``whitespace``: each run of whitespace (line breaks included, and the
  invisible U+200B zero-width space, U+2060 word joiner and U+FEFF BOM) becomes
  one space; whitespace at both ends is dropped.
- ``cjk``: Unicode NFKC (which is what unifies full-width and half-width forms:
  full-width comma U+FF0C and letter U+FF21 become ``,`` and ``A``, half-width
  katakana become full-width, the ideographic space U+3000 a space); then
  whitespace runs next to a CJK character (Han, Kana, Hangul,
  Bopomofo, CJK symbols and punctuation, remaining full-width forms) on either
  side (looking past a few punctuation marks, so a segmenter's space before a
  closing quote after Chinese text goes too) are dropped, and the other runs
  fold to one space as in ``whitespace``.
- ``loose``: ``cjk`` plus case folding and one form for quotes (curly,
  low-9 and angle double quotes become ``"``, single ones ``'``) and dashes
  (hyphen U+2010 to horizontal bar U+2015 and the minus sign become ``-``).

How the map stays exact: NFKC (and case folding) run per *combining
sequence*: a starter followed by its combining marks (and Hangul vowel/final
jamo). A sequence whose normalized form equals itself maps code point by code
point; one that changes (``ﬁ`` → ``fi``, ``e`` + U+0301 → ``é``) maps every code
point it produces to the span of the whole sequence. Per-sequence NFKC equals
NFKC of the whole text in all but contrived cases (it is exactly what a reader
sees as one character); the lens is a comparison device, so it only has to be
the same function on both sides, which it is.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from provenance.errors import InputError

PROFILES: Mapping[str, str] = MappingProxyType(
    {
        "exact": "the text as stored, code point for code point",
        "whitespace": "runs of whitespace and line breaks count as one space; ends stripped",
        "cjk": (
            "NFKC (full/half width unified), no whitespace next to CJK characters, "
            "other whitespace folded"
        ),
        "loose": "cjk plus case folding and one form for quotes and dashes",
    }
)

_DROPS_BESIDE_CJK = frozenset({"cjk", "loose"})

DEFAULT_PROFILE = "exact"
"""The profile used when none is named.

``exact``, because a diff between registered versions is a statement about
what was stored: it must never hide a difference unless the user asked for a
lens. Callers that *suggest* a lens (see ``provenance.lensdiff``) name it in
the result instead of applying it silently.
"""

# Whitespace as the lenses see it: Unicode whitespace plus invisible separators
# that web copies sprinkle into text (zero-width space, word joiner, BOM).
_WS_CLASS = r"\s\u200b\u2060\ufeff"
_WS_RUN = re.compile(f"[{_WS_CLASS}]+")

# Inclusive code point ranges counted as CJK when deciding whether a space sits
# "next to CJK" (checked on normalized text, so width variants that NFKC folds
# to ASCII are no longer CJK by then, and need not be).
CJK_RANGES = (  # inclusive (first, last) code points
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
    (0x2FF0, 0x303F),  # ideographic description, CJK symbols and punctuation
    (0x3040, 0x31FF),  # Hiragana, Katakana, Bopomofo, Hangul compatibility jamo, Kanbun
    (0x3200, 0x4DBF),  # enclosed CJK, CJK compatibility, extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xA960, 0xA97F),  # Hangul Jamo extended A
    (0xAC00, 0xD7FF),  # Hangul syllables, Jamo extended B
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half-width and full-width forms
    (0x1AFF0, 0x1B16F),  # Kana extended / supplement
    (0x20000, 0x3FFFF),  # CJK extensions B and later, compatibility supplement
)
_CJK_STARTS = tuple(lo for lo, _ in CJK_RANGES)
_CJK_ENDS = tuple(hi for _, hi in CJK_RANGES)

LOOSE_TABLE = str.maketrans(
    {
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u301d\u301e", '"'),
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2039\u203a\u2032", "'"),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63", "-"),
    }
)


def is_cjk(ch: str) -> bool:
    """Whether the code point ``ch`` is Han, Kana, Hangul, CJK punctuation or a full-width form."""
    cp = ord(ch)
    k = bisect_right(_CJK_STARTS, cp) - 1
    return k >= 0 and cp <= _CJK_ENDS[k]


def _continues(ch: str) -> bool:
    """Whether ``ch`` belongs to the combining sequence before it."""
    cp = ord(ch)
    if cp < 0x300:
        return False
    if 0x1160 <= cp <= 0x11FF or 0xD7B0 <= cp <= 0xD7FF:  # Hangul vowel and final jamo
        return True
    return unicodedata.category(ch)[0] == "M"


@dataclass(frozen=True, slots=True, eq=False)
class Lensed:
    """A text seen through a lens.

    ``text`` is the normalized string; for every index ``i`` of it,
    ``original[orig_start[i]:orig_end[i]]`` is the original material it came
    from. Both maps are non-decreasing. Code points produced by one changed
    combining sequence share that sequence's span; a folded whitespace run maps
    to the whole run; dropped material has no normalized code point at all.
    """

    profile: str
    original: str
    text: str
    orig_start: tuple[int, ...]
    orig_end: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.text)

    def to_original_span(self, n_start: int, n_end: int) -> tuple[int, int]:
        """The smallest original span containing normalized ``text[n_start:n_end]``.

        An empty normalized span (an insertion point) maps to an empty original
        span; when the lens dropped material there (a line break, a space
        beside a CJK character, whitespace at an end), the point is put on the
        side that leaves the dropped material where it is still dropped:
        after it when the text before the point is what made the lens drop it
        (a CJK character before, or the start of the text), else before it.
        So an insertion next to dropped whitespace lands at one consistent
        place, and material inserted there does not bring the whitespace back.
        """
        self._check(n_start, n_end)
        if n_start < n_end:
            return self.orig_start[n_start], self.orig_end[n_end - 1]
        p = self._insertion_point(n_start)
        return p, p

    def replace_span(self, n_start: int, n_end: int) -> tuple[int, int]:
        """The original span to replace when ``text[n_start:n_end]`` is replaced.

        Like ``to_original_span``, but dropped material right outside the span
        is taken in when the replaced material was the reason it was dropped
        (a space dropped only because the replaced character was CJK): left
        outside, it would reappear next to a Latin replacement.
        """
        self._check(n_start, n_end)
        if n_start == n_end:
            p = self._insertion_point(n_start)
            return p, p
        o0, o1 = self.orig_start[n_start], self.orig_end[n_end - 1]
        if n_start > 0 and self.orig_end[n_start - 1] < o0 and not self._cjk_side(n_start - 1, -1):
            o0 = self.orig_end[n_start - 1]
        if n_end < len(self.text) and o1 < self.orig_start[n_end] and not self._cjk_side(n_end, 1):
            o1 = self.orig_start[n_end]
        return o0, o1

    def _check(self, n_start: int, n_end: int) -> None:
        if not 0 <= n_start <= n_end <= len(self.text):
            raise ValueError(f"normalized span {n_start}:{n_end} is outside 0:{len(self.text)}")

    def _cjk_side(self, k: int, step: int) -> bool:
        return self.profile in _DROPS_BESIDE_CJK and side_is_cjk(self.text, k, step)

    def _insertion_point(self, n: int) -> int:
        if not self.text:
            return 0
        if n == 0:
            return self.orig_start[0]
        if n == len(self.text):
            return self.orig_end[n - 1]
        lo, hi = self.orig_end[n - 1], self.orig_start[n]
        if lo < hi and self._cjk_side(n - 1, -1):
            return hi
        return lo

    def atom_bounds(self, n: int) -> tuple[int, int]:
        """The normalized indices ``[lo, hi)`` that share original material with index ``n``.

        Such a group (``ﬁ`` → ``fi``) can only be edited as a whole: replacing
        half of it in the original is impossible.
        """
        lo = n
        while lo > 0 and self.orig_start[lo] < self.orig_end[lo - 1]:
            lo -= 1
        hi = n + 1
        while hi < len(self.text) and self.orig_start[hi] < self.orig_end[hi - 1]:
            hi += 1
        return lo, hi

    def splits_atom(self, n: int) -> bool:
        """Whether a cut before normalized index ``n`` falls inside such a group."""
        return 0 < n < len(self.text) and self.orig_start[n] < self.orig_end[n - 1]


def check_profile(profile: str) -> str:
    """``profile`` if it is known, else an ``InputError`` listing the valid names."""
    if profile not in PROFILES:
        raise InputError(
            f"unknown normalization profile {profile!r}; choose one of: {', '.join(PROFILES)}"
        )
    return profile


def normalize(text: str, profile: str = DEFAULT_PROFILE) -> Lensed:
    """``text`` seen through the lens ``profile`` (see the module docstring)."""
    check_profile(profile)
    n = len(text)
    if profile == "exact":
        return Lensed(profile, text, text, tuple(range(n)), tuple(range(1, n + 1)))
    if profile == "whitespace":
        chars, starts, ends = text, list(range(n)), list(range(1, n + 1))
    else:
        chars, starts, ends = _fold_forms(text, loose=profile == "loose")
    out, o_starts, o_ends = _fold_whitespace(
        chars, starts, ends, drop_beside_cjk=profile != "whitespace"
    )
    return Lensed(profile, text, out, tuple(o_starts), tuple(o_ends))


def _fold_forms(text: str, *, loose: bool) -> tuple[str, list[int], list[int]]:
    """NFKC (and for ``loose`` case folding and quote/dash unification) per combining sequence."""
    n = len(text)
    if unicodedata.is_normalized("NFKC", text) and (not loose or text == text.casefold()):
        chars = text.translate(LOOSE_TABLE) if loose else text
        return chars, list(range(n)), list(range(1, n + 1))
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    while i < n:
        j = i + 1
        while j < n and _continues(text[j]):
            j += 1
        seq = text[i:j]
        norm = unicodedata.normalize("NFKC", seq)
        if loose:
            norm = unicodedata.normalize("NFKC", norm.casefold())
        if norm == seq or (j - i == 1 and len(norm) == 1):
            starts.extend(range(i, j))
            ends.extend(range(i + 1, j + 1))
        else:
            starts.extend([i] * len(norm))
            ends.extend([j] * len(norm))
        pieces.append(norm)
        i = j
    chars = "".join(pieces)
    if loose:
        chars = chars.translate(LOOSE_TABLE)  # one code point for one: the map is unchanged
    return chars, starts, ends


def _is_ws(ch: str) -> bool:
    return ch.isspace() or ch in "\u200b\u2060\ufeff"


_SKIP_PUNCT = 4


def side_is_cjk(chars: str, k: int, step: int) -> bool:
    """Whether the text on one side of a whitespace run, from index ``k`` on, is CJK.

    Looks past further whitespace, combining marks (to their base, leftwards)
    and up to ``_SKIP_PUNCT`` punctuation or symbol characters, so that the
    space in ``区块 链 + \u201d`` (a segmenter's space before a closing quote) counts as
    next to CJK while ``said - yes`` stays Latin.
    """
    skipped = 0
    n = len(chars)
    while 0 <= k < n:
        ch = chars[k]
        if _is_ws(ch) or (step < 0 and _continues(ch)):
            k += step
            continue
        if is_cjk(ch):
            return True
        if unicodedata.category(ch)[0] in "PS" and skipped < _SKIP_PUNCT:
            skipped += 1
            k += step
            continue
        return False
    return False


def _fold_whitespace(
    chars: str, starts: list[int], ends: list[int], *, drop_beside_cjk: bool
) -> tuple[str, list[int], list[int]]:
    """Drop whitespace at the ends (and beside CJK), fold every other run to one space."""
    out: list[str] = []
    o_starts: list[int] = []
    o_ends: list[int] = []
    pos = 0
    n = len(chars)
    for m in _WS_RUN.finditer(chars):
        r0, r1 = m.span()
        out.append(chars[pos:r0])
        o_starts.extend(starts[pos:r0])
        o_ends.extend(ends[pos:r0])
        pos = r1
        if r0 == 0 or r1 == n:
            continue
        if drop_beside_cjk and (side_is_cjk(chars, r0 - 1, -1) or side_is_cjk(chars, r1, 1)):
            continue
        out.append(" ")
        o_starts.append(starts[r0])
        o_ends.append(ends[r1 - 1])
    out.append(chars[pos:])
    o_starts.extend(starts[pos:])
    o_ends.extend(ends[pos:])
    return "".join(out), o_starts, o_ends
