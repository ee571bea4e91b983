"""Loaders of the verifier benchmark's parts, each pair resolved to claim + evidence.

A pair here is a dict with at least `id`, `claim`, `label` (1 supported, 0 not) and
`evidence`: the (sentence id, text) list the verifier gets. Parts:

* `synthetic`: `evals/faithfulness/synthetic.jsonl`, code-made from the project's own sets;
* `labelled`: hand-labelled model outputs (`evals/faithfulness/labelled.jsonl`);
* `xsumfaith`, `polytope`: the human-labelled SummaC dev cuts, read by path from a `shared/`
  folder beside the checkout (never copied into the repository); skipped when absent.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent.grounding.verifier import split_document

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SYNTHETIC = HERE / "synthetic.jsonl"
LABELLED = HERE / "labelled.jsonl"
DEV_PARTS = ("xsumfaith", "polytope")


def shared_dir() -> Path | None:
    """The shared data folder: $NEWSBRIEF_SHARED, else a `shared/` beside the checkout or
    beside one of its parent folders.
    """
    env = os.environ.get("NEWSBRIEF_SHARED")
    candidates = [Path(env)] if env else []
    candidates += [parent / "shared" for parent in ROOT.parents]
    return next((c for c in candidates if c.is_dir()), None)


def note(message: str) -> None:
    """A skip message on stderr."""
    print(message, file=sys.stderr)


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def article_files(set_name: str) -> list[Path]:
    """The article files of a project set, in sorted order (a1, a2, ...)."""
    if set_name == "seeds":
        return sorted((ROOT / "examples" / "syria").glob("*.txt"))
    return sorted((ROOT / "evals" / "sets" / set_name).glob("*.txt"))


def evidence_of(texts: list[str], article: str | None) -> list[tuple[str, str]]:
    """Evidence for one article ("a2": its sentences as s1..) or, for None or anything else
    ("story"), all articles with ids a1.s1, a2.s1, ...
    """
    match = re.fullmatch(r"a(\d+)", article or "")
    if match and 1 <= int(match.group(1)) <= len(texts):
        return split_document(texts[int(match.group(1)) - 1])
    return [
        (f"a{k}.{sid}", t) for k, text in enumerate(texts, 1) for sid, t in split_document(text)
    ]


def load_synthetic(path: Path = SYNTHETIC) -> list[dict[str, Any]]:
    """The code-made pairs (run build_pairs first when the file is absent)."""
    if not path.exists():
        note(f"skipped synthetic: {path} is absent (python -m evals.faithfulness.build_pairs)")
        return []
    cache: dict[str, list[str]] = {}
    pairs = []
    for row in _jsonl(path):
        texts = cache.setdefault(
            row["set"], [p.read_text("utf-8") for p in article_files(row["set"])]
        )
        pairs.append({**row, "evidence": evidence_of(texts, row["article"])})
    return pairs


def _benchmark_rows() -> dict[str, dict[str, Any]] | None:
    base = shared_dir()
    path = base / "evalsets" / "benchmark-dev.jsonl" if base else None
    if path is None or not path.exists():
        return None
    return {row["id"]: row for row in _jsonl(path)}


def load_labelled(path: Path = LABELLED) -> list[dict[str, Any]]:
    """Hand-labelled pairs with their documents resolved; benchmark ones are skipped with a
    message when the shared benchmark file is absent.
    """
    if not path.exists():
        note(f"skipped labelled: {path} is absent")
        return []
    seeds = [p.read_text("utf-8") for p in article_files("seeds")]
    bench = None
    pairs, skipped = [], 0
    for row in _jsonl(path):
        if row.get("set") == "seeds":
            texts = seeds
        else:
            bench = _benchmark_rows() if bench is None else bench
            cluster = (bench or {}).get(row.get("cluster", ""))
            if cluster is None:
                skipped += 1
                continue
            texts = [a.get("text") or "" for a in cluster["articles"]]
        pairs.append({**row, "evidence": evidence_of(texts, row.get("article") or None)})
    if skipped:
        note(f"skipped {skipped} labelled benchmark pairs: shared benchmark-dev.jsonl absent")
    return pairs


def load_dev(name: str) -> list[dict[str, Any]]:
    """One SummaC dev cut by path, or [] with a message when the shared folder is absent."""
    base = shared_dir()
    path = base / "faithfulness" / f"{name}-dev.jsonl" if base else None
    if path is None or not path.exists():
        note(f"skipped {name}: shared faithfulness/{name}-dev.jsonl is absent")
        return []
    return [{**row, "evidence": split_document(row["document"])} for row in _jsonl(path)]


def load_part(name: str, labelled: Path | None = None) -> list[dict[str, Any]]:
    """The pairs of one part by name."""
    if name == "synthetic":
        return load_synthetic()
    if name == "labelled":
        return load_labelled(labelled or LABELLED)
    return load_dev(name)
