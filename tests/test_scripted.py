"""The real pipeline code driven by `ScriptedBackend`: re-asks, salvage of cut replies, chunk
merging, the synthesis checks and a whole run, each in milliseconds. No mocks: only the
model's replies are scripted; the HTTP tests (test_structured.py, test_pipeline.py) stay."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection

import pytest

from agent.grounding.article import finalize_article

# --- project imports (one block, to remap when modules move) ---------------------------
from agent.grounding.synthesis import verify_synthesis
from agent.ingest.article import make_article
from agent.llm.base import Backend, Completion, ModeState, Request, TransportError
from agent.llm.scripted import (
    ScriptedBackend,
    ScriptExhausted,
    count_pieces,
    draft_for,
    draft_reply,
    request_sentence_ids,
)
from agent.llm.structured import complete_structured
from agent.pipeline.article import extract_article, plan_chunks
from agent.pipeline.options import RunOptions
from agent.pipeline.run import summarize_articles
from agent.pipeline.synthesis import (
    _merged_consensus,
    _new_conflicts,
    conflict_lines,
    synthesize,
)
from agent.schemas import (
    Article,
    ArticleDraft,
    Conflict,
    ConsensusClaim,
    DraftConflict,
    DraftConsensus,
    DraftSingleSource,
    Position,
    StoryBrief,
    SynthesisDraft,
)

# --------------------------------------------------------------------------- an invented story

BRIDGE_1 = """River Lune bridge closed after cracks found
Engineers shut the Harwick Street bridge on Tuesday after inspectors found deep cracks in two piers.
The council said the bridge would stay shut to all traffic for at least three months.
About 9,000 vehicles cross the bridge every day, according to council figures.
Council engineers said the old bridge can be repaired and will not need to be rebuilt.
Local shop owners warned that the closure would cut trade in the town centre.
Buses will be diverted over the Marsh Lane crossing, adding twenty minutes to journeys."""

BRIDGE_2 = """Cracked supports shut Harwick bridge
The Harwick Street bridge closed on Tuesday after inspectors discovered deep cracks in two supports.
Council officials expect the bridge to remain closed to traffic for at least three months.
Roughly 12,000 vehicles use the crossing each day, a regional transport group said.
Engineers have not yet decided whether the old bridge can be repaired or must be rebuilt.
Commuters queued for over an hour on the first morning of the closure."""

CRACKS = "Inspectors found deep cracks in two supports of the Harwick Street bridge."
# what both articles say in so many words (a1: "found ... two piers", a2: "discovered ... two
# supports": the verifier finds CRACKS in neither), so the model's claim is verified in both
SHUT = "The Harwick Street bridge was shut on Tuesday."
INVENTED = "The mayor ordered an inquiry into the company that built the bridge."
BUSES = "Buses will be diverted over the Marsh Lane crossing during the closure."

_DOERS = [
    "Crews",
    "Divers",
    "Surveyors",
    "Volunteers",
    "Welders",
    "Drivers",
    "Pilots",
    "Medics",
    "Students",
    "Farmers",
    "Rangers",
    "Plumbers",
    "Painters",
]
_ACTS = [
    "repaired",
    "inspected",
    "painted",
    "measured",
    "cleared",
    "photographed",
    "mapped",
    "sealed",
    "guarded",
    "flooded",
    "drained",
    "lit",
    "tested",
]
_THINGS = [
    "a granite wall",
    "the old ferry ramp",
    "twelve lamp posts",
    "a pumping station",
    "the east pier",
    "a signal box",
    "the cattle market",
    "a wooden footbridge",
    "the harbour crane",
    "a water tower",
    "the school roof",
    "a copper beech",
    "the canal lock",
]


def article(text: str, index: int) -> Article:
    """The article as ingest makes it from `text` (id a{index})."""
    return make_article(text, index=index, source=f"test{index}.txt")


def long_article(count: int = 39) -> Article:
    """An article of `count` sentences that differ from each other (no duplicate key points)."""
    lines = [
        f"{_DOERS[i % 13]} {_ACTS[(i * 5) % 13]} {_THINGS[(i * 7 + i // 13) % 13]} "
        f"near kilometre {i + 1} "
        f"of the valley road before the storm reached the coast on day {i + 1}."
        for i in range(count)
    ]
    return article("Storm works along the valley road\n" + "\n".join(lines), 1)


def last_user(request: Request) -> str:
    """The text of the request's last message."""
    return request.messages[-1]["content"]


