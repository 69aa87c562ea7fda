"""Signed checkpoints of the audit log, and the proofs an outside auditor checks against them.

A checkpoint signs the log's current size and Merkle root with the archive's
Ed25519 key (`provenance.checkpoint`) and is stored in the ``checkpoint``
table; its text is what a newsroom publishes. Checkpoints are *not* events:
as with Certificate Transparency's signed tree heads, a checkpoint is a
statement *about* the tree, and making it a leaf would change the very tree
it signs (the signed head would never be the head), add nothing an auditor
can use (the published copy, not the stored one, is the evidence) and make
the log's content depend on the signing key. The log holds the record's
changes; checkpoints are kept beside it.

The private key lives outside the database, by default in
``$XDG_CONFIG_HOME/provenance/checkpoint.key`` (``~/.config/provenance/``),
created with mode 0600; the database only ever holds public keys.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import Session

from provenance import audit, merkle, refs
from provenance import checkpoint as signing
from provenance.errors import InputError, IntegrityError, NotFoundError
from provenance.models import Checkpoint

DEFAULT_ORIGIN = "provenance.local/audit"
"""The log's name in checkpoints unless the first `prov checkpoint --origin` says otherwise."""


def default_key_dir() -> Path:
    """``$XDG_CONFIG_HOME/provenance`` (``~/.config/provenance``): where `prov keygen` writes."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "provenance"


def default_private_key() -> Path:
    return default_key_dir() / signing.PRIVATE_KEY_FILE


@dataclass(frozen=True, slots=True)
class KeygenReport:
    """What `prov keygen` wrote."""

    private_key: str
    public_key: str
    key_id: str


def keygen(directory: Path | None = None) -> KeygenReport:
    """Write a new key pair into ``directory`` (created owner-only if missing)."""
    target = directory or default_key_dir()
    if not target.exists():
        try:
            target.mkdir(parents=True, mode=0o700)
        except OSError as exc:
            raise InputError(f"{target}: cannot create folder: {exc.strerror or exc}") from None
    elif not target.is_dir():
        raise InputError(f"{target}: not a folder")
    private, public = signing.write_keypair(target)
    key = signing.load_public_key(public)
    return KeygenReport(str(private), str(public), signing.key_id(key))


@dataclass(frozen=True, slots=True)
class CheckpointReport:
    """A stored checkpoint; ``text`` is its publishable signed form."""

    id: int
    origin: str
    size: int
    root: str  # hex
    timestamp: str
    key_id: str
    text: str


def _report(row: Checkpoint) -> CheckpointReport:
    return CheckpointReport(
        row.id, row.origin, row.size, row.root, row.timestamp, row.key_id, row.text
    )


def _require_matches(row: Checkpoint, leaves: list[bytes]) -> None:
    """Refuse to build on a log that no longer matches a stored checkpoint."""
    if row.size > len(leaves):
        raise IntegrityError(
            f"checkpoint {row.id} covers {row.size} events but the log holds {len(leaves)}; "
            "run prov verify"
        )
    root = merkle.roots_at(leaves, {row.size})[row.size]
    if root.hex() != row.root:
        raise IntegrityError(
            f"the first {row.size} events no longer have the root checkpoint {row.id} signed; "
            "run prov verify"
        )


def latest(session: Session) -> Checkpoint | None:
    return session.execute(
        sa.select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1)
    ).scalar_one_or_none()


def create(
    session: Session, private_key: Ed25519PrivateKey, origin: str | None = None
) -> CheckpointReport:
    """Sign the log's current head and store it."""
    audit.lock(session)
    leaves = audit.leaf_hashes(session)
    previous = latest(session)
    if previous is not None:
        _require_matches(previous, leaves)
        if origin is not None and origin != previous.origin:
            raise InputError(
                f"this log's checkpoints are signed as {previous.origin!r}; "
                f"a checkpoint as {origin!r} would start another log"
            )
        origin = previous.origin
    signed = signing.sign_checkpoint(
        private_key, origin or DEFAULT_ORIGIN, len(leaves), merkle.root(leaves)
    )
    public_pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    row = Checkpoint(
        origin=signed.origin,
        size=signed.size,
        root=signed.root.hex(),
        timestamp=signed.timestamp,
        key_id=signed.key_id,
        text=signed.to_text(),
        public_key=public_pem,
    )
    session.add(row)
    session.flush()
    return _report(row)


def list_checkpoints(session: Session) -> list[CheckpointReport]:
    rows = session.execute(sa.select(Checkpoint).order_by(Checkpoint.id)).scalars()
    return [_report(r) for r in rows]


