"""The verifier benchmark: `python -m evals.faithfulness.bench [--labelled PATH] [--json]`.

For each part (code-made `synthetic`, hand-labelled `labelled`, the shared SummaC dev cuts
`xsumfaith` and `polytope`, each skipped with a message when absent) it prints balanced
accuracy, precision and recall of `supported`, and milliseconds per pair, for the verifier
and, beside it, the OLD rule: "supported = content-word coverage of the weakest claim
sentence >= 0.5" (coverage as `agent.text.match.coverage`, against the whole document).
Then, for the parts the verifier's model was fitted on (`python -m evals.faithfulness.fit`),
the cross-validated figures the fit recorded in `verifier_thresholds.json`: the figures above
are in-sample for those parts, and the cross-validated ones are those to quote (held-out
folds grouped by document; see the fit's docstring). A part not fitted on is held out as it
stands. The last line is the verifier's throughput in pairs per second, pinned to one CPU
core.
With `--gate FILE` (TOML: `[PART] balanced_accuracy = x`, `precision = y`) it exits 5 naming
each figure under its minimum; parts absent here are skipped with a message. CI runs it with
`evals/faithfulness/gate.toml`.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.grounding.verifier import THRESHOLDS_PATH, split_document, verify_text
from agent.text.match import coverage
from agent.text.sentences import split_sentences

from .data import DEV_PARTS, LABELLED, load_part
from .fit import balanced

OLD_CUT = 0.5


def _one_core() -> str:
    """Pin this process to one CPU core where the platform allows it."""
    try:
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"core {core}"
    except (AttributeError, OSError):
        return "unpinned"


def new_rule(pair: dict[str, Any]) -> bool:
    """The verifier: supported when every claim sentence is (a plain document is split here,
    so the timing includes sentence splitting).
    """
    document = pair.get("document")
    evidence = split_document(document) if isinstance(document, str) else pair["evidence"]
    verdicts = verify_text(pair["claim"], evidence)
    return bool(verdicts) and all(v.verdict == "supported" for _, v in verdicts)


def old_rule(pair: dict[str, Any]) -> bool:
    """The old coverage rule."""
    document = " ".join(text for _, text in pair["evidence"])
    sentences = split_sentences(pair["claim"])
    return bool(sentences) and min(coverage(s, [document]) for s in sentences) >= OLD_CUT


def measure(pairs: Sequence[dict[str, Any]], rule: Any) -> dict[str, float]:
    """Balanced accuracy, precision, recall of supported, ms per pair, for one rule."""
    labels = [int(p["label"]) for p in pairs]
    start = time.perf_counter()
    pred = [rule(p) for p in pairs]
    elapsed = time.perf_counter() - start
    ba, precision, recall = balanced(pred, labels)
    return {"ba": ba, "precision": precision, "recall": recall,
            "ms": 1000 * elapsed / max(len(pairs), 1), "n": len(pairs),
            "positives": sum(labels)}  # fmt: skip


def run(labelled: Path, parts: Sequence[str]) -> dict[str, dict[str, dict[str, float]]]:
    """The figures of every available part."""
    results = {}
    for name in parts:
        pairs = load_part(name, labelled)
        if pairs:
            results[name] = {"new": measure(pairs, new_rule), "old": measure(pairs, old_rule)}
    return results


def table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    """A plain-text table of the results."""
    head = (f"{'part':<11} {'pairs':>5} {'pos':>4} | {'rule':<8} {'bal.acc':>7} "
            f"{'prec(sup)':>9} {'rec(sup)':>8} {'ms/pair':>8}")  # fmt: skip
    lines = [head, "-" * len(head)]
    for name, rules in results.items():
        for rule in ("old", "new"):
            r = rules[rule]
            label = "verifier" if rule == "new" else "old 0.5"
            lines.append(f"{name:<11} {r['n']:>5} {r['positives']:>4} | {label:<8} "
                         f"{r['ba']:>7.3f} {r['precision']:>9.3f} {r['recall']:>8.3f} "
                         f"{r['ms']:>8.2f}")  # fmt: skip
    return "\n".join(lines)


def fit_record(path: Path = THRESHOLDS_PATH) -> dict[str, Any]:
    """The fit's record of the thresholds file (empty when absent or unreadable)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8")).get("fitted_on", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return record if isinstance(record, dict) else {}


