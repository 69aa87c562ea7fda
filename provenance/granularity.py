"""Diffs at the grain a reader thinks in: characters, words or sentences.

- ``char``: ``provenance.lensdiff.diff_under``.
- ``word``: the texts are cut into tokens (words of space-delimited scripts,
  single CJK characters, whitespace runs, single punctuation marks); every
  distinct token is encoded as one code point (diff-match-patch's
  "lines to chars" trick), the code strings are diffed, and the result is
  decoded back to character offsets. An edit therefore always starts and ends
  on a token boundary: whole words change, never half of one. Chinese and
  Japanese have no spaces to cut at, so their words are single characters.
- ``sentence``: the texts are cut into sentences and aligned as units, in the
  manner of studies of news-article revisions: each sentence of either text is
  unchanged, added, removed, changed (paired with a similar sentence in the
  same place, with its character edits) or moved (the same sentence in
  another place, reported once with both positions rather than as a deletion
  plus an insertion).

All of it runs through a lens (``profile``), and every offset reported is in
the original texts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from provenance.diff import Edit, diff, stats_for
from provenance.errors import InputError
from provenance.lensdiff import LensDiff, diff_under, map_edits, whitespace_share
from provenance.lenses import CJK_RANGES, DEFAULT_PROFILE, check_profile, is_cjk, normalize

GRAINS = ("char", "word", "sentence")

CHANGE_SIMILARITY = 0.5
"""Least similarity (``DiffStats.similarity`` of the two normalized sentences)
for a removed and an added sentence in the same place to count as one changed sentence."""

PAIR_WINDOW = 20
"""How many candidate sentences ahead are compared when pairing changed sentences."""

_CJK_CLASS = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in CJK_RANGES)
_TOKEN = re.compile(
    rf"[^\W_{_CJK_CLASS}]+(?:['\u2019][^\W_{_CJK_CLASS}]+)*"  # a word, with inner apostrophes
    r"|\s+"  # a whitespace run
    r"|."  # one CJK character, punctuation mark or anything else
    ,
    re.DOTALL,
)


def tokenize(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` of each token of ``text`` (see the module docstring)."""
    return [m.span() for m in _TOKEN.finditer(text)]


def _encode(tokens: list[str], table: dict[str, str]) -> str:
    out = []
    for t in tokens:
        c = table.get(t)
        if c is None:
            n = len(table) + 0x100  # skip controls (and the newline the engine's line mode looks at)
            if n >= 0xD800:
                n += 0x800  # no surrogates
            if n > 0x10FFFF:  # pragma: no cover - a million distinct tokens
                raise InputError("too many distinct tokens for a word diff")
            c = table[t] = chr(n)
        out.append(c)
    return "".join(out)


def diff_words(a: str, b: str, profile: str = DEFAULT_PROFILE) -> LensDiff:
    """Edits made of whole tokens (words, CJK characters, punctuation, whitespace)."""
    check_profile(profile)
    la, lb = normalize(a, profile), normalize(b, profile)
    ta, tb = tokenize(la.text), tokenize(lb.text)
    table: dict[str, str] = {}
    ea = _encode([la.text[s:e] for s, e in ta], table)
    eb = _encode([lb.text[s:e] for s, e in tb], table)
    # No semantic cleanup: it works on characters, and here a character is a
    # token, so it would swallow short equal words between edits. Instead,
    # edits separated only by whitespace and punctuation are merged.
    result = diff(ea, eb, semantic=False)
    token_edits = _merge_over_chaff(result.edits, [la.text[s:e] for s, e in ta])

    def at(tokens: list[tuple[int, int]], k: int, total: int) -> int:
        return tokens[k][0] if k < len(tokens) else total

    spans = [
        (at(ta, e.a_start, len(la.text)), at(ta, e.a_end, len(la.text)),
         at(tb, e.b_start, len(lb.text)), at(tb, e.b_end, len(lb.text)))
        for e in token_edits
    ]
    edits = map_edits(la, lb, spans)
    norm_edits = [Edit("replace", *s, "", "") for s in spans]
    return LensDiff(
        profile,
        edits,
        stats_for(len(la.text), len(lb.text), norm_edits),
        whitespace_share(a, b, edits, profile=profile),
        result.complete,
    )


def _merge_over_chaff(edits: tuple[Edit, ...], tokens_a: list[str]) -> list[Edit]:
    """Merge token edits separated only by whitespace and punctuation tokens."""
    out: list[Edit] = []
    for e in edits:
        if out and all(_is_chaff(t) for t in tokens_a[out[-1].a_end : e.a_start]):
            p = out.pop()
            e = Edit("replace", p.a_start, e.a_end, p.b_start, e.b_end, "", "")
        out.append(e)
    return out


def _is_chaff(token: str) -> bool:
    return token.isspace() or (len(token) == 1 and not token.isalnum() and not is_cjk(token))


# -- sentences -------------------------------------------------------------------

