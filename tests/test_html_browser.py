"""The HTML story page in a real browser: Debian's Chromium, headless, driven by Playwright.

Nothing downloads a browser: the system Chromium (`/usr/bin/chromium`, or $NEWSBRIEF_CHROMIUM)
is used; the tests skip, saying why, when it or the playwright package is missing.
Screenshots go to a temporary directory (or $NEWSBRIEF_SCREENSHOT_DIR) and are printed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_article import INJECTION, SCRIPT, hostile_inputs

from agent import summarize
from agent.api import load_articles
from agent.render.html import render_html

CHROMIUM = os.environ.get("NEWSBRIEF_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "examples" / "syria").glob("*.txt"))

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the playwright package is not installed "
    "(pip install playwright; the system chromium is used, no browser download)",
)
if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
    pytest.skip(
        f"no Chromium at {CHROMIUM} (apt-get install chromium, or set NEWSBRIEF_CHROMIUM)",
        allow_module_level=True,
    )

# Every marker -> its target; the target must be a cited-sentence entry with that id and text.
RESOLVE_JS = """() => [...document.querySelectorAll('a.cm')].map(a => {
  const id = a.getAttribute('href').slice(1);
  const el = document.getElementById(id);
  return {marker: a.textContent, id, found: !!el,
          cls: el ? el.className : '', sid: el ? el.dataset.sid : '',
          text: el ? (el.querySelector('.stext') || {}).textContent || '' : ''};
})"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("NEWSBRIEF_SCREENSHOT_DIR")
    path = Path(given) if given else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def syria_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SEEDS:
        pytest.skip("examples/syria is missing")
    path = tmp_path_factory.mktemp("syria") / "story.html"
    path.write_text(
        render_html(summarize(SEEDS, backend="none"), load_articles(SEEDS)), encoding="utf-8"
    )
    return path


@pytest.fixture(scope="module")
def hostile_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    inputs = hostile_inputs(folder)
    path = folder / "story.html"
    path.write_text(
        render_html(summarize(inputs, backend="none"), load_articles(inputs)), encoding="utf-8"
    )
    return path


def _open(
    browser: Any, path: Path, width: int = 1000, **context: Any
) -> tuple[Any, Any, list[str]]:
    ctx = browser.new_context(viewport={"width": width, "height": 900}, **context)
    page = ctx.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri(), wait_until="load")
    return ctx, page, requests


def test_every_marker_resolves_to_a_sentence_and_nothing_is_fetched(
    browser: Any, syria_page: Path, shots: Path
) -> None:
    ctx, page, requests = _open(browser, syria_page)
    try:
        results = page.evaluate(RESOLVE_JS)
        assert len(results) >= 20
        for r in results:
            assert r["found"], r
            assert "source-sentence" in r["cls"].split(), r
            assert r["marker"] == f"[{r['sid']}]" and r["text"].strip(), r
        page.screenshot(path=str(shots / "story-1000.png"), full_page=True)
        assert requests == [syria_page.as_uri()]  # the page itself, nothing else
        assert page.evaluate("document.scripts.length") == 0
    finally:
        ctx.close()
    print(f"screenshots in {shots}")


def test_a_marker_shows_its_sentence_on_hover_and_on_keyboard_focus(
    browser: Any, syria_page: Path, shots: Path
) -> None:
    ctx, page, _ = _open(browser, syria_page)
    try:
        markers = page.locator("a.cm")
        first, second = markers.nth(0), markers.nth(3)
        tip = page.locator("#" + first.get_attribute("aria-describedby"))
        assert not tip.is_visible()
        first.hover()
        assert tip.is_visible()
        sid = first.text_content().strip("[]")
        sentence = page.locator(f"[data-sid='{sid}'] .stext").text_content()
        assert " ".join(sentence.split()) in " ".join(tip.text_content().split())
        page.screenshot(path=str(shots / "hover.png"))
        page.mouse.move(0, 0)
        assert not tip.is_visible()
        # keyboard: Tab until the marker has focus; its tooltip opens without a mouse
        other = page.locator("#" + second.get_attribute("aria-describedby"))
        for _ in range(200):
            page.keyboard.press("Tab")
            if page.evaluate(
                "document.activeElement && document.activeElement.matches('a.cm')"
            ) and page.evaluate(
                "document.activeElement.getAttribute('aria-describedby')"
            ) == second.get_attribute("aria-describedby"):
                break
        else:
            pytest.fail("Tab never reached the marker")
        assert other.is_visible()
        # following the link lands on the sentence entry
        page.keyboard.press("Enter")
        target = second.get_attribute("href")
        assert page.evaluate("location.hash") == target
        assert page.locator(target).is_visible()
    finally:
        ctx.close()


