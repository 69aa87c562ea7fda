"""The audit log's Merkle tree: RFC 9162 shapes with BLAKE3, checked against literal vectors."""

from __future__ import annotations

import pytest
from blake3 import blake3
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance import merkle
from provenance.errors import InputError

# Test vectors. Leaves are the Certificate Transparency test data (RFC 6962 era,
# used by every CT implementation), as raw bytes:
LEAVES = [
    bytes.fromhex(""),
    bytes.fromhex("00"),
    bytes.fromhex("10"),
    bytes.fromhex("2021"),
    bytes.fromhex("3031"),
    bytes.fromhex("40414243"),
    bytes.fromhex("5051525354555657"),
]
# With H = BLAKE3 (32-byte output) and || concatenation:
#   MTH([])      = H(b"")
#   MTH([d])     = H(0x00 || d)
#   MTH(D[0:n])  = H(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k = largest power of 2 < n
# The values below were computed once by a separate, naive recursive
# implementation of exactly these formulas (not by provenance.merkle).
EXPECTED_ROOTS = {
    0: "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
    1: "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213",
    2: "d35bd1e16b877c48d056182ad83ae459a44ae2a0c42497d73048b521b661d966",
    3: "5969a72267bd42acf0b2f4d0749032d41a434c8c2d3d7969d4c5a22a1f78304d",
    4: "d74b65d2a8d18d4e9c7e46d6b40e1844705cf36532ac15d205bd3fca5d2bfa58",
    5: "4cb64056def39595286034a932fbb340cffda1338e639f6eaec0d9f875ef59a7",
    6: "e70d89e0403cf28bab02212d5efeefa7cbeb146a4211198ec326314a6ade37d1",
    7: "502bedc8e0155fea3cff11d2d479550eceb9365ec7cc0fb893a048534b4ab9b5",
}
# RFC 9162 PATH(2, D[0:7]), and SUBPROOF(3, D[0:7], true) / SUBPROOF(4, D[0:7], true),
# from the same naive implementation.
EXPECTED_PATH_2_OF_7 = [
    "b7e7f6fca824a83abf0bc88dd1ee62de9e44a5662e88e9e4516df4325fbaed8e",
    "d35bd1e16b877c48d056182ad83ae459a44ae2a0c42497d73048b521b661d966",
    "28ee5abcae78ac69a88340daf96bb39683430f56cb777736179d257ffeded6e3",
]
EXPECTED_CONSISTENCY_3_TO_7 = [
    "af35b4bbaa746c77cbfb5f3e4badd404be07dfbdb84fd40c73823d2cc7e1b054",
    "b7e7f6fca824a83abf0bc88dd1ee62de9e44a5662e88e9e4516df4325fbaed8e",
    "d35bd1e16b877c48d056182ad83ae459a44ae2a0c42497d73048b521b661d966",
    "28ee5abcae78ac69a88340daf96bb39683430f56cb777736179d257ffeded6e3",
]
EXPECTED_CONSISTENCY_4_TO_7 = [
    "28ee5abcae78ac69a88340daf96bb39683430f56cb777736179d257ffeded6e3",
]


def leaf_hashes(n: int) -> list[bytes]:
    """Hashes of ``n`` distinct leaves."""
    return [merkle.leaf_hash(b"event %d" % i) for i in range(n)]


def flip(data: bytes, position: int) -> bytes:
    """``data`` with every bit of one byte inverted."""
    return data[:position] + bytes([data[position] ^ 0xFF]) + data[position + 1 :]


# --- literal vectors ---------------------------------------------------------


