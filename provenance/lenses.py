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
- ``whitespace``: invisible characters (``INVISIBLE_RANGES``: zero-width
  space, ZWNJ, ZWJ, word joiner, BOM, soft hyphen, variation selectors, bidi
  marks, embeddings, overrides and isolates) are hidden; a line break after
  a hyphen inside a word goes (see below); each run of
  whitespace (line breaks included) becomes one space; whitespace at both
  ends is dropped.
- ``cjk``: Unicode NFKC (which is what unifies full-width and half-width forms:
  full-width comma U+FF0C and letter U+FF21 become ``,`` and ``A``, half-width
  katakana become full-width, the ideographic space U+3000 a space); then
  whitespace runs next to a CJK character (Han, Kana, Hangul,
  Bopomofo, CJK symbols and punctuation, remaining full-width forms) on either
  side (looking past a few punctuation marks, so a segmenter's space before a
  closing quote after Chinese text goes too) are dropped; inside a *Latin
  island* (a stretch of at most ``LATIN_ISLAND`` visible non-CJK characters
  bordered by CJK text, such as ``TCP/IP``, ``3.5%``, a URL or an English
  name in a Chinese sentence) the runs next to punctuation or a symbol are
  dropped too, since a word segmenter puts spaces between *any* two tokens
  (``TCP / IP``); a run holding a line break between two digits there is
  dropped too (a printed page breaks lines inside numbers: ``45\n00``); the
  other runs, between two letters or digits (``Hello World``, ``4 500``),
  fold to one space as in ``whitespace``.
- ``loose``: ``cjk`` plus case folding and one form for quotes (curly,
  low-9 and angle double quotes become ``"``, single ones ``'``) and dashes
  (hyphen U+2010 to horizontal bar U+2015 and the minus sign become ``-``).

Hyphenation: a line break after a hyphen (``-`` or U+2010) between two letters
or digits is layout: ``whitespace`` and ``cjk`` drop the break and keep the
hyphen (``well-\nknown`` is ``well-known``, ``SDN-\nList`` is ``SDN-List``),
since a text re-wrapped by an editor breaks compounds, names and URLs at their
hyphens (before this rule, 60 of 60 re-wrapped corpus texts were unequal to
their source through ``whitespace``). ``loose`` joins the letters too when both
are lowercase after case folding (``infor-\nmation`` is ``information``, as a
printed page's hyphenation needs), at the price of reading ``well-\nknown`` as
``wellknown``. A soft hyphen (U+00AD) is a hyphenation point by definition:
every lens above ``exact`` drops it with its break.

Invisible characters are dropped without leaving a space (``infor\u200bmation``
is ``information``), except one: a ZWJ between two pictographs (category So,
or a skin-tone modifier before it) is part of an emoji sequence a reader sees
as one glyph (``👨\u200d👩``), so it is kept. ``invisible_characters`` reports
them all (emoji ZWJs counted apart), for a diff to say what it hid.

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

import itertools
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from types import MappingProxyType

from provenance import lazy
from provenance.errors import InputError

# For the array passes over long texts; a command that only lists pays nothing for it.
np = lazy.module("numpy")

PROFILES: Mapping[str, str] = MappingProxyType(
    {
        "exact": "the text as stored, code point for code point",
        "whitespace": (
            "runs of whitespace and line breaks count as one space; ends stripped; "
            "invisible characters hidden; words hyphenated across a line break joined"
        ),
        "cjk": (
            "NFKC (full/half width unified), no whitespace next to CJK characters "
            "nor beside punctuation in Latin words inside CJK text, other whitespace folded"
        ),
        "loose": "cjk plus case folding and one form for quotes and dashes",
    }
)

DEFAULT_PROFILE = "exact"
"""The profile used when none is named.

``exact``, because a diff between registered versions is a statement about
what was stored: it must never hide a difference unless the user asked for a
lens. Callers that *suggest* a lens (see ``provenance.lensdiff``) name it in
the result instead of applying it silently.
"""

INVISIBLE_RANGES = (  # inclusive (first, last) code points
    (0x00AD, 0x00AD),  # soft hyphen
    (0x061C, 0x061C),  # Arabic letter mark
    (0x200B, 0x200F),  # zero-width space, ZWNJ, ZWJ, left-to-right and right-to-left marks
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x2060),  # word joiner
    (0x2066, 0x2069),  # bidi isolates
    (0xFE00, 0xFE0F),  # variation selectors 1-16
    (0xFEFF, 0xFEFF),  # byte order mark (zero-width no-break space)
    (0xE0100, 0xE01EF),  # variation selectors 17-256
)
"""Code points every lens above ``exact`` hides (``invisible_characters`` reports them)."""

_INVIS_CLASS = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in INVISIBLE_RANGES)
_INVISIBLE_SET = frozenset(chr(c) for lo, hi in INVISIBLE_RANGES for c in range(lo, hi + 1))
_INVISIBLE_RUN = re.compile(f"[{_INVIS_CLASS}]+")
_SKIPPABLE = re.compile(f"[\\s{_INVIS_CLASS}]")
_HYPHENS = "-\u2010"
# A gap: a run of whitespace and invisible characters, with the hyphen before it if any.
_GAP = re.compile(f"[{_HYPHENS}]?[\\s{_INVIS_CLASS}]+")
_WS_ONLY_RUN = re.compile(r"\s+")
_HAS_BREAK = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# A hyphen (or soft hyphen) with a line break after it: a candidate for joining.
_HYPHEN_BREAK = re.compile(f"[{_HYPHENS}\u00ad][\\s{_INVIS_CLASS}]*[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# The gaps (as ``_GAP`` finds them) that hold a hyphen or a soft hyphen.
_JOIN_CANDIDATE = re.compile(
    f"[{_HYPHENS}][\\s{_INVIS_CLASS}]+|[\\s{_INVIS_CLASS}]*\u00ad[\\s{_INVIS_CLASS}]*"
)
_ALNUM = re.compile(r"[^\W_]")
# ``_JOIN_CANDIDATE`` for a text without a soft hyphen (its second branch cannot match there).
_HYPHEN_GAP = re.compile(f"[{_HYPHENS}][\\s{_INVIS_CLASS}]+")

# Why material before a normalized index was dropped: the character on that
# side is CJK (a cause no edit elsewhere can undo), a hyphenated word was
# joined, or the character on that side is punctuation in a Latin island (a
# cause that holds only while the island is bordered by CJK).
_LEFT, _RIGHT, _JOIN, _LEFT_ISLAND, _RIGHT_ISLAND = 1, 2, 4, 8, 16

_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x85\u2028\u2029]")
# A whitespace run holding a line break between two digits: inside a Latin
# island of CJK text, a printed page's line break inside a number (45\n00),
# which ``cjk`` joins (a space inside a number, 4 500, stays a space).
_DIGIT_BREAK = re.compile("(?<=\\d)\\s*[\n\r\x0b\x0c\x85\u2028\u2029]\\s*(?=\\d)")

