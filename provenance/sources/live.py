"""Live pages: a page fetched and registered when its text changed, and the schedule
on which a watch list's pages are fetched again.

`capture` fetches one URL (httpx) and registers it as a web archive's capture
is registered (`provenance.sources.warc`): an HTML page as served is a version
of ``KEY#raw`` (its bytes exactly, in the charset its headers or its
``<meta charset>`` declare) and its main text, extracted by the same
`warc.main_text`, a version of ``KEY`` linked ``derived`` from it (and a
revision of the text before it); a plain-text page is itself the text, one
version of ``KEY``. ``KEY`` is the requested URL in SURT form
(`provenance.sources.urlkey`), so http, https and ``www.`` are one document.
Nothing is registered when the text is the document's latest version's:
the report says ``unchanged``, and a sighting of that version is recorded
with the fetch's time (`provenance.sightings`), unless the version was last
seen less than ``sight_after`` before (`WATCH_SIGHTING_GAP` for a watch). A
server's 304 answer to the ``If-None-Match`` / ``If-Modified-Since`` sent from
the latest capture's ``etag`` and ``last_modified`` is ``unchanged`` too, and
no sighting: no byte was seen, only the server's word.

Every fetch is a result, never a crash: ``refused`` when robots.txt
(`urllib.robotparser`, asked on every host a redirect leads to) disallows
it, ``failed`` with the reason for a timeout, a network error, an HTTP
error status, too many redirects, a body over the size limit or one that
cannot be decoded, ``not text`` for a type that is not HTML or plain text.
Redirects are followed one at a time (at most `MAX_REDIRECTS`); the
version's metadata records the URL asked for (``url``), the one that
answered (``final_url``) and those between (``redirects``), with
``http_status``, ``content_type``, ``charset``, ``etag`` and
``last_modified``; ``captured_at`` is when it was fetched.

`watch` re-checks a watch list (a text file: one URL a line, or
``feed URL`` for an RSS or Atom feed, read by feedparser, whose articles'
links are watched as pages). A page is checked again after `interval` of
its age, the time since its text last changed (or since it was first seen),
as NewsDiffs does; a feed is checked every `FEED_INTERVAL`. When each was
first seen, last checked, last changed and is next due is kept in a state
file beside the list, ``LIST.state.json``, not in the archive: a check is not
evidence by itself. An unchanged check records a sighting only when the
version was last seen `WATCH_SIGHTING_GAP` or more before, so that the record
says until when the text was live without a row and an event every 15
minutes per page. What the archive holds stays the evidence; the
state file is only the schedule, and losing it costs one early re-check.

httpx and feedparser are an optional extra (``provenance[live]``), imported
only when a page or a feed is fetched.
"""

from __future__ import annotations

import json
import time as clock
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from provenance import validate
from provenance.errors import InputError, NotFoundError
from provenance.hashing import content_hash
from provenance.records import RegisterReport, SightingInfo
from provenance.sources import warc
from provenance.sources.urlkey import surt
from provenance.text import MAX_SIZE

USER_AGENT = "provenance/0.1 (+prov capture)"
"""The User-Agent sent, and the name robots.txt rules are matched against (``provenance``)."""

TIMEOUT_S = 30.0
"""How long one request may take (connecting, and each read) before it is a failed result."""

MAX_REDIRECTS = 10
"""Redirects followed for one capture; more is a failed result (a loop, most likely)."""

FEED_INTERVAL = timedelta(minutes=15)
"""How often a feed is fetched again: new articles are what it is watched for."""

WATCH_SIGHTING_GAP = timedelta(days=1)
"""How long after a version was last seen (captured, or sighted) a watch's unchanged
check records a sighting of it. A check every 15 minutes would otherwise add 96
sightings (rows and events) a day per young page; with the schedule's back-off a
version gets at most one a day, then one per 3-day and monthly check, and the
record still says, to within a day, until when the text was live (docs/sightings.md)."""

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")

Outcome = Literal["registered", "unchanged", "refused", "failed", "not text"]


