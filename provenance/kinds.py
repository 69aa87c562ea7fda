"""Edit kinds: what an edit changed, as a reader would name it.

Each edit (``provenance.diff.Edit``, at offsets of the original texts ``a`` and
``b``) gets exactly one kind from ``KINDS``. A kind is decided on the edit's
*region*: the edit widened to the whole words, numbers and Chinese numerals it
touches, in ``a`` for the old side and in ``b`` for the new side, so ``3`` → ``4``
inside ``2023`` compares ``2023`` with ``2024`` (a number) and ``resum|e`` →
``collaps|e`` compares ``resume`` with ``collapse`` (wording). Only a bounded
neighbourhood of the edit is read (``REACH`` characters each side), so
``classify`` costs O(edit + REACH).

How one kind is chosen (the precedence), and why:

1. ``layout`` when nothing a reader reads changed: the old and new text are
   equal once whitespace, line breaks and invisible characters
   (``provenance.lenses.is_invisible``) are left out and a word hyphenated
   across a line break is joined. This is decided first because such an edit
   has no content to be anything else (``1 000`` → ``1000`` is not a changed
   number).
2. ``negation`` when the number of negations in the region differs (``not``,
   ``no``, ``never``, ``n't``, ``without``…; ``不 没 无 非 未 别 勿 否`` outside
   compounds that do not negate, such as 非常, 未来, 特别, 是否). It outranks
   the rest because a negation is the smallest edit that reverses a
   statement, and the easiest to overlook. Only in a short edit (at most
   ``NEGATION_PHRASE`` words): a reworded clause that happens to hold a 不
   or a ``not`` is judged by the rules below.
3. ``number`` when the numbers of the region differ: digits (any script, with
   their separators, ``%``, a currency sign), Chinese numerals (一二三…万亿, 〇,
   两, the financial forms) when they count something (after 第, before a
   measure word such as 条, 年, 元, or two or more numerals), English number
   words, month and weekday names (dates). Journalists look for changed
   numbers first.
4. ``name`` when the names of the region differ: in Latin text a capitalised
   word not at a sentence start, a word with an inner capital (GitHub) or an
   acronym (EU, GDPR) that is not part of an all-capitals run. Chinese names
   are not detected: without a segmenter's name tags a Han name cannot be told
   from a word, so a changed Chinese name is ``wording``. A plain word that
   only gains or loses its capital (``users`` → ``Users``, a defined term) is
   not a changed name.
5. ``quotation`` when the edit lies inside quotation marks (in ``a`` or in
   ``b``, looking no further than the paragraph and ``REACH``) or changes the
   quotation marks themselves; 《》 are title marks, not quotes, and an
   apostrophe between letters is not a quote. Exchanging one style of
   quotation mark for another (``"`` → ``“``) is punctuation.
6. ``punctuation`` when what changed is punctuation and symbols only.
7. ``wording`` for everything else.

An edit that replaces more than a phrase (over ``PHRASE`` words, a Han
character counting half a word, on the larger side) is a rewrite: it is
``layout`` or ``wording``, or ``quotation`` when it lies inside quotation marks
on both sides. A rewritten paragraph that happens to hold a number or a ``not``
did not "change a number"; the kinds name what changed inside text that stayed.

``KINDS`` lists the kinds in the order a summary shows them: the edits that
change what a text says first, noise last.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from provenance.diff import Edit
from provenance.errors import InputError
from provenance.lenses import CJK_RANGES, INVISIBLE_RANGES, is_cjk, is_invisible

KINDS: Mapping[str, str] = MappingProxyType(
    {
        "negation": "a negation added or removed (not, no, never, n't, without; 不 没 无 非 未 别 勿 否)",
        "number": "a number, date, percentage or amount changed (digits, Chinese numerals, month names)",
        "name": "a name changed: a capitalised word not at a sentence start, or an acronym (not for CJK)",
        "quotation": "text inside quotation marks changed, or the quotation marks themselves",
        "wording": "any other change of words",
        "punctuation": "only punctuation or symbols changed",
        "layout": "only whitespace, line breaks or invisible characters changed",
    }
)
"""Every edit kind with a one-line description, in the order summaries show them."""

PRECEDENCE: tuple[str, ...] = (
    "layout",
    "negation",
    "number",
    "name",
    "quotation",
    "punctuation",
    "wording",
)
"""The order in which kinds are tried; the first that applies is the edit's kind."""

