"""Gold labels: the pydantic models of `gold.json` and of benchmark label files.

A gold file describes one story. Per article it lists key facts, entities, quotes and
figures; per story it lists consensus facts, conflicts, a dated timeline, episodes, text
that must not appear in any output and, optionally, a reference summary. Every label cites
the article text by exact substring (whitespace and typographic quotes aside), so labels
survive changes to the sentence splitter. Article ids are the pipeline's: `a1..aN` in
input order (files of the set sorted by name, or the order of a benchmark cluster).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..schemas import ArticleId, EntityKind

GOLD_FORMAT: Literal["newsbrief-gold/1"] = "newsbrief-gold/1"

DateText = Annotated[
    str,
    Field(
        pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$",
        description="A date at the precision the sources allow: 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'.",
    ),
]


class GoldModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeyFact(GoldModel):
    id: str = Field(description="A stable id, e.g. 'a1.f3', used in reports.")
    text: str = Field(
        min_length=3, description="The fact in one plain sentence, as an editor would put it."
    )
    evidence: list[str] = Field(
        min_length=1,
        description=(
            "Exact substrings of the article that state the fact (or short anchors in them)."
        ),
    )


class GoldEntity(GoldModel):
    name: str = Field(min_length=1, description="The canonical name.")
    kind: EntityKind
    aliases: list[str] = Field(default_factory=list, description="Other ways the sources name it.")
    required: bool = Field(
        default=True,
        description="False for entities a brief may list but need not (countries, outlets): "
        "they count as correct for precision and are not counted for recall.",
    )

    def names(self) -> list[str]:
        return [self.name, *self.aliases]


class GoldQuote(GoldModel):
    speaker: str = Field(description="Who said it; an entity name (its aliases count too).")
    text: str = Field(
        min_length=3, description="The quoted words exactly as in the article, no quotation marks."
    )


class GoldFigure(GoldModel):
    value: float = Field(description="The number, e.g. 400000.")
    value_text: str = Field(description="The number as written, e.g. '400,000' or 'five'.")
    unit: str = Field(default="", description="Unit, e.g. 'people', 'hours'.")
    counts: str = Field(description="What the number counts.")
    evidence: str = Field(description="Exact substring of the article that contains the number.")


class GoldArticle(GoldModel):
    id: ArticleId
    file: str | None = Field(default=None, description="File name in the set's articles directory.")
    key_facts: list[KeyFact] | None = Field(
        default=None, description="null: not labelled; []: none."
    )
    entities: list[GoldEntity] | None = Field(
        default=None, description="null: not labelled; []: none."
    )
    quotes: list[GoldQuote] | None = Field(
        default=None, description="null: not labelled; []: none."
    )
    figures: list[GoldFigure] | None = Field(
        default=None, description="null: not labelled; []: none."
    )


class Evidence(GoldModel):
    article: ArticleId
    text: str = Field(min_length=3, description="Exact substring of that article.")


class GoldConsensus(GoldModel):
    claim: str = Field(min_length=3)
    articles: list[ArticleId] = Field(min_length=2, description="Every article that reports it.")
    evidence: list[Evidence] = Field(min_length=1)


class GoldPosition(GoldModel):
    article: ArticleId
    statement: str = Field(description="What this source says, e.g. 'more than 400,000 killed'.")
    value: float | None = Field(
        default=None, description="The number this source gives (numeric conflicts)."
    )
    also_accept: list[float] = Field(
        default_factory=list, description="Other values that stand for this position."
    )
    evidence: str = Field(description="Exact substring of the article stating the position.")


class GoldConflict(GoldModel):
    topic: str
    kind: Literal["numeric", "claim", "date", "update", "polarity", "entity"] = Field(
        description="As the brief's Conflict.kind; an output of any kind may match it."
    )
    positions: list[GoldPosition] = Field(min_length=2)
    note: str = ""


class GoldTimelineEntry(GoldModel):
    date: DateText | None = Field(
        description="The date the text supports; null when no source dates it."
    )
    also_accept: list[DateText] = Field(
        default_factory=list, description="Other dates an output may give."
    )
    when_text: str = Field(description="The time expression as written, e.g. 'on Monday'.")
    what: str = Field(min_length=3)
    articles: list[ArticleId] = Field(min_length=1)
    evidence: list[Evidence] = Field(min_length=1)
    episode: int = Field(ge=1)
    note: str = ""


class GoldEpisode(GoldModel):
    id: int = Field(ge=1)
    label: str
    articles: list[ArticleId] = Field(min_length=1)


class MustNotAppear(GoldModel):
    text: str = Field(min_length=2)
    reason: Literal["hijack", "boilerplate", "other"]


class StoryLabels(GoldModel):
    """The story-level labels a set folder's gold and a benchmark cluster's labels share."""

    articles: list[GoldArticle]
    consensus: list[GoldConsensus] | None = Field(
        default=None, description="null: not labelled; []: none."
    )
    conflicts: list[GoldConflict] | None = Field(
        default=None, description="null: not labelled; []: none."
    )
    timeline: list[GoldTimelineEntry] | None = Field(
        default=None, description="null: not labelled; []: none."
    )
    episodes: list[GoldEpisode] | None = Field(
        default=None, description="null: not labelled; []: none."
    )
    must_not_appear: list[MustNotAppear] = Field(default_factory=list)


class StoryGold(StoryLabels):
    format: Literal["newsbrief-gold/1"] = GOLD_FORMAT
    name: str = Field(min_length=1)
    description: str = ""
    articles_dir: str | None = Field(
        default=None,
        description="Where the article files are, relative to gold.json (default: its folder).",
    )
    reference_summary: str | None = None

    @field_validator("articles")
    @classmethod
    def _ids_in_order(cls, value: list[GoldArticle]) -> list[GoldArticle]:
        for index, article in enumerate(value, start=1):
            if article.id != f"a{index}":
                raise ValueError(
                    f"articles[{index - 1}].id must be 'a{index}' (ids follow input order)"
                )
        return value

    def article(self, article_id: str) -> GoldArticle | None:
        return next((a for a in self.articles if a.id == article_id), None)

    def all_entities(self) -> list[GoldEntity]:
        return [entity for article in self.articles for entity in article.entities or []]


class ClusterLabels(StoryLabels):
    """Labels for one benchmark cluster: the same story gold, without texts or summary."""

    note: str = ""

    def to_gold(self, name: str, reference_summary: str | None) -> StoryGold:
        data = self.model_dump(exclude={"note"})
        return StoryGold(
            name=name, description=self.note, reference_summary=reference_summary, **data
        )


class BenchmarkLabels(GoldModel):
    format: Literal["newsbrief-labels/1"] = "newsbrief-labels/1"
    benchmark: str = Field(
        description="The JSONL file these labels are for, e.g. 'benchmark-dev.jsonl'."
    )
    note: str = ""
    max_anchor_words: int = Field(
        default=10, description="Evidence anchors quote at most this many words."
    )
    clusters: dict[str, ClusterLabels]


def parse_date_text(value: str) -> tuple[dt.date, str]:
    """'2016-09' -> (date(2016, 9, 1), 'month'); raises ValueError for impossible dates."""
    parts = [int(p) for p in value.split("-")]
    precision = {1: "year", 2: "month", 3: "day"}[len(parts)]
    while len(parts) < 3:
        parts.append(1)
    return dt.date(*parts), precision


def date_text(date: dt.date | None, precision: str) -> str | None:
    """The inverse of `parse_date_text` for an output date at its stated precision."""
    if date is None or precision == "unknown":
        return None
    return {"year": f"{date:%Y}", "month": f"{date:%Y-%m}"}.get(precision, date.isoformat())


def anchor_too_long(text: str, max_words: int) -> bool:
    return len(re.findall(r"\S+", text)) > max_words