def cv_table(results: dict[str, dict[str, dict[str, float]]], record: dict[str, Any]) -> str:
    """The fit's cross-validated figures beside this run's in-sample ones, per fitted part."""
    cv = record.get("cv") or {}
    if not cv:
        return "no cross-validated figures recorded (python -m evals.faithfulness.fit)"
    folds = record.get("cv_folds", "?")
    head = (f"{'fitted part':<11} | {'in-sample (this run)':<26} | "
            f"cross-validated ({folds} folds, by document)")  # fmt: skip
    lines = [head, f"{'':<11} | {'bal.acc  prec  rec':<26} | bal.acc  prec  rec", "-" * len(head)]
    for name, (ba, precision, recall) in cv.items():
        live = results.get(name, {}).get("new")
        here = (f"{live['ba']:.3f}  {live['precision']:.3f} {live['recall']:.3f}"
                if live else "not run")  # fmt: skip
        lines.append(f"{name:<11} | {here:<26} | {ba:.3f}  {precision:.3f} {recall:.3f}")
    held = [n for n in results if n not in cv]
    if held:
        lines.append(f"held out of the fit (figures above are held-out): {', '.join(held)}")
    either = record.get("cv_supported_or_partial") or {}
    if either:
        lines.append("'supported' or 'partial' as the positive call (partial: a paraphrase to "
                     "check), cross-validated:")  # fmt: skip
        lines += [f"{name:<11} | {ba:.3f}  {precision:.3f} {recall:.3f}"
                  for name, (ba, precision, recall) in either.items()]  # fmt: skip
    return "\n".join(lines)


def gate(results: dict[str, dict[str, dict[str, float]]], path: Path) -> list[str]:
    """The figures of the verifier under the minimums of the gate file, as messages."""
    from agent.tomlfile import load_toml

    limits = load_toml(path, "gate file")
    names = {"balanced_accuracy": "ba", "precision": "precision", "recall": "recall"}
    failures = []
    for part, minimums in limits.items():
        if part not in results:
            print(f"gate: part {part} not available here; skipped")
            continue
        for metric, minimum in minimums.items():
            value = results[part]["new"][names[metric]]
            if value < float(minimum):
                failures.append(f"{part}: {metric} = {value:.3f}, under the minimum {minimum}")
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    """Print the benchmark table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labelled", type=Path, default=LABELLED, help="hand-labelled pairs")
    parser.add_argument("--parts", nargs="*", default=["synthetic", "labelled", *DEV_PARTS])
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--gate", type=Path, help="TOML minimums per part; exit 5 when one fails")
    args = parser.parse_args(argv)
    pinned = _one_core()
    results = run(args.labelled, args.parts)
    if not results:
        print("no part available")
        return 1
    print(table(results))
    record = fit_record()
    print()
    print(cv_table(results, record))
    timed = [r["new"] for r in results.values()]
    total_ms = sum(r["ms"] * r["n"] for r in timed)
    total_n = sum(r["n"] for r in timed)
    print(f"verifier throughput: {1000 * total_n / total_ms:.0f} pairs/s on one core "
          f"({pinned}, {total_n} pairs)")  # fmt: skip
    if args.json:
        print(json.dumps({**results, "cross_validated": record.get("cv", {})}, indent=2))
    if args.gate:
        failures = gate(results, args.gate)
        for line in failures:
            print(f"gate: {line}")
        if failures:
            return 5
        print(f"gate: every figure of {args.gate} holds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
