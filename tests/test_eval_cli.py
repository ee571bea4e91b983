"""`newsbrief eval`: --check-set, the threshold gate, reports and --compare (no model needed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agent.cli.eval import EXIT_THRESHOLD, main
from agent.errors import ConfigError
from agent.evaluate.thresholds import Thresholds, check_thresholds, parse_thresholds

ROOT = Path(__file__).resolve().parents[1]
SETS = ROOT / "evals" / "sets"
BENCHMARK = ROOT.parent / "shared" / "evalsets" / "benchmark-dev.jsonl"
LABELS = ROOT / "evals" / "labels" / "benchmark-dev.json"


def test_check_set_accepts_the_real_sets(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "eval",
            "--check-set",
            str(SETS / "seeds"),
            "--check-set",
            str(SETS / "synthetic-outbreak"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "seeds: ok (5 articles" in out and "synthetic-outbreak: ok (8 articles" in out


def test_the_newsbrief_command_dispatches_eval(capsys: pytest.CaptureFixture[str]) -> None:
    from agent.cli import main as newsbrief

    assert newsbrief(["eval", "--check-set", str(SETS / "seeds")]) == 0
    assert "seeds: ok" in capsys.readouterr().out


@pytest.mark.skipif(not BENCHMARK.exists(), reason="benchmark file not beside the checkout")
def test_check_set_accepts_the_benchmark_labels(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["eval", "--check-set", str(BENCHMARK), "--labels", str(LABELS)])
    out = capsys.readouterr().out
    assert code == 0
    assert sum(" ok (" in line for line in out.splitlines()) >= 5


def _copy_set(tmp_path: Path) -> tuple[Path, dict]:
    folder = tmp_path / "broken"
    shutil.copytree(SETS / "synthetic-outbreak", folder)
    gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    return folder, gold


def _write(folder: Path, gold: dict) -> None:
    (folder / "gold.json").write_text(json.dumps(gold), encoding="utf-8")


def test_check_set_reports_every_text_problem_with_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, gold = _copy_set(tmp_path)
    gold["articles"][2]["key_facts"][1]["evidence"][0] = "words that are in no article"
    gold["articles"][0]["quotes"][0]["text"] = "We have enough doses for every adult"
    gold["articles"][1]["figures"][0]["value_text"] = "460"
    gold["timeline"][0]["date"] = "2024-02-30"
    gold["consensus"][0]["articles"].append("a9")
    _write(folder, gold)
    code = main(["eval", "--check-set", str(folder)])
    out = capsys.readouterr().out
    assert code == 2
    prefix = f"{folder / 'gold.json'}: "
    expected = [
        "articles[2].key_facts[1].evidence[0]: text not found in article "
        "003_harbour_online_vaccines.txt",
        "articles[0].quotes[0].text: quote not found verbatim in article 001_courier_cases.txt",
        "articles[1].figures[0].value_text: '460' is not in the evidence",
        "timeline[0].date: not a date",
        "consensus[0].articles[3]: unknown article a9",
    ]
    for problem in expected:
        assert prefix + problem in out, problem


def test_check_set_reports_schema_errors_with_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, gold = _copy_set(tmp_path)
    broken = json.loads(json.dumps(gold))
    del broken["articles"][1]["key_facts"][0]["text"]
    broken["conflicts"][0]["kind"] = "opinion"
    _write(folder, broken)
    assert main(["eval", "--check-set", str(folder)]) == 2
    out = capsys.readouterr().out
    assert "articles[1].key_facts[0].text: Field required" in out
    assert "conflicts[0].kind: Input should be 'numeric', 'claim'" in out
    gold["articles"][3]["id"] = "a7"
    _write(folder, gold)
    assert main(["eval", "--check-set", str(folder)]) == 2
    assert "articles[3].id must be 'a4'" in capsys.readouterr().out


def test_check_set_rejects_bad_json_and_unlabelled_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, gold = _copy_set(tmp_path)
    (folder / "gold.json").write_text("{not json", encoding="utf-8")
    assert main(["eval", "--check-set", str(folder)]) == 2
    assert "not valid JSON" in capsys.readouterr().out
    _write(folder, gold)
    (folder / "006_extra.txt").write_text("An article nobody labelled.\n", encoding="utf-8")
    assert main(["eval", "--check-set", str(folder)]) == 2
    assert "file 006_extra.txt" in capsys.readouterr().out


def test_threshold_gate_directions() -> None:
    limits = parse_thresholds(
        {
            "overall": {"key_fact_recall": 0.5, "hijack_leak": 0.0},
            "sets": {"seeds": {"conflict_recall": 1.0}, "absent": {"rouge1": 0.1}},
        }
    )
    ok, notes = check_thresholds(
        limits, {"key_fact_recall": 0.5, "hijack_leak": 0.0}, {"seeds": {"conflict_recall": 1.0}}
    )
    assert ok == [] and notes == ["set 'absent' did not run; its thresholds were not applied"]
    bad, _ = check_thresholds(
        limits, {"key_fact_recall": 0.49, "hijack_leak": 0.34}, {"seeds": {"conflict_recall": None}}
    )
    assert [(f.scope, f.metric) for f in bad] == [
        ("overall", "key_fact_recall"),
        ("overall", "hijack_leak"),
        ("seeds", "conflict_recall"),
    ]
    assert bad[1].message() == "overall: hijack_leak = 0.34, above the maximum 0"


def test_the_repository_thresholds_file_is_valid() -> None:
    from agent.evaluate.thresholds import load_thresholds

    limits = load_thresholds(ROOT / "evals" / "thresholds.toml")
    assert (
        limits.overall["quote_verbatim_rate"] > 0
        and limits.sets["synthetic-outbreak"]["hijack_leak"] == 0.0
    )


def test_thresholds_file_errors_are_one_line() -> None:
    with pytest.raises(ConfigError, match="unknown metric"):
        parse_thresholds({"overall": {"key_fact_recal": 0.5}}, "t.toml")
    with pytest.raises(ConfigError, match="must be a number"):
        parse_thresholds({"sets": {"seeds": {"rouge1": "high"}}}, "t.toml")
    assert parse_thresholds({}).overall == {} and isinstance(parse_thresholds({}), Thresholds)


def _run(
    args: list[str], capsys: pytest.CaptureFixture[str], extra_sets: tuple[str, ...] = ()
) -> tuple[int, str, str]:
    code = main(
        ["eval", str(SETS / "synthetic-outbreak"), *extra_sets, "--backend", "none", "-q", *args]
    )
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_gate_fails_with_exit_5_naming_each_metric(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = tmp_path / "strict.toml"
    strict.write_text(
        "[overall]\nkey_fact_recall = 0.99\n\n[sets.synthetic-outbreak]\nrougeL = 0.95\n"
        "error_rate = 0.0\n",
        encoding="utf-8",
    )
    code, _, err = _run(["--thresholds", str(strict)], capsys)
    assert code == EXIT_THRESHOLD == 5
    assert "below threshold: overall: key_fact_recall" in err
    assert "below threshold: synthetic-outbreak: rougeL" in err
    assert "error_rate" not in err


def test_gate_passes_when_every_metric_meets_its_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lenient = tmp_path / "lenient.toml"
    lenient.write_text(
        "[overall]\nkey_fact_recall = 0.1\nerror_rate = 0.0\nquote_verbatim_rate = 0.5\n",
        encoding="utf-8",
    )
    code, out, err = _run(["--thresholds", str(lenient)], capsys)
    assert code == 0, err
    assert "key_fact_recall" in out


def test_bad_thresholds_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[overall]\nkey_fact_recall = \n", encoding="utf-8")
    code, _, err = _run(["--thresholds", str(bad)], capsys)
    assert code == 2 and "invalid TOML" in err and "Traceback" not in err


def test_reports_and_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = _run(["--out", str(tmp_path / "one")], capsys)
    assert code == 0
    result = json.loads((tmp_path / "one" / "result.json").read_text(encoding="utf-8"))
    assert (
        result["format"] == "newsbrief-eval/1" and result["sets"][0]["name"] == "synthetic-outbreak"
    )
    facts = result["sets"][0]["details"]["baseline"]["key_fact_recall"]
    gold = json.loads((ROOT / "evals" / "sets" / "synthetic-outbreak" / "gold.json").read_text())
    labelled = sum(len(a.get("key_facts") or []) for a in gold["articles"])
    assert len(facts) == labelled > 0 and {"id", "found", "by", "rule"} <= set(facts[0])
    report = (tmp_path / "one" / "report.md").read_text(encoding="utf-8")
    assert "| a1.f1 " in report and "What the baseline got wrong" in report
    old = result
    old["sets"][0]["baseline"]["key_fact_recall"] -= 0.1
    (tmp_path / "old.json").write_text(json.dumps(old), encoding="utf-8")
    code, out, _ = _run(["--compare", str(tmp_path / "old.json")], capsys)
    per_set = out.split("synthetic-outbreak:")[1]
    line = next(x for x in per_set.splitlines() if x.strip().startswith("key_fact_recall"))
    assert "+0.100" in line and "better" in line


def test_missing_benchmark_is_skipped_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run([], capsys, extra_sets=(str(tmp_path / "absent.jsonl"),))
    assert code == 0 and "absent.jsonl not found; skipped" in err


def test_missing_set_folder_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", str(tmp_path / "nope"), "--backend", "none", "-q"]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
