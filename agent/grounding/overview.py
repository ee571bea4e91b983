"""The story's overview from the sources' own sentences, at a length the reader picks.

`code_overview` chooses source sentences greedily, most valuable first, until the length's
word budget is spent, then puts them in story order:

* a statement several articles make (an aligned group, `agent.grounding.align`) is worth
  one plus 0.8 for each further independent source, plus the lead bonus of its earliest
  place in an article, stated by its representative sentence;
* each article's lead sentences (the first three body sentences) are worth one source, plus
  a bonus for coming first (news puts the most important first);
* a candidate that repeats one already chosen (most of its content words) is skipped, so no
  two sentences say the same thing.

Every sentence is verbatim source text, so the overview's origin is "code" and each
sentence is cited by the sentence it is. Story order: earlier episodes first (by their
first date), then by position in the articles (leads first), ties by text, so the input
order does not matter.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ..schemas import Article
from ..text.match import content_words, fold, similarity
from ..text.sentences import ends_a_sentence, lead_sentences
from .align import Alignment, representative

Length = Literal["short", "medium", "long"]
# Word budgets; medium is near the length of the benchmark clusters' human references.
WORDS: dict[str, int] = {"short": 90, "medium": 210, "long": 330}
LEAD_BONUS = (1.2, 0.8, 0.5)
SOURCE_WEIGHT = 0.8  # value of each source beyond the first
REPEAT = 0.5  # similarity at which a candidate repeats a chosen sentence
MAX_SENTENCE_WORDS = 80  # longer "sentences" are usually run-on page furniture


@dataclass(frozen=True)
class _Candidate:
    text: str
    sentence_id: str
    value: float
    position: int  # earliest position of the statement in its articles
    episode: int


def code_overview(
    articles: Sequence[Article],
    alignment: Alignment | None = None,
    length: Length = "medium",
    episode_of: Mapping[str, int] | None = None,
    episode_rank: Mapping[int, int] | None = None,
    disputed: Collection[str] = (),
) -> list[tuple[str, str]]:
    """(sentence id, text) of the overview's sentences, in story order (see module doc).

    `episode_of` maps article ids to episodes and `episode_rank` episodes to their order in
    time; both optional. Sentences in `disputed` (a side of a conflict) are left out: the
    overview states what the sources do not dispute; the conflicts section shows the rest.
    """
    episode_of = episode_of or {}
    rank = episode_rank or {}
    candidates: dict[str, _Candidate] = {}

    def offer(c: _Candidate) -> None:
        if (
            c.sentence_id in disputed
            or len(fold(c.text).split()) > MAX_SENTENCE_WORDS
            or len(content_words(c.text)) < 4
            or not ends_a_sentence(c.text)  # a heading or a cut line, not a sentence
        ):
            return
        kept = candidates.get(c.sentence_id)
        if kept is None or c.value > kept.value:
            candidates[c.sentence_id] = c

    for group in alignment.groups if alignment else []:
        sources = len({u.article_id for u in group})
        if sources < 2:
            continue
        rep = representative(group, alignment, hub=False) if alignment else group[0]
        first = min(u.index for u in group)
        bonus = LEAD_BONUS[first] if first < len(LEAD_BONUS) else 0.0
        offer(
            _Candidate(
                rep.text,
                rep.sentence_id,
                1 + SOURCE_WEIGHT * (sources - 1) + bonus,
                first,
                rank.get(episode_of.get(rep.article_id, 0), 0),
            )
        )
    for article in articles:
        for n, sentence in enumerate(lead_sentences(article, len(LEAD_BONUS))):
            offer(
                _Candidate(
                    fold(sentence.text),
                    sentence.id,
                    1 + LEAD_BONUS[n],
                    n,
                    rank.get(episode_of.get(article.id, 0), 0),
                )
            )
    budget = WORDS[length]
    chosen: list[_Candidate] = []
    words = 0
    for c in sorted(candidates.values(), key=lambda c: (-c.value, c.position, c.text)):
        if words >= budget:
            break
        if any(similarity(c.text, k.text) >= REPEAT for k in chosen):
            continue
        size = len(c.text.split())
        if chosen and words + size > budget * 1.15:
            continue  # would overshoot: a shorter one may still fit
        chosen.append(c)
        words += size
    chosen.sort(key=lambda c: (c.episode, c.position, -c.value, c.text))
    return [(c.sentence_id, c.text) for c in chosen]
