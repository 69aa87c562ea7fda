"""Byte-exact for any input encoding (issue 11): a text registered in GB18030, Big5,
Shift_JIS or UTF-16 keeps its original bytes, hashed and returned by ``show --raw``
exactly, and its decoded text is what every comparison uses. On both backends."""

from __future__ import annotations

import json
import random

import pytest
import sqlalchemy as sa
from blake3 import blake3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provenance import Archive, store
from provenance.models import Content
from provenance.text import charset

from .test_capture import STORY, Site, _article, capture
from .test_cli import one_line_error, prov, prov_json, write
from .test_sources import _warc
from .test_web_api import _client, _token

TEXT = "新华社北京电：国务院今天发布通知，要求各地加快布局。𠀀𠀁 北京、上海。\n"
"""Simplified Chinese with characters outside the BMP (U+20000, U+20001) that GB18030
encodes in four bytes each and Big5 cannot encode at all."""

SAMPLES = {
    "gb18030": TEXT,
    "big5": "中華民國交通部今日發布公告，臺北與高雄之間的鐵路將於下週恢復通車。\n",
    "shift_jis": "東京都は本日、新しい条例を発表した。住民の皆様へのお知らせです。\n",
    "utf-16": TEXT + "😀 emoji too.\n",
}


def _encoded(encoding: str, text: str) -> bytes:
    return text.encode(encoding)  # Python's utf-16 writes a byte-order mark first


def _nothing_written(db_url: str) -> None:
    assert prov_json(db_url, "docs") == []


def _content_rows(db_url: str) -> dict[str, tuple[str | None, str | None, int]]:
    """hash -> (encoding, base hash, depth) of every stored content."""
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        with store.reader(engine) as s:
            c = Content.__table__
            rows = s.execute(sa.select(c.c.hash, c.c.encoding, c.c.base_hash, c.c.depth))
            return {h: (e, b, d) for h, e, b, d in rows}
    finally:
        engine.dispose()


def _set_encoding(db_url: str, digest: str, encoding: str | None) -> None:
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        with store.transaction(engine) as s:
            s.execute(sa.update(Content).where(Content.hash == digest).values(encoding=encoding))
    finally:
        engine.dispose()


# -- registering and reading back -----------------------------------------------------------


@pytest.mark.parametrize("encoding", sorted(SAMPLES))
def test_a_text_in_a_legacy_encoding_comes_back_byte_exact_from_show_raw(
    db_url, tmp_path, encoding
):
    text = SAMPLES[encoding]
    data = _encoded(encoding, text)
    assert data != text.encode("utf-8")
    path = write(tmp_path, f"{encoding}.txt", data)
    out = prov_json(db_url, "register", path, "--doc", "notice", "--encoding", encoding)
    assert out["hash"] == "blake3:" + blake3(data).hexdigest()  # the hash of the bytes as given
    assert prov(db_url, "show", "notice@1", "--raw").stdout_bytes == data
    shown = prov_json(db_url, "show", "notice@1")
    assert shown["encoding"] == encoding and shown["size"] == len(data)
    assert shown["chars"] == len(text)  # characters of the text, not of the bytes
    assert "transcoded_from" not in shown["meta"]
    assert "encoding" in prov(db_url, "show", "notice@1").stdout
    assert prov_json(db_url, "show", path)["name"] == "notice@1"  # the file in hand, by its bytes
    with Archive(db_url) as archive:
        assert archive.texts([out["version"]])[out["version"]] == text
        assert archive.raw("notice@1") == data