def test_leaf_and_node_hashes_use_the_rfc_9162_prefixes_with_blake3() -> None:
    assert merkle.leaf_hash(b"abc") == blake3(b"\x00abc").digest()
    assert (
        merkle.node_hash(b"L" * 32, b"R" * 32) == blake3(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    )
    assert merkle.EMPTY_ROOT.hex() == EXPECTED_ROOTS[0]


@pytest.mark.parametrize("size", sorted(EXPECTED_ROOTS))
def test_root_matches_the_published_vector(size: int) -> None:
    hashes = [merkle.leaf_hash(d) for d in LEAVES[:size]]
    assert merkle.root(hashes).hex() == EXPECTED_ROOTS[size]


@pytest.mark.parametrize("size", sorted(EXPECTED_ROOTS))
def test_streaming_builder_gives_the_published_root(size: int) -> None:
    builder = merkle.TreeBuilder()
    for data in LEAVES[:size]:
        builder.append(merkle.leaf_hash(data))
    assert builder.size == size
    assert builder.root().hex() == EXPECTED_ROOTS[size]


def test_inclusion_proof_matches_the_published_vector_and_verifies() -> None:
    hashes = [merkle.leaf_hash(d) for d in LEAVES]
    proof = merkle.inclusion_proof(hashes, 2)
    assert [h.hex() for h in proof] == EXPECTED_PATH_2_OF_7
    assert merkle.verify_inclusion(hashes[2], 2, 7, proof, bytes.fromhex(EXPECTED_ROOTS[7]))


@pytest.mark.parametrize(
    ("old_size", "expected"), [(3, EXPECTED_CONSISTENCY_3_TO_7), (4, EXPECTED_CONSISTENCY_4_TO_7)]
)
def test_consistency_proof_matches_the_published_vector_and_verifies(
    old_size: int, expected: list[str]
) -> None:
    hashes = [merkle.leaf_hash(d) for d in LEAVES]
    proof = merkle.consistency_proof(hashes, old_size)
    assert [h.hex() for h in proof] == expected
    assert merkle.verify_consistency(
        old_size,
        7,
        bytes.fromhex(EXPECTED_ROOTS[old_size]),
        bytes.fromhex(EXPECTED_ROOTS[7]),
        proof,
    )


# --- inclusion ---------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_every_inclusion_proof_verifies_and_any_tampering_is_caught(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 70), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    hashes = leaf_hashes(size)
    tree_root = merkle.root(hashes)
    proof = merkle.inclusion_proof(hashes, index)

    assert len(proof) == merkle.inclusion_proof_size(index, size)
    assert merkle.verify_inclusion(hashes[index], index, size, proof, tree_root)

    if proof:
        which = data.draw(st.integers(0, len(proof) - 1), label="proof hash")
        byte = data.draw(st.integers(0, merkle.HASH_SIZE - 1), label="byte")
        tampered = [*proof[:which], flip(proof[which], byte), *proof[which + 1 :]]
        assert not merkle.verify_inclusion(hashes[index], index, size, tampered, tree_root)

    byte = data.draw(st.integers(0, merkle.HASH_SIZE - 1), label="root byte")
    assert not merkle.verify_inclusion(hashes[index], index, size, proof, flip(tree_root, byte))

    if size > 1:
        wrong = data.draw(st.integers(0, size - 1).filter(lambda i: i != index), label="wrong")
        assert not merkle.verify_inclusion(hashes[index], wrong, size, proof, tree_root)
        other = hashes[(index + 1) % size]
        assert not merkle.verify_inclusion(other, index, size, proof, tree_root)


@pytest.mark.parametrize("size", range(1, 71))
def test_inclusion_proofs_verify_for_every_index(size: int) -> None:
    hashes = leaf_hashes(size)
    tree_root = merkle.root(hashes)
    for index in range(size):
        proof = merkle.inclusion_proof(hashes, index)
        assert merkle.verify_inclusion(hashes[index], index, size, proof, tree_root)


def test_malformed_inclusion_proofs_are_rejected_without_raising() -> None:
    hashes = leaf_hashes(7)
    tree_root = merkle.root(hashes)
    proof = merkle.inclusion_proof(hashes, 3)
    leaf = hashes[3]
    assert not merkle.verify_inclusion(leaf, 3, 7, proof[:-1], tree_root)  # too short
    assert not merkle.verify_inclusion(leaf, 3, 7, [*proof, proof[0]], tree_root)  # too long
    assert not merkle.verify_inclusion(leaf, 7, 7, proof, tree_root)  # index past the end
    assert not merkle.verify_inclusion(leaf, -1, 7, proof, tree_root)
    assert not merkle.verify_inclusion(leaf, 3, 0, proof, tree_root)  # empty tree
    assert not merkle.verify_inclusion(leaf, 3, 4, proof, tree_root)  # another shape
    assert not merkle.verify_inclusion(leaf, 3, 7, [p[:31] for p in proof], tree_root)
    assert not merkle.verify_inclusion(leaf, 3, 7, b"".join(proof), tree_root)
    assert not merkle.verify_inclusion(leaf, 3, 7, None, tree_root)  # type: ignore[arg-type]
    assert not merkle.verify_inclusion(leaf, "3", 7, proof, tree_root)  # type: ignore[arg-type]
    assert not merkle.verify_inclusion(leaf[:16], 3, 7, proof, tree_root)
    assert not merkle.verify_inclusion(leaf, 3, 7, proof, tree_root.hex())  # type: ignore[arg-type]


def test_a_proof_alone_does_not_pin_the_tree_size_so_checkpoints_must_sign_it() -> None:
    # As in RFC 9162, the sibling of a subtree is an opaque hash: the proof for
    # leaf 3 of 7 leaves has the same shape as for leaf 3 of 8 leaves and so
    # also "verifies" against the same root claimed for 8 leaves. The size is
    # bound by the signed checkpoint, never by the proof.
    hashes = leaf_hashes(7)
    tree_root = merkle.root(hashes)
    proof = merkle.inclusion_proof(hashes, 3)
    assert merkle.verify_inclusion(hashes[3], 3, 8, proof, tree_root)
    consistency = merkle.consistency_proof(hashes, 3)
    assert merkle.verify_consistency(3, 8, merkle.root(hashes[:3]), tree_root, consistency)


def test_a_tree_of_one_leaf_has_an_empty_proof_and_its_root_is_the_leaf_hash() -> None:
    only = merkle.leaf_hash(b"first event")
    assert merkle.root([only]) == only
    assert merkle.inclusion_proof([only], 0) == []
    assert merkle.verify_inclusion(only, 0, 1, [], only)


def test_asking_for_a_proof_outside_the_tree_is_an_input_error() -> None:
    with pytest.raises(InputError, match="outside a tree of 3 leaves"):
        merkle.inclusion_proof(leaf_hashes(3), 3)
    with pytest.raises(InputError, match="outside a tree of 0 leaves"):
        merkle.inclusion_proof([], 0)


# --- consistency -------------------------------------------------------------


@pytest.mark.parametrize("new_size", range(1, 41))
def test_every_consistency_proof_verifies(new_size: int) -> None:
    hashes = leaf_hashes(new_size)
    new_root = merkle.root(hashes)
    for old_size in range(1, new_size + 1):
        proof = merkle.consistency_proof(hashes, old_size)
        assert len(proof) == merkle.consistency_proof_size(old_size, new_size)
        old_root = merkle.root(hashes[:old_size])
        assert merkle.verify_consistency(old_size, new_size, old_root, new_root, proof), (
            old_size,
            new_size,
        )


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_consistency_fails_for_rewritten_history_or_a_flipped_byte(data: st.DataObject) -> None:
    new_size = data.draw(st.integers(1, 40), label="new size")
    old_size = data.draw(st.integers(1, new_size), label="old size")
    hashes = leaf_hashes(new_size)
    old_root = merkle.root(hashes[:old_size])

    # The log rewrites one event it had already published, then keeps growing.
    changed = data.draw(st.integers(0, old_size - 1), label="rewritten leaf")
    rewritten = list(hashes)
    rewritten[changed] = merkle.leaf_hash(b"rewritten")
    forged_root = merkle.root(rewritten)
    forged_proof = merkle.consistency_proof(rewritten, old_size)
    assert not merkle.verify_consistency(old_size, new_size, old_root, forged_root, forged_proof)

    proof = merkle.consistency_proof(hashes, old_size)
    new_root = merkle.root(hashes)
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1), label="proof hash")
        byte = data.draw(st.integers(0, merkle.HASH_SIZE - 1), label="byte")
        tampered = [*proof[:which], flip(proof[which], byte), *proof[which + 1 :]]
        assert not merkle.verify_consistency(old_size, new_size, old_root, new_root, tampered)
    byte = data.draw(st.integers(0, merkle.HASH_SIZE - 1), label="root byte")
    assert not merkle.verify_consistency(old_size, new_size, flip(old_root, byte), new_root, proof)
    assert not merkle.verify_consistency(old_size, new_size, old_root, flip(new_root, byte), proof)


