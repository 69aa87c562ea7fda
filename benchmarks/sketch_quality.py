"""How well do similarity sketches find the version a journalist's text came from?

Loads every version of the real revision histories in ../shared/corpus, sketches
them, builds in memory the (band, key) -> versions index a database would hold,
then asks four kinds of queries derived from random versions:

  exact      the version's text unchanged
  layout     English reflowed (random line breaks / spaces) with some punctuation
             made full-width; Chinese with spaces between words and full-width
             <-> half-width punctuation swapped
  edited     1-5 real word edits (replace / delete / insert / swap words taken
             from the same text; for Chinese, characters)
  paragraph  one paragraph (>= MIN_PARAGRAPH characters of comparison form) cut
             out of the version

Candidates are the union of (1) versions sharing any LSH band key with the query
and (2) versions holding at least half of the query's anchors (band -1), which is
what `GROUP BY version_id HAVING count(*) >= ...` would return. Candidates are
then ranked exactly on shingle sets, by containment of the query in the version,
then Jaccard (one rule for every kind, since a real query does not say what it is).

A hit is a top match whose text equals the source version's text; hits on
another version with byte-identical text are counted separately. For paragraphs,
where many versions hold the same paragraph, the table also reports whether the
top match contains the paragraph at all.

Run: PYTHONPATH=. .venv/bin/python benchmarks/sketch_quality.py [--queries 500]
"""

from __future__ import annotations

import argparse
import math
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import blake3
import numpy as np
from variants import edit_words  # benchmarks/variants.py

from provenance import sketch as sk

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
KINDS = ("exact", "layout", "edited", "paragraph")
MIN_PARAGRAPH = 100
ANCHOR_SHARE = 0.5


@dataclass(frozen=True)
class Version:
    vid: int
    source: str
    doc: str
    text: str
    text_id: int  # versions with byte-identical text share a text_id


def load_corpus() -> list[Version]:
    versions: list[Version] = []
    text_ids: dict[str, int] = {}
    for path in sorted(CORPUS.glob("*/*/*.md")):
        text = path.read_text(encoding="utf-8")
        tid = text_ids.setdefault(text, len(text_ids))
        versions.append(
            Version(len(versions), path.parent.parent.name, path.parent.name, text, tid)
        )
    return versions


def is_chinese(v: Version) -> bool:
    return v.source.startswith("lawrefbook")


# -- query generators ----------------------------------------------------------

# ASCII punctuation <-> its full-width form (U+FF01-FF5E) or the ideographic full stop.
_HALF_TO_FULL = {c: chr(ord(c) + 0xFEE0) for c in ",;:()!?"} | {".": "\u3002"}
_FULL_TO_HALF = {full: half for half, full in _HALF_TO_FULL.items()} | {"\u3001": ","}


def layout_copy(v: Version, rng: random.Random) -> str:
    if is_chinese(v):
        out = []
        for ch in v.text:
            if ch in _FULL_TO_HALF and rng.random() < 0.7:
                ch = _FULL_TO_HALF[ch]
            elif ch in _HALF_TO_FULL and rng.random() < 0.7:
                ch = _HALF_TO_FULL[ch]
            out.append(ch)
            if "\u4e00" <= ch <= "\u9fff" and rng.random() < 0.4:
                out.append(" ")  # "word" segmentation with spaces
        return "".join(out)
    words = []
    for word in v.text.split():
        if rng.random() < 0.1:
            word = "".join(_HALF_TO_FULL.get(c, c) for c in word)
        words.append(word)
        words.append(rng.choice([" ", " ", " ", "\n", "  ", "\n\n", "\t"]))
    return "".join(words)


def edited_copy(v: Version, rng: random.Random) -> str:
    return edit_words(v.text, rng, rng.randint(1, 5))


def paragraph_of(v: Version, rng: random.Random) -> str | None:
    paragraphs = [
        p for p in re.split(r"\n\s*\n", v.text) if len(sk.comparison_form(p)) >= MIN_PARAGRAPH
    ]
    return rng.choice(paragraphs) if paragraphs else None


# -- the in-memory index -------------------------------------------------------


