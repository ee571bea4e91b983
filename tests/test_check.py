"""`newsbrief check` (real subprocesses), `check_claims` in the API, and the `check_claims`
MCP tool through the real MCP client: the verifier as a product."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent import check_claims
from agent.errors import InputError
from agent.grounding.check import TextCheck

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "examples" / "syria"
SHARED = ROOT.parent / "shared" / "faithfulness"

TRUE = (
    "The United States and Russia have agreed to carry out joint air strikes in Syria if a "
    "newly agreed ceasefire holds for a week, Lavrov said on Friday."
)
FLIPPED = (
    "The United States and Russia have agreed to carry out joint air strikes in Syria if a "
    "truce is not fully met."
)
INVENTED = "Russia and the US are going to meet in Damascus on Wednesday."


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agent", "check", *args],
        input=stdin,
        capture_output=True,
        timeout=300,
        cwd=ROOT,
        env=os.environ.copy(),
    )


def test_a_draft_gets_a_verdict_per_sentence_and_exit_3_when_one_fails(tmp_path: Path) -> None:
    draft = tmp_path / "draft.md"
    draft.write_text(f"{TRUE} {FLIPPED}\n\n- {INVENTED}\n", encoding="utf-8")
    done = run(str(draft), "--sources", str(SEEDS), "--format", "json")
    assert done.returncode == 3, done.stderr.decode()
    result = TextCheck.model_validate_json(done.stdout)
    verdicts = {s.sentence: s for s in result.sentences}
    assert verdicts[TRUE].verdict == "supported" and verdicts[TRUE].evidence
    assert verdicts[FLIPPED].verdict in ("contradicted", "unsupported")
    assert any("negation" in r or "not" in r for r in verdicts[FLIPPED].reasons)
    assert verdicts[INVENTED].verdict == "unsupported"
    assert any("damascus" in r.lower() for r in verdicts[INVENTED].reasons)
    assert all(sid in result.evidence_text for s in result.sentences for sid in s.evidence)
    md = run(str(draft), "--sources", str(SEEDS))
    assert md.returncode == 3 and b"**supported**" in md.stdout and b"## Evidence" in md.stdout


def test_a_supported_draft_exits_0_from_stdin() -> None:
    done = run("-", "--sources", str(SEEDS), stdin=TRUE.encode())
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    assert b"1 supported" in done.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (["--sources", "examples/syria"], None, "DRAFT"),
        (["missing.md", "--sources", "examples/syria"], None, "no such file"),
        (["-", "--sources", "examples/syria"], b"   \n", "empty"),
        (["-", "--sources", "no/such/dir"], TRUE.encode(), "no/such/dir"),
        (["-", "--sources", "examples/syria"], b"\x00\x01\x02binary\x00" * 50, "binary"),
        (["--pairs", "no/such.jsonl"], None, "cannot read"),
    ],
)
def test_bad_input_is_exit_2_in_one_line(args: list[str], stdin: bytes | None, needle: str) -> None:
    done = run(*args, stdin=stdin)
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert needle in err and "Traceback" not in err


def test_pairs_give_one_record_per_line_in_order(tmp_path: Path) -> None:
    document = " ".join(
        [
            "The council approved the new bridge on Tuesday.",
            "Work will start in May, the mayor said.",
        ]
    )
    lines = [
        json.dumps({"id": "a", "claim": "The council approved the bridge.", "document": document}),
        "not json",
        "",
        json.dumps(
            {"id": 7, "claim": "The council rejected the bridge.", "document": document, "label": 1}
        ),
    ]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = run("--pairs", str(pairs), "--out", str(out))
    assert done.returncode == 0, done.stderr.decode()
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == ["a", None, None, 7]
    assert all(set(r) == {"id", "verdict", "score", "evidence", "reasons"} for r in records)
    assert records[0]["verdict"] == "supported" and records[3]["verdict"] != "supported"
    assert records[1]["verdict"] == "unsupported" and "malformed" in records[1]["reasons"][0]


@pytest.mark.skipif(not (SHARED / "xsumfaith-dev.jsonl").is_file(), reason="../shared absent")
def test_pairs_over_the_shared_development_set(tmp_path: Path) -> None:
    source = SHARED / "xsumfaith-dev.jsonl"
    out = tmp_path / "out.jsonl"
    done = run("--pairs", str(source), "--out", str(out))
    assert done.returncode == 0, done.stderr.decode()
    given = source.read_text(encoding="utf-8").splitlines()
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(got) == len(given)
    assert [r["id"] for r in got] == [json.loads(line)["id"] for line in given]
    assert {r["verdict"] for r in got} <= {"supported", "partial", "unsupported", "contradicted"}


def test_check_claims_in_the_api() -> None:
    result = check_claims(f"{TRUE} {INVENTED}", sorted(SEEDS.glob("*.txt")))
    assert [s.verdict for s in result.sentences] == ["supported", "unsupported"]
    assert result.counts["supported"] == 1 and not result.all_supported
    with pytest.raises(InputError):
        check_claims("   ", [str(SEEDS)])


def test_check_claims_through_the_mcp_server() -> None:
    pytest.importorskip("mcp")
    from test_mcp import _text, run_session

    seen: dict[str, object] = {}

    async def check(session) -> None:
        seen["result"] = await session.call_tool(
            "check_claims", {"text": f"{TRUE} {INVENTED}", "articles": [str(SEEDS)]}
        )

    run_session(check, "--backend", "none", "--root", str(SEEDS))
    result = seen["result"]
    assert not result.is_error, _text(result)  # type: ignore[attr-defined]
    data = TextCheck.model_validate(result.structured_content)  # type: ignore[attr-defined]
    assert [s.verdict for s in data.sentences] == ["supported", "unsupported"]
    assert "**unsupported**" in _text(result)