def test_malformed_consistency_proofs_are_rejected_without_raising() -> None:
    hashes = leaf_hashes(7)
    old_root, new_root = merkle.root(hashes[:3]), merkle.root(hashes)
    proof = merkle.consistency_proof(hashes, 3)
    assert merkle.verify_consistency(3, 7, old_root, new_root, proof)
    assert not merkle.verify_consistency(3, 7, old_root, new_root, [])
    assert not merkle.verify_consistency(3, 7, old_root, new_root, proof[:-1])
    assert not merkle.verify_consistency(3, 7, old_root, new_root, [*proof, proof[0]])
    assert not merkle.verify_consistency(7, 3, new_root, old_root, proof)  # shrinking
    assert not merkle.verify_consistency(3, 4, old_root, new_root, proof)  # wrong new size
    assert not merkle.verify_consistency(2, 7, old_root, new_root, proof)  # wrong old size
    assert not merkle.verify_consistency(-1, 7, old_root, new_root, proof)
    assert not merkle.verify_consistency(3, 7, old_root, new_root, None)  # type: ignore[arg-type]
    assert not merkle.verify_consistency(3, 7, old_root[:5], new_root, proof)
    assert not merkle.verify_consistency(3, 7, old_root, new_root, [b"x" * 33, *proof[1:]])


