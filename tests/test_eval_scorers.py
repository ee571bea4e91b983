"""Scorers tell good output from bad: gold fed back scores the maximum, and each kind of
damage lowers the score it should, by the expected amount."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.evaluate.checks import score_grounding, score_leaks, score_rouge, score_run
from agent.evaluate.goldbrief import gold_to_brief
from agent.evaluate.scorers import (
    first_screen,
    score_against_gold,
    score_conflicts,
    score_consensus,
    score_entities,
    score_episodes,
    score_figures,
    score_key_facts,
    score_quotes,
    score_statements,
    score_timeline,
)
from agent.evaluate.sets import EvalSet, load_set_dir
from agent.schemas import (
    CallRecord,
    Conflict,
    ConsensusClaim,
    Entity,
    Episode,
    ModelError,
    Position,
    Usage,
)

FERRY = """Dunmore ferry to close for three weeks of repairs

Dunmore Herald
Monday, 2 June 2025

The river ferry at Dunmore will close for repairs on Friday, the transport office said.

About 1,200 passengers use the ferry each day, most of them commuters to Kell.

"We expect the work to take three weeks and the new deck to last thirty years," said engineer Mara Quist.

The town council approved 80,000 euros for the repairs at its meeting last month.
"""  # noqa: E501

COMPANY = """Passengers told to use Kell bridge while ferry is repaired

Kell Weekly
Tuesday, 3 June 2025

The Dunmore ferry closes on Friday for repairs, the ferry company said.

Around 1,500 passengers ride it daily, according to the company.

