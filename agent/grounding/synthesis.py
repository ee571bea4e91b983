"""The model's synthesis checked against the articles: consensus, conflicts and single-source
items are kept only where the cited articles' sentences support them (the model often cites
the wrong articles or invents). Conservative: ambiguous cases are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..schemas import (
    Article,
    ArticleBrief,
    Conflict,
    ConsensusClaim,
    Position,
    SingleSourceItem,
    SynthesisDraft,
)
from ..text.match import content_words, similarity
from ..text.sentences import sentence_text
from .compose import Evidence
from .conflicts import measures_in, numeric_conflicts
from .duplicates import find_duplicates
from .support import (
    TOPIC,
    Scorer,
    SupportIndex,
    best_support,
    default_scorer,
    memo,
    numbers_in,
)


def articles_by_id(articles: Iterable[Article] | None) -> dict[str, Article]:
    return {a.id: a for a in articles or ()}


# --------------------------------------------------------------------------- support


def _supporters(claim: str, evidence: dict[str, Evidence]) -> dict[str, list[str]]:
    """Articles whose sentences support `claim` by the verifier's verdict (cited or not:
    precision first, the same rule for both), with the evidence sentence ids.
    """
    found = {}
    for article_id, ev in evidence.items():
        verdict = ev.verify(claim)
        if verdict.verdict == "supported" and verdict.evidence:
            found[article_id] = list(verdict.evidence)
    return found


def independent_articles(articles: list[Article]) -> list[Article]:
    """The articles less later duplicates: a copy does not make a second source."""
    dups = {d for d, _, _ in find_duplicates(articles)}
    return [a for a in articles if a.id not in dups]


def same_claim(a: str, b: str) -> bool:
    """Near-identical claims: 80% of content words shared, or one claim inside the other."""
    wa, wb = set(content_words(a)), set(content_words(b))
    if not wa or not wb:
        return a.strip().lower() == b.strip().lower()
    return similarity(a, b) >= 0.8 or len(wa & wb) / min(len(wa), len(wb)) >= 0.9


@dataclass
class SynthesisCheck:
    """The model's synthesis after code checked it against the articles."""

    consensus: list[ConsensusClaim] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    single_source: list[SingleSourceItem] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def verify_synthesis(
    draft: SynthesisDraft,
    briefs: list[ArticleBrief],
    articles: list[Article],
    scorer: Scorer | None = None,
) -> SynthesisCheck:
    """Check the model's consensus, conflicts and single-source items against the articles.

    An article supports a claim when the claim verifier finds it supported by one to three
    adjacent sentences of that article (`agent.grounding.verifier`). Every article is
    searched, not only the cited ones. Cited ids that do not
    support the claim are removed and uncited supporters added (both reported in `issues`).
    Two or more supporting articles make a verified consensus claim; one makes a
    single-source item; none drops the claim. Near-identical claims are merged. Model
    conflicts are kept only when two or more existing cited articles each have a sentence
    on the topic (score >= 0.4), each position quoting that sentence; one that restates a
    numeric conflict code found is dropped. Later duplicates of an article do not count as
    sources, and with a single article there is never consensus nor conflict.
    """
    scorer = memo(scorer or default_scorer())
    check = SynthesisCheck()
    independent = independent_articles(articles)
    known = {a.id for a in articles}
    copies = known - {a.id for a in independent}
    order = {a.id: i for i, a in enumerate(articles)}
    alone = len(independent) < 2
    index = SupportIndex(independent)
    evidence = {a.id: Evidence([a]) for a in independent}
    if alone:
        check.issues.append("only one article: no consensus or conflicts can be established")

    claims = [(f"consensus[{i}]", c.claim, c.article_ids) for i, c in enumerate(draft.consensus)]
    claims += [
        (f"single_source[{i}]", s.claim, [s.article_id]) for i, s in enumerate(draft.single_source)
    ]
    for item, claim, cited in claims:
        claim = claim.strip()
        for missing in dict.fromkeys(a for a in cited if a not in known):
            check.issues.append(f"{item}: cites {missing}, which is not an input article; removed")
        for copy in dict.fromkeys(a for a in cited if a in copies):
            check.issues.append(
                f"{item}: cites {copy}, a duplicate of an earlier article; not counted"
            )
        if not claim:
            continue
        support = _supporters(claim, evidence)
        ids = sorted(support, key=order.__getitem__)
        unsupported = [
            a for a in dict.fromkeys(cited) if a in known and a not in copies and a not in support
        ]
        if unsupported and ids:
            check.issues.append(f"{item}: not supported by {', '.join(unsupported)}; removed")
        added = [a for a in ids if a not in cited]
        if added and len(ids) >= 2:
            check.issues.append(f"{item}: also supported by {', '.join(added)}; added")
        sentence_ids = [s for a in ids for s in support[a]]
        if len(ids) >= 2 and not alone:
            _add_consensus(check, item, claim, ids, sentence_ids, order)
        elif ids:
            if item.startswith("consensus"):
                check.issues.append(f"{item}: only {ids[0]} supports it; kept as single-source")
            elif ids[0] not in cited:
                check.issues.append(
                    f"{item}: found in {ids[0]}, not in {', '.join(cited)}; reattributed"
                )
            _add_single(check, item, claim, ids[0], sentence_ids)
        else:
            check.issues.append(f"{item}: no article supports it; dropped")
            check.dropped.append(claim)
    if not alone:
        _check_conflicts(check, draft, briefs, articles, known, order, scorer, index)
    return check


