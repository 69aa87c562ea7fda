"""Merkle tree hashing for the tamper-evident audit log (RFC 9162 section 2.1, with BLAKE3).

The audit log is an append-only list of events. Its state is summarised by one
32-byte *root*; a short *inclusion proof* shows that an event is in the tree,
and a short *consistency proof* shows that a later tree only appended to an
earlier one (nothing was rewritten). This is the Merkle tree of Certificate
Transparency (RFC 6962, restated in RFC 9162), with BLAKE3 in place of
SHA-256 so that it shares the project's content hash:

- ``leaf_hash(d) = BLAKE3(0x00 || d)``
- ``node_hash(l, r) = BLAKE3(0x01 || l || r)``
- ``MTH([]) = BLAKE3("")``, ``MTH([h]) = h``, and for ``n > 1`` leaves
  ``MTH(D[0:n]) = node_hash(MTH(D[0:k]), MTH(D[k:n]))`` where ``k`` is the
  largest power of two smaller than ``n``.

The distinct prefixes 0x00 / 0x01 keep a leaf from being passed off as an
inner node (second-preimage resistance). Functions here work on *leaf hashes*
(the output of `leaf_hash`), so the caller may store those instead of events.

A proof does not by itself pin the tree size (the proof of leaf 3 among 7
leaves also verifies for the same root claimed to cover 8): the size must come
from a signed checkpoint, as in Certificate Transparency.

Costs: `root` and `TreeBuilder` are O(n) hashes with O(log n) memory; each
proof is O(n) hashes of the given leaf hashes; each verification is O(log n).
Proof builders raise `InputError` on bad arguments; verifiers never raise and
answer False for anything malformed.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence

from blake3 import blake3

from provenance.errors import InputError

HASH_SIZE = 32
"""Length in bytes of every hash here (BLAKE3's default output)."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

EMPTY_ROOT = blake3(b"").digest()
"""Root of the tree with no leaves: BLAKE3 of the empty string."""


def leaf_hash(data: bytes) -> bytes:
    """Hash of one leaf's data: ``BLAKE3(0x00 || data)``."""
    return blake3(_LEAF_PREFIX + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an inner node from its children: ``BLAKE3(0x01 || left || right)``."""
    return blake3(_NODE_PREFIX + left + right).digest()


class TreeBuilder:
    """Streaming root of a growing tree: append leaf hashes, ask for the root at any time.

    Keeps only the roots of the perfect subtrees that make up the tree so far
    (one per set bit of the size), i.e. O(log n) hashes, and does O(1)
    amortised hashing per append. ``root()`` equals `root` over the same leaf
    hashes; it is how the log computes its root without holding all leaves.
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._size = 0
        # (subtree size, subtree root); sizes are distinct powers of two, decreasing.
        self._stack: list[tuple[int, bytes]] = []

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Add the next leaf, given by its leaf hash (32 bytes)."""
        _check_hash(leaf_hash, "leaf hash")
        size, value = 1, bytes(leaf_hash)
        stack = self._stack
        while stack and stack[-1][0] == size:
            left_size, left = stack.pop()
            size, value = left_size + size, node_hash(left, value)
        stack.append((size, value))
        self._size += 1

    def root(self) -> bytes:
        """Root (MTH) of the leaves appended so far."""
        if not self._stack:
            return EMPTY_ROOT
        # The leftmost subtree is the largest power of two below the size, as
        # MTH splits; folding from the right rebuilds exactly MTH's shape.
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = node_hash(left, value)
        return value


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Root (MTH) of the tree over these leaf hashes, in O(n)."""
    return roots_at(leaf_hashes, (len(leaf_hashes),))[len(leaf_hashes)]


def roots_at(leaf_hashes: Sequence[bytes], sizes: Iterable[int]) -> dict[int, bytes]:
    """The root of the first ``m`` leaves, for each ``m`` in ``sizes``.

    Every perfect subtree aligned on its size is hashed once, level by level
    (fewer than n node hashes in all, no per-leaf bookkeeping); the root of a
    prefix of ``m`` leaves is then folded from the perfect subtrees that the
    set bits of ``m`` name, largest first, exactly as MTH splits: O(log n)
    more hashes per size. It is how a whole log's root and the roots its
    checkpoints signed are recomputed in one pass.
    """
    n = len(leaf_hashes)
    wanted = set(sizes)
    for m in wanted:
        if not _is_int(m) or not 0 <= m <= n:
            raise InputError(f"tree size {m!r} is not between 0 and the number of leaves {n}")
    for leaf in leaf_hashes:
        _check_hash(leaf, "leaf hash")
    levels: list[Sequence[bytes]] = [leaf_hashes]
    level = leaf_hashes
    while len(level) >= 2:  # level k: the subtrees of 2**k leaves starting at multiples of 2**k
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        levels.append(level)
    out: dict[int, bytes] = {}
    for m in wanted:
        if m == 0:
            out[m] = EMPTY_ROOT
            continue
        parts, offset = [], 0
        for k in range(m.bit_length() - 1, -1, -1):
            if m >> k & 1:
                parts.append(levels[k][offset >> k])
                offset += 1 << k
        value = parts[-1]
        for left in reversed(parts[:-1]):
            value = node_hash(left, value)
        out[m] = value
    return out


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path of leaf ``index`` in the tree over ``leaf_hashes`` (RFC 9162 2.1.3.1 PATH).

    Hashes are listed from the leaf's sibling up to the root's child.
    """
    n = len(leaf_hashes)
    if not _is_int(index) or not 0 <= index < n:
        raise InputError(f"leaf index {index!r} is outside a tree of {n} leaves")
    path: list[bytes] = []
    lo, hi, m = 0, n, index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            path.append(_range_root(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            path.append(_range_root(leaf_hashes, lo, lo + k))
            lo, m = lo + k, m - k
    path.reverse()
    return path


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """Proof that the first ``old_size`` leaves are a prefix of the tree (RFC 9162 2.1.4.1).

    This is SUBPROOF(m, D[n], true). The proof is empty when ``old_size`` is 0
    or the whole tree, since there is nothing to prove.
    """
    n = len(leaf_hashes)
    if not _is_int(old_size) or not 0 <= old_size <= n:
        raise InputError(f"old tree size {old_size!r} is not between 0 and the tree size {n}")
    if old_size in (0, n):
        return []
    proof: list[bytes] = []
    lo, hi, m, whole = 0, n, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(_range_root(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_range_root(leaf_hashes, lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        proof.append(_range_root(leaf_hashes, lo, hi))
    proof.reverse()
    return proof


def inclusion_proof_size(index: int, tree_size: int) -> int:
    """Number of hashes in the inclusion proof of leaf ``index`` in a tree of ``tree_size``.

    Lets a verifier say "wrong length" rather than just "does not verify".
    """
    if not (_is_int(index) and _is_int(tree_size)) or not 0 <= index < tree_size:
        raise InputError(f"leaf index {index!r} is outside a tree of {tree_size!r} leaves")
    count, m, n = 0, index, tree_size
    while n > 1:
        k = _split(n)
        m, n = (m, k) if m < k else (m - k, n - k)
        count += 1
    return count


def consistency_proof_size(old_size: int, new_size: int) -> int:
    """Number of hashes in the consistency proof from ``old_size`` to ``new_size`` leaves."""
    if not (_is_int(old_size) and _is_int(new_size)) or not 0 <= old_size <= new_size:
        raise InputError(f"tree sizes {old_size!r} -> {new_size!r} are not 0 <= old <= new")
    if old_size in (0, new_size):
        return 0
    count, m, n, whole = 0, old_size, new_size, True
    while m != n:
        k = _split(n)
        m, n, whole = (m, k, whole) if m <= k else (m - k, n - k, False)
        count += 1
    return count + (0 if whole else 1)


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True if ``proof`` shows leaf ``index`` with this hash is in the tree with this root.

    RFC 9162 2.1.3.2. Returns False (never raises) for malformed input: wrong
    types, a hash that is not 32 bytes, an index outside the tree, or a proof
    of the wrong length.
    """
    if not (_is_hash(leaf_hash) and _is_hash(root) and _is_int(index) and _is_int(tree_size)):
        return False
    path = _as_hashes(proof)
    if path is None or not 0 <= index < tree_size:
        return False
    fn, sn = index, tree_size - 1
    r = leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(r, root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True if ``proof`` shows the tree ``new_root`` extends the tree ``old_root``.

    RFC 9162 2.1.4.2, plus the trivial cases: equal sizes need an empty proof
    and equal roots; an old size of 0 needs an empty proof and the empty root.
    Returns False (never raises) for malformed input.
    """
    if not (_is_int(old_size) and _is_int(new_size) and _is_hash(old_root) and _is_hash(new_root)):
        return False
    path = _as_hashes(proof)
    if path is None or not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not path and hmac.compare_digest(old_root, new_root)
    if old_size == 0:
        return not path and hmac.compare_digest(old_root, EMPTY_ROOT)
    if not path:
        return False
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node of the new tree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)


def _split(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (``n >= 2``): MTH's split point."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_root(leaf_hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH of ``leaf_hashes[lo:hi]`` without copying the slice."""
    builder = TreeBuilder()
    for i in range(lo, hi):
        builder.append(leaf_hashes[i])
    return builder.root()


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _check_hash(value: object, what: str) -> None:
    if not _is_hash(value):
        shown = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise InputError(f"{what} must be {HASH_SIZE} bytes, got {shown}")


def _as_hashes(proof: object) -> list[bytes] | None:
    """The proof as a list of 32-byte hashes, or None if it is not one."""
    if isinstance(proof, (bytes, str)):
        return None
    try:
        path = list(proof)  # type: ignore[call-overload]
    except TypeError:
        return None
    return path if all(_is_hash(p) for p in path) else None
