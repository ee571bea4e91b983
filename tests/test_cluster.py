"""Story clustering and its B-cubed scorer (invented articles only)."""

from __future__ import annotations

import pytest

from agent.stories import ClusterItem, bcubed, cluster_articles
from agent.stories.cluster import parse_date

BRIDGE = [
    (
        "Harbour bridge closed after cracks found in main span",
        "Engineers closed the Kessport harbour bridge on Monday after inspectors found cracks in "
        "the main steel span. Traffic was diverted to the ring road while the bridge authority "
        "assessed the damage to the span and the cables.",
    ),
    (
        "Kessport bridge repairs to take six weeks, authority says",
        "The Kessport bridge authority said repairs to the cracked steel span of the "
        "harbour bridge would take six weeks. "
        "Inspectors found the cracks during a routine check of the span.",
    ),
    (
        "Commuters face long detours as harbour bridge stays shut",
        "Commuters in Kessport faced detours of up to an hour as the harbour bridge stayed "
        "closed for repairs to its cracked span. "
        "The bridge authority apologised for the traffic on the ring road.",
    ),
]
CHESS = [
    (
        "Teenager wins national chess championship in Orvale",
        "Sixteen-year-old Mira Talvik won the national chess championship in Orvale on Sunday, "
        "beating the defending champion in a tense final game of the tournament.",
    ),
    (
        "Talvik becomes youngest chess champion after final-round win",
        "Mira Talvik became the youngest national chess champion after winning the final round of "
        "the Orvale tournament against the defending champion, the chess federation said.",
    ),
]


def items(pairs: list[tuple[str, str]], prefix: str, date: str | None = None) -> list[ClusterItem]:
    return [
        ClusterItem(id=f"{prefix}{k}", title=t, text=x, date=date) for k, (t, x) in enumerate(pairs)
    ]


def test_bcubed_perfect_and_good_beats_bad() -> None:
    truth = [["a", "b", "c"], ["d", "e"]]
    assert bcubed(truth, truth) == (1.0, 1.0, 1.0)
    good = [["a", "b", "c"], ["d"], ["e"]]  # one story split: precision stays 1
    lumped = [["a", "b", "c", "d", "e"]]  # everything together: recall 1, precision low
    singletons = [[x] for x in "abcde"]
    mixed = [["a", "d"], ["b", "e"], ["c"]]
    scores = {
        name: bcubed(pred, truth)
        for name, pred in [
            ("good", good),
            ("lumped", lumped),
            ("singletons", singletons),
            ("mixed", mixed),
        ]
    }
    assert scores["good"][0] == 1.0 and scores["good"][1] < 1.0
    assert scores["lumped"][1] == 1.0 and scores["lumped"][0] == pytest.approx(
        (3 * 3 / 5 + 2 * 2 / 5) / 5
    )
    assert scores["singletons"][0] == 1.0 and scores["singletons"][1] == pytest.approx(
        (3 / 3 + 2 / 2) / 5
    )
    assert scores["good"][2] > max(scores[n][2] for n in ("lumped", "singletons", "mixed"))
    assert scores["mixed"][2] < scores["singletons"][2]


def test_bcubed_accepts_labels_and_rejects_mismatched_items() -> None:
    assert bcubed({"a": 1, "b": 1, "c": 2}, [["a", "b"], ["c"]]) == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="different items"):
        bcubed([["a"]], [["a", "b"]])
    with pytest.raises(ValueError, match="two clusters"):
        bcubed([["a"], ["a"]], [["a"]])


def test_two_distinct_stories_are_separated_and_each_kept_together() -> None:
    stream = items(BRIDGE, "bridge") + items(CHESS, "chess")
    order = [stream[i] for i in (0, 3, 1, 4, 2)]  # interleaved arrival
    stories = cluster_articles(order)
    pred = [[order[i].id for i in story] for story in stories]
    truth = {x.id: x.id.rstrip("0123456789") for x in stream}
    assert bcubed(pred, truth) == (1.0, 1.0, 1.0), pred


def test_time_decay_splits_the_same_words_years_apart() -> None:
    now = items(BRIDGE[:2], "now", "2025-03-03")
    later = items(BRIDGE[2:], "later", "2031-06-01")
    stories = cluster_articles(now + later)
    assert stories == [[0, 1], [2]]
    assert cluster_articles(items(BRIDGE, "x")) == [[0, 1, 2]]  # the same texts undated: one story


def test_clustering_is_deterministic_for_one_order() -> None:
    stream = items(BRIDGE, "b") + items(CHESS, "c")
    first = cluster_articles(stream)
    assert all(cluster_articles(list(stream)) == first for _ in range(3))
    assert sorted(i for story in first for i in story) == list(range(len(stream)))


def test_parse_date_forms() -> None:
    assert str(parse_date("Saturday, January 8, 2005")) == "2005-01-08"
    assert str(parse_date("20-05-2016")) == "2016-05-20"
    assert str(parse_date("Sat, 10 Sep 2016 10:00:00 GMT")) == "2016-09-10"
    assert parse_date("on Monday") is None and parse_date("March 5") is None


def test_digest_briefs_only_stories_with_two_independent_sources(tmp_path) -> None:
    import json

    from agent import Settings
    from agent.stories.digest import run_digest

    feed = tmp_path / "feed.jsonl"
    chess_copy = {
        "title": CHESS[0][0],
        "text": "From the wire. " + CHESS[0][1],
        "source": "Daily B",
    }
    lines = [{"title": t, "text": x, "source": f"Outlet {k}"} for k, (t, x) in enumerate(BRIDGE)]
    lines += [{"title": CHESS[0][0], "text": CHESS[0][1], "source": "Daily A"}, chess_copy]
    feed.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    out = tmp_path / "digest.jsonl"
    summary = run_digest(feed, settings=Settings(backend="none"), out=out, progress=None)
    assert (summary.articles, summary.stories, summary.eligible) == (5, 2, 1)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 1 and records[0]["status"] == "ok"
    assert (
        len(records[0]["brief"]["articles"]) == 3
    )  # the bridge story; the copied chess report counts once
    assert len(summary.skipped_ids) == 1


def test_cluster_command_writes_batch_input(tmp_path) -> None:
    import json

    from agent.cli.main import main
    from agent.stories.inputs import read_stories

    for k, (title, text) in enumerate(BRIDGE + CHESS):
        (tmp_path / f"{k}.txt").write_text(f"{title}\n\n{text}\n", encoding="utf-8")
    out = tmp_path / "stories.jsonl"
    assert main(["cluster", str(tmp_path), "--out", str(out)]) == 0
    stories = read_stories(out)
    assert [len(s.articles) for s in stories] == [3, 2] and all(s.problem is None for s in stories)
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert first["articles"][0]["title"] == BRIDGE[0][0]