# --------------------------------------------------------------------------- the backend itself


def test_scripted_backend_is_a_backend_that_counts_cuts_and_records():
    backend = ScriptedBackend(["one two, three", "alpha beta gamma delta"])
    assert (
        isinstance(backend, Backend) and backend.name == "scripted" and not backend.concurrency_safe
    )
    assert count_pieces('{"a": [1, 2]}') == 11 and backend.count_tokens("one two, three") == 4
    first = backend.complete(
        Request(messages=[{"role": "user", "content": "say it"}], max_tokens=10)
    )
    assert (first.text, first.finish_reason, first.prompt_tokens, first.completion_tokens) == (
        "one two, three",
        "stop",
        2,
        4,
    )
    cut = backend.complete(Request(messages=[{"role": "user", "content": "again"}], max_tokens=2))
    assert (cut.text, cut.finish_reason, cut.completion_tokens) == ("alpha beta", "length", 2)
    assert [last_user(r) for r in backend.requests] == [
        "say it",
        "again",
    ] and backend.remaining == 0
    with pytest.raises(ScriptExhausted, match="request 3 .* after the script's 2 replies"):
        backend.complete(Request(messages=[{"role": "user", "content": "more"}]))


def test_scripted_backend_checks_its_script_and_context():
    with pytest.raises(TypeError, match="reply 1 is a dict"):
        ScriptedBackend(["ok", {"text": "x"}])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="needs replies"):
        ScriptedBackend()
    backend = ScriptedBackend(["never sent"], context_tokens=50)
    result = complete_structured(
        backend, [{"role": "user", "content": "word " * 30}], ArticleDraft, max_tokens=30
    )
    assert (
        result.error is not None
        and result.error.kind == "other"
        and "over the context of 50" in result.error.message
    )
    assert backend.remaining == 1  # the refused request used no reply


def test_rejected_mode_falls_back_to_prompted_with_the_schema_in_the_prompt():
    a1 = article(BRIDGE_1, 1)
    backend = ScriptedBackend(
        [draft_reply(a1)], modes=("json_schema", "prompted"), rejects=("json_schema",)
    )
    modes = ModeState(backend.modes)
    outcome = extract_article(backend, a1, modes=modes)
    # the refusal is remembered for the run; the backend's declared modes stay as they are
    assert outcome.draft is not None and modes.remaining == ("prompted",)
    assert backend.modes == ("json_schema", "prompted")
    assert [r.mode for r in backend.requests] == ["json_schema", "prompted"]
    marker = "Reply with one JSON object, and nothing else, that matches this JSON Schema"
    assert marker not in last_user(backend.requests[0]) and marker in last_user(backend.requests[1])
    assert any("json_schema rejected" in w for w in outcome.warnings)


# --------------------------------------------------------------------------- re-asks


def test_reask_after_invalid_json_then_valid_draft():
    a1 = article(BRIDGE_1, 1)
    backend = ScriptedBackend(['{"headline": "Bridge closed", "summary": ', draft_reply(a1)])
    outcome = extract_article(backend, a1)
    assert outcome.error is None and outcome.draft == ArticleDraft.model_validate(draft_for(a1))
    assert len(backend.requests) == 2
    assert (outcome.calls[0].attempts, outcome.calls[0].reasks, outcome.calls[0].ok) == (2, 1, True)
    reask = backend.requests[1].messages
    assert reask[:-2] == backend.requests[0].messages  # the conversation goes on
    assert reask[-2] == {
        "role": "assistant",
        "content": '{"headline": "Bridge closed", "summary": ',
    }
    assert "it is not valid JSON: invalid JSON" in reask[-1]["content"]
    assert outcome.calls[0].usage.prompt_tokens == sum(c.prompt_tokens for c in backend.completions)


def test_short_sentence_ids_are_shown_and_mapped_back():
    """The prompt shows `s3` for `a1.s3`; the request's schema lists the short ids; a reply
    citing `s2` (or `2`) validates as `a1.s2`.
    """
    a1 = article(BRIDGE_1, 1)
    point = {"text": "The bridge over the river was closed.", "sentence_ids": ["s2", "1"]}
    backend = ScriptedBackend([draft_reply(a1, key_points=[point])])
    outcome = extract_article(backend, a1)
    assert outcome.draft is not None and outcome.draft.key_points[0].sentence_ids == [
        "a1.s2",
        "a1.s1",
    ]
    request = backend.requests[0]
    assert "\ns1 " in last_user(request) and "a1.s1" not in last_user(request)
    assert request_sentence_ids(request) == [s.id for s in a1.sentences]
    ids = request.schema["$defs"]["DraftKeyPoint"]["properties"]["sentence_ids"]["items"]
    assert ids["enum"] == [f"s{n}" for n in range(1, len(a1.sentences) + 1)]