def test_the_archive_keeps_the_bytes_and_compares_the_text_whatever_the_encoding(db_url):
    with Archive(db_url, actor="desk") as archive:
        archive.init()
        reports = {
            encoding: archive.register(_encoded(encoding, text), doc=encoding, encoding=encoding)
            for encoding, text in SAMPLES.items()
        }
        for encoding, report in reports.items():
            data = _encoded(encoding, SAMPLES[encoding])
            assert archive.raw(f"{encoding}@1") == data
            assert archive.content(report.hash) == data
            assert archive.stored(report.hash) == (data, encoding)
            assert archive.show(str(report.version)).encoding == encoding
            utf8 = SAMPLES[encoding].encode()
            assert archive.diff_text(f"{encoding}@1", utf8).edits == ()
            assert archive.diff_text(f"{encoding}@1", data).edits == ()  # stored: read as stored
        again = archive.register(SAMPLES["big5"].encode(), doc="big5")
        assert again.stats.edits == 0 and again.new_content


def test_a_utf16_byte_order_mark_is_detected_without_encoding(db_url, tmp_path):
    text = SAMPLES["utf-16"]
    for order, data in (("le", text.encode("utf-16-le")), ("be", text.encode("utf-16-be"))):
        data = ("\ufeff").encode(f"utf-16-{order}") + data
        out = prov_json(db_url, "register", write(tmp_path, f"{order}.txt", data), "--doc", order)
        assert prov(db_url, "show", f"{order}@1", "--raw").stdout_bytes == data
        shown = prov_json(db_url, "show", f"{order}@1")
        assert shown["encoding"] == "utf-16" and shown["chars"] == len(text)  # the mark is no character
        assert out["hash"] == "blake3:" + blake3(data).hexdigest()
    diff = prov_json(db_url, "diff", "le@1", "be@1")
    assert diff["edits"] == []


def test_a_utf8_byte_order_mark_stays_a_character_of_a_utf8_text(db_url, tmp_path):
    data = "\ufeffBOM kept\n中文\n".encode()
    prov_json(db_url, "register", write(tmp_path, "bom.txt", data), "--doc", "bom")
    shown = prov_json(db_url, "show", "bom@1")
    assert shown["encoding"] is None and shown["chars"] == len(data.decode())
    assert prov(db_url, "show", "bom@1", "--raw").stdout_bytes == data


def test_bytes_that_are_not_utf8_and_carry_no_mark_are_refused_suggesting_encoding(db_url, tmp_path):
    data = TEXT.encode("gb18030")
    offset = data.decode("utf-8", "replace").index("\ufffd")  # ASCII before it: chars = bytes
    one_line_error(
        prov(db_url, "register", write(tmp_path, "gb.txt", data), "--doc", "gb"),
        "gb.txt",
        f"byte offset {offset}",
        "--encoding",
    )
    _nothing_written(db_url)


def test_utf16_without_a_byte_order_mark_asks_which_byte_order(db_url, tmp_path):
    data = TEXT.encode("utf-16-le")
    one_line_error(
        prov(db_url, "register", write(tmp_path, "u16.txt", data), "--doc", "u", "--encoding", "utf-16"),
        "u16.txt",
        "utf-16-le",
    )
    _nothing_written(db_url)
    prov_json(db_url, "register", write(tmp_path, "u16.txt", data), "--doc", "u", "--encoding", "utf-16-le")
    assert prov(db_url, "show", "u@1", "--raw").stdout_bytes == data


@pytest.mark.parametrize(("wrong", "text_of"), [("big5", "gb18030"), ("shift_jis", "gb18030"), ("gb18030", "utf-16")])
def test_bytes_invalid_in_the_encoding_named_are_one_line_naming_the_file_and_offset(
    db_url, tmp_path, wrong, text_of
):
    data = _encoded(text_of, SAMPLES[text_of])
    with pytest.raises(UnicodeDecodeError) as raised:
        data.decode(wrong)
    path = write(tmp_path, "notice.txt", data)
    result = prov(db_url, "register", path, "--doc", "n", "--encoding", wrong)
    one_line_error(result, "notice.txt", f"byte offset {raised.value.start}", wrong.upper())
    _nothing_written(db_url)


# -- comparisons use the text ---------------------------------------------------------------


