"""Identify against a growing archive: query time per tier, flat as it grows, and top-1 accuracy.

Registers every real revision history in ../shared/corpus, then generated
documents, through `provenance.archive.register` (the library, so every
version is hashed, stored, diffed against its parent and indexed exactly as
`prov register` does it; many versions per transaction), until the archive
holds 2,000 versions, measures, grows it to 20,000 and measures again.

Generated documents: "mosaic" articles of 8-25 sentences drawn from the
corpus (English or Chinese), each with 1-4 versions (every revision a few word
edits of the one before), and one in ten an excerpt of a real version (a
1-4 KB stretch with two word edits), as a republication would be.

Queries come from random *real* versions:

  exact       the version's bytes
  normalized  English reflowed (line breaks, double spaces, tabs) with some
              ASCII punctuation made full-width; Chinese re-segmented with
              spaces and full-width/half-width punctuation swapped (the
              pairs NFKC unifies)
  reflowed    an English version re-wrapped as a text editor does it
              (`textwrap.fill` at 60-76 columns, paragraph by paragraph, never
              splitting a word that has no hyphen (a URL), as no editor does,
              breaking after hyphens)
  resegmented a Chinese version segmented into words by jieba, the words
              joined by spaces (as a word-segmented republication is)
  similar     1-5 real word edits (characters for Chinese)
  paragraph   one paragraph of at least 100 characters cut out of it
  excerpt     1,200 characters cut verbatim out of it, anywhere

Timing: each tier's identify call (one reader session, default --top 3)
against an exact hash lookup (BLAKE3 of the bytes + one indexed SELECT of
the versions carrying the hash) measured in the same run, median and p90, at
both sizes, the ratio to the lookup at each size and how both grow between
the sizes (flat: a growth of about 1).

Accuracy, at every size, by the issue's ranking rule (rank by the share of
the query found in the version, ties by lens equality, then the fewest
edits, then the earliest registration; ``rule_key`` computes it from scratch): for
whole-text queries the top match is right when it is the source version, a
byte-identical twin, or another text whose key is no worse than the source's
(the same share, lens-equal and as close: a whitespace-equal version registered
earlier; or a larger share: a longer version holding more of a lightly edited
query than its source), each kind of right counted apart; for paragraphs and
excerpts, when the top match contains the query verbatim, or through the
loose lens (any version holding it is a right answer).

``--cache DIR`` keeps the built archives (SQLite only): a second run with the
same seed and sizes reuses them instead of registering 20,000 versions again.

Run: .venv/bin/python benchmarks/identify.py [--sizes 2000,20000] [--queries 500] [--db URL]
         [--cache DIR] [--kinds exact,similar,...]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

from sqlmodel import col, select
from variants import edit_words, is_chinese  # benchmarks/variants.py

from provenance import archive, identify, index, schema, sketch, store
from provenance.hashing import content_hash
from provenance.models import Version

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
KINDS = ("exact", "normalized", "reflowed", "resegmented", "similar", "paragraph", "excerpt")
EXCERPT = 1200  # characters of an excerpt query
CONTAINED = ("paragraph", "excerpt")  # right when the top match holds the query
TIMED = 40  # timing queries per tier (--timed)
BATCH = 250  # registrations per transaction


# -- the corpus and generated documents ------------------------------------------------


def real_histories() -> list[tuple[str, list[str]]]:
    out = []
    for doc in sorted(p for p in CORPUS.glob("*/*") if p.is_dir()):
        texts = [f.read_text(encoding="utf-8") for f in sorted(doc.glob("*.md"))]
        out.append((f"{doc.parent.name}/{doc.name}", texts))
    return out


def sentence_pools(histories) -> dict[bool, list[str]]:
    pools: dict[bool, set[str]] = {True: set(), False: set()}
    for _, texts in histories:
        for text in texts[:: max(1, len(texts) // 3)]:
            zh = is_chinese(text)
            parts = re.split(r"(?<=[。！？])" if zh else r"(?<=[.!?])\s+", text)
            pools[zh].update(p.strip() for p in parts if 40 <= len(p.strip()) <= 400)
    return {k: sorted(v) for k, v in pools.items()}


def generated(histories, rng: random.Random) -> Iterator[tuple[str, list[str]]]:
    pools = sentence_pools(histories)
    n = 0
    while True:
        n += 1
        if n % 10 == 0:
            _, texts = rng.choice(histories)
            source = rng.choice(texts)
            size = rng.randint(1000, 4000)
            start = rng.randrange(max(1, len(source) - size))
            yield f"gen/excerpt-{n}", [edit_words(source[start : start + size], rng, 2)]
            continue
        zh = rng.random() < 0.2
        joiner = "" if zh else " "
        paragraphs = []
        for _ in range(rng.randint(2, 6)):
            paragraphs.append(joiner.join(rng.sample(pools[zh], rng.randint(3, 6))))
        text = "\n\n".join(paragraphs) + "\n"
        versions = [text]
        for _ in range(rng.randint(0, 3)):
            versions.append(edit_words(versions[-1], rng, rng.randint(1, 3)))
        yield f"gen/article-{n}", versions


# -- queries ------------------------------------------------------------------------------

_HALF_TO_FULL = {c: chr(ord(c) + 0xFEE0) for c in ",;:()!?"}
_FULL_TO_HALF = {v: k for k, v in _HALF_TO_FULL.items()}


def layout_copy(text: str, rng: random.Random) -> str:
    if is_chinese(text):
        out = []
        for ch in text:
            ch = _FULL_TO_HALF.get(ch, _HALF_TO_FULL.get(ch, ch)) if rng.random() < 0.7 else ch
            out.append(ch)
            if "\u4e00" <= ch <= "\u9fff" and rng.random() < 0.4:
                out.append(" ")
        return "".join(out)
    words = []
    for word in text.split():
        if rng.random() < 0.1:
            word = "".join(_HALF_TO_FULL.get(c, c) for c in word)
        words.append(word + rng.choice([" ", " ", " ", "\n", "  ", "\n\n", "\t"]))
    return "".join(words)


def paragraph_of(text: str, rng: random.Random) -> str | None:
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if len(sketch.comparison_form(p)) >= 100]
    return rng.choice(paragraphs) if paragraphs else None


def rewrap(text: str, rng: random.Random) -> str:
    width = rng.randint(60, 76)
    return (
        "\n\n".join(
            textwrap.fill(p, width, break_long_words=False)
            for p in re.split(r"\n\s*\n", text)
            if p.strip()
        )
        + "\n"
    )


def resegment(text: str) -> str:
    import jieba  # a test dependency (pyproject's dev extra)

    return " ".join(w for w in jieba.cut(text) if w.strip())


def excerpt_of(text: str, rng: random.Random) -> str | None:
    if len(text) < 2 * EXCERPT:
        return None
    start = rng.randrange(len(text) - EXCERPT)
    return text[start : start + EXCERPT]


def make_queries(real: list[tuple[int, str]], rng: random.Random, n: int) -> dict[str, list]:
    """kind -> [(source version id, query text)]."""
    out: dict[str, list] = {k: [] for k in KINDS}
    chinese = [(vid, t) for vid, t in real if is_chinese(t)]
    while min(len(v) for v in out.values()) < n:
        vid, text = rng.choice(real)
        zh = is_chinese(text)
        made = {
            "exact": text,
            "normalized": layout_copy(text, rng),
            "reflowed": None if zh else rewrap(text, rng),
            "similar": edit_words(text, rng, rng.randint(1, 5)),
            "paragraph": paragraph_of(text, rng),
            "excerpt": excerpt_of(text, rng),
        }
        for kind, query in made.items():
            if query is not None and len(out[kind]) < n:
                out[kind].append((vid, query))
        if chinese and len(out["resegmented"]) < n:
            zid, ztext = rng.choice(chinese)
            out["resegmented"].append((zid, resegment(ztext)))
    return out


# -- the run ------------------------------------------------------------------------------


def register(engine, docs: Iterator[tuple[str, list[str]]], until: int, count: int, texts) -> int:
    """Register documents until the archive holds ``until`` versions; returns the count."""
    pending: list[tuple[str, str]] = []
    for key, versions in docs:
        pending += [(key, t) for t in versions]
        if count + len(pending) >= until or len(pending) >= BATCH:
            with store.transaction(engine) as s:
                for k, t in pending[: until - count]:
                    r = archive.register(s, t.encode(), name=k, doc=k)
                    texts[r.version] = t
            count = min(until, count + len(pending))
            pending = []
            if count >= until:
                return count
    raise SystemExit("ran out of documents")


def hash_lookup(s, data: bytes) -> list[int]:
    digest = content_hash(data)
    return list(s.exec(select(Version.id).where(col(Version.content_hash) == digest)).all())


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        out.append(1000 * (time.perf_counter() - t0))
    return out


def measure(engine, queries, kinds=KINDS) -> dict[str, tuple[float, float]]:
    results: dict[str, tuple[float, float]] = {}
    with store.reader(engine) as s:
        for _, q in queries["exact"][:5]:  # warm caches and imports
            identify.identify(s, q.encode())
        lookups = timed(lambda q: hash_lookup(s, q[1].encode()), queries["exact"])
        results["hash lookup"] = _stats(lookups)
        for kind in kinds:
            ms = timed(lambda q: identify.identify(s, q[1].encode()), queries[kind])
            results[kind] = _stats(ms)
    return results


def _stats(ms: list[float]) -> tuple[float, float]:
    return statistics.median(ms), statistics.quantiles(ms, n=10)[-1]


def rule_key(s, query: str, text: str, first_id: int) -> tuple:
    """The issue's ranking key of a version for a query, computed here from scratch.

    (minus the share of the query found, lens equality, edits, earliest
    registration): the share and the edits from the comparison `prov diff
    VERSION QUERY --normalize cjk` makes (`identify._explain`, the function
    identify ranks with), the lens from `identify.verbatim_lens`. Lower is better.
    """
    _, summary, share = identify._explain(text, query, identify.SUMMARY_LENS)
    found = identify.verbatim_lens(query, text)
    return (-round(share, 6), identify.LENS_RANK.index(found), summary.edits, first_id)


def accuracy(engine, queries, texts: dict[int, str], kinds=KINDS) -> dict[str, dict[str, float]]:
    """Per tier: top-1 and how each right top-1 was right (see the printed legend)."""
    first_with: dict[str, int] = {}  # text -> the earliest version carrying it
    for vid in sorted(texts):
        first_with.setdefault(texts[vid], vid)
    out: dict[str, dict[str, float]] = {}
    with store.reader(engine) as s:
        for kind in kinds:
            counts = dict.fromkeys(
                (
                    "source",
                    "twin",
                    "rule_lens",
                    "rule_share",
                    "tier",
                    "contains",
                    "lens_contains",
                    "listed",
                    "none",
                ),
                0,
            )
            for vid, q in queries[kind]:
                report = identify.identify(s, q.encode())
                if not report.matches:
                    counts["none"] += 1
                    continue
                top = report.matches[0]
                want = {"exact": "exact", "normalized": "normalized", "reflowed": "normalized"}
                want = {**want, "resegmented": "normalized"}.get(kind, "similar")
                counts["tier"] += top.tier == want
                top_text, src_text = texts[top.version], texts[vid]
                counts["contains"] += q in top_text
                counts["lens_contains"] += q in top_text or index.normal_form(
                    q, "loose"
                ) in index.normal_form(top_text, "loose")
                counts["listed"] += any(texts[m.version] == src_text for m in report.matches)
                if kind in CONTAINED:
                    continue
                if top.version == vid:
                    counts["source"] += 1
                elif top_text == src_text:
                    counts["twin"] += 1
                else:
                    # Another text: right only if the rule ranks it at
                    # least as high as the source (its key no worse).
                    kt = rule_key(s, q, top_text, first_with.get(top_text, top.version))
                    ks = rule_key(s, q, src_text, first_with.get(src_text, vid))
                    if kt <= ks:
                        counts["rule_share" if kt[0] < ks[0] else "rule_lens"] += 1
            n = len(queries[kind])
            right = counts["source"] + counts["twin"] + counts["rule_lens"] + counts["rule_share"]
            pct = {k: 100 * v / n for k, v in counts.items()}
            out[kind] = {
                "n": n,
                "top1": pct["lens_contains"] if kind in CONTAINED else 100 * right / n,
                **pct,
            }
    return out


class StoredTexts(dict):
    """Version id -> text, read from the archive on first use (for a cached archive)."""

    def __init__(self, engine):
        super().__init__()
        self.engine = engine

    def __missing__(self, vid: int) -> str:
        with store.reader(self.engine) as s:
            self[vid] = archive.text_of(s, s.get(Version, vid))
        return self[vid]


def _backup(url: str, target: Path) -> None:
    import sqlite3

    src = sqlite3.connect(url.removeprefix("sqlite:///"))
    dst = sqlite3.connect(str(target) + ".part")
    src.backup(dst)
    dst.close()
    src.close()
    Path(str(target) + ".part").rename(target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--queries", type=int, default=500, help="accuracy queries per kind")
    parser.add_argument(
        "--db", help="a database URL or SQLite path, empty (default: a fresh SQLite file)"
    )
    parser.add_argument("--cache", help="a folder keeping the built SQLite archives")
    parser.add_argument("--timed", type=int, default=TIMED, help="timing queries per kind")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "--kinds", default=",".join(KINDS), help="the query tiers measured, comma-separated"
    )
    args = parser.parse_args()
    kinds = tuple(k for k in KINDS if k in args.kinds.split(","))
    if not kinds or set(args.kinds.split(",")) - set(KINDS):
        parser.error(f"--kinds: choose among {', '.join(KINDS)}")
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} is absent (the corpus lives beside the repository)")
        return 0
    sizes = [int(x) for x in args.sizes.split(",")]
    rng = random.Random(args.seed)
    histories = real_histories()
    n_real = sum(len(t) for _, t in histories)
    cache = Path(args.cache) if args.cache and not args.db else None
    scheme = "-".join(index.current_state().values())  # an index of another scheme is stale
    cached = {n: cache / f"identify-{args.seed}-{scheme}-{n}.db" for n in sizes} if cache else {}
    reuse = bool(cached) and all(p.is_file() for p in cached.values())

    rows = []
    acc_rows = []
    real_s = gen_s = acc_s = 0.0
    with tempfile.TemporaryDirectory(prefix="prov-identify-") as tmp:
        if reuse:
            print(f"reusing the archives in {cache}", file=sys.stderr)
            for size in sizes:
                url = store.to_url(str(cached[size]))
                engine = store.open_engine(store.DatabaseLocation(url, "bench"))
                texts = StoredTexts(engine)
                real = [(vid, texts[vid]) for vid in range(1, n_real + 1)]
                timing_queries = make_queries(real, random.Random(args.seed + 1), args.timed)
                accuracy_queries = make_queries(real, random.Random(args.seed + 2), args.queries)
                rows.append((size, measure(engine, timing_queries, kinds)))
                started = time.perf_counter()
                acc_rows.append((size, accuracy(engine, accuracy_queries, texts, kinds)))
                acc_s += time.perf_counter() - started
                engine.dispose()
            count = sizes[-1]
        else:
            url = store.to_url(args.db or str(Path(tmp) / "archive.db"))
            engine = store.open_engine(store.DatabaseLocation(url, "bench"), create_dir=True)
            schema.upgrade(engine)
            texts = {}
            started = time.perf_counter()
            count = register(engine, iter(histories), n_real, 0, texts)
            real_s = time.perf_counter() - started
            real = [(vid, texts[vid]) for vid in sorted(texts)]
            timing_queries = make_queries(real, random.Random(args.seed + 1), args.timed)
            accuracy_queries = make_queries(real, random.Random(args.seed + 2), args.queries)
            docs = generated(histories, rng)
            for size in sizes:
                started = time.perf_counter()
                before = count
                count = register(engine, docs, size, count, texts)
                gen_s += time.perf_counter() - started
                print(
                    f"archive at {count} versions ({count - before} registered in "
                    f"{time.perf_counter() - started:.0f} s)",
                    file=sys.stderr,
                )
                if cache is not None:
                    cache.mkdir(parents=True, exist_ok=True)
                    _backup(url, cached[size])
                rows.append((size, measure(engine, timing_queries, kinds)))
                started = time.perf_counter()
                acc_rows.append((size, accuracy(engine, accuracy_queries, texts, kinds)))
                acc_s += time.perf_counter() - started
            engine.dispose()

    backend = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    if reuse:
        print(f"archive: reused from {cache}; backend {backend}")
    else:
        print(
            f"archive: {n_real} real versions ({len(histories)} histories) registered in "
            f"{real_s:.0f} s ({1000 * real_s / n_real:.1f} ms/version); {count - n_real} "
            f"generated in {gen_s:.0f} s ({1000 * gen_s / max(1, count - n_real):.1f} ms/version);"
            f" backend {backend}"
        )
    print()
    head = f"{'query':<12}" + "".join(f"{f'{s} median / p90 ms':>24}" for s, _ in rows)
    head += "".join(f"{f'x lookup@{s}':>16}" for s, _ in rows) + f"{'growth':>8}{'x growth':>10}"
    print(head)
    print("-" * len(head))
    for kind in ("hash lookup", *kinds):
        line = f"{kind:<12}"
        for _, r in rows:
            med, p90 = r[kind]
            line += f"{f'{med:8.2f} / {p90:8.2f}':>24}"
        ratios = [r[kind][0] / r["hash lookup"][0] for _, r in rows]
        line += "".join(f"{x:>16.0f}" for x in ratios)
        last, first = rows[-1][1], rows[0][1]
        line += f"{last[kind][0] / first[kind][0]:>8.2f}{ratios[-1] / ratios[0]:>10.2f}"
        print(line)
    print(
        f"\nx lookup@N: median / the exact hash lookup's median at N versions (same run); "
        f"growth: median at {rows[-1][0]} / median at {rows[0][0]}; x growth: the same for "
        f"the x-lookup ratio (flat: about 1); "
        f"{len(timing_queries['exact'])} queries per tier, --top {identify.DEFAULT_TOP}"
    )
    for size, acc in acc_rows:
        print()
        head = (
            f"{'accuracy':<12}{'n':>6}{'top-1':>8}{'source':>8}{'twin':>7}{'=rule':>7}"
            f"{'>share':>8}{'verbatim':>10}{'top⊇q':>8}{'tier':>7}{'listed':>8}{'none':>7}"
        )
        print(head + f"   (at {size} versions)")
        print("-" * len(head))
        for kind in kinds:
            a = acc[kind]
            judged = kind not in CONTAINED
            cells = [
                f"{a[k]:>{w - 1}.1f}%" if judged else f"{'-':>{w}}"
                for k, w in (("source", 8), ("twin", 7), ("rule_lens", 7), ("rule_share", 8))
            ]
            print(
                f"{kind:<12}{a['n']:>6}{a['top1']:>7.1f}%"
                + "".join(cells)
                + f"{a['contains']:>9.1f}%{a['lens_contains']:>7.1f}%{a['tier']:>6.1f}%"
                f"{a['listed']:>7.1f}%{a['none']:>6.1f}%"
            )
    print(
        f"\n(accuracy queries took {acc_s:.0f} s)"
        "\ntop-1, whole-text tiers: source + twin + =rule + >share, judged by the issue's rule "
        "(rank by the share of the query found, then lens equality, then edits, then the "
        "earliest registration; `rule_key`):"
        "\n  source: the top match is the query's source version; twin: another version with "
        "its bytes;"
        "\n  =rule: another text whose rule key is no worse than the source's with the same "
        "share found (lens-equal, as few edits, registered earlier);"
        "\n  >share: another text holding a larger share of the query than the source does;"
        "\ntop-1, paragraph and excerpt: the top match contains the query verbatim or through "
        "the loose lens (top⊇q);"
        "\nverbatim: the top match contains the query byte for byte; tier: the top match is of "
        "the expected tier; listed: a version with the source's text is among the matches; "
        "none: nothing matched"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
