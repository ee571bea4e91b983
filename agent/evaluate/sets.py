"""Evaluation sets: set folders (`evals/sets/<name>/gold.json` + articles) and benchmark JSONL.

A set folder holds `gold.json`; its articles are the files the gold names, in the folder
or in `articles_dir` (relative to gold.json). A benchmark file has one cluster per line,
`{"id", "articles": [{"title", "source", "date", "text"}], "reference_summary", ...}`;
labels for its clusters live apart from the texts (`evals/labels/<stem>.json`), citing
the articles by short anchors only, so the texts never enter the repository.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import InputError
from ..schemas import Article
from .gold import BenchmarkLabels, StoryGold
from .goldcheck import ArticleText, check_gold, pydantic_problems


class SetError(InputError):
    """A set or its labels cannot be used; `problems` lists every problem with its path."""

    def __init__(self, origin: str, problems: list[str]):
        self.origin = origin
        self.problems = problems
        first = problems[0] if problems else "unusable"
        more = (
            f" (and {len(problems) - 1} more problems; run --check-set)"
            if len(problems) > 1
            else ""
        )
        super().__init__(f"{origin}: {first}{more}")


@dataclass
class ArticleInput:
    """One article of a set, before ingest."""

    text: str
    label: str
    path: Path | None = None
    title: str | None = None
    date: str | None = None
    source: str | None = None


@dataclass
class EvalSet:
    name: str
    origin: str
    inputs: list[ArticleInput]
    gold: StoryGold | None
    reference_summary: str | None = None
    notes: list[str] = field(default_factory=list)
    _articles: list[Article] | None = None

    def texts(self) -> list[ArticleText]:
        return [
            ArticleText(f"a{i}", item.label, item.text)
            for i, item in enumerate(self.inputs, start=1)
        ]

    def articles(self) -> list[Article]:
        """The set's articles as the pipeline sees them (ingested once, then kept)."""
        if self._articles is None:
            self._articles, skipped = ingest_inputs(self.inputs)
            self.notes += skipped
        return self._articles