def interval(age: timedelta) -> timedelta:
    """How long to wait before checking a page again, given its ``age``: the time since
    its text last changed, or since it was first seen (NewsDiffs' schedule,
    ``get_update_delay`` in its scraper): every 15 minutes while under 3 hours,
    then hourly for the rest of the first day, every 3 hours for the first week,
    every 3 days for the first 30 days, then monthly (NewsDiffs stops after a year;
    here a page is never dropped). A negative age (a clock set back) is a new page.
    """
    if age < timedelta(hours=3):
        return timedelta(minutes=15)
    if age < timedelta(days=1):
        return timedelta(hours=1)
    if age < timedelta(days=7):
        return timedelta(hours=3)
    if age < timedelta(days=30):
        return timedelta(days=3)
    return timedelta(days=30)


# -- one capture ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaptureReport:
    """What `prov capture` did with one URL.

    ``outcome``: ``registered`` (the text changed, or the page is new: see
    ``registered``), ``unchanged`` (its text is already the document's latest
    version, ``version_name``; or the server answered 304 Not Modified),
    ``refused`` (robots.txt disallows it), ``failed`` (a timeout, a network
    error, an HTTP error status, too many redirects, too large, undecodable:
    ``reason`` says which) or ``not text`` (neither HTML nor plain text).
    ``reason`` is a sentence for any outcome but a plain registration.
    """

    url: str  # the URL asked for
    document: str  # its SURT key: the text's document (the raw page's is KEY#raw)
    outcome: Outcome
    fetched_at: str
    reason: str | None = None
    final_url: str | None = None  # the URL that answered, after redirects
    redirects: tuple[str, ...] = ()  # the URLs that redirected, in order, the one asked for first
    status: int | None = None  # the last HTTP status received
    content_type: str | None = None
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    registered: tuple[RegisterReport, ...] = ()  # the raw page's version, then the text's
    version_name: str | None = None  # DOC@N of the text's version: new, or the one unchanged
    # Unchanged: the sighting of ``version_name`` this fetch recorded (None: none, because
    # the server answered 304, or the version was seen less than ``sight_after`` before).
    sighting: SightingInfo | None = None


@dataclass(frozen=True, slots=True)
class _Known:
    """What the archive knows of a URL before it is fetched again."""

    etag: str | None = None
    last_modified: str | None = None
    version_name: str | None = None  # KEY@N of its latest text


@dataclass(frozen=True, slots=True)
class _Response:
    """A fetch, done: the page or why there is none."""

    report: CaptureReport  # with body None, final (refused, failed...); else `_record` decides
    body: bytes | None = None
    media_type: str = ""


def _httpx() -> Any:
    try:
        import httpx
    except ImportError:
        raise InputError("fetching pages needs httpx: pip install 'provenance[live]'") from None
    return httpx


def _now() -> str:
    """The time now, as a version's ``captured_at`` records it (ISO 8601, ``+00:00``)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def key_of(url: str) -> str:
    """The document a URL's text is a version of (its SURT form), checked."""
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise InputError(f"{validate.shown(url)}: a page to capture is an http:// or https:// URL")
    return validate.document(surt(url), field="URL")


Sessions = Callable[..., AbstractContextManager[Any]]
"""``sessions(write=bool)``: a read-only session or a transaction (the archive's)."""


def capture(
    sessions: Sessions,
    url: str,
    *,
    actor: str,
    timeout: float = TIMEOUT_S,
    user_agent: str = USER_AGENT,
    max_size: int = MAX_SIZE,
    client: Any = None,
    sight_after: timedelta = timedelta(0),
) -> CaptureReport:
    """Fetch ``url`` and register it when its text changed (see the module's docstring).

    An unchanged text records a sighting of its version with the fetch's time,
    unless the version was last seen (captured or sighted) less than
    ``sight_after`` before the fetch.

    The archive is read for the latest capture's ``etag`` and ``last_modified``,
    then the page is fetched outside any transaction, then compared and registered
    in one. ``client`` is an `httpx.Client` to reuse (robots.txt is then asked once
    per host for the client's life); without one a client is made for the call.
    """
    validate.actor(actor)
    key = key_of(url)
    with sessions(write=False) as session:
        known = _known(session, key)
    if client is None:
        with _client(timeout, user_agent) as own:
            got = _fetch(own, url, key, known, max_size)
    else:
        got = _fetch(client, url, key, known, max_size)
    if got.body is None:
        return got.report
    try:
        with sessions(write=True) as session:
            return _record(session, got, key, actor, max_size, sight_after)
    except InputError as exc:  # a text the archive refuses (rolled back): a result, too
        return replace(got.report, outcome="failed", reason=f"not registered: {exc}")


