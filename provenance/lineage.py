"""The lineage graph: walking links between versions.

Links point from a child version to a parent. The walks here read only the
link rows they need, a frontier at a time, so they stay cheap on an archive
of many unrelated documents.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from sqlmodel import Session, col, select

from provenance.models import Link


@dataclass(frozen=True, slots=True)
class Edge:
    link_id: int
    child: int
    parent: int
    relation: str


def parents_of(session: Session, ids: list[int]) -> list[Edge]:
    rows = session.exec(select(Link).where(col(Link.child_id).in_(ids)).order_by(Link.id)).all()
    return [Edge(r.id, r.child_id, r.parent_id, r.relation) for r in rows]


def children_of(session: Session, ids: list[int]) -> list[Edge]:
    rows = session.exec(select(Link).where(col(Link.parent_id).in_(ids)).order_by(Link.id)).all()
    return [Edge(r.id, r.child_id, r.parent_id, r.relation) for r in rows]


def ancestors(session: Session, start: int) -> dict[int, tuple[int, Edge | None]]:
    """Every ancestor of ``start`` (itself included) -> (distance, edge towards start)."""
    seen: dict[int, tuple[int, Edge | None]] = {start: (0, None)}
    frontier = [start]
    while frontier:
        nxt = []
        for edge in parents_of(session, frontier):
            if edge.parent not in seen:
                seen[edge.parent] = (seen[edge.child][0] + 1, edge)
                nxt.append(edge.parent)
        frontier = nxt
    return seen


def is_ancestor(session: Session, candidate: int, of: int) -> bool:
    return candidate in ancestors(session, of)


def undirected_path(session: Session, a: int, b: int) -> list[tuple[Edge, str]] | None:
    """A shortest path from a to b ignoring link direction, or None.

    Each step is (edge, "forward" if it goes parent to child else "backward").
    """
    prev: dict[int, tuple[int, Edge, str] | None] = {a: None}
    queue = deque([a])
    while queue:
        node = queue.popleft()
        if node == b:
            break
        ups = [(e, e.parent, "backward") for e in parents_of(session, [node])]
        downs = [(e, e.child, "forward") for e in children_of(session, [node])]
        for edge, other, direction in ups + downs:
            if other not in prev:
                prev[other] = (node, edge, direction)
                queue.append(other)
    if b not in prev:
        return None
    steps: list[tuple[Edge, str]] = []
    node = b
    while prev[node] is not None:
        before, edge, direction = prev[node]  # type: ignore[misc]
        steps.append((edge, direction))
        node = before
    steps.reverse()
    return steps


def path_between(
    session: Session, a: int, b: int
) -> tuple[list[tuple[Edge, str]], int | None] | None:
    """The lineage path from a to b, and the common ancestor it passes through.

    B descending from A gives the forward path; A descending from B the
    backward one; otherwise the path climbs from A to the nearest common
    ancestor and descends to B. Without a common ancestor, any connection
    (through a common descendant, say) is used; None when there is none.
    """
    anc_a = ancestors(session, a)
    anc_b = ancestors(session, b)
    common = set(anc_a) & set(anc_b)
    if not common:
        steps = undirected_path(session, a, b)
        return (steps, None) if steps is not None else None
    via = min(common, key=lambda v: (anc_a[v][0] + anc_b[v][0], v))
    return _climb(anc_a, a, via, "backward")[::-1] + _climb(anc_b, b, via, "forward"), via


def _climb(anc: dict[int, tuple[int, Edge | None]], start: int, top: int, direction: str):
    """The edges from ``top`` down to ``start`` (in that order) along an ancestors() walk."""
    steps: list[tuple[Edge, str]] = []
    node = top
    while node != start:
        edge = anc[node][1]
        assert edge is not None
        steps.append((edge, direction))
        node = edge.child
    return steps