def test_a_gb18030_version_and_the_utf8_version_of_its_text_differ_by_no_edit(db_url, tmp_path):
    gb = write(tmp_path, "gb.txt", TEXT.encode("gb18030"))
    utf8 = write(tmp_path, "utf8.txt", TEXT.encode("utf-8"))
    first = prov_json(db_url, "register", gb, "--doc", "notice", "--encoding", "gb18030")
    second = prov_json(db_url, "register", utf8, "--doc", "notice")
    assert first["hash"] != second["hash"] and second["new_content"]  # two byte sequences
    assert second["stats"]["edits"] == 0 and second["stats"]["similarity"] == 1.0
    assert prov_json(db_url, "diff", "notice@1", "notice@2")["edits"] == []
    assert prov_json(db_url, "diff", "notice@1", utf8)["edits"] == []  # a file in hand, too
    log = prov_json(db_url, "log", "notice")
    assert [v["chars"] for v in log["versions"]] == [len(TEXT), len(TEXT)]
    trace = prov_json(db_url, "trace", "notice@1", "notice@2")
    assert trace["net"]["edits"] == []
    blame = prov_json(db_url, "blame", "notice@2")
    assert [(s["end"], s["introduced_by"]) for s in blame["spans"]] == [(len(TEXT), first["version"])]
    edited = write(tmp_path, "edited.txt", TEXT.replace("加快", "加速").encode("gb18030"))
    third = prov_json(db_url, "register", edited, "--doc", "notice", "--encoding", "gb18030")
    assert third["stats"]["inserted"] == 1 and third["stats"]["deleted"] == 1  # one character


def test_identify_of_the_utf8_text_finds_the_gb18030_version(db_url, tmp_path):
    gb = write(tmp_path, "gb.txt", TEXT.encode("gb18030"))
    prov_json(db_url, "register", gb, "--doc", "notice", "--encoding", "gb18030")
    utf8 = write(tmp_path, "utf8.txt", TEXT.encode())
    found = prov_json(db_url, "identify", utf8)
    # The same text in other bytes is the exact answer, not "equal through the whitespace lens"
    # (which tells a journalist that the layout differs).
    assert [(m["name"], m["tier"], m["same_bytes"]) for m in found["matches"]] == [
        ("notice@1", "exact", False)
    ]
    exact = prov_json(db_url, "identify", gb, "--encoding", "gb18030")
    assert [(m["name"], m["tier"], m["same_bytes"]) for m in exact["matches"]] == [
        ("notice@1", "exact", True)
    ]
    said = prov(db_url, "identify", utf8).stdout
    assert "the same text, in other bytes" in said and "lens" not in said
    # Both registered: the query's own bytes first, then the same text in the other encoding.
    prov_json(db_url, "register", utf8, "--doc", "notice-utf8")
    both = prov_json(db_url, "identify", gb, "--encoding", "gb18030")
    assert [(m["name"], m["same_bytes"]) for m in both["matches"]] == [
        ("notice@1", True),
        ("notice-utf8@1", False),
    ]
    # One line break more is not the same text: a lens's answer (cjk's, in Chinese).
    rewrapped = write(tmp_path, "rewrapped.txt", TEXT.replace("，", "，\n", 1).encode())
    lens = prov_json(db_url, "identify", rewrapped)
    assert {(m["tier"], m["profile"]) for m in lens["matches"]} == {("normalized", "cjk")}


def test_deltas_between_contents_in_different_encodings_round_trip_byte_exact(db_url, tmp_path):
    words = random.Random(11).choices(["council", "library", "vote", "street", "budget", "year"], k=3000)
    body = " ".join(words)  # ASCII: the same bytes in GB18030 and UTF-8, so a delta pays
    encodings = ["gb18030", None, "gb18030", None, "gb18030"]
    registered = []
    for number, encoding in enumerate(encodings, start=1):
        text = f"第{number}版 国务院通知\n{body}\n"
        data = text.encode(encoding or "utf-8")
        args = ["--encoding", encoding] if encoding else []
        path = write(tmp_path, f"v{number}.txt", data)
        registered.append((prov_json(db_url, "register", path, "--doc", "law", *args), data))
    rows = _content_rows(db_url)
    across = [h for h, (e, b, _) in rows.items() if b is not None and rows[b][0] != e]
    assert across, "a revision in UTF-8 is kept as a delta against its GB18030 parent"
    for report, data in registered:
        assert prov(db_url, "show", f"law@{report['number']}", "--raw").stdout_bytes == data
    assert prov_json(db_url, "verify")["ok"]


