"""Fit the verifier's model and thresholds: `python -m evals.faithfulness.fit [--dry-run]`.

Writes `agent/grounding/verifier_thresholds.json`: the logistic model that turns a claim
sentence's measurements (`verifier.FEATURES`) into a probability of support, the
`supported` and `partial` bars on that probability, the `state` bar of the brief, and a
record of how they were chosen with cross-validated figures. Deterministic: no sampling but
a seeded shuffle of the folds (SEED), fixed grids, ties broken toward the stricter value.

Data. Fitted on the code-made pairs (`synthetic`), the hand-labelled outputs of the embedded
model (`labelled`) and the human-labelled XSumFaith dev cut (`xsumfaith`, read by path from
the shared folder; skipped when absent). Polytope is measured but not fitted: its labels
count omissions and fluency errors of whole summaries against the article (no `error_type`
is given to leave those out), which no claim check can see; fitting it pulls every weight
toward chance (about 0.5 balanced accuracy under cross-validation either way).

Model. Only claim sentences that pass every check of `verifier_checks` are modelled (a
failed check overrides the model). One logistic regression on standardised features with
an L2 penalty (L2) by Newton's method in pure Python; each part weighs the same (PART_WEIGHT)
and, within a part, consistent and inconsistent pairs weigh half each, counted over all its
pairs (so a part whose inconsistent pairs mostly fail a check gives the rest less weight).
A pair of several sentences is supported only when its weakest sentence is: its consistent
pairs train every sentence, its inconsistent ones first every sentence and then
(MIL_ROUNDS) only the sentence the model finds weakest.

Bars. `supported`: the bar on the pair's weakest probability (a sentence that fails a check
counts 0, a verbatim one 1, one the evidence cannot support, `V.supportable`, 0) with the
best mean balanced accuracy over the fitted parts, subject to floors on the precision of
supported (smoothed: one right and one wrong call added, so that few calls prove little):
PRECISION_FLOOR on the code-made pairs, LABELLED_FLOOR on the embedded model's outputs
(precision first: no worse than the coverage rule before the model) and, on a shared dev
part, LIFT times its share of consistent pairs.
`partial`: the bar at or under `supported` with the best mean balanced accuracy when
"supported or partial" is the positive call. `state`: the least bar at or over `supported`
at which the cross-validated precision of `labelled` reaches STATE_PRECISION (what the
brief states as fact must be right that often on the embedded model's own outputs).

Cross-validation. K folds (K = 5) per part, grouped so that no document is in two folds
(code-made and hand-labelled pairs by set, cluster and article; dev pairs by document). For
each fold the model and the `supported` bar are fitted on the other folds of every fitted
part and applied to this fold; the held-out calls of all folds give the cross-validated
balanced accuracy, precision and recall per part, written to the record (`cv`) and printed
by `python -m evals.faithfulness.bench`. These, not the in-sample figures, are the ones to
quote for a fitted part. Parts not fitted (Polytope) are held out as they stand.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
from collections.abc import Sequence
from typing import Any, NamedTuple

from agent.grounding import verifier as V
from agent.grounding.verifier_text import split_sentences

from .data import DEV_PARTS, load_part

FIT_PARTS = ("synthetic", "labelled", "xsumfaith")
MEASURED_PARTS = ("polytope",)
PRECISION_FLOOR = 0.95
LABELLED_FLOOR = 0.70
LIFT = 3.0
STATE_PRECISION = 0.80
K = 5
SEED = 20261204
L2 = 1.0
PART_WEIGHT = 1000.0
MIL_ROUNDS = 2
NEWTON_STEPS = 50
CUT_GRID = [round(0.05 + 0.01 * i, 2) for i in range(95)]


class Sentence(NamedTuple):
    """One claim sentence as the fit sees it."""

    ok: bool  # passed every check
    verbatim: bool
    features: tuple[float, ...]


class Pair(NamedTuple):
    """One labelled pair: its sentences, label and fold group."""

    sentences: list[Sentence]
    label: int
    group: str


# ----------------------------------------------------------------------------- data


def group_of(pair: dict[str, Any]) -> str:
    """The fold group of a pair: its set, cluster and article, or its document's hash."""
    if pair.get("set"):
        return f"{pair['set']}/{pair.get('cluster') or ''}/{pair.get('article') or ''}"
    text = pair.get("document") or "\n".join(t for _, t in pair["evidence"])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def measure(pairs: Sequence[dict[str, Any]]) -> list[Pair]:
    """Every pair's claim sentences assessed by the verifier."""
    out = []
    for pair in pairs:
        doc = V.Doc(pair["evidence"])
        sentences = []
        for text in split_sentences(pair["claim"]):
            found = V.assess(text, doc, {})
            if found is None:
                sentences.append(Sentence(False, False, ()))
            else:
                sentences.append(Sentence(not found.reasons, found.verbatim, found.features))
        out.append(Pair(sentences, int(pair["label"]), group_of(pair)))
    return out