REACH = 300
"""How far (characters) beyond an edit its word, sentence start and quotation marks are looked for."""

PHRASE = 12
"""Words (a Han character counts half) above which a replaced span is a rewrite, not a phrase edit."""

_INVISIBLE_CLASS = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in INVISIBLE_RANGES)
_UNSEEN = re.compile(f"[\\s{_INVISIBLE_CLASS}]+")
_QUOTE_STYLE = re.compile("[\"“”„‟«»「」『』〝〞〟＂]+|['‘’‚‛‹›＇]+")
_CJK_CLASS = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in CJK_RANGES)
NEGATION_PHRASE = 5
"""Words (a Han character counts half) above which a changed negation is part of a rewrite, not the point."""

_CURRENCY = "$¢£¤¥\u058f\u060b\u09f2\u09f3\u0af1\u0bf9\u0e3f\u17db\u20a0-\u20c0\ufdfc\ufe69\uff04\uffe0\uffe1\uffe5\uffe6"
_CJK_NUMERALS = "〇零一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟廿卅萬億兩"
_TOKEN = re.compile(
    "|".join(
        (
            rf"(?P<number>[{_CURRENCY}]?\d+(?:[.,:/\-]\d+)*[%‰％]?)",
            rf"(?P<numeral>[{_CJK_NUMERALS}]+)",
            rf"(?P<word>[^\W\d_{_CJK_CLASS}]+(?:['’][^\W\d_{_CJK_CLASS}]+)*)",
            r"(?P<other>\S)",
        )
    )
)
_INNER = frozenset("%‰％.,:/-'’")  # characters inside a number or a word (1,000; don't)
_WORDLIKE = frozenset({"number", "numeral", "word"})

_NUMBER_WORDS = frozenset(
    (
        "zero",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
        "hundred",
        "thousand",
        "million",
        "billion",
        "trillion",
        "dozen",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "percent",
    )
)
_DATE_WORDS = frozenset(
    (
        "January",
        "February",
        "March",
        "April",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Sept",
        "Oct",
        "Nov",
        "Dec",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    )
)
# Characters after a Chinese numeral that make it a count: measure words and units.
_MEASURES = frozenset("条款项章节编目年月日号时分秒元角个次倍人名岁周天届期版万亿%‰％")
_NOT_NUMERIC = frozenset({"十分", "万一", "一一", "千万"})

_NEGATION_WORDS = frozenset(
    (
        "not",
        "no",
        "never",
        "none",
        "nor",
        "neither",
        "nobody",
        "nothing",
        "nowhere",
        "cannot",
        "without",
    )
)
_CJK_NEGATIONS = frozenset("不没沒无無非未别別勿否")
# Compounds in which a negation character does not negate (character, then the one after or before).
_NEGATION_AFTER = {
    "不": frozenset("仅但论管过久断"),
    "没": frozenset("收"),
    "沒": frozenset("收"),
    "无": frozenset("论"),
    "無": frozenset("論论"),
    "非": frozenset("常"),
    "未": frozenset("来來"),
    "别": frozenset("人的处墅名称"),
    "別": frozenset("人的處墅名稱"),
    "否": frozenset("则則"),
}
_NEGATION_BEFORE = {
    "非": frozenset("除"),
    "别": frozenset("特区分个级类识告差性鉴辨派判组国离"),
    "別": frozenset("特區分個級類識告差性鑑辨派判組國離"),
    "否": frozenset("是能与與可"),
}

