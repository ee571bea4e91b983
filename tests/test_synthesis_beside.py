"""The synthesis call goes out beside the article calls (issue 13, latency hiding).

Its request rests on code's briefs of the articles alone (headlines, aligned groups, candidate
conflicts), so it can be sent at once, and it is the same request, and the same brief comes
out, whether it goes first, beside or after the article calls. Checked over real HTTP against
the fault server, whose article replies wait one second: a synthesis request that arrives
before any article reply could have come back was sent beside them.
"""

from __future__ import annotations

import json
import re

from agent.devtools.fault_server import ok_content
from agent.ingest.article import make_article
from agent.llm.openai_backend import OpenAIBackend
from agent.pipeline.options import RunOptions
from agent.pipeline.run import summarize_articles

WAIT = 1.0  # seconds each article reply waits at the server


def _articles():
    return [
        make_article(
            f"Ferry line {i} resumes in Port Alder\n\n"
            f"The ferry line {i} to Port Alder resumed on Thursday after {i + 2} weeks of "
            f"strikes, the operator said. The strike cost {30 + i} thousand pounds a day. "
            f'"Crews are back on every crossing," harbour master Lio Brandt said of line {i}.',
            index=i,
            source=f"{i}.txt",
        )
        for i in range(1, 5)
    ]


def _kind(body: dict) -> str:
    first_user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    found = re.match(r"Article (a\d+)", first_user)
    return found.group(1) if found else "synthesis"


def _held(body: dict, n: int):
    """Article replies wait `WAIT` seconds at the server; the synthesis is answered at once."""
    return "ok" if _kind(body) == "synthesis" else {"kind": "hang", "seconds": WAIT}


def _headlined(body: dict, n: int):
    """Article replies with a headline of the model's own that the article supports (not
    its title), so a synthesis request built from the model's briefs would differ."""
    kind = _kind(body)
    if kind == "synthesis":
        return "ok"
    i = int(kind[1:])
    draft = json.loads(ok_content(body, 24))  # the server's valid reply, another headline
    draft["headline"] = f"Ferry line {i} to Port Alder back after {i + 2} weeks of strikes"
    return {"kind": "ok", "content": draft}


def _run(fault_server, script=_held, **options):
    server = fault_server(script, text_length=24)
    backend = OpenAIBackend("fault-model", base_url=server.base_url, api_key="not-needed")
    brief = summarize_articles(_articles(), backend, RunOptions(**options))
    chats = [r for r in server.requests if r["path"].endswith("/chat/completions")]
    synthesis = [r for r in chats if _kind(r["json"]) == "synthesis"]
    articles = [r for r in chats if _kind(r["json"]) != "synthesis"]
    assert len(synthesis) == 1 and len(articles) == 4
    return brief, synthesis[0], articles


def _without_timings(brief) -> dict:
    data = brief.model_dump(mode="json")
    data["run"].pop("seconds")
    for call in data["run"]["calls"]:
        call.pop("seconds")
    data["run"]["calls"].sort(key=lambda c: (c["purpose"], c.get("article_id") or ""))
    return data


def test_the_synthesis_goes_out_beside_the_article_calls(fault_server):
    brief, synthesis, articles = _run(fault_server, concurrency=10)
    assert synthesis["t"] < min(a["t"] for a in articles) + WAIT  # before any article reply
    assert brief.synthesis_error is None and all(a.error is None for a in brief.articles)


def test_one_at_a_time_it_follows_them(fault_server):
    _, late, articles = _run(fault_server, concurrency=1)
    assert late["t"] >= max(a["t"] for a in articles) + WAIT * 0.9  # after the last reply


def test_sent_beside_or_after_it_is_the_same_request_and_brief(fault_server):
    beside, early, _ = _run(fault_server, _headlined, concurrency=10)
    after, late, _ = _run(fault_server, _headlined, concurrency=1)
    model = [a for a in after.articles if a.headline_origin == "model"]
    assert len(model) == 4 and all("back after" in a.headline for a in model)  # not the titles
    assert late["json"]["messages"] == early["json"]["messages"]
    assert _without_timings(after) == _without_timings(beside)


def test_a_budget_keeps_the_articles_first(fault_server):
    _, synthesis, articles = _run(fault_server, concurrency=10, max_tokens=1_000_000)
    assert synthesis["t"] >= max(a["t"] for a in articles) + WAIT * 0.9


def test_with_fewer_slots_than_articles_the_synthesis_waits(fault_server):
    _, synthesis, articles = _run(fault_server, concurrency=4)  # every slot has an article
    assert synthesis["t"] >= max(a["t"] for a in articles) + WAIT * 0.9
