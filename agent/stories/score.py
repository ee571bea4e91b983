"""B-cubed precision, recall and F1 of a clustering against a true one (Bagga & Baldwin 1998).

For every item, precision is the share of its predicted cluster that truly belongs with it
and recall the share of its true cluster that was put with it; both are averaged over items,
and F1 is their harmonic mean. A clustering is given as a list of clusters (each a sequence
of item ids) or as a mapping from item id to a cluster label.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence

__all__ = ["bcubed", "labels_of"]

Clustering = Sequence[Iterable[Hashable]] | Mapping[Hashable, Hashable]


def labels_of(clustering: Clustering) -> dict[Hashable, Hashable]:
    """Item id -> cluster label; raises ValueError when an item is in two clusters."""
    if isinstance(clustering, Mapping):
        return dict(clustering)
    labels: dict[Hashable, Hashable] = {}
    for number, members in enumerate(clustering):
        for item in members:
            if item in labels:
                raise ValueError(f"item {item!r} is in two clusters")
            labels[item] = number
    return labels


def bcubed(pred: Clustering, truth: Clustering) -> tuple[float, float, float]:
    """(precision, recall, f1) of `pred` against `truth`, over the same items."""
    predicted, true = labels_of(pred), labels_of(truth)
    if set(predicted) != set(true):
        missing = set(true) - set(predicted)
        extra = set(predicted) - set(true)
        raise ValueError(
            f"the clusterings cover different items ({len(missing)} missing, {len(extra)} extra)"
        )
    if not true:
        raise ValueError("no items to score")
    pred_size = Counter(predicted.values())
    true_size = Counter(true.values())
    both = Counter((predicted[i], true[i]) for i in true)
    precision = sum(both[(predicted[i], true[i])] / pred_size[predicted[i]] for i in true) / len(
        true
    )
    recall = sum(both[(predicted[i], true[i])] / true_size[true[i]] for i in true) / len(true)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