# -- one hash, one reading ------------------------------------------------------------------


def test_the_same_bytes_claimed_as_another_text_are_refused_and_nothing_is_written(db_url, tmp_path):
    data = "中文报告".encode("gb18030")
    as_big5 = data.decode("big5")  # valid Big5 too, but another text
    assert as_big5 != "中文报告"
    path = write(tmp_path, "report.txt", data)
    prov_json(db_url, "register", path, "--doc", "gb", "--encoding", "gb18030")
    message = one_line_error(
        prov(db_url, "register", path, "--doc", "other", "--encoding", "big5"),
        "report.txt",
        "already stored",
        "--encoding gb18030",
    )
    assert "big5" in message
    assert [d["document"] for d in prov_json(db_url, "docs")] == ["gb"]


def test_stored_bytes_registered_again_without_encoding_are_read_as_stored(db_url, tmp_path):
    data = TEXT.encode("gb18030")
    path = write(tmp_path, "gb.txt", data)
    first = prov_json(db_url, "register", path, "--doc", "gb", "--encoding", "gb18030")
    again = prov_json(db_url, "register", path, "--doc", "mirror")
    assert again["hash"] == first["hash"] and not again["new_content"]
    assert prov_json(db_url, "show", "mirror@1")["encoding"] == "gb18030"


def test_ascii_bytes_claimed_as_gb18030_are_one_content_with_the_encoding_first_recorded(
    db_url, tmp_path
):
    path = write(tmp_path, "plain.txt", b"The same words in any ASCII-compatible encoding.\n")
    prov_json(db_url, "register", path, "--doc", "a")
    again = prov_json(db_url, "register", path, "--doc", "b", "--encoding", "gb18030")
    assert not again["new_content"]
    assert prov_json(db_url, "show", "b@1")["encoding"] is None  # as first recorded: UTF-8


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=60))
def test_any_text_registered_as_gb18030_comes_back_as_exactly_its_bytes(db_url, tmp_path, text):
    data = text.encode("gb18030")
    path = write(tmp_path, "random.txt", data)
    out = prov_json(db_url, "register", path, "--doc", "random", "--encoding", "gb18030")
    assert prov(db_url, "show", str(out["version"]), "--raw").stdout_bytes == data
    with Archive(db_url) as archive:
        assert archive.texts([out["version"]])[out["version"]] == text


def test_a_version_transcoded_before_reads_as_before_beside_the_same_text_kept_as_given(
    db_url, tmp_path
):
    """Before byte-exact storage a GB18030 file was stored as UTF-8, its content's
    encoding NULL and its version naming the original in meta; such a version reads
    as it always did, and the original bytes registered now are a second content of
    the same text."""
    original = TEXT.encode("gb18030")
    old_hash = "blake3:" + blake3(original).hexdigest()
    path = write(tmp_path, "transcoded.txt", TEXT.encode())
    meta = ["--meta", "transcoded_from=gb18030", "--meta", f"original_hash={old_hash}"]
    prov_json(db_url, "register", path, "--doc", "notice", *meta)
    shown = prov_json(db_url, "show", "notice@1")
    assert shown["encoding"] is None and shown["meta"]["transcoded_from"] == "gb18030"
    assert prov(db_url, "show", "notice@1", "--raw").stdout_bytes == TEXT.encode()
    now = prov_json(
        db_url, "register", write(tmp_path, "gb.txt", original), "--doc", "notice", "--encoding", "gb18030"
    )
    assert now["hash"] == old_hash and now["stats"]["edits"] == 0
    assert prov(db_url, "show", "notice@2", "--raw").stdout_bytes == original
    assert prov_json(db_url, "verify")["ok"]


