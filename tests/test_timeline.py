"""Timeline and episodes: date evidence from captions and datelines, relative dates resolved
from it, background listed apart, undated articles kept apart unless their content links them,
and the same result whatever the input order. Offline and fast: code-only briefs.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from agent.evaluate.scorers import score_episodes, score_timeline
from agent.evaluate.sets import load_set_dir
from agent.extract.dates import extract_events, reference_date
from agent.grounding.article import finalize_article
from agent.grounding.timeline import build_timeline
from agent.ingest.article import make_article
from agent.pipeline.run import summarize_articles
from agent.render.markdown import render_markdown
from agent.render.story_view import StoryView
from agent.schemas import Article, DateEvidence, StoryBrief

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "examples" / "syria"
D = dt.date

# An invented story: a bridge collapses on Sunday 3 March 2024 (two dated reports, one
# undated report that repeats the mayor's words) and, in the same town with the same
# mayor, a flower festival nobody dates.
COLLAPSE = """Orlen Bridge collapses in Tarnow; two injured

Monday, 4 March 2024

Part of Tarnow's Orlen Bridge collapsed on Sunday, injuring two drivers, Mayor Ida Brenner said.

"The river crossing will stay closed until engineers have checked every pillar," Brenner said.

Engineers blamed corroded steel cables for the collapse of the span, which opened in 1974.

Repairs will begin next week, the city transport office said.
"""
CABLES = """Corroded cables blamed for Orlen Bridge collapse

Tuesday, 5 March 2024

City engineers said corroded steel cables caused part of the Orlen Bridge to collapse on Sunday.

Mayor Ida Brenner said the river crossing would stay closed for weeks.

A ferry service across the river will start on Thursday.
"""
DETOURS = """Drivers face long detours after bridge collapse

Commuters in Tarnow face detours of up to 40 minutes after part of the Orlen Bridge collapsed.

"The river crossing will stay closed until engineers have checked every pillar," she said Monday.

Corroded steel cables were blamed for the collapse.
"""
FESTIVAL = """Tarnow opens its spring flower festival

Mayor Ida Brenner opened the spring flower festival in Tarnow's old market square on Saturday.

More than 200 growers from the region are showing tulips and orchids, the organisers said.

The festival runs until the end of the month, Brenner said.
"""
CAPTIONED = """Divers search the river under the Orlen Bridge

Rescue workers stand on the Orlen Bridge in Tarnow on March 3, 2024. (Reuters)

Divers searched the river under the Orlen Bridge on Sunday after part of the span collapsed.

Repairs will begin next week, the city said.

The bridge opened in 1974 and has carried traffic since 1975.

