"""Overview ROUGE beside Lead-3 on the benchmark clusters (no model).

    python bench/overview_rouge.py [--benchmark ../shared/evalsets/benchmark-dev.jsonl]

For every cluster: the brief's overview at each length (`--length short|medium|long`, code
only: `backend=None`, the sources' sentences chosen from the claim alignment) and Lead-3
(the first three sentences of each article, concatenated), each scored with rouge-score
(ROUGE-1, ROUGE-2, ROUGE-L F1, Porter stemmer) against the cluster's reference summary.
Prints a row per cluster and the means, and the mean length in words; then how many
overview sentences the claim verifier does not find supported by the cluster's articles.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.evaluate.sets import load_benchmark  # noqa: E402
from agent.grounding.compose import Evidence  # noqa: E402
from agent.pipeline.options import RunOptions  # noqa: E402
from agent.pipeline.run import summarize_articles  # noqa: E402
from agent.text.sentences import split_statements  # noqa: E402

METRICS = ("rouge1", "rouge2", "rougeL")


def lead3(articles) -> str:
    return " ".join(s.text for a in articles for s in a.sentences[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--benchmark", default=str(ROOT.parent / "shared" / "evalsets" / "benchmark-dev.jsonl")
    )
    parser.add_argument("--labels", default=str(ROOT / "evals" / "labels" / "benchmark-dev.json"))
    args = parser.parse_args()
    if not Path(args.benchmark).exists():
        print(f"skipped: {args.benchmark} is not here")
        return 0
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    lengths = ("short", "medium", "long")
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in ("lead3", *lengths)}
    words: dict[str, list[int]] = {name: [] for name in rows}
    unsupported: list[str] = []
    checked = 0
    print(f"{'cluster':34} " + " ".join(f"{n:>20}" for n in rows))
    for cluster in load_benchmark(args.benchmark, args.labels, check=False):
        reference = cluster.reference_summary or ""
        articles = cluster.articles()
        texts = {"lead3": lead3(articles)}
        for length in lengths:
            brief = summarize_articles(articles, None, RunOptions(overview_length=length))
            texts[length] = brief.overview
            evidence = Evidence(articles)
            for statement in split_statements(brief.overview):
                checked += 1
                if evidence.verify(statement).verdict != "supported":
                    unsupported.append(f"{cluster.name} ({length}): {statement[:100]}")
        cells = []
        for name, text in texts.items():
            score = scorer.score(reference, text)
            rows[name].append({m: score[m].fmeasure for m in METRICS})
            words[name].append(len(text.split()))
            cells.append("/".join(f"{score[m].fmeasure:.3f}" for m in METRICS))
        print(f"{cluster.name[:34]:34} " + " ".join(f"{c:>20}" for c in cells))
    print(f"{'mean R1/R2/RL':34} " + " ".join(
        f"{'/'.join(f'{statistics.mean(r[m] for r in rows[n]):.3f}' for m in METRICS):>20}"
        for n in rows
    ))  # fmt: skip
    print(f"{'mean words':34} " + " ".join(f"{statistics.mean(words[n]):>20.0f}" for n in rows))
    print(f"overview sentences the verifier does not support: {len(unsupported)} of {checked}")
    for line in unsupported[:10]:
        print("  ", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