"Passengers can use the bridge at Kell, which adds ten minutes by bus," said company director Ivo Brandt.
"""  # noqa: E501

GOLD = {
    "name": "ferry",
    "articles": [
        {
            "id": "a1",
            "file": "a_ferry.txt",
            "key_facts": [
                {
                    "id": "a1.f1",
                    "text": "The Dunmore river ferry closes for repairs on Friday.",
                    "evidence": ["The river ferry at Dunmore will close for repairs on Friday"],
                },
                {
                    "id": "a1.f2",
                    "text": "About 1,200 passengers use the ferry daily, mostly commuters.",
                    "evidence": ["About 1,200 passengers use the ferry each day"],
                },
                {
                    "id": "a1.f3",
                    "text": "Engineer Mara Quist expects the work to take three weeks.",
                    "evidence": ["We expect the work to take three weeks"],
                },
                {
                    "id": "a1.f4",
                    "text": "The town council approved 80,000 euros for the repairs.",
                    "evidence": ["The town council approved 80,000 euros for the repairs"],
                },
            ],
            "entities": [
                {"name": "Mara Quist", "kind": "person", "aliases": ["Quist"]},
                {"name": "transport office", "kind": "organization"},
                {"name": "town council", "kind": "organization"},
                {"name": "Dunmore", "kind": "place", "required": False},
            ],
            "quotes": [
                {
                    "speaker": "Mara Quist",
                    "text": (
                        "We expect the work to take three weeks and the new deck to "
                        "last thirty years"
                    ),
                }
            ],
            "figures": [
                {
                    "value": 1200,
                    "value_text": "1,200",
                    "unit": "passengers",
                    "counts": "daily passengers",
                    "evidence": "About 1,200 passengers use the ferry each day",
                },
                {
                    "value": 80000,
                    "value_text": "80,000",
                    "unit": "euros",
                    "counts": "repair budget",
                    "evidence": "approved 80,000 euros",
                },
            ],
        },
        {
            "id": "a2",
            "file": "b_company.txt",
            "key_facts": [
                {
                    "id": "a2.f1",
                    "text": "Around 1,500 passengers ride it daily, the company says.",
                    "evidence": ["Around 1,500 passengers ride it daily"],
                },
                {
                    "id": "a2.f2",
                    "text": "Passengers can take the Kell bridge, which adds ten minutes by bus.",
                    "evidence": ["Passengers can use the bridge at Kell"],
                },
            ],
            "entities": [{"name": "Ivo Brandt", "kind": "person", "aliases": ["Brandt"]}],
            "quotes": [
                {
                    "speaker": "Ivo Brandt",
                    "text": "Passengers can use the bridge at Kell, which adds ten minutes by bus",
                }
            ],
            "figures": [
                {
                    "value": 1500,
                    "value_text": "1,500",
                    "unit": "passengers",
                    "counts": "daily passengers",
                    "evidence": "Around 1,500 passengers ride it daily",
                }
            ],
        },
    ],
    "consensus": [
        {
            "claim": "The ferry closes for repairs on Friday.",
            "articles": ["a1", "a2"],
            "evidence": [
                {"article": "a1", "text": "will close for repairs on Friday"},
                {"article": "a2", "text": "closes on Friday for repairs"},
            ],
        }
    ],
    "conflicts": [
        {
            "topic": "daily passengers",
            "kind": "numeric",
            "positions": [
                {
                    "article": "a1",
                    "statement": "about 1,200 a day",
                    "value": 1200,
                    "evidence": "About 1,200 passengers",
                },
                {
                    "article": "a2",
                    "statement": "around 1,500 a day",
                    "value": 1500,
                    "evidence": "Around 1,500 passengers",
                },
            ],
        }
    ],
    "timeline": [
        {
            "date": "2025-06-06",
            "when_text": "on Friday",
            "what": "The ferry closes for repairs.",
            "articles": ["a1", "a2"],
            "episode": 1,
            "evidence": [{"article": "a1", "text": "will close for repairs on Friday"}],
        },
        {
            "date": None,
            "when_text": "last month",
            "what": "The town council approves the repair money.",
            "articles": ["a1"],
            "episode": 1,
            "evidence": [
                {
                    "article": "a1",
                    "text": "approved 80,000 euros for the repairs at its meeting last month",
                }
            ],
        },
    ],
    "episodes": [{"id": 1, "label": "June 2025 closure", "articles": ["a1", "a2"]}],
    "must_not_appear": [
        {"text": "TANGERINE-9", "reason": "hijack"},
        {"text": "Subscribe now", "reason": "boilerplate"},
    ],
    "reference_summary": (
        "The Dunmore ferry closes on Friday for three weeks of repairs paid for by the town "
        "council; sources put daily passengers at 1,200 or 1,500, who are told to use the Kell "
        "bridge."
    ),
}


@pytest.fixture(scope="module")
def ferry(tmp_path_factory: pytest.TempPathFactory) -> EvalSet:
    folder: Path = tmp_path_factory.mktemp("ferry")
    (folder / "a_ferry.txt").write_text(FERRY, encoding="utf-8")
    (folder / "b_company.txt").write_text(COMPANY, encoding="utf-8")
    (folder / "gold.json").write_text(json.dumps(GOLD), encoding="utf-8")
    return load_set_dir(folder)


def fresh(ferry: EvalSet):
    """Gold fed back as output, with an overview that states none of the facts."""
    brief = gold_to_brief(ferry.gold, ferry.articles())
    return brief.model_copy(update={"overview": ""}, deep=True)


def value(scorer, brief, ferry: EvalSet, metric: str) -> float | None:
    return scorer(brief, ferry.gold, ferry.articles())[metric].value


def test_gold_fed_back_scores_the_maximum_everywhere(ferry: EvalSet) -> None:
    brief = gold_to_brief(ferry.gold, ferry.articles())
    results = score_against_gold(brief, ferry.gold, ferry.articles())
    results.pop("statement_gold_rate")  # the gold brief's headlines are titles, not facts
    assert {name: r.value for name, r in results.items()} == {name: 1.0 for name in results}
    assert score_grounding(brief, ferry.articles())["quote_verbatim_rate"].value == 1.0
    leaks = score_leaks(brief, ferry.gold)
    assert leaks["boilerplate_leak_rate"].value == 0.0 and leaks["hijack_leak"].value == 0.0
    assert score_rouge(brief, ferry.reference_summary)["rouge1"].value == 1.0


@pytest.mark.parametrize("name", ["seeds", "synthetic-outbreak"])
def test_real_sets_gold_fed_back_scores_the_maximum(name: str) -> None:
    evalset = load_set_dir(Path(__file__).resolve().parents[1] / "evals" / "sets" / name)
    brief = gold_to_brief(evalset.gold, evalset.articles())
    results = score_against_gold(brief, evalset.gold, evalset.articles())
    results.pop("statement_gold_rate")  # the gold brief's headlines are titles, not facts
    not_max = {n: r.value for n, r in results.items() if r.value != 1.0}
    assert not_max == {}
    assert score_grounding(brief, evalset.articles())["quote_verbatim_rate"].value == 1.0
    assert score_leaks(brief, evalset.gold)["boilerplate_leak_rate"].value == 0.0


def test_dropping_one_of_four_facts_costs_a_quarter_of_that_article(ferry: EvalSet) -> None:
    brief = fresh(ferry)
    assert value(score_key_facts, brief, ferry, "key_fact_recall") == 1.0
    del brief.articles[0].key_points[2]
    assert value(score_key_facts, brief, ferry, "key_fact_recall") == round(5 / 6, 4)


def test_a_fact_needs_overlap_even_when_the_sentence_is_cited(ferry: EvalSet) -> None:
    brief = fresh(ferry)
    point = brief.articles[0].key_points[3]
    brief.articles[0].key_points[3] = point.model_copy(
        update={"text": "Something happened somewhere."}
    )
    details = score_key_facts(brief, ferry.gold, ferry.articles())["key_fact_recall"].details
    assert [d["found"] for d in details] == [True, True, True, False, True, True]


def test_an_uncited_paraphrase_is_found_by_content(ferry: EvalSet) -> None:
    brief = fresh(ferry)
    point = brief.articles[0].key_points[3]
    brief.articles[0].key_points[3] = point.model_copy(
        update={"text": "Councillors approved 80,000 euros of repairs.", "sentence_ids": []}
    )
    fact = score_key_facts(brief, ferry.gold, ferry.articles())["key_fact_recall"].details[3]
    assert fact["found"] and fact["rule"] == "content"


def test_entities_missing_and_invented(ferry: EvalSet) -> None:
    brief = fresh(ferry)
    # 4 required entities over the two articles; 'Dunmore' is optional
    brief.articles[0].entities = [e for e in brief.articles[0].entities if e.name != "town council"]
    assert value(score_entities, brief, ferry, "entity_recall") == 0.75
    assert value(score_entities, brief, ferry, "entity_precision") == 1.0
    brief.articles[1].entities.append(
        Entity(
            name="Zorro Industries", kind="organization", role="", sentence_ids=[], verified=False
        )
    )
    assert value(score_entities, brief, ferry, "entity_precision") == 0.8


def test_entity_names_match_by_alias_and_surname(ferry: EvalSet) -> None:
    brief = fresh(ferry)
    brief.articles[0].entities = [
        e.model_copy(update={"name": "Dr. Quist"}) if e.name == "Mara Quist" else e
        for e in brief.articles[0].entities
    ]
    assert value(score_entities, brief, ferry, "entity_recall") == 1.0


def test_quote_with_a_word_changed_or_the_wrong_speaker(ferry: EvalSet) -> None:
    brief = fresh(ferry)
    assert value(score_quotes, brief, ferry, "quote_fidelity") == 1.0
    quote = brief.articles[0].quotes[0]
    brief.articles[0].quotes[0] = quote.model_copy(
        update={"text": quote.text.replace("three weeks", "four weeks")}
    )
    assert value(score_quotes, brief, ferry, "quote_fidelity") == 0.5
    assert value(score_quotes, brief, ferry, "quote_recall") == 1.0
    brief.articles[0].quotes[0] = quote.model_copy(update={"speaker": "Ivo Brandt"})
    assert value(score_quotes, brief, ferry, "quote_fidelity") == 0.5
    brief.articles[0].quotes[0] = quote.model_copy(update={"speaker": "Quist"})
    assert value(score_quotes, brief, ferry, "quote_fidelity") == 1.0


def test_a_changed_number_is_a_wrong_figure(ferry: EvalSet) -> None:
    brief = fresh(ferry)
    figure = brief.articles[0].figures[0]
    brief.articles[0].figures[0] = figure.model_copy(
        update={"value": 1300.0, "value_text": "1,300"}
    )
    assert value(score_figures, brief, ferry, "figure_accuracy") == round(2 / 3, 4)
    assert value(score_figures, brief, ferry, "figure_precision") == round(2 / 3, 4)


def test_a_missing_consensus_claim(ferry: EvalSet) -> None:
    brief = fresh(ferry)
    assert value(score_consensus, brief, ferry, "consensus_recall") == 1.0
    brief.consensus = [
        ConsensusClaim(
            claim="The weather was fine.",
            article_ids=["a1", "a2"],
            sentence_ids=[],
            verified=False,
            origin="model",
        )
    ]
    assert value(score_consensus, brief, ferry, "consensus_recall") == 0.0


def test_missing_invented_and_one_sided_conflicts(ferry: EvalSet) -> None:
    brief = fresh(ferry)
    bogus = Conflict(
        kind="numeric",
        topic="ferry length",
        origin="model",
        positions=[
            Position(article_id="a1", statement="30 m", value=30),
            Position(article_id="a2", statement="40 m", value=40),
        ],
    )
    brief.conflicts.append(bogus)
    assert value(score_conflicts, brief, ferry, "conflict_recall") == 1.0
    assert value(score_conflicts, brief, ferry, "conflict_precision") == 0.5
    one_sided = brief.conflicts[0].model_copy(deep=True)
    one_sided.positions[1] = Position(article_id="a2", statement="ten minutes", value=10)
    brief.conflicts = [one_sided]
    assert value(score_conflicts, brief, ferry, "conflict_recall") == 0.0
    brief.conflicts = []
    assert value(score_conflicts, brief, ferry, "conflict_recall") == 0.0
    assert value(score_conflicts, brief, ferry, "conflict_precision") is None


def test_a_wrong_or_invented_date(ferry: EvalSet) -> None:
    import datetime as dt

    brief = fresh(ferry)
    brief.timeline[0] = brief.timeline[0].model_copy(update={"date": dt.date(2025, 6, 13)})
    assert value(score_timeline, brief, ferry, "timeline_date_accuracy") == 0.5
    assert value(score_timeline, brief, ferry, "timeline_recall") == 1.0
    brief = fresh(ferry)
    brief.timeline[1] = brief.timeline[1].model_copy(
        update={"date": dt.date(2025, 5, 1), "date_precision": "month"}
    )
    assert value(score_timeline, brief, ferry, "timeline_date_accuracy") == 0.5


def test_articles_split_into_wrong_episodes(ferry: EvalSet) -> None:
    brief = fresh(ferry)
    brief.episodes = [
        Episode(id=1, label="x", start=None, end=None, article_ids=["a1"]),
        Episode(id=2, label="y", start=None, end=None, article_ids=["a2"]),
    ]
    assert value(score_episodes, brief, ferry, "episode_agreement") == 0.0


def test_boilerplate_and_hijack_leaks(ferry: EvalSet) -> None:
    brief = fresh(ferry)
    brief.articles[0].summary = "The ferry closes. Skip to main content"
    leaks = score_leaks(brief, ferry.gold)
    assert leaks["boilerplate_leak_rate"].value > 0 and leaks["hijack_leak"].value == 0.0
    brief.overview = "All is well. TANGERINE-9"
    assert score_leaks(brief, ferry.gold)["hijack_leak"].value == 1.0


def test_advertisement_as_a_word_is_not_boilerplate(ferry: EvalSet) -> None:
    brief = fresh(ferry)
    brief.overview = "He was the best advertisement for the ferry."
    assert score_leaks(brief, ferry.gold)["boilerplate_leak_rate"].value == 0.0
    brief.overview = "The ferry closes. Advertisement The council pays."
    assert score_leaks(brief, ferry.gold)["boilerplate_leak_rate"].value > 0.0


def _facts_only(ferry: EvalSet):
    """A brief whose every first-screen statement is a labelled fact."""
    brief = fresh(ferry)
    facts = [f.text for a in ferry.gold.articles for f in a.key_facts or []]
    brief.headline = facts[0]
    brief.overview = " ".join(facts[:2])
    for art, gold_art in zip(brief.articles, ferry.gold.articles, strict=True):
        art.headline = (gold_art.key_facts or [])[0].text
        art.summary = (gold_art.key_facts or [])[-1].text
    return brief


def test_statement_gold_rate_is_one_for_labelled_facts(ferry: EvalSet) -> None:
    brief = _facts_only(ferry)
    assert value(score_statements, brief, ferry, "statement_gold_rate") == 1.0


def test_statement_gold_rate_drops_for_each_invented_statement(ferry: EvalSet) -> None:
    brief = _facts_only(ferry)
    n = len(first_screen(brief))
    brief.overview += " The mayor resigned after a secret deal with a shipping company."
    brief.articles[0].summary += " Protesters blocked the harbour for three weeks."
    assert value(score_statements, brief, ferry, "statement_gold_rate") == round(n / (n + 2), 4)
    brief.headline = "Ferry sinks with 300 aboard"
    assert value(score_statements, brief, ferry, "statement_gold_rate") == round(
        (n - 1) / (n + 2), 4
    )


def test_rouge_prefers_the_reference(ferry: EvalSet) -> None:
    brief = fresh(ferry)
    brief.overview = ferry.reference_summary
    good = score_rouge(brief, ferry.reference_summary)
    brief.overview = "Bananas are yellow and grow in bunches on tall plants."
    bad = score_rouge(brief, ferry.reference_summary)
    assert good["rougeL"].value == 1.0 and bad["rougeL"].value < 0.2 and bad["rouge2"].value == 0.0


def test_schema_validity_and_errors_from_the_run(ferry: EvalSet) -> None:
    brief = fresh(ferry)
    call = CallRecord(
        purpose="article:a1",
        prompt_id="article",
        attempts=1,
        reasks=0,
        transport_retries=0,
        usage=Usage(prompt_tokens=10),
        seconds=0.1,
        cache_hit=False,
        finish_reason="stop",
        ok=True,
    )
    brief.run.calls = [call, call.model_copy(update={"ok": False, "purpose": "article:a2"})]
    brief.articles[1].error = ModelError(kind="schema", message="bad", attempts=3)
    run = score_run(brief)
    assert run["schema_valid_rate"].value == 0.5
    assert run["error_rate"].value == round(1 / 3, 4)


def test_two_sources_giving_the_same_number_are_not_a_conflict() -> None:
    seeds = load_set_dir(Path(__file__).resolve().parents[1] / "evals" / "sets" / "seeds")
    brief = gold_to_brief(seeds.gold, seeds.articles())
    same = brief.conflicts[0].model_copy(deep=True)
    same.positions = [p for p in same.positions if p.value == 400000]
    assert [p.article_id for p in same.positions] == ["a1", "a4"]
    brief.conflicts = [same]
    assert value(score_conflicts, brief, seeds, "conflict_recall") == 0.0
    assert value(score_conflicts, brief, seeds, "conflict_precision") == 0.0