A file photo of the bridge taken on June 1, 2019. (Reuters/File)
"""


def _story(*texts: str) -> tuple[list[Article], list]:
    articles = [make_article(t, index=i, source=f"t{i}.txt") for i, t in enumerate(texts, 1)]
    return articles, [finalize_article(a, None) for a in articles]


# --------------------------------------------------------------------------- date evidence


def test_caption_dates_are_evidence_and_captions_stay_out_of_the_text():
    article = make_article(CAPTIONED, index=1, source="c.txt")
    assert article.date is None  # a caption does not state the publication date
    assert article.date_evidence == [
        DateEvidence(date=D(2024, 3, 3), text="March 3, 2024", where="caption")
    ]  # the file photo's 2019 date dates nothing
    assert "Rescue workers" not in article.text and "file photo" not in article.text
    bare = make_article(
        "\n".join(ln for ln in CAPTIONED.splitlines() if "(Reuters" not in ln),
        index=1,
        source="c.txt",
    )
    assert [(s.id, s.text) for s in article.sentences] == [(s.id, s.text) for s in bare.sentences]
    assert reference_date(article) == D(2024, 3, 3)


def test_dateline_and_date_line_are_evidence():
    wire = make_article(
        "GENEVA, Sept. 10, 2016 (Reuters) - The two ministers announced a truce on Saturday.",
        index=1,
        source="w.txt",
    )
    assert [(e.date, e.where) for e in wire.date_evidence] == [(D(2016, 9, 10), "dateline")]
    assert wire.text.startswith("GENEVA")  # the dateline stays: it opens the first sentence
    dated = make_article(COLLAPSE, index=1, source="d.txt")
    assert [(e.date, e.where) for e in dated.date_evidence] == [(D(2024, 3, 4), "date line")]
    headline = make_article(
        "Talks: US, Russia agree on May 3, 2016 - a first step\n\nThey met for hours.",
        index=1,
        source="h.txt",
    )
    assert headline.date_evidence == []  # a sentence with a date is not a dateline


def test_relative_dates_resolve_from_the_caption_date():
    article = make_article(CAPTIONED, index=1, source="c.txt")
    by_when = {e.when_text: (e.date, e.date_precision) for e in extract_events(article)}
    assert by_when["on Sunday"] == (D(2024, 3, 3), "day")
    timeline, episodes = build_timeline([finalize_article(article, None)], [article])
    assert (episodes[0].start, episodes[0].article_ids) == (D(2024, 3, 3), ["a1"])
    week = next(e for e in timeline if e.when_text == "next week")
    assert (week.date, week.date_precision, week.background) == (D(2024, 3, 4), "week", False)


# --------------------------------------------------------------------------- timeline


def test_relative_dates_in_the_timeline():
    articles, briefs = _story(COLLAPSE, CABLES)
    timeline, episodes = build_timeline(briefs, articles)
    dated = {(e.when_text, tuple(e.article_ids)): (e.date, e.date_precision) for e in timeline}
    assert dated[("on Sunday", ("a1",))] == (D(2024, 3, 3), "day")  # the Sunday before Monday
    assert dated[("on Sunday", ("a2",))] == (D(2024, 3, 3), "day")  # ... and before Tuesday
    assert dated[("on Thursday", ("a2",))] == (D(2024, 3, 7), "day")  # "will start": ahead
    assert dated[("next week", ("a1",))] == (D(2024, 3, 11), "week")
    assert [(e.start, e.end) for e in episodes] == [(D(2024, 3, 3), D(2024, 3, 7))]


def test_background_is_marked_and_listed_apart():
    articles, briefs = _story(COLLAPSE, CABLES)
    timeline, _ = build_timeline(briefs, articles)
    opened = next(e for e in timeline if e.when_text == "in 1974")
    assert opened.background and opened.episode == 1
    assert not any(e.background for e in timeline if e.date_precision in ("day", "week"))
    brief = summarize_articles(articles, None)
    markdown = render_markdown(brief)
    steps, background = markdown.split("## Timeline")[1].split("Background:")
    assert "1974" in background and "1974" not in steps
    assert "2024-03-03" in steps
    view = StoryView(brief, articles).episodes()
    assert [b["when"] for b in view[0]["background"]] == ["1974"]
    assert all(s["when"] != "1974" for s in view[0]["steps"])


# --------------------------------------------------------------------------- episodes


def test_undated_article_of_another_event_is_not_merged():
    articles, briefs = _story(COLLAPSE, CABLES, DETOURS, FESTIVAL)
    timeline, episodes = build_timeline(briefs, articles)
    assert [e.article_ids for e in episodes] == [["a1", "a2", "a3"], ["a4"]]
    # the undated report that repeats the mayor's words joins the collapse ...
    assert episodes[0].start == D(2024, 3, 3)
    # ... the festival, which shares only the town and the mayor, is kept apart and said so
    festival = episodes[1]
    assert (festival.start, festival.end) == (None, None)
    assert festival.label == "a4: date unknown; different event from a1/a2/a3?"
    saturday = next(e for e in timeline if "a4" in e.article_ids)
    assert (saturday.when_text, saturday.date, saturday.episode) == ("on Saturday", None, 2)
    monday = next(e for e in timeline if e.when_text == "Monday")
    assert monday.article_ids == ["a3"] and monday.date is None and monday.episode == 1


def test_story_without_any_date_is_one_episode():
    articles, briefs = _story(DETOURS, FESTIVAL)
    timeline, episodes = build_timeline(briefs, articles)
    assert [(e.article_ids, e.start, e.label) for e in episodes] == [
        (["a1", "a2"], None, "a1, a2: date unknown")
    ]
    assert {e.when_text for e in timeline} == {"Monday", "on Saturday"}
    assert all(e.date is None and e.episode == 1 for e in timeline)


# --------------------------------------------------------------------------- the seed story


def _content(brief: StoryBrief, articles: list[Article]) -> tuple:
    """Episodes and timeline with every article id replaced by the article's text hash."""
    key = {a.id: a.sha256 for a in articles}
    text = {s.id: s.text for a in articles for s in a.sentences}
    episodes = {e.id: frozenset(key[a] for a in e.article_ids) for e in brief.episodes}
    timeline = sorted(
        (
            str(e.date),
            e.date_precision,
            e.when_text,
            e.what,
            e.background,
            tuple(sorted(key[a] for a in e.article_ids)),
            tuple(sorted(text[s] for s in e.sentence_ids)),
            tuple(sorted(episodes[e.episode])),
        )
        for e in brief.timeline
    )
    spans = sorted((e.start, e.end, episodes[e.id]) for e in brief.episodes if e.start)
    return frozenset(episodes.values()), timeline, spans


