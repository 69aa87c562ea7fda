"""The audit log as a user meets it: events, annotate, checkpoints, proofs, exports."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select
from typer.testing import CliRunner

from provenance import archive, audit, merkle, proofs, store
from provenance import checkpoint as signing
from provenance import verify as verifying
from provenance.models import Event
from provenance_cli.app import app

from .audit_archive import populate

runner = CliRunner()


def prov(db_url, *args, env=None):
    return runner.invoke(app, ["--db", db_url, *args], env=env)


def events(engine) -> list[dict]:
    with store.reader(engine) as s:
        return [json.loads(body) for _, body in audit.event_bodies(s)]


def test_registering_appends_document_version_and_link_events_with_the_actor(
    db_url, engine, tmp_path
):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("The minister said talks would resume.\n")
    b.write_text("The prime minister said talks had resumed.\n")
    assert prov(db_url, "--as", "alice", "register", str(a), "--doc", "talks").exit_code == 0
    result = prov(db_url, "register", str(b), "--doc", "talks", env={"PROV_USER": "bob"})
    assert result.exit_code == 0, result.output
    log = events(engine)
    assert [e["kind"] for e in log] == [
        "document.created",
        "version.registered",
        "version.registered",
        "link.added",
    ]
    assert [e["seq"] for e in log] == [0, 1, 2, 3]
    assert [e["actor"] for e in log] == ["alice", "alice", "bob", "bob"]
    version = log[2]["version"]
    assert version["document"] == "talks" and version["number"] == 2
    assert version["content_hash"].startswith("blake3:")
    assert log[3]["link"] == {"id": 1, "child": 2, "parent": 1, "relation": "revision"}


def test_events_are_canonical_json_and_the_tree_head_follows_from_them_alone(engine, tmp_path):
    populate(engine, tmp_path)
    with store.reader(engine) as s:
        bodies = [body for _, body in audit.event_bodies(s)]
        head = audit.tree_head(s)
    for body in bodies:
        assert audit.canonical(json.loads(body)) == body
    leaves = [merkle.leaf_hash(b.encode()) for b in bodies]
    assert head.size == len(bodies) and head.root == merkle.root(leaves).hex()


def test_annotate_changes_label_and_meta_and_verify_replays_it(db_url, engine, tmp_path):
    page = tmp_path / "p.txt"
    page.write_text("A page.\n")
    prov(db_url, "register", str(page), "--doc", "p", "--label", "draft", "--meta", "a=1")
    out = prov(
        db_url, "--as", "erin", "annotate", "p@1", "--label", "final", "--meta", "b=2", "--json"
    )
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["old_label"] == "draft" and report["new_label"] == "final"
    assert report["new_meta"] == {"a": "1", "b": "2"}
    again = prov(db_url, "annotate", "p@1", "--unset-meta", "a", "--clear-label")
    assert again.exit_code == 0, again.output
    shown = json.loads(prov(db_url, "show", "p@1", "--json").stdout)
    assert shown["label"] is None and shown["meta"] == {"b": "2"}
    last = events(engine)[-1]
    assert last["kind"] == "version.annotated" and last["old"]["label"] == "final"
    assert prov(db_url, "verify").exit_code == 0
    nothing = prov(db_url, "annotate", "p@1")
    assert nothing.exit_code == 2 and "nothing to change" in nothing.output


def test_concurrent_writers_get_contiguous_event_numbers(db_url, engine, tmp_path):
    errors = []

    def writer(name: str) -> None:
        eng = store.open_engine(store.DatabaseLocation(db_url, "test"))
        try:
            for i in range(8):
                with store.transaction(eng) as s:
                    archive.register(s, f"{name} {i}\n".encode(), name=name, doc=name, actor=name)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            eng.dispose()

    threads = [threading.Thread(target=writer, args=(f"w{k}",)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    seqs = [e["seq"] for e in events(engine)]
    assert seqs == list(range(len(seqs))) and len(seqs) == 3 * (1 + 8 + 7)
    with store.reader(engine) as s:
        assert verifying.verify(s).ok


# -- keys and checkpoints ----------------------------------------------------------


def test_keygen_writes_an_owner_only_private_key_and_checkpoint_prints_a_signed_head(
    db_url, engine, tmp_path
):
    populate(engine, tmp_path / "k")
    keys = tmp_path / "keys"
    out = runner.invoke(app, ["keygen", "--dir", str(keys), "--json"])
    assert out.exit_code == 0, out.output
    made = json.loads(out.stdout)
    assert stat.S_IMODE(os.stat(made["private_key"]).st_mode) == 0o600
    again = runner.invoke(app, ["keygen", "--dir", str(keys)])
    assert again.exit_code == 2 and "refusing to overwrite" in again.output
    signed = prov(db_url, "checkpoint", "--key", made["private_key"])
    assert signed.exit_code == 0, signed.output
    checkpoint = signing.Checkpoint.from_text(signed.stdout)
    public = signing.load_public_key(made["public_key"])
    assert signing.verify_checkpoint(checkpoint, public)
    with store.reader(engine) as s:
        assert checkpoint.size == audit.tree_head(s).size
    assert checkpoint.origin == "test.example/audit"  # the log keeps its first origin
    listed = json.loads(prov(db_url, "checkpoint", "--list", "--json").stdout)
    assert [c["size"] for c in listed][-1] == checkpoint.size
    # A checkpoint is not an event: the log does not grow when it is signed.
    assert len(events(engine)) == checkpoint.size


def test_checkpoint_without_a_key_says_how_to_make_one(db_url, tmp_path):
    result = prov(db_url, "checkpoint", env={"XDG_CONFIG_HOME": str(tmp_path / "none")})
    assert result.exit_code == 2 and "prov keygen" in result.output


def test_checkpoint_refuses_to_sign_over_a_rewritten_log(engine, tmp_path):
    keys = populate(engine, tmp_path)
    table = Event.__table__
    with engine.begin() as conn:
        rewritten = [
            {"s": seq, "b": body.replace("alice", "mallory")}
            for seq, body in conn.execute(sa.select(table.c.seq, table.c.body))
            if "alice" in body
        ]
        assert rewritten
        conn.execute(
            table.update().where(table.c.seq == sa.bindparam("s")).values(body=sa.bindparam("b")),
            rewritten,
        )
    with (
        pytest.raises(Exception, match="no longer have the root"),
        store.transaction(engine) as s,
    ):
        proofs.create(s, signing.load_private_key(keys.private_key))


# -- proofs ----------------------------------------------------------------------


def _many_versions(engine, n: int) -> None:
    with store.transaction(engine) as s:
        for i in range(n):
            doc = f"doc{i // 10}"
            archive.register(s, f"{doc} version {i % 10}: {i}\n".encode(), name=str(i), doc=doc)


def test_inclusion_proofs_verify_for_every_version_of_a_1000_version_archive(
    db_url, engine, tmp_path
):
    n = 1000
    _many_versions(engine, n)
    private, public = signing.write_keypair(tmp_path / "log.key")
    key, pub = signing.load_private_key(private), signing.load_public_key(public)
    with store.transaction(engine) as s:
        proofs.create(s, key)
    with store.reader(engine) as s:
        head = proofs.latest(s)
        head_text, head_size = head.text, head.size
        rows = [
            (e.seq, e.body)
            for e in s.exec(
                select(Event).where(Event.kind == "version.registered").order_by(Event.seq)
            )
        ]
        leaves = audit.leaf_hashes(s)
    assert len(rows) == n
    for seq, body in rows:
        bundle = signing.InclusionProofBundle(
            head_text, body, seq, head_size, tuple(merkle.inclusion_proof(leaves, seq))
        )
        outcome = signing.verify_bundle(bundle.to_json(), pub)
        assert outcome.ok, (seq, outcome.reasons)
    # Through the library entry point the CLI uses, for a few.
    with store.reader(engine) as s:
        for ref in ("doc0@1", "doc57@4", "doc99@10"):
            report = proofs.inclusion(s, ref)
            assert signing.verify_bundle(report.bundle, pub).ok


def _bundle_for(engine, tmp_path):
    populate(engine, tmp_path)
    with store.reader(engine) as s:
        report = proofs.inclusion(s, "paper@2")
    return report, signing.load_public_key(tmp_path / signing.PUBLIC_KEY_FILE)


def test_an_inclusion_proof_fails_when_any_proof_byte_the_root_or_the_key_changes(engine, tmp_path):
    report, pub = _bundle_for(engine, tmp_path)
    obj = json.loads(report.bundle)
    assert signing.verify_bundle(report.bundle, pub).ok and obj["proof"]
    for i, h in enumerate(obj["proof"]):
        for bit in range(0, 256, 37):
            raw = bytearray(bytes.fromhex(h))
            raw[bit // 8] ^= 1 << (bit % 8)
            changed = dict(obj, proof=[*obj["proof"][:i], raw.hex(), *obj["proof"][i + 1 :]])
            assert not signing.verify_bundle(json.dumps(changed), pub).ok
    cp = signing.Checkpoint.from_text(obj["checkpoint"])
    forged_root = bytes([cp.root[0] ^ 1]) + cp.root[1:]
    forged = signing.Checkpoint(
        cp.origin, cp.size, forged_root, cp.timestamp, cp.key_id, cp.signature
    )
    assert not signing.verify_bundle(json.dumps(dict(obj, checkpoint=forged.to_text())), pub).ok
    other = signing.public_key_from_pem(signing.generate_keypair()[1])
    outcome = signing.verify_bundle(report.bundle, other)
    assert not outcome.ok and "public key" in outcome.reasons[0]
    leaf = obj["leaf"].replace("paper", "pap3r")
    assert not signing.verify_bundle(json.dumps(dict(obj, leaf=leaf)), pub).ok


def test_consistency_proofs_verify_between_every_pair_of_checkpoints(engine, tmp_path):
    private, public = signing.write_keypair(tmp_path / "log.key")
    key, pub = signing.load_private_key(private), signing.load_public_key(public)
    for batch in range(6):
        with store.transaction(engine) as s:
            for i in range(batch + 1):
                archive.register(s, f"b{batch} v{i}\n".encode(), name="x", doc=f"d{batch}")
            proofs.create(s, key)
    with store.reader(engine) as s:
        ids = [c.id for c in proofs.list_checkpoints(s)]
        for i, old in enumerate(ids):
            for new in ids[i:]:
                report = proofs.consistency(s, f"id:{old}", f"id:{new}")
                outcome = signing.verify_bundle(report.bundle, pub)
                assert outcome.ok, (old, new, outcome.reasons)


def test_a_consistency_proof_fails_for_a_rewritten_history(engine, tmp_path):
    private, public = signing.write_keypair(tmp_path / "log.key")
    key, pub = signing.load_private_key(private), signing.load_public_key(public)
    _many_versions(engine, 20)
    with store.transaction(engine) as s:
        old = proofs.create(s, key)
        leaves = audit.leaf_hashes(s)
    # Someone rewrites event 3 and signs a new head over the rewritten log.
    rewritten = list(leaves)
    rewritten[3] = merkle.leaf_hash(b'{"forged":true}')
    rewritten.append(merkle.leaf_hash(b'{"later":true}'))
    new = signing.sign_checkpoint(key, old.origin, len(rewritten), merkle.root(rewritten))
    bundle = signing.ConsistencyProofBundle(
        old.text, new.to_text(), tuple(merkle.consistency_proof(rewritten, old.size))
    )
    outcome = signing.verify_bundle(bundle.to_json(), pub)
    assert not outcome.ok and "were not kept" in outcome.reasons[0]


def test_prove_and_verify_proof_through_the_cli_without_the_database(db_url, engine, tmp_path):
    populate(engine, tmp_path)
    pub = str(tmp_path / signing.PUBLIC_KEY_FILE)
    bundle = tmp_path / "proof.json"
    made = prov(db_url, "prove", "wire@2", "--out", str(bundle))
    assert made.exit_code == 0, made.output
    # No database at all: verify-proof must not need one.
    nowhere = {"PROV_DB": str(tmp_path / "missing" / "nothing.db")}
    ok = runner.invoke(app, ["verify-proof", str(bundle), "--key", pub], env=nowhere)
    assert ok.exit_code == 0, ok.output
    assert not (tmp_path / "missing").exists()
    obj = json.loads(bundle.read_text())
    obj["leaf_index"] = obj["leaf_index"] + 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(obj))
    failed = runner.invoke(app, ["verify-proof", str(bad), "--key", pub, "--json"], env=nowhere)
    assert failed.exit_code == 1
    assert json.loads(failed.stdout)["reasons"]
    sizes = [c["size"] for c in json.loads(prov(db_url, "checkpoint", "--list", "--json").stdout)]
    cons = prov(db_url, "prove", "--consistency", str(sizes[0]), str(sizes[-1]))
    assert cons.exit_code == 0, cons.output
    (tmp_path / "c.json").write_text(cons.stdout)
    checked = runner.invoke(app, ["verify-proof", str(tmp_path / "c.json"), "--key", pub])
    assert checked.exit_code == 0, checked.output
    late = tmp_path / "late.txt"
    late.write_text("registered after the checkpoint\n")
    prov(db_url, "register", str(late), "--doc", "late")
    after = prov(db_url, "prove", "late@1")
    assert after.exit_code == 2 and "prov checkpoint" in after.output


# -- exports ---------------------------------------------------------------------


def test_prov_json_export_is_valid_prov_with_a_relation_per_link(db_url, engine, tmp_path):
    prov_model = pytest.importorskip("prov.model")
    populate(engine, tmp_path)
    out = tmp_path / "wire.json"
    result = prov(db_url, "export", "paper", "--format", "prov-json", "--out", str(out))
    assert result.exit_code == 0, result.output
    doc = prov_model.ProvDocument.deserialize(content=out.read_text(), format="json")
    records = list(doc.get_records())
    derivations = [r for r in records if isinstance(r, prov_model.ProvDerivation)]
    types = {
        str(next(iter(r.get_attribute("pv:relation")))): {
            str(t) for t in r.get_attribute("prov:type")
        }
        for r in derivations
    }
    assert types["revision"] == {"prov:Revision"}  # wasRevisionOf
    assert types["copy"] == set()  # wasDerivedFrom
    agents = {str(r.identifier) for r in records if isinstance(r, prov_model.ProvAgent)}
    assert agents == {"pvagent:bob"}
    digest = prov(db_url, "export", "digest", "--format", "prov-json")
    ddoc = prov_model.ProvDocument.deserialize(content=digest.stdout, format="json")
    quoted = [r for r in ddoc.get_records() if isinstance(r, prov_model.ProvDerivation)]
    kinds = {str(t) for r in quoted for t in r.get_attribute("prov:type")}
    assert "prov:Quotation" in kinds  # the excerpt: wasQuotedFrom


def test_bagit_export_is_a_valid_bag_with_every_versions_exact_bytes(db_url, engine, tmp_path):
    bagit = pytest.importorskip("bagit")
    populate(engine, tmp_path)
    folder = tmp_path / "bag"
    result = prov(db_url, "export", "wire", "--format", "bagit", str(folder), "--json")
    assert result.exit_code == 0, result.output
    bag = bagit.Bag(str(folder))
    bag.validate()
    assert {"sha256", "sha512"} <= set(bag.algorithms)
    assert "BLAKE3" in bag.info["Content-Hash-Algorithm"]
    index = json.loads((folder / "data" / "versions.json").read_text())
    assert len(index) == 4
    for entry in index:
        raw = prov(db_url, "show", entry["name"], "--raw").stdout_bytes
        assert (folder / entry["file"]).read_bytes() == raw
    assert (folder / "data" / "prov.json").exists() and (
        folder / "data" / "checkpoint.txt"
    ).exists()
    again = prov(db_url, "export", "wire", "--format", "bagit", str(folder))
    assert again.exit_code == 2 and "new or empty" in again.output


def test_the_tree_hashing_vector_in_the_docs_recomputes():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "audit.md").read_text()
    leaves = [merkle.leaf_hash(f'{{"a":{i}}}'.encode()) for i in range(3)]
    root = merkle.root(leaves).hex()
    assert root == "f2a2011cc550d6e0190263aa16f6968568b47f2cf7d8239cee011a5a7245bea2"
    for value in [*(h.hex() for h in leaves), root, merkle.EMPTY_ROOT.hex()]:
        assert value in docs


def test_verify_says_how_many_events_no_verified_checkpoint_covers(db_url, engine, tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("The minister said talks would resume.\n")
    b.write_text("The prime minister said talks had resumed.\n")
    assert prov(db_url, "register", str(a), "--doc", "talks").exit_code == 0

    def unsigned() -> int:
        result = prov(db_url, "verify", "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["unsigned_events"]

    assert unsigned() == 2  # document.created, version.registered; no checkpoint at all
    human = prov(db_url, "verify")
    assert "2 of 2 events come after the last checkpoint" in " ".join(human.output.split())
    keys = json.loads(runner.invoke(app, ["keygen", "--dir", str(tmp_path / "k"), "--json"]).stdout)
    assert prov(db_url, "checkpoint", "--key", keys["private_key"]).exit_code == 0
    assert unsigned() == 0
    assert "after the last checkpoint" not in prov(db_url, "verify").output
    assert prov(db_url, "register", str(b), "--doc", "talks").exit_code == 0
    assert unsigned() == 2  # version.registered, link.added
    # A checkpoint signed by someone else's key covers nothing when the auditor's key is given.
    other = json.loads(runner.invoke(app, ["keygen", "--dir", str(tmp_path / "o"), "--json"]).stdout)
    result = prov(db_url, "verify", "--key", other["public_key"], "--json")
    assert result.exit_code == 1 and json.loads(result.stdout)["unsigned_events"] == 4
