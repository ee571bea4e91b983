"""A digest of a feed: cluster its articles into stories, then brief every story that has at
least `min_sources` independent sources (near-duplicate texts, such as one wire report run
by several outlets, count once).

    from agent.stories.digest import run_digest
    run_digest("feed/", settings=Settings(backend="none"), out="digest/")

Story ids are `story-NNNN-<hash of the member ids>`: the same feed gives the same ids (so a
digest resumes like a batch), and a story whose membership changed gets a new id.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .batch import BatchSummary, run_batch
from .cluster import ClusterParams, cluster_articles
from .feed import FeedArticle, read_feed
from .inputs import StoryInput

__all__ = [
    "DigestSummary",
    "FeedStory",
    "cluster_feed",
    "independent_sources",
    "run_digest",
    "story_record",
]

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
SHINGLE = 5
DUPLICATE_CONTAINMENT = 0.7


@dataclass
class FeedStory:
    """A story found in a feed: its id and articles in arrival order."""

    id: str
    articles: list[FeedArticle]

    @property
    def sources(self) -> int:
        return independent_sources(self.articles)


@dataclass
class DigestSummary:
    """What a digest did: articles read, stories found, stories briefed, and the batch summary."""

    articles: int
    stories: int
    eligible: int
    batch: BatchSummary | None = None
    skipped_ids: list[str] = field(default_factory=list)


def _shingles(text: str) -> set[int]:
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < SHINGLE:
        return {hash(" ".join(words))} if words else set()
    return {hash(" ".join(words[i : i + SHINGLE])) for i in range(len(words) - SHINGLE + 1)}


def independent_sources(
    articles: Sequence[FeedArticle], containment: float = DUPLICATE_CONTAINMENT
) -> int:
    """How many articles remain when near-duplicates are merged: two texts are duplicates when
    `containment` of the shorter one's 5-word shingles are in the other.
    """
    shingles = [_shingles(a.text) for a in articles]
    parent = list(range(len(articles)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(articles)):
        for j in range(i + 1, len(articles)):
            small = min(len(shingles[i]), len(shingles[j]))
            if small and len(shingles[i] & shingles[j]) / small >= containment:
                parent[root(j)] = root(i)
    return len({root(i) for i in range(len(articles))})


def cluster_feed(
    articles: Sequence[FeedArticle], params: ClusterParams | None = None
) -> list[FeedStory]:
    """The feed's articles grouped into stories (online, in the order given)."""
    groups = cluster_articles([a.cluster_item() for a in articles], params)
    stories = []
    for number, members in enumerate(groups, start=1):
        chosen = [articles[i] for i in members]
        digest = hashlib.sha1("\n".join(a.id for a in chosen).encode("utf-8")).hexdigest()[:8]
        stories.append(FeedStory(id=f"story-{number:04d}-{digest}", articles=chosen))
    return stories


def story_record(story: FeedStory) -> dict[str, Any]:
    """A story in the batch input format (`{"id", "articles": [...]}`)."""
    return {
        "id": story.id,
        "articles": [
            {
                k: v
                for k, v in {
                    "id": a.id,
                    "title": a.title,
                    "source": a.outlet,
                    "date": a.date,
                    "url": a.url,
                    "text": a.text,
                }.items()
                if v is not None
            }
            for a in story.articles
        ],
    }


def write_stories(stories: Sequence[FeedStory], stream: TextIO) -> None:
    """Write stories as batch input JSONL."""
    for story in stories:
        stream.write(json.dumps(story_record(story), ensure_ascii=False) + "\n")


def run_digest(
    feed: str | Path,
    *,
    settings: Any = None,
    out: str | Path,
    min_sources: int = 2,
    concurrency: int = 8,
    params: ClusterParams | None = None,
    progress: TextIO | None = sys.stderr,
    **batch_options: Any,
) -> DigestSummary:
    """Cluster a feed (directory, JSONL or RSS/Atom) and brief each story with at least
    `min_sources` independent sources into `out` (as `run_batch` writes it).
    """
    articles = read_feed(feed)
    stories = cluster_feed(articles, params)
    eligible = [s for s in stories if s.sources >= min_sources]
    summary = DigestSummary(
        articles=len(articles),
        stories=len(stories),
        eligible=len(eligible),
        skipped_ids=[s.id for s in stories if s.sources < min_sources],
    )
    if progress is not None:
        progress.write(
            f"digest: {len(articles)} articles -> {len(stories)} stories, {len(eligible)} with "
            f">= {min_sources} independent sources\n"
        )
    if eligible:
        inputs = [
            StoryInput(id=s.id, articles=[a.as_input() for a in s.articles], origin=str(feed))
            for s in eligible
        ]
        summary.batch = run_batch(
            inputs,
            settings=settings,
            out=out,
            concurrency=concurrency,
            progress=progress,
            **batch_options,
        )
    return summary
