"""Performance figures of newsbrief in one run, on loopback servers with fixed latency.

Every model call goes through the real openai backend over HTTP to bench/loopback_server.py,
started as a separate process (so the server's work is not counted as newsbrief's):

1. token economy: prompt tokens / cleaned source tokens for the seed articles (cl100k_base);
2. latency hiding: wall(8 articles) / wall(1 article) with every call taking 1 s;
3. own overhead: (wall - server time) per article with an instant server, for 200 and 2,000
   short articles in one story (2,000 is skipped when 200 predicts more than --max-seconds);
4. batch throughput: N synthetic stories (2 articles each: 3 calls, all at once) against a
   0.5 s server with 64 slots, 32 stories and at most 64 calls in flight (`max_calls`), vs
   the server-bound limit of 64 / 0.5 s / 3 calls stories per second;
5. peak memory of this process (resource.getrusage).

    python bench/perf.py                    # N=200 stories, about a minute on 2 cores
    python bench/perf.py --stories 1000     # the full throughput figure
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent import Settings, summarize  # noqa: E402
from bench.loopback_server import cl100k_counter  # noqa: E402

TOWNS = ["Port Elms", "Brackwater", "Lindale", "Carrow", "Feldham", "Oskby", "Tarrin", "Weyford"]


def synthetic(index: int, story: int = 0) -> dict[str, str]:
    """A short invented article (about 90 words)."""
    town = TOWNS[(index + story) % len(TOWNS)]
    return {
        "title": f"Flood barrier {story}-{index} opens in {town}",
        "outlet": f"Gazette {index % 5}",
        "date": "2025-04-07",
        "text": (
            f"The new flood barrier in {town} opened on Monday after {index % 9 + 2} years of "
            f"work, the council said. It cost {12 + index % 40} million pounds and protects about "
            f'{1000 * (index % 7 + 3)} homes. "This changes everything for the river towns," '
            f"engineer Mara Quill said. Critics said the gates were tested only {index % 4 + 1} "
            f"times before the opening, and residents of story {story} asked for a second review."
        ),
    }


@contextmanager
def loopback(latency: float, *, max_inflight: int = 0, tiktoken: bool = False) -> Iterator[str]:
    """Start bench/loopback_server.py in its own process; yields its base URL."""
    command = [
        sys.executable,
        str(ROOT / "bench" / "loopback_server.py"),
        "--latency",
        str(latency),
        "--max-inflight",
        str(max_inflight),
    ] + (["--tiktoken"] if tiktoken else [])
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        if not base_url.startswith("http"):
            raise RuntimeError("the loopback server did not start")
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def settings_for(base_url: str, **extra: Any) -> Settings:
    return Settings(
        backend="openai", base_url=base_url, api_key="sk-loopback", model="loopback-model", **extra
    )


def token_economy() -> tuple[int, int, float | None]:
    """(prompt tokens of one run on the seeds, cleaned source tokens, both cl100k_base, and
    the ratio the run's metadata reports), with the response cache off so every prompt is
    sent and counted by the server.
    """
    from agent.api import load_articles

    paths = sorted((ROOT / "examples" / "syria").glob("*.txt"))
    count = cl100k_counter()
    source = sum(count(a.text) for a in load_articles(paths))
    with loopback(0.0, tiktoken=True) as url:
        brief = summarize(paths, settings_for(url, cache=False))
    return brief.run.usage.prompt_tokens, source, brief.run.prompt_tokens_per_source_token


def timed_story(url: str, n: int, **extra: Any) -> tuple[float, Any]:
    articles = [synthetic(i) for i in range(n)]
    start = time.perf_counter()
    brief = summarize(articles, settings_for(url, **extra))
    return time.perf_counter() - start, brief


def latency_hiding() -> tuple[float, float]:
    with loopback(1.0) as url:
        summarize([synthetic(i, 99) for i in range(2)], settings_for(url))  # warm up: imports,
        # the client, tokenizers (once per process, not a story's cost); no reply is reused:
        one, _ = timed_story(url, 1, cache=False)
        eight, _ = timed_story(url, 8, cache=False)
    return one, eight


def overhead(n: int, url: str) -> float:
    """Milliseconds of newsbrief's own work per article: wall minus the server's seconds."""
    wall, brief = timed_story(url, n)
    return wall * 1000 / n, brief


CALLS_PER_STORY = 3  # a 2-article story's calls, all in flight at once (the synthesis beside)


MAX_CALLS = 64  # calls in flight across the batch


def throughput(stories: int, concurrency: int) -> tuple[float, float, int]:
    """(stories/s, seconds, failed) for a batch against the 0.5 s, 64-slot server, with
    `concurrency` stories in flight, each making its 3 calls at once, and at most 64 calls
    in flight in all (`max_calls`).
    """
    import tempfile

    from agent.stories.batch import arun_batch
    from agent.stories.inputs import StoryInput

    inputs = [
        StoryInput(id=f"s{k}", articles=[synthetic(i, k) for i in range(2)]) for k in range(stories)
    ]
    with loopback(0.5, max_inflight=64) as url, tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(url, concurrency=CALLS_PER_STORY)
        summary = asyncio.run(
            arun_batch(
                inputs,
                settings=settings,
                out=Path(tmp) / "out.jsonl",
                concurrency=concurrency,
                progress=None,
                max_calls=MAX_CALLS,
            )
        )
    return summary.done / summary.seconds, summary.seconds, summary.failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--stories", type=int, default=200, help="stories in the throughput run (default 200)"
    )
    parser.add_argument(
        "--batch-concurrency",
        type=int,
        default=32,
        help="stories in flight (default 32; at most 64 calls in flight among them)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=60.0,
        help="skip the 2,000-article run when 200 articles predict more than this (default 60)",
    )
    parser.add_argument(
        "--skip", default="", help="comma list of parts to skip: tokens,latency,overhead,batch"
    )
    parser.add_argument("--child-batch", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_batch:  # the throughput run in a process of its own (see below)
        print(json.dumps(throughput(args.stories, args.batch_concurrency)))
        return 0
    skip = set(filter(None, args.skip.split(",")))
    rows: list[tuple[str, str, str]] = []

    def row(name: str, value: str, goal: str) -> None:
        rows.append((name, value, goal))
        print(f"  {name}: {value}", file=sys.stderr, flush=True)

    if "tokens" not in skip:
        prompt, source, reported = token_economy()
        row(
            "prompt tokens / source tokens (seeds)",
            f"{prompt / source:.2f} ({prompt:,} / {source:,}; run metadata: {reported})",
            "<= 1.4",
        )
    if "latency" not in skip:
        one, eight = latency_hiding()
        row(
            "wall(8 articles) / wall(1 article), 1 s calls",
            f"{eight / one:.2f} ({eight:.1f} s / {one:.1f} s)",
            "<= 1.3",
        )
    if "overhead" not in skip:
        with loopback(0.0) as url:
            timed_story(url, 5)  # warm up: imports, backend, caches
            small, _ = overhead(200, url)
            row("own overhead per article, 200 articles", f"{small:.1f} ms", "<= 10 ms")
            if small * 2000 / 1000 <= args.max_seconds:
                large, _ = overhead(2000, url)
                row("own overhead per article, 2,000 articles", f"{large:.1f} ms", "<= 10 ms")
                row("cost(2,000) / cost(200)", f"{large * 2000 / (small * 200):.1f}x", "<= 10x")
            else:
                row(
                    "own overhead per article, 2,000 articles",
                    f"skipped: 200 predict {small * 2:.0f} s "
                    f"(> --max-seconds {args.max_seconds:g})",
                    "<= 10 ms",
                )
    if "batch" not in skip:
        # In a fresh process, as `newsbrief batch` runs: not in one that just held a story
        # of 2,000 articles and the caches it filled.
        child = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child-batch",
                "--stories",
                str(args.stories),
                "--batch-concurrency",
                str(args.batch_concurrency),
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        rate, seconds, failed = json.loads(child.stdout.strip().splitlines()[-1])
        limit = 64 / 0.5 / 3
        row(
            f"batch throughput, {args.stories} stories, 0.5 s calls, 64 slots, "
            f"{args.batch_concurrency} stories and {MAX_CALLS} calls in flight",
            f"{rate:.1f} stories/s in {seconds:.1f} s "
            f"({rate / limit:.0%} of {limit:.1f}; {failed} failed)",
            ">= 80% of limit",
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row("peak memory (this process)", f"{peak:.0f} MB", "")
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print(f"{'figure':<{width}}  {'measured':<{value_width}}  goal")
    for name, value, goal in rows:
        print(f"{name:<{width}}  {value:<{value_width}}  {goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