def test_seed_episodes_and_timeline_do_not_depend_on_input_order():
    texts = [f.read_text(encoding="utf-8") for f in sorted(SEEDS.glob("*.txt"))]
    results = []
    for seed in (0, 1, 2):
        shuffled = list(texts)
        random.Random(seed).shuffle(shuffled)
        articles = [make_article(t, index=i, source=f"s{i}") for i, t in enumerate(shuffled, 1)]
        results.append(_content(summarize_articles(articles, None), articles))
    assert results[0] == results[1] == results[2]
    assert len(results[0][0]) == 3 and len(results[0][1]) >= 8


@pytest.fixture(scope="module")
def seeds_scored():
    evalset = load_set_dir(ROOT / "evals" / "sets" / "seeds")
    articles = evalset.articles()
    brief = summarize_articles(articles, None)
    assert evalset.gold is not None
    return brief, evalset.gold, articles


def test_seed_episodes_match_the_gold(seeds_scored):
    brief, gold, articles = seeds_scored
    assert score_episodes(brief, gold, articles)["episode_agreement"].value == 1.0
    a3 = next(e for e in brief.episodes if "a3" in e.article_ids)
    assert a3.article_ids == ["a3"] and a3.start is None
    assert a3.label == "a3: date unknown; different event from a1/a4/a5?"
    deal = next(e for e in brief.episodes if "a4" in e.article_ids)
    assert deal.article_ids == ["a1", "a4", "a5"]
    assert (deal.start, deal.end) == (D(2016, 9, 10), D(2016, 9, 12))  # a4's caption date


def test_seed_timeline_has_the_deal_and_the_truce(seeds_scored):
    brief, gold, articles = seeds_scored
    scores = score_timeline(brief, gold, articles)
    assert scores["timeline_recall"].value >= 0.8
    right = {d["gold_date"] for d in scores["timeline_date_accuracy"].details if d["date_right"]}
    assert {"2016-09-10", "2016-09-12"} <= right  # the deal (Saturday), the truce (Monday)
    truce = next(e for e in brief.timeline if e.date == D(2016, 9, 12))
    assert truce.article_ids == ["a1", "a4"]  # a1's undated "on Monday" joins a4's
    assert {e.when_text for e in brief.timeline if e.background} >= {"since 2011", "In 2014"}


def test_synthetic_undated_article_of_another_event_stands_apart():
    evalset = load_set_dir(ROOT / "evals" / "sets" / "synthetic-outbreak", check=False)
    articles = evalset.articles()
    wing = next(a for a in articles if "maternity wing" in a.text)
    brief = summarize_articles(articles, None)
    episode = next(e for e in brief.episodes if wing.id in e.article_ids)
    assert episode.article_ids == [wing.id] and episode.start is None
    assert episode.label.startswith(f"{wing.id}: date unknown")
    entries = [e for e in brief.timeline if wing.id in e.article_ids]
    assert {e.when_text for e in entries} == {"on Thursday", "on Monday"}
    assert all(e.date is None and e.article_ids == [wing.id] for e in entries)
