"""Evaluation results as JSON (`result.json`), Markdown (`report.md`) and a console table,
and the comparison of two results.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import InputError
from .metrics import METRICS
from .runner import SetResult, overall

RESULT_FORMAT = "newsbrief-eval/1"
_SHOWN = [m for m in METRICS if m not in ("prompt_tokens", "completion_tokens")]


def build_result(
    results: list[SetResult],
    backend: str,
    model: str | None,
    repeat: int,
    gate: dict[str, Any] | None = None,
    skipped: list[str] | None = None,
) -> dict[str, Any]:
    has_model = any(r.model is not None for r in results)
    return {
        "format": RESULT_FORMAT,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "tool_version": __version__,
        "backend": backend,
        "model": model,
        "repeat": repeat,
        "skipped": skipped or [],
        "overall": {
            "model": overall(results, "model") if has_model else None,
            "baseline": overall(results, "baseline"),
        },
        "sets": [
            {
                "name": r.name,
                "origin": r.origin,
                "articles": r.articles,
                "labelled": r.labelled,
                "notes": r.notes,
                "errors": r.errors,
                "model": r.model,
                "baseline": r.baseline,
                "details": r.details,
            }
            for r in results
        ],
        "gate": gate,
    }


def system_values(
    result: dict[str, Any], set_entry: dict[str, Any] | None = None
) -> dict[str, float | None]:
    """The values of the evaluated system.

    The model's means, or the baseline's when no model ran.
    """
    if result["overall"]["model"] is None:
        return result["overall"]["baseline"] if set_entry is None else set_entry["baseline"]
    if set_entry is None:
        return result["overall"]["model"]
    return {name: stats["mean"] for name, stats in (set_entry.get("model") or {}).items()}


def _fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3f}"


def _change(new: float | None, old: float | None) -> str:
    if new is None or old is None:
        return ""
    return f"{new - old:+.3f}"


def _metric_rows(
    model: dict[str, Any] | None, baseline: dict[str, float | None], spread: bool
) -> list[str]:
    rows = ["| metric | model | baseline | model - baseline |", "|---|---|---|---|"]
    for name in _SHOWN:
        base = baseline.get(name)
        if model is None:
            if base is not None:
                rows.append(f"| {name} | | {_fmt(base)} | |")
            continue
        stats = model.get(name)
        mean = stats["mean"] if isinstance(stats, dict) else stats
        if mean is None and base is None:
            continue
        text = _fmt(mean)
        if spread and isinstance(stats, dict) and stats.get("n", 0) > 1:
            text += f" ± {stats['sd']:.3f}"
        rows.append(f"| {name} | {text} | {_fmt(base)} | {_change(mean, base)} |")
    return rows


def _fact_rows(details: dict[str, Any]) -> list[str]:
    model = {d["id"]: d for d in details.get("model", {}).get("key_fact_recall", [])}
    base = {d["id"]: d for d in details.get("baseline", {}).get("key_fact_recall", [])}
    if not base:
        return []

    def cell(d: dict[str, Any] | None) -> str:
        if d is None:
            return ""
        return (
            f"found by {d['by']} ({d['rule']}, {d['overlap']:.2f})" if d["found"] else "**missed**"
        )

    rows = [
        "",
        "Key facts (a fact is found by a cited item with overlap >= 0.3, or any item with overlap "
        ">= 0.5):",
        "",
        "| fact | model | baseline |",
        "|---|---|---|",
    ]
    for fact_id, b in base.items():
        text = b["text"].replace("|", "/")
        rows.append(
            f"| {fact_id} {text} | {cell(model.get(fact_id)) if model else ''} | {cell(b)} |"
        )
    return rows


def _issue_rows(details: dict[str, Any], system: str) -> list[str]:
    d = details.get(system, {})
    rows: list[str] = []
    quotes = [q for q in d.get("quote_fidelity", []) if not q.get("faithful")]
    rows += [
        f"- quote {q['article']} ({q['speaker']}): "
        + (
            "missing"
            if not q["found"]
            else f"verbatim={q['verbatim']}, speaker={q.get('output_speaker')!r}"
        )
        for q in quotes
    ]
    rows += [
        f"- figure {f['article']} {f['value_text']} ({f['counts']}): missing"
        for f in d.get("figure_accuracy", [])
        if not f.get("found")
    ]
    rows += [
        f"- conflict '{c['topic']}': missing"
        for c in d.get("conflict_recall", [])
        if c.get("found") is False
    ]
    rows += [
        f"- timeline '{t['what'][:70]}': gold {t['gold_date']}, output "
        f"{t['output_dates'] or 'none'}"
        for t in d.get("timeline_date_accuracy", [])
        if not t["date_right"]
    ]
    rows += [
        f"- leak in {x['where']}: {x['matched']!r}" for x in d.get("boilerplate_leak_rate", [])
    ]
    rows += [f"- hijack text reached the output: {x['leaked']!r}" for x in d.get("hijack_leak", [])]
    rows += [
        f"- not a labelled fact: {x['where']} (overlap {x['overlap']:.2f}): {x['text'][:90]}"
        for x in d.get("statement_gold_rate", [])[:8]
    ]
    return rows


def render_markdown(result: dict[str, Any]) -> str:
    lines = [
        f"# newsbrief evaluation ({result['created']})",
        "",
        f"backend: `{result['backend']}`, model: `{result['model'] or 'n/a'}`, "
        f"repeat: {result['repeat']}, newsbrief {result['tool_version']}",
        "",
    ]
    lines += [f"- skipped: {s}" for s in result["skipped"]]
    lines += ["", "## All sets (mean over sets)", ""]
    model_overall = result["overall"]["model"]
    lines += _metric_rows(
        {k: {"mean": v} for k, v in model_overall.items()} if model_overall else None,
        result["overall"]["baseline"],
        spread=False,
    )
    for entry in result["sets"]:
        lines += [
            "",
            f"## {entry['name']} ({entry['articles']} "
            f"articles{'' if entry['labelled'] else ', unlabelled'})",
            "",
        ]
        lines += [f"- note: {n}" for n in entry["notes"]] + [
            f"- error: {e}" for e in entry["errors"][:10]
        ]
        lines += [""] + _metric_rows(entry["model"], entry["baseline"], spread=True)
        lines += _fact_rows(entry["details"])
        for system in ("model", "baseline"):
            issues = _issue_rows(entry["details"], system)
            if issues:
                lines += ["", f"What the {system} got wrong:", ""] + issues
    gate = result.get("gate")
    if gate:
        lines += [
            "",
            "## Threshold gate",
            "",
            f"thresholds: `{gate['thresholds']}`: "
            + ("**passed**" if gate["passed"] else "**failed**"),
            "",
        ]
        lines += [
            f"- {f['scope']}: {f['metric']} = {_fmt(f['value'])} ({f['kind']} {f['limit']})"
            for f in gate["failures"]
        ]
        lines += [f"- note: {n}" for n in gate["notes"]]
    return "\n".join(lines) + "\n"


def render_console(result: dict[str, Any]) -> str:
    """A compact table.

    One row per metric, one column per set (S1, S2 ...), the mean and the baseline.
    """
    sets = result["sets"]
    labels = [f"S{i}" for i in range(1, len(sets) + 1)]
    header = f"{'metric':24}" + "".join(f"{n:>8}" for n in labels) + f"{'mean':>9}{'baseline':>10}"
    lines = [header, "-" * len(header)]
    over = system_values(result)
    for metric in _SHOWN:
        values = [system_values(result, s).get(metric) for s in sets]
        base = result["overall"]["baseline"].get(metric)
        if all(v is None for v in values) and base is None:
            continue
        lines.append(
            f"{metric:24}"
            + "".join(f"{_fmt(v):>8}" for v in values)
            + f"{_fmt(over.get(metric)):>9}{_fmt(base):>10}"
        )
    lines.append("")
    lines += [
        f"{label} = {s['name']} ({s['articles']} articles)"
        for label, s in zip(labels, sets, strict=True)
    ]
    system = (
        "baseline only (--backend none)"
        if result["overall"]["model"] is None
        else f"{result['backend']} model"
    )
    lines.append(
        f"values: {system}; mean = mean over sets; baseline = no-model baseline, mean over sets"
    )
    return "\n".join(lines)


def load_result(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"--compare: file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"--compare: {path} is not a result.json: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != RESULT_FORMAT:
        raise InputError(f"--compare: {path} is not a newsbrief eval result ({RESULT_FORMAT})")
    return data


def compare(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Per metric: old value, new value and the change, for all sets and for each set in both."""
    old_sets = {s["name"]: s for s in old["sets"]}
    scopes = [("all sets", system_values(old), system_values(new))]
    scopes += [
        (s["name"], system_values(old, old_sets[s["name"]]), system_values(new, s))
        for s in new["sets"]
        if s["name"] in old_sets
    ]
    lines = []
    for scope, before, after in scopes:
        lines.append(f"{scope}:")
        for metric in _SHOWN:
            a, b = before.get(metric), after.get(metric)
            if a is None and b is None:
                continue
            arrow = ""
            if a is not None and b is not None and a != b:
                better = (b > a) == METRICS[metric].higher_is_better
                arrow = "  better" if better else "  worse"
            lines.append(f"  {metric:24}{_fmt(a):>10} -> {_fmt(b):<10}{_change(b, a):>8}{arrow}")
    return "\n".join(lines)


def write_outputs(result: dict[str, Any], out_dir: str | Path) -> tuple[Path, Path]:
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / "result.json", folder / "report.md"
    json_path.write_text(
        json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    md_path.write_text(render_markdown(result), encoding="utf-8")
    return json_path, md_path