def _client(timeout: float, user_agent: str) -> Any:
    httpx = _httpx()
    client = httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,  # followed by _fetch, asking robots.txt on each host
        headers={"User-Agent": user_agent},
    )
    return client


def _latest(session: Any, doc: str) -> Any:
    from provenance import refs

    try:
        return refs.resolve(session, f"{doc}@latest", files=False)
    except NotFoundError:
        return None


def _known(session: Any, key: str) -> _Known:
    text = _latest(session, key)
    raw = _latest(session, key + warc.RAW_SUFFIX) or text
    if raw is None:
        return _Known()
    meta = dict(raw.meta or {})
    # The text, when it came from that capture; else the capture had no main text.
    same = text is not None and text.captured_at == raw.captured_at
    latest = (
        f"{key}@{text.number}"
        if same and text is not None
        else f"{key}{warc.RAW_SUFFIX}@{raw.number}"
    )
    return _Known(
        etag=meta.get("etag"), last_modified=meta.get("last_modified"), version_name=latest
    )


def _fetch(
    client: Any,
    url: str,
    key: str,
    known: _Known,
    max_size: int,
    types: tuple[str, ...] | None = warc.HTML_TYPES + warc.TEXT_TYPES,
) -> _Response:
    """``url`` fetched, redirects followed and robots.txt asked on each host; a body only
    of the media ``types`` (None: any), at most ``max_size`` bytes. Without a body the
    report is final; with one, what to register is `_record`'s to decide."""
    httpx = _httpx()
    report = CaptureReport(url=url, document=key, outcome="failed", fetched_at=_now())
    current, chain = url, []
    conditional = {}
    if known.etag:
        conditional["If-None-Match"] = known.etag
    if known.last_modified:
        conditional["If-Modified-Since"] = known.last_modified
    try:
        for _ in range(MAX_REDIRECTS + 1):
            refusal = _robots(client, current)
            if refusal is not None:
                return _Response(
                    replace(
                        report,
                        outcome="refused",
                        reason=refusal,
                        final_url=current,
                        redirects=tuple(chain),
                    )
                )
            with client.stream(
                "GET", current, headers=conditional, follow_redirects=False
            ) as response:
                report = replace(
                    report,
                    fetched_at=_now(),
                    status=response.status_code,
                    final_url=current,
                    redirects=tuple(chain),
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                )
                location = response.headers.get("location")
                if response.is_redirect and location:
                    chain.append(current)
                    current = urljoin(current, location)
                    if urlsplit(current).scheme not in ("http", "https"):
                        return _Response(
                            replace(
                                report, reason=f"redirected to {current}, not an http or https URL"
                            )
                        )
                    continue
                if response.status_code == 304:
                    return _Response(
                        replace(
                            report,
                            outcome="unchanged",
                            reason="304 Not Modified: the server says the page is as last captured",
                            version_name=known.version_name,
                        )
                    )
                if not 200 <= response.status_code < 300:
                    phrase = response.reason_phrase or ""
                    return _Response(
                        replace(report, reason=f"HTTP {response.status_code} {phrase}".rstrip())
                    )
                media, charset = warc.media_type(response.headers.get("content-type", ""))
                report = replace(report, content_type=media or None, charset=charset)
                if types is not None and media not in types:
                    return _Response(
                        replace(
                            report,
                            outcome="not text",
                            reason=f"{media or 'no content type'}: neither HTML nor plain text",
                        )
                    )
                body = bytearray()
                for block in response.iter_bytes():
                    body += block
                    if len(body) > max_size:
                        return _Response(
                            replace(
                                report, reason=f"the page is over the limit of {max_size} bytes"
                            )
                        )
            if charset is None and media in warc.HTML_TYPES:
                charset = warc.declared_charset(bytes(body[:4096]))
                report = replace(report, charset=charset)
            return _Response(report, bytes(body), media)
        return _Response(replace(report, reason=f"more than {MAX_REDIRECTS} redirects"))
    except httpx.TimeoutException as exc:
        limit = client.timeout.read
        return _Response(
            replace(
                report,
                final_url=current,
                reason=f"timed out after {limit:g} s ({type(exc).__name__})",
            )
        )
    except httpx.HTTPError as exc:
        return _Response(replace(report, final_url=current, reason=f"{type(exc).__name__}: {exc}"))