@pytest.mark.parametrize(
    ("override", "error_line"),
    [
        ({"summary": None}, "- summary: Input should be a valid string"),
        (
            {"key_points": [{"text": "Closed.", "sentence_ids": ["a1.s1"]}]},
            "- key_points.0.text: String should have at least 12 characters",
        ),
        (
            {
                "key_points": [
                    {"text": "The bridge over the river was closed.", "sentence_ids": ["first"]}
                ]
            },
            "- key_points.0.sentence_ids.0: String should match pattern",
        ),
    ],
)
def test_reask_after_a_schema_error_names_the_field(override, error_line):
    a1 = article(BRIDGE_1, 1)
    backend = ScriptedBackend([draft_reply(a1, **override), draft_reply(a1)])
    outcome = extract_article(backend, a1)
    assert outcome.draft is not None and len(backend.requests) == 2 and outcome.calls[0].reasks == 1
    repair = last_user(backend.requests[1])
    assert "it does not match the schema:" in repair and error_line in repair


def test_missing_field_is_reasked():
    a1 = article(BRIDGE_1, 1)
    bad = draft_for(a1)
    del bad["summary"]
    backend = ScriptedBackend([json.dumps(bad), draft_reply(a1)])
    outcome = extract_article(backend, a1)
    assert outcome.draft is not None and "- summary: Field required" in last_user(
        backend.requests[1]
    )


def test_too_long_text_is_cut_leniently_without_a_reask():
    a1 = article(BRIDGE_1, 1)
    backend = ScriptedBackend([draft_reply(a1, headline="Bridge " * 25)])
    outcome = extract_article(backend, a1)
    assert (
        outcome.draft is not None
        and len(outcome.draft.headline) <= 120
        and len(backend.requests) == 1
    )
    assert any("lenient: cut headline from 175 to 120 characters" in w for w in outcome.warnings)


def test_cut_reply_keeps_its_complete_prefix():
    a1 = article(BRIDGE_1, 1)
    full = draft_reply(a1, points=3)
    third = draft_for(a1)["key_points"][2]["text"]
    limit = count_pieces(
        full[: full.index(third) + 20]
    )  # the reply stops inside the third key point
    backend = ScriptedBackend([full])
    outcome = extract_article(backend, a1, max_tokens=limit)
    assert (
        backend.completions[0].finish_reason == "length"
        and backend.completions[0].completion_tokens == limit
    )
    assert outcome.draft is not None and len(backend.requests) == 1
    assert [p.text for p in outcome.draft.key_points] == [
        p["text"] for p in draft_for(a1)["key_points"][:2]
    ]
    assert outcome.calls[0].finish_reason == "length"


def test_salvaged_reply_is_reported_as_salvaged():
    a1 = article(BRIDGE_1, 1)
    full = draft_reply(a1, points=3)
    limit = count_pieces(full[: full.index(draft_for(a1)["key_points"][2]["text"]) + 20])
    outcome = extract_article(ScriptedBackend([full]), a1, max_tokens=limit)
    assert outcome.draft is not None and len(outcome.draft.key_points) == 2
    assert any(
        "reply cut at the token limit: kept its complete part" in w for w in outcome.warnings
    )
    assert not any("was complete and valid" in w for w in outcome.warnings)


def test_cut_reply_without_a_usable_prefix_is_reasked_shorter():
    a1 = article(BRIDGE_1, 1)
    short = json.dumps(
        {
            "headline": "Harwick Street bridge closed",
            "summary": "The bridge was closed on Tuesday.",
            "key_points": [{"text": "Engineers closed the bridge.", "sentence_ids": ["a1.s1"]}],
        }
    )
    long = draft_reply(a1, summary=" ".join(s.text for s in a1.sentences[:4]))
    limit = count_pieces(short) + 2
    assert count_pieces(long[: long.index('"key_points"')]) > limit  # the cut lands in the summary
    backend = ScriptedBackend([long, short])
    outcome = extract_article(backend, a1, max_tokens=limit)
    assert [c.finish_reason for c in backend.completions] == ["length", "stop"]
    assert outcome.draft is not None and len(outcome.draft.key_points) == 1
    assert "cut off at the token limit" in last_user(backend.requests[1])
    assert backend.requests[1].messages[-2]["content"] == backend.completions[0].text