def test_trivial_consistency_needs_an_empty_proof_and_matching_roots() -> None:
    hashes = leaf_hashes(5)
    tree_root = merkle.root(hashes)
    assert merkle.consistency_proof(hashes, 5) == []
    assert merkle.consistency_proof(hashes, 0) == []
    assert merkle.verify_consistency(5, 5, tree_root, tree_root, [])
    assert not merkle.verify_consistency(5, 5, tree_root, merkle.EMPTY_ROOT, [])
    assert not merkle.verify_consistency(5, 5, tree_root, tree_root, [tree_root])
    assert merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, tree_root, [])
    assert not merkle.verify_consistency(0, 5, tree_root, tree_root, [])


def test_asking_for_consistency_with_a_larger_old_tree_is_an_input_error() -> None:
    with pytest.raises(InputError, match="old tree size 4"):
        merkle.consistency_proof(leaf_hashes(3), 4)


# --- streaming root ----------------------------------------------------------


def test_streaming_builder_root_equals_the_batch_root_at_every_size() -> None:
    hashes = leaf_hashes(300)
    builder = merkle.TreeBuilder()
    assert builder.root() == merkle.root([])
    for n, h in enumerate(hashes, start=1):
        builder.append(h)
        assert builder.root() == merkle.root(hashes[:n]), n


def _mth(hashes: list[bytes]) -> bytes:
    """MTH straight from its recursive definition, for comparison."""
    if not hashes:
        return blake3(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return blake3(b"\x01" + _mth(hashes[:k]) + _mth(hashes[k:])).digest()


def test_roots_at_every_prefix_equal_the_recursive_definition_in_one_pass() -> None:
    hashes = leaf_hashes(130)
    roots = merkle.roots_at(hashes, range(131))
    assert sorted(roots) == list(range(131))
    for m, value in roots.items():
        assert value == _mth(hashes[:m]), m
    assert merkle.roots_at(hashes, []) == {}
    for bad in (-1, 131, True, "3"):
        with pytest.raises(InputError, match="tree size"):
            merkle.roots_at(hashes, [bad])


def test_streaming_builder_keeps_logarithmic_state() -> None:
    builder = merkle.TreeBuilder()
    for h in leaf_hashes(1000):
        builder.append(h)
    assert len(builder._stack) == bin(1000).count("1")


def test_a_leaf_hash_of_the_wrong_length_is_an_input_error() -> None:
    with pytest.raises(InputError, match="32 bytes, got 3 bytes"):
        merkle.TreeBuilder().append(b"abc")
    with pytest.raises(InputError, match="32 bytes, got str"):
        merkle.root(["0" * 32])  # type: ignore[list-item]


def test_a_hundred_thousand_events_are_hashed_and_proved_quickly() -> None:
    hashes = leaf_hashes(100_000)
    tree_root = merkle.root(hashes)
    proof = merkle.inclusion_proof(hashes, 12_345)
    assert merkle.verify_inclusion(hashes[12_345], 12_345, 100_000, proof, tree_root)
    assert len(proof) == 17
    consistency = merkle.consistency_proof(hashes, 65_537)
    old_root = merkle.root(hashes[:65_537])
    assert merkle.verify_consistency(65_537, 100_000, old_root, tree_root, consistency)