def _robots(client: Any, url: str) -> str | None:
    """Why robots.txt refuses ``url`` to this client's user agent, or None when it allows it.

    As `urllib.robotparser.RobotFileParser.read` judges its answer: 401 or 403
    disallows everything, another 4xx (404: none there) allows everything; a
    server error disallows everything, as RFC 9309 says of an unreachable
    robots.txt. A host that cannot be reached at all raises httpx's error (the
    capture fails, as fetching the page would). Asked once per host for the
    client's life.
    """
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    agent = client.headers.get("User-Agent", USER_AGENT)
    if not hasattr(client, "prov_robots"):
        client.prov_robots = {}  # origin -> RobotFileParser, or why nothing may be fetched
    cache: dict[str, Any] = client.prov_robots
    rules = cache.get(origin)
    if rules is None:
        parser = RobotFileParser(origin + "/robots.txt")
        answer = client.get(origin + "/robots.txt", follow_redirects=True)
        if answer.status_code in (401, 403):
            parser.disallow_all = True
        elif 400 <= answer.status_code < 500:
            parser.allow_all = True
        elif answer.status_code >= 500:
            rules = f"refused by robots.txt: {origin}/robots.txt answered HTTP {answer.status_code}, so nothing may be fetched"
        else:
            parser.parse(answer.content.decode("utf-8", errors="replace").splitlines())
        rules = rules or parser
        cache[origin] = rules
    if isinstance(rules, str):
        return rules
    if not rules.can_fetch(agent, url):
        return f"refused by robots.txt: {origin}/robots.txt disallows {parts.path or '/'} to {agent.split('/')[0]}"
    return None


def _record(
    session: Any, got: _Response, key: str, actor: str, max_size: int, sight_after: timedelta
) -> CaptureReport:
    """Register the fetched page in ``session`` when its text changed; the report says what was done."""
    from provenance import importer
    from provenance.text import decode

    report = got.report
    html = got.media_type in warc.HTML_TYPES
    encoding = warc.encoding_of(report.charset)
    where = report.final_url or report.url
    if not got.body:
        return replace(report, outcome="failed", reason="the page is empty")
    try:
        page = decode(got.body, where, encoding)
    except InputError as exc:
        return replace(report, outcome="failed", reason=f"the page cannot be decoded: {exc}")
    text = warc.main_text(page.text, where) if html else page.data
    text_doc = key if text is not None else key + warc.RAW_SUFFIX
    compared = content_hash(text) if text is not None else content_hash(page.data)
    meta: dict[str, Any] = {
        "url": report.url,
        "final_url": report.final_url,
        "http_status": report.status,
    }
    if report.redirects:
        meta["redirects"] = list(report.redirects)
    for field in ("content_type", "charset", "etag", "last_modified"):
        if getattr(report, field) is not None:
            meta[field] = getattr(report, field)
    meta = validate.meta(meta, where=where)
    latest = _latest(session, text_doc)
    if latest is not None and latest.content_hash == compared:
        return _seen_again(session, report, latest, text_doc, meta, actor, sight_after)
    common: dict[str, Any] = {
        "line": 1,
        "path": None,
        "parents": (),
        "source": validate.source(report.final_url or report.url, where=where, field="URL"),
        "captured_at": report.fetched_at,
        "label": None,
        "where": where,
    }
    body = got.body
    raw = importer.Entry(
        name=f"{report.url} captured {report.fetched_at}",
        doc=key + warc.RAW_SUFFIX if html else key,
        relation=None,
        encoding=encoding,
        meta=meta,
        load=lambda: body,
        **common,
    )
    entries = [raw]
    if html and text is not None:
        entries.append(
            importer.Entry(
                name=f"{report.url} captured {report.fetched_at}, main text",
                doc=key,
                relation="derived",
                encoding=None,
                meta=validate.meta({**meta, "extractor": warc.extractor()}, where=where),
                load=lambda: text,
                parent_entry=0,
                **common,
            )
        )
    digest = content_hash(body)
    found = importer.Collection("capture", report.url, tuple(entries), lambda: digest)
    done = importer.register_all(session, found, actor=actor, max_size=max_size)
    names = {r.document: f"{r.document}@{r.number}" for r in done.registered}
    reason = (
        None
        if text is not None or not html
        else "no main text found: only the page as served is registered"
    )
    return replace(
        report,
        outcome="registered",
        reason=reason,
        registered=done.registered,
        version_name=names.get(text_doc),
    )