def _add_consensus(
    check: SynthesisCheck,
    item: str,
    claim: str,
    ids: list[str],
    sentence_ids: list[str],
    order: dict[str, int],
) -> None:
    for i, kept in enumerate(check.consensus):
        if same_claim(kept.claim, claim):
            merged = sorted(set(kept.article_ids) | set(ids), key=order.__getitem__)
            check.consensus[i] = kept.model_copy(
                update={
                    "article_ids": merged,
                    "sentence_ids": list(dict.fromkeys(kept.sentence_ids + sentence_ids)),
                }
            )
            check.issues.append(f"{item}: repeats an earlier claim; merged")
            return
    for i, single in enumerate(check.single_source):
        if same_claim(single.claim, claim):  # a single-source item that is in fact shared
            del check.single_source[i]
            check.issues.append(f"{item}: an earlier single-source item says the same; merged")
            break
    check.consensus.append(
        ConsensusClaim(
            claim=claim, article_ids=ids, sentence_ids=sentence_ids, verified=True, origin="model"
        )
    )


def _add_single(
    check: SynthesisCheck, item: str, claim: str, article_id: str, sentence_ids: list[str]
) -> None:
    for kept in [c.claim for c in check.consensus] + [s.claim for s in check.single_source]:
        if same_claim(kept, claim):
            check.issues.append(f"{item}: repeats an earlier claim; merged")
            return
    check.single_source.append(
        SingleSourceItem(
            article_id=article_id, claim=claim, sentence_ids=sentence_ids, verified=True
        )
    )


def _check_conflicts(
    check: SynthesisCheck,
    draft: SynthesisDraft,
    briefs: list[ArticleBrief],
    articles: list[Article],
    known: set[str],
    order: dict[str, int],
    scorer: Scorer,
    index: SupportIndex,
) -> None:
    by_id = articles_by_id(articles)
    numeric = numeric_conflicts(briefs, articles)
    for i, conflict in enumerate(draft.conflicts):
        item = f"conflicts[{i}]"
        cited = list(dict.fromkeys(a for a in conflict.article_ids if a in known))
        for missing in dict.fromkeys(a for a in conflict.article_ids if a not in known):
            check.issues.append(f"{item}: cites {missing}, which is not an input article; removed")
        positions = []
        for article_id in sorted(cited, key=order.__getitem__):
            best = max(
                (
                    best_support(text, by_id[article_id], scorer, index, TOPIC)
                    for text in (conflict.topic, conflict.description)
                ),
                key=lambda r: r[0],
            )
            if best[1]:
                sentence = sentence_text(by_id, best[1][0]) or ""
                positions.append(
                    Position(article_id=article_id, statement=sentence, sentence_ids=best[1])
                )
        label = conflict.topic.strip() or conflict.description.strip()
        if len(positions) < 2:
            check.issues.append(f"{item}: fewer than two cited articles address it; dropped")
            check.dropped.append(label)
        elif _restates(
            conflict.topic + " " + conflict.description, {p.article_id for p in positions}, numeric
        ):
            check.issues.append(f"{item}: restates a numeric conflict found by code; dropped")
            check.dropped.append(label)
        else:
            check.conflicts.append(
                Conflict(
                    kind="claim",
                    topic=label,
                    positions=positions,
                    origin="model",
                    note=conflict.description.strip(),
                )
            )


def _restates(text: str, article_ids: set[str], numeric: list[Conflict]) -> bool:
    measures = set(measures_in(text, None))
    numbers = numbers_in(text)
    for conflict in numeric:
        ids = {p.article_id for p in conflict.positions}
        if not article_ids <= ids:
            continue
        if measures & set(measures_in(conflict.topic, None)):
            return True
        if any(numbers & numbers_in(p.statement) for p in conflict.positions):
            return True
    return False