# -- verify -----------------------------------------------------------------------------------


def test_verify_is_clean_on_an_archive_of_many_encodings(db_url, tmp_path):
    for encoding, text in SAMPLES.items():
        path = write(tmp_path, f"{encoding}.txt", _encoded(encoding, text))
        prov_json(db_url, "register", path, "--doc", encoding, "--encoding", encoding)
        prov_json(db_url, "register", write(tmp_path, "u.txt", text.encode()), "--doc", encoding)
    for mode in ((), ("--deep",), ("--quick",)):
        report = prov_json(db_url, "verify", *mode)
        assert report["ok"] and report["problems"] == [], report["problems"]


@pytest.mark.parametrize("recorded", ["ascii", "utf-16-le", "no-such-codec", None])
def test_verify_reports_a_content_whose_bytes_do_not_decode_in_its_recorded_encoding(
    db_url, tmp_path, recorded
):
    data = TEXT.encode("gb18030")
    out = prov_json(
        db_url, "register", write(tmp_path, "gb.txt", data), "--doc", "gb", "--encoding", "gb18030"
    )
    _set_encoding(db_url, out["hash"], recorded)  # the record changed behind the archive's back
    result = prov(db_url, "verify", "--json")
    assert result.exit_code == 1 and "Traceback" not in result.output
    problems = json.loads(result.stdout)["problems"]
    about = [p for p in problems if out["hash"] in p["message"]]
    assert about, problems
    if recorded is not None and recorded != "utf-16-le":
        assert any(p["field"] == "encoding" for p in about), about


# -- sources: capture, web archives, folders -----------------------------------------------


@pytest.fixture
def site():
    served = Site()
    try:
        yield served
    finally:
        served.close()


def test_a_captured_page_keeps_the_bytes_served_in_the_charset_its_headers_declare(db_url, site):
    body = ("图书馆将于周二关闭，市议会经过长时间辩论后投票决定。𠀀\n" * 3).encode("gb18030")
    site.pages["/notice.txt"] = (200, {"Content-Type": "text/plain; charset=GB18030"}, body)
    code, out = capture(db_url, site.url("/notice.txt"))
    assert code == 0, out
    key = site.key("/notice.txt")
    assert prov(db_url, "show", f"{key}@1", "--raw").stdout_bytes == body
    assert prov_json(db_url, "show", f"{key}@1")["encoding"] == "gb18030"
    assert capture(db_url, site.url("/notice.txt"))[1]["outcome"] == "unchanged"


def test_a_captured_html_page_keeps_its_raw_bytes_in_the_charset_of_its_meta_tag(db_url, site):
    story = "Городской совет во вторник проголосовал за закрытие старой библиотеки. " * 4
    page = _article("Библиотека", story, *STORY, charset="windows-1251")
    body = site.html("/ru", page, charset="windows-1251", no_charset="1")
    code, out = capture(db_url, site.url("/ru"))
    assert code == 0, out
    key = site.key("/ru")
    assert prov(db_url, "show", f"{key}#raw@1", "--raw").stdout_bytes == body
    assert prov_json(db_url, "show", f"{key}#raw@1")["encoding"] == "cp1251"
    extracted = prov_json(db_url, "show", f"{key}@1")
    assert extracted["encoding"] is None  # the extracted text is UTF-8
    assert "проголосовал" in prov(db_url, "show", f"{key}@1", "--raw").stdout


