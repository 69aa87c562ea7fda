"""Issue 10, section 4: the web pages a journalist and an auditor read.

Content through FastAPI's test client (every page, the forms, escaping, the
404 page), then a few checks in a real browser: Debian's Chromium driven by
Playwright against the app served by uvicorn on loopback. The browser tests
skip when Chromium or Playwright is missing, unless PROV_REQUIRE_BROWSER=1.
Screenshots go to $PROV_SCREENSHOTS (default: a pytest temporary folder).
"""

from __future__ import annotations

import html
import json
import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from provenance import Archive, proofs
from provenance.checkpoint import load_private_key

from .conftest import REPO, SEEDS

try:  # installed as provenance_web once pyproject.toml maps web/
    from provenance_web import pages
except ImportError:
    from web import pages

PAGE, COPY = sorted(SEEDS.glob("*.txt"))
CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("PROV_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

NOTES_1 = (
    "The council met on Monday to discuss the budget for the coming year.\n"
    "Members argued about the cost of the new bridge over the river for three hours.\n"
    "The mayor said the library would stay open on Sundays until the end of March.\n"
    "Residents asked for <script>alert('x')</script> more buses on the northern line.\n"
)
# The mayor's sentence moved to the top and edited; one number changed.
NOTES_2 = (
    "The mayor said the library would stay open on Sundays until the end of April.\n"
    "The council met on Monday to discuss the budget for the coming year.\n"
    "Members argued about the cost of the new bridge over the river for four hours.\n"
    "Residents asked for <script>alert('x')</script> more buses on the northern line.\n"
)


# -- the archive and the app -------------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("web")


@pytest.fixture(scope="module")
def archive(folder):
    with Archive(str(folder / "archive.db"), actor="alice") as opened:
        opened.init()
        page = opened.register(PAGE.read_bytes(), name=PAGE.name, doc="report", source="the printed page", label="as printed")
        opened.register(COPY.read_bytes(), name=COPY.name, doc="report", parents=[str(page.version)], relation="excerpt")
        opened.register(COPY.read_bytes(), name=COPY.name, doc="wire")  # the same bytes elsewhere
        opened.link("wire@1", "report@2", "copy")
        with Archive(opened.location.url, actor="bob") as bob:
            bob.register(NOTES_1.encode(), name="notes.txt", doc="desk/notes", label="<b>draft</b>")
            bob.register(NOTES_2.encode(), name="notes.txt", doc="desk/notes")
        keys = proofs.keygen(folder / "keys")
        opened.checkpoint(load_private_key(keys.private_key))
        yield opened


def make_app(archive: Archive) -> FastAPI:
    """The service's app (web/app.py) on the archive, or, while it does not exist,
    the pages alone on a bare app."""
    try:
        from provenance_web.app import create_app
    except ImportError:
        app = FastAPI()
        app.include_router(pages.router)
        app.state.archive = archive
        return app
    return create_app(archive.location.url)


@pytest.fixture(scope="module")
def client(archive):
    return TestClient(make_app(archive))


def body(response) -> str:
    assert response.status_code == 200, response.text[:500]
    return response.text


def marked(page: str, tag: str) -> list[str]:
    """The texts of every <ins> or <del> in the drawn diff (moved blocks excluded), without
    the hidden labels."""
    drawn = page[page.index("data-view=") :] if "data-view=" in page else ""
    found = re.findall(rf"<{tag}(?![^>]*moved)[^>]*>(.*?)</{tag}>", drawn, flags=re.S)
    return [html.unescape(re.sub(r'<span class="sr">.*?</span>', "", f, flags=re.S)) for f in found]


def main_of(page: str) -> str:
    return page[page.index('<main id="main"') : page.index("</main>")]


# -- documents, timeline, version --------------------------------------------------


def test_the_documents_page_lists_every_document_and_searches_by_key(client):
    listed = body(client.get("/"))
    for key in ("report", "wire", "desk/notes"):
        assert f">{key}</a>" in listed
    assert 'href="/documents/desk%2Fnotes"' in listed
    found = main_of(body(client.get("/", params={"q": "NOTES"})))
    assert ">desk/notes</a>" in found and ">report</a>" not in found
    assert "No document key contains" in body(client.get("/", params={"q": "nothing-like-it"}))


def test_a_documents_timeline_draws_its_lineage(client, archive):
    timeline = body(client.get("/documents/report"))
    svg = timeline[timeline.index("<svg") : timeline.index("</svg>")]
    assert svg.count("<circle") == 2
    assert 'class="edge rel-excerpt"' in svg and ">excerpt</text>" in svg
    assert "report@2 is a excerpt of report@1" in svg
    assert 'href="/versions/report@1"' in svg and 'href="/versions/report@2"' in svg
    log = archive.log("report")
    assert f"{log.versions[1].parents[0].passages[0].edits} edits inside" in timeline
    notes = body(client.get("/documents/desk%2Fnotes"))
    assert 'class="edge rel-revision"' in notes
    wire = body(client.get("/documents/wire"))  # a parent in another document: a square
    assert '<a href="/versions/report@2" class="node outer">' in wire and "<rect" in wire
    assert "wire@1 is a copy of report@2" in wire and "from another document" in wire


def test_a_version_page_says_who_registered_it_and_where_else_its_bytes_are(client):
    shown = body(client.get("/versions/report@2"))
    assert "by <strong>alice</strong>" in shown
    assert 'href="/versions/wire@1"' in shown  # the same bytes, registered again
    assert "excerpt</span> of <a href=\"/versions/report@1\">" in shown
    assert "version.registered" in shown
    download = re.search(r'<a href="([^"]+)" download>Download the registered bytes', shown).group(1)
    raw = client.get(html.unescape(download))
    assert raw.status_code == 200 and raw.content == COPY.read_bytes()
    own = client.get("/raw", params={"ref": "report@2"})  # the pages' own, without the API
    assert own.content == COPY.read_bytes() and "attachment" in own.headers["content-disposition"]
    notes = body(client.get("/versions/desk%2Fnotes@1"))
    assert "by <strong>bob</strong>" in notes


def test_an_unknown_ref_is_a_404_page(client):
    for url in ("/versions/report@9", "/versions/nobody@1", "/documents/nobody", "/blame?ref=deadbeefdeadbeef"):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert "<h1>Not found</h1>" in answer.text
    answer = client.get("/compare", params={"a": "report@1", "b": "report@7"})
    assert answer.status_code == 404 and "versions 1 to 2" in answer.text


def test_no_page_reads_a_file_of_the_server(client, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the server's secret", encoding="utf-8")
    for ref in (str(secret), f"file:{secret}", "file:pyproject.toml"):
        for url, params in (
            ("/compare", {"a": "report@1", "b": ref}),
            ("/raw", {"ref": ref}),
            ("/blame", {"ref": ref}),
            ("/versions/" + ref, {}),
        ):
            answer = client.get(url, params=params)
            assert answer.status_code == 404, (url, ref)
            assert "the server's secret" not in answer.text


# -- compare -----------------------------------------------------------------------


def test_the_seeds_compared_under_cjk_highlight_the_edits_the_library_reports(client, archive):
    report = archive.diff("report@1", "report@2", profile="cjk")
    shown = body(client.get("/compare", params={"a": "report@1", "b": "report@2", "lens": "cjk"}))
    inside = [e for e in report.edits if e.inside]
    assert marked(shown, "ins") == [e.new for e in inside if e.new]
    assert marked(shown, "del") == [e.old for e in inside if e.old]
    assert inside, "the seeds differ in wording"
    span = report.passages[0]
    assert f"report@1 {span.a_start}–{span.a_end}" in shown and f"report@2 {span.b_start}–{span.b_end}" in shown
    assert "outside the passage, not compared" in shown
    for kind, count in report.kinds:
        assert f"<td>{kind}</td><td class=\"num\">{count}</td>" in shown
    assert 'title="inserted (number)"' in shown and "[inserted: " in shown


def test_lens_granularity_and_view_are_a_plain_get_form(client, archive):
    form = body(client.get("/compare"))
    assert 'method="get" action="/compare"' in form
    for name in ("a", "b", "lens", "by"):
        assert re.search(rf'<label for="{name}">', form) and f'id="{name}" name="{name}"' in form
    for lens in ("exact", "whitespace", "cjk", "loose"):
        assert f'<option value="{lens}"' in form
    exact = body(client.get("/compare", params={"a": "report@1", "b": "report@2"}))
    assert "cjk hides them" in exact  # the hint names the lens that hides the spaces
    assert len(marked(exact, "ins")) > len(marked(body(client.get("/compare", params={"a": "report@1", "b": "report@2", "lens": "cjk"})), "ins"))
    side = body(client.get("/compare", params={"a": "report@1", "b": "report@2", "lens": "cjk", "view": "side"}))
    assert 'data-view="side"' in side and "<h3>A: report@1</h3>" in side and "<h3>B: report@2</h3>" in side
    by_sentence = body(client.get("/compare", params={"a": "report@1", "b": "report@2", "lens": "cjk", "by": "sentence"}))
    changes = archive.diff("report@1", "report@2", profile="cjk", by="sentence").sentences
    assert f"{len(changes)} sentence change" in by_sentence
    assert '<option value="sentence" selected>' in by_sentence


def test_a_moved_sentence_is_marked_at_both_places(client, archive):
    report = archive.diff("desk/notes@1", "desk/notes@2")
    assert report.moves
    shown = body(client.get("/compare", params={"a": "desk/notes@1", "b": "desk/notes@2"}))
    assert 'id="i-m1-from"' in shown and 'href="#i-m1-to"' in shown
    assert 'id="i-m1-to"' in shown and 'href="#i-m1-from"' in shown
    assert f"{len(report.moves)} moved block" in shown


# -- identify ----------------------------------------------------------------------


def test_a_pasted_copy_is_identified_even_with_the_text_boxs_crlf(client):
    pasted = COPY.read_text(encoding="utf-8").replace("\n", "\r\n")
    answer = body(client.post("/identify", data={"text": pasted}))
    assert "Exactly report@2" in answer
    assert 'data-tier="exact"' in answer
    assert 'href="/versions/wire@1"' in answer  # the same bytes, in the other document


def test_an_uploaded_page_is_identified_by_its_bytes(client):
    answer = body(client.post("/identify", files={"file": (PAGE.name, PAGE.read_bytes(), "text/plain")}))
    assert "Exactly report@1" in answer and "Line breaks from the text box" not in answer


def test_a_copy_in_another_encoding_is_the_same_text_not_a_lens_match(client):
    gb = COPY.read_text(encoding="utf-8").encode("gb18030")
    answer = body(
        client.post("/identify", data={"encoding": "gb18030"}, files={"file": ("copy.txt", gb, "text/plain")})
    )
    assert "Exactly report@2" in answer and 'data-tier="exact"' in answer
    assert "the same text is registered, in other bytes" in answer
    assert "the same bytes are registered" not in answer and "byte for byte" not in answer
    assert "Your text is character for character report@2, in other bytes" in answer
    assert answer.count("the same text, in other bytes") == 2  # report@2 and wire@1, in the table


def test_an_edited_copy_shows_the_diff_against_the_nearest_version(client):
    edited = COPY.read_text(encoding="utf-8").replace("加快 布局", "加速 布局", 1)
    answer = body(client.post("/identify", data={"text": edited}))
    assert "Exactly" not in answer
    assert re.search(r'data-tier="(normalized|similar)"', answer)
    assert "From report@2 to your text" in answer or "From wire@1 to your text" in answer
    assert "速" in marked(answer, "ins") and "快" in marked(answer, "del")


def test_the_identify_form_refuses_an_empty_text(client):
    form = body(client.get("/identify"))
    assert 'enctype="multipart/form-data"' in form and '<label for="text">' in form and '<label for="file">' in form
    answer = client.post("/identify", data={"text": ""})
    assert answer.status_code == 400 and "Paste a text or choose a file" in answer.text
    bad = client.post("/identify", files={"file": ("x.txt", b"\x89\xff bad", "text/plain")})
    assert bad.status_code == 400 and "byte offset" in bad.text


# -- blame, events, checkpoints ----------------------------------------------------


def test_blame_colours_each_span_with_its_introducing_version(client, archive):
    report = archive.blame("report@2")
    shown = body(client.get("/blame", params={"ref": "report@2"}))
    spans = re.findall(r'<span class="b b\d"(?: data-n="\d+")? title="introduced by ([^"]+?)[,(]', shown)
    assert [s.strip() for s in spans] == [report.versions[s.introduced_by].name for s in report.spans]
    legend = shown[shown.index("<caption>Legend") : shown.index("</table>")]
    assert 'href="/versions/report@1"' in legend and 'href="/versions/report@2"' in legend
    text = archive.texts([report.version])[report.version]
    drawn = re.findall(r'<span class="sr">\[[^]]*: </span>(.*?)<span class="sr">\]</span>', shown, flags=re.S)
    assert html.unescape("".join(drawn)) == text


def test_the_events_log_pages_through_every_event(client, archive, monkeypatch):
    monkeypatch.setattr(pages, "EVENTS_PER_PAGE", 3)
    total = archive.events().total
    seen: list[int] = []
    url = "/events"
    while url:
        shown = body(client.get(url))
        seen += [int(n) for n in re.findall(r'<tr><td class="num" data-label="#">(\d+)</td>', shown)]
        older = re.search(r'<a rel="next" href="([^"]+)"', shown)
        url = html.unescape(older.group(1)) if older else ""
    assert seen == sorted(seen, reverse=True) and len(seen) == total == len(set(seen)), str(seen)
    bob = body(client.get("/events", params={"actor": "bob"}))
    assert '<td data-label="Actor">bob</td>' in bob and '<td data-label="Actor">alice</td>' not in bob
    about = body(client.get("/events", params={"about": "desk/notes"}))
    assert "report@" not in main_of(about).split("</form>", 1)[1]


def test_the_latest_checkpoint_and_proofs_download(client, archive, folder):
    latest = archive.checkpoints()[-1]
    shown = body(client.get("/checkpoints"))
    assert f"Latest: checkpoint {latest.id}" in shown and latest.root in shown
    text = client.get(f"/checkpoints/{latest.id}.txt")
    assert text.status_code == 200 and text.text == latest.text
    proof = client.get("/proof", params={"ref": "report@2"})
    assert proof.status_code == 200 and "attachment" in proof.headers["content-disposition"]
    assert proofs.check_bundle("proof.json", proof.text, str(folder / "keys" / "checkpoint.pub")).ok
    assert 'href="/proof?ref=report%402"' in body(client.get("/versions/report@2"))


# -- escaping, accessibility, contrast ---------------------------------------------


def test_a_text_holding_markup_shows_as_text(client):
    for url in ("/versions/desk%2Fnotes@1", "/compare?a=desk/notes@1&b=desk/notes@2", "/blame?ref=desk/notes@2", "/documents/desk%2Fnotes"):
        shown = main_of(body(client.get(url)))
        assert "<script>" not in shown and "<b>draft</b>" not in shown, url
    assert "&lt;script&gt;alert(" in body(client.get("/versions/desk%2Fnotes@1"))
    assert "&lt;b&gt;draft&lt;/b&gt;" in body(client.get("/versions/desk%2Fnotes@1"))
    answer = body(client.post("/identify", data={"text": "<script>alert(1)</script>"}))
    assert "<script>alert(1)" not in answer and "&lt;script&gt;alert(1)" in answer


def test_every_page_has_a_skip_link_labelled_controls_and_a_language(client):
    urls = ["/", "/documents/report", "/versions/report@1", "/compare?a=report@1&b=report@2&lens=cjk",
            "/identify", "/blame?ref=report@2", "/events", "/checkpoints"]
    for url in urls:
        shown = body(client.get(url))
        assert '<html lang="en">' in shown and '<a class="skip" href="#main">' in shown, url
        for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", shown):
            if 'type="radio"' in control:
                continue  # labelled by the <label> wrapped around it
            ident = re.search(r'id="([^"]+)"', control)
            assert ident and f'<label for="{ident.group(1)}">' in shown, (url, control)
    chinese = body(client.get("/versions/report@1"))
    assert '<div class="text" lang="zh">' in chinese


def _colours(css: str) -> dict[str, tuple[float, float, float]]:
    found = dict(re.findall(r"--([\w-]+):\s*#([0-9a-fA-F]{6})\s*;", css))
    return {k: tuple(int(v[i : i + 2], 16) / 255 for i in (0, 2, 4)) for k, v in found.items()}


def _luminance(rgb) -> float:
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a, b) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


TEXT_PAIRS = [
    ("fg", "bg"), ("muted", "bg"), ("link", "bg"), ("link-visited", "bg"), ("fg", "panel"),
    ("muted", "panel"), ("link", "panel"), ("head-fg", "head-bg"), ("head-link", "head-bg"),
    ("ins-fg", "ins-bg"), ("del-fg", "del-bg"), ("moved-fg", "moved-bg"),
    ("outside-fg", "outside-bg"), ("warn-fg", "warn-bg"), ("bg", "link"),  # button text
    *[("fg", f"b{i}") for i in range(pages.BLAME_COLOURS)],
]


def test_every_text_colour_meets_wcag_aa_contrast():
    colours = _colours((REPO / "web" / "static" / "style.css").read_text(encoding="utf-8"))
    low = {f"{fg} on {bg}": round(contrast(colours[fg], colours[bg]), 2) for fg, bg in TEXT_PAIRS
           if contrast(colours[fg], colours[bg]) < 4.5}
    assert not low, f"below 4.5:1: {low}"
    assert contrast(colours["focus"], colours["bg"]) >= 3  # the focus ring, a non-text contrast
    assert contrast(colours["rule"], colours["bg"]) >= 3  # form field borders


# -- in a real browser -------------------------------------------------------------


def _browser_or_skip():
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    else:
        try:
            from playwright.sync_api import sync_playwright  # noqa: F401
        except ImportError:
            reason = "the playwright Python package is not installed"
    if reason:
        if REQUIRE_BROWSER:
            pytest.fail(f"{reason}, and PROV_REQUIRE_BROWSER=1 requires it", pytrace=False)
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(archive):
    """The app served by uvicorn on loopback, in a thread of this process."""
    _browser_or_skip()
    import uvicorn

    port = _free_port()
    served = uvicorn.Server(uvicorn.Config(make_app(archive), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not served.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    served.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("PROV_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 760}

_MARKED = """(tag) => [...document.querySelectorAll('.inline ' + tag + ':not(.moved)')].map(e => {
  const c = e.cloneNode(true); c.querySelectorAll('.sr').forEach(s => s.remove()); return c.textContent; })"""


def _no_horizontal_scroll(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def test_in_a_browser_the_pasted_copy_is_identified_and_the_seeds_compared(browser, server, shots, archive):
    page = browser.new_page(viewport=DESKTOP)
    page.goto(server + "/identify")
    page.fill("#text", COPY.read_text(encoding="utf-8"))
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.locator("#answer").inner_text() == "Exactly report@2"
    page.screenshot(path=str(shots / "identify-desktop.png"), full_page=True)

    page.goto(server + "/compare")
    page.fill("#a", "report@1")
    page.fill("#b", "report@2")
    page.select_option("#lens", "cjk")
    with page.expect_navigation():  # the page evaluated below must be the answer, not the form
        page.click("button[type=submit]")
    assert "lens=cjk" in page.url
    report = archive.diff("report@1", "report@2", profile="cjk")
    inside = [e for e in report.edits if e.inside]
    assert page.evaluate(_MARKED, "ins") == [e.new for e in inside if e.new]
    assert page.evaluate(_MARKED, "del") == [e.old for e in inside if e.old]
    ins = page.locator(".inline ins").first
    assert ins.evaluate("e => getComputedStyle(e).textDecorationLine") == "underline"  # not colour alone
    page.screenshot(path=str(shots / "compare-desktop.png"), full_page=True)
    page.close()


def test_in_a_browser_the_keyboard_alone_reaches_the_identify_form(browser, server):
    page = browser.new_page(viewport=DESKTOP)
    page.goto(server + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Identify a text":
            break
    else:
        pytest.fail("Tab never reached the Identify link")
    page.keyboard.press("Enter")
    page.wait_for_url("**/identify")
    page.keyboard.press("Tab")  # the skip link, then past the navigation
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "text"
    page.keyboard.type("中共中央政治局")
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
    page.keyboard.press("Enter")
    page.wait_for_selector("#answer")
    page.close()


def test_in_a_browser_no_page_scrolls_sideways_at_360_px(browser, server, shots):
    screens = {
        "documents": "/",
        "timeline": "/documents/report",
        "version": "/versions/report@1",
        "compare": "/compare?a=report@1&b=report@2&lens=cjk",
        "compare-side": "/compare?a=report@1&b=report@2&lens=cjk&view=side",
        "blame": "/blame?ref=report@2&lens=cjk",
        "events": "/events",
        "checkpoints": "/checkpoints",
    }
    wide = {}
    for size, viewport in (("360", PHONE), ("desktop", DESKTOP)):
        page = browser.new_page(viewport=viewport)
        for name, url in screens.items():
            page.goto(server + url)
            if size == "360":
                wide[name] = _no_horizontal_scroll(page)
            if name not in ("version", "events", "checkpoints", "compare-side") or size == "360":
                page.screenshot(path=str(shots / f"{name}-{size}.png"), full_page=True)
        if size == "360":
            page.goto(server + "/identify")
            page.fill("#text", COPY.read_text(encoding="utf-8").replace("加快 布局", "加速 布局", 1))
            with page.expect_navigation():
                page.click("button[type=submit]")
            wide["identify result"] = _no_horizontal_scroll(page)
            page.screenshot(path=str(shots / "identify-360.png"), full_page=True)
        page.close()
    assert {name: width for name, width in wide.items() if width > 360} == {}
    assert json.dumps(sorted(p.name for p in shots.glob("*.png")))  # written