def _seen_again(
    session: Any,
    report: CaptureReport,
    latest: Any,
    doc: str,
    meta: dict[str, Any],
    actor: str,
    sight_after: timedelta,
) -> CaptureReport:
    """An unchanged text: a sighting of its version at the fetch's time, unless the
    version was seen less than ``sight_after`` before."""
    from provenance import archive, sightings

    fetched = validate.time(report.fetched_at, field="fetched_at")
    seen = sightings.of_version(session, latest.id)
    times = [_aware(t) for t in (latest.captured_at, *(s.captured_at for s in seen))]
    last = max((t for t in times if t is not None), default=None)
    now = _aware(fetched)
    reason = "the text is the document's latest version"
    sighting = None
    if last is not None and now is not None and now - last < sight_after:
        hours = f"{sight_after.total_seconds() / 3600:g} h"
        reason += f"; seen less than {hours} before, so no sighting is recorded"
    else:
        recorded = sightings.see(
            session,
            latest,
            source=validate.source(report.final_url or report.url, field="URL"),
            captured_at=fetched,
            meta=meta,
            actor=actor,
            recorded_at=archive.now(),
        )
        sighting = recorded.sighting if recorded.outcome == "sighted" else None
        if sighting is not None:
            reason += f"; recorded as sighting {sighting.id} of it"
    return replace(
        report,
        outcome="unchanged",
        reason=reason,
        version_name=f"{doc}@{latest.number}",
        sighting=sighting,
    )


def _aware(text: str | None) -> datetime | None:
    """An ISO 8601 time as an aware datetime (UTC when it names no offset), or None."""
    try:
        value = datetime.fromisoformat(text or "")
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# -- a watch list, re-checked on a schedule ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Watched:
    """One line of a watch list: a page, or a feed whose articles are watched."""

    url: str
    feed: bool
    line: int


@dataclass(frozen=True, slots=True)
class PageState:
    """A watched page's schedule, as the state file keeps it (times in ISO 8601, UTC).

    ``first_seen``: when it was first watched (listed, or found in a feed);
    ``last_changed``: the last check that registered a new text (None: none yet);
    ``next_due``: when `interval` of its age says to check it again.
    """

    url: str
    first_seen: str
    next_due: str
    last_checked: str | None = None
    last_changed: str | None = None
    last_outcome: Outcome | None = None
    last_reason: str | None = None
    feed: str | None = None  # the feed that listed it; None: the watch list itself


@dataclass(frozen=True, slots=True)
class FeedState:
    """A watched feed's schedule and the validators its last answer gave."""

    url: str
    next_due: str
    last_checked: str | None = None
    last_outcome: Literal["read", "unchanged", "refused", "failed"] | None = None
    last_reason: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FeedReport:
    """One feed fetched by a watch round: ``read`` (its ``articles``, the links it lists,
    and which of them are ``new`` to the watch), ``unchanged`` (304 Not Modified),
    ``refused`` (robots.txt) or ``failed`` (``reason`` says why)."""

    url: str
    outcome: Literal["read", "unchanged", "refused", "failed"]
    fetched_at: str
    reason: str | None = None
    articles: tuple[str, ...] = ()
    new: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WatchReport:
    """What one round of `prov watch` did: the feeds and pages that were due, checked,
    and every watched page's schedule after it."""

    watch_list: str
    state_file: str  # where the schedule is kept, beside the list
    checked_at: str  # the time the round judged what was due
    feeds: tuple[FeedReport, ...]
    captures: tuple[CaptureReport, ...]  # the pages that were due, in the list's order
    pages: tuple[PageState, ...]
    next_due: str | None  # the earliest time a page or feed is due again


