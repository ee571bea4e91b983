"""The Python API: several articles of one story in, a verified StoryBrief out.

    from agent import summarize
    brief = summarize(["a.txt", "b.txt"], backend="none")

Articles are given as a sequence whose items are either

* a **path** (`str` or `os.PathLike`): a .txt/.md/.html file, a directory, a .jsonl file
  or an RSS/Atom feed file, read exactly as `newsbrief summarize PATH` reads it; a `str`
  is always a path or a URL, never article text;
* an **http(s) URL** of a page or a feed, fetched and extracted; by default only public
  addresses may be fetched from here (`fetch_private=True` lifts that);
* an **article text**: an `ArticleInput(text=..., title=..., outlet=..., date=..., url=...)`
  or a dict with the same keys.

Articles are numbered a1..aN in the order given (a directory counts in file-name order).
Settings come from `settings` (or a default `Settings()`: environment and config file)
with keyword overrides on top, e.g. `summarize(paths, backend="openai", concurrency=2)`.

The async variants run the same blocking pipeline in a worker thread. Backends are cached
per process by their settings, so the embedded model is loaded once and reused; a backend
that is not thread-safe (the embedded model) serves one run at a time.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from functools import partial
from typing import TYPE_CHECKING, Any, Union

import anyio.to_thread
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .config import Settings
from .errors import InputError, validation_lines
from .schemas import Article, ArticleBrief, StoryBrief

if TYPE_CHECKING:
    from .grounding.check import TextCheck
    from .ingest.gather import Loaded
    from .llm.base import Backend
    from .pipeline.options import ProgressFn

MAX_CACHED_BACKENDS = 4
MAX_ARTICLE_CHARS = 20 * 1024 * 1024  # an article given as text: as large as a file may be


class ArticleInput(BaseModel):
    """One article given as text rather than as a file."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=MAX_ARTICLE_CHARS,
        description="The article text (a title or byline line at the top is fine); at most "
        "20 million characters.",
    )
    title: str | None = Field(default=None, description="The article's title, if known.")
    outlet: str | None = Field(default=None, description="The publishing outlet, e.g. 'Reuters'.")
    date: str | None = Field(default=None, description="Publication date, e.g. '2016-09-10'.")
    url: str | None = Field(default=None, description="Where the article was published.")


ArticleLike = Union[str, "os.PathLike[str]", ArticleInput, Mapping[str, Any]]


# --------------------------------------------------------------------------- inputs


def _as_text(item: ArticleInput | Mapping[str, Any], position: int) -> ArticleInput:
    if isinstance(item, ArticleInput):
        return item
    try:
        return ArticleInput.model_validate(dict(item))
    except ValidationError as exc:
        raise InputError(
            f"article {position}: {validation_lines(exc, limit=1, empty='value')[0]}"
        ) from None


def _checked_path(path: str, position: int) -> str:
    """Refuse strings that cannot be meant as paths, with a hint (never read as article text)."""
    if path == "-":
        raise InputError(
            f"article {position}: '-' (stdin) is not read here; pass the text as {{'text': ...}}"
        )
    if ("\n" in path or len(path) > 1024) and not os.path.exists(path):
        raise InputError(
            f"article {position}: a string is read as a file path and this looks like article "
            f"text; "
            "pass it as {'text': ...} or ArticleInput(text=...)"
        )
    return path


def _load_item(item: ArticleLike, position: int, index: int, settings: Settings) -> Loaded:
    from .ingest.article import make_article
    from .ingest.gather import Loaded, load_sources

    if isinstance(item, (str, os.PathLike)):
        return load_sources(
            [_checked_path(os.fspath(item), position)],
            policy=settings.fetch_policy(),
            limit=settings.feed_limit,
            require=False,
            first=index,
            options=settings.read_options(),
        )
    if isinstance(item, (ArticleInput, Mapping)):
        given = _as_text(item, position)
        article = make_article(
            given.text,
            index=index,
            source=f"<text {position}>",
            title=given.title,
            outlet=given.outlet,
            date=given.date,
            url=given.url,
        )
        return Loaded(articles=[article], slots=1)
    raise InputError(
        f"article {position}: expected a path or an article text (URLs are strings), not "
        f"{type(item).__name__}"
    )