LATIN_ISLAND = 64
"""Longest stretch (in letters and digits) of non-CJK text between CJK characters
(or between CJK and an end of the text) in which ``cjk`` drops the spaces next to
punctuation and symbols: a word segmenter puts spaces between *any* two tokens,
so ``TCP/IP`` inside Chinese comes back as ``TCP / IP``. Spaces between two
letters or digits there stay (folded to one): ``Hello World`` is two words in
any script. Longer stretches (an English paragraph in a Chinese text) and texts
without CJK keep their spaces next to punctuation, as ``whitespace`` does."""

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


_CJK_CLASS = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in CJK_RANGES)
_HAS_CJK = re.compile(f"[{_CJK_CLASS}]")
_NON_CJK_RUN = re.compile(f"[^{_CJK_CLASS}]+")

SHINGLE_FOLD: Mapping[str, str] = MappingProxyType(
    {
        "\u3002": ".",  # ideographic full stop
        "\u3001": ",",  # ideographic comma
        "\u300c": '"',  # left corner bracket
        "\u300d": '"',  # right corner bracket
        "\u300e": '"',  # left white corner bracket
        "\u300f": '"',  # right white corner bracket
        "\u00b7": ".",  # middle dot
        "\u3008": "<",  # left angle bracket
        "\u3009": ">",  # right angle bracket
        "\u300a": "<",  # left double angle bracket
        "\u300b": ">",  # right double angle bracket
        "\u3010": "[",  # left black lenticular bracket
        "\u3011": "]",  # right black lenticular bracket
    }
)
"""Punctuation NFKC keeps that similarity sketches (`provenance.sketch`) also
fold to ASCII, on top of ``loose`` (whose ``LOOSE_TABLE`` already folds curly
quotes and dashes): writers swap these with their ASCII counterparts. Not part
of any lens: a diff through ``loose`` still shows 。 against ``.``."""


