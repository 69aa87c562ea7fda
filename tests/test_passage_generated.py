"""Generated CJK excerpts: the passage is the body and its inside edits are the planted ones.

Built at test time from the law editions of the corpus (not the seeds): a
body of some paragraphs is segmented with jieba (spaces between words) for
the copy; the page gets layout breaks inside sentences and words, a headline,
a lead that repeats a body sentence (the first one in half the cases), and
two articles of other laws around it; 3-7 wording edits are planted in the
copy at random places, one within 5-12 characters of each end. Planted edits
use characters the laws do not contain next to them (甲乙丙丁戊), so each has
one minimal form: the comparison is of (old, new) with spaces removed.

The pieces tests cut the body in two or three: continued on another page
(another law's paragraphs and a jump line between the pieces) or with its
paragraphs reordered on the page. Each piece is a passage, in the order of
the copy, and holds exactly the edits planted in it (5-12 characters from
each of its ends, and at random places).
"""

from __future__ import annotations

import random
import re
from itertools import pairwise

import pytest

from provenance import diff
from provenance.compare import compare, excerpt_passages
from provenance.lenses import normalize

from .conftest import corpus_or_skip

jieba = pytest.importorskip("jieba")
MARKS = "甲乙丙丁戊"
CASES = 200
NEAR = 3  # "within a few characters": how far a passage's end may be from the body's
# Known misses (issue 9), each named with its cause; none may be added silently, and
# one that starts to pass must be taken off (the tests compare the sets exactly).
# (A layout break inside a number, 4\n500 on the page and 4500 in the copy, was one
# until the cjk lens joined line breaks between digits in CJK text.)
UNMET: dict[int, str] = {}
UNMET_PIECES: set[tuple[str, int, int]] = set()
# (Two were fixed in align: a clause repeated word for word in two pieces left the first
# piece unanchored until anchors were sought again, unique between the cores found; and
# in reordered paragraphs a piece ran on over the words both its neighbours begin with
# until that growth was offered back to them, kept where it matches more.)


def _paragraphs():
    corpus = corpus_or_skip() / "lawrefbook-zh-law-editions"
    out = []
    for path in sorted(corpus.glob("*/*.md")):
        paras = [p.strip() for p in path.read_text(encoding="utf-8").splitlines()]
        paras = [p for p in paras if len(p) >= 30 and re.fullmatch(r"[\u4e00-\u9fff，。；：、（）“”0-9]+", p)]
        out.append((path.parent.name, paras))
    return [(law, p) for law, p in out if len(p) >= 12]


@pytest.fixture(scope="module")
def laws():
    jieba.setLogLevel(60)
    return _paragraphs()


def _plant(body: str, rng: random.Random, cuts: list[int] = ()) -> tuple[str, list[tuple[int, str, str]]]:
    """3-7 edits (one 5-12 characters from each end of the body and of each piece
    between ``cuts``), at least 15 apart and never within 4 of a cut."""
    han = [i for i, c in enumerate(body) if "\u4e00" <= c <= "\u9fff"]
    ends = [0, *cuts, len(body)]
    picks: set[int] = set()
    for lo, hi in pairwise(ends):
        for near in ([i for i in han if lo + 5 <= i <= lo + 12], [i for i in han if hi - 13 <= i <= hi - 6]):
            near = [i for i in near if all(abs(i - j) >= 15 for j in picks)]
            if near:
                picks.add(rng.choice(near))
    n = max(len(picks), rng.randint(3, 7))
    while len(picks) < n:
        free = [i for i in han if all(abs(i - j) >= 15 for j in picks) and all(abs(i - c) > 4 for c in ends)]
        if not free:
            break
        picks.add(rng.choice(free))
    out, planted, pos = [], [], 0
    for i in sorted(picks):
        kind = rng.choice(("replace", "insert", "delete"))
        new = "".join(rng.sample(MARKS, rng.randint(1, 2)))
        old = body[i] if kind != "insert" else ""
        if kind == "delete":
            new = ""
        out.append(body[pos:i])
        out.append(new)
        planted.append((i, old, new))
        pos = i + len(old)
    out.append(body[pos:])
    return "".join(out), planted


def _layout(text: str, rng: random.Random) -> str:
    out, pos = [], 0
    while pos < len(text):
        step = rng.randint(15, 40)
        out.append(text[pos : pos + step])
        pos += step
        out.append("\n")
    return "".join(out)


def _segmented(text: str) -> str:
    return "\n".join(" ".join(jieba.cut(p)) for p in text.split("\n"))


