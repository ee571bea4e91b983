"""Cross-source structure found by code: claim alignment, consensus, claim conflicts, and
order invariance over every evaluation set (no model: `backend=None`, the same code the
model runs use for these parts).
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from agent.evaluate.sets import EvalSet, SetError, load_benchmark, load_set_dir
from agent.grounding.align import align_story, consensus_of, undisputed
from agent.grounding.claims import claim_conflicts
from agent.ingest.article import make_article
from agent.pipeline.run import summarize_articles
from agent.schemas import Article, Conflict, ConsensusClaim, Position, Sentence, StoryBrief

ROOT = Path(__file__).resolve().parents[1]
BENCHMARK = ROOT.parent / "shared" / "evalsets" / "benchmark-dev.jsonl"


def story(*texts: str, dates: tuple[str | None, ...] = ()) -> list[Article]:
    return [
        make_article(text, index=i, source=f"t{i}.txt", date=(dates[i - 1] if dates else None))
        for i, text in enumerate(texts, start=1)
    ]


BRIDGE = (
    "Engineers closed the old river bridge on Tuesday after inspectors found deep cracks in "
    "two of its steel girders. Traffic will use the ferry crossing until repairs are done. "
    "The council will meet next month to approve the repair budget."
)
BRIDGE_2 = (
    "The old river bridge was shut on Tuesday when inspectors discovered deep cracks in two "
    "steel girders. Drivers are being sent to the ferry crossing. The mayor said the city "
    "would seek help from the regional government to pay for the work."
)
UNRELATED = (
    "The city library extended its opening hours for the exam season. Students can now stay "
    "until midnight on weekdays, the head librarian said."
)


def test_sentences_that_say_the_same_thing_are_aligned_and_make_consensus() -> None:
    articles = story(BRIDGE, BRIDGE_2, UNRELATED)
    alignment = align_story(articles)
    groups = [{u.sentence_id for u in g} for g in alignment.groups]
    assert {"a1.s1", "a2.s1"} in groups  # the cracks and the closure
    assert all(not any(s.startswith("a3.") for s in g) for g in groups)  # the library
    consensus = consensus_of(alignment)
    assert consensus and consensus[0].article_ids == ["a1", "a2"]
    assert set(consensus[0].sentence_ids) == {"a1.s1", "a2.s1"}
    assert consensus[0].claim in (articles[0].sentences[0].text, articles[1].sentences[0].text)


def test_names_alone_do_not_align_sentences() -> None:
    a = "Foreign Minister Sergei Lavrov met Secretary of State John Kerry in Geneva on Friday."
    b = "Secretary of State John Kerry praised Foreign Minister Sergei Lavrov for his patience."
    alignment = align_story(story(a + " " + BRIDGE, b + " " + UNRELATED))
    assert not any({u.sentence_id for u in g} == {"a1.s1", "a2.s1"} for g in alignment.groups)


def test_statements_dated_on_different_days_are_not_one_statement() -> None:
    a = "Ministers agreed to extend the fishing quota talks in Brussels on Monday night."
    b = "Ministers agreed to extend the fishing quota talks in Brussels on Thursday night."
    alignment = align_story(story(a + " " + BRIDGE, b + " " + UNRELATED))
    assert not any({u.sentence_id for u in g} == {"a1.s1", "a2.s1"} for g in alignment.groups)


def test_a_date_conflict_and_a_status_update_are_found_and_a_paraphrase_is_not_one() -> None:
    missing = (
        "The 16-year-old hiker who went missing Friday night near the Carrow Ridge trail "
        "is still missing as of Sunday afternoon. Rescue teams searched the ridge with dogs."
    )
    found = (
        "Rescuers said the 16-year-old hiker was found safe near the Carrow Ridge trail "
        "after a night in the open. The search for the hiker began Saturday night when the "
        "16-year-old apparently went missing near the Carrow Ridge trail."
    )
    articles = story(missing, found)
    conflicts = claim_conflicts(align_story(articles), articles)
    kinds = {c.kind: c for c in conflicts}
    assert set(kinds) == {"update", "date"}, conflicts
    update = kinds["update"]
    assert [p.article_id for p in update.positions] == ["a1", "a2"]
    assert update.positions[0].sentence_ids == ["a1.s1"]
    assert "supersede" in update.note
    days = {p.article_id: p.statement for p in kinds["date"].positions}
    assert days == {"a1": "Friday", "a2": "Saturday"}
    # the same two reports, agreeing on the day: no conflict at all but the status
    agreeing = story(missing, found.replace("Saturday night", "Friday night"))
    assert [c.kind for c in claim_conflicts(align_story(agreeing), agreeing)] == ["update"]
    # a paraphrase of one report: nothing to dispute
    calm = story(BRIDGE, BRIDGE_2)
    assert claim_conflicts(align_story(calm), calm) == []


def test_contrary_statements_about_the_same_thing_are_a_polarity_conflict() -> None:
    stays = (
        "The mayor said schools in the harbour district would stay open during the outbreak. "
        + BRIDGE
    )
    closes = (
        "The ministry will close all schools in the harbour district during the outbreak, a "
        "deputy minister said. " + BRIDGE_2
    )
    articles = story(stays, closes)
    (conflict,) = [c for c in claim_conflicts(align_story(articles), articles)]
    assert conflict.kind == "polarity" and conflict.topic.startswith("open or close")
    assert [p.sentence_ids for p in conflict.positions] == [["a1.s1"], ["a2.s1"]]
    # a negated side is the other side: "would not close" against "will close"
    negated = story(stays.replace("would stay open", "would not close"), closes)
    assert [c.kind for c in claim_conflicts(align_story(negated), negated)] == ["polarity"]
    # the same sides about different things, or two sources on the same side: none
    other = closes.replace("schools in the harbour district", "the fish market on the quay")
    unrelated = story(stays, other)
    assert claim_conflicts(align_story(unrelated), unrelated) == []
    agree = story(stays, closes.replace("will close all", "will keep open all"))
    assert claim_conflicts(align_story(agree), agree) == []


def test_a_disputed_sentence_leaves_the_consensus() -> None:
    item = ConsensusClaim(
        claim="over 400,000 killed",
        article_ids=["a1", "a2", "a3"],
        sentence_ids=["a1.s1", "a2.s1", "a3.s1"],
        verified=True,
        origin="code",
    )
    numeric = Conflict(
        kind="numeric",
        topic="people killed",
        positions=[
            Position(article_id="a1", statement="400,000", value=400000, sentence_ids=["a1.s1"]),
            Position(article_id="a2", statement="400,000", value=400000, sentence_ids=["a2.s1"]),
            Position(article_id="a3", statement="500,000", value=500000, sentence_ids=["a3.s1"]),
        ],
        origin="code",
    )
    (kept,) = undisputed([item], [numeric], {})
    assert kept.article_ids == ["a1", "a2"] and kept.sentence_ids == ["a1.s1", "a2.s1"]
    two_sided = numeric.model_copy(update={"positions": numeric.positions[1:]})
    pair = item.model_copy(update={"article_ids": ["a2", "a3"], "sentence_ids": ["a2.s1", "a3.s1"]})
    assert undisputed([pair], [two_sided], {}) == []


# --------------------------------------------------------------------------- order invariance


def _sets() -> list[EvalSet | str]:
    """Every eval set; a set that does not load is kept as its error, and its test fails."""
    sets: list[EvalSet | str] = []
    for path in sorted((ROOT / "evals" / "sets").iterdir()):
        if path.is_dir():
            try:
                sets.append(load_set_dir(path))
            except SetError as exc:
                sets.append(f"{path.name}: {exc}")
    if BENCHMARK.exists():
        sets += load_benchmark(BENCHMARK, ROOT / "evals" / "labels" / "benchmark-dev.json")
    return sets


def _renumbered(articles: list[Article]) -> list[Article]:
    out = []
    for n, a in enumerate(articles, start=1):
        new = f"a{n}"
        sentences = [
            Sentence(id=f"{new}.{s.id.split('.', 1)[1]}", text=s.text, start=s.start, end=s.end)
            for s in a.sentences
        ]
        out.append(a.model_copy(update={"id": new, "sentences": sentences}))
    return out


def _signature(brief: StoryBrief, articles: list[Article]) -> dict[str, object]:
    """The cross-source parts by content: article ids replaced by a hash of the article's
    text, sentence ids by the sentence's text."""
    key = {a.id: hashlib.sha1(a.text.encode()).hexdigest()[:10] for a in articles}
    text = {s.id: s.text for a in articles for s in a.sentences}

    def src(ids: list[str]) -> frozenset[str]:
        return frozenset(key[i] for i in ids)

    def sents(ids: list[str]) -> frozenset[str]:
        return frozenset(text.get(i, i) for i in ids)

    episode_members = {e.id: src(e.article_ids) for e in brief.episodes}
    return {
        "consensus": sorted(
            (c.claim, sorted(src(c.article_ids)), sorted(sents(c.sentence_ids)))
            for c in brief.consensus
        ),
        "conflicts": sorted(
            (
                c.kind,
                sorted(
                    (key[p.article_id], p.statement, sorted(sents(p.sentence_ids)))
                    for p in c.positions
                ),
            )  # fmt: skip
            for c in brief.conflicts
        ),
        "alignment": sorted((g.statement, sorted(sents(g.sentence_ids))) for g in brief.alignment),
        "episodes": sorted(sorted(m) for m in episode_members.values()),
        "timeline": sorted(
            (
                e.date.isoformat() if e.date else "",
                e.what,
                sorted(src(e.article_ids)),
                sorted(episode_members.get(e.episode, frozenset())),
            )
            for e in brief.timeline
        ),
    }


