"""Deterministic cross-source checks: what code can say about several articles at once.

* `numeric_conflicts`: figures from different articles that count the same thing but differ;
* `build_timeline` (in `agent.timeline`, re-exported here): dated events and episodes;
* `verify_synthesis`: the model's consensus / conflicts / single-source items checked
  against the articles' sentences (the model often cites the wrong articles or invents);
* `code_consensus`: consensus candidates found by code when the model gives none;
* `single_source_items`: figures and quotes that only one article reports;
* `find_duplicates`: exact and near-duplicate articles.

Everything here is conservative: a false conflict or a false consensus misleads a reader
more than a missing one, so ambiguous cases are left out rather than guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .conflicts import keyed_figures, measures_in, numeric_conflicts
from .schemas import (
    Article,
    ArticleBrief,
    Conflict,
    ConsensusClaim,
    Position,
    SingleSourceItem,
    SynthesisDraft,
)
from .support import (
    CITED,
    TOPIC,
    UNCITED,
    Scorer,
    SupportIndex,
    best_support,
    default_scorer,
    memo,
    numbers_in,
)
from .textmatch import content_words, sentence_text, similarity, words
from .timeline import build_timeline

__all__ = [
    "SynthesisCheck",
    "build_timeline",
    "code_consensus",
    "find_duplicates",
    "numeric_conflicts",
    "single_source_items",
    "verify_synthesis",
]


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _by_id(articles: Iterable[Article] | None) -> dict[str, Article]:
    return {a.id: a for a in articles or ()}


# --------------------------------------------------------------------------- support


def _supporters(claim: str, articles: list[Article], scorer: Scorer, cited: Iterable[str],
                index: SupportIndex) -> dict[str, list[str]]:
    """Articles that support `claim`: cited ones at the CITED bar, others at UNCITED."""
    cited = set(cited)
    found = {}
    for article in articles:
        _, ids = best_support(claim, article, scorer, index, CITED if article.id in cited else UNCITED)
        if ids:
            found[article.id] = ids
    return found


def _independent(articles: list[Article]) -> list[Article]:
    """The articles less later duplicates: a copy does not make a second source."""
    dups = {d for d, _, _ in find_duplicates(articles)}
    return [a for a in articles if a.id not in dups]


def _same_claim(a: str, b: str) -> bool:
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


def verify_synthesis(draft: SynthesisDraft, briefs: list[ArticleBrief], articles: list[Article],
                     scorer: Scorer | None = None) -> SynthesisCheck:
    """Check the model's consensus, conflicts and single-source items against the articles.

    A cited article supports a claim when one sentence (or two adjacent ones) scores at
    least 0.5 (see `agent.support.best_support`). Every article is searched, not only the
    cited ones: an uncited one must pass the stricter UNCITED bar. Cited ids that do not
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
    independent = _independent(articles)
    known = {a.id for a in articles}
    copies = known - {a.id for a in independent}
    order = {a.id: i for i, a in enumerate(articles)}
    alone = len(independent) < 2
    index = SupportIndex(independent)
    if alone:
        check.issues.append("only one article: no consensus or conflicts can be established")

    claims = [(f"consensus[{i}]", c.claim, c.article_ids) for i, c in enumerate(draft.consensus)]
    claims += [(f"single_source[{i}]", s.claim, [s.article_id]) for i, s in enumerate(draft.single_source)]
    for item, claim, cited in claims:
        claim = claim.strip()
        for missing in dict.fromkeys(a for a in cited if a not in known):
            check.issues.append(f"{item}: cites {missing}, which is not an input article; removed")
        for copy in dict.fromkeys(a for a in cited if a in copies):
            check.issues.append(f"{item}: cites {copy}, a duplicate of an earlier article; not counted")
        if not claim:
            continue
        support = _supporters(claim, independent, scorer, cited, index)
        ids = sorted(support, key=order.__getitem__)
        unsupported = [a for a in dict.fromkeys(cited) if a in known and a not in copies and a not in support]
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
                check.issues.append(f"{item}: found in {ids[0]}, not in {', '.join(cited)}; reattributed")
            _add_single(check, item, claim, ids[0], sentence_ids)
        else:
            check.issues.append(f"{item}: no article supports it; dropped")
            check.dropped.append(claim)
    if not alone:
        _check_conflicts(check, draft, briefs, articles, known, order, scorer, index)
    return check


