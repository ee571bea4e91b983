"""newsbrief: several news reports of one story in, a grounded, structured brief out.

The Python API (imported lazily, so `import agent.schemas` stays light):

    from agent import summarize, summarize_article, asummarize, asummarize_article, Settings
    from agent import check_claims   # the claim verifier: a text against the articles
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

_API = {
    "summarize": "api",
    "summarize_article": "api",
    "asummarize": "api",
    "asummarize_article": "api",
    "ArticleInput": "api",
    "check_claims": "api",
    "Settings": "config",
}
__all__ = [
    "ArticleInput",
    "Settings",
    "__version__",
    "asummarize",
    "asummarize_article",
    "check_claims",
    "summarize",
    "summarize_article",
]

if TYPE_CHECKING:
    from .api import (
        ArticleInput,
        asummarize,
        asummarize_article,
        check_claims,
        summarize,
        summarize_article,
    )
    from .config import Settings


def __getattr__(name: str) -> Any:
    if name in _API:
        from importlib import import_module

        return getattr(import_module(f".{_API[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
