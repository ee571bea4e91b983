"""Fit the verifier's thresholds: `python -m evals.faithfulness.fit [--dry-run]`.

Grid search, deterministic (no sampling, fixed grids, ties broken toward the stricter
value), on the code-made pairs plus the shared human-labelled dev pairs when present. The
hand-labelled model outputs (`labelled.jsonl`) are left out: they are the held-out check.

Objective: the mean over parts of balanced accuracy of "supported" vs the rest, subject to
precision-of-supported floors: PRECISION_FLOOR on the code-made pairs, and on a
human-labelled dev part LIFT times its share of consistent pairs (supported must be right
at least three times as often as a pair drawn at random). A part on which no grid point
reaches its floor (Polytope: nearly half its inconsistent summaries are verbatim copies of
document sentences, so every lexical rule is near chance there) keeps no floor. Fitted: the
`supported` threshold, the prefix-match credit and the span penalty; then the `partial`
threshold, by the same objective with "supported or partial" as the positive call.
Writes `agent/grounding/verifier_thresholds.json`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from agent.grounding import verifier as V
from agent.grounding.verifier_text import split_sentences

from .data import DEV_PARTS, load_part

PRECISION_FLOOR = 0.95
LIFT = 3.0
SUPPORTED_GRID = [round(0.5 + 0.05 * i, 2) for i in range(11)]
PARTIAL_GRID = [round(0.2 + 0.05 * i, 2) for i in range(13)]
PREFIX_GRID = [0.0, 0.5]
PENALTY_GRID = [0.0, 0.1]
ELSEWHERE_GRID = [0.0, 0.25, 0.5]

Sentences = list[tuple[bool, float]]  # per claim sentence: no failed check, coverage


def assessments(pairs: Sequence[dict[str, Any]], th: dict[str, float]) -> list[Sentences]:
    """For each pair, each claim sentence's (passed every check, score)."""
    out = []
    for pair in pairs:
        doc = V.Doc(pair["evidence"])
        rows = []
        for sentence in split_sentences(pair["claim"]):
            found = V.assess(sentence, doc, {}, th)
            rows.append((False, 0.0) if found is None else (not found.reasons, found.score))
        out.append(rows)
    return out


def balanced(pred: Sequence[bool], labels: Sequence[int]) -> tuple[float, float, float]:
    """Balanced accuracy, precision and recall of the positive call."""
    pos = sum(labels)
    neg = len(labels) - pos
    tp = sum(1 for p, y in zip(pred, labels, strict=True) if p and y)
    tn = sum(1 for p, y in zip(pred, labels, strict=True) if not p and not y)
    called = sum(pred)
    recall = tp / pos if pos else 0.0
    ba = (recall + (tn / neg if neg else 0.0)) / 2
    return ba, (tp / called if called else 0.0), recall


def _calls(found: list[Sentences], cut: float) -> list[bool]:
    return [bool(s) and all(ok and score >= cut for ok, score in s) for s in found]


def floors(parts: dict[str, tuple[list[Sentences], list[int]]]) -> dict[str, float]:
    """Precision floor of each part: PRECISION_FLOOR on the code-made pairs, LIFT times the
    share of consistent pairs on a human-labelled part.
    """
    return {name: PRECISION_FLOOR if name == "synthetic" else LIFT * sum(y) / max(len(y), 1)
            for name, (_, y) in parts.items()}  # fmt: skip


def objective(
    parts: dict[str, tuple[list[Sentences], list[int]]], cut: float, floor: dict[str, float]
) -> float | None:
    """Mean balanced accuracy at threshold `cut`, or None when a precision floor fails."""
    scores = []
    for name, (found, labels) in parts.items():
        pred = _calls(found, cut)
        ba, precision, _ = balanced(pred, labels)
        if name in floor and sum(pred) and precision < floor[name]:
            return None
        scores.append(ba)
    return sum(scores) / len(scores)


def fit(part_names: Sequence[str]) -> tuple[dict[str, float], dict[str, Any]]:
    """The best thresholds and a small record of how they were chosen."""
    data = {name: load_part(name) for name in part_names}
    data = {k: v for k, v in data.items() if v}
    grid = [(p, s, e) for p in PREFIX_GRID for s in PENALTY_GRID for e in ELSEWHERE_GRID]
    runs = []
    for prefix, penalty, elsewhere in grid:
        th = dict(V.DEFAULT_THRESHOLDS, prefix=prefix, span_penalty=penalty, elsewhere=elsewhere)
        runs.append((th, {k: (assessments(v, th), [int(p["label"]) for p in v])
                          for k, v in data.items()}))  # fmt: skip
    # a floor no grid point reaches on a part (Polytope) is dropped for that part
    floor = floors(runs[0][1]) if runs else {}
    for name in list(floor):
        reach = max(balanced(_calls(parts[name][0], cut), parts[name][1])[1]
                    for _, parts in runs for cut in SUPPORTED_GRID)  # fmt: skip
        if reach < floor[name]:
            del floor[name]
    best: tuple[float, dict[str, Any]] | None = None
    for th, parts in runs:
        for cut in SUPPORTED_GRID:
            value = objective(parts, cut, floor)
            if value is not None and (best is None or value > best[0] + 1e-9):
                best = (value, dict(th, supported=cut, _parts=parts))
    if best is None:
        return dict(V.DEFAULT_THRESHOLDS), {"note": "no grid point met the precision floors"}
    value, chosen = best
    parts = chosen.pop("_parts")  # type: ignore[arg-type]
    partial_best = (-1.0, chosen["supported"])
    for cut in PARTIAL_GRID:
        if cut > chosen["supported"]:
            break
        scores = [balanced([bool(s) and all(ok and sc >= cut for ok, sc in s) for s in f], y)[0]
                  for f, y in parts.values()]  # fmt: skip
        mean = sum(scores) / len(scores)
        if mean > partial_best[0] + 1e-9:
            partial_best = (mean, cut)
    chosen["partial"] = partial_best[1]
    per_part = {}
    for name, (found, labels) in parts.items():
        pred = [bool(s) and all(ok and sc >= chosen["supported"] for ok, sc in s) for s in found]
        per_part[name] = [round(x, 3) for x in balanced(pred, labels)]
    record = {
        "ba_precision_recall": per_part,
        "objective": round(value, 4),
        "parts": {k: len(v) for k, v in data.items()},
        "precision_floors": {k: round(v, 3) for k, v in floor.items()},
    }
    return chosen, record


def main(argv: Sequence[str] | None = None) -> int:
    """Fit and write the thresholds file (or only print them with --dry-run)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print, do not write")
    parser.add_argument("--parts", nargs="*", default=["synthetic", *DEV_PARTS])
    args = parser.parse_args(argv)
    chosen, record = fit(args.parts)
    out = {k: round(v, 4) for k, v in chosen.items()} | {"fitted_on": record}
    try:  # the bar for stating text is chosen apart (see its note): kept as it is
        kept = json.loads(V.THRESHOLDS_PATH.read_text(encoding="utf-8"))
        out |= {k: kept[k] for k in ("state", "state_chosen_on") if k in kept}
    except (OSError, ValueError):
        pass
    text = json.dumps(out, indent=2) + "\n"
    print(text, end="")
    if not args.dry_run:
        V.THRESHOLDS_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {V.THRESHOLDS_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