def test_the_hostile_article_stays_text(browser: Any, hostile_page: Path, shots: Path) -> None:
    ctx, page, requests = _open(browser, hostile_page)
    try:
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.evaluate("document.scripts.length") == 0
        assert page.evaluate("document.images.length") == 0
        handlers = page.evaluate("""() => [...document.querySelectorAll('*')].flatMap(
            el => [...el.attributes].filter(a => a.name.startsWith('on'))
                                    .map(a => el.tagName + ' ' + a.name))""")
        assert handlers == []
        hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
        assert hrefs and all(
            h.startswith(hostile_page.as_uri() + "#") or h.startswith(("http://", "https://"))
            for h in hrefs
        )
        body = page.evaluate("document.body.innerText")
        assert SCRIPT in body and 'onerror="window.__pwned=1"' in body
        assert INJECTION in body
        for marker in page.locator("a.cm").all()[:10]:  # activating links runs nothing either
            marker.click()
        assert page.evaluate("typeof window.__pwned") == "undefined"
        page.screenshot(path=str(shots / "hostile.png"), full_page=True)
        assert requests == [hostile_page.as_uri()]
    finally:
        ctx.close()


def test_the_check_would_see_a_script_that_ran(
    browser: Any, hostile_page: Path, tmp_path: Path
) -> None:
    """Control: the same page with live markup and no CSP does set window.__pwned."""
    html = hostile_page.read_text(encoding="utf-8")
    start = html.index('<meta http-equiv="Content-Security-Policy"')
    html = html[:start] + html[html.index(">", start) + 1 :]
    live = tmp_path / "live.html"
    live.write_text(html.replace("</main>", SCRIPT + "</main>"), encoding="utf-8")
    ctx, page, _ = _open(browser, live)
    try:
        assert page.evaluate("window.__pwned") == 1
    finally:
        ctx.close()


@pytest.mark.parametrize("which", ["syria", "hostile"])
def test_phone_width_has_no_horizontal_scroll(
    browser: Any, which: str, syria_page: Path, hostile_page: Path, shots: Path
) -> None:
    path = syria_page if which == "syria" else hostile_page
    ctx, page, _ = _open(
        browser, path, width=375, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert page.evaluate("document.body.scrollWidth") <= 375
        last = page.locator("a.cm").last  # an open tooltip stays inside the screen too
        last.focus()
        assert page.locator("#" + last.get_attribute("aria-describedby")).is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(shots / f"{which}-375.png"), full_page=True)
    finally:
        ctx.close()


def test_reads_without_javascript_and_prints_without_tooltips(
    browser: Any, syria_page: Path, tmp_path: Path
) -> None:
    ctx, page, _ = _open(browser, syria_page, java_script_enabled=False)
    try:
        assert page.locator("h1").is_visible() and page.locator("#agree li").first.is_visible()
        assert page.locator("ol.sentences li").count() >= 20
        page.emulate_media(media="print")
        assert not page.locator("nav.toc").is_visible()
        page.locator("a.cm").first.hover()
        assert not page.locator(".tip").first.is_visible()
        pdf = tmp_path / "story.pdf"
        page.pdf(path=str(pdf))
        assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000
    finally:
        ctx.close()
