"""What a part's labels follow: `python -m evals.faithfulness.probe [PART ...]`.

For each part (default: the shared dev cuts) it prints the area under the ROC curve (the
chance that a consistent pair ranks above an inconsistent one; 0.5 is a coin, under 0.5 the
measure runs the other way) of measures of two kinds:

* claim support, what a claim verifier can read: the verifier's score of the pair (its
  weakest sentence; 0 for a failed check), and each of its model's features on the weakest
  sentence, over the pairs with a sentence that passes every check (`verifier.FEATURES`);
* things that are not faithfulness at all: the document's length in words, and the
  summary's length as a share of the document's.

It also prints the share of consistent pairs in which every claim sentence passes every
check with a span that can support it (`verifier.supportable`: at least half its content
words), the best balanced accuracy a `supported` call can then reach (that share as recall,
no false call) and the one calling every qualifying pair gives, and the share of
inconsistent pairs whose every claim sentence is, word for word, a sentence of the
document. When support measures sit near 0.5 and length measures far from it, the labels
judge something other than whether the document accounts for the claim (Polytope's count
omissions and unneeded additions of whole summaries), and no claim verifier can be expected
to follow them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from agent.grounding import verifier as V
from agent.grounding.verifier_text import split_sentences

from .data import DEV_PARTS, load_part
from .fit import Pair, as_assessment, can_support, fit_model, measure, pair_score


def auc(values: Sequence[float], labels: Sequence[int]) -> float:
    """Area under the ROC curve of `values` for the positive label (ties count half)."""
    ranked = sorted(zip(values, labels, strict=True))
    pos = sum(labels)
    neg = len(labels) - pos
    if not pos or not neg:
        return 0.5
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mid = (i + j + 1) / 2  # average 1-based rank of the tie group
        rank_sum += mid * sum(label for _, label in ranked[i:j])
        i = j
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def _weakest(pair: Pair, model: V.Model) -> tuple[float, ...] | None:
    """The features of the pair's weakest sentence that passed every check (None if none)."""
    ok = [s for s in pair.sentences if s.ok and s.features]
    if not ok:
        return None
    return min(ok, key=lambda s: V.probability(as_assessment(s), model)).features


def _all_verbatim(raw: dict[str, Any]) -> bool:
    """Whether every claim sentence is, word for word, a sentence of the whole document (not
    only of the span the verifier chose).
    """
    texts = {V._plain(t) for _, t in raw["evidence"]}
    sentences = [V._plain(s) for s in split_sentences(raw["claim"])]
    return bool(sentences) and all(s in texts for s in sentences)


def probe(name: str, model: V.Model) -> list[tuple[str, float]] | None:
    """(measure, AUC) rows of one part, and the verbatim share; None when it is absent."""
    raws = load_part(name)
    if not raws:
        return None
    pairs = measure(raws)
    labels = [p.label for p in pairs]
    rows = [("verifier score", auc([pair_score(p, model) for p in pairs], labels))]
    weakest = [_weakest(p, model) for p in pairs]
    for index, feature in enumerate(V.FEATURES):
        kept = [(w[index], y) for w, y in zip(weakest, labels, strict=True) if w is not None]
        rows.append((f"feature {feature}", auc(*zip(*kept, strict=True)) if kept else 0.5))
    doc_words = [sum(len(t.split()) for _, t in r["evidence"]) for r in raws]
    claim_words = [len(r["claim"].split()) for r in raws]
    rows.append(("document length (not faithfulness)", auc(doc_words, labels)))
    share = [c / max(d, 1) for c, d in zip(claim_words, doc_words, strict=True)]
    rows.append(("summary / document length (not faithfulness)", auc(share, labels)))
    qualify = [bool(p.sentences) and all(can_support(s) for s in p.sentences) for p in pairs]
    recall = sum(q for q, y in zip(qualify, labels, strict=True) if y) / max(sum(labels), 1)
    passing = sum(q for q, y in zip(qualify, labels, strict=True) if not y)
    rows.append(("consistent pairs a span can support (share, not AUC)", recall))
    rows.append(("best balanced accuracy that allows (not AUC)", (recall + 1) / 2))
    rows.append(("balanced accuracy calling all that qualify (not AUC)",
                 (recall + 1 - passing / max(len(labels) - sum(labels), 1)) / 2))  # fmt: skip
    negatives = [r for r in raws if not int(r["label"])]
    verbatim = sum(1 for r in negatives if _all_verbatim(r)) / max(len(negatives), 1)
    rows.append(("inconsistent pairs all verbatim (share, not AUC)", verbatim))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Print the probe of each part."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", default=list(DEV_PARTS))
    args = parser.parse_args(argv)
    model = V.MODEL or fit_model({"synthetic": measure(load_part("synthetic"))})
    for name in args.parts:
        rows = probe(name, model)
        if rows is None:
            continue
        print(f"{name}: ROC AUC of consistent over inconsistent")
        for label, value in rows:
            print(f"  {label:<50} {value:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