_OPENING_QUOTES = frozenset("“‘„‚«‹「『〝")
_CLOSING_QUOTES = frozenset("”’»›」』〞〟")
_PLAIN_QUOTES = frozenset("\"'＂＇")
_QUOTES = _OPENING_QUOTES | _CLOSING_QUOTES | _PLAIN_QUOTES
_OPENERS_BEFORE = frozenset("([{<—–-/:：，,（【「『“‘")

_SENTENCE_ENDS = frozenset(".!?:;。！？：；\n")
_MARKUP = frozenset("#*_>-+|([{\"'“‘「『`~•")

_HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_])[-\u2010][ \t]*\r?\n\s*(?=[^\W\d_])")


def classify(edit: Edit, a: str, b: str) -> str:
    """The kind (a key of ``KINDS``) of ``edit`` between ``a`` and ``b``."""
    old, new = _visible(edit.old), _visible(edit.new)
    if old == new:
        return "layout"
    ra = _region(a, edit.a_start, edit.a_end)
    rb = _region(b, edit.b_start, edit.b_end)
    hyphens_only = not (old + new).strip("-\u2010")
    if hyphens_only and _joined(a[ra[0] : ra[1]]) == _joined(b[rb[0] : rb[1]]):
        return "layout"
    if max(_words(edit.old), _words(edit.new)) > PHRASE:
        inside = _inside_quotes(a, edit.a_start, edit.a_end) and _inside_quotes(
            b, edit.b_start, edit.b_end
        )
        return "quotation" if inside else "wording"
    ta, tb = _tokens(a, ra), _tokens(b, rb)
    size = max(_words(edit.old), _words(edit.new))
    if size <= NEGATION_PHRASE and _negations(a, ta) != _negations(b, tb):
        return "negation"
    if _numbers(a, ta) != _numbers(b, tb):
        return "number"
    na, nb = _names(a, ta), _names(b, tb)
    if na != nb and not _recapitalised(a[ra[0] : ra[1]], b[rb[0] : rb[1]], na + nb):
        return "name"
    old_marks, new_marks = _quote_marks(a, *ra), _quote_marks(b, *rb)
    restyled = len(old_marks) == len(new_marks) and _QUOTE_STYLE.fullmatch(old + new)
    if not restyled and (
        old_marks != new_marks
        or _inside_quotes(a, edit.a_start, edit.a_end)
        or _inside_quotes(b, edit.b_start, edit.b_end)
    ):
        return "quotation"
    if all(unicodedata.category(ch)[0] in "PS" for ch in old + new):
        return "punctuation"
    return "wording"


def check_kind(name: str) -> str:
    """``name`` if it is a kind, else an ``InputError`` listing the kinds (for ``--only KIND``)."""
    if name not in KINDS:
        raise InputError(f"unknown edit kind {name!r}; the kinds are {', '.join(KINDS)}")
    return name