def _pick(laws, rng: random.Random, least: int):
    """A body of consecutive paragraphs of one law (``least`` characters or more)
    and two other laws' paragraphs for the page around it."""
    law, paras = rng.choice(laws)
    others = [p for name, p in laws if name != law]
    first, second = rng.sample(others, 2)
    while True:
        start = rng.randrange(len(paras) - 8)
        body = paras[start : start + rng.randint(3, 6)]
        if len("\n".join(body)) >= least:
            return body, first, second


def _case(laws, seed: int):
    rng = random.Random(seed)
    body_paras, first, second = _pick(laws, rng, 0)
    body = "\n".join(body_paras)
    sentences = [s for s in re.findall(r"[^。；]+[。；]", body) if len(s) >= 8]
    lead_sentence = sentences[0] if rng.random() < 0.5 else rng.choice(sentences)
    edited, planted = _plant(body, rng)
    before = "\n".join(first[:3])
    after = "\n".join(second[3:6])
    head = before + "\n\n本报讯标题\n" + "据报道，" + lead_sentence + "\n"
    laid = _layout(body, rng)
    page = head + laid + "\n" + after
    return page, _segmented(edited), len(head), len(head) + len(laid.rstrip("\n")), planted


def _found(result):
    return [("".join(e.old.split()), "".join(e.new.split())) for e in result.edits if e.inside]


def _replays(page: str, copy: str, result) -> bool:
    """Each passage's inside edits turn its side of the page into its side of the copy (under the lens)."""
    for p in result.passages:
        mine = [
            diff.Edit(e.op, e.a_start - p.a_start, e.a_end - p.a_start, e.b_start - p.b_start,
                      e.b_end - p.b_start, e.old, e.new)
            for e in result.edits
            if e.inside and p.a_start <= e.a_start and e.a_end <= p.a_end
            and p.b_start <= e.b_start and e.b_end <= p.b_end
        ]
        if len(mine) != p.edits:
            return False
        replayed = diff.replay(page[p.a_start : p.a_end], mine)
        if normalize(replayed, "cjk").text != normalize(copy[p.b_start : p.b_end], "cjk").text:
            return False
    return True


