"""What a link's stored record says: minimal edits, an excerpt's passages, moved blocks, kinds."""

from __future__ import annotations

import json
import random

from rapidfuzz.distance import Indel

from provenance import diff, editrecord, moves
from provenance.kinds import KINDS

from .conftest import corpus_or_skip
from .test_cli import COPY, PAGE, prov, prov_json, write


def test_an_excerpt_link_stores_its_passage_and_log_says_so(db_url):
    prov_json(db_url, "register", str(PAGE), "--doc", "report")
    reg = prov_json(db_url, "register", str(COPY), "--doc", "report")
    # The body of the Xinhua report, not the headline or the other articles.
    (p,) = reg["passages"]
    assert (p["a_start"], p["a_end"], p["b_start"], p["b_end"]) == (111, 1497, 0, 2147)
    assert p["edits"] == 7 and p["profile"] == "cjk"
    assert reg["suggestion"] == "excerpt"
    logged = prov_json(db_url, "log", "report")
    (link,) = logged["versions"][1]["parents"]
    assert link["passages"] == reg["passages"]
    # Kinds count the wording edits inside the passage, not the page around it.
    kinds = dict(map(tuple, link["kinds"]))
    assert set(kinds) <= set(KINDS)
    assert kinds.get("number") == 1  # 2019 年 inserted
    out = prov(db_url, "log", "report")
    assert out.exit_code == 0
    assert "passage A[111:1497] → B[0:2147]: 7 edits under cjk" in " ".join(out.output.split())
    shown = prov(db_url, "show", "report@2")
    assert "passage A[111:1497]" in shown.output


def test_the_stored_edits_are_the_minimal_ones(db_url):
    prov_json(db_url, "register", str(PAGE), "--doc", "report")
    reg = prov_json(db_url, "register", str(COPY), "--doc", "report")
    page = PAGE.read_text(encoding="utf-8")
    copy = COPY.read_text(encoding="utf-8")
    stats = reg["stats"]
    assert stats["inserted"] + stats["deleted"] == Indel.distance(page, copy)


def test_a_moved_paragraph_is_stored_as_a_move_and_blame_carries_it_to_its_origin(
    db_url, tmp_path
):
    rnd = random.Random(7)
    words = ["council", "bridge", "budget", "river", "mayor", "debate", "vote", "school",
             "harbour", "lease", "tram", "library", "water", "market", "station", "session",
             "citizens", "contract", "delay", "report", "inquiry", "funding", "plan", "road"]
    paras = [
        f"Paragraph {i}: " + " ".join(rnd.choice(words) for _ in range(30)) + "."
        for i in range(8)
    ]
    paras[2] += " It ended after a long debate."
    first = "\n\n".join(paras) + "\n"
    prov_json(db_url, "register", write(tmp_path, "v1.txt", first), "--doc", "city")
    # v2 rewrites paragraph 2, v3 moves it to the end: blame must still give it to v2.
    paras[2] = paras[2].replace("long debate", "short and bitter debate")
    second = "\n\n".join(paras) + "\n"
    prov_json(db_url, "register", write(tmp_path, "v2.txt", second), "--doc", "city")
    moved = paras[:2] + paras[3:] + [paras[2]]
    third = "\n\n".join(moved) + "\n"
    prov_json(db_url, "register", write(tmp_path, "v3.txt", third), "--doc", "city")

    (link,) = prov_json(db_url, "log", "city")["versions"][2]["parents"]
    (m,) = link["moves"]
    assert "Paragraph 2" in second[m["a_start"] : m["a_end"]]
    assert "Paragraph 2" in third[m["b_start"] : m["b_end"]]

    blame = prov_json(db_url, "blame", "city@3")
    names = {int(k): v["name"] for k, v in blame["versions"].items()}
    start = third.index("short and bitter")
    for span in blame["spans"]:
        if span["start"] <= start < span["end"]:
            assert names[span["introduced_by"]] == "city@2"
            break
    else:  # pragma: no cover - the spans cover the text
        raise AssertionError("no span covers the moved paragraph")
    # The rest of the moved paragraph keeps its origin: city@1, not city@3.
    origin = third.index("Paragraph 2")
    owner = next(s for s in blame["spans"] if s["start"] <= origin < s["end"])
    assert names[owner["introduced_by"]] == "city@1"


def test_stored_moves_replay_to_the_child_on_real_revisions():
    corpus = corpus_or_skip()
    folder = corpus / "github-site-policy" / "github-acceptable-use-policies"
    a = (folder / "0024__20210604T155646Z__6d87bd5913.md").read_text(encoding="utf-8")
    b = (folder / "0025__20210611T214403Z__b35cee9500.md").read_text(encoding="utf-8")
    built = editrecord.build(a, b)
    assert diff.replay(a, built.result.edits) == b
    found = editrecord.moves_of(json.loads(json.dumps(built.detail)), a)
    assert found, "the Spam and Inauthentic Activity section moved from 9 to 4"
    assert any("Spam and Inauthentic Activity" in a[m.a_start : m.a_end] for m in found)
    for m in found:
        assert moves.moved_text(a, m) == b[m.b_start : m.b_end]


def test_diff_json_reports_a_moved_section_once_and_its_edits_and_moves_replay(db_url):
    corpus = corpus_or_skip()
    folder = corpus / "github-site-policy" / "github-acceptable-use-policies"
    old = folder / "0024__20210604T155646Z__6d87bd5913.md"
    new = folder / "0025__20210611T214403Z__b35cee9500.md"
    prov_json(db_url, "register", str(old), "--doc", "aup")
    prov_json(db_url, "register", str(new), "--doc", "aup")
    out = prov_json(db_url, "diff", "aup@1", "aup@2")
    a, b = old.read_text(encoding="utf-8"), new.read_text(encoding="utf-8")

    def edit(e: dict) -> diff.Edit:
        return diff.Edit(**{k: v for k, v in e.items() if k not in ("inside", "kind")})

    found = [
        moves.Move(**{**m, "edits": tuple(edit(e) for e in m["edits"])}) for m in out["moves"]
    ]
    (section,) = [m for m in found if "Spam and Inauthentic Activity" in a[m.a_start : m.a_end]]
    assert "### 4. Spam" in b[section.b_start : section.b_end]
    # The section is reported once, as a move: no edit deletes or inserts it too.
    assert not any("Spam and Inauthentic" in e["old"] + e["new"] for e in out["edits"])
    assert moves.apply(a, [edit(e) for e in out["edits"]], found) == b
    assert all(e["kind"] in KINDS for e in out["edits"])
    counted = dict(map(tuple, out["kinds"]))
    assert sum(counted.values()) == len(out["edits"]) == out["stats"]["edits"]
