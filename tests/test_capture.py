"""Issue 11, live capture: `prov capture URL` and `prov watch FILE`, against a local server.

Every page is served by a `Site` the test starts on 127.0.0.1 (never the
internet); the test changes what it serves between requests, as a news
site's page changes between checks.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provenance import Archive
from provenance.sources import live

from .test_cli import one_line_error, prov, prov_json


def _article(title: str, *paragraphs: str, charset: str | None = "utf-8") -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head>{meta}<title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a> | <a href='/news'>News</a></nav>"
        f"<article><h1>{title}</h1>{body}</article>"
        f"<footer>Copyright the Gazette</footer></body></html>"
    )


STORY = (
    "The council voted on Tuesday to close the old library on Mill Street, after a debate "
    "that lasted well into the evening and drew more than two hundred residents.",
    "Supporters of the building said it had served the town for ninety years and could be "
    "repaired for less than the cost of a new one; the council's engineers disagreed.",
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (the timeout test) is no news; tracebacks would reach the output


class Site:
    """A web server on loopback whose pages the test sets, and the requests it received."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.delays: dict[str, float] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                site.requests.append((self.path, dict(self.headers)))
                time.sleep(site.delays.get(self.path, 0))
                status, headers, body = site.pages.get(self.path, (404, {}, b"not found"))
                etag = headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    status, body = 304, b""
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = _Server(("127.0.0.1", 0), Handler)
        # serve_forever looks for shutdown() every poll_interval (0.5 s by default, half
        # a second at the end of every test); this one answers it in a hundredth.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def key(self, path: str) -> str:
        return f"127.0.0.1:{self.server.server_port}){path}"

    def html(self, path: str, page: str, charset: str = "utf-8", **headers: str) -> bytes:
        body = page.encode(charset)
        content_type = (
            f"text/html; charset={charset}" if "no_charset" not in headers else "text/html"
        )
        headers.pop("no_charset", None)
        self.pages[path] = (200, {"Content-Type": content_type, **headers}, body)
        return body

    def asked(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()
    try:
        yield served
    finally:
        served.close()


def capture(db_url: str, url: str, *args: str) -> tuple[int, dict]:
    result = prov(db_url, "capture", url, *args, "--json")
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


# -- the schedule ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "wait"),
    [
        (timedelta(0), timedelta(minutes=15)),
        (timedelta(hours=2, minutes=59), timedelta(minutes=15)),
        (timedelta(hours=3), timedelta(hours=1)),
        (timedelta(hours=23, minutes=59), timedelta(hours=1)),
        (timedelta(days=1), timedelta(hours=3)),
        (timedelta(days=6, hours=23), timedelta(hours=3)),
        (timedelta(days=7), timedelta(days=3)),
        (timedelta(days=29, hours=23), timedelta(days=3)),
        (timedelta(days=30), timedelta(days=30)),
        (timedelta(days=3650), timedelta(days=30)),
        (timedelta(minutes=-5), timedelta(minutes=15)),  # a clock set back: a new page
    ],
)
def test_a_page_is_checked_less_often_as_it_ages_as_newsdiffs_does(age, wait):
    assert live.interval(age) == wait


@given(st.timedeltas(min_value=timedelta(0)), st.timedeltas(min_value=timedelta(0)))
def test_an_older_page_is_never_checked_more_often_than_a_younger_one(a, b):
    young, old = sorted((a, b))
    assert live.interval(young) <= live.interval(old)
    assert timedelta(minutes=15) <= live.interval(old) <= timedelta(days=30)


# -- prov capture -----------------------------------------------------------------------


