"""`newsbrief eval`: score the pipeline on evaluation sets, beside the no-model baseline.

    newsbrief eval                                  # evals/sets/* (+ the benchmark file)
    newsbrief eval --backend replay --thresholds evals/thresholds.toml
    newsbrief eval evals/sets/seeds --backend local --record-dir evals/recordings
    newsbrief eval --check-set evals/sets/seeds     # validate a set's gold.json only

Exit codes: 0 ok; 2 bad usage, a bad set or thresholds file; 5 a metric fell short of its
threshold (each named on stderr); 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, NewsbriefError
from ..evaluate.report import (
    build_result,
    compare,
    load_result,
    render_console,
    system_values,
    write_outputs,
)
from ..evaluate.runner import BackendSpec, SetResult, evaluate_set
from ..evaluate.sets import EvalSet, SetError, load_any, load_benchmark, load_set_dir
from ..evaluate.thresholds import check_thresholds, load_thresholds
from ..llm.factory import BACKEND_NAMES
from ..text.sanitize import say

EXIT_THRESHOLD = 5  # a metric fell short of its threshold
DEFAULT_SETS_DIR = Path("evals/sets")
DEFAULT_BENCHMARK = Path("../shared/evalsets/benchmark-dev.jsonl")
DEFAULT_RECORDINGS = Path("evals/recordings")


def add_eval_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `eval` sub-command to an argparse subparsers object."""
    p = subparsers.add_parser(
        "eval",
        help="score the pipeline on evaluation sets (with a no-model baseline)",
        description="Run newsbrief on evaluation sets and score it against gold labels, beside the "
        "no-model baseline. Exit 5 when a metric falls short of --thresholds.",
    )
    p.add_argument(
        "sets",
        nargs="*",
        metavar="SET",
        help=f"set folders (with gold.json) or a benchmark .jsonl file; default: "
        f"{DEFAULT_SETS_DIR}/* "
        f"and {DEFAULT_BENCHMARK} when present",
    )
    p.add_argument(
        "--backend",
        choices=BACKEND_NAMES,
        default="local",
        help="model backend; 'none' runs only the no-model baseline (default: local)",
    )
    p.add_argument("--model", help="model name (openai) or GGUF path (local)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint URL (openai backend)")
    p.add_argument(
        "--replay-dir",
        help=f"recordings to replay, one folder per set (default: {DEFAULT_RECORDINGS})",
    )
    p.add_argument("--record-dir", help="record every model response here, one folder per set")
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run the model N times; report mean and spread",
    )
    p.add_argument(
        "--thresholds",
        metavar="FILE",
        help="TOML file of per-metric limits (e.g. evals/thresholds.toml)",
    )
    p.add_argument(
        "--compare",
        metavar="OLD_JSON",
        help="print the change per metric against an earlier result.json",
    )
    p.add_argument("--out", metavar="DIR", help="write result.json and report.md here")
    p.add_argument(
        "--labels",
        metavar="FILE",
        help="labels for a benchmark .jsonl (default: evals/labels/<name>.json)",
    )
    p.add_argument(
        "--check-set",
        action="append",
        metavar="PATH",
        help="only validate a set folder or benchmark file and its labels (repeatable)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=run_eval_command)
    return p


def _err(message: str) -> None:
    say(f"newsbrief eval: {message}")


# --------------------------------------------------------------------------- --check-set


def _describe(evalset: EvalSet) -> str:
    gold = evalset.gold
    if gold is None:
        return f"{evalset.name}: {len(evalset.inputs)} articles, no labels"
    facts = sum(len(a.key_facts or []) for a in gold.articles)
    quotes = sum(len(a.quotes or []) for a in gold.articles)
    return (
        f"{evalset.name}: ok ({len(evalset.inputs)} articles; key facts: {facts}, quotes: "
        f"{quotes}, "
        f"conflicts: {len(gold.conflicts or [])}, timeline entries: {len(gold.timeline or [])})"
    )


def check_sets(paths: list[str], labels: str | None) -> int:
    status = EXIT_OK
    for path in paths:
        try:
            for evalset in load_any(path, labels):
                print(_describe(evalset))
        except SetError as exc:
            status = EXIT_USAGE
            for problem in exc.problems:
                print(f"{exc.origin}: {problem}")
    return status


# --------------------------------------------------------------------------- running


def _default_paths() -> tuple[list[str], list[str]]:
    paths = sorted(str(p) for p in DEFAULT_SETS_DIR.glob("*") if (p / "gold.json").is_file())
    skipped = []
    if DEFAULT_BENCHMARK.is_file():
        paths.append(str(DEFAULT_BENCHMARK))
    else:
        skipped.append(
            f"benchmark {DEFAULT_BENCHMARK} not found (it lives beside the checkout); skipped"
        )
    return paths, skipped


def _load_sets(paths: list[str], labels: str | None) -> tuple[list[EvalSet], list[str]]:
    sets: list[EvalSet] = []
    skipped: list[str] = []
    for path in paths:
        target = Path(path)
        if target.suffix == ".jsonl" and not target.exists():
            skipped.append(f"benchmark {path} not found; skipped")
            continue
        sets += (
            load_benchmark(target, labels) if target.suffix == ".jsonl" else [load_set_dir(target)]
        )
    return sets, skipped


def _spec(args: argparse.Namespace) -> BackendSpec:
    replay_dir = args.replay_dir or (str(DEFAULT_RECORDINGS) if args.backend == "replay" else None)
    return BackendSpec(
        args.backend,
        model=args.model,
        base_url=args.base_url,
        replay_dir=replay_dir,
        record_dir=args.record_dir,
    )


def _gate(args: argparse.Namespace, result: dict[str, Any]) -> dict[str, Any] | None:
    if not args.thresholds:
        return None
    thresholds = load_thresholds(args.thresholds)
    per_set = {s["name"]: system_values(result, s) for s in result["sets"]}
    failures, notes = check_thresholds(thresholds, system_values(result), per_set)
    return {
        "thresholds": args.thresholds,
        "passed": not failures,
        "failures": [f.as_dict() for f in failures],
        "notes": notes,
        "messages": [f.message() for f in failures],
    }


def _evaluate(args: argparse.Namespace) -> int:
    if args.repeat < 1:
        raise SetError("--repeat", ["must be 1 or more"])
    if args.thresholds:
        load_thresholds(args.thresholds)  # fail on a bad file before any model runs
    paths, skipped = (args.sets, []) if args.sets else _default_paths()
    sets, more_skipped = _load_sets(paths, args.labels)
    skipped += more_skipped
    for message in skipped:
        _err(message)
    if not sets:
        _err("no evaluation set to run")
        return EXIT_USAGE
    spec = _spec(args)
    log = (lambda message: None) if args.quiet else say
    results: list[SetResult] = [evaluate_set(s, spec, args.repeat, None, log) for s in sets]
    model_name = next((r.model_name for r in results if r.model_name), args.model)
    result = build_result(results, args.backend, model_name, args.repeat, skipped=skipped)
    result["gate"] = _gate(args, result)
    print(render_console(result))
    if args.compare:
        print()
        print(compare(load_result(args.compare), result))
    if args.out:
        json_path, md_path = write_outputs(result, args.out)
        _err(f"wrote {json_path} and {md_path}")
    gate = result["gate"]
    if gate and not gate["passed"]:
        for message in gate["messages"]:
            _err(f"below threshold: {message}")
        return EXIT_THRESHOLD
    return EXIT_OK


def run_eval_command(args: argparse.Namespace) -> int:
    """Run `newsbrief eval` from parsed arguments; returns the exit code."""
    try:
        if args.check_set:
            return check_sets(args.check_set, args.labels)
        return _evaluate(args)
    except SetError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except NewsbriefError as exc:
        _err(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_INTERRUPTED


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point: `python -m agent.evaluate.cli ...` (as `newsbrief eval ...`)."""
    parser = argparse.ArgumentParser(prog="newsbrief")
    add_eval_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return run_eval_command(args)


if __name__ == "__main__":
    sys.exit(main())