@pytest.mark.parametrize("chunk", range(4))
def test_the_passage_is_the_body_and_its_edits_are_the_planted_ones(laws, chunk):
    failures = []
    for seed in range(chunk * CASES // 4, (chunk + 1) * CASES // 4):
        page, copy, body_start, body_end, planted = _case(laws, seed)
        result = compare(page, copy, profile="cjk")
        if len(result.passages) != 1:
            failures.append((seed, f"{len(result.passages)} passages"))
            continue
        (p,) = result.passages
        if abs(p.a_start - body_start) > NEAR or abs(p.a_end - body_end) > NEAR:
            failures.append((seed, f"passage A[{p.a_start}:{p.a_end}], body A[{body_start}:{body_end}]"))
        elif normalize(copy[: p.b_start] + copy[p.b_end :], "cjk").text:
            failures.append((seed, f"passage B[{p.b_start}:{p.b_end}] of {len(copy)}"))
        elif _found(result) != [(old, new) for _, old, new in planted]:
            failures.append((seed, f"edits {_found(result)} != planted {planted}"))
        elif not _replays(page, copy, result):
            failures.append((seed, "inside edits do not replay"))
    unexpected = [f for f in failures if f[0] not in UNMET]
    assert not unexpected, unexpected[:5]
    known = {seed for seed in UNMET if chunk * CASES // 4 <= seed < (chunk + 1) * CASES // 4}
    assert {seed for seed, _ in failures} == known, "a known miss now passes: take it off UNMET"


def _pieces_case(laws, seed: int, pieces: int, reordered: bool):
    """A page carrying the body in ``pieces`` pieces, the copy (segmented, edited),
    and for each piece in the copy's order: its span on the page and its edits."""
    rng = random.Random(seed)
    body_paras, first, second = _pick(laws, rng, 90 * pieces)
    body = "\n".join(body_paras)
    while True:
        if reordered:  # pieces of whole paragraphs, placed on the page in another order
            n = len(body_paras)
            bounds = sorted(rng.sample(range(1, n), pieces - 1)) if n > pieces else []
            starts = [0] + [len("\n".join(body_paras[:k])) + 1 for k in bounds]
            cuts = [s - 1 for s in starts[1:]]  # the paragraph break before each piece
        else:  # cut at sentence ends
            ends = [m.end() for m in re.finditer(r"[。；]", body)]
            cuts = sorted(rng.sample(ends, pieces - 1)) if len(ends) >= pieces - 1 else []
            starts = [0, *cuts]
        # pieces of 60 characters or more: a passage must match MIN_MATCH (32) of them
        edges = [0, *cuts, len(body)]
        if len(cuts) == pieces - 1 and all(b - a >= 60 for a, b in pairwise(edges)):
            break
        body_paras, first, second = _pick(laws, rng, 90 * pieces)
        body = "\n".join(body_paras)
    edited, planted = _plant(body, rng, cuts)
    edges = [*starts, len(body) + 1]
    texts = [body[edges[k] : edges[k + 1] - (1 if reordered and k < pieces - 1 else 0)] for k in range(pieces)]
    order = list(range(pieces))
    if reordered:
        while order == sorted(order):
            rng.shuffle(order)
    fillers = [first[k * 2 : k * 2 + 2] for k in range(pieces)]
    page = "\n".join(first[6:8]) + "\n\n本报讯标题\n"
    spans: dict[int, tuple[int, int]] = {}
    for at, k in enumerate(order):
        laid = _layout(texts[k], rng).rstrip("\n")
        spans[k] = (len(page), len(page) + len(laid))
        page += laid + "\n"
        if at < pieces - 1 and not reordered:
            page += "（下转第4版）\n\n" + "\n".join(fillers[at]) + "\n\n（上接第1版）\n"
    page += "\n" + "\n".join(second[:3])
    edits_of = [
        [(old, new) for i, old, new in planted if edges[k] <= i < edges[k + 1]] for k in range(pieces)
    ]
    # Pieces that stay next to each other, in order, on the page are one passage.
    joined_spans, joined_edits = [spans[0]], [edits_of[0]]
    for k in range(1, pieces):
        if reordered and order.index(k) == order.index(k - 1) + 1:
            joined_spans[-1] = (joined_spans[-1][0], spans[k][1])
            joined_edits[-1] = joined_edits[-1] + edits_of[k]
        else:
            joined_spans.append(spans[k])
            joined_edits.append(edits_of[k])
    return page, _segmented(edited), joined_spans, joined_edits


def _check_pieces(laws, seed, pieces, reordered):
    page, copy, spans, edits_of = _pieces_case(laws, seed, pieces, reordered)
    result = compare(page, copy, profile="cjk")
    if len(result.passages) != len(spans):
        return f"{len(result.passages)} passages, {len(spans)} expected"
    if [p.b_start for p in result.passages] != sorted(p.b_start for p in result.passages):
        return "passages not in the copy's order"
    for p, (a0, a1), planted in zip(result.passages, spans, edits_of, strict=True):
        if abs(p.a_start - a0) > NEAR or abs(p.a_end - a1) > NEAR:
            return f"passage A[{p.a_start}:{p.a_end}], piece A[{a0}:{a1}]"
        mine = [
            ("".join(e.old.split()), "".join(e.new.split())) for e in result.edits
            if e.inside and p.a_start <= e.a_start and e.a_end <= p.a_end
        ]
        if mine != planted or p.edits != len(planted):
            return f"edits {mine} != planted {planted}"
    covered = sum(len(normalize(copy[p.b_start : p.b_end], "cjk").text) for p in result.passages)
    if len(normalize(copy, "cjk").text) - covered > NEAR * pieces:
        return "the passages do not cover the copy"
    if not _replays(page, copy, result):
        return "inside edits do not replay"
    # What the archive stores for the link: the same passages, each with its own edits.
    stored = excerpt_passages(page, copy)
    if [x.span for x in stored] != list(result.passages) or [len(x.edits) for x in stored] != [
        p.edits for p in result.passages
    ]:
        return "excerpt_passages differs from compare"
    return None


@pytest.mark.parametrize("pieces", [2, 3])
def test_an_article_continued_on_another_page_is_one_passage_per_piece(laws, pieces):
    failures = [(seed, why) for seed in range(60) if (why := _check_pieces(laws, seed, pieces, False))]
    unexpected = [f for f in failures if ("continued", pieces, f[0]) not in UNMET_PIECES]
    assert not unexpected, unexpected[:5]
    known = {seed for k, n, seed in UNMET_PIECES if (k, n) == ("continued", pieces)}
    assert {seed for seed, _ in failures} == known, "a known miss now passes: take it off"


@pytest.mark.parametrize("pieces", [2, 3])
def test_reordered_paragraphs_are_passages_in_the_order_of_the_copy(laws, pieces):
    failures = [(seed, why) for seed in range(60) if (why := _check_pieces(laws, seed, pieces, True))]
    unexpected = [f for f in failures if ("reordered", pieces, f[0]) not in UNMET_PIECES]
    assert not unexpected, unexpected[:5]
    known = {seed for k, n, seed in UNMET_PIECES if (k, n) == ("reordered", pieces)}
    assert {seed for seed, _ in failures} == known, "a known miss now passes: take it off"