def state_path(watch_list: str | Path) -> Path:
    """Where the schedule of ``watch_list`` is kept: ``LIST.state.json`` beside it."""
    path = Path(watch_list)
    return path.with_name(path.name + ".state.json")


def read_list(path: str | Path) -> list[Watched]:
    """The checked lines of a watch list: ``URL`` or ``feed URL``, one a line; blank lines
    and lines starting with ``#`` are skipped. Errors name the file and the line."""
    from provenance.text import read_file

    name = validate.display_path(str(path))
    data = read_file(str(path))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not valid UTF-8 at byte offset {exc.start}") from None
    found: list[Watched] = []
    keys: dict[tuple[bool, str], int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        feed = words[0] == "feed"
        if feed:
            words = words[1:]
        if len(words) != 1:
            raise InputError(f"{name}:{number}: a line is a URL, or 'feed' and a URL")
        try:
            key = key_of(words[0])
        except InputError as exc:
            raise InputError(f"{name}:{number}: {exc}") from None
        if (feed, key) in keys:
            raise InputError(
                f"{name}:{number}: the same {'feed' if feed else 'page'} as line {keys[feed, key]}"
            )
        keys[feed, key] = number
        found.append(Watched(words[0], feed, number))
    if not found:
        raise InputError(f"{name}: the watch list names no URL")
    return found


def _load_state(path: Path) -> tuple[dict[str, PageState], dict[str, FeedState]]:
    if not path.exists():
        return {}, {}
    name = validate.display_path(str(path))
    try:
        given = json.loads(path.read_text(encoding="utf-8"))
        pages = {p["url"]: PageState(**p) for p in given["pages"]}
        feeds = {f["url"]: FeedState(**f) for f in given["feeds"]}
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror})") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{name}: not a watch state file prov can read ({type(exc).__name__}: {exc}); "
            "move it away to start the schedule afresh"
        ) from None
    return pages, feeds