def test_retries_exhausted_give_a_typed_error_counting_every_request():
    a1 = article(BRIDGE_1, 1)
    cut = Completion(text=draft_reply(a1)[:60], finish_reason="length")
    backend = ScriptedBackend(["not json at all", draft_reply(a1, key_points=[]), cut])
    outcome = extract_article(backend, a1, max_reasks=2)
    err = outcome.error
    assert outcome.draft is None and err is not None
    assert (
        err.kind == "length" and err.attempts == len(backend.requests) == 3
    )  # the last reply was cut
    assert err.usage.completion_tokens == sum(c.completion_tokens for c in backend.completions)
    brief = finalize_article(a1, outcome.draft, err)
    assert brief.error == err and brief.summary_origin == "code"

    backend = ScriptedBackend(["{}"] * 2)
    outcome = extract_article(backend, a1, max_reasks=1)
    assert outcome.error is not None and outcome.error.kind == "schema"
    assert outcome.error.attempts == len(backend.requests) == 2


def test_transport_failure_and_an_exhausted_script():
    a1 = article(BRIDGE_1, 1)
    backend = ScriptedBackend([TransportError("connection refused", attempts=3)])
    outcome = extract_article(backend, a1)
    assert outcome.error is not None and outcome.error.kind == "transport"
    assert outcome.error.attempts == 3 and "connection refused" in outcome.error.message
    with pytest.raises(
        ScriptExhausted
    ):  # a script too short stops the test, it is no model failure
        extract_article(ScriptedBackend(["nope"]), a1, max_reasks=1)


# --------------------------------------------------------------------------- chunks


def context_for_chunks(art: Article, chunks: int, max_tokens: int) -> int:
    """The smallest context window in which the article needs at most `chunks` chunks."""
    low, high = 1000, 200_000
    while low < high:
        middle = (low + high) // 2
        plan, _ = plan_chunks(art, ScriptedBackend(["x"], context_tokens=middle), max_tokens, 50)
        low, high = (low, middle) if len(plan) <= chunks else (middle + 1, high)
    return low


@pytest.fixture(scope="module")
def long_story() -> tuple[Article, int]:
    """A long article and a context window (reply of 300 tokens) that needs three chunks."""
    art = long_article()
    return art, context_for_chunks(art, 3, 300)


def chunk_responder(
    art: Article, fail: Collection[int] = (), rambling: Collection[int] = ()
) -> Callable[[Request], str]:
    """Replies to each chunk request with a draft of the sentences it shows; chunks in `fail`
    (1-based, counted by first request) always get a reply that is not JSON, chunks in
    `rambling` first get prose far longer than any reply may be."""
    seen: list[str] = []

    def respond(request: Request) -> str:
        ids = request_sentence_ids(request)
        if ids[0] not in seen:
            seen.append(ids[0])
        chunk = seen.index(ids[0]) + 1
        if chunk in fail:
            return "I cannot do that."
        if chunk in rambling and len(request.messages) == 2:  # not yet re-asked
            return "Let me think about the valley road and the storm. " * 80
        return draft_reply(art, ids, points=2, headline=f"Chunk from {ids[0]} to {ids[-1]}")

    return respond


def test_long_article_is_chunked_and_the_drafts_merged(long_story):
    art, context = long_story
    backend = ScriptedBackend(respond=chunk_responder(art), context_tokens=context)
    outcome = extract_article(backend, art, max_tokens=300)
    assert outcome.error is None and "chunked:3" in outcome.flags and len(backend.requests) == 3
    shown = [request_sentence_ids(r) for r in backend.requests]
    assert [i for ids in shown for i in ids] == [
        s.id for s in art.sentences
    ]  # each sentence once, in order
    assert all(r.prompt_tokens + 300 <= backend.context_tokens for r in backend.completions)
    draft = outcome.draft
    assert draft is not None and draft.headline == f"Chunk from {shown[0][0]} to {shown[0][-1]}"
    assert len(draft.key_points) == 6
    assert [p.sentence_ids[0] for p in draft.key_points] == [
        ids[k] for ids in shown for k in (0, 1)
    ]
    firsts = [draft_for(art, ids)["summary"] for ids in shown[:2]]
    assert draft.summary == " ".join(firsts)
    brief = finalize_article(art, draft, None, outcome.flags)
    model_points = [p for p in brief.key_points if p.origin == "model"]
    assert [p.sentence_ids for p in model_points] == [p.sentence_ids for p in draft.key_points]
    assert all(p.support == "supported" for p in model_points) and "chunked:3" in brief.flags
    assert [c.purpose for c in outcome.calls] == [
        "article:a1#chunk1",
        "article:a1#chunk2",
        "article:a1#chunk3",
    ]