def load_story(
    articles: Sequence[ArticleLike] | ArticleLike, settings: Settings | None = None
) -> Loaded:
    """Read paths, URLs and article texts: the Articles and the inputs that gave none
    (`Loaded.failures`; a named file that cannot be read raises).

    Ids follow input positions (a1.. in the order given; a directory, JSONL file or feed
    takes one number per article it holds), so an input that gives no article leaves a gap
    its `FailedInput.article_id` names. URLs are fetched under `settings.fetch_policy()`:
    by default public addresses only. With `settings.allow_paths` set, file paths are read
    only inside those directories (symlinks followed); an empty list allows no paths.
    """
    from .ingest.gather import Loaded

    settings = settings if settings is not None else Settings()
    if isinstance(articles, (str, os.PathLike, ArticleInput, Mapping)):
        articles = [articles]
    loaded = Loaded(articles=[])
    for position, item in enumerate(articles, start=1):
        part = _load_item(item, position, loaded.slots + 1, settings)
        loaded.failures += part.failures
        loaded.articles += part.articles
        loaded.slots += part.slots
    if not loaded.articles:
        why = "; ".join(f.message for f in loaded.failures[:5])
        raise InputError(
            f"no readable articles: {why}"
            if why
            else "no articles given: pass file paths, URLs or article texts"
        )
    return loaded


def load_articles(
    articles: Sequence[ArticleLike] | ArticleLike, settings: Settings | None = None
) -> list[Article]:
    """Read paths, URLs and article texts into Articles numbered a1..aN in the order given.

    Strict: an input that gives no article (a page that fails to fetch) raises InputError;
    `load_story` keeps going and reports such inputs instead.
    """
    loaded = load_story(articles, settings)
    if loaded.failures:
        raise InputError("; ".join(f.message for f in loaded.failures))
    return loaded.articles


# --------------------------------------------------------------------------- backends

_backends: OrderedDict[tuple[Any, ...], tuple[Backend | None, threading.Lock]] = OrderedDict()
_backends_lock = threading.Lock()
# Free the backends (the embedded model) before interpreter teardown, not during it.
atexit.register(_backends.clear)


def shared_backend(settings: Settings) -> tuple[Backend | None, threading.Lock]:
    """The process-wide backend for these settings (built once) and its run lock."""
    key = settings.backend_key()
    with _backends_lock:
        if key in _backends:
            _backends.move_to_end(key)
        else:
            _backends[key] = (settings.make_backend(), threading.Lock())
            while len(_backends) > MAX_CACHED_BACKENDS:
                _backends.popitem(last=False)
        return _backends[key]


@contextmanager
def _exclusive(backend: Backend | None, lock: threading.Lock) -> Iterator[None]:
    guard = nullcontext() if backend is None or backend.concurrency_safe else lock
    with guard:
        yield


# --------------------------------------------------------------------------- runs


def resolve_settings(settings: Settings | None, overrides: Mapping[str, Any]) -> Settings:
    """`settings` (default: `Settings()`) with the non-None overrides applied and validated."""
    base = settings if settings is not None else Settings()
    return base.with_overrides(**overrides)


