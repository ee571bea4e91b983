"""The fault server itself: run by hand, seeded random faults, bounds, instance generation."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

from agent.devtools.fault_server import FaultServer
from agent.llm.schema_tools import example_for_pattern, example_instance
from agent.schemas import ArticleDraft, StoryBrief


def post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer sk-secret"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_command_line_prints_base_url_and_follows_the_script():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agent.devtools.fault_server",
            "--port",
            "0",
            "--script",
            '["429","ok"]',
            "--fault-rate",
            "0.3",
            "--seed",
            "1",
            "--max-lifetime",
            "30",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        assert post(base_url, body)[0] == 429
        status, reply = post(base_url, body)
        assert status == 200 and reply["choices"][0]["message"]["content"] == "{}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_fault_rate_is_seeded():
    def kinds(seed: int) -> list[str]:
        srv = FaultServer(fault_rate=0.5, seed=seed)
        try:
            return [srv.next_step({})["kind"] for _ in range(40)]
        finally:
            srv.stop()

    first = kinds(3)
    assert first == kinds(3) and first != kinds(4)
    assert 5 < first.count("ok") < 35 and set(first) - {"ok"}


def test_stops_after_max_requests():
    with FaultServer(max_requests=2) as srv:
        post(srv.base_url, {"messages": []})
        post(srv.base_url, {"messages": []})
        deadline = time.monotonic() + 5
        while srv.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not srv.running
        assert all("Authorization" not in r["headers"] for r in srv.requests)


def test_stops_after_max_lifetime():
    srv = FaultServer(max_lifetime=0.3).start()
    time.sleep(0.8)
    assert not srv.running


def test_example_instances_validate():
    assert example_for_pattern(r"^a\d+\.s\d+$") == "a1.s1"
    assert example_for_pattern(r"^a\d+$") == "a1"
    ArticleDraft.model_validate(example_instance(ArticleDraft.model_json_schema()))
    StoryBrief.model_validate(example_instance(StoryBrief.model_json_schema()))


def test_schema_in_prompt_is_found():
    schema = json.dumps(
        {
            "type": "object",
            "properties": {"id": {"type": "string", "pattern": "^a\\d+$"}},
            "required": ["id"],
        }
    )
    with FaultServer() as srv:
        status, reply = post(
            srv.base_url, {"messages": [{"role": "user", "content": f"Fill this: {schema}"}]}
        )
    assert json.loads(reply["choices"][0]["message"]["content"]) == {"id": "a1"}