def is_invisible(ch: str) -> bool:
    """Whether ``ch`` is one of ``INVISIBLE_RANGES`` (hidden by every lens above ``exact``)."""
    return ch in _INVISIBLE_SET


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
    gaps: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))
    """Normalized index -> why the material dropped just before it was dropped."""

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
        is taken in unless the character outside it is CJK, which keeps it
        dropped whatever replaces the span (a space dropped only because the
        replaced character was CJK, or punctuation in a Latin island whose
        only CJK neighbour the edit may replace, would reappear if left
        outside). An insertion into a word the lens joined across a
        hyphenated line break replaces the hyphen and the break.
        """
        self._check(n_start, n_end)
        if n_start == n_end:
            if self.gaps.get(n_start, 0) & _JOIN:  # inserting into a joined word undoes the join
                return self.orig_end[n_start - 1], self.orig_start[n_start]
            p = self._insertion_point(n_start)
            return p, p
        o0, o1 = self.orig_start[n_start], self.orig_end[n_end - 1]
        if n_start > 0 and self.orig_end[n_start - 1] < o0 and not self._caused(n_start, _LEFT):
            o0 = self.orig_end[n_start - 1]
        if n_end < len(self.text) and o1 < self.orig_start[n_end] and not self._caused(n_end, _RIGHT):
            o1 = self.orig_start[n_end]
        return o0, o1

    def _check(self, n_start: int, n_end: int) -> None:
        if not 0 <= n_start <= n_end <= len(self.text):
            raise ValueError(f"normalized span {n_start}:{n_end} is outside 0:{len(self.text)}")

    def _caused(self, n: int, side: int) -> bool:
        """Whether the material dropped before index ``n`` was dropped because of that ``side``."""
        return bool(self.gaps.get(n, 0) & side)

    def _insertion_point(self, n: int) -> int:
        if not self.text:
            return 0
        if n == 0:
            return self.orig_start[0]
        if n == len(self.text):
            return self.orig_end[n - 1]
        lo, hi = self.orig_end[n - 1], self.orig_start[n]
        if lo < hi and self._caused(n, _LEFT | _LEFT_ISLAND):
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
    """``text`` seen through the lens ``profile`` (see the module docstring).

    A `Lensed` is immutable, and one comparison asks for the same texts' lensed
    forms several times (the passage search, the alignment, the diff): the
    last few of texts up to ``RECENT_CHARS`` long are kept (their offset maps
    cost about 60 bytes a character).
    """
    check_profile(profile)
    if len(text) <= RECENT_CHARS:
        return _recent(text, profile)
    return _normalize(text, profile)


RECENT_CHARS = 200_000


@lru_cache(maxsize=8)
def _recent(text: str, profile: str) -> Lensed:
    return _normalize(text, profile)


def _normalize(text: str, profile: str) -> Lensed:
    n = len(text)
    if profile == "exact":
        return Lensed(profile, text, text, tuple(range(n)), tuple(range(1, n + 1)))
    if profile == "whitespace":
        chars, starts, ends = text, list(range(n)), list(range(1, n + 1))
    else:
        chars, starts, ends = _fold_forms(text, loose=profile == "loose")
    out, o_starts, o_ends, gaps = _fold_gaps(
        chars, starts, ends, drop_beside_cjk=profile != "whitespace", keep_hyphen=profile != "loose"
    )
    return Lensed(profile, text, out, tuple(o_starts), tuple(o_ends), MappingProxyType(gaps))


def normal_text(text: str, profile: str = DEFAULT_PROFILE) -> str:
    """``normalize(text, profile).text`` without the offset maps (ten times cheaper).

    What the identify index hashes; a test holds the two equal on any text.
    The last few are kept, as ``normalize`` keeps its own (a passage search
    asks for the lengths, then the alignment for the texts).
    """
    check_profile(profile)
    if profile == "exact":
        return text
    if len(text) <= RECENT_CHARS:
        return _recent_text(text, profile)
    return _normal_text(text, profile)


@lru_cache(maxsize=8)
def _recent_text(text: str, profile: str) -> str:
    return _normal_text(text, profile)


def _normal_text(text: str, profile: str) -> str:
    chars = text if profile == "whitespace" else fold_forms_text(text, loose=profile == "loose")
    return _fold_runs(
        _clean_gaps(chars, keep_hyphen=profile != "loose"), drop_beside_cjk=profile != "whitespace"
    )


def comparison_text(text: str) -> str:
    """The ``loose`` lens with no whitespace at all: what similarity shingles are taken on.

    Equal to ``normal_text(text, "loose").replace(" ", "")`` (a test holds it),
    computed without deciding which spaces the lens would keep.
    """
    return _fold_runs(_clean_gaps(fold_forms_text(text, loose=True)), drop_beside_cjk=False, squeeze=True)


def _fold_forms(text: str, *, loose: bool) -> tuple[str, list[int], list[int]]:
    """NFKC (and for ``loose`` case folding and quote/dash unification) per combining sequence.

    The text and its map: ``_fold_forms_reference`` (a test holds them
    equal), with the sequences that change found as ``fold_forms_text``
    finds them, so a text pays for its changing characters and marks, not a
    Python step per code point. A full-width form (``_prefold_wide``) maps
    to itself one for one, as the reference maps it.
    """
    n = len(text)
    if text.isascii():
        return (text.lower() if loose else text), list(range(n)), list(range(1, n + 1))
    wide = _prefold_wide(text)
    # A full-width form with a mark after it is a sequence that changes (and maps as one).
    plain = wide is text or not any(_is_mark(c) for c in set(text))
    if plain and unicodedata.is_normalized("NFKC", wide) and (not loose or wide == wide.casefold()):
        chars = _loose_translate(wide) if loose else wide
        return chars, list(range(n)), list(range(1, n + 1))
    pattern = _changing_pattern(wide, loose)
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for m in pattern.finditer(wide) if pattern is not None else ():
        i, j = m.span()
        norm = _fold_one(m.group(), loose)
        if norm == text[i:j]:  # the original's: a full-width form before a mark is a change
            continue  # mapped as the unchanged text around it
        pieces.append(wide[pos:i])
        starts.extend(range(pos, i))
        ends.extend(range(pos + 1, i + 1))
        pieces.append(norm)
        if j - i == 1 and len(norm) == 1:
            starts.append(i)
            ends.append(j)
        else:
            starts.extend([i] * len(norm))
            ends.extend([j] * len(norm))
        pos = j
    pieces.append(wide[pos:])
    starts.extend(range(pos, n))
    ends.extend(range(pos + 1, n + 1))
    chars = "".join(pieces)
    if loose:
        chars = _loose_translate(chars)  # one code point for one: the map is unchanged
    return chars, starts, ends


def _changing_pattern(text: str, loose: bool) -> re.Pattern[str] | None:
    """A regex matching the combining sequences of ``text`` that fold (and some that do not).

    A starter followed by its marks, or a single code point whose fold is
    another (ASCII capitals left to the loose translation); None when there
    are none.
    """
    distinct = sorted(set(text))
    marks = "".join(re.escape(c) for c in distinct if _is_mark(c))
    changing = "".join(
        re.escape(c)
        for c in distinct
        if _fold_one(c, loose) != c and not (loose and "A" <= c <= "Z")
    )
    parts = ([f"(?s:.[{marks}]+)"] if marks else []) + ([f"[{changing}]"] if changing else [])
    return re.compile("|".join(parts)) if parts else None


def _fold_forms_reference(text: str, *, loose: bool) -> tuple[str, list[int], list[int]]:
    """``_fold_forms`` one combining sequence at a time (the reference the fast path is tested against)."""
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
        norm = _fold_one(seq, loose)
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


@cache
def _fold_one(seq: str, loose: bool) -> str:
    norm = unicodedata.normalize("NFKC", seq)
    if loose:
        norm = unicodedata.normalize("NFKC", norm.casefold())
    return norm


@cache
def _is_mark(ch: str) -> bool:
    return _continues(ch)


_LOOSE_ASCII = {**LOOSE_TABLE, **{c: c + 32 for c in range(ord("A"), ord("Z") + 1)}}


@cache
def _wide_table() -> np.ndarray:
    """Code point -> its NFKC form, for the full-width ASCII forms and the ideographic space.

    Each is a starter whose compatibility decomposition is one starter, so
    replacing it before the per-sequence NFKC changes no sequence's boundaries
    nor its NFKC (nor its case folding): the pass that follows gives the same
    text, and a Chinese text whose only non-NFKC characters are its full-width
    punctuation skips that pass (one ``is_normalized`` check).
    """
    table = np.arange(0xFF5F, dtype=np.uint32)
    for cp in (0x3000, *range(0xFF01, 0xFF5F)):
        folded = unicodedata.normalize("NFKC", chr(cp))
        assert len(folded) == 1 and unicodedata.normalize("NFKD", chr(cp)) == folded
        table[cp] = ord(folded)
    return table


_HAS_WIDE = re.compile("[\u3000\uff01-\uff5e]")


def _prefold_wide(text: str) -> str:
    """``text`` with ``_wide_table`` applied (a numpy lookup: ``str.translate`` is slower)."""
    if _HAS_WIDE.search(text) is None:
        return text
    return _map_code_points(text, _wide_table())


# Code points are looked up this many at a time: the lookup's arrays are a few
# copies of the piece, so a 20 MB text no longer costs a few copies of itself.
_MAP_PIECE = 1 << 20


def lookup_code_points(cps: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``table[c]`` for each code point ``c`` of ``cps`` below ``len(table)``, else ``c``
    (uint32), a piece at a time: how the lenses and the sketch apply their tables."""
    top = len(table) - 1
    out = np.empty(len(cps), dtype=np.uint32)
    for i in range(0, len(cps), _MAP_PIECE):
        part = cps[i : i + _MAP_PIECE]
        out[i : i + _MAP_PIECE] = np.where(part <= top, table[np.minimum(part, top)], part)
    return out