def test_chunks_beyond_the_limit_are_reported_and_a_failed_chunk_is_skipped(long_story):
    art, context = long_story
    backend = ScriptedBackend(respond=chunk_responder(art), context_tokens=context)
    outcome = extract_article(backend, art, max_tokens=300, max_chunks=2)
    sent = {i for r in backend.requests for i in request_sentence_ids(r)}
    assert f"sentences_not_sent_to_model:{len(art.sentences) - len(sent)}" in outcome.flags
    assert len(sent) < len(art.sentences) and len(backend.requests) == 2

    backend = ScriptedBackend(respond=chunk_responder(art, fail={2}), context_tokens=context)
    outcome = extract_article(backend, art, max_tokens=300, max_reasks=1)
    assert outcome.error is None and "some_chunks_failed" in outcome.flags
    assert [c.ok for c in outcome.calls] == [True, False, True] and len(backend.requests) == 4
    assert outcome.draft is not None and len(outcome.draft.key_points) == 4


def test_a_chunk_reasked_after_a_long_reply_still_fits_the_context(long_story):
    art, context = long_story  # the smallest window for three chunks: the fullest chunk is tight
    backend = ScriptedBackend(
        respond=chunk_responder(art, rambling={1, 2, 3}), context_tokens=context
    )
    outcome = extract_article(backend, art, max_tokens=300)
    assert [c.finish_reason for c in backend.completions] == ["length", "stop"] * 3
    assert [(c.attempts, c.reasks, c.ok) for c in outcome.calls] == [(2, 1, True)] * 3
    assert all("cut off at the token limit" in last_user(r) for r in backend.requests[1::2])
    assert (
        outcome.error is None and outcome.draft is not None and len(outcome.draft.key_points) == 6
    )


# --------------------------------------------------------------------------- synthesis


@pytest.fixture
def story() -> tuple[list[Article], list]:
    """The two bridge articles and their verified briefs (from faithful drafts)."""
    articles = [article(BRIDGE_1, 1), article(BRIDGE_2, 2)]
    briefs = [finalize_article(a, ArticleDraft.model_validate(draft_for(a))) for a in articles]
    return articles, briefs


def synthesis_draft(**fields) -> SynthesisDraft:
    """A valid synthesis draft with a supported headline and overview; `fields` replace parts."""
    base = {
        "headline": "Harwick Street bridge closed after cracks found in its supports",
        "overview": "The Harwick Street bridge closed on Tuesday after inspectors found cracks "
        "in two supports.",
        "consensus": [],
        "conflicts": [],
        "single_source": [],
        "open_questions": [],
    }
    return SynthesisDraft.model_validate(base | fields)


def test_synthesis_keeps_supported_consensus_and_drops_the_invented(story):
    articles, briefs = story
    draft = synthesis_draft(
        consensus=[
            DraftConsensus(claim=SHUT, article_ids=["a1", "a2"]),
            DraftConsensus(claim=INVENTED, article_ids=["a1", "a2"]),
            DraftConsensus(claim=BUSES, article_ids=["a1", "a2"]),
        ],
        open_questions=["Can the bridge be repaired?"],
    )
    backend = ScriptedBackend([draft.model_dump_json()])
    outcome = synthesize(backend, briefs, articles)
    assert len(backend.requests) == 1 and backend.requests[0].schema_name == "SynthesisDraft"
    # the supported claim rests on the sentences of code's first group (a1.s1, a2.s1) and
    # keeps under half of its words: it restates the group, which stands in its own words
    assert not [c for c in outcome.synthesis.consensus if c.origin == "model"]
    code = [c for c in outcome.synthesis.consensus if c.origin == "code"]
    assert code and all(c.verified for c in code)
    assert ["a1.s1", "a2.s1"] in [c.sentence_ids for c in code]
    assert "synthesis: consensus[1]: no article supports it; dropped" in outcome.warnings
    # SHUT: a2 says "closed", and the verifier does not take that for "shut": a1's alone
    assert [(s.article_id, s.claim) for s in outcome.synthesis.single_source] == [
        ("a1", SHUT),
        ("a1", BUSES),
    ]
    assert "synthesis: consensus[2]: only a1 supports it; kept as single-source" in outcome.warnings
    # the draft's headline says "supports" where a1 says "piers": not stated, code's stands
    assert outcome.synthesis.headline != draft.headline
    assert outcome.synthesis.headline_origin == "code"
    # the overview is the sources' leads; the model's sentence says nothing new beside them
    assert outcome.synthesis.overview.startswith(articles[0].sentences[0].text)
    assert outcome.synthesis.overview_origin == "code"
    assert outcome.synthesis.open_questions == ["Can the bridge be repaired?"]


