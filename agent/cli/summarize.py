"""`newsbrief summarize`: articles of one story in, a brief out (JSON, Markdown or HTML)."""

from __future__ import annotations

import argparse
import sys

from ..api import run_pipeline
from ..errors import EXIT_BUDGET, EXIT_OK, EXIT_PARTIAL, InputError
from ..ingest.gather import ReadOptions, load_sources
from ..pipeline.run import brief_status
from ..schemas import Article, StoryBrief
from ..text.sanitize import clean, say
from .common import add_backend_options, progress_display, settings_from_args
from .output import FORMATS, check_out, format_brief, write_output

EPILOG = """exit codes: 0 ok, 1 no brief, 2 bad usage or input, 3 partial (some articles failed;
a brief was still written), 4 stopped by --max-cost/--max-tokens, 5 eval below threshold,
130 interrupted.

examples:
  newsbrief summarize examples/syria/ --format md
  newsbrief summarize examples/syria/ --format html -o brief.html
  newsbrief summarize https://example.org/a.html https://example.org/feed.xml --limit 5
  newsbrief summarize a.txt b.txt --base-url http://127.0.0.1:8080/v1 --out brief.json
  cat articles.jsonl | newsbrief summarize -
"""


def add_summarize_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "summarize",
        help="summarise articles of one story into a brief",
        description="Summarise several reports of one story into a grounded, structured brief.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help=".txt/.md/.html files, a directory of them, a .jsonl file (one article per line with "
        "'text' and optional 'title', 'outlet', 'date', 'url'), http(s) URLs of pages, RSS/Atom "
        "feeds (URL or file), or - for stdin",
    )
    p.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help="take at most N items from each feed (default 10)",
    )
    p.add_argument(
        "--skip-bad-lines",
        action="store_true",
        help="skip a malformed line of a JSONL input (each one reported, its id left as a "
        "gap) instead of refusing the file",
    )
    add_backend_options(p)
    out = p.add_argument_group("output")
    out.add_argument(
        "--out", "-o", metavar="FILE", help="write the brief to FILE instead of stdout"
    )
    out.add_argument(
        "--format",
        choices=FORMATS,
        default="json",
        help="json (default), md (Markdown) or html (a self-contained story page)",
    )
    out.add_argument(
        "--length",
        choices=("short", "medium", "long"),
        help="overview length: short (~90 words), medium (~210, the default) or long (~330)",
    )
    out.add_argument(
        "--quiet", "-q", action="store_true", help="no progress display or summary line on stderr"
    )
    run = p.add_argument_group("run")
    run.add_argument(
        "--concurrency",
        type=int,
        help="parallel model calls (default 10; the local model runs one at a time)",
    )
    run.add_argument("--max-reasks", type=int, help="re-asks after an invalid reply (default 2)")
    run.add_argument(
        "--max-cost",
        type=float,
        help="stop before a call that could take the run over this many USD",
    )
    run.add_argument(
        "--max-tokens",
        type=int,
        help="stop before a call that could take the run over this many tokens",
    )
    run.add_argument(
        "--pricing", metavar="FILE", help="JSON or TOML pricing table overriding the built-in one"
    )
    run.add_argument(
        "--run-dir",
        metavar="DIR",
        help="save each finished article in DIR; rerun the same command to resume",
    )
    run.add_argument(
        "--config",
        metavar="FILE",
        help="TOML settings file (default: $NEWSBRIEF_CONFIG or ./newsbrief.toml "
        "if present); options and NEWSBRIEF_* variables override it",
    )
    p.set_defaults(func=cmd_summarize)


def cmd_summarize(args: argparse.Namespace) -> int:
    check_out(args.out)
    brief, articles = run_summarize(args)
    write_output(format_brief(brief, args.format, articles), args.out)
    status = brief_status(brief)
    return {"ok": EXIT_OK, "partial": EXIT_PARTIAL, "budget": EXIT_BUDGET}[status]


def run_summarize(args: argparse.Namespace) -> tuple[StoryBrief, list[Article]]:
    paths = list(args.paths)
    if not paths and not sys.stdin.isatty():
        paths = ["-"]
    if not paths:
        raise InputError(
            "no input: give article files, a directory, a .jsonl file, URLs, or - for stdin"
        )
    if args.limit is not None and args.limit < 1:
        raise InputError(f"--limit must be at least 1 (got {args.limit})")
    settings = settings_from_args(args)
    loaded = load_sources(
        paths,
        policy=settings.fetch_policy(),
        limit=settings.feed_limit,
        options=ReadOptions(skip_bad_lines=args.skip_bad_lines),
    )
    for failure in loaded.failures:
        where = f"{failure.article_id}: " if failure.article_id else ""
        say(f"newsbrief: skipped {where}{failure.message}")
    show = not args.quiet and sys.stderr.isatty()
    with progress_display(show) as on_progress:
        brief = run_pipeline(loaded, settings, on_progress)
    if not args.quiet:
        say(summary_line(brief))
    return brief, loaded.articles


def summary_line(brief: StoryBrief) -> str:
    """One line on stderr after a run: articles, calls, cache hits, tokens, cost, time."""
    failed = sum(1 for a in brief.articles if a.error)
    u = brief.run.usage
    skipped = len(brief.run.failed_inputs)
    inputs = f", {skipped} inputs skipped" if skipped else ""
    sent = sum(1 for c in brief.run.calls if not c.cache_hit)
    return clean(
        f"newsbrief: {len(brief.articles)} articles ({failed} failed{inputs}), "
        f"{sent} model calls, {brief.run.cache_hits} cache hits, "
        f"{u.prompt_tokens + u.completion_tokens} tokens, ${u.cost_usd:.4f}, "
        f"{brief.run.seconds:.1f} s [{brief.run.backend}: {brief.run.model}]",
        fold_newlines=True,
    )