def _map_code_points(text: str, table: np.ndarray) -> str:
    """``text`` through `lookup_code_points` (one code point for one, so pieces of the
    text map alone: their UTF-32 copies stay a piece long too)."""
    return "".join(
        lookup_code_points(
            np.frombuffer(text[i : i + _MAP_PIECE].encode("utf-32-le", "surrogatepass"), dtype="<u4"),
            table,
        )
        .tobytes()
        .decode("utf-32-le", "surrogatepass")
        for i in range(0, len(text), _MAP_PIECE)
    )


def fold_forms_text(text: str, *, loose: bool) -> str:
    """The forms pass of ``_fold_forms`` (NFKC, casefold and ``LOOSE_TABLE`` for ``loose``), text only.

    Only sequences with marks and characters that fold to something else are
    handed to ``unicodedata``: one regex built from the text's distinct
    characters finds them, so a Chinese text pays for its full-width
    punctuation, not for every character.
    """
    if text.isascii():  # NFKC leaves ASCII alone; its case folding is lower()
        return text.lower() if loose else text
    text = _prefold_wide(text)
    if unicodedata.is_normalized("NFKC", text) and (not loose or text == text.casefold()):
        chars = text
    else:
        # ASCII capitals are lowered below in one pass, not one callback each.
        pattern = _changing_pattern(text, loose)
        chars = pattern.sub(lambda m: _fold_one(m.group(), loose), text) if pattern else text
    return _loose_translate(chars) if loose else chars


@cache
def _loose_table() -> np.ndarray:
    """``_LOOSE_ASCII`` as a code point table."""
    table = np.arange(max(_LOOSE_ASCII) + 1, dtype=np.uint32)
    for src, dst in _LOOSE_ASCII.items():
        table[src] = ord(dst) if isinstance(dst, str) else dst
    return table


def _loose_translate(chars: str) -> str:
    """``chars.translate(_LOOSE_ASCII)`` (one code point for one) as a numpy lookup."""
    if chars.isascii():
        return chars.lower()
    return _map_code_points(chars, _loose_table())


def _is_ws(ch: str) -> bool:
    return ch.isspace() or ch in _INVISIBLE_SET


_SKIP_PUNCT = 4


