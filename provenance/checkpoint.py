"""Signed tree heads ("checkpoints") of the audit log, and proof bundles for outside auditors.

A checkpoint says: "the log called <origin> had <size> events whose Merkle
root was <root>, at <timestamp>", signed with the log's Ed25519 key. Anyone
holding the public key can check it, and with a `merkle` proof can then check
that an event is in the log or that a later checkpoint only appended to an
earlier one. Nothing here needs the database.

Text form, modelled on C2SP tlog-checkpoint / signed-note
(https://c2sp.org/tlog-checkpoint, https://c2sp.org/signed-note)::

    <origin>
    <size, decimal>
    <root, standard base64>
    <timestamp, YYYY-MM-DDTHH:MM:SSZ>
    <empty line>
    — <origin> <base64(key id (4 bytes) || Ed25519 signature (64 bytes))>

The signature covers the four body lines, each ending in "\\n", as UTF-8 bytes
(the note text). The key name on the signature line is the origin, as is usual
for logs. Unlike C2SP, the key id is ``BLAKE3(raw 32-byte Ed25519 public key)``
truncated to 4 bytes (8 hex digits in `Checkpoint.key_id`), so notes signed
here are not meant to be checked by C2SP tools; the layout is what is shared.
The key id is a hint, not signed; `verify_checkpoint` requires it to match
the key it is given.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from blake3 import blake3
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from provenance import merkle
from provenance.errors import InputError, ProvenanceError

SIGNATURE_SIZE = 64
KEY_ID_SIZE = 4
PRIVATE_KEY_FILE = "checkpoint.key"
PUBLIC_KEY_FILE = "checkpoint.pub"
BUNDLE_VERSION = 1

_SIG_PREFIX = "\u2014 "  # em dash and space, as in C2SP signed notes
_TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_SIZE_RE = re.compile(r"0|[1-9][0-9]*")
_KEY_ID_RE = re.compile(r"[0-9a-f]{8}")
_HEX_HASH_RE = re.compile(r"[0-9a-f]{64}")

# ---------------------------------------------------------------------------
# Keys


def generate_keypair() -> tuple[bytes, bytes]:
    """A new Ed25519 key pair as (private key PEM (PKCS#8, unencrypted), public key PEM)."""
    private_key = Ed25519PrivateKey.generate()
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return private_pem, _public_pem(private_key.public_key())


def write_keypair(dir_or_path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Generate a key pair and write it; return (private key path, public key path).

    Given a directory, writes ``checkpoint.key`` and ``checkpoint.pub`` in it;
    given a file path, writes the private key there and the public key next
    to it with ``.pub`` appended. The private key file is created with mode
    0600 (owner only) by ``os.open``, so it is never readable by others, not
    even briefly. Raises `InputError` rather than overwrite an existing key.
    """
    target = Path(dir_or_path)
    if target.is_dir():
        private_path, public_path = target / PRIVATE_KEY_FILE, target / PUBLIC_KEY_FILE
    else:
        private_path, public_path = target, target.with_name(target.name + ".pub")
    for path in (private_path, public_path):
        if path.exists() or path.is_symlink():
            raise InputError(f"{path}: a key file already exists; refusing to overwrite it")
    private_pem, public_pem = generate_keypair()
    _write_new_file(private_path, private_pem, 0o600)
    try:
        _write_new_file(public_path, public_pem, 0o644)
    except InputError:
        private_path.unlink(missing_ok=True)
        raise
    return private_path, public_path


def private_key_from_pem(pem: bytes) -> Ed25519PrivateKey:
    """The Ed25519 private key in this PEM text; `InputError` if it is not one."""
    try:
        key = serialization.load_pem_private_key(bytes(pem), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InputError(f"not an unencrypted Ed25519 private key in PEM form ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"not an Ed25519 private key (found {type(key).__name__})")
    return key


def public_key_from_pem(pem: bytes) -> Ed25519PublicKey:
    """The Ed25519 public key in this PEM text; `InputError` if it is not one."""
    try:
        key = serialization.load_pem_public_key(bytes(pem))
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InputError(f"not an Ed25519 public key in PEM form ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"not an Ed25519 public key (found {type(key).__name__})")
    return key


def load_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Read an Ed25519 private key from a PEM file that only its owner can read.

    A key file open to the group or to others (as a copy under umask 022 is)
    is refused, as ssh refuses one: whoever can read it can sign checkpoints.
    """
    try:
        key = private_key_from_pem(_read(path))
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    mode = os.stat(path).st_mode & 0o777
    if mode & 0o077:
        raise InputError(
            f"{path}: the private key is open to its group or others (mode {mode:04o}); "
            f"make it private with: chmod 600 {path}"
        )
    return key


def load_public_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    """Read an Ed25519 public key from a PEM file."""
    try:
        return public_key_from_pem(_read(path))
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def key_id(public_key: Ed25519PublicKey) -> str:
    """Short name of a public key: first 8 hex digits of BLAKE3 of its raw 32 bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return blake3(raw).hexdigest()[: 2 * KEY_ID_SIZE]


# ---------------------------------------------------------------------------
# Checkpoints


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed tree head: the log ``origin`` had ``size`` leaves with Merkle ``root``.

    Construction checks the shape of every field (raising `InputError`), not
    the signature: use `verify_checkpoint` for that.
    """

    origin: str
    size: int
    root: bytes
    timestamp: str
    key_id: str
    signature: bytes

    def __post_init__(self) -> None:
        _check_origin(self.origin)
        if not isinstance(self.size, int) or isinstance(self.size, bool) or self.size < 0:
            raise InputError(f"checkpoint size must be an integer >= 0, got {self.size!r}")
        if not isinstance(self.root, bytes) or len(self.root) != merkle.HASH_SIZE:
            raise InputError(f"checkpoint root must be {merkle.HASH_SIZE} bytes")
        _check_timestamp(self.timestamp)
        if not isinstance(self.key_id, str) or not _KEY_ID_RE.fullmatch(self.key_id):
            raise InputError(
                f"checkpoint key id must be 8 lowercase hex digits, got {self.key_id!r}"
            )
        if not isinstance(self.signature, bytes) or len(self.signature) != SIGNATURE_SIZE:
            raise InputError(f"checkpoint signature must be {SIGNATURE_SIZE} bytes")

    def body(self) -> bytes:
        """The signed text: origin, size, base64 root and timestamp lines, UTF-8."""
        return _body(self.origin, self.size, self.root, self.timestamp)

    def to_text(self) -> str:
        """The publishable text form (see the module docstring)."""
        blob = bytes.fromhex(self.key_id) + self.signature
        return (
            self.body().decode("utf-8")
            + "\n"
            + f"{_SIG_PREFIX}{self.origin} {base64.b64encode(blob).decode('ascii')}\n"
        )

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse the text form strictly; `InputError` says what is wrong.

        Exactly one signature line is accepted, and its key name must be the
        origin. Parsing does not check the signature.
        """
        if not isinstance(text, str):
            raise InputError("checkpoint text must be a string")
        head, sep, tail = text.partition("\n\n")
        if not sep:
            raise InputError("checkpoint text has no blank line between body and signature")
        lines = head.split("\n")
        if len(lines) != 4:
            raise InputError(
                "checkpoint body must have 4 lines (origin, size, root, timestamp), "
                f"found {len(lines)}"
            )
        origin, size_text, root_text, timestamp = lines
        if not _SIZE_RE.fullmatch(size_text):
            raise InputError(f"checkpoint size line {size_text!r} is not a decimal number")
        root = _b64decode(root_text, "checkpoint root line")
        if len(root) != merkle.HASH_SIZE:
            raise InputError(f"checkpoint root must be {merkle.HASH_SIZE} bytes, got {len(root)}")
        if not tail.endswith("\n") or "\n" in tail[:-1]:
            raise InputError("checkpoint must end with exactly one signature line and a newline")
        sig_line = tail[:-1]
        if not sig_line.startswith(_SIG_PREFIX):
            raise InputError("checkpoint signature line must start with '\u2014 '")
        parts = sig_line[len(_SIG_PREFIX) :].split(" ")
        if len(parts) != 2:
            raise InputError("checkpoint signature line must be '\u2014 <key name> <base64>'")
        name, blob_text = parts
        if name != origin:
            raise InputError(f"checkpoint is signed as {name!r}, not by its origin {origin!r}")
        blob = _b64decode(blob_text, "checkpoint signature")
        if len(blob) != KEY_ID_SIZE + SIGNATURE_SIZE:
            raise InputError(
                f"checkpoint signature must decode to {KEY_ID_SIZE + SIGNATURE_SIZE} bytes, "
                f"got {len(blob)}"
            )
        return cls(
            origin=origin,
            size=int(size_text),
            root=root,
            timestamp=timestamp,
            key_id=blob[:KEY_ID_SIZE].hex(),
            signature=blob[KEY_ID_SIZE:],
        )


def sign_checkpoint(
    private_key: Ed25519PrivateKey,
    origin: str,
    size: int,
    root: bytes,
    timestamp: str | datetime | None = None,
) -> Checkpoint:
    """Sign a tree head. ``timestamp`` defaults to now; a datetime must be timezone-aware.

    Timestamps are kept to the second, in UTC, as ``YYYY-MM-DDTHH:MM:SSZ``.
    """
    if timestamp is None:
        timestamp = datetime.now(UTC)
    if isinstance(timestamp, datetime):
        if timestamp.tzinfo is None:
            raise InputError("checkpoint timestamp must be timezone-aware")
        utc = timestamp.astimezone(UTC).replace(microsecond=0, tzinfo=None)
        timestamp = utc.isoformat(timespec="seconds") + "Z"
    _check_origin(origin)
    _check_timestamp(timestamp)
    if not isinstance(root, bytes) or len(root) != merkle.HASH_SIZE:
        raise InputError(f"checkpoint root must be {merkle.HASH_SIZE} bytes")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InputError(f"checkpoint size must be an integer >= 0, got {size!r}")
    signature = private_key.sign(_body(origin, size, root, timestamp))
    return Checkpoint(origin, size, root, timestamp, key_id(private_key.public_key()), signature)


def verify_checkpoint(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> bool:
    """True if ``checkpoint`` names this key and its signature is valid. Never raises."""
    try:
        if checkpoint.key_id != key_id(public_key):
            return False
        public_key.verify(checkpoint.signature, checkpoint.body())
    except (InvalidSignature, ValueError, TypeError, AttributeError, ProvenanceError):
        return False
    return True


# ---------------------------------------------------------------------------
# Proof bundles


@dataclass(frozen=True, slots=True)
class InclusionProofBundle:
    """Everything an auditor needs to check that one event is in a signed log state.

    ``leaf`` is the event's canonical JSON; its leaf hash is
    ``merkle.leaf_hash(leaf.encode("utf-8"))``.
    """

    checkpoint: str
    leaf: str
    leaf_index: int
    tree_size: int
    proof: tuple[bytes, ...]

    def to_json(self) -> str:
        """The bundle as JSON, proof hashes in lowercase hex."""
        return _dumps(
            {
                "kind": "inclusion",
                "version": BUNDLE_VERSION,
                "checkpoint": self.checkpoint,
                "leaf_index": self.leaf_index,
                "tree_size": self.tree_size,
                "leaf": self.leaf,
                "proof": [h.hex() for h in self.proof],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> InclusionProofBundle:
        """Parse `to_json` output; `InputError` names the field that is wrong."""
        obj = _load_bundle(text, "inclusion", ("checkpoint", "leaf_index", "tree_size", "leaf"))
        leaf = _text(obj, "leaf")
        try:
            leaf.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError("bundle field 'leaf' is not encodable as UTF-8") from None
        return cls(
            checkpoint=_text(obj, "checkpoint"),
            leaf=leaf,
            leaf_index=_count(obj, "leaf_index"),
            tree_size=_count(obj, "tree_size"),
            proof=_proof(obj),
        )


@dataclass(frozen=True, slots=True)
class ConsistencyProofBundle:
    """Everything an auditor needs to check that the log only grew between two checkpoints."""

    old_checkpoint: str
    new_checkpoint: str
    proof: tuple[bytes, ...]

    def to_json(self) -> str:
        """The bundle as JSON, proof hashes in lowercase hex."""
        return _dumps(
            {
                "kind": "consistency",
                "version": BUNDLE_VERSION,
                "old_checkpoint": self.old_checkpoint,
                "new_checkpoint": self.new_checkpoint,
                "proof": [h.hex() for h in self.proof],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ConsistencyProofBundle:
        """Parse `to_json` output; `InputError` names the field that is wrong."""
        obj = _load_bundle(text, "consistency", ("old_checkpoint", "new_checkpoint"))
        return cls(
            old_checkpoint=_text(obj, "old_checkpoint"),
            new_checkpoint=_text(obj, "new_checkpoint"),
            proof=_proof(obj),
        )


BundleKind = Literal["inclusion", "consistency"]


@dataclass(frozen=True, slots=True)
class VerifyOutcome:
    """Result of `verify_bundle`: ``ok`` only if every check passed; else each failure, in words."""

    ok: bool
    kind: BundleKind
    reasons: tuple[str, ...]


def bundle_from_json(text: str) -> InclusionProofBundle | ConsistencyProofBundle:
    """Parse either kind of bundle, chosen by its ``"kind"`` field."""
    kind = _bundle_kind(text)
    if kind == "inclusion":
        return InclusionProofBundle.from_json(text)
    return ConsistencyProofBundle.from_json(text)


def verify_bundle(bundle_json_text: str, public_key: Ed25519PublicKey) -> VerifyOutcome:
    """Check a proof bundle against the log's public key, with no database.

    First each checkpoint's signature, then the Merkle proof against the
    signed root(s); every failed check adds a reason. Raises `InputError` only
    if the text is not JSON or does not say which kind of bundle it is; any
    other defect (a malformed field, a tampered checkpoint) is reported as a
    failed outcome.
    """
    kind = _bundle_kind(bundle_json_text)
    try:
        bundle = bundle_from_json(bundle_json_text)
    except InputError as exc:
        return VerifyOutcome(False, kind, (f"bundle is malformed: {exc}",))
    if isinstance(bundle, InclusionProofBundle):
        reasons = _inclusion_failures(bundle, public_key)
    else:
        reasons = _consistency_failures(bundle, public_key)
    return VerifyOutcome(not reasons, kind, tuple(reasons))


def _inclusion_failures(bundle: InclusionProofBundle, public_key: Ed25519PublicKey) -> list[str]:
    reasons: list[str] = []
    checkpoint = _signed_checkpoint(bundle.checkpoint, "checkpoint", public_key, reasons)
    if checkpoint is None:
        return reasons
    index, size = bundle.leaf_index, bundle.tree_size
    if size != checkpoint.size:
        reasons.append(
            f"bundle tree size {size} differs from the checkpoint's size {checkpoint.size}"
        )
        return reasons
    if index >= size:
        reasons.append(f"leaf index {index} is outside a tree of {size} leaves")
        return reasons
    needed = merkle.inclusion_proof_size(index, size)
    if len(bundle.proof) != needed:
        reasons.append(
            f"inclusion proof has {len(bundle.proof)} hashes; "
            f"leaf {index} of a tree of {size} needs {needed}"
        )
    elif not merkle.verify_inclusion(
        merkle.leaf_hash(bundle.leaf.encode("utf-8")), index, size, bundle.proof, checkpoint.root
    ):
        reasons.append(
            f"inclusion proof does not lead to the checkpoint's root: leaf {index} "
            f"(its data or its proof) is not what the log of size {size} holds"
        )
    return reasons


def _consistency_failures(
    bundle: ConsistencyProofBundle, public_key: Ed25519PublicKey
) -> list[str]:
    reasons: list[str] = []
    old = _signed_checkpoint(bundle.old_checkpoint, "old checkpoint", public_key, reasons)
    new = _signed_checkpoint(bundle.new_checkpoint, "new checkpoint", public_key, reasons)
    if old is None or new is None:
        return reasons
    if old.origin != new.origin:
        reasons.append(f"checkpoints are of different logs: {old.origin!r} and {new.origin!r}")
        return reasons
    if old.size > new.size:
        reasons.append(f"old checkpoint's size {old.size} is larger than the new one's {new.size}")
        return reasons
    needed = merkle.consistency_proof_size(old.size, new.size)
    if len(bundle.proof) != needed:
        reasons.append(
            f"consistency proof has {len(bundle.proof)} hashes; "
            f"sizes {old.size} -> {new.size} need {needed}"
        )
    elif not merkle.verify_consistency(old.size, new.size, old.root, new.root, bundle.proof):
        reasons.append(
            f"consistency proof does not connect the old root (size {old.size}) to the new "
            f"root (size {new.size}): the log's first {old.size} events were not kept as they were"
        )
    return reasons


def _signed_checkpoint(
    text: str, what: str, public_key: Ed25519PublicKey, reasons: list[str]
) -> Checkpoint | None:
    """Parse a checkpoint and check its signature, adding reasons; None if unreadable.

    A readable checkpoint with a bad signature is still returned so that the
    proof can be checked too (and reported separately).
    """
    try:
        checkpoint = Checkpoint.from_text(text)
    except InputError as exc:
        reasons.append(f"{what} cannot be read: {exc}")
        return None
    expected = key_id(public_key)
    if checkpoint.key_id != expected:
        reasons.append(
            f"{what} names signing key {checkpoint.key_id}, but the given public key is {expected}"
        )
    elif not verify_checkpoint(checkpoint, public_key):
        reasons.append(f"signature of {what} does not verify with key {expected}")
    return checkpoint


# ---------------------------------------------------------------------------
# Helpers


def _body(origin: str, size: int, root: bytes, timestamp: str) -> bytes:
    root_b64 = base64.b64encode(root).decode("ascii")
    return f"{origin}\n{size}\n{root_b64}\n{timestamp}\n".encode()


def _check_origin(origin: object) -> None:
    """Origins double as key names, so: non-empty, printable, no spaces and no '+'."""
    if (
        not isinstance(origin, str)
        or not origin
        or not origin.isprintable()
        or any(c.isspace() for c in origin)
        or "+" in origin
        or origin.startswith("\u2014")
    ):
        raise InputError(
            f"checkpoint origin {origin!r} must be non-empty printable text "
            "without spaces or '+' (e.g. 'newsroom.example/audit')"
        )


def _check_timestamp(timestamp: object) -> None:
    if not isinstance(timestamp, str) or not _TIMESTAMP_RE.fullmatch(timestamp):
        raise InputError(f"checkpoint timestamp {timestamp!r} must be UTC as YYYY-MM-DDTHH:MM:SSZ")
    try:
        datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise InputError(
            f"checkpoint timestamp {timestamp!r} is not a real date and time"
        ) from None


def _b64decode(text: str, what: str) -> bytes:
    """Strict standard base64 (with padding), which must be canonical."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InputError(f"{what} is not valid base64") from None
    if base64.b64encode(data).decode("ascii") != text:
        raise InputError(f"{what} is not in canonical base64")
    return data


def _public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _read(path: str | os.PathLike[str]) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read key file: {exc.strerror or exc}") from None


def _write_new_file(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` with ``mode`` (never replacing a file) and write ``data``."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise InputError(f"{path}: a key file already exists; refusing to overwrite it") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot create key file: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, mode)  # the umask may have removed bits; set exactly what was asked
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write key file: {exc.strerror or exc}") from None


def _dumps(fields: dict[str, object]) -> str:
    return json.dumps(fields, indent=2, ensure_ascii=False) + "\n"


def _bundle_kind(text: str) -> BundleKind:
    obj = _json_object(text)
    kind = obj.get("kind")
    if kind == "inclusion":
        return "inclusion"
    if kind == "consistency":
        return "consistency"
    raise InputError(f"bundle 'kind' must be 'inclusion' or 'consistency', got {kind!r}")


def _json_object(text: str) -> dict[str, object]:
    if not isinstance(text, str):
        raise InputError("bundle must be JSON text")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"bundle is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise InputError("bundle must be a JSON object")
    return obj


def _load_bundle(text: str, kind: BundleKind, fields: tuple[str, ...]) -> dict[str, object]:
    """The bundle's JSON object, after checking kind, version and the exact set of keys."""
    obj = _json_object(text)
    if obj.get("kind") != kind:
        raise InputError(f"bundle 'kind' must be {kind!r}, got {obj.get('kind')!r}")
    if obj.get("version") != BUNDLE_VERSION or isinstance(obj.get("version"), bool):
        raise InputError(f"bundle 'version' must be {BUNDLE_VERSION}, got {obj.get('version')!r}")
    expected = {"kind", "version", "proof", *fields}
    missing = sorted(expected - obj.keys())
    unknown = sorted(obj.keys() - expected)
    if missing:
        raise InputError(f"{kind} bundle lacks field(s): {', '.join(missing)}")
    if unknown:
        raise InputError(f"{kind} bundle has unknown field(s): {', '.join(unknown)}")
    return obj


def _text(obj: dict[str, object], name: str) -> str:
    value = obj[name]
    if not isinstance(value, str):
        raise InputError(f"bundle field {name!r} must be a string")
    return value


def _count(obj: dict[str, object], name: str) -> int:
    value = obj[name]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError(f"bundle field {name!r} must be an integer >= 0, got {value!r}")
    return value


def _proof(obj: dict[str, object]) -> tuple[bytes, ...]:
    value = obj["proof"]
    if not isinstance(value, list):
        raise InputError("bundle field 'proof' must be a list of hex hashes")
    hashes = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not _HEX_HASH_RE.fullmatch(item):
            raise InputError(
                f"bundle field 'proof' item {i} must be {2 * merkle.HASH_SIZE} lowercase hex digits"
            )
        hashes.append(bytes.fromhex(item))
    return tuple(hashes)
