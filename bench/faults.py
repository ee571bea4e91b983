"""Reliability benchmark: 50 invented articles through the whole pipeline against the
fault-injecting server with a seeded 30% fault rate, then the same run with no faults.

    .venv/bin/python bench/faults.py [--articles 50] [--fault-rate 0.3] [--seed 7] [--concurrency 4]

Faults are drawn per article and per attempt (a seeded hash of both), so a run is the same
whatever order the worker threads send their requests in. Half of the faults are transient
(429 with and without Retry-After, 500, 503, a dropped connection, a hang past the client's
timeout), half are bad content (invalid JSON, JSON failing the schema, a reply cut at the
token limit, an empty reply, a refusal). It prints how many articles ended valid, how many
with a typed error, how many were lost (target 0), whether every article that saw only
transient faults succeeded (target: all), retries, re-asks, tokens (checked against what the
server reported), the wall time and its ratio to the fault-free run. Exit status 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.devtools.fault_server import FaultServer  # noqa: E402
from agent.ingest.article import make_article  # noqa: E402
from agent.llm.openai_backend import OpenAIBackend  # noqa: E402
from agent.pipeline.options import RunOptions  # noqa: E402
from agent.pipeline.run import summarize_articles  # noqa: E402
from agent.schemas import Article, StoryBrief  # noqa: E402

TRANSIENT = ("429", "429_retry_after", "500", "503", "drop", "hang")
CONTENT = ("invalid_json", "schema_fail", "length", "empty", "refusal")
TYPED = {"invalid_json", "schema", "length", "empty", "refusal", "transport", "other"}
CLIENT_TIMEOUT = 1.0  # a hang outlasts it (HANG_SECONDS)
HANG_SECONDS = 2.0

PLACES = [
    "Ashford",
    "Brenton",
    "Colwick",
    "Darnley",
    "Eskdale",
    "Farleigh",
    "Glenmore",
    "Harwell",
    "Islip",
    "Kelso",
]
THINGS = [
    ("bridge", "vehicles a day"),
    ("hospital wing", "patients a year"),
    ("library", "visitors a month"),
    ("tram line", "riders a day"),
    ("sea wall", "homes protected"),
    ("school", "pupils enrolled"),
    ("water plant", "households served"),
    ("bus depot", "buses housed"),
]
PEOPLE = [
    "Nora Pike",
    "Owen Hale",
    "Priya Natt",
    "Quentin Rowe",
    "Rosa Vell",
    "Sam Ortiz",
    "Tara Quinn",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def invented_article(i: int, rng: random.Random) -> str:
    place, (thing, measure) = PLACES[i % len(PLACES)], THINGS[(i * 3) % len(THINGS)]
    person, day = PEOPLE[i % len(PEOPLE)], DAYS[i % len(DAYS)]
    cost, count, years = rng.randint(3, 90), rng.randint(2, 90) * 100, rng.randint(2, 9)
    return (
        f"New {thing} opens in {place} ({i})\n\n"
        f"The new {thing} in {place} opened on {day} after {years} years of work, officials said. "
        f"It cost {cost} million pounds, about {rng.randint(5, 30)} percent more than planned. "
        f"The {thing} is expected to handle {count:,} {measure}. "
        f'"It was worth the wait," {person} of the {place} council said. '
        f"Opponents said the project had been delayed {rng.randint(2, 6)} times since "
        f"{2010 + i % 12}. A review of the costs is due in "
        f"{['March', 'June', 'September'][i % 3]}, the council added."
    )


def make_articles(n: int, seed: int) -> list[Article]:
    rng = random.Random(seed)
    return [
        make_article(invented_article(i, rng), index=i + 1, source=f"<bench {i + 1}>")
        for i in range(n)
    ]


# --------------------------------------------------------------------------- faults


def target_of(body: dict[str, Any]) -> str:
    """'a12' for a request about article a12 (its first attempt or a re-ask), else 'synthesis'."""
    user = next(
        (m.get("content") or "" for m in body.get("messages", []) if m.get("role") == "user"), ""
    )
    found = re.match(r"Article (a\d+)", user)
    return found.group(1) if found else "synthesis"


class SeededFaults:
    """A fault-server script: the k-th request about a target gets a fault with probability
    `rate`, decided by a hash of (seed, target, k) alone.
    """

    def __init__(self, rate: float, seed: int):
        self.rate, self.seed = rate, seed
        self.counts: dict[str, int] = {}

    def __call__(self, body: dict[str, Any], n: int) -> str | dict[str, Any]:
        target = target_of(body)
        k = self.counts[target] = self.counts.get(target, 0) + 1
        rng = random.Random(f"{self.seed}:{target}:{k}")
        if rng.random() >= self.rate:
            return "ok"
        kind = rng.choice(TRANSIENT + CONTENT)
        if kind == "429_retry_after":
            return {"kind": "429", "retry_after": 0.1}
        if kind == "hang":
            return {"kind": "hang", "seconds": HANG_SECONDS}
        return kind


# --------------------------------------------------------------------------- runs


def run(
    articles: list[Article], script: Any, concurrency: int
) -> tuple[StoryBrief, FaultServer, float]:
    with FaultServer(script, text_length=24, max_requests=100_000, max_lifetime=1800) as server:
        backend = OpenAIBackend(
            "fault-model",
            base_url=server.base_url,
            api_key="not-needed",
            timeout=CLIENT_TIMEOUT,
            retry_initial_wait=0.02,
            max_retry_wait=0.2,
            modes=("json_object",),
        )
        started = time.monotonic()
        brief = summarize_articles(articles, backend, RunOptions(concurrency=concurrency))
        return brief, server, time.monotonic() - started


def steps_by_target(server: FaultServer) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    for request in server.requests:
        if isinstance(request.get("json"), dict) and "step" in request:
            seen.setdefault(target_of(request["json"]), []).append(request["step"])
    return seen


def report(
    brief: StoryBrief, server: FaultServer, seconds: float, clean_seconds: float, total: int
) -> bool:
    steps = steps_by_target(server)
    ok = [a for a in brief.articles if a.error is None]
    typed = [a for a in brief.articles if a.error is not None and a.error.kind in TYPED]
    kinds = sorted({a.error.kind for a in typed if a.error is not None})
    lost = total - len(ok) - len(typed)
    transient_only = [
        a
        for a in brief.articles
        if any(s != "ok" for s in steps.get(a.article_id, []))
        and all(
            s == "ok" or s in ("429", "500", "503", "drop", "hang")
            for s in steps.get(a.article_id, [])
        )
    ]
    transient_failed = [a.article_id for a in transient_only if a.error is not None]
    faults = sum(1 for s in sum(steps.values(), []) if s != "ok")
    requests = sum(len(s) for s in steps.values())
    counted = brief.run.usage.prompt_tokens + brief.run.usage.completion_tokens
    rows = [
        ("articles", total),
        ("requests / faults injected", f"{requests} / {faults} ({faults / max(1, requests):.0%})"),
        ("articles succeeded (valid)", len(ok)),
        ("articles failed with a typed error", f"{len(typed)} {', '.join(kinds)}".strip()),
        ("articles lost", lost),
        (
            "transient-only articles succeeded",
            f"{len(transient_only) - len(transient_failed)} / {len(transient_only)}",
        ),
        (
            "synthesis",
            "ok" if brief.synthesis_error is None else f"typed error: {brief.synthesis_error.kind}",
        ),
        ("transport retries", brief.run.retries),
        ("re-asks", brief.run.reasks),
        (
            "tokens counted / reported by server*",
            f"{counted} / {sum(server.reported_usage().values())}",
        ),
        ("wall time with faults (s)", f"{seconds:.2f}"),
        ("wall time without faults (s)", f"{clean_seconds:.2f}"),
        ("ratio", f"{seconds / clean_seconds:.2f}x"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    met = lost == 0 and not transient_failed and counted == sum(server.reported_usage().values())
    print(
        "* the server's usage over the replies the client received (a hang is answered after the "
        "client gave up)"
    )
    print(
        "targets:",
        "met" if met else f"MISSED (lost {lost}, transient-only failures {transient_failed})",
    )
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--fault-rate", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args(argv)
    articles = make_articles(args.articles, args.seed)
    print(
        f"fault bench: {args.articles} articles, fault rate {args.fault_rate:.0%}, "
        f"seed {args.seed}, concurrency {args.concurrency}, client timeout {CLIENT_TIMEOUT:g} s"
    )
    clean, _, clean_seconds = run(articles, SeededFaults(0.0, args.seed), args.concurrency)
    assert all(a.error is None for a in clean.articles), "the fault-free run must succeed"
    brief, server, seconds = run(
        articles, SeededFaults(args.fault_rate, args.seed), args.concurrency
    )
    return 0 if report(brief, server, seconds, clean_seconds, args.articles) else 1


if __name__ == "__main__":
    sys.exit(main())