def side_is_cjk(chars: str, k: int, step: int) -> bool:
    """Whether the text on one side of a whitespace run, from index ``k`` on, is CJK.

    Looks past further whitespace and invisible characters, combining marks
    (to their base, leftwards) and up to ``_SKIP_PUNCT`` punctuation or symbol
    characters, so that the space in ``区块 链 + \u201d`` (a segmenter's space
    before a closing quote) counts as next to CJK while ``said - yes`` stays
    Latin.
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


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def _base_is_lower(chars: str, k: int) -> bool:
    """Whether the character ending at index ``k`` (past marks and invisibles) is a lowercase letter."""
    while k >= 0 and (_continues(chars[k]) or chars[k] in _INVISIBLE_SET):
        k -= 1
    return k >= 0 and chars[k].islower()


def _joins(chars: str, h: int, g1: int) -> bool:
    """Whether ``chars[h:g1]`` (a hyphen or soft hyphen and a line break) joins two lowercase letters."""
    return (
        g1 < len(chars)
        and chars[g1].islower()
        and _base_is_lower(chars, h - 1)
        and _HAS_BREAK.search(chars, h, g1) is not None
    )


def _in_emoji(chars: str, r0: int, g1: int) -> bool:
    """Whether an invisible run ``chars[r0:g1]`` with a ZWJ sits between two pictographs."""
    return (
        r0 > 0
        and g1 < len(chars)
        and unicodedata.category(chars[r0 - 1]) in ("So", "Sk")
        and unicodedata.category(chars[g1]) == "So"
    )


class _Stretches:
    """Which non-CJK stretches of a text are Latin islands (see ``LATIN_ISLAND``).

    A stretch is found by two C-speed regex matches (rightwards in the text,
    leftwards in its reverse) and kept while the runs being decided lie in it,
    so a text costs one pass however long its stretches are.
    """

    def __init__(self, chars: str) -> None:
        self.chars = chars
        self.last = (0, 0, False)

    def in_island(self, k: int) -> bool:
        """Whether index ``k`` (not CJK) lies in a Latin island."""
        s0, s1, known = self.last
        if s0 <= k < s1:
            return known
        n = len(self.chars)
        s1 = _NON_CJK_RUN.match(self.chars, k).end()
        s0 = self._start(k)
        bordered = s0 > 0 or s1 < n
        known = bordered and _at_most(_ALNUM, self.chars, s0, s1, LATIN_ISLAND)
        self.last = (s0, s1, known)
        return known

    def _start(self, k: int) -> int:
        """Where the non-CJK stretch holding index ``k`` begins: leftwards, a match
        over a reversed slice that grows until the stretch ends inside it (a reversed
        copy of the whole text was 40 MB for 20 MB of English)."""
        span = _STRETCH_PROBE
        while True:
            lo = max(0, k + 1 - span)
            run = _NON_CJK_RUN.match(self.chars[lo : k + 1][::-1]).end()
            if run < k + 1 - lo or lo == 0:
                return k + 1 - run
            span *= 4


def _at_most(pattern: re.Pattern[str], chars: str, start: int, end: int, limit: int) -> bool:
    """Whether ``pattern`` matches at most ``limit`` times in ``chars[start:end]``.

    Stops at the match past the limit: a stretch of a long English text with
    one CJK character in it is millions of letters, and listing them all
    (``findall``) held a list of that many strings (+270 MB for 20 MB of text).
    """
    matches = pattern.finditer(chars, start, end)
    return next(itertools.islice(matches, limit, None), None) is None


_STRETCH_PROBE = 64  # characters `_Stretches._start` reads back first (then 4x, 16x, ...)


def _run_cause(chars: str, r0: int, r1: int, ctx: _Stretches | None) -> int:
    """Why ``cjk`` drops the whitespace run ``chars[r0:r1]`` inside a text (0: it folds to a space)."""
    if ctx is None:
        return 0
    cause = 0
    if side_is_cjk(chars, r0 - 1, -1):
        cause = _LEFT
    elif _is_punct(chars[r0 - 1]) and ctx.in_island(r0):
        cause = _LEFT_ISLAND
    if side_is_cjk(chars, r1, 1):
        cause |= _RIGHT
    elif _is_punct(chars[r1]) and ctx.in_island(r0):
        cause |= _RIGHT_ISLAND
    if not cause and _digit_break(chars, r0, r1) and ctx.in_island(r0):
        cause = _JOIN
    return cause


def _digit_break(chars: str, r0: int, r1: int) -> bool:
    """Whether the whitespace run ``chars[r0:r1]`` is a line break inside a number (``45\n00``)."""
    return (
        chars[r0 - 1].isdecimal()
        and chars[r1].isdecimal()
        and _LINE_BREAK.search(chars, r0, r1) is not None
    )


def _run_dropped(chars: str, r0: int, r1: int, ctx: _Stretches) -> bool:
    """``bool(_run_cause(chars, r0, r1, ctx))``, stopping at the first cause found."""
    return (
        side_is_cjk(chars, r0 - 1, -1)
        or side_is_cjk(chars, r1, 1)
        or ((_is_punct(chars[r0 - 1]) or _is_punct(chars[r1])) and ctx.in_island(r0))
        or (_digit_break(chars, r0, r1) and ctx.in_island(r0))
    )


def _fold_gaps(
    chars: str,
    starts: list[int],
    ends: list[int],
    *,
    drop_beside_cjk: bool,
    keep_hyphen: bool = False,
) -> tuple[str, list[int], list[int], dict[int, int]]:
    """Fold every gap (whitespace, invisible characters, a hyphen across a line break).

    ``keep_hyphen``: a hyphen before a line break between two letters or
    digits stays and only the break goes (``well-\nknown`` is ``well-known``,
    ``SDN-\nList`` is ``SDN-List``); else the hyphen goes too when the break
    is between two lowercase letters (``infor-\nmation`` is ``information``).
    A soft hyphen always goes with its break.

    Returns the text, its map to the original (through ``starts`` and
    ``ends``, the map of ``chars``) and, for each normalized index ``k``
    before which material was dropped, why (``_LEFT`` ... bits).

    A text whose every gap is a plain whitespace run that folds to one space
    (no CJK beside which runs go, no invisible character, no hyphen and line
    break that join: most English text) is folded in a few array operations
    (``_fold_plain_runs``); a test holds both paths equal.
    """
    if (
        not (drop_beside_cjk and _HAS_CJK.search(chars))
        and "\u200d" not in chars
        and "\u00ad" not in chars
        and not _joins_somewhere(chars, keep_hyphen)
    ):
        return _fold_plain_runs(chars, starts, ends)
    return _fold_gaps_reference(
        chars, starts, ends, drop_beside_cjk=drop_beside_cjk, keep_hyphen=keep_hyphen
    )


def _joins_somewhere(chars: str, keep_hyphen: bool) -> bool:
    """Whether a hyphen and a line break somewhere in ``chars`` join (``well-\nknown``)."""
    for m in _HYPHEN_BREAK.finditer(chars):
        h = m.start()
        gap = _GAP.match(chars, h)
        if gap is not None and (_joins_kept if keep_hyphen else _joins)(chars, h, gap.end()):
            return True
    return False


@cache
def _space_cps() -> np.ndarray:
    """Every code point ``str.isspace`` (and so the regex ``\\s``) takes for whitespace."""
    return np.array([c for c in range(0x3001) if chr(c).isspace()], dtype=np.uint32)


def _fold_plain_runs(
    chars: str, starts: list[int], ends: list[int]
) -> tuple[str, list[int], list[int], dict[int, int]]:
    """``_fold_gaps`` of a text whose gaps hold no hyphen that joins, no soft hyphen, no ZWJ
    and no CJK to drop them beside.

    Each gap (a run of whitespace and invisible characters) inside the text
    with whitespace in it becomes its first code point, read as a space and
    mapped to the whole gap; the rest of it, a gap of invisible characters
    only and a gap at an end are dropped. In array operations over the code
    points: no Python step per gap.
    """
    n = len(chars)
    cps = np.frombuffer(chars.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    ws = np.isin(cps, _space_cps())
    gap = ws | np.isin(cps, _invisible_cps())
    if not gap.any():
        return chars, starts, ends, {}
    before = np.concatenate(([False], gap[:-1]))
    after = np.concatenate((gap[1:], [False]))
    r0 = np.flatnonzero(gap & ~before)  # where each gap starts
    r1 = np.flatnonzero(gap & ~after) + 1  # and ends
    spaced = np.concatenate(([0], np.cumsum(ws)))
    space = (r0 > 0) & (r1 < n) & (spaced[r1] > spaced[r0])
    keep = ~gap
    keep[r0[space]] = True
    o_ends = np.asarray(ends, dtype=np.int64)
    o_ends[r0[space]] = o_ends[r1[space] - 1]
    out = cps.copy()
    out[r0[space]] = 32
    idx = np.flatnonzero(keep)
    text = out[idx].astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")
    return text, np.asarray(starts, dtype=np.int64)[idx].tolist(), o_ends[idx].tolist(), {}


@cache
def _invisible_cps() -> np.ndarray:
    return np.array([c for lo, hi in INVISIBLE_RANGES for c in range(lo, hi + 1)], dtype=np.uint32)


def _fold_gaps_reference(
    chars: str,
    starts: list[int],
    ends: list[int],
    *,
    drop_beside_cjk: bool,
    keep_hyphen: bool = False,
) -> tuple[str, list[int], list[int], dict[int, int]]:
    """``_fold_gaps`` one gap at a time (the reference the plain path is tested against)."""
    out: list[str] = []
    o_starts: list[int] = []
    o_ends: list[int] = []
    gaps: dict[int, int] = {}
    n = len(chars)
    size = 0  # code points in out so far
    ctx = _Stretches(chars) if drop_beside_cjk and _HAS_CJK.search(chars) else None
    pos = 0
    for m in _GAP.finditer(chars):
        g0, g1 = m.span()
        r0 = g0
        joined = False
        if chars[g0] in _HYPHENS:
            joined = _joins_kept(chars, g0, g1) if keep_hyphen else _joins(chars, g0, g1)
            r0 = g0 + 1 if keep_hyphen or not joined else -1
        out.append(chars[pos:r0 if r0 > 0 else g0])
        o_starts.extend(starts[pos:r0 if r0 > 0 else g0])
        o_ends.extend(ends[pos:r0 if r0 > 0 else g0])
        size += (r0 if r0 > 0 else g0) - pos
        pos = g1
        if joined or (chars.find("\u00ad", r0, g1) >= 0 and _joins(chars, r0, g1)):
            gaps[size] = _JOIN
            continue
        if g1 - r0 == 1 and chars[r0] == " ":  # the common case: one space
            pass
        elif _WS_ONLY_RUN.search(chars, r0, g1) is None:  # invisible characters only
            z = chars.find("\u200d", r0, g1)
            if z >= 0 and _in_emoji(chars, r0, g1):
                out.append("\u200d")
                o_starts.append(starts[z])
                o_ends.append(ends[z])
                size += 1
            continue
        if r0 == 0 or g1 == n:
            continue
        cause = _run_cause(chars, r0, g1, ctx)
        if cause:
            gaps[size] = cause
            continue
        out.append(" ")
        size += 1
        o_starts.append(starts[r0])
        o_ends.append(ends[g1 - 1])
    out.append(chars[pos:])
    o_starts.extend(starts[pos:])
    o_ends.extend(ends[pos:])
    return "".join(out), o_starts, o_ends, gaps


def _clean_gaps(chars: str, *, keep_hyphen: bool = False) -> str:
    """``chars`` with hyphenated line breaks joined and invisible characters removed.

    What ``_fold_gaps`` does to them, as two regex substitutions whose
    callbacks run only on the (rare) candidates; the whitespace runs are
    left for ``_fold_runs``.
    """
    if _HYPHEN_BREAK.search(chars):
        candidate = _JOIN_CANDIDATE if "\u00ad" in chars else _HYPHEN_GAP
        chars = candidate.sub(_keep_hyphen if keep_hyphen else _join_or_keep, chars)
    if _INVISIBLE_RUN.search(chars):
        chars = _INVISIBLE_RUN.sub(_drop_invisible, chars)
    return chars


def _join_or_keep(m: re.Match[str]) -> str:
    return "" if _joins(m.string, m.start(), m.end()) else m.group()


def _keep_hyphen(m: re.Match[str]) -> str:
    chars, h, g1 = m.string, m.start(), m.end()
    if chars[h] in _HYPHENS:
        return chars[h] if _joins_kept(chars, h, g1) else m.group()
    return "" if _joins(chars, h, g1) else m.group()  # a soft hyphen goes with its break


def _joins_kept(chars: str, h: int, g1: int) -> bool:
    """Whether ``chars[h:g1]`` (a hyphen and a line break) is a compound or a name broken
    at its hyphen (``well-\nknown``, ``SDN-\nList``): a letter or digit on both sides."""
    return (
        g1 < len(chars)
        and h > 0
        and chars[g1].isalnum()
        and chars[h - 1].isalnum()
        and _HAS_BREAK.search(chars, h, g1) is not None
    )


def _drop_invisible(m: re.Match[str]) -> str:
    chars, r0, r1 = m.string, m.start(), m.end()
    if "\u200d" in m.group() and _in_emoji(chars, r0, r1):
        return "\u200d"
    return ""


def _fold_runs(chars: str, *, drop_beside_cjk: bool, squeeze: bool = False) -> str:
    """The whitespace runs of a cleaned text folded as ``_fold_gaps`` folds them."""
    if squeeze:
        return "".join("".join(piece.split()) for piece in _ws_pieces(chars))
    if not drop_beside_cjk or not _HAS_CJK.search(chars):
        return _spaced(chars)
    if chars.count(" ") + chars.count("\n") < len(chars) // 8:  # few runs: deciding each is cheaper
        return _fold_cjk_runs_slow(chars)
    return _fold_cjk_runs(chars)


def _spaced(chars: str) -> str:
    """Every whitespace run of ``chars`` one space, none at either end."""
    return "".join(_NOT_ONE_SPACE.sub(" ", piece) for piece in _ws_pieces(chars)).strip(" ")


_NOT_ONE_SPACE = re.compile(r" \s+|[^\S ]\s*")
"""A whitespace run that is not already a single space: ``_WS_ONLY_RUN`` less the
runs that fold to themselves, most of a text's (1.8x faster on the corpus)."""


