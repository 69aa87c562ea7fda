"""Signed checkpoints of the audit log and the proof bundles handed to outside auditors."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from blake3 import blake3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance import merkle
from provenance.checkpoint import (
    Checkpoint,
    ConsistencyProofBundle,
    InclusionProofBundle,
    bundle_from_json,
    generate_keypair,
    key_id,
    load_private_key,
    load_public_key,
    private_key_from_pem,
    public_key_from_pem,
    sign_checkpoint,
    verify_bundle,
    verify_checkpoint,
    write_keypair,
)
from provenance.errors import InputError

ORIGIN = "newsroom.example/audit"
TIMESTAMP = "2024-05-01T12:00:00Z"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def events(n: int) -> list[str]:
    """Canonical JSON of ``n`` distinct events."""
    return [json.dumps({"event": "version.created", "seq": i}, sort_keys=True) for i in range(n)]


def hashes_of(leaves: list[str]) -> list[bytes]:
    return [merkle.leaf_hash(e.encode("utf-8")) for e in leaves]


def checkpoint_of(leaves: list[str], key: Ed25519PrivateKey = KEY) -> Checkpoint:
    return sign_checkpoint(key, ORIGIN, len(leaves), merkle.root(hashes_of(leaves)), TIMESTAMP)


def inclusion_bundle(n: int = 7, index: int = 3) -> InclusionProofBundle:
    leaves = events(n)
    return InclusionProofBundle(
        checkpoint=checkpoint_of(leaves).to_text(),
        leaf=leaves[index],
        leaf_index=index,
        tree_size=n,
        proof=tuple(merkle.inclusion_proof(hashes_of(leaves), index)),
    )


def consistency_bundle(old: int = 3, new: int = 7) -> ConsistencyProofBundle:
    leaves = events(new)
    return ConsistencyProofBundle(
        old_checkpoint=checkpoint_of(leaves[:old]).to_text(),
        new_checkpoint=checkpoint_of(leaves).to_text(),
        proof=tuple(merkle.consistency_proof(hashes_of(leaves), old)),
    )


def edit_json(text: str, **changes: object) -> str:
    fields = json.loads(text)
    fields.update(changes)
    return json.dumps(fields)


# --- keys --------------------------------------------------------------------


def test_generated_keys_are_ed25519_pem_and_belong_together() -> None:
    private_pem, public_pem = generate_keypair()
    assert private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    private_key = private_key_from_pem(private_pem)
    public_key = public_key_from_pem(public_pem)
    assert key_id(private_key.public_key()) == key_id(public_key)


def test_key_id_is_blake3_of_the_raw_public_key_truncated_to_8_hex_digits() -> None:
    raw = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert key_id(KEY.public_key()) == blake3(raw).hexdigest()[:8]


def test_written_private_key_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    private_path, public_path = write_keypair(tmp_path)
    assert private_path == tmp_path / "checkpoint.key"
    assert public_path == tmp_path / "checkpoint.pub"
    assert stat.S_IMODE(os.stat(private_path).st_mode) == 0o600
    private_key = load_private_key(private_path)
    public_key = load_public_key(public_path)
    checkpoint = sign_checkpoint(private_key, ORIGIN, 0, merkle.EMPTY_ROOT, TIMESTAMP)
    assert verify_checkpoint(checkpoint, public_key)


def test_writing_a_key_to_a_file_path_puts_the_public_key_beside_it(tmp_path: Path) -> None:
    private_path, public_path = write_keypair(tmp_path / "log.pem")
    assert public_path == tmp_path / "log.pem.pub"
    assert stat.S_IMODE(os.stat(private_path).st_mode) == 0o600


def test_an_existing_key_is_never_overwritten(tmp_path: Path) -> None:
    private_path, _ = write_keypair(tmp_path)
    before = private_path.read_bytes()
    with pytest.raises(InputError, match="already exists"):
        write_keypair(tmp_path)
    assert private_path.read_bytes() == before


def test_loading_a_missing_or_wrong_key_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read key file"):
        load_private_key(tmp_path / "absent.key")
    not_a_key = tmp_path / "notes.txt"
    not_a_key.write_text("hello")
    with pytest.raises(InputError, match=r"notes\.txt"):
        load_public_key(not_a_key)
    _, public_path = write_keypair(tmp_path)
    with pytest.raises(InputError, match="private key"):
        load_private_key(public_path)


# --- checkpoints -------------------------------------------------------------


def test_checkpoint_text_has_the_signed_note_layout() -> None:
    tree_root = merkle.root(hashes_of(events(7)))
    checkpoint = sign_checkpoint(KEY, ORIGIN, 7, tree_root, TIMESTAMP)
    lines = checkpoint.to_text().split("\n")
    assert lines[:5] == [ORIGIN, "7", base64.b64encode(tree_root).decode(), TIMESTAMP, ""]
    dash, name, blob = lines[5].split(" ")
    assert (dash, name) == ("\u2014", ORIGIN)
    decoded = base64.b64decode(blob)
    assert decoded[:4].hex() == key_id(KEY.public_key()) == checkpoint.key_id
    assert decoded[4:] == checkpoint.signature
    assert lines[6:] == [""]  # ends with one newline
    assert checkpoint.body() == "\n".join(lines[:4]).encode() + b"\n"


@settings(max_examples=100, deadline=None)
@given(
    origin=st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x2FFF, exclude_characters="+\u2014"),
        min_size=1,
        max_size=40,
    ).filter(lambda s: s.isprintable() and not any(c.isspace() for c in s)),
    size=st.integers(0, 2**63),
    tree_root=st.binary(min_size=32, max_size=32),
    moment=st.datetimes(timezones=st.just(datetime.UTC)),
)
def test_checkpoint_text_round_trips(
    origin: str, size: int, tree_root: bytes, moment: datetime.datetime
) -> None:
    checkpoint = sign_checkpoint(KEY, origin, size, tree_root, moment)
    parsed = Checkpoint.from_text(checkpoint.to_text())
    assert parsed == checkpoint
    assert verify_checkpoint(parsed, KEY.public_key())


def test_timestamps_are_stored_in_utc_to_the_second() -> None:
    paris = datetime.timezone(datetime.timedelta(hours=2))
    moment = datetime.datetime(2024, 5, 1, 14, 0, 0, 999_999, tzinfo=paris)
    checkpoint = sign_checkpoint(KEY, ORIGIN, 1, merkle.EMPTY_ROOT, moment)
    assert checkpoint.timestamp == "2024-05-01T12:00:00Z"
    with pytest.raises(InputError, match="timezone-aware"):
        sign_checkpoint(KEY, ORIGIN, 1, merkle.EMPTY_ROOT, moment.replace(tzinfo=None))
    with pytest.raises(InputError, match="YYYY-MM-DDTHH:MM:SSZ"):
        sign_checkpoint(KEY, ORIGIN, 1, merkle.EMPTY_ROOT, "2024-05-01 12:00:00")


@pytest.mark.parametrize(
    "change",
    [
        {"origin": "newsroom.example/other"},
        {"size": 8},
        {"root": bytes(32)},
        {"timestamp": "2024-05-01T12:00:01Z"},
        {"key_id": "00000000"},
        {"signature": bytes(64)},
    ],
    ids=lambda change: next(iter(change)),
)
def test_changing_any_field_breaks_the_signature(change: dict[str, object]) -> None:
    checkpoint = checkpoint_of(events(7))
    assert verify_checkpoint(checkpoint, KEY.public_key())
    assert not verify_checkpoint(dataclasses.replace(checkpoint, **change), KEY.public_key())


def test_another_key_does_not_verify_the_checkpoint() -> None:
    checkpoint = checkpoint_of(events(7))
    assert not verify_checkpoint(checkpoint, OTHER_KEY.public_key())
    # Even when the key id is made to match the other key.
    renamed = dataclasses.replace(checkpoint, key_id=key_id(OTHER_KEY.public_key()))
    assert not verify_checkpoint(renamed, OTHER_KEY.public_key())


def test_verifying_garbage_returns_false_instead_of_raising() -> None:
    assert not verify_checkpoint("not a checkpoint", KEY.public_key())  # type: ignore[arg-type]
    assert not verify_checkpoint(checkpoint_of(events(1)), None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda t: t.replace("\n\n", "\n"), "no blank line"),
        (lambda t: t.replace("\n7\n", "\n07\n"), "not a decimal number"),
        (lambda t: t.replace("\n7\n", "\n-7\n"), "not a decimal number"),
        (lambda t: t.replace(TIMESTAMP, "2024-05-01T12:00:00+00:00"), "YYYY-MM-DDTHH:MM:SSZ"),
        (lambda t: t.replace(TIMESTAMP, "2024-02-30T12:00:00Z"), "not a real date"),
        (lambda t: t.replace("\u2014 ", "- "), "must start with"),
        (lambda t: t.replace(f"\u2014 {ORIGIN}", "\u2014 someone.else"), "signed as"),
        (lambda t: t + "\u2014 witness AAAA\n", "exactly one signature line"),
        (lambda t: t.rstrip("\n"), "exactly one signature line"),
        (lambda t: t.replace(TIMESTAMP, f"{TIMESTAMP}\nextra"), "must have 4 lines"),
    ],
)
def test_malformed_checkpoint_text_is_an_input_error_saying_what_is_wrong(
    mangle: Callable[[str], str], message: str
) -> None:
    text = checkpoint_of(events(7)).to_text()
    with pytest.raises(InputError, match=message):
        Checkpoint.from_text(mangle(text))


def test_a_root_line_that_is_not_32_bytes_of_canonical_base64_is_rejected() -> None:
    checkpoint = checkpoint_of(events(7))
    text = checkpoint.to_text()
    root_line = base64.b64encode(checkpoint.root).decode()
    with pytest.raises(InputError, match="32 bytes"):
        Checkpoint.from_text(text.replace(root_line, base64.b64encode(bytes(31)).decode()))
    with pytest.raises(InputError, match="base64"):
        Checkpoint.from_text(text.replace(root_line, root_line[:-1] + "!"))


# --- inclusion bundles -------------------------------------------------------


def test_an_inclusion_bundle_verifies_without_any_database() -> None:
    outcome = verify_bundle(inclusion_bundle().to_json(), KEY.public_key())
    assert outcome.ok
    assert outcome.kind == "inclusion"
    assert outcome.reasons == ()


def test_inclusion_bundle_json_round_trips_with_hex_proof_hashes() -> None:
    bundle = inclusion_bundle()
    text = bundle.to_json()
    fields = json.loads(text)
    assert fields["kind"] == "inclusion"
    assert fields["version"] == 1
    assert fields["proof"] == [h.hex() for h in bundle.proof]
    assert InclusionProofBundle.from_json(text) == bundle
    assert bundle_from_json(text) == bundle


@pytest.mark.parametrize("size", [1, 2, 5, 16, 33])
def test_every_leaf_of_a_signed_tree_has_a_verifying_bundle(size: int) -> None:
    for index in range(size):
        assert verify_bundle(inclusion_bundle(size, index).to_json(), KEY.public_key()).ok


def test_an_altered_event_fails_because_the_proof_misses_the_root() -> None:
    text = inclusion_bundle().to_json()
    altered = edit_json(text, leaf=json.loads(text)["leaf"].replace("version", "Version"))
    outcome = verify_bundle(altered, KEY.public_key())
    assert not outcome.ok
    assert len(outcome.reasons) == 1
    assert "inclusion proof does not lead to the checkpoint's root" in outcome.reasons[0]


def test_a_flipped_proof_hash_fails_because_the_proof_misses_the_root() -> None:
    text = inclusion_bundle().to_json()
    proof = json.loads(text)["proof"]
    proof[1] = ("0" if proof[1][0] != "0" else "1") + proof[1][1:]
    outcome = verify_bundle(edit_json(text, proof=proof), KEY.public_key())
    assert outcome.reasons == (
        "inclusion proof does not lead to the checkpoint's root: leaf 3 "
        "(its data or its proof) is not what the log of size 7 holds",
    )


def test_a_checkpoint_from_another_key_fails_naming_both_keys() -> None:
    bundle = inclusion_bundle()
    outcome = verify_bundle(bundle.to_json(), OTHER_KEY.public_key())
    assert not outcome.ok
    assert outcome.reasons == (
        f"checkpoint names signing key {key_id(KEY.public_key())}, "
        f"but the given public key is {key_id(OTHER_KEY.public_key())}",
    )


def test_a_tampered_checkpoint_fails_on_its_signature_and_its_proof() -> None:
    bundle = inclusion_bundle()
    checkpoint = Checkpoint.from_text(bundle.checkpoint)
    forged = dataclasses.replace(checkpoint, root=merkle.leaf_hash(b"forged")).to_text()
    outcome = verify_bundle(
        dataclasses.replace(bundle, checkpoint=forged).to_json(), KEY.public_key()
    )
    assert not outcome.ok
    assert outcome.reasons[0] == (
        f"signature of checkpoint does not verify with key {key_id(KEY.public_key())}"
    )
    assert "inclusion proof does not lead to the checkpoint's root" in outcome.reasons[1]


def test_a_proof_of_the_wrong_length_is_reported_as_such() -> None:
    bundle = inclusion_bundle()
    short = dataclasses.replace(bundle, proof=bundle.proof[:-1])
    outcome = verify_bundle(short.to_json(), KEY.public_key())
    assert outcome.reasons == ("inclusion proof has 2 hashes; leaf 3 of a tree of 7 needs 3",)


def test_a_tree_size_that_disagrees_with_the_checkpoint_is_reported() -> None:
    text = inclusion_bundle().to_json()
    outcome = verify_bundle(edit_json(text, tree_size=8), KEY.public_key())
    assert outcome.reasons == ("bundle tree size 8 differs from the checkpoint's size 7",)
    outcome = verify_bundle(
        edit_json(text, leaf_index=7, tree_size=7), KEY.public_key()
    )  # index past the end
    assert outcome.reasons == ("leaf index 7 is outside a tree of 7 leaves",)


def test_an_unreadable_checkpoint_in_a_bundle_is_reported() -> None:
    text = inclusion_bundle().to_json()
    outcome = verify_bundle(edit_json(text, checkpoint="garbage"), KEY.public_key())
    assert not outcome.ok
    assert outcome.reasons[0].startswith("checkpoint cannot be read: ")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"proof": ["xyz"]}, "'proof' item 0 must be 64 lowercase hex digits"),
        ({"proof": "abc"}, "'proof' must be a list"),
        ({"leaf_index": -1}, "'leaf_index' must be an integer >= 0"),
        ({"tree_size": True}, "'tree_size' must be an integer >= 0"),
        ({"leaf": 5}, "'leaf' must be a string"),
        ({"version": 2}, "'version' must be 1"),
        ({"extra": 1}, "unknown field"),
    ],
)
def test_malformed_bundle_fields_fail_with_a_clear_message(
    changes: dict[str, object], message: str
) -> None:
    text = edit_json(inclusion_bundle().to_json(), **changes)
    with pytest.raises(InputError, match=message):
        InclusionProofBundle.from_json(text)
    outcome = verify_bundle(text, KEY.public_key())
    assert not outcome.ok
    assert outcome.kind == "inclusion"
    assert outcome.reasons[0].startswith("bundle is malformed: ")
    assert message in outcome.reasons[0]


def test_a_bundle_missing_a_field_names_it() -> None:
    fields = json.loads(inclusion_bundle().to_json())
    del fields["leaf"]
    with pytest.raises(InputError, match=r"lacks field.*leaf"):
        InclusionProofBundle.from_json(json.dumps(fields))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"kind": "receipt"}', "'inclusion' or 'consistency'"),
    ],
)
def test_text_that_is_not_a_bundle_is_an_input_error(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        verify_bundle(text, KEY.public_key())


def test_a_consistency_bundle_is_not_read_as_an_inclusion_bundle() -> None:
    with pytest.raises(InputError, match="'kind' must be 'inclusion'"):
        InclusionProofBundle.from_json(consistency_bundle().to_json())


# --- consistency bundles -----------------------------------------------------


def test_a_consistency_bundle_verifies_without_any_database() -> None:
    bundle = consistency_bundle()
    assert ConsistencyProofBundle.from_json(bundle.to_json()) == bundle
    outcome = verify_bundle(bundle.to_json(), KEY.public_key())
    assert outcome.ok
    assert outcome.kind == "consistency"
    assert outcome.reasons == ()


@pytest.mark.parametrize(("old", "new"), [(1, 1), (1, 2), (3, 7), (4, 7), (8, 9), (0, 5)])
def test_consistency_bundles_verify_for_growing_logs(old: int, new: int) -> None:
    assert verify_bundle(consistency_bundle(old, new).to_json(), KEY.public_key()).ok


def test_a_rewritten_history_fails_the_consistency_bundle() -> None:
    leaves = events(7)
    old = checkpoint_of(leaves[:3])
    leaves[1] = json.dumps({"event": "version.deleted", "seq": 1})  # history rewritten
    bundle = ConsistencyProofBundle(
        old_checkpoint=old.to_text(),
        new_checkpoint=checkpoint_of(leaves).to_text(),
        proof=tuple(merkle.consistency_proof(hashes_of(leaves), 3)),
    )
    outcome = verify_bundle(bundle.to_json(), KEY.public_key())
    assert not outcome.ok
    assert outcome.reasons == (
        "consistency proof does not connect the old root (size 3) to the new root (size 7): "
        "the log's first 3 events were not kept as they were",
    )


def test_a_shrinking_log_or_another_log_fails_the_consistency_bundle() -> None:
    bundle = consistency_bundle(3, 7)
    swapped = ConsistencyProofBundle(bundle.new_checkpoint, bundle.old_checkpoint, bundle.proof)
    outcome = verify_bundle(swapped.to_json(), KEY.public_key())
    assert outcome.reasons == ("old checkpoint's size 7 is larger than the new one's 3",)

    leaves = events(7)
    elsewhere = sign_checkpoint(
        KEY, "other.example/log", 7, merkle.root(hashes_of(leaves)), TIMESTAMP
    )
    moved = dataclasses.replace(bundle, new_checkpoint=elsewhere.to_text())
    outcome = verify_bundle(moved.to_json(), KEY.public_key())
    assert outcome.reasons == (
        f"checkpoints are of different logs: {ORIGIN!r} and 'other.example/log'",
    )


def test_a_consistency_bundle_reports_each_bad_signature() -> None:
    bundle = consistency_bundle(3, 7)
    old = Checkpoint.from_text(bundle.old_checkpoint)
    new = Checkpoint.from_text(bundle.new_checkpoint)
    forged = ConsistencyProofBundle(
        dataclasses.replace(old, timestamp="2020-01-01T00:00:00Z").to_text(),
        dataclasses.replace(new, size=8).to_text(),
        bundle.proof,
    )
    outcome = verify_bundle(forged.to_json(), KEY.public_key())
    kid = key_id(KEY.public_key())
    assert outcome.reasons[:2] == (
        f"signature of old checkpoint does not verify with key {kid}",
        f"signature of new checkpoint does not verify with key {kid}",
    )