def test_a_web_archive_keeps_each_capture_byte_exact_in_its_declared_charset(db_url, tmp_path):
    plain = SAMPLES["big5"].encode("big5")
    page = (
        "<html><head><meta charset='gb18030'><title>通知</title></head><body><article>"
        f"<h1>通知</h1><p>{TEXT * 3}</p><p>{TEXT}</p></article></body></html>"
    ).encode("gb18030")
    path = _warc(
        tmp_path / "cjk.warc",
        [
            ("response", "https://example.org/tw.txt", "2024-01-01T00:00:00Z", plain,
             "text/plain; charset=big5", None),
            ("response", "https://example.org/cn", "2024-01-01T00:00:01Z", page, "text/html", None),
        ],
    )  # fmt: skip
    prov_json(db_url, "import", str(path))
    assert prov(db_url, "show", "org,example)/tw.txt@1", "--raw").stdout_bytes == plain
    assert prov_json(db_url, "show", "org,example)/tw.txt@1")["encoding"] == "big5"
    assert prov(db_url, "show", "org,example)/cn#raw@1", "--raw").stdout_bytes == page
    assert prov_json(db_url, "show", "org,example)/cn#raw@1")["encoding"] == "gb18030"
    assert "国务院" in prov(db_url, "show", "org,example)/cn@1", "--raw").stdout
    assert prov_json(db_url, "import", str(path))["versions"] == 0  # a re-run adds nothing
    assert prov_json(db_url, "verify")["ok"]


def test_a_folder_import_takes_encoding_and_keeps_every_file_byte_exact(db_url, tmp_path):
    folder = tmp_path / "notices"
    folder.mkdir()
    edited = TEXT.replace("加快", "加速")
    texts = [TEXT, edited, edited.replace("上海", "广州")]
    for number, text in enumerate(texts, start=1):
        (folder / f"{number}.txt").write_bytes(text.encode("gb18030"))
    out = prov_json(db_url, "import", str(folder), "--encoding", "gb18030")
    assert out["versions"] == 3
    for number, text in enumerate(texts, start=1):
        assert prov(db_url, "show", f"notices@{number}", "--raw").stdout_bytes == text.encode("gb18030")
    log = prov_json(db_url, "log", "notices")
    assert [v["parents"][0]["stats"]["edits"] for v in log["versions"][1:]] == [1, 1]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"path": "notices/1.txt", "doc": "m", "encoding": "gb18030"}\n', encoding="utf-8")
    one_line_error(prov(db_url, "import", str(manifest), "--encoding", "gb18030"), "m.jsonl", "--encoding")
    assert prov_json(db_url, "import", str(manifest))["versions"] == 1
    assert prov(db_url, "show", "m@1", "--raw").stdout_bytes == texts[0].encode("gb18030")


def test_a_folder_of_gb18030_files_without_encoding_is_refused_naming_the_file(db_url, tmp_path):
    folder = tmp_path / "notices"
    folder.mkdir()
    (folder / "1.txt").write_bytes(TEXT.encode("gb18030"))
    one_line_error(prov(db_url, "import", str(folder)), "1.txt", "byte offset", "--encoding")
    _nothing_written(db_url)


# -- the service and the exports ------------------------------------------------------------


def test_the_raw_downloads_name_the_charset_of_the_bytes_they_return(db_url, tmp_path):
    data = TEXT.encode("gb18030")
    out = prov_json(
        db_url, "register", write(tmp_path, "gb.txt", data), "--doc", "gb", "--encoding", "gb18030"
    )
    prov_json(db_url, "register", write(tmp_path, "u.txt", TEXT.encode()), "--doc", "gb")
    with _client(db_url) as api:
        for url in (
            f"/api/versions/{out['version']}/raw",
            f"/api/contents/{out['hash']}/raw",
            "/raw?ref=gb@1",
        ):
            got = api.get(url)
            assert got.status_code == 200, (url, got.text)
            assert got.content == data
            assert got.headers["content-type"] == "text/plain; charset=gb18030"
        latest = api.get("/api/documents/gb/raw")
        assert latest.content == TEXT.encode() and latest.headers["content-type"].endswith("utf-8")
        shown = api.get(f"/api/versions/{out['version']}")
        assert shown.json()["encoding"] == "gb18030"
        big5 = SAMPLES["big5"].encode("big5")
        posted = api.post(
            "/api/documents/tw/versions",
            content=big5,
            params={"encoding": "big5"},
            headers={"Authorization": f"Bearer {_token(db_url, 'desk')}", "Content-Type": "text/plain"},
        )
        assert posted.status_code == 201, posted.text
        got = api.get(f"/api/versions/{posted.json()['version']}/raw")
        assert got.content == big5 and got.headers["content-type"] == "text/plain; charset=big5"
        page = api.get("/versions/gb@1")
        assert page.status_code == 200 and "in gb18030" in page.text
        assert TEXT.strip().splitlines()[0][:10] in page.text  # the text, decoded, is shown