def test_synthesis_prompt_gives_groups_and_candidate_conflicts_not_the_articles(story):
    """The prompt lists the reports' headlines, code's aligned groups (`[a1 a2] statement`)
    and candidate conflicts (`topic (numeric): a1 ...; a2 ...`), and none of the articles'
    other text.
    """
    articles, briefs = story
    backend = ScriptedBackend([synthesis_draft().model_dump_json()])
    outcome = synthesize(backend, briefs, articles)
    prompt = "\n".join(m["content"] for m in backend.requests[0].messages)
    groups = outcome.synthesis.consensus
    assert groups and f"Shared statements:\n[{' '.join(groups[0].article_ids)}] " in prompt
    candidates = [c for c in outcome.synthesis.conflicts if c.origin == "code"]
    assert all(f"\n{c.topic} ({c.kind}): " in prompt for c in candidates)
    assert all(f"{b.article_id}: {b.headline}" in prompt for b in briefs)
    assert "Local shop owners warned" not in prompt  # a sentence no group or conflict holds


def test_candidate_conflicts_are_one_line_each():
    conflict = Conflict(
        kind="numeric",
        topic="vehicles a day",
        origin="code",
        positions=[
            Position(article_id="a1", statement="about 9,000 vehicles", sentence_ids=["a1.s3"]),
            Position(article_id="a2", statement="roughly 12,000 vehicles", sentence_ids=["a2.s3"]),
        ],
    )
    assert conflict_lines([conflict]) == (
        "\nPossible disagreements:"
        "\nvehicles a day (numeric): a1 about 9,000 vehicles; a2 roughly 12,000 vehicles"
    )
    assert conflict_lines([]) == ""


def _claim(text: str, ids: list[str], origin: str = "code") -> ConsensusClaim:
    articles = list(dict.fromkeys(i.split(".")[0] for i in ids))
    return ConsensusClaim(
        claim=text, article_ids=articles, sentence_ids=ids, verified=True, origin=origin
    )


def test_model_consensus_rephrases_a_group_or_adds_new_ground():
    code = [
        _claim(
            "Engineers shut the Harwick Street bridge on Tuesday after inspectors found deep "
            "cracks in two piers.",
            ["a1.s1", "a2.s1"],
        ),
        _claim("The bridge stays shut for three months.", ["a1.s2", "a2.s2"]),
    ]
    model = [
        # the first group, reworded: its wording stands in, the sources are kept
        _claim(CRACKS, ["a1.s1", "a2.s1", "a3.s4"], "model"),
        # the second group, reworded so that most of its words are lost: code's wording stays
        _claim("Traffic is affected.", ["a1.s2", "a2.s2"], "model"),
        # new ground: added
        _claim(BUSES, ["a1.s6", "a2.s7"], "model"),
    ]
    merged = _merged_consensus(code, model)
    assert [(c.claim, c.origin) for c in merged] == [
        (CRACKS, "model"),
        (code[1].claim, "code"),
        (BUSES, "model"),
    ]
    assert merged[0].article_ids == ["a1", "a2", "a3"]
    assert merged[0].sentence_ids == ["a1.s1", "a2.s1", "a3.s4"]