class Index:
    """What the (version_id, band, key) table and its (band, key) index answer."""

    def __init__(self) -> None:
        self.rows: dict[tuple[int, int], list[int]] = defaultdict(list)

    def add(self, vid: int, s: sk.Sketch) -> None:
        for row in s.index_rows():
            self.rows[row].append(vid)

    def candidates(self, s: sk.Sketch) -> tuple[set[int], set[int]]:
        by_band = {vid for row in s.bands for vid in self.rows.get(row, ())}
        counts: dict[int, int] = defaultdict(int)
        for key in s.anchors:
            for vid in self.rows.get((sk.ANCHOR_BAND, key), ()):
                counts[vid] += 1
        need = max(1, math.ceil(ANCHOR_SHARE * len(s.anchors)))
        by_anchor = {vid for vid, n in counts.items() if n >= need}
        return by_band, by_anchor


def overlap(query: np.ndarray, version: np.ndarray) -> int:
    """|query & version| for sorted unique uint64 arrays."""
    at = np.minimum(np.searchsorted(version, query), len(version) - 1)
    return int(np.count_nonzero(version[at] == query))


# -- the run -------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=500, help="queries per kind (at least)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--anchor-window", type=int, default=sk.ANCHOR_WINDOW, help="try another winnowing window"
    )
    args = parser.parse_args()
    sk.ANCHOR_WINDOW = args.anchor_window
    if not CORPUS.is_dir():
        raise SystemExit(f"../shared/corpus is absent: expected it at {CORPUS}")

    versions = load_corpus()
    texts = {v.text_id: v.text for v in versions}
    total_kb = sum(len(v.text.encode()) for v in versions) / 1024
    print(
        f"corpus: {len(versions)} versions, {len(texts)} distinct texts, {total_kb / 1024:.1f} MB; "
        f"k={sk.K}, {sk.BANDS} bands x {sk.ROWS} rows, anchors {sk.ANCHOR_TILES * sk.K} chars "
        f"winnowed 1 in {sk.ANCHOR_WINDOW}"
    )

    # Timing: sketch vs raw blake3 over the same bytes, best of 3 passes.
    encoded = [v.text.encode() for v in versions]
    t_sketch = t_blake = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        sketches = [sk.sketch(v.text) for v in versions]
        t_sketch = min(t_sketch, time.perf_counter() - t0)
        t0 = time.perf_counter()
        for b in encoded:
            blake3.blake3(b).digest()
        t_blake = min(t_blake, time.perf_counter() - t0)
    big = max(versions, key=lambda v: len(v.text.encode()))
    t0 = time.perf_counter()
    for _ in range(10):
        sk.sketch(big.text)
    t_big = (time.perf_counter() - t0) / 10

    index = Index()
    for v, s in zip(versions, sketches, strict=True):
        index.add(v.vid, s)
    shingles = {tid: sk.shingle_hashes(t) for tid, t in texts.items()}
    forms = {tid: sk.comparison_form(t) for tid, t in texts.items()}

    rng = random.Random(args.seed)
    by_source: dict[str, list[Version]] = defaultdict(list)
    for v in versions:
        by_source[v.source].append(v)
    per_source = math.ceil(args.queries / len(by_source))

    results: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for kind in KINDS:
        for source, pool in sorted(by_source.items()):
            made = 0
            while made < per_source:
                v = rng.choice(pool)
                if kind == "exact":
                    q = v.text
                elif kind == "layout":
                    q = layout_copy(v, rng)
                elif kind == "edited":
                    q = edited_copy(v, rng)
                else:
                    q = paragraph_of(v, rng)
                    if q is None:
                        continue
                made += 1
                results[(kind, source)].append(run_query(q, v, versions, index, shingles, forms))

    print_table(results, by_source)

    n_anchor = {
        lang: [
            (len(s.anchors), len(v.text.encode()) / 1024)
            for v, s in zip(versions, sketches, strict=True)
            if is_chinese(v) == (lang == "Chinese")
        ]
        for lang in ("English", "Chinese")
    }
    print()
    print(
        f"sketch time: {1e6 * t_sketch / total_kb:.1f} us/KB vs blake3 "
        f"{1e6 * t_blake / total_kb:.2f} us/KB (ratio {t_sketch / t_blake:.0f}x); "
        f"largest version ({len(big.text.encode()) / 1024:.0f} KB) sketches in "
        f"{1e3 * t_big:.2f} ms"
    )
    rows = [len(s.index_rows()) for s in sketches]
    print(
        f"storage per version: signature {sk.SIGNATURE_BYTES} B, {sk.BANDS} band rows + anchors; "
        f"index rows mean {np.mean(rows):.0f}, max {max(rows)}"
    )
    for lang, pairs in n_anchor.items():
        a = sum(p[0] for p in pairs)
        kb = sum(p[1] for p in pairs)
        print(f"anchors per KB ({lang}): {a / kb:.1f}")