def test_a_captured_page_is_kept_as_served_and_its_main_text_derived_from_it(db_url, site):
    served = site.html("/story", _article("Library to close", *STORY), ETag='"v1"')
    code, out = capture(db_url, site.url("/story"))
    key = site.key("/story")
    assert code == 0 and out["outcome"] == "registered" and out["document"] == key
    assert [(r["document"], r["number"]) for r in out["registered"]] == [
        (key + "#raw", 1),
        (key, 1),
    ]
    assert out["version_name"] == f"{key}@1"
    with Archive(db_url) as archive:
        assert archive.raw(f"{key}#raw@1") == served  # the page's bytes, exactly
        text = archive.raw(f"{key}@1").decode()
        info = archive.show(f"{key}@1")
    assert STORY[0] in text and STORY[1] in text
    assert "Copyright the Gazette" not in text and "Home" not in text  # the main text only
    assert [(p.parent_name, p.relation) for p in info.parents] == [(f"{key}#raw@1", "derived")]
    assert info.source == site.url("/story") and info.captured_at == out["fetched_at"]
    assert info.meta["url"] == info.meta["final_url"] == site.url("/story")
    assert info.meta["http_status"] == 200 and info.meta["etag"] == '"v1"'
    assert info.meta["extractor"].startswith("trafilatura ")


def test_a_page_whose_text_did_not_change_registers_nothing_and_says_so(db_url, site):
    site.html("/story", _article("Library to close", *STORY))
    assert capture(db_url, site.url("/story"))[1]["outcome"] == "registered"
    # The page around the text changes (a new menu), the text does not.
    site.html("/story", _article("Library to close", *STORY).replace("News</a>", "World</a>"))
    code, out = capture(db_url, site.url("/story"))
    key = site.key("/story")
    assert code == 0 and out["outcome"] == "unchanged" and out["registered"] == []
    assert out["version_name"] == f"{key}@1"
    assert len(prov_json(db_url, "log", key)["versions"]) == 1
    assert len(prov_json(db_url, "log", key + "#raw")["versions"]) == 1
    result = prov(db_url, "capture", site.url("/story"))
    assert result.exit_code == 0 and f"unchanged (still {key}@1)" in result.stdout


def test_a_changed_text_is_the_next_revision_derived_from_its_new_capture(db_url, site):
    site.html("/story", _article("Library to close", *STORY))
    capture(db_url, site.url("/story"))
    site.html(
        "/story", _article("Library to close", STORY[0].replace("Tuesday", "Monday"), STORY[1])
    )
    code, out = capture(db_url, site.url("/story"))
    key = site.key("/story")
    assert code == 0 and out["outcome"] == "registered" and out["version_name"] == f"{key}@2"
    with Archive(db_url) as archive:
        info = archive.show(f"{key}@2")
        assert "Monday" in archive.raw(f"{key}@2").decode()
    assert sorted((p.parent_name, p.relation) for p in info.parents) == [
        (f"{key}#raw@2", "derived"),
        (f"{key}@1", "revision"),
    ]


def test_the_etag_of_the_last_capture_is_sent_and_a_304_is_unchanged(db_url, site):
    site.html(
        "/story",
        _article("Library to close", *STORY),
        ETag='"v1"',
        **{"Last-Modified": "Tue, 01 Dec 2026 10:00:00 GMT"},
    )
    capture(db_url, site.url("/story"))
    code, out = capture(db_url, site.url("/story"))
    sent = site.asked("/story")[-1]
    assert sent.get("If-None-Match") == '"v1"'
    assert sent.get("If-Modified-Since") == "Tue, 01 Dec 2026 10:00:00 GMT"
    assert code == 0 and out["outcome"] == "unchanged" and out["status"] == 304
    assert out["version_name"] == f"{site.key('/story')}@1" and "304" in out["reason"]


def test_a_page_robots_txt_disallows_is_refused_with_a_clear_result_and_nothing_written(
    db_url, site
):
    site.pages["/robots.txt"] = (
        200,
        {"Content-Type": "text/plain"},
        b"User-agent: *\nDisallow: /private/\n",
    )
    site.html("/private/memo", _article("Memo", *STORY))
    code, out = capture(db_url, site.url("/private/memo"))
    assert code == 1 and out["outcome"] == "refused"
    assert out["reason"].startswith("refused by robots.txt")
    assert site.asked("/private/memo") == []  # never fetched
    result = prov(db_url, "capture", site.url("/private/memo"))
    assert result.exit_code == 1 and "refused by robots.txt" in result.stdout
    assert prov_json(db_url, "docs") == []