@pytest.mark.parametrize(
    "eval_set", _sets(), ids=lambda s: s.name if isinstance(s, EvalSet) else s.split(":")[0]
)
def test_shuffling_the_input_order_changes_no_cross_source_part(eval_set: EvalSet | str) -> None:
    assert isinstance(eval_set, EvalSet), eval_set
    articles = eval_set.articles()
    if len(articles) < 2:
        pytest.skip("one article: nothing to line up")
    base = _signature(summarize_articles(articles, None), articles)
    rng = random.Random(7)
    for _ in range(3):
        shuffled = _renumbered(rng.sample(articles, len(articles)))
        got = _signature(summarize_articles(shuffled, None), shuffled)
        for part in base:
            assert got[part] == base[part], f"{eval_set.name}: {part} depends on input order"


def test_duplicate_search_finds_what_comparing_every_pair_finds() -> None:
    from agent.grounding.duplicates import _shingles, find_duplicates
    from agent.text.match import jaccard

    rng = random.Random(3)
    vocabulary = [f"w{n}" for n in range(60)]
    bases = [" ".join(rng.choice(vocabulary) for _ in range(90)) + "." for _ in range(12)]
    texts = []
    for n in range(60):  # copies, near copies (a few words changed) and fresh texts
        base = bases[n % len(bases)].split()
        for _ in range(rng.choice([0, 0, 1, 2, 6, 30])):
            base[rng.randrange(len(base))] = rng.choice(vocabulary)
        texts.append(" ".join(base))
    articles = story(*texts)

    def brute(threshold: float = 0.85) -> list[tuple[str, str]]:
        out, originals = [], []
        for a in articles:
            own = _shingles(a.text)
            hit = next(
                (
                    o.id
                    for o, s in originals
                    if o.sha256 == a.sha256 or jaccard(own, s) >= threshold
                ),
                None,
            )
            if hit:
                out.append((a.id, hit))
            else:
                originals.append((a, own))
        return out

    found = [(dup, original) for dup, original, _ in find_duplicates(articles)]
    assert found == brute() and 10 < len(found) < 60


def test_the_brief_does_not_depend_on_the_hash_seed() -> None:
    """Set iteration order changes with PYTHONHASHSEED; nothing in the brief may (the replay
    recordings key on the synthesis prompt, which carries the alignment)."""
    import json
    import os
    import subprocess
    import sys

    def run(seed: str) -> dict:
        out = subprocess.run(
            [sys.executable, "-m", "agent", "summarize", "--backend", "none", "--no-cache", "-q"]
            + [str(ROOT / "examples" / "syria")],
            capture_output=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        brief = json.loads(out.stdout)
        brief.pop("run")
        return brief

    first = run("1")
    assert first["alignment"] and first == run("2") == run("3")