_LATIN_END = r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s|$)"
# A period after one of these (or after an initial: "J.", "U.S.") ends no sentence.
_ABBREVIATIONS = frozenset(
    (
        "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "jr", "st", "mt", "ft", "gen", "gov", "sen",
        "rep", "rev", "hon", "lt", "col", "sgt", "capt", "cmdr", "adm", "maj", "pres", "supt",
        "insp", "det", "inc", "co", "corp", "ltd", "bros", "vol", "vols", "fig", "figs", "pp",
        "ed", "eds", "approx", "dept", "est", "vs", "cf", "al", "e.g", "i.e", "jan", "feb", "mar",
        "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    )
)
_WORD_BEFORE_PERIOD = re.compile(r"([A-Za-z]+(?:\.[A-Za-z]+)*)\.$")
_NEXT_WORD = re.compile(r"\s*[\"'\u201c\u2018(\[]*(\S)")
_CJK_END = r"[\u3002\uff01\uff1f\uff1b\uff0e\uff61]+[\"'\u201d\u2019\u300d\u300f\uff09)\]]*"
_SENTENCE_END = re.compile(f"{_LATIN_END}|{_CJK_END}")
_SENTENCE_END_OR_LINE = re.compile(f"{_LATIN_END}|{_CJK_END}|\\n")


@dataclass(frozen=True, slots=True)
class Sentence:
    """``text == original[start:end]``, without surrounding whitespace."""

    index: int
    start: int
    end: int
    text: str


def _abbreviated(text: str, end: re.Match[str]) -> bool:
    """Whether the Latin period ``end`` is inside a sentence rather than ending it: the
    next word starts in lower case or with a digit ("e.g. the", "approx. 30"), or the
    period closes a known abbreviation ("Mr.", "Inc.") or initials ("J.", "U.S.")."""
    if end.group() != ".":
        return False
    following = _NEXT_WORD.match(text, end.end())
    if following is None:
        return False  # the end of the text
    if following.group(1).islower() or following.group(1).isdigit():
        return True  # "e.g. the", "approx. 30": a sentence goes on in lower case
    word = _WORD_BEFORE_PERIOD.search(text, max(0, end.start() - 40), end.end())
    if word is None:
        return False
    token = word.group(1)
    if token.lower() in _ABBREVIATIONS:
        return True
    return all(len(part) == 1 and part.isupper() for part in token.split("."))


def split_sentences(text: str, *, lines: bool = True) -> tuple[Sentence, ...]:
    """Sentences of ``text``: ending at ``. ! ?`` (followed by whitespace or
    the end), at the ideographic full stop, and full-width exclamation and
    question marks and semicolon (and their half-width forms), and, when
    ``lines``, at every line break. Closing quotes and brackets stay with
    their sentence. A period ends no sentence after a common abbreviation
    ("Mr.", "Dr.", "Inc.") or initials ("J.", "U.S."), or when the next word
    starts in lower case or with a digit ("at 3 p.m. on Friday"). So a
    sentence that really ends in a capital initial ("They chose Plan B.
    Nobody knew.") stays joined to the next.
    """
    pattern = _SENTENCE_END_OR_LINE if lines else _SENTENCE_END
    out: list[Sentence] = []
    pos = 0
    bounds = [m.end() for m in pattern.finditer(text) if not _abbreviated(text, m)]
    if not bounds or bounds[-1] != len(text):
        bounds.append(len(text))
    for end in bounds:
        piece = text[pos:end]
        stripped = piece.strip()
        if stripped:
            s = pos + (len(piece) - len(piece.lstrip()))
            out.append(Sentence(len(out), s, s + len(stripped), stripped))
        pos = end
    return tuple(out)


Kind = Literal["added", "removed", "changed", "moved"]


@dataclass(frozen=True, slots=True)
class SentenceChange:
    """One sentence-level change; a side a sentence is missing from has ``None``s.

    ``edits`` are the character edits of a changed (or moved and touched)
    sentence, at offsets into the original texts.
    """

    kind: Kind
    a_index: int | None
    b_index: int | None
    a_start: int | None
    a_end: int | None
    b_start: int | None
    b_end: int | None
    old: str
    new: str
    edits: tuple[Edit, ...] = ()

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "a_index": self.a_index,
            "b_index": self.b_index,
            "a_start": self.a_start,
            "a_end": self.a_end,
            "b_start": self.b_start,
            "b_end": self.b_end,
            "old": self.old,
            "new": self.new,
            "edits": [e.to_json() for e in self.edits],
        }


@dataclass(frozen=True, slots=True)
class SentenceDiff:
    """Sentences of both texts and what happened to them, in the order of ``b``."""

    profile: str
    a_sentences: tuple[Sentence, ...]
    b_sentences: tuple[Sentence, ...]
    changes: tuple[SentenceChange, ...]
    unchanged: int

    def of_kind(self, kind: Kind) -> tuple[SentenceChange, ...]:
        return tuple(c for c in self.changes if c.kind == kind)

    def to_json(self) -> dict:
        return {
            "profile": self.profile,
            "sentences": [len(self.a_sentences), len(self.b_sentences)],
            "unchanged": self.unchanged,
            "changes": [c.to_json() for c in self.changes],
        }


