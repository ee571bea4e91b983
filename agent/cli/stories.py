"""`newsbrief batch | cluster | digest`: many stories in one run (agent.stories).

Exit codes of batch and digest: 0 every story ok (or already done); 1 every story run
failed, or (--batch-api) the endpoint refused a batch or its files/batches calls kept
failing; 2 bad usage or input; 3 some stories partial or failed; 4 stopped before the end:
by the batch budget (--max-cost / --max-tokens), or (--batch-api) by --batch-timeout with
batches still running; the rest left for a rerun.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from ..errors import EXIT_BUDGET, EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, InputError
from ..text.sanitize import say
from .common import add_backend_options, settings_from_args

__all__ = ["add_parsers", "cmd_batch", "cmd_cluster", "cmd_digest"]

EPILOG = """exit codes: 0 all ok, 1 every story failed (--batch-api: or a batch was refused),
2 bad usage or input, 3 some stories partial or failed, 4 stopped by --max-cost/--max-tokens
or by --batch-timeout with batches still running (rerun to continue), 130 interrupted.

examples:
  newsbrief batch ../shared/evalsets/benchmark-dev.jsonl --out briefs.jsonl --backend none
  newsbrief batch stories/ --out briefs/ --backend openai --base-url http://127.0.0.1:8080/v1
  OPENAI_API_KEY=sk-... newsbrief batch stories.jsonl --out briefs/ --batch-api \\
      --base-url https://api.openai.com/v1 --model gpt-4o-mini
  newsbrief cluster feed/ --out stories.jsonl
  newsbrief digest feed.jsonl --out digest/ --min-sources 2
"""


def _run_options(parser: argparse.ArgumentParser, out_help: str) -> None:
    parser.add_argument("--out", "-o", required=True, metavar="PATH", help=out_help)
    run = parser.add_argument_group("run")
    run.add_argument(
        "--concurrency",
        dest="stories_in_flight",
        metavar="N",
        type=int,
        default=8,
        help="stories in flight (default 8)",
    )
    run.add_argument(
        "--calls-per-story",
        type=int,
        help="model calls in flight per story (default 10): at most concurrency x this in all",
    )
    run.add_argument(
        "--part",
        metavar="K/N",
        help="only part K of N of the stories (by a hash of their ids): run N processes, "
        "K = 1..N, each with its own --out, and concatenate the outputs",
    )
    run.add_argument(
        "--max-calls",
        type=int,
        metavar="N",
        help="model calls in flight across all stories (default: concurrency x calls per story)",
    )
    run.add_argument(
        "--max-cost", type=float, help="batch budget in USD: start no story once spent"
    )
    run.add_argument(
        "--max-tokens", type=int, help="batch budget in tokens: start no story once spent"
    )
    run.add_argument("--retry-failed", action="store_true", help="redo stories recorded as failed")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")


def _cluster_options(parser: argparse.ArgumentParser) -> None:
    from ..stories.cluster import ClusterParams

    parser.add_argument(
        "--threshold",
        type=float,
        default=ClusterParams().threshold,
        help=f"similarity needed to join a story (default {ClusterParams().threshold})",
    )


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Add the batch, cluster and digest commands to the CLI's subparsers."""
    fmt = argparse.RawDescriptionHelpFormatter
    p = subparsers.add_parser(
        "batch",
        help="brief many stories in one run",
        epilog=EPILOG,
        formatter_class=fmt,
        description='Brief every story of a JSONL file (one {"id", "articles"} per line) '
        "or of a directory of story folders, concurrently and resumably.",
    )
    p.add_argument(
        "input", metavar="STORIES", help="a .jsonl file of stories or a directory of story folders"
    )
    _run_options(
        p,
        "a .jsonl file (one record per story) or a directory (<id>.json, <id>.md, <id>.html "
        "per story, index.md and index.html)",
    )
    _batch_api_options(p)
    add_backend_options(p)
    _config_option(p)
    p.set_defaults(func=cmd_batch)

    p = subparsers.add_parser(
        "cluster",
        help="group a feed of articles into stories",
        epilog=EPILOG,
        formatter_class=fmt,
        description="Group articles (a directory, a JSONL file or an RSS/Atom file) into "
        "stories, in arrival order; writes the stories as batch input JSONL.",
    )
    p.add_argument("feed", metavar="FEED")
    p.add_argument(
        "--out", "-o", metavar="FILE", help="write the stories JSONL here (default stdout)"
    )
    p.add_argument(
        "--min-articles", type=int, default=1, help="write only stories with this many articles"
    )
    _cluster_options(p)
    p.set_defaults(func=cmd_cluster)

    p = subparsers.add_parser(
        "digest",
        help="cluster a feed, then brief each story with 2+ sources",
        epilog=EPILOG,
        formatter_class=fmt,
        description="Cluster a feed into stories and brief each story with at least "
        "--min-sources independent sources (near-duplicate texts count once).",
    )
    p.add_argument("feed", metavar="FEED")
    p.add_argument(
        "--min-sources", type=int, default=2, help="independent sources a story needs (default 2)"
    )
    _run_options(p, "a .jsonl file or a directory, as for batch")
    _cluster_options(p)
    add_backend_options(p)
    _config_option(p)
    p.set_defaults(func=cmd_digest)


