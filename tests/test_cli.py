"""The command line: help, schema, exit codes, formats and one-line errors (real subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent.schemas import StoryBrief

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "examples" / "syria"


def run(
    *args: str, stdin: bytes | None = None, env: dict | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agent", *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )


def test_help_explains_commands_and_exit_codes():
    top = run("--help")
    assert top.returncode == 0
    out = top.stdout.decode()
    for word in ("summarize", "schema", "eval", "exit codes"):
        assert word in out
    sub = run("summarize", "--help").stdout.decode()
    for option in (
        "--backend",
        "--model",
        "--base-url",
        "--out",
        "--format",
        "--concurrency",
        "--run-dir",
    ):
        assert option in sub


def test_schema_is_a_json_schema_of_the_story_brief():
    result = run("schema")
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    assert doc["title"] == "StoryBrief"
    assert doc["x-newsbrief-schema-version"] == StoryBrief.model_fields["schema_version"].default
    assert "ArticleBrief" in doc["$defs"]
    both = json.loads(run("schema", "--model", "all").stdout)
    assert set(both) >= {"StoryBrief", "ArticleBrief", "schema_version"}


def test_missing_file_is_one_line_usage_error():
    result = run("summarize", "no/such/file.txt", "--backend", "none")
    assert result.returncode == 2
    err = result.stderr.decode().strip()
    assert err.startswith("newsbrief: error:") and "no/such/file.txt" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_no_input_is_usage_error():
    result = run("summarize", "--backend", "none", stdin=b"")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr.decode()
    assert "newsbrief: error:" in result.stderr.decode()


def test_bad_option_is_usage_error():
    result = run("summarize", str(SEEDS), "--format", "pdf")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr.decode()


def test_code_only_run_writes_valid_json_and_markdown(tmp_path):
    out = tmp_path / "brief.json"
    result = run("summarize", str(SEEDS), "--backend", "none", "--out", str(out))
    assert result.returncode == 0, result.stderr.decode()
    brief = StoryBrief.model_validate_json(out.read_text())
    assert [a.article_id for a in brief.articles] == ["a1", "a2", "a3", "a4", "a5"]
    md = run("summarize", str(SEEDS), "--backend", "none", "--format", "md")
    assert md.returncode == 0
    text = md.stdout.decode()
    assert text.startswith("# ") and "## Sources" in text and "### a1:" in text


def test_stdin_jsonl_is_read():
    lines = [
        json.dumps(
            {
                "text": "The council approved the budget on Monday. The mayor said it was fair.",
                "title": "Budget approved",
                "outlet": "Town Post",
                "date": "2024-03-06",
            }
        )
    ]
    result = run("summarize", "-", "--backend", "none", stdin="\n".join(lines).encode())
    assert result.returncode == 0, result.stderr.decode()
    brief = StoryBrief.model_validate_json(result.stdout)
    assert brief.articles[0].outlet == "Town Post"
    assert "one article" in " ".join(brief.run.warnings)
    assert brief.consensus == [] and brief.conflicts == []


@pytest.mark.model
def test_partial_exit_code_when_one_article_fails(fault_server, tmp_path):
    # The first article's three attempts get invalid JSON; every later request gets a valid reply.
    script = ["invalid_json", "invalid_json", "invalid_json"]
    with fault_server(script=script, default="ok", text_length=30) as server:
        result = run(
            "summarize",
            str(SEEDS / "000_49e27517a55b56c3.txt"),
            str(SEEDS / "001_eb04f12f6c57fad3.txt"),
            "--backend",
            "openai",
            "--base-url",
            server.base_url,
            "--model",
            "scripted",
            "--concurrency",
            "1",
            "--out",
            str(tmp_path / "b.json"),
        )
    assert result.returncode == 3, result.stderr.decode()
    brief = StoryBrief.model_validate_json((tmp_path / "b.json").read_text())
    failed = [a for a in brief.articles if a.error]
    assert (
        len(failed) == 1
        and failed[0].error.kind == "invalid_json"
        and failed[0].error.attempts == 3
    )
    assert failed[0].summary_origin == "code"