def _add_consensus(check: SynthesisCheck, item: str, claim: str, ids: list[str],
                   sentence_ids: list[str], order: dict[str, int]) -> None:
    for i, kept in enumerate(check.consensus):
        if _same_claim(kept.claim, claim):
            merged = sorted(set(kept.article_ids) | set(ids), key=order.__getitem__)
            check.consensus[i] = kept.model_copy(update={
                "article_ids": merged,
                "sentence_ids": list(dict.fromkeys(kept.sentence_ids + sentence_ids))})
            check.issues.append(f"{item}: repeats an earlier claim; merged")
            return
    for i, single in enumerate(check.single_source):
        if _same_claim(single.claim, claim):  # a single-source item that is in fact shared
            del check.single_source[i]
            check.issues.append(f"{item}: an earlier single-source item says the same; merged")
            break
    check.consensus.append(ConsensusClaim(claim=claim, article_ids=ids, sentence_ids=sentence_ids,
                                          verified=True, origin="model"))


def _add_single(check: SynthesisCheck, item: str, claim: str, article_id: str,
                sentence_ids: list[str]) -> None:
    for kept in [c.claim for c in check.consensus] + [s.claim for s in check.single_source]:
        if _same_claim(kept, claim):
            check.issues.append(f"{item}: repeats an earlier claim; merged")
            return
    check.single_source.append(SingleSourceItem(article_id=article_id, claim=claim,
                                                sentence_ids=sentence_ids, verified=True))


def _check_conflicts(check: SynthesisCheck, draft: SynthesisDraft, briefs: list[ArticleBrief],
                     articles: list[Article], known: set[str], order: dict[str, int],
                     scorer: Scorer, index: SupportIndex) -> None:
    by_id = _by_id(articles)
    numeric = numeric_conflicts(briefs, articles)
    for i, conflict in enumerate(draft.conflicts):
        item = f"conflicts[{i}]"
        cited = list(dict.fromkeys(a for a in conflict.article_ids if a in known))
        for missing in dict.fromkeys(a for a in conflict.article_ids if a not in known):
            check.issues.append(f"{item}: cites {missing}, which is not an input article; removed")
        positions = []
        for article_id in sorted(cited, key=order.__getitem__):
            best = max((best_support(text, by_id[article_id], scorer, index, TOPIC)
                        for text in (conflict.topic, conflict.description)), key=lambda r: r[0])
            if best[1]:
                sentence = sentence_text(by_id, best[1][0]) or ""
                positions.append(Position(article_id=article_id, statement=sentence, sentence_ids=best[1]))
        label = conflict.topic.strip() or conflict.description.strip()
        if len(positions) < 2:
            check.issues.append(f"{item}: fewer than two cited articles address it; dropped")
            check.dropped.append(label)
        elif _restates(conflict.topic + " " + conflict.description, {p.article_id for p in positions}, numeric):
            check.issues.append(f"{item}: restates a numeric conflict found by code; dropped")
            check.dropped.append(label)
        else:
            check.conflicts.append(Conflict(kind="claim", topic=label, positions=positions,
                                            origin="model", note=conflict.description.strip()))


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


# --------------------------------------------------------------------------- code-side items


def code_consensus(briefs: list[ArticleBrief], articles: list[Article], scorer: Scorer | None = None,
                   limit: int = 5) -> list[ConsensusClaim]:
    """Consensus candidates found by code: key points or sentences other articles support.

    Candidates are each article's supported key points, then its sentences of 6 to 60 words.
    One counts as consensus when a sentence of at least one other (non-duplicate) article
    passes the strict UNCITED bar of `agent.support.best_support`: 0.6 or more with the
    scorer and weighted by rarity, every number of the candidate stated, and the sentence
    mostly about the candidate. Ranked by the number of articles, then by position
    (article order, then sentence order); near-repeats and claims resting on an already
    used sentence are skipped.
    """
    scorer = memo(scorer or default_scorer())
    independent = _independent(articles)
    if len(independent) < 2:
        return []
    order = {a.id: i for i, a in enumerate(independent)}
    briefs_by_id = {b.article_id: b for b in briefs}
    index = SupportIndex(independent)
    found = []
    for article in independent:
        position = {s.id: i for i, s in enumerate(article.sentences)}
        candidates = []
        brief = briefs_by_id.get(article.id)
        for kp in brief.key_points if brief else []:
            if kp.support in ("supported", "partial") and all(s in position for s in kp.sentence_ids):
                candidates.append((kp.text, kp.sentence_ids))
        for s in article.sentences:
            if 6 <= len(words(s.text)) <= 60 and len(set(content_words(s.text))) >= 5:
                candidates.append((s.text, [s.id]))
        for text, own in candidates:
            others = [a for a in independent if a.id != article.id]
            support = {}
            for other in others:
                _, ids = best_support(text, other, scorer, index, UNCITED)
                if ids:
                    support[other.id] = ids
            if support:
                ids = sorted([article.id, *support], key=order.__getitem__)
                rank = (-len(ids), order[article.id], min(position[s] for s in own))
                found.append((rank, text, ids, own + [s for a in ids if a in support for s in support[a]]))
    found.sort(key=lambda f: f[0])
    chosen: list[ConsensusClaim] = []
    used: set[str] = set()
    for _, text, ids, sentence_ids in found:
        if used & set(sentence_ids) or any(_same_claim(c.claim, text) for c in chosen):
            continue
        used |= set(sentence_ids)
        chosen.append(ConsensusClaim(claim=text, article_ids=ids, sentence_ids=sentence_ids,
                                     verified=True, origin="code"))
        if len(chosen) >= limit:
            break
    return chosen


