"""Data contracts of newsbrief.

Three families of models live here:

* ingest models (`Article`, `Sentence`): what the ingest step makes of an input;
* model-facing drafts (`ArticleDraft`, `SynthesisDraft`): the small, tightly bounded JSON
  the language model is asked to produce. Their field descriptions are part of the prompt;
* output models (`ArticleBrief`, `StoryBrief`): what newsbrief publishes, after code has
  extracted, verified and cross-checked the drafts.

Every model forbids extra fields and describes every field; `SCHEMA_VERSION` is recorded
in every output and printed by `newsbrief schema`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.2"

SENTENCE_ID = r"a\d+\.s\d+"  # the one definition of a sentence id ('a2.s14')
SENTENCE_ID_PATTERN = rf"^{SENTENCE_ID}$"

SentenceId = Annotated[
    str,
    Field(
        pattern=SENTENCE_ID_PATTERN,
        description="A sentence id such as 'a2.s14' (article 2, sentence 14).",
    ),
]
ArticleId = Annotated[str, Field(pattern=r"^a\d+$", description="An article id such as 'a2'.")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- ingest


class Sentence(Strict):
    id: SentenceId
    text: str = Field(description="The sentence text exactly as it stands in the article body.")
    start: int = Field(ge=0, description="Character offset of the sentence start in Article.text.")
    end: int = Field(
        ge=0, description="Character offset one past the sentence end in Article.text."
    )


class DateEvidence(Strict):
    """A date the input states for an article outside its body text (or in its opening
    dateline): evidence of when it was written, even where no publication date is given.
    """

    date: dt.date
    text: str = Field(description="The date as written.")
    where: Literal["date line", "byline", "dateline", "caption"] = Field(
        description="'date line': a line that is only a date near the top; 'byline': a "
        "by-/published-/updated-line; 'dateline': the place and date opening the body "
        "('GENEVA, Sept. 10, 2016 -'); 'caption': a photo caption (left out of the text)."
    )


class Article(Strict):
    id: ArticleId
    source: str = Field(
        description="Where the article came from: a path, '<stdin>' or 'file.jsonl:LINE'."
    )
    title: str | None = Field(default=None, description="Title, given or detected from the text.")
    outlet: str | None = Field(
        default=None, description="Publishing outlet, when given or stated in the text."
    )
    date: dt.date | None = Field(
        default=None, description="Publication date, when given or stated in the text."
    )
    date_text: str | None = Field(
        default=None, description="The publication date as written in the source."
    )
    url: str | None = Field(default=None, description="URL of the article, when given.")
    text: str = Field(
        description="The cleaned article body (boilerplate removed) that sentence offsets refer to."
    )
    sentences: list[Sentence] = Field(description="The body split into sentences with stable ids.")
    removed_lines: list[str] = Field(
        default_factory=list, description="Boilerplate lines stripped from the input."
    )
    warnings: list[str] = Field(
        default_factory=list, description="What ingest noticed (encoding fallback, truncation...)."
    )
    date_evidence: list[DateEvidence] = Field(
        default_factory=list,
        description="Dates found in date lines, bylines, datelines and photo captions, in the "
        "order of the input; the latest dates the article when no publication date is known.",
    )
    sha256: str = Field(
        description="SHA-256 of the cleaned text, used to detect duplicates and to resume runs."
    )


# --------------------------------------------------------------------------- drafts (model-facing)


class DraftKeyPoint(Strict):
    text: str = Field(
        min_length=12,
        max_length=220,
        description="One fact the article reports, in one plain sentence.",
    )
    sentence_ids: list[SentenceId] = Field(
        min_length=1, max_length=3, description="Ids of the article sentences that state this fact."
    )


EntityKind = Literal["person", "organization", "place", "group", "other"]


class DraftEntity(Strict):
    name: str = Field(max_length=60, description="The name as written in the article.")
    kind: EntityKind = Field(description="What the entity is.")
    role: str = Field(max_length=100, description="Its role in this story, in a few words.")


class DraftQuote(Strict):
    speaker: str = Field(max_length=80, description="Who said it, as named in the article.")
    text: str = Field(
        max_length=300, description="The quoted words, copied exactly, without quotation marks."
    )
    sentence_id: SentenceId


class DraftFigure(Strict):
    value: str = Field(
        max_length=40, description="The number exactly as written, e.g. '400,000' or 'five'."
    )
    unit: str = Field(
        default="", max_length=40, description="Unit, e.g. 'people', 'hours', 'USD'; empty if none."
    )
    counts: str = Field(
        max_length=100, description="What the number counts, e.g. 'people killed in the war'."
    )
    sentence_id: SentenceId


class DraftEvent(Strict):
    what: str = Field(max_length=160, description="What happened or will happen.")
    when: str = Field(
        max_length=60, description="When, as written in the article, e.g. 'on Monday'."
    )
    sentence_id: SentenceId


class ArticleDraft(Strict):
    headline: str = Field(
        min_length=8,
        max_length=120,
        description="A neutral headline for this article, at most 15 words.",
    )
    summary: str = Field(
        min_length=20,
        max_length=500,
        description="Two to four sentences saying what the article reports.",
    )
    key_points: list[DraftKeyPoint] = Field(
        min_length=1, max_length=5, description="The main facts, most important first."
    )
    entities: list[DraftEntity] = Field(
        default_factory=list, max_length=6, description="People and organisations that matter."
    )
    quotes: list[DraftQuote] = Field(
        default_factory=list, max_length=3, description="Direct quotes."
    )
    figures: list[DraftFigure] = Field(
        default_factory=list, max_length=4, description="Numbers that matter."
    )
    events: list[DraftEvent] = Field(
        default_factory=list, max_length=3, description="Dated events."
    )


class DraftConsensus(Strict):
    claim: str = Field(
        min_length=12, max_length=220, description="A fact two or more sources report."
    )
    article_ids: list[ArticleId] = Field(
        min_length=2, max_length=12, description="The articles that report it."
    )


class DraftConflict(Strict):
    topic: str = Field(max_length=160, description="What the sources disagree about.")
    description: str = Field(max_length=250, description="How they disagree, naming each side.")
    article_ids: list[ArticleId] = Field(
        min_length=2, max_length=12, description="The disagreeing articles."
    )


class DraftSingleSource(Strict):
    article_id: ArticleId
    claim: str = Field(max_length=220, description="A fact only this article reports.")


class SynthesisDraft(Strict):
    headline: str = Field(
        min_length=8,
        max_length=120,
        description="A neutral headline for the whole story, at most 15 words.",
    )
    overview: str = Field(
        min_length=20,
        max_length=600,
        description="Three to five sentences on what the sources report together.",
    )
    consensus: list[DraftConsensus] = Field(
        default_factory=list, max_length=5, description="Facts reported by two or more articles."
    )
    conflicts: list[DraftConflict] = Field(
        default_factory=list, max_length=4, description="Where the articles disagree."
    )
    single_source: list[DraftSingleSource] = Field(
        default_factory=list, max_length=4, description="Facts only one article reports."
    )
    open_questions: list[Annotated[str, Field(max_length=160)]] = Field(
        default_factory=list, max_length=3, description="What the sources leave unanswered."
    )


# --------------------------------------------------------------------------- output

Origin = Literal["code", "model"]
SupportLevel = Literal["supported", "partial", "unsupported", "contradicted", "invalid_ids"]


class Usage(Strict):
    prompt_tokens: int = Field(default=0, ge=0, description="Prompt tokens over every attempt.")
    completion_tokens: int = Field(
        default=0, ge=0, description="Completion tokens over every attempt."
    )
    cost_usd: float = Field(
        default=0.0, ge=0, description="Estimated cost in US dollars from the pricing table."
    )

    def add(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 8),
        )


ErrorKind = Literal[
    "invalid_json",
    "schema",
    "length",
    "empty",
    "refusal",
    "transport",
    "auth",
    "budget",
    "replay_miss",
    "batch_failed",
    "batch_expired",
    "batch_cancelled",
    "other",
]


class ModelError(Strict):
    kind: ErrorKind
    message: str = Field(description="One line saying what went wrong.")
    attempts: int = Field(ge=0, description="How many model calls were made before giving up.")
    last_output: str | None = Field(
        default=None, description="The last reply (truncated to 2,000 characters)."
    )
    usage: Usage = Field(
        default_factory=Usage, description="Tokens and cost spent on the failed attempts."
    )


class VerificationIssue(Strict):
    item: str = Field(description="Which item failed, e.g. 'quotes[2]' or 'key_points[0]'.")
    check: str = Field(
        description="Which check failed, e.g. 'verbatim', 'speaker', 'figure_in_sentence'."
    )
    detail: str = Field(description="What was found instead.")


class Verification(Strict):
    checked: int = Field(ge=0, description="How many items were checked against the source.")
    passed: int = Field(ge=0, description="How many passed every check.")
    issues: list[VerificationIssue] = Field(default_factory=list, description="Every failed check.")
    dropped: list[str] = Field(
        default_factory=list,
        description="Model items removed because the source does not support them.",
    )


class KeyPoint(Strict):
    text: str = Field(description="One fact the article reports.")
    sentence_ids: list[SentenceId] = Field(description="Sentences cited as support.")
    support: SupportLevel = Field(
        description="How well the cited sentences support the text (checked by code)."
    )
    support_score: float = Field(
        ge=0, le=1, description="Share of the point's content words found in the cited sentences."
    )
    origin: Origin = Field(
        description="'model' when the language model wrote it, 'code' for extractive fallbacks."
    )


class Entity(Strict):
    name: str
    kind: EntityKind
    role: str = Field(description="Its role in the story ('' when unknown).")
    sentence_ids: list[SentenceId] = Field(description="Sentences that mention the name.")
    verified: bool = Field(description="True when the name appears in the article text.")


class Quote(Strict):
    speaker: str | None = Field(description="Who said it; None when code could not attribute it.")
    text: str = Field(description="The quoted words.")
    sentence_id: SentenceId
    origin: Origin
    verbatim: bool = Field(
        description="True when the text appears verbatim in the source (quotes and spaces "
        "normalised)."
    )
    speaker_verified: bool = Field(
        description="True when the speaker is named in or next to the quote's sentence."
    )


class Figure(Strict):
    value_text: str = Field(description="The number as written, e.g. '400,000'.")
    value: float | None = Field(description="The number parsed, when it can be.")
    unit: str = Field(description="Unit ('' if none).")
    counts: str = Field(description="What the number counts.")
    qualifier: str | None = Field(
        default=None, description="'more than', 'up to', 'almost', 'about' ... as written."
    )
    sentence_id: SentenceId
    origin: Origin
    verified: bool = Field(description="True when the value appears in the cited sentence.")


class Event(Strict):
    what: str
    when_text: str = Field(description="When, as written.")
    date: dt.date | None = Field(
        description="The date resolved from the text and the publication date, if possible."
    )
    date_precision: Literal["day", "month", "year", "unknown"]
    sentence_id: SentenceId
    origin: Origin
    verified: bool = Field(
        description="True when the time expression appears in the cited sentence."
    )


class ArticleBrief(Strict):
    article_id: ArticleId
    source: str = Field(description="Where the article came from.")
    title: str | None
    outlet: str | None
    date: dt.date | None = Field(
        description="Publication date when the text or the input states it."
    )
    url: str | None = None
    headline: str
    headline_origin: Origin = Field(
        description="'model' when the model's headline stands (the article supports it); "
        "'code' when the article's own title or lead sentence stands in."
    )
    summary: str
    summary_origin: Origin = Field(
        description="'model' when any sentence of the model's summary stands (each one "
        "supported by the article); 'code' when only source sentences do (the lead, or the "
        "sentences backing a partial model sentence)."
    )
    key_points: list[KeyPoint]
    entities: list[Entity]
    quotes: list[Quote]
    figures: list[Figure]
    events: list[Event]
    verification: Verification
    flags: list[str] = Field(
        default_factory=list,
        description="What a reader must know: 'prompt_injection_suspected', 'chunked:3', "
        "'duplicate_of:a1'...",
    )
    error: ModelError | None = Field(
        default=None, description="Set when the model failed for this article."
    )


class Position(Strict):
    article_id: ArticleId
    statement: str = Field(description="What this source says, e.g. 'more than 400,000 killed'.")
    value: float | None = Field(
        default=None, description="The number this source gives, for numeric conflicts."
    )
    sentence_ids: list[SentenceId] = Field(default_factory=list)


class Conflict(Strict):
    kind: Literal["numeric", "claim", "date", "update", "polarity", "entity"] = Field(
        description="numeric: figures differ; date: the same happening on different days; "
        "update: a later report revises an earlier figure or status; polarity: one source "
        "affirms what another negates; entity: another person or place in the same role; "
        "claim: any other disagreement (the model's)."
    )
    topic: str
    positions: list[Position] = Field(min_length=2, description="Each source's side.")
    origin: Origin
    note: str = Field(
        default="", description="Context, e.g. that the figures may be as of different dates."
    )


class ConsensusClaim(Strict):
    claim: str
    article_ids: list[ArticleId] = Field(min_length=2)
    sentence_ids: list[SentenceId] = Field(
        default_factory=list, description="Supporting sentences found by code."
    )
    verified: bool = Field(description="True when code found support in every cited article.")
    origin: Origin


class AlignedGroup(Strict):
    """Sentences of different articles that make the same statement (found by code)."""

    statement: str = Field(description="The sentence that states the group best, verbatim.")
    statement_id: SentenceId = Field(description="Where that sentence is.")
    article_ids: list[ArticleId] = Field(min_length=2)
    sentence_ids: list[SentenceId] = Field(
        min_length=2, description="One sentence per article, in article order."
    )


class TimelineEntry(Strict):
    date: dt.date | None = Field(
        description="The resolved date; null when no source dates it (an undated article's "
        "'on Monday'). For precision 'week', the Monday of that week."
    )
    date_precision: Literal["day", "week", "month", "year", "unknown"]
    when_text: str
    what: str
    article_ids: list[ArticleId]
    sentence_ids: list[SentenceId]
    episode: int = Field(ge=1, description="Which episode of the story this belongs to.")
    background: bool = Field(
        default=False,
        description="History an article gives as context ('since 2011', 'in 2014'), not a "
        "step of the episode; listed apart.",
    )


class Episode(Strict):
    id: int = Field(ge=1)
    label: str = Field(
        description="E.g. '2016-09-10 to 2016-09-12 (a1, a4, a5)', or for articles no date "
        "places 'a3: date unknown; different event from a1/a4/a5?'."
    )
    start: dt.date | None
    end: dt.date | None
    article_ids: list[ArticleId]


class SingleSourceItem(Strict):
    article_id: ArticleId
    claim: str
    sentence_ids: list[SentenceId] = Field(default_factory=list)
    verified: bool


class CallRecord(Strict):
    purpose: str = Field(description="'article:a2', 'article:a2#chunk1', 'synthesis'.")
    prompt_id: str
    attempts: int
    reasks: int
    transport_retries: int
    usage: Usage
    seconds: float
    cache_hit: bool
    finish_reason: str | None
    ok: bool


class FailedInput(Strict):
    """An input that gave no article (a page that failed to fetch, a feed item with no text)."""

    input: str = Field(description="The input as given, or the feed item's link.")
    kind: str = Field(
        description="What failed: a fetch error kind ('blocked', 'dns', 'timeout', 'http', "
        "'status', 'redirect', 'too_large', 'content_type', 'empty', 'no_article', 'feed', "
        "'scheme', 'url', 'file') or 'input' for a file that could not be read."
    )
    message: str = Field(description="One line saying what went wrong.")
    article_id: str | None = Field(
        default=None,
        description="The id this input's article would have had (aK). Ids follow input "
        "positions, so the brief has no aK and the other articles keep their numbers.",
    )


class RunMeta(Strict):
    schema_version: str = SCHEMA_VERSION
    tool_version: str
    backend: str
    model: str
    structured_mode: str | None = Field(
        default=None, description="'json_schema', 'json_object', 'prompted'."
    )
    prompts: dict[str, str] = Field(description="Prompt id to version used.")
    calls: list[CallRecord]
    usage: Usage
    source_tokens: int | None = Field(
        default=None,
        description="Tokens of the articles' cleaned text by the backend's tokenizer (None "
        "without a model).",
    )
    prompt_tokens_per_source_token: float | None = Field(
        default=None,
        description="usage.prompt_tokens / source_tokens: what the prompts of the run cost "
        "beside the text they describe (every attempt counted, cache hits with their "
        "recorded prompt).",
    )
    retries: int
    reasks: int
    seconds: float
    cache_hits: int
    warnings: list[str]
    inputs: list[str] = Field(description="The sources read, in article order.")
    failed_inputs: list[FailedInput] = Field(
        default_factory=list,
        description="Inputs that gave no article; the brief was made from the rest.",
    )


class StorySynthesis(Strict):
    """The cross-source part of a brief, as the synthesis step returns it; `StoryBrief` is
    built from it (and the article briefs and run metadata).
    """

    headline: str
    headline_origin: Origin = Field(
        description="'model' when the model's headline stands (a headline the sources "
        "support); 'code' when an article's own title or lead sentence stands in."
    )
    overview: str
    overview_origin: Origin
    consensus: list[ConsensusClaim]
    conflicts: list[Conflict]
    timeline: list[TimelineEntry]
    episodes: list[Episode]
    single_source: list[SingleSourceItem]
    open_questions: list[str]
    alignment: list[AlignedGroup] = Field(
        default_factory=list,
        description="Which sentences of which articles say the same thing (code's claim "
        "alignment); consensus is drawn from the groups with two or more sources.",
    )


class StoryBrief(Strict):
    schema_version: str = SCHEMA_VERSION
    headline: str
    headline_origin: Origin = Field(
        description="'model' when the model's headline stands (a headline the sources "
        "support); 'code' when an article's own title or lead sentence stands in."
    )
    overview: str
    overview_origin: Origin
    consensus: list[ConsensusClaim]
    conflicts: list[Conflict]
    timeline: list[TimelineEntry]
    episodes: list[Episode]
    single_source: list[SingleSourceItem]
    open_questions: list[str]
    alignment: list[AlignedGroup] = Field(
        default_factory=list,
        description="Which sentences of which articles say the same thing (code's claim "
        "alignment); consensus is drawn from the groups with two or more sources.",
    )
    articles: list[ArticleBrief]
    synthesis_error: ModelError | None = None
    run: RunMeta
    cited_sentences: dict[SentenceId, str] = Field(
        default_factory=dict,
        description="The text of every source sentence the brief cites (and of those that "
        "support its overview), so a saved brief can be read and rendered on its own.",
    )


def schema_document(which: str = "story") -> dict:
    """The published JSON Schema of StoryBrief ('story'), ArticleBrief ('article') or both
    ('all').
    """

    def one(model: type[BaseModel]) -> dict:
        doc = model.model_json_schema()
        doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        doc["x-newsbrief-schema-version"] = SCHEMA_VERSION
        return doc

    if which == "story":
        return one(StoryBrief)
    if which == "article":
        return one(ArticleBrief)
    return {
        "schema_version": SCHEMA_VERSION,
        "StoryBrief": one(StoryBrief),
        "ArticleBrief": one(ArticleBrief),
    }
