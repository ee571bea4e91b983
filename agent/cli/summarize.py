"""`newsbrief summarize`: articles of one story in, a brief out (JSON or Markdown)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..api import run_pipeline
from ..errors import EXIT_BUDGET, EXIT_OK, EXIT_PARTIAL, InputError, NewsbriefError
from ..ingest.read import load_inputs
from ..pipeline.run import brief_status
from ..render.markdown import render_markdown
from ..schemas import StoryBrief
from .common import add_backend_options, progress_display, settings_from_args

EPILOG = """exit codes: 0 ok, 1 no brief, 2 bad usage or input, 3 partial (some articles failed;
a brief was still written), 4 stopped by --max-cost/--max-tokens, 5 eval below threshold,
130 interrupted.

examples:
  newsbrief summarize examples/syria/ --format md
  newsbrief summarize a.txt b.txt --backend openai --base-url http://127.0.0.1:8080/v1 --out brief.json
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
        help=".txt/.md files, a directory of them, a .jsonl file (one article per line with 'text' and "
        "optional 'title', 'outlet', 'date', 'url'), or - for stdin",
    )
    add_backend_options(p)
    out = p.add_argument_group("output")
    out.add_argument(
        "--out", "-o", metavar="FILE", help="write the brief to FILE instead of stdout"
    )
    out.add_argument(
        "--format", choices=["json", "md"], default="json", help="json (default) or md (Markdown)"
    )
    out.add_argument(
        "--quiet", "-q", action="store_true", help="no progress display or summary line on stderr"
    )
    run = p.add_argument_group("run")
    run.add_argument(
        "--concurrency",
        type=int,
        help="parallel model calls (default 4; the local model runs one at a time)",
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
    if args.out and not Path(args.out).resolve().parent.is_dir():
        raise InputError(f"--out {args.out}: the directory {Path(args.out).parent} does not exist")
    brief = run_summarize(args)
    text = brief.model_dump_json(indent=2) if args.format == "json" else render_markdown(brief)
    if args.out:
        try:
            Path(args.out).write_text(
                text + ("\n" if not text.endswith("\n") else ""), encoding="utf-8"
            )
        except OSError as err:
            raise NewsbriefError(f"cannot write --out {args.out}: {err.strerror or err}") from None
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    status = brief_status(brief)
    return {"ok": EXIT_OK, "partial": EXIT_PARTIAL, "budget": EXIT_BUDGET}[status]


def run_summarize(args: argparse.Namespace) -> StoryBrief:
    paths = list(args.paths)
    if not paths and not sys.stdin.isatty():
        paths = ["-"]
    if not paths:
        raise InputError("no input: give article files, a directory, a .jsonl file, or - for stdin")
    settings = settings_from_args(args)
    articles = load_inputs(paths)
    show = not args.quiet and sys.stderr.isatty()
    with progress_display(show) as on_progress:
        brief = run_pipeline(articles, settings, on_progress)
    if not args.quiet:
        failed = sum(1 for a in brief.articles if a.error)
        u = brief.run.usage
        print(
            f"newsbrief: {len(brief.articles)} articles ({failed} failed), {len(brief.run.calls)} model calls, "
            f"{u.prompt_tokens + u.completion_tokens} tokens, ${u.cost_usd:.4f}, {brief.run.seconds:.1f} s "
            f"[{brief.run.backend}: {brief.run.model}]",
            file=sys.stderr,
        )
    return brief
