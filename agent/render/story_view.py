"""The story page's view of a StoryBrief: every string cleaned, every link checked.

`StoryView` turns a brief (and, when given, the articles it was made from) into plain dicts and
lists for the template in `agent.render.html`: nothing in it is markup, every string has been
through `agent.text.sanitize.clean` and every URL through `safe_url`. It also records which
sentences are cited, so the page can list each one as the target of its markers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..schemas import Article, Sentence, StoryBrief, TimelineEntry
from ..text.sanitize import clean, safe_url
from ..text.sentences import split_statements
from .story_checks import article_problems, injection_suspects, story_problems

__all__ = ["StoryView", "anchor_id", "plain"]

_QUOTE_KEY = re.compile(r"[\W_]+")


def anchor_id(sentence_id: str) -> str:
    """The HTML id of a cited sentence's entry in the page ('a2.s14' -> 'src-a2-s14')."""
    return "src-" + re.sub(r"[^A-Za-z0-9_-]", "-", sentence_id)


def plain(value: Any) -> str:
    """A one-line cleaned string ('' for None)."""
    return "" if value is None else clean(str(value), fold_newlines=True)


def _short(title: str, limit: int = 28) -> str:
    """A title cut at a word boundary to about `limit` characters, for chips."""
    if len(title) <= limit:
        return title
    cut = title[:limit].rsplit(" ", 1)[0].rstrip(" ,;:–—-")
    return (cut or title[:limit]) + "…"


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


