"""`run_batch`: many stories, one failing alone, resume with nothing redone, faults over HTTP.

Stories are invented here; the model side is `backend="none"` (code only) or the real openai
backend talking HTTP to the fault-injecting server on 127.0.0.1."""

from __future__ import annotations

import json
import random
from pathlib import Path

from agent import Settings
from agent.devtools.fault_server import FAULT_KINDS, FaultServer
from agent.schemas import StoryBrief
from agent.stories.batch import run_batch

TOWNS = ["Port Elms", "Brackwater", "Lindale", "Carrow", "Feldham"]


def article(story: int, k: int) -> dict[str, str]:
    town = TOWNS[story % len(TOWNS)]
    return {
        "title": f"New ferry terminal {k} opens in {town}",
        "source": f"Gazette {k}",
        "date": f"2025-04-0{k + 1}",
        "text": (
            f"The new ferry terminal in {town} opened on Monday after {story + 2} years of work, "
            f"the port authority said. It cost {12 + story} million pounds and serves about "
            f"{1000 * (k + 3)} passengers a day. Harbour master Ilse Varn {k} said the crossing "
            f"would now take {20 + k} minutes. Critics said the car park was too small."
        ),
    }


def write_batch(
    path: Path, stories: int, *, bad: int | None = None, articles: int = 2
) -> list[str]:
    ids = []
    with path.open("w", encoding="utf-8") as handle:
        for s in range(stories):
            items = [article(s, k) for k in range(articles)]
            if s == bad:
                items[1] = {"title": "No body", "text": ""}  # an article without text
            ids.append(f"story-{s}")
            handle.write(json.dumps({"id": ids[-1], "articles": items}) + "\n")
    return ids


def _settings(server: FaultServer, **extra: object) -> Settings:
    """Settings for the openai backend at the fault server."""
    return Settings(
        backend="openai",
        base_url=server.base_url,
        api_key="sk-test-batch",
        model="fault-model",
        **extra,  # type: ignore[arg-type]
    )


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_one_brief_per_story_and_a_bad_story_fails_alone(tmp_path: Path) -> None:
    ids = write_batch(tmp_path / "in.jsonl", 4, bad=2)
    out = tmp_path / "briefs.jsonl"
    summary = run_batch(
        tmp_path / "in.jsonl",
        settings=Settings(backend="none"),
        out=out,
        concurrency=3,
        progress=None,
    )
    got = {r["id"]: r for r in records(out)}
    assert sorted(got) == sorted(ids)
    assert got["story-2"]["status"] == "failed" and got["story-2"]["brief"] is None
    assert (
        got["story-2"]["error"]["type"] == "InputError"
        and "text" in got["story-2"]["error"]["message"]
    )
    for story_id in ("story-0", "story-1", "story-3"):
        assert got[story_id]["status"] == "ok" and got[story_id]["error"] is None
        brief = StoryBrief.model_validate(got[story_id]["brief"])
        assert len(brief.articles) == 2 and brief.headline
    assert (summary.ok, summary.partial, summary.failed, summary.skipped) == (3, 0, 1, 0)


def test_folder_output_has_json_md_and_index(tmp_path: Path) -> None:
    write_batch(tmp_path / "in.jsonl", 3)
    out = tmp_path / "briefs"
    run_batch(tmp_path / "in.jsonl", settings=Settings(backend="none"), out=out, progress=None)
    for s in range(3):
        record = json.loads((out / f"story-{s}.json").read_text(encoding="utf-8"))
        assert record["status"] == "ok" and record["brief"]["headline"]
        assert record["brief"]["headline"] in (out / f"story-{s}.md").read_text(encoding="utf-8")
    index = (out / "index.md").read_text(encoding="utf-8")
    assert all(f"[story-{s}](story-{s}.md)" in index for s in range(3))


def test_resume_after_a_partial_run_redoes_nothing(tmp_path: Path) -> None:
    write_batch(tmp_path / "in.jsonl", 4)
    out = tmp_path / "briefs"
    settings = Settings(backend="none")
    run_batch(tmp_path / "in.jsonl", settings=settings, out=out, progress=None)
    (out / "story-1.json").unlink()  # as if killed before these two were written
    (out / "story-3.json").unlink()
    (out / ".story-3.json.123.tmp").write_text(
        '{"id": "story-3", "sta', encoding="utf-8"
    )  # torn temp file
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("story-*.json")}
    summary = run_batch(tmp_path / "in.jsonl", settings=settings, out=out, progress=None)
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("story-*.json")}
    assert sorted(after) == [f"story-{s}.json" for s in range(4)]
    assert all(after[name] == stamp for name, stamp in before.items())  # finished ones untouched
    assert (summary.skipped, summary.done) == (2, 2)


