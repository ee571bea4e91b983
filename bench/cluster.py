"""Story clustering on a shuffled mix of the eval clusters, scored by B-cubed P/R/F1.

The mix: every article of every cluster of ../shared/evalsets/benchmark-dev.jsonl (read by
path at run time; skipped with a message when absent), of each evals/sets/*/ set and of
examples/syria (the seeds set points at it; counted once), shuffled together with a fixed
seed. The cluster (or set) id of each article is the truth.

    python bench/cluster.py                      # seed 0 plus a spread over seeds 1..20
    python bench/cluster.py --seeds 50 --threshold 0.25

The clusterer has few parameters (see agent.stories.cluster.ClusterParams); the defaults were
set on this small mix, so these figures are in-sample: a guide, not a held-out score.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.stories.cluster import ClusterParams, cluster_articles  # noqa: E402
from agent.stories.feed import FeedArticle, read_feed  # noqa: E402
from agent.stories.score import bcubed  # noqa: E402

BENCHMARK = ROOT.parent.parent / "shared" / "evalsets" / "benchmark-dev.jsonl"
DEFAULT_BENCHMARK = Path("/work/shared/evalsets/benchmark-dev.jsonl")


def _set_dir(folder: Path) -> Path | None:
    """The folder holding a set's articles: itself, or the articles_dir its gold.json names."""
    if any(folder.glob("*.txt")):
        return folder
    gold = folder / "gold.json"
    if gold.is_file():
        target = json.loads(gold.read_text(encoding="utf-8")).get("articles_dir")
        if target and (folder / target).is_dir():
            return (folder / target).resolve()
    return None


def build_mix(benchmark: Path | None) -> list[FeedArticle]:
    """The articles of every cluster (story = truth), not yet shuffled."""
    articles: list[FeedArticle] = []
    if benchmark is not None and benchmark.is_file():
        articles += read_feed(benchmark)
    else:
        print(
            f"note: {benchmark} not found: the benchmark clusters are left out of the mix",
            file=sys.stderr,
        )
    seen: set[Path] = set()
    folders = sorted((ROOT / "evals" / "sets").glob("*/")) + [ROOT / "examples" / "syria"]
    for folder in folders:
        where = _set_dir(folder)
        if where is None or where.resolve() in seen:
            continue
        seen.add(where.resolve())
        for article in read_feed(where):
            articles.append(
                FeedArticle(
                    **{
                        **article.__dict__,
                        "id": f"{folder.name}/{article.id}",
                        "story": folder.name,
                    }
                )
            )
    return articles


def score(
    articles: list[FeedArticle], seed: int, params: ClusterParams
) -> tuple[float, float, float, int]:
    """B-cubed (P, R, F1) and the number of predicted stories for one shuffle."""
    order = list(articles)
    random.Random(seed).shuffle(order)
    stories = cluster_articles([a.cluster_item() for a in order], params)
    pred = [[order[i].id for i in story] for story in stories]
    truth = {a.id: a.story for a in order}
    return (*bcubed(pred, truth), len(stories))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--benchmark", type=Path, default=BENCHMARK if BENCHMARK.is_file() else DEFAULT_BENCHMARK
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="the shuffle reported in detail (default 0)"
    )
    parser.add_argument(
        "--seeds", type=int, default=20, help="how many further shuffles to summarise"
    )
    defaults = ClusterParams()
    for name in ("threshold", "lead_words", "title_weight", "entity_boost", "tau_days"):
        kind = int if name == "lead_words" else float
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=kind, default=getattr(defaults, name)
        )
    args = parser.parse_args(argv)
    params = ClusterParams(
        threshold=args.threshold,
        lead_words=args.lead_words,
        title_weight=args.title_weight,
        entity_boost=args.entity_boost,
        tau_days=args.tau_days,
    )
    articles = build_mix(args.benchmark)
    clusters = len({a.story for a in articles})
    print(f"mix: {len(articles)} articles in {clusters} true clusters; params {params}")
    start = time.perf_counter()
    p, r, f, n = score(articles, args.seed, params)
    took = time.perf_counter() - start
    print(
        f"seed {args.seed}: B-cubed P={p:.3f} R={r:.3f} F1={f:.3f}  "
        f"({n} stories predicted, {took * 1000:.0f} ms)"
    )
    if args.seeds > 0:
        runs = [
            score(articles, s, params) for s in range(args.seed + 1, args.seed + 1 + args.seeds)
        ]
        f1s = [run[2] for run in runs]
        print(
            f"seeds {args.seed + 1}..{args.seed + args.seeds}: F1 mean {statistics.mean(f1s):.3f} "
            f"min {min(f1s):.3f} max {max(f1s):.3f}; "
            f"P mean {statistics.mean(x[0] for x in runs):.3f} "
            f"R mean {statistics.mean(x[1] for x in runs):.3f}; "
            f"F1 >= 0.9 in {sum(x >= 0.9 for x in f1s)}/{len(f1s)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
