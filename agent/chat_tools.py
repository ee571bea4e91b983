"""newsbrief as tools a chat assistant can call: argument models, schemas, and running them.

The pydantic argument models here are the one source of truth for the tools' inputs: the
MCP server validates calls with them and publishes their JSON Schema, and
`newsbrief tools --format openai|anthropic` prints the same schemas as function / tool
definitions a chat application can register. `run_tool(name, arguments)` runs a call
through the Python API and returns the structured result plus a short text view; the MCP
server and examples/chat_loop.py both use it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import api
from .api import ArticleInput
from .config import Settings
from .errors import InputError, validation_lines
from .llm.factory import BackendName
from .schemas import ArticleBrief, StoryBrief

if TYPE_CHECKING:
    from .pipeline.options import ProgressFn

MAX_TEXT_CHARS = 6000
MAX_CHECK_CHARS = 100_000  # the text a check_claims call may check

PATHS_OR_TEXTS = (
    "The articles, all about one story. Each item is a file path (a string: a .txt/.md/.html "
    "file, a directory of them, a .jsonl file or an RSS/Atom feed file), an http(s) URL of a "
    "news page or a feed (public addresses only), or an article given as text: an object with "
    "'text' and optional 'title', 'outlet', 'date', 'url'. A string is never read as text."
)


class ToolArgs(BaseModel):
    """Arguments of one tool; `run` carries the call out through the Python API."""

    model_config = ConfigDict(extra="forbid")

    def run(
        self, settings: Settings | None, on_progress: ProgressFn | None, text_limit: int
    ) -> ToolResult:
        raise NotImplementedError


class RunArgs(ToolArgs):
    """Options shared by the summarising tools; omitted ones come from the server's settings."""

    backend: BackendName | None = Field(
        default=None,
        description="local (embedded small model), openai (an OpenAI-compatible endpoint), "
        "replay (recorded responses) or none (no model: code-only extractive brief).",
    )
    model: str | None = Field(default=None, description="Model name for the openai backend.")
    base_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1."
    )
    max_cost: float | None = Field(
        default=None,
        ge=0,
        description="Stop before a call that could take the run over this many USD.",
    )
    max_tokens: int | None = Field(
        default=None,
        gt=0,
        description="Stop before a call that could take the run over this many tokens.",
    )
    concurrency: int | None = Field(default=None, gt=0, description="Parallel model calls.")
    overview_length: Literal["short", "medium", "long"] | None = Field(
        default=None, description="Overview length: short, medium (default) or long."
    )

    def overrides(self) -> dict[str, Any]:
        """The settings this call overrides (the fields that were given)."""
        return {
            name: getattr(self, name)
            for name in RunArgs.model_fields
            if getattr(self, name) is not None
        }

    def settings(self, base: Settings | None) -> Settings:
        """`base` with this call's options.

        Unless `base.allow_endpoints`, a call may not move the work to another backend,
        model or endpoint than the server's (turning the model off with backend 'none' is
        always allowed) nor raise its spending caps: InputError says so. Where another
        endpoint is allowed, the call gets no API key: the configured key is never sent to a
        URL the caller chose.
        """
        base = base if base is not None else Settings()
        if not base.allow_endpoints:
            self._check_confined(base)
        resolved = base.with_overrides(**self.overrides())
        if resolved.api_key is not None and resolved.base_url != base.base_url:
            resolved = resolved.model_copy(update={"api_key": None})
        return resolved

    def _check_confined(self, base: Settings) -> None:
        refused = [
            name
            for name, mine, theirs in (
                ("backend", self.backend, base.backend_name()),
                ("model", self.model, base.model),
                ("base_url", self.base_url, base.base_url),
            )
            if mine is not None and mine != theirs and not (name == "backend" and mine == "none")
        ]
        for name, mine, cap in (
            ("max_cost", self.max_cost, base.max_cost),
            ("max_tokens", self.max_tokens, base.max_tokens),
        ):
            if mine is not None and cap is not None and mine > cap:
                refused.append(f"{name} above the server's {cap}")
        if refused:
            raise InputError(
                f"this server does not let a tool call change {', '.join(refused)}: it uses "
                "its own settings (backend 'none' is allowed; start it with "
                "--allow-endpoints to let calls choose)"
            )


class SummarizeArticlesArgs(RunArgs):
    articles: list[str | ArticleInput] = Field(
        min_length=1, max_length=50, description=PATHS_OR_TEXTS
    )

    def run(
        self, settings: Settings | None, on_progress: ProgressFn | None, text_limit: int
    ) -> ToolResult:
        story = api.summarize(list(self.articles), self.settings(settings), on_progress=on_progress)
        return ToolResult(story.model_dump(mode="json"), story_text(story, text_limit))


class SummarizeArticleArgs(RunArgs):
    article: str | ArticleInput = Field(
        description="One article: a file path (string) or an object with 'text' and optional "
        "'title', 'outlet', 'date', 'url'."
    )

    def run(
        self, settings: Settings | None, on_progress: ProgressFn | None, text_limit: int
    ) -> ToolResult:
        brief = api.summarize_article(
            self.article, self.settings(settings), on_progress=on_progress
        )
        return ToolResult(brief.model_dump(mode="json"), article_text(brief, text_limit))