def ingest_inputs(inputs: list[ArticleInput]) -> tuple[list[Article], list[str]]:
    """Articles a1..aN; an input ingest rejects (e.g. only boilerplate) is skipped and
    noted, and the others keep their numbers so gold ids still point at them.
    """
    from ..ingest.article import make_article
    from ..ingest.read import load_inputs

    if all(item.path is not None for item in inputs):
        return load_inputs([str(item.path) for item in inputs]), []
    articles, skipped = [], []
    for i, item in enumerate(inputs, start=1):
        try:
            articles.append(
                make_article(
                    item.text,
                    index=i,
                    source=item.source or item.label,
                    title=item.title,
                    date=item.date,
                )
            )
        except InputError as exc:
            skipped.append(f"a{i} skipped: {exc}")
    return articles, skipped


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SetError(str(path), ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SetError(str(path), [f"cannot read: {exc}"]) from None
    except json.JSONDecodeError as exc:
        raise SetError(
            str(path), [f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]
        ) from None


def _validate(model: type[BaseModel], data: Any, origin: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SetError(origin, pydantic_problems(exc)) from None


# --------------------------------------------------------------------------- set folders


def _set_inputs(gold: StoryGold, gold_path: Path) -> tuple[list[ArticleInput], list[str]]:
    folder = (gold_path.parent / gold.articles_dir) if gold.articles_dir else gold_path.parent
    inputs: list[ArticleInput] = []
    problems: list[str] = []
    if not folder.is_dir():
        return [], [f"articles_dir: folder {folder} not found"]
    for i, article in enumerate(gold.articles):
        if not article.file:
            problems.append(
                f"articles[{i}].file: a set folder's gold must name each article's file"
            )
            continue
        path = folder / article.file
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"articles[{i}].file: cannot read {path}: {exc.__class__.__name__}")
            continue
        inputs.append(ArticleInput(text=text, label=article.file, path=path))
    named = {a.file for a in gold.articles}
    for extra in sorted(p.name for p in folder.glob("*.txt") if p.name not in named):
        problems.append(f"articles: file {extra} in {folder} is not labelled")
    return inputs, problems


def load_set_dir(path: str | Path, check: bool = True) -> EvalSet:
    """Read a set folder; raises SetError listing every problem when `check` finds any."""
    folder = Path(path)
    gold_path = folder / "gold.json"
    origin = str(gold_path)
    if not folder.is_dir():
        raise SetError(str(folder), ["not a folder with a gold.json"])
    gold = _validate(StoryGold, _read_json(gold_path), origin)
    inputs, problems = _set_inputs(gold, gold_path)
    evalset = EvalSet(
        name=gold.name,
        origin=origin,
        inputs=inputs,
        gold=gold,
        reference_summary=gold.reference_summary,
    )
    if check and not problems:
        problems = check_gold(gold, evalset.texts())
    if problems:
        raise SetError(origin, problems)
    return evalset


# --------------------------------------------------------------------------- benchmark JSONL


def default_labels_path(benchmark: Path, labels_root: Path = Path("evals/labels")) -> Path:
    return labels_root / f"{benchmark.stem}.json"


def _cluster_inputs(row: dict[str, Any], file_name: str, line: int) -> list[ArticleInput]:
    inputs = []
    for j, item in enumerate(row.get("articles") or [], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise SetError(f"{file_name}:{line}", [f"articles[{j - 1}]: no text"])
        inputs.append(
            ArticleInput(
                text=item["text"],
                label=f"{j} (a{j}) of cluster {row.get('id')}",
                title=item.get("title"),
                date=item.get("date"),
                source=f"{file_name}:{line}#a{j}",
            )
        )
    return inputs


def _read_clusters(path: Path) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SetError(str(path), [f"cannot read: {exc.__class__.__name__}"]) from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SetError(f"{path}:{number}", [f"not valid JSON: {exc.msg}"]) from None
        if (
            not isinstance(row, dict)
            or not isinstance(row.get("id"), str)
            or not row.get("articles")
        ):
            raise SetError(f"{path}:{number}", ["a cluster needs an 'id' and a list of 'articles'"])
        rows.append((number, row))
    return rows


def load_labels(path: Path) -> BenchmarkLabels | None:
    if not path.exists():
        return None
    return _validate(BenchmarkLabels, _read_json(path), str(path))


def load_benchmark(
    path: str | Path, labels_path: str | Path | None = None, check: bool = True
) -> list[EvalSet]:
    """One EvalSet per cluster; clusters with labels get gold, every one gets its reference."""
    bench = Path(path)
    labels_file = Path(labels_path) if labels_path else default_labels_path(bench)
    if labels_path and not labels_file.exists():
        raise SetError(str(labels_file), ["labels file not found"])
    labels = load_labels(labels_file)
    sets: list[EvalSet] = []
    problems: list[str] = []
    seen: set[str] = set()
    for line, row in _read_clusters(bench):
        cluster_id = row["id"]
        seen.add(cluster_id)
        reference = (
            row.get("reference_summary") if isinstance(row.get("reference_summary"), str) else None
        )
        inputs = _cluster_inputs(row, bench.name, line)
        cluster = labels.clusters.get(cluster_id) if labels else None
        gold = cluster.to_gold(cluster_id, reference) if cluster else None
        evalset = EvalSet(
            name=cluster_id,
            origin=f"{bench}:{line}",
            inputs=inputs,
            gold=gold,
            reference_summary=reference,
        )
        if gold is not None and check:
            max_words = labels.max_anchor_words if labels else None
            problems += [
                f"clusters.{cluster_id}.{p}" for p in check_gold(gold, evalset.texts(), max_words)
            ]
        sets.append(evalset)
    if labels is not None:
        problems += [
            f"clusters.{cid}: no such cluster in {bench.name}"
            for cid in labels.clusters
            if cid not in seen
        ]
    if problems:
        raise SetError(str(labels_file), problems)
    if labels is None:
        for evalset in sets:
            evalset.notes.append(
                f"no labels ({labels_file} not found): ROUGE and output checks only"
            )
    return sets


def load_any(
    path: str | Path, labels_path: str | Path | None = None, check: bool = True
) -> list[EvalSet]:
    """A set folder or a benchmark .jsonl file."""
    target = Path(path)
    if target.suffix == ".jsonl":
        return load_benchmark(target, labels_path, check=check)
    return [load_set_dir(target, check=check)]