class StoryView:
    """Everything the template shows, cleaned; collects the sentences that are cited."""

    def __init__(self, brief: StoryBrief, articles: Sequence[Article] | None) -> None:
        self.brief = brief
        self.briefs = {a.article_id: a for a in brief.articles}
        self.position = {a.article_id: i for i, a in enumerate(brief.articles)}
        if articles is None and brief.cited_sentences:
            articles = _saved_articles(brief)
        self.sentences: dict[str, str] = {}
        self.articles = list(articles) if articles is not None else None
        self.have_text = articles is not None
        self._tips = 0
        for article in articles or ():
            for sentence in article.sentences:
                self.sentences[sentence.id] = sentence.text
        self.cited: dict[str, None] = {}  # insertion-ordered set

    # ------------------------------------------------------------------ helpers

    def source(self, article_id: str) -> dict[str, str]:
        a = self.briefs.get(article_id)
        outlet = plain(a.outlet) if a else ""
        title = plain(a.title or a.headline) if a else ""
        position = self.position.get(article_id, -1)
        return {
            "id": article_id,
            "hue": f"h{position % 8}" if position >= 0 else "hx",
            "outlet": outlet,
            "label": outlet or _short(title) or article_id,
            "title": title,
            "date": _date(a.date) if a else "",
            "anchor": "card-" + article_id,
        }

    def cites(self, ids: Iterable[str]) -> list[dict[str, str]]:
        out = []
        for sid in dict.fromkeys(ids):
            self.cited[sid] = None
            src = self.source(sid.split(".", 1)[0])
            self._tips += 1
            out.append(
                {
                    "id": sid,
                    "tip": f"tip{self._tips}",
                    "anchor": anchor_id(sid),
                    "text": plain(self.sentences.get(sid, "")),
                    "outlet": src["outlet"] or src["title"] or sid,
                    "date": src["date"],
                }
            )
        return out

    def chips(self, article_ids: Iterable[str]) -> list[dict[str, str]]:
        return [self.source(aid) for aid in dict.fromkeys(article_ids)]

    # ------------------------------------------------------------------ sections

    def overview(self) -> list[dict[str, Any]]:
        """The overview, sentence by sentence, each with the sentences that support it."""
        text = plain(self.brief.overview)
        parts = split_statements(text)
        finder = _SupportFinder(self.articles) if self.articles else None
        return [{"text": p, "cites": self.cites(finder(p) if finder else [])} for p in parts]

    def consensus(self) -> list[dict[str, Any]]:
        return [
            {
                "claim": plain(c.claim),
                "chips": self.chips(c.article_ids),
                "verified": c.verified,
                "origin": c.origin,
                "cites": self.cites(c.sentence_ids),
            }
            for c in self.brief.consensus
        ]

    def conflicts(self) -> list[dict[str, Any]]:
        out = []
        for c in self.brief.conflicts:
            rows = []
            for p in c.positions:
                value = "" if p.value is None else f"{p.value:,.10g}"
                rows.append(
                    {
                        "source": self.source(p.article_id),
                        "statement": plain(p.statement),
                        "value": value,
                        "cites": self.cites(p.sentence_ids),
                    }
                )
            out.append(
                {
                    "topic": plain(c.topic),
                    "kind": c.kind,
                    "origin": c.origin,
                    "note": plain(c.note),
                    "rows": rows,
                    "numeric": any(r["value"] for r in rows),
                }
            )
        return out

    def episodes(self) -> list[dict[str, Any]]:
        """Episodes in order, each with its steps and, apart, its background history."""
        spans = {e.id: e for e in self.brief.episodes}
        ordered = sorted(
            self.brief.timeline, key=lambda e: (e.date is None, e.date or dt.date.min, e.when_text)
        )
        out = []
        for ep_id in sorted({e.episode for e in ordered} | set(spans)):
            ep = spans.get(ep_id)
            steps: list[dict[str, Any]] = []
            background: list[dict[str, Any]] = []
            for entry in (e for e in ordered if e.episode == ep_id):
                item = self._entry(entry)
                (background if _is_background(entry, ep) else steps).append(item)
            if not steps and not background and (ep is None or ep.start):
                continue  # an episode no date places is shown, for its note
            out.append(
                {
                    "id": ep_id,
                    "label": plain(ep.label) if ep else f"episode {ep_id}",
                    "chips": self.chips(ep.article_ids) if ep else [],
                    "steps": steps,
                    "background": background,
                    "undated": ep is not None and ep.start is None,
                }
            )
        return out

    def _entry(self, entry: TimelineEntry) -> dict[str, Any]:
        precision = {"day": 10, "month": 7, "year": 4}.get(entry.date_precision, 10)
        when = entry.date.isoformat()[:precision] if entry.date else "date unknown"
        if entry.date and entry.date_precision == "week":
            when = f"week of {entry.date.isoformat()}"
        return {
            "when": when,
            "when_text": plain(entry.when_text),
            "what": plain(entry.what),
            "chips": self.chips(entry.article_ids),
            "cites": self.cites(entry.sentence_ids),
        }

    def speakers(self) -> list[dict[str, Any]]:
        """Quotes grouped by speaker (as the sources name them), unattributed ones last.

        The same words from the same speaker in several sources show once, with every source,
        when their checks agree (both verbatim, both with the speaker checked, or not).
        """
        groups: dict[str, dict[str, Any]] = {}
        for a in self.brief.articles:
            for q in a.quotes:
                name = plain(q.speaker) or ""
                group = groups.setdefault(
                    name.casefold(), {"speaker": name or "Unattributed", "quotes": {}}
                )
                text = plain(q.text)
                key = (_QUOTE_KEY.sub("", text).casefold(), q.verbatim, q.speaker_verified)
                quote = group["quotes"].setdefault(
                    key,
                    {
                        "text": text,
                        "verbatim": q.verbatim,
                        "speaker_verified": q.speaker_verified,
                        "chips": [],
                        "cites": [],
                    },
                )
                quote["chips"] += self.chips([a.article_id])
                quote["cites"] += self.cites([q.sentence_id])
        for group in groups.values():
            group["quotes"] = list(group["quotes"].values())
            for quote in group["quotes"]:
                quote["chips"] = list({c["id"]: c for c in quote["chips"]}.values())
        named = sorted(
            (g for k, g in groups.items() if k), key=lambda g: (-len(g["quotes"]), g["speaker"])
        )
        return named + ([groups[""]] if "" in groups else [])

    def single_source(self) -> list[dict[str, Any]]:
        return [
            {
                "claim": plain(s.claim),
                "chips": self.chips([s.article_id]),
                "verified": s.verified,
                "cites": self.cites(s.sentence_ids),
            }
            for s in self.brief.single_source
        ]

    def cards(self) -> list[dict[str, Any]]:
        out = []
        for a in self.brief.articles:
            figures = [
                {
                    "text": plain(" ".join(x for x in (f.qualifier, f.value_text, f.unit) if x)),
                    "counts": plain(f.counts),
                    "verified": f.verified,
                    "cites": self.cites([f.sentence_id]),
                }
                for f in a.figures
            ]
            points = [
                {
                    "text": plain(p.text),
                    "support": p.support,
                    "origin": p.origin,
                    "cites": self.cites(p.sentence_ids),
                }
                for p in a.key_points
            ]
            out.append(
                {
                    **self.source(a.article_id),
                    "title": plain(a.title),
                    "headline": plain(a.headline),
                    "url": safe_url(clean(a.url, fold_newlines=True)) if a.url else None,
                    "url_text": plain(a.url),
                    "source_path": plain(a.source),
                    "summary": plain(a.summary),
                    "summary_origin": a.summary_origin,
                    "points": points,
                    "figures": figures,
                    "flags": [plain(f) for f in a.flags],
                    "error": plain(f"{a.error.kind}: {a.error.message}") if a.error else "",
                }
            )
        return out

    def unverified(self) -> list[dict[str, Any]]:
        """Per source: what was dropped or could not be checked, and why."""
        suspects = injection_suspects(self.brief.run.warnings)
        out = []
        for a in self.brief.articles:
            problems, fixed = article_problems(a, self.brief.run.warnings)
            flagged = [
                {"id": sid, "anchor": anchor_id(sid), "text": plain(self.sentences.get(sid, ""))}
                for sid in suspects.get(a.article_id, [])
            ]
            if problems or flagged or fixed:
                source = self.source(a.article_id)
                out.append(
                    {"source": source, "problems": problems, "fixed": fixed, "flagged": flagged}
                )
        return out

    def story_problems(self) -> list[str]:
        """What the story as a whole could not confirm."""
        return story_problems(self.brief)

    def run(self) -> dict[str, Any]:
        r = self.brief.run
        return {
            "model": plain(r.model),
            "backend": plain(r.backend),
            "mode": plain(r.structured_mode or ""),
            "calls": len(r.calls),
            "prompt_tokens": r.usage.prompt_tokens,
            "completion_tokens": r.usage.completion_tokens,
            "cost": f"{r.usage.cost_usd:.4f}",
            "seconds": f"{r.seconds:.1f}",
            "cache_hits": r.cache_hits,
            "reasks": r.reasks,
            "retries": r.retries,
            "tool_version": plain(r.tool_version),
            "schema_version": plain(r.schema_version),
            "prompts": [plain(f"{k} {v}") for k, v in r.prompts.items()],
            "warnings": [plain(w) for w in r.warnings],
        }

    def sources_of_sentences(self) -> list[dict[str, Any]]:
        """Every cited sentence, grouped by source in article order (call after the sections)."""
        by_article: dict[str, list[dict[str, Any]]] = {}
        for sid in self.cited:
            by_article.setdefault(sid.split(".", 1)[0], []).append(
                {
                    "id": sid,
                    "anchor": anchor_id(sid),
                    "text": plain(self.sentences.get(sid, "")),
                    "known": sid in self.sentences,
                }
            )
        order = {a.article_id: i for i, a in enumerate(self.brief.articles)}
        for group in by_article.values():
            group.sort(key=lambda s: int(s["id"].rsplit(".s", 1)[1]))
        return [
            {"source": self.source(aid), "sentences": sents}
            for aid, sents in sorted(
                by_article.items(), key=lambda kv: (order.get(kv[0], 1 << 30), kv[0])
            )
        ]