_PIECE_CHARS = 1 << 20
_NOT_WS = re.compile(r"\S")


def _ws_pieces(chars: str) -> Iterator[str]:
    """``chars`` cut in pieces of about ``_PIECE_CHARS``, each ending in a non-whitespace
    character, so no whitespace run spans two pieces.

    Whitespace is folded a piece at a time: ``re.sub`` and ``str.split`` keep
    every piece they cut until they join them, one object per word, and an
    English text of 20 MB is millions of words (hundreds of MB).
    """
    start, n = 0, len(chars)
    while n - start > _PIECE_CHARS:
        m = _NOT_WS.search(chars, start + _PIECE_CHARS - 1)
        if m is None:
            break
        yield chars[start : m.end()]
        start = m.end()
    yield chars[start:] if start else chars


def _fold_cjk_runs_slow(chars: str) -> str:
    """``_fold_cjk_runs`` one run at a time (the reference the fast path is tested against)."""
    ctx = _Stretches(chars)
    out: list[str] = []
    pos = 0
    n = len(chars)
    for m in _WS_ONLY_RUN.finditer(chars):
        r0, r1 = m.span()
        out.append(chars[pos:r0])
        pos = r1
        if r0 == 0 or r1 == n or _run_dropped(chars, r0, r1, ctx):
            continue
        out.append(" ")
    out.append(chars[pos:])
    return "".join(out)


