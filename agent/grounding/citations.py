"""The source sentences a brief cites, with their text, so a saved brief stands on its own."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from ..schemas import SENTENCE_ID, Article, StoryBrief
from ..text.match import fold
from ..text.sentences import split_statements
from .compose import Evidence

__all__ = ["cited_sentences"]

_ID = re.compile(rf"^{SENTENCE_ID}$")


def _ids(value: Any) -> Iterator[str]:
    """Every sentence id held under a `sentence_id(s)` / `evidence` key, depth first."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("sentence_id", "sentence_ids", "evidence"):
                for sid in item if isinstance(item, list) else [item]:
                    if isinstance(sid, str) and _ID.match(sid):
                        yield sid
            else:
                yield from _ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ids(item)


def cited_sentences(brief: StoryBrief, articles: Sequence[Article]) -> dict[str, str]:
    """Id -> text of each sentence the brief cites, and of those supporting its overview,
    in article then sentence order.
    """
    text = {s.id: s.text for a in articles for s in a.sentences}
    wanted = set(_ids(brief.model_dump(exclude={"run", "cited_sentences"})))
    if brief.overview.strip() and articles:
        verbatim = {" ".join(fold(t).split()): sid for sid, t in text.items()}
        evidence: Evidence | None = None  # built only for a statement that is not verbatim
        for statement in split_statements(brief.overview):
            found = verbatim.get(" ".join(fold(statement).split()))
            if found is not None:
                wanted.add(found)
                continue
            evidence = evidence or Evidence(articles)
            wanted.update(evidence.cite(statement))
    return {s.id: s.text for a in articles for s in a.sentences if s.id in wanted and s.id in text}