def test_model_conflict_restating_a_candidate_is_not_repeated():
    def conflict(ids: list[str], origin: str) -> Conflict:
        return Conflict(
            kind="numeric" if origin == "code" else "claim",
            topic="vehicles a day",
            origin=origin,
            positions=[
                Position(article_id=i.split(".")[0], statement=i, sentence_ids=[i]) for i in ids
            ],
        )

    code = [conflict(["a1.s3", "a2.s3"], "code")]
    same = conflict(["a1.s3", "a2.s3"], "model")
    other = conflict(["a1.s4", "a2.s4"], "model")
    assert _new_conflicts(code, [same, other]) == [other]


def test_unsupported_headline_and_overview_give_way_to_code(story):
    articles, briefs = story
    draft = synthesis_draft(
        headline="Mayor resigns over collapsed stadium deal",
        overview="The mayor resigned on Friday. The stadium deal collapsed after a vote.",
    )
    outcome = synthesize(ScriptedBackend([draft.model_dump_json()]), briefs, articles)
    assert outcome.synthesis.headline == articles[0].title  # the source's own headline
    assert outcome.synthesis.headline_origin == "code"
    assert outcome.synthesis.overview_origin == "code"
    # code's overview: source sentences only, the agreed lead first
    assert outcome.synthesis.overview.startswith(articles[0].sentences[0].text)
    assert "mayor" not in outcome.synthesis.overview.lower()
    assert any(
        w.startswith("synthesis: the model's headline 'Mayor resigns") for w in outcome.warnings
    )


def test_synthesis_conflicts_are_checked_as_crosscheck_does(story):
    articles, briefs = story
    repair = DraftConflict(
        topic="whether the bridge can be repaired or must be rebuilt",
        description="a1 says repairs are planned; a2 says engineers have not decided "
        "whether it can be repaired or must be rebuilt",
        article_ids=["a1", "a2"],
    )
    invented = DraftConflict(
        topic="the cost of a new stadium",
        description="a1 and a2 give different costs",
        article_ids=["a1", "a2"],
    )
    one_sided = DraftConflict(  # only a1 mentions the buses
        topic="buses diverted over the Marsh Lane crossing",
        description="a1 says buses are diverted over Marsh Lane; a2 says they are not",
        article_ids=["a1", "a2"],
    )
    draft = synthesis_draft(
        conflicts=[repair, invented, one_sided],
        single_source=[DraftSingleSource(article_id="a2", claim=INVENTED)],
    )
    outcome = synthesize(ScriptedBackend([draft.model_dump_json()]), briefs, articles)
    check = verify_synthesis(draft, briefs, articles)
    model_conflicts = [c for c in outcome.synthesis.conflicts if c.origin == "model"]
    assert model_conflicts == check.conflicts and len(model_conflicts) == 1
    kept = model_conflicts[0]
    assert kept.kind == "claim" and [p.article_id for p in kept.positions] == ["a1", "a2"]
    assert all(p.statement in a.text for p, a in zip(kept.positions, articles, strict=True))
    for item in ("conflicts[1]", "conflicts[2]"):
        assert (
            f"synthesis: {item}: fewer than two cited articles address it; dropped"
            in outcome.warnings
        )
    assert (
        outcome.synthesis.single_source == []
        and "synthesis: single_source[0]: no article supports it; dropped" in outcome.warnings
    )


REPAIR_CONFLICT = DraftConflict(
    topic="whether the bridge can be repaired or must be rebuilt",
    description="a1 says it can be repaired; a2 says engineers have not decided",
    article_ids=["a1", "a2"],
)


def test_a_conflicting_pair_is_not_also_consensus(story):
    articles, briefs = story
    draft = synthesis_draft(conflicts=[REPAIR_CONFLICT])
    outcome = synthesize(ScriptedBackend([draft.model_dump_json()]), briefs, articles)
    disputed = {s for c in outcome.synthesis.conflicts for p in c.positions for s in p.sentence_ids}
    assert disputed == {"a1.s4", "a2.s4"}
    agreed = {s for c in outcome.synthesis.consensus for s in c.sentence_ids}
    assert not disputed & agreed


def test_failed_synthesis_falls_back_to_code(story):
    articles, briefs = story
    backend = ScriptedBackend(["no JSON here"] * 3)
    outcome = synthesize(backend, briefs, articles, max_reasks=2)
    assert (
        outcome.error is not None
        and outcome.error.kind == "invalid_json"
        and outcome.error.attempts == 3
    )
    assert len(backend.requests) == 3 and outcome.synthesis.overview_origin == "code"
    assert outcome.synthesis.headline == briefs[0].headline and outcome.synthesis.consensus
    assert all(
        c.origin == "code" and c.article_ids == ["a1", "a2"] for c in outcome.synthesis.consensus
    )