def _save_state(path: Path, pages: dict[str, PageState], feeds: dict[str, FeedState]) -> None:
    from dataclasses import asdict

    from provenance.output import write_whole

    state = {
        "format": "prov watch state 1",
        "pages": [asdict(p) for p in pages.values()],
        "feeds": [asdict(f) for f in feeds.values()],
    }
    write_whole(path, json.dumps(state, indent=2, ensure_ascii=False) + "\n")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def watch(
    archive: Any,
    watch_list: str | Path,
    *,
    now: datetime | None = None,
    timeout: float = TIMEOUT_S,
    user_agent: str = USER_AGENT,
    max_size: int = MAX_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> WatchReport:
    """One round over ``watch_list``: fetch every feed that is due (adding the articles it
    lists), then capture every page that is due through ``archive.capture`` (each in its
    own transaction), and keep the schedule in `state_path` (written after each check,
    so an interrupted round loses none). ``now`` is the time the round judges what is
    due by and records as checked (default: the clock); capture times are the fetches'.
    """
    listed = read_list(watch_list)
    where = state_path(watch_list)
    pages, feeds = _load_state(where)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    stamp = _iso(moment)
    feed_urls = [w.url for w in listed if w.feed]
    feeds = {url: feeds.get(url) or FeedState(url, next_due=stamp) for url in feed_urls}
    wanted = {w.url for w in listed if not w.feed}
    kept = {
        u: p for u, p in pages.items() if u in wanted or (p.feed is not None and p.feed in feeds)
    }
    for url in [w.url for w in listed if not w.feed]:
        if url not in kept:
            kept[url] = PageState(url, first_seen=stamp, next_due=stamp)
        elif kept[url].feed is not None:
            kept[url] = replace(kept[url], feed=None)  # listed now: the list's own
    pages = kept
    feed_reports: list[FeedReport] = []
    captures: list[CaptureReport] = []
    with _client(timeout, user_agent) as client:
        for url, state in list(feeds.items()):
            if _parse(state.next_due) > moment:
                continue
            found, validators = _read_feed(client, url, state, max_size)
            new = tuple(link for link in found.articles if link not in pages)
            found = replace(found, new=new)
            feed_reports.append(found)
            for link in new:
                pages[link] = PageState(link, first_seen=stamp, next_due=stamp, feed=url)
            feeds[url] = replace(
                state,
                last_checked=stamp,
                next_due=_iso(moment + FEED_INTERVAL),
                last_outcome=found.outcome,
                last_reason=found.reason,
                etag=validators[0],
                last_modified=validators[1],
            )
            _save_state(where, pages, feeds)
        due = [p for p in pages.values() if _parse(p.next_due) <= moment]
        for done, page in enumerate(due, start=1):
            report = archive.capture(
                page.url, client=client, max_size=max_size, sight_after=WATCH_SIGHTING_GAP
            )
            captures.append(report)
            changed = stamp if report.outcome == "registered" else page.last_changed
            age = moment - _parse(changed or page.first_seen)
            pages[page.url] = replace(
                page,
                last_checked=stamp,
                last_changed=changed,
                last_outcome=report.outcome,
                last_reason=report.reason,
                next_due=_iso(moment + interval(age)),
            )
            _save_state(where, pages, feeds)
            if progress is not None:
                progress(done, len(due))
    _save_state(where, pages, feeds)
    upcoming = [p.next_due for p in pages.values()] + [f.next_due for f in feeds.values()]
    return WatchReport(
        watch_list=validate.display_path(str(watch_list)),
        state_file=validate.display_path(str(where)),
        checked_at=stamp,
        feeds=tuple(feed_reports),
        captures=tuple(captures),
        pages=tuple(pages.values()),
        next_due=min(upcoming, key=_parse) if upcoming else None,
    )


def seconds_until(moment: str | None, *, now: datetime | None = None) -> float:
    """How long from ``now`` until ``moment`` (a report's ``next_due``), at least 1 s."""
    if moment is None:
        return FEED_INTERVAL.total_seconds()
    left = (_parse(moment) - (now or datetime.now(UTC))).total_seconds()
    return max(1.0, left)


_sleep = clock.sleep  # how `rounds` waits (a test replaces this name, not time.sleep)


def rounds(archive: Any, watch_list: str | Path, **options: Any) -> Iterator[WatchReport]:
    """`watch` rounds without end, each when the earliest page or feed is due."""
    while True:
        report = watch(archive, watch_list, **options)
        yield report
        _sleep(seconds_until(report.next_due))


def _feedparser() -> Any:
    try:
        import feedparser
    except ImportError:
        raise InputError("reading feeds needs feedparser: pip install 'provenance[live]'") from None
    return feedparser


def _read_feed(
    client: Any, url: str, state: FeedState, max_size: int
) -> tuple[FeedReport, tuple[str | None, str | None]]:
    """The feed at ``url``, fetched and read, and the ETag and Last-Modified to send next."""
    known = _Known(etag=state.etag, last_modified=state.last_modified)
    got = _fetch(client, url, key_of(url), known, max_size, types=None)
    report = got.report
    kept = (state.etag, state.last_modified)
    if report.outcome == "unchanged":
        return FeedReport(url, "unchanged", report.fetched_at, report.reason), kept
    if got.body is None:
        outcome: Literal["refused", "failed"] = (
            "refused" if report.outcome == "refused" else "failed"
        )
        return FeedReport(url, outcome, report.fetched_at, report.reason), kept
    parsed = _feedparser().parse(
        got.body, response_headers={"content-location": report.final_url or url}
    )
    base = report.final_url or url
    links = []
    for entry in parsed.entries:
        link = entry.get("link")
        if link:
            link = urljoin(base, link)
            if link.lower().startswith(("http://", "https://")) and link not in links:
                links.append(link)
    if not links and (parsed.bozo or not parsed.get("version")):
        why = parsed.get("bozo_exception")
        reason = f"not an RSS or Atom feed ({why})" if why else "not an RSS or Atom feed"
        return FeedReport(url, "failed", report.fetched_at, reason), kept
    return FeedReport(url, "read", report.fetched_at, None, tuple(links)), (
        report.etag,
        report.last_modified,
    )
