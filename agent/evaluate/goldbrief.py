"""gold_to_brief: the gold labels written out as a StoryBrief.

Fed back through the scorers it must score the maximum on every metric; tests damage it
(drop a fact, change a number, swap a speaker...) and check the scores fall as expected.
"""

from __future__ import annotations

from .._version import __version__
from ..schemas import (
    Article,
    ArticleBrief,
    Conflict,
    ConsensusClaim,
    Entity,
    Episode,
    Event,
    Figure,
    KeyPoint,
    Position,
    Quote,
    RunMeta,
    StoryBrief,
    TimelineEntry,
    Usage,
    Verification,
)
from .gold import GoldArticle, GoldTimelineEntry, StoryGold, parse_date_text
from .match import evidence_sentence_ids


def _first_id(article: Article, needle: str) -> str | None:
    ids = evidence_sentence_ids(article, [needle])
    return min(ids, key=_sentence_number) if ids else None


def _sentence_number(sentence_id: str) -> int:
    return int(sentence_id.split(".s")[1])


def _dated(entry: GoldTimelineEntry):
    if entry.date is None:
        return None, "unknown"
    return parse_date_text(entry.date)


def _events(gold: StoryGold, article: Article) -> list[Event]:
    events = []
    for entry in gold.timeline or []:
        for ev in entry.evidence:
            sid = _first_id(article, ev.text) if ev.article == article.id else None
            if sid:
                date, precision = _dated(entry)
                events.append(
                    Event(
                        what=entry.what,
                        when_text=entry.when_text,
                        date=date,
                        date_precision=precision,
                        sentence_id=sid,
                        origin="code",
                        verified=True,
                    )
                )
    return events


def _article_brief(gold: StoryGold, ga: GoldArticle, article: Article) -> ArticleBrief:
    points = [
        KeyPoint(
            text=f.text,
            sentence_ids=sorted(evidence_sentence_ids(article, f.evidence), key=_sentence_number),
            support="supported",
            support_score=1.0,
            origin="code",
        )
        for f in ga.key_facts or []
    ]
    entities = [
        Entity(name=e.name, kind=e.kind, role="", sentence_ids=[], verified=True)
        for e in ga.entities or []
    ]
    quotes = [
        Quote(
            speaker=q.speaker,
            text=q.text,
            sentence_id=sid,
            origin="code",
            verbatim=True,
            speaker_verified=True,
        )
        for q in ga.quotes or []
        if (sid := _first_id(article, q.text))
    ]
    figures = [
        Figure(
            value_text=f.value_text,
            value=f.value,
            unit=f.unit,
            counts=f.counts,
            sentence_id=sid,
            origin="code",
            verified=True,
        )
        for f in ga.figures or []
        if (sid := _first_id(article, f.evidence))
    ]
    return ArticleBrief(
        article_id=article.id,
        source=article.source,
        title=article.title,
        outlet=article.outlet,
        date=article.date,
        url=article.url,
        headline=article.title or article.id,
        headline_origin="code",
        summary=article.title or "",
        summary_origin="code",
        key_points=points,
        entities=entities,
        quotes=quotes,
        figures=figures,
        events=_events(gold, article),
        verification=Verification(checked=0, passed=0),
    )


def _story_ids(gold_evidence, by_id: dict[str, Article]) -> list[str]:
    ids: set[str] = set()
    for ev in gold_evidence:
        ids |= evidence_sentence_ids(by_id.get(ev.article), [ev.text])
    return sorted(ids)


def _conflicts(gold: StoryGold, by_id: dict[str, Article]) -> list[Conflict]:
    out = []
    for c in gold.conflicts or []:
        positions = [
            Position(
                article_id=p.article,
                statement=p.statement,
                value=p.value,
                sentence_ids=sorted(evidence_sentence_ids(by_id.get(p.article), [p.evidence])),
            )
            for p in c.positions
        ]
        out.append(
            Conflict(kind=c.kind, topic=c.topic, positions=positions, origin="code", note=c.note)
        )
    return out


def _timeline(gold: StoryGold, by_id: dict[str, Article]) -> list[TimelineEntry]:
    out = []
    for t in gold.timeline or []:
        date, precision = _dated(t)
        out.append(
            TimelineEntry(
                date=date,
                date_precision=precision,
                when_text=t.when_text,
                what=t.what,
                article_ids=list(t.articles),
                sentence_ids=_story_ids(t.evidence, by_id),
                episode=t.episode,
            )
        )
    return out


def gold_to_brief(gold: StoryGold, articles: list[Article]) -> StoryBrief:
    """The StoryBrief a perfect pipeline would write for these labels."""
    by_id = {a.id: a for a in articles}
    briefs = [_article_brief(gold, ga, by_id[ga.id]) for ga in gold.articles if ga.id in by_id]
    consensus = [
        ConsensusClaim(
            claim=c.claim,
            article_ids=list(c.articles),
            sentence_ids=_story_ids(c.evidence, by_id),
            verified=True,
            origin="code",
        )
        for c in gold.consensus or []
    ]
    episodes = [
        Episode(id=e.id, label=e.label, start=None, end=None, article_ids=list(e.articles))
        for e in gold.episodes or []
    ]
    run = RunMeta(
        tool_version=__version__,
        backend="gold",
        model="gold",
        prompts={},
        calls=[],
        usage=Usage(),
        retries=0,
        reasks=0,
        seconds=0.0,
        cache_hits=0,
        warnings=[],
        inputs=[a.source for a in articles],
    )
    return StoryBrief(
        headline=gold.name,
        headline_origin="code",
        overview=gold.reference_summary or "",
        overview_origin="code",
        consensus=consensus,
        conflicts=_conflicts(gold, by_id),
        timeline=_timeline(gold, by_id),
        episodes=episodes,
        single_source=[],
        open_questions=[],
        articles=briefs,
        run=run,
    )