def test_robots_txt_rules_for_another_agent_do_not_refuse_ours(db_url, site):
    site.pages["/robots.txt"] = (200, {}, b"User-agent: badbot\nDisallow: /\n")
    site.html("/story", _article("Library to close", *STORY))
    assert capture(db_url, site.url("/story"))[1]["outcome"] == "registered"
    assert (
        capture(db_url, site.url("/story"), "--user-agent", "badbot/2.0")[1]["outcome"] == "refused"
    )


def test_a_robots_txt_the_server_fails_to_give_refuses_everything(db_url, site):
    site.pages["/robots.txt"] = (503, {}, b"busy")
    site.html("/story", _article("Library to close", *STORY))
    code, out = capture(db_url, site.url("/story"))
    assert code == 1 and out["outcome"] == "refused" and "503" in out["reason"]


def test_a_redirect_is_followed_and_both_urls_are_recorded(db_url, site):
    site.pages["/old"] = (301, {"Location": "/moved"}, b"")
    site.pages["/moved"] = (302, {"Location": site.url("/story")}, b"")
    site.html("/story", _article("Library to close", *STORY))
    code, out = capture(db_url, site.url("/old"))
    key = site.key("/old")  # the page asked for names the document
    assert code == 0 and out["document"] == key and out["final_url"] == site.url("/story")
    assert out["redirects"] == [site.url("/old"), site.url("/moved")]
    meta = prov_json(db_url, "show", f"{key}@1")["meta"]
    assert meta["url"] == site.url("/old") and meta["final_url"] == site.url("/story")
    assert meta["redirects"] == [site.url("/old"), site.url("/moved")]


def test_a_redirect_into_a_disallowed_path_is_refused(db_url, site):
    site.pages["/robots.txt"] = (200, {}, b"User-agent: *\nDisallow: /private/\n")
    site.pages["/go"] = (302, {"Location": "/private/memo"}, b"")
    site.html("/private/memo", _article("Memo", *STORY))
    code, out = capture(db_url, site.url("/go"))
    assert (
        code == 1 and out["outcome"] == "refused" and out["final_url"] == site.url("/private/memo")
    )
    assert site.asked("/private/memo") == []


def test_a_redirect_loop_is_a_failed_result(db_url, site):
    site.pages["/a"] = (302, {"Location": "/b"}, b"")
    site.pages["/b"] = (302, {"Location": "/a"}, b"")
    code, out = capture(db_url, site.url("/a"))
    assert code == 1 and out["outcome"] == "failed" and "redirects" in out["reason"]