class CheckClaimsArgs(ToolArgs):
    text: str = Field(
        min_length=1,
        max_length=MAX_CHECK_CHARS,
        description="The text to check: a draft or an answer, one or more sentences.",
    )
    articles: list[str | ArticleInput] = Field(
        min_length=1, max_length=50, description=PATHS_OR_TEXTS
    )

    def run(
        self, settings: Settings | None, on_progress: ProgressFn | None, text_limit: int
    ) -> ToolResult:
        from .render.markdown import render_check

        result = api.check_claims(self.text, list(self.articles), settings)
        return ToolResult(result.model_dump(mode="json"), trim(render_check(result), text_limit))


class BriefSchemaArgs(ToolArgs):
    which: Literal["story", "article", "all"] = Field(
        default="all", description="story (StoryBrief), article (ArticleBrief) or all (both)."
    )

    def run(
        self, settings: Settings | None, on_progress: ProgressFn | None, text_limit: int
    ) -> ToolResult:
        from .schemas import schema_document

        doc = schema_document(self.which)
        return ToolResult(doc, json.dumps(doc, indent=2))


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    args: type[ToolArgs]


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "summarize_articles",
        "Summarise several news reports of one story into a grounded brief: what each source says, "
        "what they agree on, where they disagree (numbers, claims), a timeline, and what could not "
        "be verified. Every claim cites article and sentence ids (a2.s14). Returns a StoryBrief.",
        SummarizeArticlesArgs,
    ),
    ToolSpec(
        "summarize_article",
        "Summarise one news article into a verified brief: headline, summary, key points with the "
        "sentences that support them, people and organisations, quotes, figures and dated events. "
        "Returns an ArticleBrief.",
        SummarizeArticleArgs,
    ),
    ToolSpec(
        "check_claims",
        "Check a text (for example your own answer) against news articles, sentence by "
        "sentence: each sentence gets a verdict (supported, partial, unsupported, "
        "contradicted), the ids of the evidence sentences (a2.s14), and for anything short of "
        "supported the reasons (a name, number, date, negation, hedge or speaker that the "
        "articles do not back). No model is called. Returns a TextCheck.",
        CheckClaimsArgs,
    ),
    ToolSpec(
        "brief_schema",
        "Return the JSON Schemas of newsbrief's outputs (StoryBrief, ArticleBrief) and their "
        "version.",
        BriefSchemaArgs,
    ),
)


def tool_spec(name: str) -> ToolSpec:
    """The tool called `name`; InputError naming the tools when there is none."""
    for spec in TOOLS:
        if spec.name == name:
            return spec
    raise InputError(f"unknown tool: {name} (tools: {', '.join(s.name for s in TOOLS)})")


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target = copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[1]])
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return _inline_refs({**target, **rest}, defs)
        return {k: _inline_refs(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


def input_schema(args: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of a tool's arguments, self-contained (no $ref) for simple clients."""
    schema = args.model_json_schema()
    defs = schema.pop("$defs", {})
    schema = _inline_refs(schema, defs)
    schema.pop("title", None)
    return schema


def openai_tools(specs: tuple[ToolSpec, ...] = TOOLS) -> list[dict[str, Any]]:
    """Definitions for OpenAI-compatible chat completions (`tools=`)."""
    return [
        {
            "type": "function",
            "function": {
                "name": s.name,
                "description": s.description,
                "parameters": input_schema(s.args),
            },
        }
        for s in specs
    ]


def anthropic_tools(specs: tuple[ToolSpec, ...] = TOOLS) -> list[dict[str, Any]]:
    """Definitions for the Anthropic Messages API (`tools=`)."""
    return [
        {"name": s.name, "description": s.description, "input_schema": input_schema(s.args)}
        for s in specs
    ]


# --------------------------------------------------------------------------- running a call


@dataclass
class ToolResult:
    structured: dict[str, Any]  # the StoryBrief / ArticleBrief / schemas, as JSON data
    text: str  # a short Markdown view for clients (and models) that read text only


def trim(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """`text` cut at a line end near `limit` characters, saying so."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return (
        text[: cut if cut > 0 else limit]
        + "\n\n... (trimmed; the full brief is in the structured result)\n"
    )


def story_text(brief: StoryBrief, limit: int = MAX_TEXT_CHARS) -> str:
    from .render.markdown import render_markdown

    return trim(render_markdown(brief), limit)


def article_text(brief: ArticleBrief, limit: int = MAX_TEXT_CHARS) -> str:
    lines = [f"# {brief.article_id}: {brief.headline}", "", brief.summary, ""]
    lines += [f"- {p.text} [{', '.join(p.sentence_ids)}]" for p in brief.key_points]
    if brief.error:
        lines += ["", f"Model error: {brief.error.message} (code's extractive summary stands in)"]
    return trim("\n".join(lines), limit)


def parse_arguments(spec: ToolSpec, arguments: Mapping[str, Any] | None) -> ToolArgs:
    """Validated arguments; InputError with one line (field: problem) when they are bad."""
    try:
        return spec.args.model_validate(dict(arguments or {}))
    except ValidationError as exc:
        lines = validation_lines(exc, limit=3, empty="arguments")[:3]
        raise InputError(f"{spec.name}: invalid arguments: " + "; ".join(lines)) from None


def run_tool(
    name: str,
    arguments: Mapping[str, Any] | None,
    settings: Settings | None = None,
    *,
    on_progress: ProgressFn | None = None,
    text_limit: int = MAX_TEXT_CHARS,
) -> ToolResult:
    """Run one tool call (blocking). Raises NewsbriefError (InputError, ConfigError...) with one
    line.
    """
    args = parse_arguments(tool_spec(name), arguments)
    return args.run(settings, on_progress, text_limit)