# -- invisible characters ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Invisible:
    """One invisible code point found in a text: how often, and where first.

    ``name`` is the Unicode name (``ZERO WIDTH SPACE``); ``first`` is the
    code point offset of its first occurrence; ``in_emoji`` counts the ZWJs
    that join two pictographs (an emoji sequence), which the lenses keep.
    """

    code_point: int
    name: str
    count: int
    first: int
    in_emoji: int = 0

    @property
    def label(self) -> str:
        """``U+200B ZERO WIDTH SPACE``."""
        return f"U+{self.code_point:04X} {self.name}"


def invisible_characters(text: str) -> tuple[Invisible, ...]:
    """Every invisible code point of ``text`` (see ``INVISIBLE_RANGES``), in order of first offset.

    Empty when there is none. Cost: one regex scan, so it can be asked of any
    text that is shown.
    """
    found: dict[str, list[int]] = {}
    emoji: dict[str, int] = {}
    for m in _INVISIBLE_RUN.finditer(text):
        for k in range(*m.span()):
            ch = text[k]
            entry = found.setdefault(ch, [0, k])
            entry[0] += 1
            if ch == "\u200d" and _in_emoji(text, m.start(), m.end()):
                emoji[ch] = emoji.get(ch, 0) + 1
    rows = [
        Invisible(ord(ch), _invisible_name(ch), count, first, emoji.get(ch, 0))
        for ch, (count, first) in found.items()
    ]
    return tuple(sorted(rows, key=lambda r: r.first))


def _invisible_name(ch: str) -> str:
    cp = ord(ch)
    if 0xFE00 <= cp <= 0xFE0F:
        return f"VARIATION SELECTOR-{cp - 0xFE00 + 1}"
    if 0xE0100 <= cp <= 0xE01EF:
        return f"VARIATION SELECTOR-{cp - 0xE0100 + 17}"
    return unicodedata.name(ch, f"U+{cp:04X}")


