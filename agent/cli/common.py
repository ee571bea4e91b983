"""What the sub-commands share: the argument parser class, the model options, settings from
arguments, and the progress display on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from ..config import Settings
from ..errors import EXIT_USAGE
from ..llm.base import Backend
from ..llm.factory import BACKEND_NAMES


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line with the documented exit code."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"newsbrief: error: {message}\n")


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model")
    group.add_argument(
        "--backend",
        choices=BACKEND_NAMES,
        help="local: embedded SmolLM2-135M (default when no endpoint is set); openai: any "
        "OpenAI-compatible endpoint; replay: recorded responses; none: no model, code only",
    )
    group.add_argument(
        "--model", help="model name for the openai backend (default: the server's first model)"
    )
    group.add_argument(
        "--base-url",
        help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 "
        "(default: $OPENAI_BASE_URL); the key comes from $OPENAI_API_KEY",
    )
    group.add_argument("--timeout", type=float, help="seconds per HTTP request (default 120)")
    group.add_argument(
        "--record", metavar="DIR", help="record every model response into DIR (for replay)"
    )
    group.add_argument(
        "--replay", metavar="DIR", help="answer from recordings in DIR (implies --backend replay)"
    )
    group.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        default=None,
        help="do not use the on-disk response cache (on by default: a repeated request is "
        "answered from it at no cost)",
    )
    group.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="where the response cache lives (default: the user cache directory, "
        "e.g. ~/.cache/newsbrief)",
    )
    group.add_argument(
        "--allow-unpriced",
        action="store_true",
        default=None,
        help="with --max-cost, run a model that has no price (its calls counted as free); "
        "without it such a run is refused: give the price with --pricing FILE",
    )


# CLI option (argparse dest) -> Settings field; options left unset fall through to the
# environment, the config file and the defaults.
_OPTION_FIELDS = {
    "backend": "backend",
    "model": "model",
    "base_url": "base_url",
    "timeout": "timeout",
    "record": "record_dir",
    "replay": "replay_dir",
    "cache": "cache",
    "cache_dir": "cache_dir",
    "limit": "feed_limit",
    "concurrency": "concurrency",
    "max_reasks": "max_reasks",
    "max_cost": "max_cost",
    "max_tokens": "max_tokens",
    "pricing": "pricing_file",
    "allow_unpriced": "allow_unpriced",
    "run_dir": "run_dir",
    "length": "overview_length",
}


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from command-line options over NEWSBRIEF_* variables over the config file.

    URL inputs on the command line may reach any address (`fetch_private`): the user who
    runs the command chose them. Chat tools and the API keep the stricter default.
    """
    given = {
        field: getattr(args, option)
        for option, field in _OPTION_FIELDS.items()
        if getattr(args, option, None) is not None
    }
    return Settings(config_file=getattr(args, "config", None), fetch_private=True, **given)


def backend_from_args(args: argparse.Namespace) -> Backend | None:
    return settings_from_args(args).make_backend()


@contextmanager
def progress_display(enabled: bool) -> Iterator[Any]:
    """A rich progress bar on stderr; yields the pipeline's on_progress callback (or None)."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("articles", total=None)

        def on_progress(event: str, info: dict[str, Any]) -> None:
            if event == "start":
                progress.update(task, total=info["total"], completed=info.get("resumed", 0))
            elif event == "article_done":
                progress.advance(task)
            elif event == "synthesis_start":
                progress.update(task, description="synthesis")

        yield on_progress