def run_pipeline(
    articles: list[Article] | Loaded,
    settings: Settings,
    on_progress: ProgressFn | None = None,
    call_slots: threading.Semaphore | None = None,
) -> StoryBrief:
    """Run the pipeline on loaded articles with a shared backend (what CLI, API and MCP call).

    Given a `Loaded` (from `load_story`), its failed inputs go into the brief's run metadata.
    `call_slots`: a semaphore shared by concurrent runs, at most its value model calls in
    flight across them (a batch's global limit).
    """
    from .ingest.gather import Loaded
    from .pipeline.run import summarize_articles

    loaded = articles if isinstance(articles, Loaded) else Loaded(articles=list(articles))
    options = settings.run_options(on_progress)
    options.call_slots = call_slots
    backend, lock = shared_backend(settings)
    with _exclusive(backend, lock):
        return summarize_articles(loaded.articles, backend, options, loaded.failures)


def summarize(
    articles: Sequence[ArticleLike] | ArticleLike,
    settings: Settings | None = None,
    *,
    on_progress: ProgressFn | None = None,
    call_slots: threading.Semaphore | None = None,
    **overrides: Any,
) -> StoryBrief:
    """Summarise several articles of one story into a StoryBrief.

    `articles`: paths (str / PathLike), http(s) URLs of pages or feeds, and article texts
    (`ArticleInput` or dicts). A URL that fails is recorded in `brief.run.failed_inputs`
    and the brief is made from the rest; by default URLs may reach public addresses only
    (`fetch_private=True` lifts that, for URLs you chose yourself).
    `overrides`: any `Settings` field, e.g. `backend="none"`, `model=...`, `max_cost=0.1`.
    `on_progress(event, info)` receives "start", "article_done", "synthesis_start", "done".
    Raises `InputError` for unreadable input and `ConfigError` for a bad setting; model
    failures do not raise, they are recorded in the brief.
    """
    resolved = resolve_settings(settings, overrides)
    return run_pipeline(load_story(articles, resolved), resolved, on_progress, call_slots)


def summarize_article(
    article: ArticleLike,
    settings: Settings | None = None,
    *,
    on_progress: ProgressFn | None = None,
    **overrides: Any,
) -> ArticleBrief:
    """Summarise one article (a path to one file, or an article text) into an ArticleBrief."""
    resolved = resolve_settings(settings, overrides)
    loaded = load_articles([article], resolved)
    if len(loaded) != 1:
        raise InputError(f"summarize_article takes one article; the input holds {len(loaded)}")
    return run_pipeline(loaded, resolved, on_progress).articles[0]


def check_claims(
    text: str,
    articles: Sequence[ArticleLike] | ArticleLike,
    settings: Settings | None = None,
    **overrides: Any,
) -> TextCheck:
    """Check each sentence of `text` (a draft, an assistant's answer) against `articles`.

    Returns a `TextCheck`: per sentence the verdict (supported, partial, unsupported,
    contradicted), score, evidence sentence ids and, short of supported, the reasons; the
    counts; and the text of the evidence sentences. No model is called. Articles are read
    as for `summarize` (URLs under the same address policy).
    """
    from .grounding.check import check_text

    if not isinstance(text, str) or not text.strip():
        raise InputError("check_claims: the text to check is empty")
    resolved = resolve_settings(settings, overrides)
    loaded = load_story(articles, resolved)
    return check_text(text, loaded.articles)


async def asummarize(
    articles: Sequence[ArticleLike] | ArticleLike,
    settings: Settings | None = None,
    *,
    on_progress: ProgressFn | None = None,
    call_slots: threading.Semaphore | None = None,
    **overrides: Any,
) -> StoryBrief:
    """`summarize` run in a worker thread, for async code."""
    call = partial(
        summarize, articles, settings, on_progress=on_progress, call_slots=call_slots, **overrides
    )
    return await anyio.to_thread.run_sync(call)


async def asummarize_article(
    article: ArticleLike,
    settings: Settings | None = None,
    *,
    on_progress: ProgressFn | None = None,
    **overrides: Any,
) -> ArticleBrief:
    """`summarize_article` run in a worker thread, for async code."""
    call = partial(summarize_article, article, settings, on_progress=on_progress, **overrides)
    return await anyio.to_thread.run_sync(call)