def test_faults_over_http_every_story_ends_ok_or_typed_and_resume_sends_nothing_twice(
    tmp_path: Path,
) -> None:
    ids = write_batch(tmp_path / "in.jsonl", 5)
    out = tmp_path / "briefs.jsonl"
    draw = random.Random(7)

    def script(body: dict, n: int) -> str:
        """30% random faults; story-3's first article always fails its schema (a partial)."""
        text = json.dumps(body["messages"])
        if "terminal in Carrow" in text and "Varn 0 said" in text and "several reports" not in text:
            return "schema_fail"  # every attempt and re-ask of that article call
        return draw.choice(FAULT_KINDS) if draw.random() < 0.3 else "ok"

    with FaultServer(script, text_length=24, max_requests=5000) as server:
        settings = _settings(server, timeout=3, concurrency=2)
        run_batch(tmp_path / "in.jsonl", settings=settings, out=out, concurrency=3, progress=None)
        chats = [r for r in server.requests if r["path"].endswith("/chat/completions")]
        assert {r["step"] for r in chats} - {"ok"}, "the seed should produce faults"
    got = {r["id"]: r for r in records(out)}
    assert sorted(got) == sorted(ids)  # none lost
    allowed = {"invalid_json", "schema", "length", "empty", "transport"}
    for record in got.values():
        assert record["status"] in ("ok", "partial", "failed")
        if record["status"] == "failed":
            assert record["error"]["type"] and record["error"]["message"]
        else:
            StoryBrief.model_validate(record["brief"])
            assert all(e["kind"] in allowed for e in record["errors"])
            assert (record["status"] == "partial") == bool(record["errors"])
    assert got["story-3"]["status"] == "partial"
    assert [e["kind"] for e in got["story-3"]["errors"]] == ["schema"]

    # A clean server counts calls: keep two finished lines plus half of a third (a kill
    # mid-write), rerun, and only the three missing stories reach the server.
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(lines[:2]) + lines[2][: len(lines[2]) // 2], encoding="utf-8")
    kept = [json.loads(line)["id"] for line in lines[:2]]
    with FaultServer(text_length=24) as server:
        settings = settings.with_overrides(base_url=server.base_url)
        summary = run_batch(
            tmp_path / "in.jsonl", settings=settings, out=out, concurrency=3, progress=None
        )
        chats = [r for r in server.requests if r["path"].endswith("/chat/completions")]
    assert (summary.skipped, summary.done) == (2, 3)
    assert len(chats) == 3 * (2 + 1)  # two article calls and one synthesis per redone story
    prompts = " ".join(json.dumps(r["json"]["messages"]) for r in chats)
    for story_id in kept:  # the kept stories' texts were not sent again
        town = TOWNS[int(story_id.split("-")[1]) % len(TOWNS)]
        assert f"terminal in {town}" not in prompts
    final = records(out)
    assert sorted(r["id"] for r in final) == sorted(ids) and len(final) == 5


def _held_batch(tmp_path: Path, max_calls: int | None) -> tuple[int, object]:
    """Six stories in flight, three calls each at once, every reply held 0.3 s at the
    server: (the most calls the server answered at once, the batch summary)."""
    write_batch(tmp_path / "in.jsonl", 6)
    hold = {"kind": "hang", "seconds": 0.3}  # each reply waits, so calls pile up if allowed
    with FaultServer(lambda body, n: hold, text_length=24) as server:
        settings = _settings(server, concurrency=3)
        summary = run_batch(
            tmp_path / "in.jsonl",
            settings=settings,
            out=tmp_path / "briefs.jsonl",
            concurrency=6,
            max_calls=max_calls,
            progress=None,
        )
        return server.peak_in_flight, summary


def test_max_calls_bounds_the_calls_in_flight_across_stories(tmp_path: Path) -> None:
    peak, summary = _held_batch(tmp_path, 4)
    assert peak == 4  # full, never over
    assert summary.done == 6  # type: ignore[attr-defined]
    got = records(tmp_path / "briefs.jsonl")
    assert sorted(r["id"] for r in got) == [f"story-{s}" for s in range(6)]
    assert all(r["status"] == "ok" for r in got)


def test_without_max_calls_the_same_batch_has_more_in_flight(tmp_path: Path) -> None:
    peak, _ = _held_batch(tmp_path, None)
    assert peak > 4