# --------------------------------------------------------------------------- a whole run

UNSUPPORTED_POINT = {
    "text": "A famous Victorian railway designer drew up the plans in 1868.",
    "sentence_ids": [],
}


def story_responder(articles: list[Article]) -> Callable[[Request], str]:
    """Answers by what a request shows (so any order works): an article request with the
    article's draft plus an invented key point, the synthesis with one supported claim."""
    by_id = {a.id: a for a in articles}
    synthesis = synthesis_draft(consensus=[DraftConsensus(claim=SHUT, article_ids=["a1", "a2"])])

    def respond(request: Request) -> str:
        if request.schema_name == "SynthesisDraft":
            return synthesis.model_dump_json()
        ids = request_sentence_ids(request)
        art = by_id[ids[0].split(".")[0]]
        point = UNSUPPORTED_POINT | {"sentence_ids": [ids[0]]}
        return draft_reply(art, ids, key_points=draft_for(art)["key_points"] + [point])

    return respond


def without_timings(brief: StoryBrief) -> dict:
    """The brief as JSON data without the run's and the calls' seconds."""
    data = brief.model_dump(mode="json")
    data["run"].pop("seconds")
    for call in data["run"]["calls"]:
        call.pop("seconds")
    return data


def test_summarize_articles_with_scripted_replies():
    articles = [article(BRIDGE_1, 1), article(BRIDGE_2, 2)]
    backend = ScriptedBackend(respond=story_responder(articles))
    brief = summarize_articles(articles, backend, RunOptions(concurrency=1))
    StoryBrief.model_validate(brief.model_dump(mode="json"))
    assert [r.schema_name for r in backend.requests] == [
        "ArticleDraft",
        "ArticleDraft",
        "SynthesisDraft",
    ]
    for art, ab in zip(articles, brief.articles, strict=True):
        expected = [p["text"] for p in draft_for(art)["key_points"]]
        assert [p.text for p in ab.key_points if p.origin == "model"] == expected
        assert all(p.support == "supported" for p in ab.key_points)
        assert any("Victorian" in d for d in ab.verification.dropped) and ab.error is None
    # the model's supported claim restates code's group of a1.s1 and a2.s1 (no duplicate)
    assert not [c for c in brief.consensus if c.origin == "model"]
    assert any(c.sentence_ids[:2] == ["a1.s1", "a2.s1"] for c in brief.consensus)
    assert brief.run.backend == "scripted" and brief.run.structured_mode == "json_schema"
    assert [c.purpose for c in brief.run.calls] == ["article:a1", "article:a2", "synthesis"]
    assert brief.run.usage.prompt_tokens == sum(c.prompt_tokens for c in backend.completions)
    assert brief.run.usage.completion_tokens == sum(
        c.completion_tokens for c in backend.completions
    )
    # the scripted headline says "supports" where a1 says "piers": code's headline stands
    assert brief.synthesis_error is None and brief.headline_origin == "code"


def test_concurrent_run_gives_the_same_brief():
    articles = [article(BRIDGE_1, 1), article(BRIDGE_2, 2)]
    alone = summarize_articles(
        articles, ScriptedBackend(respond=story_responder(articles)), RunOptions(concurrency=1)
    )
    backend = ScriptedBackend(respond=story_responder(articles), concurrency_safe=True)
    together = summarize_articles(articles, backend, RunOptions(concurrency=2))
    assert len(backend.requests) == 3 and without_timings(together) == without_timings(alone)


def test_summarize_articles_keeps_going_when_one_article_fails():
    articles = [article(BRIDGE_1, 1), article(BRIDGE_2, 2)]
    backend = ScriptedBackend(
        [
            draft_reply(articles[0]),
            TransportError("reset by peer"),
            Completion(text="", refusal="I can't help with that."),
        ],
        respond=lambda r: "still not json",
    )
    brief = summarize_articles(articles, backend, RunOptions(concurrency=1, max_reasks=1))
    assert brief.articles[0].error is None and brief.articles[1].error is not None
    assert (
        brief.articles[1].error.kind == "transport" and brief.articles[1].summary_origin == "code"
    )
    assert brief.synthesis_error is not None and brief.synthesis_error.kind == "invalid_json"
    assert len(backend.requests) == 4  # a1, a2 (transport), synthesis (refusal, then re-asked once)