def _is_background(entry: TimelineEntry, episode: Any) -> bool:
    """Context an article gives, not a step: marked so by the timeline; in a brief saved
    before that mark, known only to the month or year, or outside the episode's dates.
    """
    if entry.background or entry.date_precision in ("month", "year"):
        return True
    if entry.date_precision == "week":
        return False
    if entry.date and episode is not None and episode.start and episode.end:
        return not episode.start <= entry.date <= episode.end
    return False


class _SupportFinder:
    """The sentences that back an overview sentence: the claim verifier's evidence."""

    def __init__(self, articles: Sequence[Article]) -> None:
        from ..grounding.compose import Evidence

        self._evidence = Evidence(articles)

    def __call__(self, text: str) -> list[str]:
        return self._evidence.cite(text)


def _saved_articles(brief: StoryBrief) -> list[Article]:
    """The articles as far as a saved brief holds them: the sentences it cites, in order.

    Enough to show every cited sentence and to cite the overview again (the pipeline saved
    the sentences that support it); the rest of each article is not in the brief.
    """
    by_article: dict[str, list[tuple[str, str]]] = {}
    for sid, text in brief.cited_sentences.items():
        by_article.setdefault(sid.split(".", 1)[0], []).append((sid, text))
    out = []
    for ab in brief.articles:
        pairs = sorted(by_article.get(ab.article_id, []), key=lambda p: _sentence_no(p[0]))
        sentences, offset = [], 0
        for sid, text in pairs:
            sentences.append(Sentence(id=sid, text=text, start=offset, end=offset + len(text)))
            offset += len(text) + 1
        out.append(
            Article(
                id=ab.article_id,
                source=ab.source,
                title=ab.title,
                outlet=ab.outlet,
                date=ab.date,
                url=ab.url,
                text=(body := " ".join(t for _, t in pairs)),
                sentences=sentences,
                sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(),
            )
        )
    return out


def _sentence_no(sentence_id: str) -> int:
    tail = sentence_id.rsplit(".s", 1)[-1]
    return int(tail) if tail.isdigit() else 1 << 30
