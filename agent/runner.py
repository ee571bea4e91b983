"""From command-line arguments to a StoryBrief: inputs, backend, progress display, pipeline."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .api import run_pipeline
from .config import Settings
from .errors import InputError
from .ingest import load_inputs
from .llm.base import Backend
from .schemas import StoryBrief

# CLI option (argparse dest) -> Settings field; options left unset fall through to the
# environment, the config file and the defaults.
_OPTION_FIELDS = {
    "backend": "backend", "model": "model", "base_url": "base_url", "timeout": "timeout",
    "record": "record_dir", "replay": "replay_dir", "concurrency": "concurrency",
    "max_reasks": "max_reasks", "max_cost": "max_cost", "max_tokens": "max_tokens",
    "pricing": "pricing_file", "run_dir": "run_dir",
}


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from command-line options over NEWSBRIEF_* variables over the config file."""
    given = {field: getattr(args, option) for option, field in _OPTION_FIELDS.items()
             if getattr(args, option, None) is not None}
    return Settings(config_file=getattr(args, "config", None), **given)


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
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task("articles", total=None)

        def on_progress(event: str, info: dict[str, Any]) -> None:
            if event == "start":
                progress.update(task, total=info["total"], completed=info.get("resumed", 0))
            elif event == "article_done":
                progress.advance(task)
            elif event == "synthesis_start":
                progress.update(task, description="synthesis")

        yield on_progress


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
        print(f"newsbrief: {len(brief.articles)} articles ({failed} failed), {len(brief.run.calls)} model calls, "
              f"{u.prompt_tokens + u.completion_tokens} tokens, ${u.cost_usd:.4f}, {brief.run.seconds:.1f} s "
              f"[{brief.run.backend}: {brief.run.model}]", file=sys.stderr)
    return brief
