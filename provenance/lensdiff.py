"""Diff through a lens, reported in the original texts.

``diff_under(a, b, profile)`` runs the diff engine on the two normalized
texts and maps every edit back through the lenses' offset maps, so each edit
it reports is an ordinary ``provenance.diff.Edit`` whose offsets, ``old`` and
``new`` are taken from the *original* texts (``old == a[a_start:a_end]``,
``new == b[b_start:b_end]``).

Laws (checked by the property tests):
- edits are in order, within bounds, and neither overlap nor touch;
- replaying them on ``a`` (``provenance.diff.replay``) gives a text that looks
  like ``b`` through the same lens: ``normalize(replay(a, edits)).text ==
  normalize(b).text``;
- an edit never cuts through original material that produced several
  normalized code points (``ﬁ``, a composed accent): it is widened to the whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from provenance.diff import DiffResult, DiffStats, Edit, Op, diff, stats_for
from provenance.lenses import (
    DEFAULT_PROFILE,
    PROFILES,
    RECENT_CHARS,
    Lensed,
    check_profile,
    normalize,
)

Span4 = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class WhitespaceShare:
    """How many edits only change whitespace, and which lens would hide them.

    An edit is whitespace-only when its ``old`` and ``new`` are equal once all
    whitespace is removed (``"推\\n\\n动"`` against ``"推动"``). ``suggest``
    is the weakest profile stronger than the one used that hides most of them
    (``whitespace`` when they only fold runs, ``cjk`` when spaces appear or
    vanish next to CJK characters), or None. ``hint`` is a sentence for a
    person, set when at least half the edits are whitespace-only and a
    profile would hide them.
    """

    total: int
    whitespace_only: int
    suggest: str | None
    hint: str | None

    @property
    def share(self) -> float:
        return self.whitespace_only / self.total if self.total else 0.0

    def to_json(self) -> dict:
        return {
            "total": self.total,
            "whitespace_only": self.whitespace_only,
            "suggest": self.suggest,
            "hint": self.hint,
        }


@dataclass(frozen=True, slots=True)
class LensDiff:
    """Edits between two texts as seen through ``profile``, at original offsets.

    ``stats`` are counted on the normalized texts (what the lens lets
    through); ``complete`` is False when a deadline cut the search short.
    """

    profile: str
    edits: tuple[Edit, ...]
    stats: DiffStats
    whitespace: WhitespaceShare
    complete: bool = True

    @property
    def hint(self) -> str | None:
        return self.whitespace.hint

    def to_json(self) -> dict:
        return {
            "profile": self.profile,
            "edits": [e.to_json() for e in self.edits],
            "stats": self.stats.to_json(),
            "whitespace": self.whitespace.to_json(),
            "complete": self.complete,
        }


def diff_under(
    a: str,
    b: str,
    profile: str = DEFAULT_PROFILE,
    *,
    deadline: float | None = None,
    budget: float | None = None,
) -> LensDiff:
    """Edits turning ``a`` into ``b`` that the lens ``profile`` lets through.

    ``budget``: what the display cleanup may add (see `provenance.diff.diff`).
    """
    check_profile(profile)
    la, lb = normalize(a, profile), normalize(b, profile)
    if deadline is None and max(len(a), len(b)) <= RECENT_CHARS:
        result = _recent_diff(la.text, lb.text, budget)
    else:  # the clock may cut it short, or too large to keep
        result = diff(la.text, lb.text, deadline=deadline, budget=budget)
    spans = [(e.a_start, e.a_end, e.b_start, e.b_end) for e in result.edits]
    edits = map_edits(la, lb, spans)
    return LensDiff(
        profile,
        edits,
        stats_for(len(la.text), len(lb.text), result.edits),
        whitespace_share(a, b, edits, profile=profile),
        result.complete,
    )


@lru_cache(maxsize=8)
def _recent_diff(a: str, b: str, budget: float | None) -> DiffResult:
    """The last few diffs of normalized texts, as ``lenses`` keeps its last normal forms.

    Texts that differ only in what the lens hides have one normal form: a
    query compared with many of them (identify, over a crawl's layout-only
    revisions) diffs it once, and maps the same edits into each original.
    """
    return diff(a, b, budget=budget)


def map_edits(la: Lensed, lb: Lensed, spans: Iterable[Span4]) -> tuple[Edit, ...]:
    """Map edits between ``la.text`` and ``lb.text`` to edits between the originals.

    ``spans`` are ``(a_start, a_end, b_start, b_end)`` in normalized offsets,
    in order and non-overlapping, with the material between them equal. Each
    is first widened (by the same amount on both sides, into equal material)
    until it cuts through no group of code points that share original
    material, merging with a neighbour it reaches; then mapped with
    ``Lensed.replace_span`` in ``a`` (so replaying it keeps dropped whitespace
    dropped) and ``Lensed.to_original_span`` in ``b``.
    """
    widened: list[list[int]] = []
    for span in spans:
        cur = list(span)
        while True:
            _widen(la, lb, cur)
            if widened and (cur[0] <= widened[-1][1] or cur[2] <= widened[-1][3]):
                prev = widened.pop()
                cur = [min(prev[0], cur[0]), max(prev[1], cur[1]),
                       min(prev[2], cur[2]), max(prev[3], cur[3])]
                continue
            break
        widened.append(cur)
    a, b = la.original, lb.original
    out: list[Edit] = []
    for i, j, k, m in widened:
        a0, a1 = la.replace_span(i, j)
        b0, b1 = lb.to_original_span(k, m)
        # defensive: mapped edits must never overlap or touch
        if out and (a0 <= out[-1].a_end or b0 <= out[-1].b_end):
            prev = out.pop()
            a0, b0 = min(a0, prev.a_start), min(b0, prev.b_start)
            a1, b1 = max(a1, prev.a_end), max(b1, prev.b_end)
        out.append(make_edit(a, b, a0, a1, b0, b1))
    return tuple(out)


def _widen(la: Lensed, lb: Lensed, s: list[int]) -> None:
    """Widen ``s`` in place until neither side cuts a shared-material group."""
    while True:
        left = max(s[0] - la.atom_bounds(s[0])[0] if la.splits_atom(s[0]) else 0,
                   s[2] - lb.atom_bounds(s[2])[0] if lb.splits_atom(s[2]) else 0)
        right = max(la.atom_bounds(s[1])[1] - s[1] if la.splits_atom(s[1]) else 0,
                    lb.atom_bounds(s[3])[1] - s[3] if lb.splits_atom(s[3]) else 0)
        if not left and not right:
            return
        left = min(left, s[0], s[2])
        right = min(right, len(la.text) - s[1], len(lb.text) - s[3])
        if not left and not right:  # pragma: no cover - cannot happen with consistent maps
            return
        s[0] -= left
        s[2] -= left
        s[1] += right
        s[3] += right


def make_edit(a: str, b: str, a0: int, a1: int, b0: int, b1: int) -> Edit:
    """The ``Edit`` replacing ``a[a0:a1]`` by ``b[b0:b1]``."""
    old, new = a[a0:a1], b[b0:b1]
    op: Op = "replace" if old and new else ("delete" if old else "insert")
    return Edit(op, a0, a1, b0, b1, old, new)


# -- whitespace-only edits -----------------------------------------------------

_ORDER = tuple(PROFILES)


def _squeeze(s: str) -> str:
    return "".join(s.split()).replace("\u200b", "").replace("\u2060", "").replace("\ufeff", "")


def _hidden_by(a: str, b: str, e: Edit, after: int) -> str | None:
    """The weakest profile after ``_ORDER[after]`` under which the edit, with one
    character of context on each side, vanishes."""
    ctx_a = a[max(e.a_start - 1, 0) : e.a_end + 1]
    ctx_b = b[max(e.b_start - 1, 0) : e.b_end + 1]
    for name in _ORDER[after + 1 :]:
        if normalize(ctx_a, name).text == normalize(ctx_b, name).text:
            return name
    return None


def whitespace_share(
    a: str, b: str, edits: Sequence[Edit] | None = None, *, profile: str = DEFAULT_PROFILE
) -> WhitespaceShare:
    """Count whitespace-only edits among ``edits`` (default: ``diff_under(a, b, profile)``)."""
    check_profile(profile)
    if edits is None:
        edits = diff_under(a, b, profile).edits
    current = _ORDER.index(profile)
    hidden_by: dict[str, int] = {}
    count = 0
    for e in edits:
        if _squeeze(e.old) != _squeeze(e.new):
            continue
        count += 1
        name = _hidden_by(a, b, e, current)
        if name is not None:
            hidden_by[name] = hidden_by.get(name, 0) + 1
    suggest = None
    hidden = 0
    for name in _ORDER[current + 1 :]:  # a stronger profile hides all a weaker one does
        hidden += hidden_by.get(name, 0)
        if hidden and hidden * 2 >= count:
            suggest = name
            break
    hint = None
    if suggest and count and count * 2 >= len(edits):
        hint = (
            f"{count} of {len(edits)} edits are whitespace or line breaks; "
            f"--normalize {suggest} hides them"
        )
    return WhitespaceShare(len(edits), count, suggest, hint)