# -- the cjk whitespace decision as regex passes ----------------------------------------


@cache
def _is_punct_cached(ch: str) -> bool:
    return _is_punct(ch)


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _ranges_class(cps: list[int]) -> str:
    """A regex character class body (ranges) holding exactly the code points ``cps``."""
    parts: list[str] = []
    k = 0
    while k < len(cps):
        j = k
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        parts.append(f"\\u{cps[k]:04x}" + (f"-\\u{cps[j]:04x}" if j > k else ""))
        k = j + 1
    return "".join(parts)


@cache
def _bmp_classes() -> tuple[str, str]:
    """Class bodies of every BMP combining mark (as ``_continues`` sees one) and punctuation or symbol."""
    bmp = [c for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    marks = _ranges_class([c for c in bmp if _continues(chr(c))])
    punct = _ranges_class([c for c in bmp if _is_punct(chr(c))])
    return marks, punct


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_WS_INVIS = f"\\s{_INVIS_CLASS}"


def _fold_cjk_runs(chars: str) -> str:
    """The whitespace runs of a cleaned text with CJK in it, folded as ``_fold_gaps`` folds them.

    ``side_is_cjk`` is a regular language on each side of a run: past
    skippable characters (whitespace, invisibles, and leftwards marks), at
    most ``_SKIP_PUNCT`` punctuation or symbols, then a CJK character. So the
    runs dropped for a CJK character on the right go in one substitution with
    a lookahead, those dropped for one on the left in one on the reversed
    text, and only runs beside punctuation that may be in a Latin island reach
    Python. Removing a dropped run changes no other run's decision: every
    decision reads the visible characters around the run (which stay), and
    whether a non-CJK stretch is a Latin island (its letters and digits and
    whether CJK borders it, which stay).
    """
    if _ASTRAL.search(chars) is None:
        marks, punct = _bmp_classes()
    else:
        distinct = set(chars)
        marks = "".join(re.escape(c) for c in sorted(distinct) if _is_mark(c))
        punct = "".join(re.escape(c) for c in sorted(distinct) if _is_punct_cached(c))
    ideo = f"[{_CJK_CLASS}]"
    sk_r = f"[{_WS_INVIS}]*"
    sk_l = f"[{_WS_INVIS}{marks}\u1160-\u11ff\ud7b0-\ud7ff]*"

    def beside(sk: str, not_cjk: str) -> re.Pattern[str]:
        # CJK that is skippable (the ideographic space; marks leftwards) is skipped, not CJK;
        # punctuation that is CJK returns at once, so it need not be told apart.
        pu = f"(?:{sk}[{punct}]){{0,{_SKIP_PUNCT}}}" if punct else ""
        return _compiled(f"(?<!\\s)\\s++(?={pu}{sk}(?![{not_cjk}]){ideo})")

    right = beside(sk_r, _WS_INVIS)
    left = beside(sk_l, f"{_WS_INVIS}{marks}\u1160-\u11ff\ud7b0-\ud7ff")
    # Each pass a piece at a time (`_alnum_pieces`): a whole-text re.sub keeps every
    # piece it cuts, and the leftward pass reversed the whole text twice.
    chars = "".join(right.sub("", piece) for _, piece in _alnum_pieces(chars))
    chars = "".join(left.sub("", piece[::-1])[::-1] for _, piece in _alnum_pieces(chars))
    if punct:
        beside_punct = _compiled(f"(?<=[{punct}])\\s+|(?<!\\s)\\s++(?=[{punct}])")
        chars = _sub_in_island(beside_punct, chars, at_ends=True)
    if _DIGIT_BREAK.search(chars):
        chars = _sub_in_island(_DIGIT_BREAK, chars, at_ends=False)
    return _spaced(chars)


def _sub_in_island(pattern: re.Pattern[str], chars: str, *, at_ends: bool) -> str:
    """``chars`` with each match of ``pattern`` that starts in a Latin island removed,
    and with ``at_ends`` every match at either end of the text too, a piece at a time."""
    ctx = _Stretches(chars)
    n = len(chars)
    out = []
    for base, piece in _alnum_pieces(chars):

        def drop(m: re.Match[str], base: int = base) -> str:
            r0, r1 = m.start() + base, m.end() + base
            if at_ends and (r0 == 0 or r1 == n):
                return ""
            return "" if ctx.in_island(r0) else m.group()

        out.append(pattern.sub(drop, piece))
    return "".join(out)


_ALNUM_PAIR = re.compile("[0-9A-Za-z]{2}")


def _alnum_pieces(chars: str) -> Iterator[tuple[int, str]]:
    """``(start, piece)``: ``chars`` cut about every ``_PIECE_CHARS``, only between two
    ASCII letters or digits.

    The CJK whitespace passes match whitespace runs, and what they look at around
    a run (whitespace, invisibles, marks, punctuation, then one CJK character) is
    never an ASCII letter or digit; so no match and no look-around spans such a
    cut, and each piece is decided alone as it would be in the whole text. A text
    with no such pair (most Chinese) is one piece.
    """
    start, n = 0, len(chars)
    while n - start > _PIECE_CHARS:
        m = _ALNUM_PAIR.search(chars, start + _PIECE_CHARS - 1)
        if m is None:
            break
        yield start, chars[start : m.start() + 1]
        start = m.start() + 1
    yield start, chars[start:] if start else chars