def find(session: Session, name: str) -> Checkpoint:
    """A checkpoint by tree size (``120``: the latest of that size) or by id (``id:3``)."""
    text = name.strip()
    if text.startswith("id:") and text[3:].isdigit():
        row = session.get(Checkpoint, int(text[3:]))
        if row is None:
            raise NotFoundError(f"no checkpoint with id {text[3:]}")
        return row
    if text.isdigit():
        row = session.execute(
            sa.select(Checkpoint)
            .where(Checkpoint.size == int(text))
            .order_by(Checkpoint.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if row is None:
            sizes = session.execute(
                sa.select(Checkpoint.size).distinct().order_by(Checkpoint.size)
            ).scalars()
            known = ", ".join(str(s) for s in sizes) or "none yet"
            raise NotFoundError(f"no checkpoint of tree size {text} (sizes: {known})")
        return row
    raise InputError(f"{name!r}: name a checkpoint by its tree size (e.g. 120) or id (id:3)")


@dataclass(frozen=True, slots=True)
class ProofReport:
    """A proof bundle and what it is about; ``bundle`` is the JSON an auditor checks."""

    kind: str  # "inclusion" or "consistency"
    version: int | None
    name: str | None  # DOC@N of the version, for inclusion proofs
    leaf_index: int | None
    tree_size: int
    old_size: int | None
    checkpoints: tuple[int, ...]  # ids of the checkpoint(s) used
    bundle: str


def inclusion(session: Session, ref: refs.Ref) -> ProofReport:
    """Proof that ``ref``'s version.registered event is in the log the latest checkpoint signed."""
    version = refs.resolve(session, ref)
    name = refs.version_name(session, version)
    event = audit.registration_event(session, version.id)
    if event is None:
        raise IntegrityError(f"{name} has no version.registered event; run prov verify")
    head = latest(session)
    if head is None:
        raise NotFoundError("no checkpoint yet: make one with prov checkpoint")
    if event.seq >= head.size:
        raise NotFoundError(
            f"{name} was registered (event {event.seq}) after the latest checkpoint "
            f"(size {head.size}); make a new one with prov checkpoint"
        )
    leaves = audit.leaf_hashes(session, limit=head.size)
    _require_matches(head, leaves)
    bundle = signing.InclusionProofBundle(
        checkpoint=head.text,
        leaf=event.body,
        leaf_index=event.seq,
        tree_size=head.size,
        proof=tuple(merkle.inclusion_proof(leaves, event.seq)),
    )
    return ProofReport(
        "inclusion", version.id, name, event.seq, head.size, None, (head.id,), bundle.to_json()
    )


def consistency(session: Session, old_name: str, new_name: str) -> ProofReport:
    """Proof that the log at checkpoint ``new_name`` only appended to the one at ``old_name``."""
    old, new = find(session, old_name), find(session, new_name)
    if old.size > new.size:
        raise InputError(
            f"checkpoint {old_name} (size {old.size}) is newer than {new_name} (size {new.size}); "
            "give the older one first"
        )
    leaves = audit.leaf_hashes(session, limit=new.size)
    _require_matches(new, leaves)
    _require_matches(old, leaves)
    bundle = signing.ConsistencyProofBundle(
        old_checkpoint=old.text,
        new_checkpoint=new.text,
        proof=tuple(merkle.consistency_proof(leaves, old.size)),
    )
    return ProofReport(
        "consistency", None, None, None, new.size, old.size, (old.id, new.id), bundle.to_json()
    )


@dataclass(frozen=True, slots=True)
class ProofCheck:
    """What `prov verify-proof` found: ``ok`` only if every check passed."""

    file: str
    ok: bool
    kind: str  # "inclusion" or "consistency"
    key_id: str  # of the public key the bundle was checked with
    reasons: tuple[str, ...]  # each failed check, in words


def signing_key(path: str | os.PathLike[str] | None = None) -> Ed25519PrivateKey:
    """The private key to sign checkpoints with: the file ``path``, else the one
    `keygen` writes by default (refused, naming the way to make one, when missing)."""
    given = path is not None
    path = Path(path) if given else default_private_key()
    if not given and not path.exists():
        raise InputError(f"no signing key at {path}: make one with prov keygen, or pass --key")
    return signing.load_private_key(path)


def check_file(file: str | os.PathLike[str], public_key_path: str | os.PathLike[str]) -> ProofCheck:
    """`check_bundle` of the bundle in ``file``: read, then checked; no database involved."""
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{file}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    return check_bundle(str(file), text, str(public_key_path))


def check_bundle(file: str, text: str, public_key_path: str) -> ProofCheck:
    """Check a proof bundle with a public key, as an outside auditor: no database involved."""
    key = signing.load_public_key(public_key_path)
    outcome = signing.verify_bundle(text, key)
    return ProofCheck(file, outcome.ok, outcome.kind, signing.key_id(key), outcome.reasons)
