"""`newsbrief check --pairs FILE.jsonl`: the verifier over (claim, document) pairs.

Each input line is a JSON object `{"id", "claim", "document"}` (other fields, such as a
`label`, are ignored). Each output line is `{"id", "verdict", "score", "evidence",
"reasons"}`, in input order, exactly one per input line: a line that cannot be read as a
pair gets verdict `unsupported` with the reason (and id null when it has none). A claim of
several sentences is supported only when every sentence is; its score is the weakest
sentence's, its evidence and reasons those of all sentences.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..files import is_regular
from .verifier import Verdict, split_document, verify_text

_ORDER = {"supported": 0, "partial": 1, "unsupported": 2, "contradicted": 3}


def _failed(pair_id: Any, reason: str) -> dict[str, Any]:
    return {"id": pair_id, "verdict": "unsupported", "score": 0.0, "evidence": [],
            "reasons": [reason]}  # fmt: skip


def combine(verdicts: list[Verdict]) -> Verdict:
    """One verdict for a multi-sentence claim: the worst sentence's label, the weakest
    score, the evidence of every sentence and the reasons of those short of supported.
    """
    if not verdicts:
        return Verdict(verdict="unsupported", score=0.0, reasons=["the claim has no sentences"])
    worst = max(verdicts, key=lambda v: _ORDER[v.verdict])
    evidence: list[str] = []
    reasons: list[str] = []
    for v in verdicts:
        evidence += [e for e in v.evidence if e not in evidence]
        if v.verdict != "supported":
            reasons += [r for r in v.reasons if r not in reasons]
    return Verdict(verdict=worst.verdict, score=min(v.score for v in verdicts),
                   evidence=evidence, reasons=reasons)  # fmt: skip


def check_pair(line: str) -> dict[str, Any]:
    """The output record for one input line (never raises on bad input)."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return _failed(None, f"malformed line: not JSON ({exc.msg})")
    if not isinstance(row, dict):
        return _failed(None, "malformed line: not a JSON object")
    pair_id = row.get("id")
    if pair_id is not None and not isinstance(pair_id, (str, int)):
        pair_id = str(pair_id)
    claim, document = row.get("claim"), row.get("document")
    for name, value in (("claim", claim), ("document", document)):
        if not isinstance(value, str) or not value.strip():
            return _failed(pair_id, f"malformed line: '{name}' is missing or not a text")
    assert isinstance(claim, str) and isinstance(document, str)
    verdict = combine([v for _, v in verify_text(claim, split_document(document))])
    return {"id": pair_id, **verdict.model_dump()}


def check_pairs(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """One output record per input line, in input order (blank lines are lines too)."""
    for line in lines:
        yield check_pair(line)


def run_pairs(in_path: str | Path, out_path: str | Path | None = None) -> int:
    """Check every pair of `in_path` and write JSON lines to `out_path` (stdout when None).
    Returns the exit code: 0 when done, 2 when the input or output cannot be opened.
    """
    if os.path.exists(in_path) and not is_regular(in_path):
        print(f"error: {in_path}: not a regular file; not read", file=sys.stderr)
        return 2
    try:
        source = open(in_path, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as exc:
        print(f"error: cannot read {in_path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    with source:
        try:
            sink = open(out_path, "w", encoding="utf-8") if out_path else sys.stdout  # noqa: SIM115
        except OSError as exc:
            print(f"error: cannot write {out_path}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        try:
            for record in check_pairs(line.rstrip("\n") for line in source):
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
        except (OSError, UnicodeError) as exc:
            print(f"error: reading {in_path} failed: {exc}", file=sys.stderr)
            return 2
        finally:
            if sink is not sys.stdout:
                sink.close()
    return 0