@pytest.mark.parametrize(
    ("status", "said"), [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error")]
)
def test_an_http_error_is_a_recorded_result_not_a_crash(db_url, site, status, said):
    site.pages["/story"] = (status, {"Content-Type": "text/html"}, b"<p>oops</p>")
    code, out = capture(db_url, site.url("/story"))
    assert (
        code == 1
        and out["outcome"] == "failed"
        and out["status"] == status
        and out["reason"] == said
    )
    result = prov(db_url, "capture", site.url("/story"))
    assert result.exit_code == 1 and said in result.stdout and "Traceback" not in result.output
    assert prov_json(db_url, "docs") == []


def test_a_page_that_does_not_answer_in_time_is_a_failed_result(db_url, site):
    site.html("/slow", _article("Library to close", *STORY))
    site.delays["/slow"] = 3
    code, out = capture(db_url, site.url("/slow"), "--timeout", "0.5")
    assert (
        code == 1
        and out["outcome"] == "failed"
        and out["reason"].startswith("timed out after 0.5 s")
    )
    assert prov_json(db_url, "docs") == []


def test_a_host_that_cannot_be_reached_is_a_failed_result(db_url):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, out = capture(db_url, f"http://127.0.0.1:{port}/story", "--timeout", "2")
    assert code == 1 and out["outcome"] == "failed" and "Connect" in out["reason"]


def _text(archive: Archive, ref: str) -> str:
    """The text of a version, decoded as registered (whatever bytes the archive keeps)."""
    version = archive.resolve(ref, files=False)
    return archive.texts([version])[version]


def test_the_charset_the_headers_declare_decodes_the_page(db_url, site):
    words = "图书馆将于周二关闭，市议会经过长时间辩论后投票决定。" * 3
    body = words.encode("gb18030")
    site.pages["/notice.txt"] = (200, {"Content-Type": "text/plain; charset=gb18030"}, body)
    code, out = capture(db_url, site.url("/notice.txt"))
    key = site.key("/notice.txt")
    assert code == 0 and out["charset"] == "gb18030"
    assert [r["document"] for r in out["registered"]] == [key]  # plain text is itself the text
    with Archive(db_url) as archive:
        assert _text(archive, f"{key}@1") == words
        assert archive.show(f"{key}@1").meta["charset"] == "gb18030"
    assert capture(db_url, site.url("/notice.txt"))[1]["outcome"] == "unchanged"


def test_the_charset_a_page_declares_in_its_meta_tag_decodes_it(db_url, site):
    story = (
        "Городской совет во вторник проголосовал за закрытие старой библиотеки на Мельничной улице. "
        * 3,
    )
    site.html(
        "/ru",
        _article("Библиотека", *story, charset="windows-1251"),
        charset="windows-1251",
        no_charset="1",
    )
    code, out = capture(db_url, site.url("/ru"))
    key = site.key("/ru")
    assert code == 0 and out["charset"] == "windows-1251"
    with Archive(db_url) as archive:
        assert "<title>Библиотека</title>" in _text(archive, f"{key}#raw@1")
        assert "проголосовал за закрытие" in _text(archive, f"{key}@1")


def test_a_page_that_is_not_text_is_reported_and_not_registered(db_url, site):
    site.pages["/logo.png"] = (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n")
    code, out = capture(db_url, site.url("/logo.png"))
    assert code == 1 and out["outcome"] == "not text" and "image/png" in out["reason"]


def test_a_url_that_is_not_http_is_one_line_error(db_url):
    one_line_error(prov(db_url, "capture", "ftp://example.org/x"), "ftp://example.org/x", "http")


# -- prov watch -------------------------------------------------------------------------


def _feed(site: Site, *paths: str) -> bytes:
    items = "".join(
        f"<item><title>Story {p}</title><link>{site.url(p)}</link><guid>{p}</guid></item>"
        for p in paths
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Gazette</title>'
        f"<link>{site.url('/')}</link><description>News</description>{items}</channel></rss>"
    ).encode()


def _make_due(state_file: Path, minutes: int) -> None:
    """Move every scheduled time ``minutes`` back, as if that long had passed (the state
    file's format is documented in docs/capture.md)."""
    state = json.loads(state_file.read_text())
    for item in state["pages"] + state["feeds"]:
        for field in ("first_seen", "next_due", "last_checked", "last_changed"):
            if item.get(field):
                moved = datetime.fromisoformat(item[field].replace("Z", "+00:00")) - timedelta(
                    minutes=minutes
                )
                item[field] = moved.isoformat().replace("+00:00", "Z")
    state_file.write_text(json.dumps(state))


def test_watch_once_captures_a_list_and_a_feed_and_then_only_what_changed(db_url, site, tmp_path):
    site.html("/front", _article("Front page", *STORY))
    articles = ["/news/1", "/news/2", "/news/3"]
    for n, path in enumerate(articles, start=1):
        site.html(path, _article(f"Story {n}", f"Story number {n}: " + STORY[0], STORY[1]))
    site.pages["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, _feed(site, *articles))
    watch_list = tmp_path / "watch.txt"
    watch_list.write_text(f"# the Gazette\n{site.url('/front')}\n\nfeed {site.url('/feed.xml')}\n")

    first = prov_json(db_url, "watch", str(watch_list), "--once")
    assert [(f["outcome"], len(f["articles"]), len(f["new"])) for f in first["feeds"]] == [
        ("read", 3, 3)
    ]
    assert [c["url"] for c in first["captures"]] == [site.url(p) for p in ["/front", *articles]]
    assert {c["outcome"] for c in first["captures"]} == {"registered"}
    state_file = tmp_path / "watch.txt.state.json"
    assert first["state_file"].endswith("watch.txt.state.json") and state_file.exists()
    checked = datetime.fromisoformat(first["checked_at"].replace("Z", "+00:00"))
    for page in first["pages"]:  # new pages: again in 15 minutes
        assert datetime.fromisoformat(
            page["next_due"].replace("Z", "+00:00")
        ) - checked == timedelta(minutes=15)
    assert {p["feed"] for p in first["pages"]} == {None, site.url("/feed.xml")}

    # Straight away, nothing is due: nothing is fetched.
    asked = len(site.requests)
    again = prov_json(db_url, "watch", str(watch_list), "--once")
    assert again["captures"] == [] and again["feeds"] == [] and len(site.requests) == asked

    # Twenty minutes on, the front page and story 2 have changed; the feed lists a fourth story.
    site.html("/front", _article("Front page", STORY[0].replace("Tuesday", "Wednesday"), STORY[1]))
    site.html("/news/2", _article("Story 2", "Story number 2, corrected: " + STORY[0], STORY[1]))
    site.html("/news/4", _article("Story 4", "Story number 4: " + STORY[1], STORY[0]))
    site.pages["/feed.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        _feed(site, "/news/4", *articles),
    )
    _make_due(state_file, 20)
    third = prov_json(db_url, "watch", str(watch_list), "--once")
    assert [(f["outcome"], len(f["articles"]), f["new"]) for f in third["feeds"]] == [
        ("read", 4, [site.url("/news/4")])
    ]
    outcomes = {c["url"]: (c["outcome"], c["version_name"]) for c in third["captures"]}
    assert outcomes == {
        site.url("/front"): ("registered", f"{site.key('/front')}@2"),
        site.url("/news/1"): ("unchanged", f"{site.key('/news/1')}@1"),
        site.url("/news/2"): ("registered", f"{site.key('/news/2')}@2"),
        site.url("/news/3"): ("unchanged", f"{site.key('/news/3')}@1"),
        site.url("/news/4"): ("registered", f"{site.key('/news/4')}@1"),
    }
    assert len(prov_json(db_url, "log", site.key("/news/1"))["versions"]) == 1
    state = {p["url"]: p for p in json.loads(state_file.read_text())["pages"]}
    assert state[site.url("/news/1")]["last_outcome"] == "unchanged"
    assert state[site.url("/news/1")]["last_changed"] < state[site.url("/news/1")]["last_checked"]
    assert state[site.url("/front")]["last_changed"] == state[site.url("/front")]["last_checked"]

    text = prov(db_url, "watch", str(watch_list), "--once")
    assert text.exit_code == 0 and "Checked 0 of 5 watched pages" in text.stdout


def test_the_watch_schedule_backs_off_as_a_page_stays_unchanged(db_url, site, tmp_path):
    site.html("/story", _article("Library to close", *STORY))
    watch_list = tmp_path / "watch.txt"
    watch_list.write_text(site.url("/story") + "\n")
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

    def round_at(delay: timedelta) -> live.WatchReport:
        with Archive(db_url, actor="tester") as archive:
            return live.watch(archive, watch_list, now=start + delay)

    def due(report: live.WatchReport) -> timedelta:
        return datetime.fromisoformat(report.pages[0].next_due.replace("Z", "+00:00")) - start

    first = round_at(timedelta(0))
    assert [c.outcome for c in first.captures] == ["registered"] and due(first) == timedelta(
        minutes=15
    )
    assert round_at(timedelta(minutes=10)).captures == ()  # not due yet
    later = round_at(timedelta(minutes=16))
    assert [c.outcome for c in later.captures] == ["unchanged"]
    assert due(later) == timedelta(minutes=16 + 15)
    aged = round_at(timedelta(hours=5))  # unchanged for 5 hours: hourly now
    assert [c.outcome for c in aged.captures] == ["unchanged"] and due(aged) == timedelta(hours=6)
    old = round_at(timedelta(days=2))
    assert due(old) == timedelta(days=2, hours=3)


def test_a_watched_page_that_fails_is_recorded_in_the_schedule_and_the_round_goes_on(
    db_url, site, tmp_path
):
    site.html("/story", _article("Library to close", *STORY))
    site.pages["/gone"] = (410, {}, b"gone")
    site.pages["/robots.txt"] = (200, {}, b"User-agent: *\nDisallow: /private/\n")
    watch_list = tmp_path / "watch.txt"
    watch_list.write_text("\n".join(site.url(p) for p in ("/gone", "/private/x", "/story")) + "\n")
    out = prov_json(db_url, "watch", str(watch_list), "--once")
    assert [c["outcome"] for c in out["captures"]] == ["failed", "refused", "registered"]
    state = {
        p["url"]: p for p in json.loads((tmp_path / "watch.txt.state.json").read_text())["pages"]
    }
    assert state[site.url("/gone")]["last_reason"] == "HTTP 410 Gone"
    assert state[site.url("/private/x")]["last_reason"].startswith("refused by robots.txt")


def test_a_feed_that_is_not_a_feed_is_a_failed_result(db_url, site, tmp_path):
    site.html("/notafeed", "<html><body>hello</body></html>")
    watch_list = tmp_path / "watch.txt"
    watch_list.write_text(f"feed {site.url('/notafeed')}\n")
    out = prov_json(db_url, "watch", str(watch_list), "--once")
    assert [(f["outcome"], f["reason"][:21]) for f in out["feeds"]] == [
        ("failed", "not an RSS or Atom fe")
    ]


@pytest.mark.parametrize(
    ("lines", "said"),
    [
        ("https://example.org/a\nnot a url\n", "watch.txt:2"),
        ("https://example.org/a\nhttp://www.example.org/a\n", "the same page as line 1"),
        ("# nothing\n", "names no URL"),
        ("feed\n", "watch.txt:1"),
    ],
)
def test_a_bad_watch_list_is_one_line_error_naming_its_line(db_url, tmp_path, lines, said):
    watch_list = tmp_path / "watch.txt"
    watch_list.write_text(lines)
    one_line_error(prov(db_url, "watch", str(watch_list), "--once"), said)


def test_a_damaged_state_file_is_one_line_error_naming_it(db_url, tmp_path):
    watch_list = tmp_path / "watch.txt"
    watch_list.write_text("https://example.org/a\n")
    (tmp_path / "watch.txt.state.json").write_text("{not json")
    one_line_error(
        prov(db_url, "watch", str(watch_list), "--once"), "watch.txt.state.json", "state file"
    )


def test_watch_without_once_waits_until_the_next_page_is_due(db_url, site, tmp_path, monkeypatch):
    site.html("/story", _article("Library to close", *STORY))
    watch_list = tmp_path / "watch.txt"
    watch_list.write_text(site.url("/story") + "\n")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            raise KeyboardInterrupt  # the user's Ctrl-C, in the second wait

    monkeypatch.setattr(live, "_sleep", sleep)
    result = prov(db_url, "watch", str(watch_list))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Checked 1 of 1 watched pages") == 1  # the second round: not due
    assert result.stdout.count("Checked 0 of 1 watched pages") == 1
    assert 14 * 60 < waits[0] <= 15 * 60  # the new page is due again in 15 minutes


def test_watch_without_once_writes_one_json_line_per_round(db_url, site, tmp_path, monkeypatch):
    site.html("/story", _article("Library to close", *STORY))
    watch_list = tmp_path / "watch.txt"
    watch_list.write_text(site.url("/story") + "\n")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(live, "_sleep", sleep)
    result = prov(db_url, "watch", str(watch_list), "--json")
    assert result.exit_code == 0, result.output
    rounds = [json.loads(line) for line in result.stdout.splitlines()]  # JSON Lines: a script reads it as it comes
    assert len(rounds) == 2
    assert [len(r["captures"]) for r in rounds] == [1, 0]  # the page, then nothing due
    assert rounds[0]["next_due"] == rounds[1]["next_due"]


def test_a_page_without_main_text_keeps_its_raw_capture_and_says_so(db_url, site):
    site.html("/empty", "<html><head><title>x</title></head><body></body></html>")
    code, out = capture(db_url, site.url("/empty"))
    key = site.key("/empty")
    assert code == 0 and out["outcome"] == "registered" and "no main text" in out["reason"]
    assert [r["document"] for r in out["registered"]] == [key + "#raw"]
    assert out["version_name"] == f"{key}#raw@1"
    assert capture(db_url, site.url("/empty"))[1]["version_name"] == f"{key}#raw@1"