def _batch_api_options(parser: argparse.ArgumentParser) -> None:
    from ..stories.batch_api import DEFAULT_POLL, DEFAULT_TIMEOUT

    group = parser.add_argument_group(
        "OpenAI Batch API (half price, results within 24 h; OpenAI only: vLLM and llama.cpp "
        "servers have no Batch API)"
    )
    group.add_argument(
        "--batch-api",
        action="store_true",
        help="send the article calls of all stories as one batch, then the synthesis calls as "
        "a second; resumable: batch ids are kept in OUT.batch-state.json",
    )
    group.add_argument(
        "--batch-poll",
        type=float,
        metavar="SECONDS",
        help=f"seconds between polls of a running batch (default {DEFAULT_POLL:g})",
    )
    group.add_argument(
        "--batch-timeout",
        type=float,
        metavar="SECONDS",
        help=f"most seconds to wait in this run (default {DEFAULT_TIMEOUT:g}); past it the "
        "batches keep running and a rerun goes on polling them (exit 4)",
    )
    group.add_argument(
        "--batch-reasks",
        type=int,
        metavar="N",
        help="rounds of re-asks for replies that fail validation, each in the next batch "
        "(default 1; 0: such an article keeps code's brief with the typed error)",
    )


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML settings file (default $NEWSBRIEF_CONFIG or ./newsbrief.toml)",
    )


def _settings(args: argparse.Namespace) -> Any:
    """The model settings, as for summarize; --calls-per-story is each story's concurrency."""
    settings = settings_from_args(args)
    if args.calls_per_story is not None:
        settings = settings.with_overrides(concurrency=args.calls_per_story)
    return settings


def _check_run_args(args: argparse.Namespace) -> None:
    if args.stories_in_flight < 1:
        raise InputError("--concurrency must be at least 1")
    if args.calls_per_story is not None and args.calls_per_story < 1:
        raise InputError("--calls-per-story must be at least 1")
    if args.max_calls is not None and args.max_calls < 1:
        raise InputError("--max-calls must be at least 1")


def _exit_code(summary: Any) -> int:
    if summary.not_started or getattr(summary, "waiting", 0):
        return EXIT_BUDGET
    if summary.done and summary.failed == summary.done:
        return EXIT_FAILED
    return EXIT_PARTIAL if summary.partial or summary.failed else EXIT_OK


def _batch_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "settings": _settings(args),
        "out": args.out,
        "concurrency": args.stories_in_flight,
        "retry_failed": args.retry_failed,
        "max_cost": args.max_cost,
        "max_tokens": args.max_tokens,
        "progress": None if args.quiet else sys.stderr,
        "max_calls": args.max_calls,
    }


def _stories(args: argparse.Namespace) -> Any:
    """The batch input: its path, or with --part K/N the stories of that part."""
    if not args.part:
        return args.input
    from ..stories.inputs import part_of, read_stories

    found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", args.part)
    if not found or int(found.group(2)) < 1:
        raise InputError(f"--part {args.part!r}: give K/N, e.g. 1/2")
    return part_of(read_stories(args.input), int(found.group(1)), int(found.group(2)))


def cmd_batch(args: argparse.Namespace) -> int:
    """`newsbrief batch STORIES --out PATH`: brief every story not yet in PATH."""
    from ..stories.batch import run_batch

    _check_run_args(args)
    extra = {
        "poll_every": args.batch_poll,
        "timeout": args.batch_timeout,
        "reasks": args.batch_reasks,
    }
    given = {key: value for key, value in extra.items() if value is not None}
    if args.batch_api:
        from ..stories.batch_api import run_batch_api

        kwargs = _batch_kwargs(args)
        kwargs.pop("concurrency")  # a batch has no calls in flight to limit
        kwargs.pop("max_calls")
        summary = run_batch_api(_stories(args), **kwargs, **given)
    elif given:
        raise InputError("--batch-poll, --batch-timeout and --batch-reasks need --batch-api")
    else:
        summary = run_batch(_stories(args), **_batch_kwargs(args))
    if args.quiet:  # the summary line still goes out, so a script sees the counts
        say(summary.line())
    return _exit_code(summary)


def cmd_cluster(args: argparse.Namespace) -> int:
    """`newsbrief cluster FEED [--out FILE]`: write the feed's stories as batch input JSONL."""
    from ..stories.cluster import ClusterParams
    from ..stories.digest import cluster_feed, write_stories
    from ..stories.feed import read_feed

    articles = read_feed(args.feed)
    stories = [
        s
        for s in cluster_feed(articles, ClusterParams(threshold=args.threshold))
        if len(s.articles) >= args.min_articles
    ]
    if args.out:
        target = Path(args.out)
        if not target.resolve().parent.is_dir():
            raise InputError(f"--out {args.out}: the directory {target.parent} does not exist")
        with target.open("w", encoding="utf-8") as handle:
            write_stories(stories, handle)
    else:
        write_stories(stories, sys.stdout)
    multi = sum(len(s.articles) > 1 for s in stories)
    print(
        f"cluster: {len(articles)} articles -> {len(stories)} stories ({multi} with 2+ articles)",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_digest(args: argparse.Namespace) -> int:
    """`newsbrief digest FEED --out PATH`: cluster, then brief stories with enough sources."""
    from ..stories.cluster import ClusterParams
    from ..stories.digest import run_digest

    _check_run_args(args)
    if args.part:
        raise InputError("--part is for `newsbrief batch`: cluster first, then batch the parts")
    kwargs = _batch_kwargs(args)
    summary = run_digest(
        args.feed,
        min_sources=args.min_sources,
        params=ClusterParams(threshold=args.threshold),
        **kwargs,
    )
    if summary.batch is None:
        print(
            f"digest: no story has {args.min_sources} independent sources; nothing to brief",
            file=sys.stderr,
        )
        return EXIT_OK
    if args.quiet:
        say(summary.batch.line())
    return _exit_code(summary.batch)
