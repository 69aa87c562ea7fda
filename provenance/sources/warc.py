"""A web archive (WARC, or the WARCs inside a WACZ): its text and HTML captures as versions.

Every ``response`` (or ``resource``) record of a successful capture whose type
is HTML (``text/html``, ``application/xhtml+xml``) or plain text
(``text/plain``) becomes a version of the document named by its URL in SURT
form (`provenance.sources.urlkey`), so http, https and ``www.`` captures of
a page are one document. Its capture time is the record's ``WARC-Date``, its
source the URL captured, and its metadata names the original:
``warc_record_id`` (what a re-run matches), ``warc_target_uri``,
``warc_date``, ``warc_file``, ``http_status``, ``content_type`` and
``warc_payload_digest``.

An HTML capture gives two versions, so that nothing of it is lost: the page
as served (its payload, with transfer and content encodings undone, its
bytes kept exactly, read in the encoding its headers or ``<meta charset>``
declare) as a version of
``KEY#raw`` (no URL's key has a ``#``: fragments are dropped), and its main
text, extracted by trafilatura, as a version of ``KEY`` linked to that raw
capture as ``derived``, with the extractor's name and version in
``meta.extractor``. A page in which trafilatura finds no main text keeps
only its raw capture, and the report says so. A plain-text capture is
itself the text: one version of ``KEY``.

A ``revisit`` record (the same payload as an earlier capture) is that
capture again at the revisit's time: the payload is taken from the record
its ``WARC-Payload-Digest`` (else ``WARC-Refers-To``) names, when the file
holds it, and as unchanged bytes it is then usually reported unchanged; a
revisit of a capture the file does not hold is reported skipped.

Records are read in file order: crawlers write them as they capture. Only
the index (offsets and headers) is held while reading; each payload is read
again, one at a time, as it is registered. warcio and trafilatura are an
optional extra (``provenance[web-archives]``), imported only here.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import IO, Any

from blake3 import blake3

from provenance import validate
from provenance.errors import InputError
from provenance.hashing import PREFIX
from provenance.importer import Collection, Entry, Skipped, SkipReason
from provenance.sources.urlkey import surt
from provenance.text import MAX_SIZE

HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain",)
RAW_SUFFIX = "#raw"
_UTF8 = ("utf-8", "utf8", "us-ascii", "ascii")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def _archive_iterator() -> Any:
    try:
        from warcio.archiveiterator import ArchiveIterator
    except ImportError:
        raise InputError(
            "reading a web archive needs warcio: pip install 'provenance[web-archives]'"
        ) from None
    return ArchiveIterator


def _extractor() -> Any:
    try:
        import trafilatura
    except ImportError:
        raise InputError(
            "extracting the text of HTML captures needs trafilatura: "
            "pip install 'provenance[web-archives]'"
        ) from None
    return trafilatura


@dataclass(frozen=True, slots=True)
class _Record:
    """Where a capture is, and what its headers say."""

    member: str | None  # the WARC inside a WACZ, else None
    offset: int
    number: int  # 1-based, in the file (or the WACZ member)
    kind: str  # response, resource, revisit
    uri: str
    date: str
    record_id: str
    media_type: str
    charset: str | None
    status: int | None
    payload_digest: str | None
    refers_to: str | None


class _Reader:
    """The web archive, opened: its WARC streams, and a payload read back by offset."""

    def __init__(self, path: str, max_size: int) -> None:
        self.path, self.max_size = path, max_size
        self.display = validate.display_path(path)
        self.zip: zipfile.ZipFile | None = None
        self.files: dict[str | None, IO[bytes]] = {}
        self.iterator = _archive_iterator()

    def members(self) -> list[str | None]:
        if not self.path.lower().endswith(".wacz"):
            return [None]
        try:
            self.zip = zipfile.ZipFile(self.path)
        except FileNotFoundError:
            raise InputError(f"{self.display}: no such file") from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"{self.display}: not a WACZ file (a zip): {exc}") from None
        names = sorted(
            n
            for n in self.zip.namelist()
            if n.startswith("archive/") and n.lower().endswith((".warc", ".warc.gz"))
        )
        if not names:
            raise InputError(f"{self.display}: a WACZ holds its WARCs under archive/; none found")
        return list(names)

    def stream(self, member: str | None) -> IO[bytes]:
        found = self.files.get(member)
        if found is None:
            try:
                if member is None:
                    found = open(self.path, "rb")  # noqa: SIM115  (closed by close())
                else:
                    assert self.zip is not None
                    found = self.zip.open(member)
            except FileNotFoundError:
                raise InputError(f"{self.display}: no such file") from None
            except OSError as exc:
                raise InputError(f"{self.display}: cannot be read ({exc.strerror})") from None
            self.files[member] = found
        return found

    def where(self, member: str | None) -> str:
        return self.display if member is None else f"{self.display}!{member}"

    def records(self) -> Iterator[tuple[_Record, Any]]:
        for member in self.members():
            stream = self.stream(member)
            stream.seek(0)
            number = end = 0
            try:
                iterator = self.iterator(stream, check_digests=False)
                for record in iterator:
                    number += 1
                    found = _describe(record, member, number)  # may read the first bytes
                    offset = iterator.get_record_offset()  # reads the record to its end
                    end = offset + iterator.get_record_length()
                    if getattr(record.raw_stream, "limit", 0) > 0:
                        raise InputError(
                            f"{self.where(member)}: record {number} is cut short: the file ends "
                            "before the length its Content-Length header gives"
                        )
                    if found is not None:
                        yield replace(found, offset=offset), record
                stream.seek(end)
                rest = stream.read(1 << 16)
            except InputError:
                raise
            except Exception as exc:  # warcio's parse errors have no common base
                raise InputError(
                    f"{self.where(member)}: not a WARC file that can be read after record "
                    f"{number} ({type(exc).__name__}: {exc})"
                ) from None
            if rest.strip(b"\r\n"):  # warcio stops quietly at a record it cannot parse
                raise InputError(
                    f"{self.where(member)}: not a WARC file that can be read after record "
                    f"{number} (at byte {end}: no WARC record starts there)"
                )

    def payload(self, rec: _Record) -> bytes:
        stream = self.stream(rec.member)
        stream.seek(rec.offset)
        where = f"{self.where(rec.member)}: record {rec.number}"
        try:
            record = next(iter(self.iterator(stream, check_digests=False)))
            data = record.content_stream().read(self.max_size + 1)
        except Exception as exc:
            raise InputError(f"{where}: its payload cannot be read ({exc})") from None
        if len(data) > self.max_size:
            raise InputError(f"{where}: its payload is over the limit of {self.max_size} bytes")
        return data

    def digest(self) -> str:
        hasher = blake3()
        try:
            with open(self.path, "rb") as file:
                for block in iter(lambda: file.read(1 << 20), b""):
                    hasher.update(block)
        except OSError as exc:
            raise InputError(f"{self.display}: cannot be read ({exc.strerror})") from None
        return PREFIX + hasher.hexdigest()

    def close(self) -> None:
        for file in self.files.values():
            file.close()
        self.files.clear()
        if self.zip is not None:
            self.zip.close()


def _describe(record: Any, member: str | None, number: int) -> _Record | None:
    kind = record.rec_type
    if kind not in ("response", "resource", "revisit"):
        return None
    headers = record.rec_headers
    uri = headers.get_header("WARC-Target-URI") or ""
    if not uri.lower().startswith(("http://", "https://")):
        return None
    http = record.http_headers if kind != "resource" else None
    content_type = (http.get_header("Content-Type") if http else None) or (
        headers.get_header("Content-Type") if kind == "resource" else None
    )
    media, charset = media_type(content_type or "")
    if charset is None and media in HTML_TYPES and kind != "revisit":
        # The charset a page declares in itself, read now from its first bytes,
        # so that its entry says how to decode it before it is loaded.
        charset = declared_charset(record.content_stream().read(4096))
    status = None
    if http is not None:
        try:
            status = int(http.get_statuscode())
        except (TypeError, ValueError):
            status = None
    return _Record(
        member=member,
        offset=-1,  # known once the record has been read to its end
        number=number,
        kind=kind,
        uri=uri,
        date=headers.get_header("WARC-Date") or "",
        record_id=headers.get_header("WARC-Record-ID") or "",
        media_type=media,
        charset=charset,
        status=status,
        payload_digest=headers.get_header("WARC-Payload-Digest"),
        refers_to=headers.get_header("WARC-Refers-To"),
    )


def media_type(value: str) -> tuple[str, str | None]:
    """The media type of a ``Content-Type`` header's ``value``, lowercased, and its
    ``charset`` parameter (lowercased; None when it gives none)."""
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, given = param.partition("=")
        if name.strip().lower() == "charset" and given.strip():
            charset = given.strip().strip("\"'").lower()
    return media.strip().lower(), charset


def declared_charset(head: bytes) -> str | None:
    """The charset an HTML page declares in itself (``<meta charset>`` or its
    ``http-equiv`` form), read from its first bytes ``head``; None without one."""
    found = _META_CHARSET.search(head)
    return found.group(1).decode("ascii").lower() if found else None


def main_text(page: str, url: str) -> bytes | None:
    """The main text of the HTML ``page`` (fetched from ``url``) as UTF-8, extracted by
    trafilatura without comments; None when it finds none. `extractor` names it."""
    found = _extractor().extract(page, url=url, include_comments=False)
    return found.encode("utf-8") if found else None


def extractor() -> str:
    """The extractor `main_text` uses, with its version, as ``meta.extractor`` records it."""
    return f"trafilatura {getattr(_extractor(), '__version__', '?')}"


def _is_text(rec: _Record) -> bool:
    return rec.media_type in HTML_TYPES + TEXT_TYPES


def encoding_of(charset: str | None) -> str | None:
    """The encoding to decode a payload declared in ``charset`` with (None: UTF-8)."""
    if charset is None or charset in _UTF8:
        return None
    return charset


def collection(path: str, *, max_size: int = MAX_SIZE) -> Collection:
    """The text and HTML captures of the WARC, WARC.GZ or WACZ file at ``path``."""
    validate.recorded_path(path, field="web archive")
    reader = _Reader(path, max_size)
    try:
        return _collect(reader)
    except BaseException:
        reader.close()
        raise


def _collect(reader: _Reader) -> Collection:
    by_digest: dict[str, _Record] = {}
    by_id: dict[str, _Record] = {}
    not_text: set[str] = set()  # payload digests and ids of captures passed over
    entries: list[Entry] = []
    passed_over: list[Skipped] = []
    for rec, _record in reader.records():
        if rec.kind != "revisit":
            failed = rec.status is not None and not 200 <= rec.status < 300
            if not _is_text(rec) or failed:
                not_text.update(x for x in (rec.payload_digest, rec.record_id) if x)
                passed_over.append(_passed(reader, rec, "not text" if not _is_text(rec) else "failed"))
                continue
            if rec.payload_digest:
                by_digest.setdefault(rec.payload_digest, rec)
            by_id[rec.record_id] = rec
            entries += _entries(reader, rec, rec, len(entries))
            continue
        original = by_digest.get(rec.payload_digest or "") or by_id.get(rec.refers_to or "")
        if (rec.media_type and not _is_text(rec)) or (
            original is None and {rec.payload_digest, rec.refers_to} & not_text
        ):
            passed_over.append(_passed(reader, rec, "not text"))  # an image's, a script's
            continue
        key = _key(reader, rec)
        if original is None:
            name = f"{rec.uri} revisited {rec.date}"
            passed_over.append(Skipped(name, key, "revisit"))
            continue
        entries += _entries(reader, rec, original, len(entries))
    return Collection(
        "warc",
        reader.display,
        tuple(entries),
        reader.digest,
        tuple(passed_over),
        reader.close,
    )


def _passed(reader: _Reader, rec: _Record, reason: SkipReason) -> Skipped:
    """A capture that gives no version, named as the report lists it."""
    return Skipped(f"{rec.uri} at {rec.date}", _key(reader, rec), reason)


def _key(reader: _Reader, rec: _Record) -> str:
    where = f"{reader.where(rec.member)}: record {rec.number}"
    try:
        return validate.document(surt(rec.uri), where=where, field="WARC-Target-URI")
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def _entries(reader: _Reader, rec: _Record, payload_of: _Record, first: int) -> list[Entry]:
    """The entries of one capture ``rec`` whose payload is ``payload_of``'s (itself, or
    the capture a revisit repeats); ``first`` is the index the first entry will have."""
    where = f"{reader.where(rec.member)}: record {rec.number}"
    key = _key(reader, rec)
    html = payload_of.media_type in HTML_TYPES
    captured = validate.time(rec.date, where=where, field="WARC-Date") if rec.date else None
    meta: dict[str, Any] = {
        "warc_record_id": rec.record_id,
        "warc_target_uri": rec.uri,
        "warc_date": rec.date,
        "warc_file": rec.member or reader.display,
        "content_type": payload_of.media_type,
    }
    if payload_of.status is not None:
        meta["http_status"] = payload_of.status
    if payload_of.payload_digest:
        meta["warc_payload_digest"] = payload_of.payload_digest
    if rec is not payload_of:
        meta["warc_revisit_of"] = payload_of.record_id
    meta = validate.meta(meta, where=where)
    source = validate.source(rec.uri, where=where, field="WARC-Target-URI")
    read: dict[str, bytes] = {}  # an HTML payload, from its raw entry's load to its text's

    def payload() -> bytes:
        return reader.payload(payload_of)

    def raw() -> bytes:
        read["data"] = data = reader.payload(payload_of)
        return data

    common: dict[str, Any] = {
        "line": rec.number,
        "path": None,
        "parents": (),
        "source": source,
        "captured_at": captured,
        "label": None,
        "where": where,
        "original": ("warc_record_id", rec.record_id),
    }
    if not html:
        return [
            Entry(
                name=f"{rec.uri} captured {rec.date}",
                doc=key,
                relation=None,
                encoding=encoding_of(payload_of.charset),
                meta=meta,
                load=payload,
                **common,
            )
        ]

    def text() -> bytes | None:
        data = read.pop("data", None) or payload()
        try:
            page = data.decode(encoding_of(payload_of.charset) or "utf-8")
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError(f"{where}: the page cannot be decoded ({exc})") from None
        return main_text(page, rec.uri)

    name = extractor()
    return [
        Entry(
            name=f"{rec.uri} captured {rec.date}",
            doc=key + RAW_SUFFIX,
            relation=None,
            encoding=encoding_of(payload_of.charset),
            meta=meta,
            load=raw,
            **common,
        ),
        Entry(
            name=f"{rec.uri} captured {rec.date}, main text",
            doc=key,
            relation="derived",
            encoding=None,
            meta=validate.meta({**meta, "extractor": name}, where=where),
            load=text,
            nothing="no text",
            parent_entry=first,
            **common,
        ),
    ]
