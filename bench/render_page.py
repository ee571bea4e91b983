"""Write the HTML story page of a saved brief.

    python bench/render_page.py brief.json out.html                   # the brief alone
    python bench/render_page.py brief.json out.html --from-inputs     # + the sentences, re-read
    python bench/render_page.py brief.json out.html --articles a.txt b.txt
    python bench/render_page.py brief.json out.html --from-inputs --screenshot page.png --width 1000

`--screenshot` also saves a full-page PNG taken with the system Chromium (`/usr/bin/chromium`
or $NEWSBRIEF_CHROMIUM) through Playwright; `--open-tip N` focuses the Nth citation marker
first, so the picture shows a source sentence the way a reader sees it on hover.

A brief cites sentence ids but does not store the sentences. With `--from-inputs` the files
listed in the brief's run metadata (`run.inputs`) are read again, with `--articles` the files
given; either way each article's source must match the brief's, so sentence ids line up.
Exit status: 0 written, 2 bad input (message on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from pydantic import ValidationError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.render.html import render_html  # noqa: E402
from agent.schemas import Article, StoryBrief  # noqa: E402
from agent.text.sanitize import clean  # noqa: E402


def _fail(message: str) -> int:
    print(f"render_page: {clean(message, fold_newlines=True)}", file=sys.stderr)
    return 2


def _load_brief(path: Path) -> StoryBrief:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    try:
        return StoryBrief.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "brief"
        raise ValueError(
            f"{path} is not a newsbrief story brief ({where}: {first['msg']})"
        ) from None


def _load_articles(brief: StoryBrief, paths: list[str]) -> list[Article]:
    from agent.api import load_articles  # the same reading the summarize run did

    try:
        articles = load_articles(paths)
    except Exception as exc:  # noqa: BLE001 - any reading failure is reported, not raised
        raise ValueError(f"cannot read the articles: {exc}") from None
    by_id = {a.id: a for a in articles}
    for ab in brief.articles:
        article = by_id.get(ab.article_id)
        if article is None or article.source != ab.source:
            found = article.source if article else "nothing"
            raise ValueError(
                f"article {ab.article_id} of the brief is {ab.source}, the inputs give {found}"
            )
    return articles


def _write(path: Path, text: str) -> None:
    """Write atomically: a reader never sees a half-written page."""
    fd, tmp = tempfile.mkstemp(prefix=".render-", suffix=".html", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def screenshot(
    page_path: Path, png: Path, width: int, open_tip: int | None = None, height: int | None = None
) -> str:
    """Save a PNG of the page at `width` CSS pixels (the whole page, or its first `height`
    pixels); returns a one-line report.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ValueError(
            "--screenshot needs the playwright package (pip install playwright)"
        ) from None
    chromium = os.environ.get("NEWSBRIEF_CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        raise ValueError(f"--screenshot needs Chromium at {chromium} (or set NEWSBRIEF_CHROMIUM)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height or 900})
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_path.resolve().as_uri(), wait_until="load")
            if open_tip is not None:
                markers = page.locator("a.cm")
                if markers.count() > open_tip:
                    markers.nth(open_tip).focus()
                    page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(png), full_page=height is None)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            height = page.evaluate("document.documentElement.scrollHeight")
        finally:
            browser.close()
    return f"saved {png} ({width}x{height}, scrollWidth {scroll}, {len(requests)} request(s))"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description="Write the HTML story page of a brief JSON file.")
    parser.add_argument("brief", type=Path, help="a brief written by `summarize --format json`")
    parser.add_argument("out", type=Path, help="the HTML file to write")
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--from-inputs", action="store_true", help="re-read the brief's inputs for sentence text"
    )
    group.add_argument(
        "--articles", nargs="+", metavar="PATH", help="the article files the brief was made from"
    )
    parser.add_argument(
        "--screenshot", type=Path, metavar="PNG", help="also save a full-page screenshot"
    )
    parser.add_argument(
        "--width", type=int, default=1000, help="screenshot width in CSS pixels (default 1000)"
    )
    parser.add_argument(
        "--height", type=int, help="only the first HEIGHT CSS pixels (default: the whole page)"
    )
    parser.add_argument(
        "--open-tip", type=int, metavar="N", help="focus the Nth citation marker (from 0) first"
    )
    args = parser.parse_args(argv)
    if args.out.is_dir():
        return _fail(f"{args.out} is a directory; give a file name")
    try:
        brief = _load_brief(args.brief)
        paths = brief.run.inputs if args.from_inputs else args.articles
        articles = _load_articles(brief, list(paths)) if paths else None
        page = render_html(brief, articles)
        _write(args.out, page)
    except (ValueError, OSError) as exc:
        return _fail(str(exc))
    cited = page.count('class="source-sentence"')
    print(
        f"wrote {args.out} ({len(page):,} bytes, {len(brief.articles)} sources, "
        f"{cited} cited sentences)"
    )
    if args.screenshot:
        try:
            print(screenshot(args.out, args.screenshot, args.width, args.open_tip, args.height))
        except ValueError as exc:
            return _fail(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
