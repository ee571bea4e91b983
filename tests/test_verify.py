"""Verification (agent.verify): model drafts checked against the article they describe.

Drafts are written here by hand from real sentences of a bundled article, then damaged the
way a tiny model damages them: invented quotes and numbers, wrong speakers, wrong or
made-up sentence ids, repetition.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from agent.grounding.article import finalize_article, lead_summary
from agent.grounding.support import PARTIAL, SUPPORTED, support_level, support_score
from agent.ingest.article import make_article
from agent.schemas import Article, ArticleDraft, ModelError
from agent.text.sentences import is_degenerate, split_sentences

SEED = Path(__file__).resolve().parents[1] / "examples" / "syria" / "000_49e27517a55b56c3.txt"


@pytest.fixture(scope="module")
def article() -> Article:
    return make_article(
        SEED.read_text(encoding="utf-8"), index=1, source=SEED.name, date="2016-09-09"
    )


def sid(article: Article, needle: str) -> str:
    """The id of the sentence containing `needle`."""
    return next(s.id for s in article.sentences if needle in s.text)


def good_draft(article: Article, **changes: object) -> ArticleDraft:
    data: dict[str, object] = {
        "headline": "US and Russia agree joint air strikes in Syria if truce holds",
        "summary": (
            "The United States and Russia have agreed to carry out joint air strikes in Syria if a "
            "newly agreed ceasefire holds for a week. The truce will come into force on Monday."
        ),
        "key_points": [
            {
                "text": (
                    "The United States and Russia agreed to carry out joint air strikes in Syria "
                    "if the ceasefire holds for a week."
                ),
                "sentence_ids": [sid(article, "have agreed to carry out joint air strikes")],
            },
            {
                "text": "The truce will come into force on Monday.",
                "sentence_ids": [sid(article, "come into force")],
            },
            {
                "text": "The Geneva negotiating session lasted more than 13 hours.",
                "sentence_ids": [sid(article, "13 hours")],
            },
        ],
        "entities": [
            {"name": "Sergei Lavrov", "kind": "person", "role": "Russian foreign minister"},
            {"name": "John Kerry", "kind": "person", "role": "US secretary of state"},
        ],
        "quotes": [
            {
                "speaker": "Lavrov",
                "text": "Only the Russian and American air forces will work in these zones",
                "sentence_id": sid(article, '"Only the Russian'),
            },
        ],
        "figures": [
            {
                "value": "400,000",
                "unit": "",
                "counts": "people killed in the conflict",
                "sentence_id": sid(article, "400,000"),
            },
        ],
        "events": [
            {
                "what": "The truce will come into force",
                "when": "on Monday",
                "sentence_id": sid(article, "come into force"),
            },
        ],
    }
    data.update(changes)
    return ArticleDraft.model_validate(data)


def issues(brief, check: str) -> list[str]:
    return [i.item for i in brief.verification.issues if i.check == check]


# --------------------------------------------------------------------------- scores


def test_support_score_of_a_sentence_against_itself_and_an_unrelated_one(article):
    sentence = article.sentences[1].text
    assert support_score(sentence, [sentence]) == 1.0
    assert (
        support_score("The central bank raised interest rates to curb inflation.", [sentence])
        < PARTIAL
    )
    assert support_score("", [sentence]) == 0.0


def test_support_score_normalises_numbers_and_inflections():
    assert support_score("400000 people were killed", ["killing more than 400,000 people"]) == 1.0
    assert support_score("five years of war", ["the war raged for 5 years"]) == 1.0


def test_support_levels():
    assert support_level(SUPPORTED) == "supported"
    assert support_level(PARTIAL) == "partial"
    assert support_level(PARTIAL - 0.01) == "unsupported"


@pytest.mark.parametrize(
    ("text", "degenerate"),
    [
        ("the the the the the the", True),
        ("Russia and the US agreed a truce. " * 5, True),
        ("strikes strikes strikes in Syria Syria strikes strikes", True),
        (
            "The United States and Russia agreed to carry out joint air strikes in Syria if "
            "the truce holds.",
            False,
        ),
        (
            "Kerry said the plan could stop the conflict. Lavrov said the truce starts on Monday.",
            False,
        ),
    ],
)
def test_is_degenerate(text, degenerate):
    assert is_degenerate(text) is degenerate


# --------------------------------------------------------------------------- finalize_article


def test_good_draft_keeps_its_items_as_verified(article):
    brief = finalize_article(article, good_draft(article), flags=["chunked:1"])
    assert brief.headline.startswith("US and Russia agree")
    assert brief.summary_origin == "model" and "come into force on Monday" in brief.summary
    origins = [k.origin for k in brief.key_points]
    assert origins[:3] == ["model"] * 3 and set(origins[3:]) <= {"code"}  # + the lead
    assert all(k.support == "supported" for k in brief.key_points)
    assert {e.name for e in brief.entities} >= {"Sergei Lavrov", "John Kerry"}
    assert all(e.verified and e.sentence_ids for e in brief.entities)
    assert [q.speaker for q in brief.quotes] == [
        "Sergei Lavrov",
        "Sergei Lavrov",
    ]  # code quotes, model one merged
    toll = next(f for f in brief.figures if f.value == 400000)
    assert toll.qualifier == "more than" and toll.origin == "code"
    monday = next(e for e in brief.events if e.when_text == "on Monday")
    assert monday.date == dt.date(2016, 9, 12)
    assert brief.verification.issues == [] and brief.verification.dropped == []
    assert (
        brief.verification.checked == brief.verification.passed == 10
    )  # headline, summary and 8 items
    assert brief.flags == ["chunked:1"] and brief.error is None
    assert (brief.article_id, brief.source, brief.date) == ("a1", SEED.name, dt.date(2016, 9, 9))


def test_invented_quote_is_dropped(article):
    draft = good_draft(
        article,
        quotes=[
            {
                "speaker": "Kerry",
                "text": "We will defeat terrorism together",
                "sentence_id": sid(article, "Kerry said"),
            },
        ],
    )
    brief = finalize_article(article, draft)
    assert "We will defeat terrorism together" not in [q.text for q in brief.quotes]
    assert issues(brief, "verbatim") == ["quotes[0]"]
    assert any("We will defeat terrorism" in d for d in brief.verification.dropped)


def test_narration_presented_as_a_quote_is_dropped(article):
    draft = good_draft(
        article,
        quotes=[
            {
                "speaker": "Lavrov",
                "text": "Russia has persuaded its ally, the Syrian government",
                "sentence_id": sid(article, "persuaded its ally"),
            },
        ],
    )
    brief = finalize_article(article, draft)
    assert all(q.origin == "code" for q in brief.quotes)
    assert issues(brief, "quoted") == ["quotes[0]"]


def test_wrong_speaker_of_a_code_quote_is_an_issue(article):
    draft = good_draft(
        article,
        quotes=[
            {
                "speaker": "John Kerry",
                "text": "Only the Russian and American air forces will work in these zones",
                "sentence_id": sid(article, '"Only the Russian'),
            },
        ],
    )
    brief = finalize_article(article, draft)
    quote = next(q for q in brief.quotes if q.text.startswith("Only the Russian"))
    assert quote.speaker == "Sergei Lavrov" and quote.speaker_verified
    assert issues(brief, "speaker") == ["quotes[0]"]


def test_wrong_speaker_of_a_quote_code_did_not_take_is_not_verified(article):
    draft = good_draft(
        article,
        quotes=[
            {
                "speaker": "Assad",
                "text": "stop the conflict",
                "sentence_id": sid(article, "Kerry said he believed"),
            },
        ],
    )
    brief = finalize_article(article, draft)
    quote = next(q for q in brief.quotes if q.origin == "model")
    assert quote.text == "stop the conflict" and quote.verbatim and not quote.speaker_verified
    assert issues(brief, "speaker") == ["quotes[0]"]


def test_right_speaker_of_a_short_quote_is_verified(article):
    draft = good_draft(
        article,
        quotes=[
            {
                "speaker": "John Kerry",
                "text": "stop the conflict",
                "sentence_id": sid(article, "Kerry said he believed"),
            },
        ],
    )
    brief = finalize_article(article, draft)
    quote = next(q for q in brief.quotes if q.origin == "model")
    assert quote.speaker == "John Kerry" and quote.speaker_verified
    assert brief.verification.issues == []


def test_figure_not_in_the_cited_sentence_is_dropped(article):
    draft = good_draft(
        article,
        figures=[
            {
                "value": "600,000",
                "unit": "people",
                "counts": "refugees",
                "sentence_id": sid(article, "400,000"),
            },
            {
                "value": "13",
                "unit": "hours",
                "counts": "hours of talks",
                "sentence_id": sid(article, "400,000"),
            },
        ],
    )
    brief = finalize_article(article, draft)
    assert 600000 not in [f.value for f in brief.figures]
    assert issues(brief, "figure_in_sentence") == ["figures[0]", "figures[1]"]
    assert len(brief.verification.dropped) == 2
    assert all(f.origin == "code" for f in brief.figures)


def test_figure_written_in_digits_matches_number_words(article):
    draft = good_draft(
        article,
        figures=[
            {
                "value": "5",
                "unit": "years",
                "counts": "years of war",
                "sentence_id": sid(article, "five years"),
            },
        ],
    )
    brief = finalize_article(article, draft)
    assert issues(brief, "figure_in_sentence") == []
    assert [f.value_text for f in brief.figures if f.value == 5] == ["five"]


def test_invalid_sentence_ids_are_recited_or_dropped(article):
    points = [
        {"text": "The truce will come into force on Monday.", "sentence_ids": ["a1.s99"]},
        {
            "text": "Assad and his allies insist that he must remain in power.",
            "sentence_ids": ["a1.s98"],
        },
        {"text": "Aliens landed in Geneva during the talks.", "sentence_ids": ["a1.s97"]},
    ]
    brief = finalize_article(article, good_draft(article, key_points=points))
    cited = {k.text: k.sentence_ids for k in brief.key_points if k.origin == "model"}
    assert cited["The truce will come into force on Monday."] == [sid(article, "come into force")]
    # the verifier's evidence: the sentence that says it (and the one naming Assad, if needed)
    assert (
        sid(article, "remain in power")
        in cited["Assad and his allies insist that he must remain in power."]
    )
    assert "Aliens landed in Geneva during the talks." not in cited
    assert issues(brief, "sentence_id").count("key_points[0]") == 2  # invalid id, then re-cited
    assert any("Aliens" in d for d in brief.verification.dropped)


def test_unsupported_and_duplicate_key_points_are_dropped_and_the_lead_stands(article):
    points = [
        {
            "text": "The truce will come into force on Monday.",
            "sentence_ids": [sid(article, "come into force")],
        },
        {
            "text": "The truce will come into force on Monday!",
            "sentence_ids": [sid(article, "come into force")],
        },
        {
            "text": "Obama won the election in a landslide.",
            "sentence_ids": [sid(article, "Assad and his allies")],
        },
    ]
    brief = finalize_article(article, good_draft(article, key_points=points))
    assert [k.origin for k in brief.key_points] == ["model", "code", "code", "code"]  # + 3 lead
    assert all(k.support == "supported" and k.support_score == 1.0 for k in brief.key_points[1:])
    assert issues(brief, "duplicate") == ["key_points[1]"]
    assert "key_points[2]" in issues(brief, "support")
    assert all("Obama" not in k.text for k in brief.key_points)


@pytest.mark.parametrize(
    "summary",
    [
        "the the the the the the the the the the",
        "Russia and the US agreed to joint air strikes. " * 5,
    ],
)
def test_degenerate_summary_falls_back_to_lead(article, summary):
    brief = finalize_article(article, good_draft(article, summary=summary))
    assert brief.summary_origin == "code"
    assert brief.summary.startswith("The United States and Russia have agreed")
    assert issues(brief, "degenerate") == ["summary"]


def test_summary_loses_repeated_and_unsupported_sentences(article):
    summary = (
        "The truce will come into force on Monday. The truce will come into force on Monday. "
        "Martians voted for a new parliament."
    )
    brief = finalize_article(article, good_draft(article, summary=summary))
    lead = split_sentences(lead_summary(article))
    new = "The truce will come into force on Monday."
    # the lead, then the new sentence in place of the last lead sentences: no longer than the lead
    assert brief.summary.endswith(" " + new) and brief.summary.startswith(lead[0])
    kept = split_sentences(brief.summary)[:-1]
    assert kept == lead[: len(kept)] and 1 <= len(kept) < len(lead)
    assert len(brief.summary.split()) <= len(" ".join(lead).split())
    assert brief.summary_origin == "model" and "Martians" not in brief.summary
    assert set(issues(brief, "duplicate")) == {"summary"} and "summary" in issues(brief, "support")


def test_a_model_that_fails_most_of_its_items_adds_nothing_to_the_summary(article):
    first = article.sentences[0].id
    invented = {
        "key_points": [
            {"text": f"Martians voted for parliament number {n}.", "sentence_ids": [first]}
            for n in range(5)
        ],
        "entities": [
            {"name": "Angela Merkel", "kind": "person", "role": "chancellor"},
            {"name": "Boris Yeltsin", "kind": "person", "role": "president"},
        ],
        "quotes": [{"speaker": "Lavrov", "text": "We never met Kerry", "sentence_id": first}],
    }
    summary = "Martians voted. The truce will come into force on Monday."
    trusted = finalize_article(article, good_draft(article, summary=summary))
    assert trusted.summary_origin == "model" and "come into force" in trusted.summary
    doubted = finalize_article(article, good_draft(article, summary=summary, **invented))
    assert doubted.verification.passed < doubted.verification.checked / 2
    assert doubted.summary == lead_summary(article) and doubted.summary_origin == "code"
    assert issues(doubted, "trust") == ["summary"]


def test_degenerate_headline_uses_title(article):
    brief = finalize_article(article, good_draft(article, headline="Syria Syria Syria Syria Syria"))
    assert brief.headline == article.title
    assert issues(brief, "degenerate") == ["headline"]


def test_entity_not_in_text_is_dropped_and_speakers_added(article):
    draft = good_draft(
        article, entities=[{"name": "Angela Merkel", "kind": "person", "role": "chancellor"}]
    )
    brief = finalize_article(article, draft)
    assert "Angela Merkel" not in [e.name for e in brief.entities]
    assert issues(brief, "entity_in_text") == ["entities[0]"]
    lavrov = next(e for e in brief.entities if e.name == "Sergei Lavrov")
    assert lavrov.role == "quoted" and lavrov.verified


def test_event_when_not_in_sentence_is_dropped(article):
    draft = good_draft(
        article,
        events=[
            {
                "what": "Talks resume",
                "when": "on Tuesday",
                "sentence_id": sid(article, "come into force"),
            },
        ],
    )
    brief = finalize_article(article, draft)
    assert "on Tuesday" not in [e.when_text for e in brief.events]
    assert issues(brief, "when_in_sentence") == ["events[0]"]


def test_no_draft_gives_an_extractive_brief(article):
    error = ModelError(kind="invalid_json", message="the reply was not JSON", attempts=3)
    brief = finalize_article(article, None, error=error, flags=["prompt_injection_suspected"])
    assert brief.error == error and brief.flags == ["prompt_injection_suspected"]
    assert brief.headline == article.title
    assert brief.summary_origin == "code" and brief.summary.startswith(
        "The United States and Russia"
    )
    assert brief.key_points and all(k.origin == "code" for k in brief.key_points)
    assert [q.speaker for q in brief.quotes] == ["Sergei Lavrov", "Sergei Lavrov"]
    assert [e.name for e in brief.entities] == ["Sergei Lavrov"]
    assert 400000 in [f.value for f in brief.figures]
    assert brief.verification.checked == 0 and brief.verification.passed == 0