def summarize(kinds: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """How many edits of each kind, in ``KINDS`` order, kinds with no edit left out."""
    counts = Counter(check_kind(k) for k in kinds)
    return tuple((k, counts[k]) for k in KINDS if counts[k])


_PHRASES = {
    "negation": ("negation", "negations"),
    "number": ("number changed", "numbers changed"),
    "name": ("name changed", "names changed"),
    "quotation": ("quote", "quotes"),
    "wording": ("wording", "wording"),
    "punctuation": ("punctuation", "punctuation"),
    "layout": ("layout", "layout"),
}


def summary_text(counts: Sequence[tuple[str, int]]) -> str:
    """``summarize``'s counts as a phrase: ``"2 numbers changed, 1 quote, 5 wording"``."""
    parts = [f"{n} {_PHRASES[check_kind(k)][n != 1]}" for k, n in counts if n]
    return ", ".join(parts) if parts else "no edits"


# -- the region of an edit ----------------------------------------------------


def _region(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` widened to the words, numbers and numerals it overlaps or touches.

    Only the tokens across its two ends are read, so a long edit costs no more than a short one.
    """
    s, e = start, end
    left = _boundary_before(text, start)
    right = max(left, _boundary_before(text, end))
    scans = ((left, start), (right, end)) if right > start else ((left, end),)
    for w0, last in scans:
        for m in _TOKEN.finditer(text, w0, min(len(text), end + REACH)):
            t0, t1 = m.span()
            if t0 > last:
                break
            wordlike = m.lastgroup in _WORDLIKE or (
                m.lastgroup == "other" and text[t0] in _CJK_NEGATIONS
            )
            if (t0 < end and t1 > start) or (wordlike and (t1 == start or t0 == end)):
                s, e = min(s, t0), max(e, t1)
    return s, e


def _boundary_before(text: str, i: int) -> int:
    """The start of the run of word characters that ends at ``i`` (at most ``REACH`` back)."""
    stop = max(0, i - REACH)
    while i > stop and (text[i - 1].isalnum() or text[i - 1] in _INNER):
        i -= 1
    return i


def _tokens(text: str, span: tuple[int, int]) -> list[re.Match]:
    return list(_TOKEN.finditer(text, *span))


def _visible(s: str) -> str:
    return _UNSEEN.sub("", s)


def _joined(s: str) -> str:
    return _visible(_HYPHEN_BREAK.sub("", s))


def _words(s: str) -> float:
    n = 0.0
    for m in _TOKEN.finditer(s):
        if m.lastgroup == "other":
            n += 0.5 if is_cjk(m.group()) else 0.0
        elif m.lastgroup == "numeral":
            n += 0.5 * len(m.group())
        else:
            n += 1
        if n > PHRASE:
            break
    return n


# -- the features compared ----------------------------------------------------


def _negations(text: str, tokens: list[re.Match]) -> int:
    n = 0
    for m in tokens:
        tok = m.group()
        if m.lastgroup == "word":
            low = tok.lower()
            negates = low in _NEGATION_WORDS or low.endswith(("n't", "n’t"))
            if negates and not (low == "no" and text[m.end() : m.end() + 1] == "."):
                n += 1
        elif m.lastgroup == "other" and tok in _CJK_NEGATIONS:
            i = m.start()
            after = text[i + 1 : i + 2]
            before = text[i - 1 : i] if i else ""
            if after in _NEGATION_AFTER.get(tok, ()) or before in _NEGATION_BEFORE.get(tok, ()):
                continue
            n += 1
    return n


def _numbers(text: str, tokens: list[re.Match]) -> list[str]:
    out = []
    for m in tokens:
        tok, kind = m.group(), m.lastgroup
        if kind == "number" or (kind == "numeral" and _counts(text, m)):
            out.append(tok)
        elif kind == "word":
            if tok.lower() in _NUMBER_WORDS or tok in _DATE_WORDS:
                out.append(tok.lower())
            elif tok == "May" and _digit_near(text, m.start(), m.end()):
                out.append("may")
            elif _is_label(text, m):
                out.append(tok)
    return out


def _counts(text: str, m: re.Match) -> bool:
    """Whether the Chinese numeral ``m`` counts something (rather than being part of a word)."""
    tok = m.group()
    after = text[m.end() : m.end() + 1]
    if tok + after in _NOT_NUMERIC or tok in _NOT_NUMERIC:
        return text[m.end() : m.end() + 2] == "分之"
    before = text[m.start() - 1 : m.start()] if m.start() else ""
    return before in ("第", "之") or after in _MEASURES or len(tok) >= 2


_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_LABEL_WORDS = re.compile(r"(?:Section|Article|Part|Chapter|Appendix|Exhibit|Schedule|Clause)\s$")


def _is_label(text: str, m: re.Match) -> bool:
    """Whether the word ``m`` numbers a section or list item (``[K. Payment]``, ``(b)``, ``II.``)."""
    tok = m.group()
    if len(tok) > 1 and not (tok.isupper() and _ROMAN.fullmatch(tok)):
        return False
    after = text[m.end() : m.end() + 1]
    before = text[m.start() - 1 : m.start()] if m.start() else ""
    if _LABEL_WORDS.search(text, max(0, m.start() - 12), m.start()):
        return True
    if before == "#" and after == "-":  # a Markdown anchor: #k-payment
        return True
    return after in (".", ")") and not before.isalnum() and before != "."


def _digit_near(text: str, start: int, end: int) -> bool:
    return bool(re.search(r"\d", text[max(0, start - 4) : start])) or bool(
        re.search(r"\d", text[end : end + 4])
    )


def _names(text: str, tokens: list[re.Match]) -> list[str]:
    out = []
    for m in tokens:
        if m.lastgroup != "word":
            continue
        tok = m.group()
        bare = re.sub(r"['’]s$", "", tok)
        if len(bare) < 2 or not bare[0].isupper():
            continue
        if bare.isupper():
            if not _in_capitals_run(text, m.start(), m.end()):
                out.append(bare)
        elif any(c.isupper() for c in bare[1:]) or not _sentence_start(text, m.start()):
            out.append(bare)
    return out


def _recapitalised(old: str, new: str, names: list[str]) -> bool:
    """Whether the names differ only because a plain word gained or lost its capital (user → User)."""
    return old.lower() == new.lower() and all(n[1:].islower() for n in names)


def _sentence_start(text: str, i: int) -> bool:
    j = i - 1
    stop = max(-1, i - 20)
    while j > stop:
        ch = text[j]
        if ch in _SENTENCE_ENDS:
            return not (ch == "." and _ABBREVIATION.search(text, max(0, j - 6), j))
        if not (ch.isspace() or ch in _MARKUP or is_invisible(ch) or ch.isdigit()):
            return False
        j -= 1
    return j < 0


_ABBREVIATION = re.compile(
    r"(?<![^\W\d_])(?:Mr|Mrs|Ms|Dr|Prof|St|Sen|Rep|Gov|Gen|Sr|Jr|vs|e\.g|i\.e)$"
)
_CAPS_WORD = re.compile(r"[A-Z]{2,}")


def _in_capitals_run(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 16) : start].split()
    after = text[end : end + 16].split()
    return bool(
        (before and _CAPS_WORD.fullmatch(before[-1].strip(",.;:()\"'")))
        or (after and _CAPS_WORD.fullmatch(after[0].strip(",.;:()\"'")))
    )


# -- quotation ------------------------------------------------------------------


def _is_quote(text: str, i: int) -> bool:
    ch = text[i]
    if ch not in _QUOTES:
        return False
    if ch in "'’＇":  # an apostrophe between letters (don't, Xinhua's) is no quotation mark
        prev = text[i - 1] if i else ""
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if prev.isalnum() and nxt.isalnum():
            return False
    return True


def _opens(text: str, i: int) -> bool:
    ch = text[i]
    if ch in _OPENING_QUOTES:
        return True
    if ch in _CLOSING_QUOTES:
        return False
    prev = text[i - 1] if i else ""
    return not prev or prev.isspace() or prev in _OPENERS_BEFORE or is_cjk(prev)


def _quote_marks(text: str, start: int, end: int) -> list[str]:
    return [text[i] for i in range(start, end) if _is_quote(text, i)]


def _inside_quotes(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` sits between an opening and a closing quotation mark."""
    j = start - 1
    stop = max(-1, start - REACH)
    while j > stop:
        if text[j] == "\n" and j > 0 and text[j - 1] == "\n":
            return False
        if _is_quote(text, j):
            if not _opens(text, j):
                return False
            break
        j -= 1
    else:
        return False
    k = end
    stop = min(len(text), end + REACH)
    while k < stop:
        if text[k] == "\n" and k + 1 < len(text) and text[k + 1] == "\n":
            return False
        if _is_quote(text, k):
            return not _opens(text, k)
        k += 1
    return False
