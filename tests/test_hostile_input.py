"""Hostile input: every bad value is refused in one line, on both backends, and the
archive is left exactly as it was (every table compared before and after).

The catalogue goes through the command line (`prov import`, `prov register`,
`prov annotate`) and through the library's entry points. A case marked
``xfail`` is refused by a module this file's owner does not edit; its reason
says which, and the marker goes when that module is fixed (strict: a fixed
case fails until its marker is removed).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from provenance import annotate, archive, importer, store, validate
from provenance.errors import InputError
from provenance.text import MAX_SIZE, decode

from .test_cli import one_line_error, prov, prov_json

# -- the archive before and after ----------------------------------------------


def dump(db_url: str) -> dict[str, list[str]]:
    """Every row of every table (the schema's version too), in a stable order."""
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            return {
                name: sorted(repr(tuple(row)) for row in conn.execute(sa.text(f'SELECT * FROM "{name}"')))
                for name in tables
            }
    finally:
        engine.dispose()


@pytest.fixture
def held(db_url, tmp_path) -> str:
    """An archive holding one version, ``base@1``, that the hostile inputs must not change."""
    first = tmp_path / "base.txt"
    first.write_text("The base text of the archive.", encoding="utf-8")
    prov_json(db_url, "register", str(first), "--doc", "base", "--label", "kept")
    return db_url


def refused(db_url: str, *args: str, needles: tuple[str, ...] = ()) -> str:
    before = dump(db_url)
    message = one_line_error(prov(db_url, *args), *needles)
    assert dump(db_url) == before
    return message


@contextmanager
def fifo(folder: Path) -> Iterator[Path]:
    """A FIFO no one writes to; should a reader block on it, a writer comes after
    a few seconds and closes, so that a regression fails instead of hanging."""
    path = folder / "pipe.txt"
    os.mkfifo(path)
    done = threading.Event()

    def unblock() -> None:
        while not done.wait(3):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # no reader waiting: nothing to unblock
                continue
            os.close(fd)

    thread = threading.Thread(target=unblock, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        done.set()
        thread.join()


def deep(levels: int) -> str:
    """The JSON text of an object nested ``levels`` deep."""
    return '{"a":' * levels + "1" + "}" * levels


# -- manifests ----------------------------------------------------------------

SURROGATE = "\ud800"
NUL = "\x00"

# (id, the entry as JSON text, words the one-line message must hold)
MANIFEST_CASES = [
    ("surrogate-doc", {"path": "ok.txt", "doc": "d" + SURROGATE}, ("doc", "lone surrogate")),
    ("surrogate-source", {"path": "ok.txt", "doc": "d", "source": SURROGATE}, ("source", "lone surrogate")),
    ("surrogate-label", {"path": "ok.txt", "doc": "d", "label": SURROGATE}, ("label", "lone surrogate")),
    ("surrogate-encoding", {"path": "ok.txt", "doc": "d", "encoding": SURROGATE}, ("encoding", "lone surrogate")),
    ("surrogate-meta-value", {"path": "ok.txt", "doc": "d", "meta": {"k": SURROGATE}}, ("meta['k']", "lone surrogate")),
    ("surrogate-meta-key", {"path": "ok.txt", "doc": "d", "meta": {SURROGATE: "v"}}, ("meta key", "lone surrogate")),
    ("surrogate-parent", {"path": "ok.txt", "doc": "d", "parent": "base" + SURROGATE + "@1"}, ("parent", "lone surrogate")),
    ("surrogate-path", {"path": "ok" + SURROGATE + ".txt", "doc": "d"}, ("path", "lone surrogate")),
    ("surrogate-captured-at", {"path": "ok.txt", "doc": "d", "captured_at": "2019" + SURROGATE}, ("captured_at", "lone surrogate")),
    ("surrogate-relation", {"path": "ok.txt", "doc": "d", "parent": "base@1", "relation": SURROGATE}, ("relation", "lone surrogate")),
    ("nul-doc", {"path": "ok.txt", "doc": "d" + NUL}, ("doc", "NUL")),
    ("nul-source", {"path": "ok.txt", "doc": "d", "source": "wire" + NUL}, ("source", "NUL")),
    ("nul-label", {"path": "ok.txt", "doc": "d", "label": NUL}, ("label", "NUL")),
    ("nul-path", {"path": "ok.txt" + NUL, "doc": "d"}, ("path", "NUL")),
    ("nul-meta-value", {"path": "ok.txt", "doc": "d", "meta": {"k": ["a" + NUL]}}, ("meta['k'][0]", "NUL")),
    ("nul-parent", {"path": "ok.txt", "doc": "d", "parent": ["base@1", NUL]}, ("parent", "NUL")),
    ("nan-meta", '{"path": "ok.txt", "doc": "d", "meta": {"score": NaN}}', ("meta['score']", "finite")),
    ("infinity-meta", '{"path": "ok.txt", "doc": "d", "meta": {"x": [1, Infinity]}}', ("meta['x'][1]", "finite")),
    ("minus-infinity-meta", '{"path": "ok.txt", "doc": "d", "meta": {"x": -Infinity}}', ("meta['x']", "finite")),
    ("meta-1000-deep", '{"path": "ok.txt", "doc": "d", "meta": ' + deep(1000) + "}", ("nested too deeply",)),
    ("meta-40-deep", '{"path": "ok.txt", "doc": "d", "meta": ' + deep(40) + "}", ("meta", "deeper than 32")),
    ("meta-huge-integer", '{"path": "ok.txt", "doc": "d", "meta": {"n": ' + "9" * 5000 + "}}", ("not JSON",)),
    ("meta-integer-beyond-64-bits", {"path": "ok.txt", "doc": "d", "meta": {"n": 2**64}}, ("meta['n']", "64 bits")),
    ("meta-over-1-mib", {"path": "ok.txt", "doc": "d", "meta": {"n": "x" * (1 << 20)}}, ("meta", "bytes as JSON")),
    ("meta-a-list", {"path": "ok.txt", "doc": "d", "meta": ["a"]}, ("meta", "an object")),
    ("meta-empty-key", {"path": "ok.txt", "doc": "d", "meta": {"": "v"}}, ("meta key", "empty")),
    ("doc-2000-characters", {"path": "ok.txt", "doc": "d" * 2000}, ("doc", "at most 1024", "2000")),
    ("doc-blank", {"path": "ok.txt", "doc": "   "}, ("doc", "empty")),
    ("doc-a-number", {"path": "ok.txt", "doc": 12}, ("doc", "must be text")),
    ("doc-newline", {"path": "ok.txt", "doc": "line\nbreak"}, ("doc", "U+000A")),
    ("doc-line-separator", {"path": "ok.txt", "doc": "line\u2028break"}, ("doc", "U+2028")),
    ("label-600-characters", {"path": "ok.txt", "doc": "d", "label": "标" * 600}, ("label", "at most 512")),
    ("source-5000-characters", {"path": "ok.txt", "doc": "d", "source": "s" * 5000}, ("source", "at most 4096")),
    ("captured-at-not-a-time", {"path": "ok.txt", "doc": "d", "captured_at": "yesterday"}, ("captured_at", "ISO 8601")),
    ("captured-at-longer-than-stored", {"path": "ok.txt", "doc": "d", "captured_at": "2019-10-25T08:00:00.123456+08:00:00.123456"}, ("captured_at", "longer than 40")),
    ("relation-unknown", {"path": "ok.txt", "doc": "d", "parent": "base@1", "relation": "sibling"}, ("relation", "unknown relation")),
    ("parent-a-number", {"path": "ok.txt", "doc": "d", "parent": 1}, ("parent", "a REF or a list")),
    ("parent-superscript-digit", {"path": "ok.txt", "doc": "d", "parent": "²"}, ("parent", "ASCII digits")),
    ("parent-number-beyond-the-column", {"path": "ok.txt", "doc": "d", "parent": "base@99999999999999999999"}, ("parent", "no version number is above")),
    ("parent-superscript-number", {"path": "ok.txt", "doc": "d", "parent": "base@²"}, ("parent", "ASCII digits")),
    ("encoding-not-a-text-encoding", {"path": "ok.txt", "doc": "d", "encoding": "rot13"}, ("not a text encoding",)),
    ("encoding-unknown", {"path": "ok.txt", "doc": "d", "encoding": "klingon"}, ("unknown encoding",)),
    ("encoding-that-gives-lone-surrogates", {"path": "utf7.txt", "doc": "d", "encoding": "utf-7"}, ("lone surrogate", "utf7.txt")),
    ("duplicate-field", '{"path": "ok.txt", "doc": "d", "doc": "e"}', ("'doc'", "twice")),
    ("unknown-field", {"path": "ok.txt", "doc": "d", "actor": "mallory"}, ("unknown field 'actor'",)),
    ("path-etc-passwd", {"path": "/etc/passwd", "doc": "d"}, ("/etc/passwd", "absolute", "--allow-outside")),
    ("path-dot-dot", {"path": "../../x", "doc": "d"}, ("'../../x'", "climbs out")),
    ("path-dot-dot-to-a-real-file", {"path": "../outside.txt", "doc": "d"}, ("'../outside.txt'", "climbs out")),
    ("path-symlink-out", {"path": "link.txt", "doc": "d"}, ("'link.txt'", "symlink")),
    ("path-symlinked-folder-out", {"path": "linked/outside.txt", "doc": "d"}, ("linked/outside.txt", "symlink")),
    ("path-dev-zero", {"path": "/dev/zero", "doc": "d"}, ("/dev/zero", "absolute")),
    ("path-symlink-to-dev-zero", {"path": "zero.txt", "doc": "d"}, ("zero.txt", "symlink")),
    ("path-a-fifo", {"path": "pipe.txt", "doc": "d"}, ("pipe.txt", "a FIFO")),
    ("path-a-directory", {"path": "sub", "doc": "d"}, ("sub", "directory")),
    ("path-the-manifest-folder", {"path": ".", "doc": "d"}, ("directory",)),
    ("path-empty", {"path": "", "doc": "d"}, ("path", "empty")),
    ("path-over-the-size-limit", {"path": "big.txt", "doc": "d"}, ("big.txt", "over the limit")),
    ("path-missing", {"path": "missing.txt", "doc": "d"}, ("missing.txt", "no such file")),
]


def _folder(tmp_path: Path) -> Path:
    """The manifest's folder, with a good file, a sub-folder, a FIFO-to-be and links out."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "outside.txt").write_text("a file outside the manifest's folder", encoding="utf-8")
    (tmp_path / "outside.txt").write_text("beside the manifest's folder", encoding="utf-8")
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "ok.txt").write_text("A text that would register.", encoding="utf-8")
    (folder / "utf7.txt").write_bytes(b"ok +2AA- ok")  # UTF-7 for a lone U+D800
    (folder / "sub").mkdir()
    (folder / "link.txt").symlink_to(outside / "outside.txt")
    (folder / "linked").symlink_to(outside)
    (folder / "zero.txt").symlink_to("/dev/zero")
    with open(folder / "big.txt", "wb") as big:  # sparse: takes no room on disk
        big.truncate(MAX_SIZE + 1)
    return folder


def _manifest_line(entry: dict | str) -> str:
    return entry if isinstance(entry, str) else json.dumps(entry)


@pytest.mark.parametrize(
    ("entry", "needles"), [c[1:] for c in MANIFEST_CASES], ids=[c[0] for c in MANIFEST_CASES]
)
def test_a_hostile_manifest_entry_is_refused_in_one_line_and_nothing_is_registered(
    held, tmp_path, entry, needles
):
    folder = _folder(tmp_path)
    manifest = folder / "batch.jsonl"
    good = json.dumps({"path": "ok.txt", "doc": "fine"})
    # A good entry first: the bad one must undo it.
    manifest.write_text(good + "\n" + _manifest_line(entry) + "\n", encoding="utf-8")
    with fifo(folder):
        message = refused(held, "import", str(manifest), needles=needles)
    assert "batch.jsonl:2" in message


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        ("path,doc,extra\nok.txt,d\nok.txt,e,x,y\n", ("batch.csv:3", "more fields than the header")),
        ("path,doc,doc\nok.txt,d,e\n", ("batch.csv:1", "'doc'", "twice")),
        ("path,doc,label\nok.txt,d,a\x00b\n", ("batch.csv:2", "label", "NUL")),
        ("path,doc,meta.\nok.txt,d,v\n", ("batch.csv:2", "meta key", "empty")),
        ("path,doc\nok.txt," + "d" * 1025 + "\n", ("batch.csv:2", "doc", "at most 1024")),
        ("path,doc,parent\nok.txt,d,base@1|../x\n", ()),  # a REF that is no version
        ("path,doc\n/etc/passwd,d\n", ("batch.csv:2", "absolute")),
        ('path,doc\nok.txt,"' + "x" * 200_000 + '"\n', ("batch.csv:2", "not CSV")),
    ],
    ids=[
        "extra-field",
        "duplicate-column",
        "nul-label",
        "empty-meta-key",
        "long-doc",
        "parent-that-is-no-version",
        "absolute-path",
        "field-larger-than-csv-reads",
    ],
)
def test_a_hostile_csv_manifest_is_refused_in_one_line(held, tmp_path, content, needles):
    folder = _folder(tmp_path)
    manifest = folder / "batch.csv"
    manifest.write_text(content, encoding="utf-8")
    refused(held, "import", str(manifest), needles=needles)


def test_a_manifest_that_is_not_a_regular_file_is_refused_before_it_is_read(held, tmp_path):
    folder = _folder(tmp_path)
    refused(held, "import", "/dev/zero", needles=("/dev/zero", "character device"))
    # A folder is no manifest but a source of its own (tests/test_sources.py).
    with fifo(folder) as pipe:
        renamed = pipe.with_name("pipe.jsonl")
        pipe.rename(renamed)
        refused(held, "import", str(renamed), needles=("a FIFO",))


def test_a_manifest_whose_name_cannot_be_recorded_is_refused(held, tmp_path):
    folder = _folder(tmp_path)
    manifest = folder / "two\nlines.jsonl"  # its path goes into the import event
    manifest.write_text(json.dumps({"path": "ok.txt", "doc": "d"}) + "\n", encoding="utf-8")
    refused(held, "import", str(manifest), needles=("manifest", "U+000A"))


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(db_url, tmp_path):
    folder = _folder(tmp_path)
    (folder / "long.txt").write_text("A longer text. " * 100, encoding="utf-8")
    (folder / "batch.jsonl").write_text(
        json.dumps({"path": "long.txt", "doc": "d"}) + "\n", encoding="utf-8"
    )
    size = (folder / "long.txt").stat().st_size
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        too_big = f"long.txt: {size} bytes, over the limit of {size - 1}"
        with pytest.raises(InputError, match=too_big), store.transaction(engine) as session:
            importer.run(session, str(folder / "batch.jsonl"), actor="t", max_size=size - 1)
        with store.transaction(engine) as session:  # and at its size exactly, it is read
            report = importer.run(session, str(folder / "batch.jsonl"), actor="t", max_size=size)
    finally:
        engine.dispose()
    assert report.versions == 1


# -- prov register --------------------------------------------------------------

REGISTER_CASES = [
    ("nul-doc", ["--doc", "d" + NUL], ("--doc", "NUL")),
    ("surrogate-doc", ["--doc", "d" + SURROGATE], ("--doc", "lone surrogate")),
    ("doc-2000-characters", ["--doc", "d" * 2000], ("--doc", "at most 1024")),
    ("nul-source", ["--doc", "d", "--source", NUL], ("--source", "NUL")),
    ("surrogate-label", ["--doc", "d", "--label", SURROGATE], ("--label", "lone surrogate")),
    ("nul-label", ["--doc", "d", "--label", NUL], ("--label", "NUL")),
    ("surrogate-meta", ["--doc", "d", "--meta", "k=" + SURROGATE], ("--meta", "lone surrogate")),
    ("nul-meta-key", ["--doc", "d", "--meta", "k" + NUL + "=v"], ("--meta", "NUL")),
    ("meta-without-equals", ["--doc", "d", "--meta", "nokey"], ("--meta", "KEY=VALUE")),
    ("meta-without-key", ["--doc", "d", "--meta", "=v"], ("--meta", "KEY=VALUE")),
    ("captured-at-too-long", ["--doc", "d", "--captured-at", "2019-10-25T08:00:00.123456+08:00:00.123456"], ("--captured-at", "longer than 40")),
    ("parent-superscript-number", ["--doc", "d", "--parent", "base@²"], ("--parent", "ASCII digits")),
    ("parent-number-beyond-the-column", ["--doc", "d", "--parent", "base@99999999999999999999"], ("--parent", "above")),
    ("encoding-not-a-text-encoding", ["--doc", "d", "--encoding", "zlib"], ("not a text encoding",), None),
    ("nul-encoding", ["--doc", "d", "--encoding", "a" + NUL], ("--encoding", "NUL"), None),
    ("encoding-undefined", ["--doc", "d", "--encoding", "undefined"], ("not a text encoding",), None),
]


@pytest.mark.parametrize(
    ("args", "needles"),
    [pytest.param(c[1], c[2], id=c[0]) for c in REGISTER_CASES],
)
def test_a_hostile_register_option_is_refused_in_one_line(held, tmp_path, args, needles):
    folder = _folder(tmp_path)
    refused(held, "register", str(folder / "ok.txt"), *args, needles=needles)


def test_an_actor_that_cannot_be_recorded_is_refused_by_register(held, tmp_path):
    folder = _folder(tmp_path)
    path = str(folder / "ok.txt")
    refused(held, "--as", SURROGATE, "register", path, "--doc", "d", needles=("--as", "lone surrogate"))


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        ("/dev/zero", ("/dev/zero", "character device")),
        ("sub", ("sub", "directory")),
        ("pipe.txt", ("pipe.txt", "a FIFO")),
        ("zero.txt", ("zero.txt", "character device")),
        ("big.txt", ("big.txt", "over the limit")),
        ("utf7.txt", ("utf7.txt", "lone surrogate")),
    ],
    ids=["dev-zero", "directory", "fifo", "symlink-to-dev-zero", "over-the-size-limit", "utf-7-lone-surrogate"],
)
def test_a_file_that_is_not_a_text_to_read_is_refused_by_register(held, tmp_path, name, needles):
    folder = _folder(tmp_path)
    path = name if name.startswith("/") else str(folder / name)
    extra = ["--encoding", "utf-7"] if name == "utf7.txt" else []
    with fifo(folder):
        refused(held, "register", path, "--doc", "d", *extra, needles=needles)


# -- prov annotate --------------------------------------------------------------

ANNOTATE_CASES = [
    ("surrogate-label", ["--label", SURROGATE], ("--label", "lone surrogate")),
    ("nul-label", ["--label", "a" + NUL], ("--label", "NUL")),
    ("label-600-characters", ["--label", "y" * 600], ("--label", "at most 512")),
    ("label-newline", ["--label", "two\nlines"], ("--label", "U+000A")),
    ("nul-meta-value", ["--meta", "k=a" + NUL], ("--meta['k']", "NUL")),
    ("surrogate-meta-key", ["--meta", SURROGATE + "=v"], ("--meta key", "lone surrogate")),
    ("meta-key-300-characters", ["--meta", "k" * 300 + "=v"], ("--meta key", "at most 256")),
    ("meta-over-1-mib", ["--meta", "k=" + "v" * (1 << 20)], ("--meta", "bytes as JSON")),
    ("nul-unset-meta", ["--unset-meta", NUL], ("--unset-meta", "NUL")),
]


@pytest.mark.parametrize(
    ("args", "needles"), [c[1:] for c in ANNOTATE_CASES], ids=[c[0] for c in ANNOTATE_CASES]
)
def test_a_hostile_annotation_is_refused_in_one_line(held, args, needles):
    refused(held, "annotate", "base@1", *args, needles=needles)


@pytest.mark.parametrize(
    ("ref", "needles"),
    [
        ("²", ("REF", "ASCII digits")),
        ("base@²", ("REF", "ASCII digits")),
        ("base@99999999999999999999", ("REF", "above")),
        ("base" + NUL + "@1", ("REF", "NUL")),
        ("base" + SURROGATE + "@1", ("REF", "lone surrogate")),
        ("@1", ("REF", "no document")),
    ],
    ids=["superscript-digit", "superscript-number", "number-beyond-the-column", "nul", "surrogate", "no-document"],
)
def test_a_reference_that_does_not_parse_is_refused_by_annotate(held, ref, needles):
    refused(held, "annotate", ref, "--label", "new", needles=needles)


def test_an_actor_that_cannot_be_recorded_is_refused_by_annotate(held):
    refused(held, "--as", "mallory" + SURROGATE, "annotate", "base@1", "--label", "x", needles=("--as", "lone surrogate"))
    refused(held, "--as", "a" * 300, "annotate", "base@1", "--label", "x", needles=("--as", "at most 256"))


# -- the library's entry points ---------------------------------------------------


@contextmanager
def writing(db_url: str):
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        with store.transaction(engine) as session:
            yield session
    finally:
        engine.dispose()


def test_metadata_nested_1000_deep_is_a_clean_error_from_the_library(held):
    nested: dict = {}
    for _ in range(1000):
        nested = {"a": nested}
    before = dump(held)
    with pytest.raises(InputError, match=r"--meta\['a'\].*nested deeper than 32"), writing(held) as session:
        annotate.annotate(session, "base@1", meta=nested, actor="t")
    assert dump(held) == before


@pytest.mark.parametrize(
    "meta",
    [{"x": float("nan")}, {"x": float("inf")}, {"x": {"y": (1, float("-inf"))}}, {1: "a"}, {"x": object()}],
    ids=["nan", "infinity", "minus-infinity-in-a-tuple", "integer-key", "not-json"],
)
def test_metadata_that_is_not_json_is_refused_by_annotate(held, meta):
    before = dump(held)
    with pytest.raises(InputError, match="--meta"), writing(held) as session:
        annotate.annotate(session, "base@1", meta=meta, actor="t")
    assert dump(held) == before


@pytest.mark.parametrize(
    "fields",
    [
        {"doc": "d" * 2000},
        {"doc": "d" + NUL},
        {"doc": "d", "source": "s" + NUL},
        {"doc": "d", "label": SURROGATE},
        {"doc": "d", "meta": {"x": float("nan")}},
        {"doc": "d", "actor": SURROGATE},
    ],
    ids=["doc-2000-characters", "nul-doc", "nul-source", "surrogate-label", "nan-meta", "surrogate-actor"],
)
def test_a_hostile_value_is_refused_by_the_library_register(held, fields):
    before = dump(held)
    with pytest.raises(InputError), writing(held) as session:
        archive.register(session, b"text", name="t.txt", **fields)
    assert dump(held) == before


def test_a_decoder_that_cannot_say_where_it_failed_is_one_line():
    with pytest.raises(InputError, match="not a text encoding"):
        decode(b"x", "t.txt", "undefined")
    with pytest.raises(InputError, match="lone surrogate"):
        decode(b"\\ud800", "t.txt", "unicode_escape")


# -- the same values at the limits are stored on both backends ---------------------


def test_values_at_every_limit_are_stored_on_both_backends_and_read_back_exactly(db_url, tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "a.txt").write_text("text with a NUL \x00 kept as given", encoding="utf-8")
    meta: dict = {"n": validate.INT_MAX, "m": -validate.INT_MAX, "f": 1.5, "k" * 256: "v\nw\t"}
    level = meta
    for _ in range(validate.META_DEPTH - 1):  # the top-level object is the first level
        level["d"] = {}
        level = level["d"]
    entry = {
        "path": "a.txt",
        "doc": "文" * validate.DOC_MAX,
        "label": "标" * validate.LABEL_MAX,
        "source": "s" * validate.SOURCE_MAX,
        "captured_at": "2019-10-25T08:00:00.123456+08:00",
        "meta": meta,
    }
    (folder / "batch.jsonl").write_text(json.dumps(entry) + "\n", encoding="utf-8")
    prov_json(db_url, "import", str(folder / "batch.jsonl"))
    shown = prov_json(db_url, "show", "文" * validate.DOC_MAX + "@1")
    assert shown["label"] == entry["label"] and shown["source"] == entry["source"]
    assert shown["captured_at"] == entry["captured_at"] and shown["meta"] == meta
    assert prov(db_url, "show", shown["name"], "--raw").stdout_bytes == (folder / "a.txt").read_bytes()
    assert prov(db_url, "verify").exit_code == 0