# ----------------------------------------------------------------------------- model


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """The solution of matrix @ x = vector (Gaussian elimination, partial pivoting)."""
    n = len(vector)
    rows = [row[:] + [vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        if abs(rows[col][col]) < 1e-12:
            continue
        for r in range(n):
            if r != col and rows[r][col]:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [rows[i][n] / rows[i][i] if abs(rows[i][i]) >= 1e-12 else 0.0 for i in range(n)]


def _logistic(x: list[list[float]], y: list[int], w: list[float]) -> list[float]:
    """Weighted L2-penalised logistic regression (last column: the unpenalised bias)."""
    d = len(x[0])
    beta = [0.0] * d
    for _ in range(NEWTON_STEPS):
        grad = [L2 * b for b in beta[:-1]] + [0.0]
        hess = [[(L2 if i == j and i < d - 1 else 0.0) for j in range(d)] for i in range(d)]
        for row, target, weight in zip(x, y, w, strict=True):
            z = max(min(sum(a * b for a, b in zip(row, beta, strict=True)), 50.0), -50.0)
            p = 1.0 / (1.0 + math.exp(-z))
            g, h = weight * (p - target), weight * p * (1.0 - p)
            for i in range(d):
                grad[i] += g * row[i]
                hi = hess[i]
                for j in range(i + 1):
                    hi[j] += h * row[i] * row[j]
        for i in range(d):
            for j in range(i):
                hess[j][i] = hess[i][j]
        step = _solve(hess, grad)
        beta = [b - s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-9:
            break
    return beta


def fit_model(parts: dict[str, list[Pair]]) -> V.Model:
    """The logistic model on the sentences that pass every check (see the module doc)."""
    rows = [s.features for pairs in parts.values() for p in pairs for s in p.sentences if s.ok]
    n, d = len(rows), len(V.FEATURES)
    mean = [sum(r[i] for r in rows) / n for i in range(d)]
    scale = [math.sqrt(sum((r[i] - mean[i]) ** 2 for r in rows) / n) or 1.0 for i in range(d)]
    model = None
    for _ in range(MIL_ROUNDS):
        x: list[list[float]] = []
        y: list[int] = []
        w: list[float] = []
        for pairs in parts.values():
            counts = [sum(1 for p in pairs if p.label == c) for c in (0, 1)]
            for pair in pairs:
                if not _usable(pair):
                    continue
                chosen = list(pair.sentences)
                if pair.label == 0 and model is not None:
                    chosen = [min(chosen, key=lambda s: V.probability(as_assessment(s), model))]
                for s in chosen:
                    x.append([(v - m) / sd for v, m, sd in zip(s.features, mean, scale,
                                                               strict=True)] + [1.0])  # fmt: skip
                    y.append(pair.label)
                    w.append(PART_WEIGHT * 0.5 / counts[pair.label] / len(chosen))
        beta = _logistic(x, y, w)
        model = V.Model(tuple(mean), tuple(scale), tuple(beta[:-1]), beta[-1])
    assert model is not None
    return model


def _usable(pair: Pair) -> bool:
    """A pair the model can learn from: every sentence measured and passing every check."""
    return bool(pair.sentences) and all(s.ok and s.features for s in pair.sentences)


def as_assessment(s: Sentence) -> V.Assessment:
    """The assessment `V.probability` needs: span coverage (the first feature), features."""
    span = s.features[V.FEATURES.index("span")] if s.features else 0.0
    return V.Assessment(span, [], [], [], False, s.features, s.verbatim)


def pair_score(pair: Pair, model: V.Model, strict: bool = True) -> float:
    """The weakest sentence's probability (0 for a failed check, 1 for a verbatim one); with
    `strict` (the `supported` call), 0 also for a sentence the evidence cannot support
    (`V.supportable`); without it, the score the `partial` call reads.
    """
    if not pair.sentences:
        return 0.0
    return min(_score(s, model, strict) for s in pair.sentences)


def _score(s: Sentence, model: V.Model, strict: bool) -> float:
    if not s.ok or (strict and not can_support(s)):
        return 0.0
    return V.probability(as_assessment(s), model)


def can_support(s: Sentence) -> bool:
    """Whether the verifier can call the sentence supported: every check passed and a span
    that holds enough of it (`V.supportable`).
    """
    return s.ok and bool(s.features) and V.supportable(as_assessment(s))


# ----------------------------------------------------------------------------- bars


def balanced(pred: Sequence[bool], labels: Sequence[int]) -> tuple[float, float, float]:
    """Balanced accuracy, precision and recall of the positive call."""
    pos = sum(labels)
    neg = len(labels) - pos
    tp = sum(1 for p, y in zip(pred, labels, strict=True) if p and y)
    tn = sum(1 for p, y in zip(pred, labels, strict=True) if not p and not y)
    called = sum(pred)
    recall = tp / pos if pos else 0.0
    ba = (recall + (tn / neg if neg else 0.0)) / 2
    return ba, (tp / called if called else 0.0), recall


def floors(parts: dict[str, list[Pair]]) -> dict[str, float]:
    """Precision floor of each fitted part (see the module doc)."""
    out = {}
    for name, pairs in parts.items():
        if name == "synthetic":
            out[name] = PRECISION_FLOOR
        elif name == "labelled":
            out[name] = LABELLED_FLOOR
        else:
            out[name] = LIFT * sum(p.label for p in pairs) / max(len(pairs), 1)
    return out


Scored = dict[str, tuple[list[float], list[int]]]  # part: (pair scores, labels)


def choose_cut(scored: Scored, floor: dict[str, float]) -> float:
    """The `supported` bar with the best mean balanced accuracy under the floors (the
    strictest bar of the grid when none meets them). A floor is checked on the precision
    with one right and one wrong call added, (right + 1) / (called + 2), so that a few
    lucky calls at a low bar do not pass for precision.
    """
    best: tuple[float, float] | None = None
    for cut in CUT_GRID:
        values = []
        for name, (scores, labels) in scored.items():
            pred = [s >= cut for s in scores]
            ba = balanced(pred, labels)[0]
            right = sum(1 for p, y in zip(pred, labels, strict=True) if p and y)
            if (right + 1) / (sum(pred) + 2) < floor.get(name, 0.0):
                break
            values.append(ba)
        else:
            mean = sum(values) / len(values)
            if best is None or mean > best[0] + 1e-9:
                best = (mean, cut)
    return best[1] if best else CUT_GRID[-1]


def choose_partial(scored: Scored, supported: float) -> float:
    """The `partial` bar: best mean balanced accuracy of "supported or partial"."""
    best = (-1.0, supported)
    for cut in CUT_GRID:
        if cut > supported:
            break
        values = [balanced([s >= cut for s in scores], labels)[0]
                  for scores, labels in scored.values()]  # fmt: skip
        mean = sum(values) / len(values)
        if mean > best[0] + 1e-9:
            best = (mean, cut)
    return best[1]


def choose_state(scores: list[float], labels: list[int], supported: float) -> float:
    """The least bar at or over `supported` whose precision reaches STATE_PRECISION."""
    for cut in CUT_GRID:
        if cut < supported:
            continue
        pred = [s >= cut for s in scores]
        if any(pred) and balanced(pred, labels)[1] >= STATE_PRECISION:
            return cut
    return CUT_GRID[-1]


# ----------------------------------------------------------------------------- folds


def folds(pairs: list[Pair], k: int = K) -> list[int]:
    """The fold of each pair: its group's, groups shuffled with SEED and dealt round."""
    groups = sorted({p.group for p in pairs})
    random.Random(SEED).shuffle(groups)
    index = {g: i % k for i, g in enumerate(groups)}
    return [index[p.group] for p in pairs]


def cross_validate(parts: dict[str, list[Pair]]) -> tuple[Scored, list[float]]:
    """Held-out pair scores and held-out `supported` calls of every fitted part: for each
    fold, model and bar fitted on the other folds. Returns (scores, calls as 0/1) per part
    and the bars of the folds.
    """
    fold = {name: folds(pairs) for name, pairs in parts.items()}
    scores = {name: [0.0] * len(pairs) for name, pairs in parts.items()}
    calls = {name: [0.0] * len(pairs) for name, pairs in parts.items()}
    either = {name: [0.0] * len(pairs) for name, pairs in parts.items()}
    cuts = []
    for f in range(K):
        train = {name: [p for p, g in zip(pairs, fold[name], strict=True) if g != f]
                 for name, pairs in parts.items()}  # fmt: skip
        model = fit_model(train)
        cut = choose_cut(_scored(train, model), floors(train))
        low = choose_partial(_scored(train, model, strict=False), cut)
        cuts.append(cut)
        for name, pairs in parts.items():
            for i, (pair, g) in enumerate(zip(pairs, fold[name], strict=True)):
                if g == f:
                    scores[name][i] = pair_score(pair, model)
                    calls[name][i] = float(scores[name][i] >= cut)
                    either[name][i] = float(pair_score(pair, model, strict=False) >= low)
    out = {name: (calls[name], [p.label for p in parts[name]]) for name in parts}
    out |= {f"{name}:score": (scores[name], [p.label for p in parts[name]]) for name in parts}
    out |= {f"{name}:either": (either[name], [p.label for p in parts[name]]) for name in parts}
    return out, cuts


def _scored(parts: dict[str, list[Pair]], model: V.Model, strict: bool = True) -> Scored:
    return {name: ([pair_score(p, model, strict) for p in pairs], [p.label for p in pairs])
            for name, pairs in parts.items()}  # fmt: skip


# ----------------------------------------------------------------------------- fit


def _figures(pred: Sequence[bool], labels: Sequence[int]) -> list[float]:
    return [round(x, 3) for x in balanced(pred, labels)]


def fit(
    fit_parts: Sequence[str] = FIT_PARTS, measured: Sequence[str] = MEASURED_PARTS
) -> tuple[dict[str, float], V.Model, dict[str, Any]]:
    """Bars, model and a record of how they were chosen (see the module doc)."""
    loaded = {name: load_part(name) for name in (*fit_parts, *measured)}
    data = {name: measure(pairs) for name, pairs in loaded.items() if pairs}
    parts = {name: data[name] for name in fit_parts if name in data}
    if not parts:
        raise SystemExit("no part to fit on")
    held, fold_cuts = cross_validate(parts)
    model = fit_model(parts)
    supported = choose_cut(_scored(parts, model), floors(parts))
    partial = choose_partial(_scored(parts, model, strict=False), supported)
    state = supported
    if "labelled" in parts:
        state = choose_state(*held["labelled:score"], supported)
    in_sample, in_sample_either = {}, {}
    for name, pairs in data.items():
        labels = [p.label for p in pairs]
        scores = [pair_score(p, model) for p in pairs]
        in_sample[name] = _figures([s >= supported for s in scores], labels)
        loose = [pair_score(p, model, strict=False) for p in pairs]
        in_sample_either[name] = _figures([s >= partial for s in loose], labels)
    record = {
        "in_sample": in_sample,
        "cv": {
            name: _figures([c >= 1.0 for c in held[name][0]], held[name][1]) for name in parts
        },  # fmt: skip
        "in_sample_supported_or_partial": in_sample_either,
        "cv_supported_or_partial": {
            name: _figures([c >= 1.0 for c in held[f"{name}:either"][0]], held[name][1])
            for name in parts
        },
        "cv_folds": K,
        "cv_fold_bars": fold_cuts,
        "parts": {name: len(pairs) for name, pairs in data.items()},
        "fitted_parts": list(parts),
        "precision_floors": {k: round(v, 3) for k, v in floors(parts).items()},
        "state_precision": STATE_PRECISION,
    }
    return {"supported": supported, "partial": partial, "state": state}, model, record


def main(argv: Sequence[str] | None = None) -> int:
    """Fit and write the thresholds file (or only print it with --dry-run)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print, do not write")
    parser.add_argument("--parts", nargs="*", default=list(FIT_PARTS), help="parts to fit on")
    args = parser.parse_args(argv)
    measured = [p for p in (*DEV_PARTS, *MEASURED_PARTS) if p not in args.parts]
    bars, model, record = fit(args.parts, list(dict.fromkeys(measured)))
    out: dict[str, Any] = dict(bars)
    out["model"] = {
        "features": list(V.FEATURES),
        "mean": [round(x, 6) for x in model.mean],
        "scale": [round(x, 6) for x in model.scale],
        "weights": [round(x, 6) for x in model.weights],
        "bias": round(model.bias, 6),
    }
    out["state_chosen_on"] = (
        f"labelled (hand-labelled outputs of the embedded model), cross-validated: the least "
        f"bar at or over 'supported' with precision of supported >= {STATE_PRECISION}"
    )
    out["fitted_on"] = record
    text = json.dumps(out, indent=2) + "\n"
    print(text, end="")
    if not args.dry_run:
        V.THRESHOLDS_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {V.THRESHOLDS_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