def run_query(q: str, source: Version, versions, index: Index, shingles, forms) -> dict:
    s = sk.sketch(q)
    by_band, by_anchor = index.candidates(s)
    cands = by_band | by_anchor
    qs = sk.shingle_hashes(q)
    scored = {}
    for tid in {versions[vid].text_id for vid in cands}:
        inter = overlap(qs, shingles[tid])
        scored[tid] = (inter / len(qs), inter / (len(qs) + len(shingles[tid]) - inter))
    best_vid = None
    if cands:
        # Containment, then Jaccard; among versions these cannot tell apart (same
        # comparison form), the one whose bytes equal the query (a real service
        # would look that up by content hash first), then the lowest version id.
        best_vid = min(
            cands,
            key=lambda vid: (
                *(-x for x in scored[versions[vid].text_id]),
                versions[vid].text != q,
                vid,
            ),
        )
    top = versions[best_vid] if best_vid is not None else None
    return {
        "hit_same": top is not None and top.vid == source.vid,
        "hit_twin": top is not None and top.vid != source.vid and top.text_id == source.text_id,
        "hit_form": top is not None and forms[top.text_id] == forms[source.text_id],
        "recall": source.vid in cands,
        "recall_band": source.vid in by_band,
        "recall_anchor": source.vid in by_anchor,
        "n_cands": len(cands),
        "top_contains": top is not None and sk.comparison_form(q) in forms[top.text_id],
        "top_same_doc": top is not None and (top.source, top.doc) == (source.source, source.doc),
        "n_anchors": len(s.anchors),
    }


def _pct(rs: list[dict], key: str) -> float:
    return 100 * sum(r[key] for r in rs) / len(rs)


def print_table(results, by_source) -> None:
    head = (
        f"{'kind':<10} {'source':<11} {'n':>4} {'top1':>6} {'(twin)':>7} {'form=':>6} "
        f"{'recall':>7} {'band':>6} {'anchor':>7} {'cands':>6} {'top⊇q':>6} {'doc':>6}"
    )
    print()
    print(head)
    print("-" * len(head))
    short = {s: s.split("-")[0] for s in by_source}
    for kind in KINDS:
        rows = [(short[src], results[(kind, src)]) for src in sorted(by_source)]
        rows.append(("all", [r for _, rs in rows for r in rs]))
        for name, rs in rows:
            top1 = _pct(rs, "hit_same") + _pct(rs, "hit_twin")
            print(
                f"{kind:<10} {name:<11} {len(rs):>4} {top1:>5.1f}% {_pct(rs, 'hit_twin'):>6.1f}% "
                f"{_pct(rs, 'hit_form'):>5.1f}% {_pct(rs, 'recall'):>6.1f}% "
                f"{_pct(rs, 'recall_band'):>5.1f}% {_pct(rs, 'recall_anchor'):>6.1f}% "
                f"{np.mean([r['n_cands'] for r in rs]):>6.1f} "
                f"{_pct(rs, 'top_contains'):>5.1f}% {_pct(rs, 'top_same_doc'):>5.1f}%"
            )
    print(
        "\ntop1: top match's text equals the source text (twin: of those, another version with "
        "byte-identical text);\nform=: top match has the source's comparison form (differs at "
        "most in whitespace, case, punctuation width);\nrecall: source version among candidates "
        "(band: via LSH bands, anchor: via >= half of the query's anchors);\ncands: mean "
        "candidate versions; top⊇q: top match contains the query (comparison form); doc: top "
        "match is in the source's document"
    )


if __name__ == "__main__":
    main()