def _similarity(x: str, y: str) -> float:
    if not x and not y:
        return 1.0
    return diff(x, y).stats.similarity


def diff_sentences(
    a: str, b: str, profile: str = DEFAULT_PROFILE, *, lines: bool | None = None
) -> SentenceDiff:
    """Sentence-level alignment of ``a`` and ``b`` under ``profile``.

    ``lines`` (whether a line break ends a sentence) defaults to True for
    ``exact`` and False for the other profiles, which treat line breaks as
    layout (a printed page breaks lines inside sentences).
    """
    check_profile(profile)
    if lines is None:
        lines = profile == "exact"
    sa, sb = split_sentences(a, lines=lines), split_sentences(b, lines=lines)
    ka = [normalize(s.text, profile).text for s in sa]
    kb = [normalize(s.text, profile).text for s in sb]
    table: dict[str, str] = {}
    result = diff(_encode(ka, table), _encode(kb, table), semantic=False)
    unchanged = len(sa) - sum(e.a_end - e.a_start for e in result.edits)

    # gaps: runs of unmatched sentences, each with its position in b
    gaps = [(list(range(e.a_start, e.a_end)), list(range(e.b_start, e.b_end))) for e in result.edits]
    # moves: the same sentence (under the lens) removed in one place and added in another
    free_b: dict[str, list[int]] = {}
    for _, bs in gaps:
        for j in bs:
            free_b.setdefault(kb[j], []).append(j)
    moved: dict[int, int] = {}
    for as_, _ in gaps:
        for i in as_:
            if free_b.get(ka[i]):
                moved[i] = free_b[ka[i]].pop(0)
    moved_b = set(moved.values())

    changes: list[tuple[float, SentenceChange]] = []
    for (as_, bs), e in zip(gaps, result.edits, strict=True):
        rest_a = [i for i in as_ if i not in moved]
        rest_b = [j for j in bs if j not in moved_b]
        pairs = _pair_changed(rest_a, rest_b, ka, kb)
        paired_b = {j for _, j in pairs}
        for i, j in pairs:
            edits = _sentence_edits(sa[i], sb[j], profile, a, b)
            changes.append((j, _change("changed", sa[i], sb[j], edits)))
        for i in rest_a:
            if i not in dict(pairs):
                changes.append((e.b_start - 0.5, _change("removed", sa[i], None)))
        for j in rest_b:
            if j not in paired_b:
                changes.append((j, _change("added", None, sb[j])))
    for i, j in moved.items():
        edits = _sentence_edits(sa[i], sb[j], profile, a, b)
        changes.append((j, _change("moved", sa[i], sb[j], edits)))
    changes.sort(key=lambda pc: (pc[0], pc[1].a_index if pc[1].a_index is not None else -1))
    return SentenceDiff(profile, sa, sb, tuple(c for _, c in changes), unchanged)


def _pair_changed(
    rest_a: list[int], rest_b: list[int], ka: list[str], kb: list[str]
) -> list[tuple[int, int]]:
    """Pair removed and added sentences of one place, in order, by similarity."""
    pairs: list[tuple[int, int]] = []
    lo = 0
    for i in rest_a:
        best, best_k = CHANGE_SIMILARITY, -1
        for k in range(lo, min(len(rest_b), lo + PAIR_WINDOW)):
            sim = _similarity(ka[i], kb[rest_b[k]])
            if sim >= best:
                best, best_k = sim, k
        if best_k >= 0:
            pairs.append((i, rest_b[best_k]))
            lo = best_k + 1
    return pairs


def _sentence_edits(x: Sentence, y: Sentence, profile: str, a: str, b: str) -> tuple[Edit, ...]:
    out = []
    # One changed sentence: its reworded phrases read whole (unbounded cleanup).
    for e in diff_under(x.text, y.text, profile, budget=math.inf).edits:
        a0, a1, b0, b1 = e.a_start + x.start, e.a_end + x.start, e.b_start + y.start, e.b_end + y.start
        out.append(Edit(e.op, a0, a1, b0, b1, a[a0:a1], b[b0:b1]))
    return tuple(out)


def _change(
    kind: Kind, x: Sentence | None, y: Sentence | None, edits: tuple[Edit, ...] = ()
) -> SentenceChange:
    return SentenceChange(
        kind,
        None if x is None else x.index,
        None if y is None else y.index,
        None if x is None else x.start,
        None if x is None else x.end,
        None if y is None else y.start,
        None if y is None else y.end,
        "" if x is None else x.text,
        "" if y is None else y.text,
        edits,
    )


def diff_by(a: str, b: str, by: str = "char", profile: str = DEFAULT_PROFILE) -> LensDiff | SentenceDiff:
    """``--by char|word|sentence``: one entry point for the CLI."""
    if by == "char":
        return diff_under(a, b, profile)
    if by == "word":
        return diff_words(a, b, profile)
    if by == "sentence":
        return diff_sentences(a, b, profile)
    raise InputError(f"unknown granularity {by!r}; choose one of: {', '.join(GRAINS)}")