def single_source_items(briefs: list[ArticleBrief], articles: list[Article], limit: int = 6) -> list[SingleSourceItem]:
    """Figures and quotes that only one article reports (found by code).

    A figure counts when it has a known measure (killed, injured, displaced, cost...), no
    other article has a figure counting the same thing (see `agent.conflicts`) and no other
    article states its value; the claim is its sentence, verbatim. A quote counts when it
    has a verified speaker, four words or more, and its words appear in no other article.
    Later duplicates of an article are ignored; with one article nothing is single-source
    in a useful sense, so nothing is returned.
    """
    by_id = _by_id(articles)
    independent = _independent(articles)
    if len(independent) < 2:
        return []
    keep = {a.id for a in independent}
    figs = [f for f in keyed_figures(briefs, by_id) if f.article_id in keep and f.key[1][0] == "measure"]
    sources = Counter(key for key, _ in {(f.key, f.article_id) for f in figs})
    values = {(b.article_id, f.value) for b in briefs for f in b.figures if f.value is not None}
    items: list[SingleSourceItem] = []
    for fig in figs:
        text = fig.figure.value_text
        elsewhere = any(other != fig.article_id and value == fig.figure.value for other, value in values) or any(
            re.search(rf"(?<![\w,.]){re.escape(text)}(?![\w,])", a.text, re.I)
            for a in independent if a.id != fig.article_id)
        sentence = sentence_text(by_id, fig.figure.sentence_id)
        if sources[fig.key] > 1 or elsewhere or not sentence:
            continue
        if not any(fig.figure.sentence_id in item.sentence_ids for item in items):
            items.append(SingleSourceItem(article_id=fig.article_id, claim=sentence,
                                          sentence_ids=[fig.figure.sentence_id], verified=True))
    norm = {a.id: " ".join(words(a.text)) for a in independent}
    for brief in briefs:
        for quote in brief.quotes if brief.article_id in keep else []:
            said = " ".join(words(quote.text))
            if not (quote.verbatim and quote.speaker_verified and quote.speaker) or len(said.split()) < 4:
                continue
            if not any(said in text for aid, text in norm.items() if aid != brief.article_id):
                items.append(SingleSourceItem(article_id=brief.article_id,
                                              claim=f'{quote.speaker} said: "{quote.text}"',
                                              sentence_ids=[quote.sentence_id], verified=True))
    return items[:limit]


# --------------------------------------------------------------------------- duplicates


def _shingles(text: str, size: int = 5) -> set[tuple[str, ...]]:
    tokens = words(text)
    if len(tokens) < size:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i:i + size]) for i in range(len(tokens) - size + 1)}


def find_duplicates(articles: list[Article], threshold: float = 0.85) -> list[tuple[str, str, float]]:
    """(duplicate id, original id, similarity) for exact and near-duplicate articles.

    Exact: the same SHA-256 of the cleaned text (similarity 1.0). Near: Jaccard similarity
    of word 5-gram shingles at or above `threshold`. The later article is the duplicate of
    the earliest original it matches; a duplicate is never itself an original.
    """
    result = []
    originals: list[tuple[Article, set]] = []
    for article in articles:
        shingles = _shingles(article.text)
        match = None
        for original, theirs in originals:
            if original.sha256 == article.sha256:
                match = (original.id, 1.0)
                break
            similarity = _jaccard(shingles, theirs)
            if similarity >= threshold:
                match = (original.id, round(similarity, 3))
                break
        if match:
            result.append((article.id, match[0], match[1]))
        else:
            originals.append((article, shingles))
    return result
