"""Run directories: each finished article is saved as it completes, so a killed run resumes.

Layout of `--run-dir DIR`:
  articles/<key>.json   one finished ArticleBrief with its call records and warnings
  brief.json            the last complete StoryBrief
The key hashes the article's cleaned text and position with everything that changes its
brief (backend, model, prompt versions, token limits), so a changed setting re-does the work.
Files are written to a temporary name and renamed, so a kill never leaves half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..llm.base import Backend
from ..schemas import Article, ArticleBrief, CallRecord, StoryBrief

if TYPE_CHECKING:
    from .options import ArticleResult, RunOptions


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class RunDir:
    def __init__(self, root: Path, backend: Backend | None, options: RunOptions):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._settings = json.dumps(
            {
                "backend": backend.name if backend else "none",
                "model": backend.model if backend else "none",
                "prompts": options.prompt_versions,
                "article_max_tokens": options.article_max_tokens,
                "max_reasks": options.max_reasks,
                "max_chunks": options.max_chunks,
            },
            sort_keys=True,
        )

    def _path(self, article: Article) -> Path:
        key = hashlib.sha256(
            f"{article.id}|{article.sha256}|{self._settings}".encode()
        ).hexdigest()[:32]
        return self.root / "articles" / f"{key}.json"

    def save_article(
        self, article: Article, brief: ArticleBrief, calls: list[CallRecord], warnings: list[str]
    ) -> None:
        record: dict[str, Any] = {
            "brief": brief.model_dump(mode="json"),
            "calls": [c.model_dump(mode="json") for c in calls],
            "warnings": warnings,
        }
        write_atomic(self._path(article), json.dumps(record, ensure_ascii=False, indent=1))

    def load_article(self, article: Article) -> ArticleResult | None:
        from .options import ArticleResult

        path = self._path(article)
        if not path.is_file():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            brief = ArticleBrief.model_validate(record["brief"])
            calls = [CallRecord.model_validate(c) for c in record["calls"]]
        except (OSError, ValueError, KeyError, ValidationError):
            return None  # a damaged record is simply redone
        return ArticleResult(brief, calls, list(record.get("warnings", [])), resumed=True)

    def save_brief(self, brief: StoryBrief) -> None:
        write_atomic(self.root / "brief.json", brief.model_dump_json(indent=2))