def test_an_export_records_each_content_encoding_and_keeps_its_bytes(db_url, tmp_path):
    data = TEXT.encode("gb18030")
    out = prov_json(
        db_url, "register", write(tmp_path, "gb.txt", data), "--doc", "gb", "--encoding", "gb18030"
    )
    bag = tmp_path / "bag"
    prov_json(db_url, "export", "gb", "--format", "bagit", "--out", str(bag))
    assert (bag / "data" / "versions" / "0001.txt").read_bytes() == data
    listed = json.loads((bag / "data" / "versions.json").read_text(encoding="utf-8"))
    assert listed[0]["encoding"] == "gb18030" and listed[0]["hash"] == out["hash"]
    prov_doc = json.loads((bag / "data" / "prov.json").read_text(encoding="utf-8"))
    entity = prov_doc["entity"][out["hash"]]
    assert entity["pv:encoding"] == "gb18030"


@pytest.mark.parametrize(
    ("encoding", "http"),
    [
        (None, "utf-8"),
        ("gb18030", "gb18030"),
        ("big5", "big5"),
        ("shift_jis", "Shift_JIS"),
        ("euc_jp", "euc-jp"),
        ("cp1252", "windows-1252"),
        ("iso8859-2", "iso-8859-2"),
        ("utf-16", "utf-16"),
    ],
)
def test_a_content_encoding_is_named_as_http_names_its_charset(encoding, http):
    assert charset(encoding) == http


def test_a_version_is_diffed_against_a_file_in_another_encoding(db_url, tmp_path):
    prov_json(db_url, "register", write(tmp_path, "v1.txt", TEXT.encode()), "--doc", "notice")
    edited = write(tmp_path, "edited.txt", TEXT.replace("加快", "加速").encode("gb18030"))
    report = prov_json(db_url, "diff", "notice@1", edited, "--encoding", "gb18030")
    assert [(e["old"], e["new"]) for e in report["edits"]] == [("快", "速")]
    # Without it the error names the option, which diff has.
    one_line_error(prov(db_url, "diff", "notice@1", edited), edited, "not valid UTF-8", "--encoding")
    # An encoding for two registered versions would be ignored: it is refused instead.
    one_line_error(
        prov(db_url, "diff", "notice@1", "notice@1", "--encoding", "gb18030"),
        "--encoding gb18030",
        "both are registered versions",
    )


def test_bytes_another_writer_stored_first_in_another_encoding_are_refused_whole(db_url, monkeypatch):
    # On PostgreSQL two writers can both read the content as absent, and the second's insert
    # then finds the first's row: its diff was made from its own reading of the bytes.
    from provenance import contents, text
    from provenance.errors import InputError

    data = "café au lait\n".encode()  # valid UTF-8, and valid GB18030 of another text
    assert data.decode("gb18030") != data.decode("utf-8")
    with Archive(db_url, actor="first") as archive:
        archive.register(data, name="gb.txt", doc="a", encoding="gb18030")
        archive.register(b"a cafe\n", name="v1.txt", doc="b")
        before = archive.log("b")

        def unseen(session, data, name, encoding=None, known=None):
            return text.decode(data, name, encoding)  # the second writer's snapshot: not stored yet

        monkeypatch.setattr(contents, "reading", unseen)
        with pytest.raises(InputError, match=r"already stored .* as gb18030"):
            archive.register(data, name="utf8.txt", doc="b")
        monkeypatch.undo()
        assert archive.log("b") == before  # nothing half-written
        assert archive.verify().ok
