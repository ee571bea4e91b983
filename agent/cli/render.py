"""`newsbrief render`: a saved brief (JSON) as a story page or Markdown, with no model run."""

from __future__ import annotations

import argparse
import json

from pydantic import ValidationError

from ..errors import EXIT_OK, InputError
from ..files import read_limited
from ..schemas import Article, StoryBrief
from .output import check_out, format_brief, write_output

MAX_BRIEF_BYTES = 64 * 1024 * 1024


def add_render_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "render",
        help="render a saved brief (JSON) as HTML or Markdown",
        description="Render a brief written by `newsbrief summarize --format json` as a "
        "self-contained HTML story page or as Markdown, without running anything. The brief "
        "carries the text of every sentence it cites; --articles re-reads the inputs instead.",
    )
    p.add_argument("brief", metavar="BRIEF", help="a brief JSON file, or - for stdin")
    p.add_argument("--format", choices=["html", "md"], default="html", help="html (default) or md")
    p.add_argument("--out", "-o", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument(
        "--articles",
        nargs="+",
        metavar="PATH",
        help="the inputs the brief was made from, re-read for their full text (each must "
        "match the brief's source, so sentence ids line up)",
    )
    p.set_defaults(func=cmd_render)


def load_brief(name: str) -> StoryBrief:
    """A StoryBrief from a JSON file ('-': stdin); InputError in one line when it is not one."""
    import sys

    try:
        raw = (
            sys.stdin.buffer.read(MAX_BRIEF_BYTES + 1)
            if name == "-"
            else read_limited(name, limit=MAX_BRIEF_BYTES + 1)
        )
        if len(raw) > MAX_BRIEF_BYTES:
            raise InputError(f"{name}: larger than {MAX_BRIEF_BYTES // 2**20} MB; not a brief")
        data = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except OSError as err:
        raise InputError(f"{name}: cannot read ({err.strerror or err})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"{name}: not a JSON brief ({err})") from None
    try:
        return StoryBrief.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "brief"
        raise InputError(f"{name}: not a newsbrief story brief ({where}: {first['msg']})") from None


def matching_articles(brief: StoryBrief, paths: list[str]) -> list[Article]:
    """The brief's articles read again from `paths`, checked source by source."""
    from ..api import load_articles

    articles = load_articles(paths)
    by_id = {a.id: a for a in articles}
    for ab in brief.articles:
        article = by_id.get(ab.article_id)
        if article is None or article.source != ab.source:
            found = article.source if article else "nothing"
            raise InputError(
                f"article {ab.article_id} of the brief is {ab.source}; --articles gives {found}"
            )
    return articles


def cmd_render(args: argparse.Namespace) -> int:
    check_out(args.out)
    brief = load_brief(args.brief)
    articles = matching_articles(brief, args.articles) if args.articles else None
    write_output(format_brief(brief, args.format, articles), args.out)
    return EXIT_OK
