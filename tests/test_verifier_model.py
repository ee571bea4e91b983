"""The verifier's document-wide checks and its fitted model tell faithful claims from claims
that bring in a nationality, place, person or number the source never mentions.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.grounding import verifier as V
from agent.grounding.verifier import split_document, verify_claim, verify_text
from agent.grounding.verifier_text import acronyms, tokenize
from evals.faithfulness import fit

DOC = (
    "A humpback whale has been seen off the coast of Pembrokeshire, wildlife officers said on "
    "Monday. The whale was spotted by fishermen near Milford Haven. Officers asked boats to "
    "keep their distance.\n\n"
    "The Welsh government said it would fund a study of whales in the area. "
    "The Police Investigations and Review Commissioner has been asked to look at the "
    "response to a boat crash in the harbour. "
    "A campaign to repair the harbour wall has raised £50,000 so far."
)


def check(claim: str) -> V.Verdict:
    return verify_claim(claim, split_document(DOC))


@pytest.mark.parametrize(
    ("claim", "reason"),
    [
        ("A humpback whale has been seen off the Scottish coast, officers said.", "nationality"),
        ("a humpback whale has been seen off the irish coast.", "nationality"),
        ("A humpback whale has been seen off the coast of Cornwall, officers said.", "name"),
        ("Officer John Evans said a humpback whale has been seen off Pembrokeshire.", "name"),
        ("A campaign to repair the harbour wall has raised £80,000 so far.", "number"),
    ],
)
def test_a_nationality_place_person_or_number_absent_from_the_document_is_not_supported(
    claim: str, reason: str
) -> None:
    verdict = check(claim)
    assert verdict.verdict in ("unsupported", "contradicted"), verdict
    assert any(r.startswith(reason) for r in verdict.reasons), verdict.reasons


def test_words_the_document_never_has_lower_the_score_of_a_lower_case_claim() -> None:
    # XSum-style: lower-cased, so the invented names are only words the source lacks
    faithful = check("a humpback whale has been seen off the coast of pembrokeshire.")
    invented = check(
        "a humpback whale has been seen off the coast of pembrokeshire by marine biologist "
        "sarah jenkins on her research vessel."
    )
    assert faithful.verdict == "supported", faithful
    assert invented.verdict != "supported", invented
    assert invented.score < faithful.score


@pytest.mark.parametrize(
    "claim",
    [
        "Wildlife officers said a humpback whale was seen off the Pembrokeshire coast on Monday.",
        "The Welsh government will fund a study of whales.",
        "The PIRC has been asked to look at the response to a boat crash in the harbour.",
        "a campaign to repair the harbour wall has raised £50, 000 so far.",
    ],
)
def test_faithful_paraphrases_and_aliases_are_still_supported(claim: str) -> None:
    verdict = check(claim)
    assert verdict.verdict == "supported", verdict


def test_demonyms_acronyms_and_split_thousands_read_as_the_source_writes_them() -> None:
    assert [t.key for t in tokenize("Welsh Scots Britons")] == [
        t.key for t in tokenize("Wales Scotland UK")
    ]
    assert "pirc" in acronyms("The Police Investigations and Review Commissioner (Pirc) said")
    assert "mp" in acronyms("a Member of Parliament said")
    assert [t.key for t in tokenize("£50, 000 and 2, 000 people")] == ["50000", "and", "2000",
                                                                      "peopl"]  # fmt: skip
    assert [t.key for t in tokenize("in 2015, 300 people")][:3] == ["in", "2015", "300"]


def test_the_weakest_sentence_of_a_summary_decides() -> None:
    text = (
        "A humpback whale has been seen off the coast of Pembrokeshire. "
        "The whale later beached in Devon and was rescued by the Royal Navy."
    )
    verdicts = [v for _, v in verify_text(text, split_document(DOC))]
    assert verdicts[0].verdict == "supported" and verdicts[1].verdict != "supported"


def test_a_verbatim_sentence_scores_one_and_failed_checks_override_the_model() -> None:
    assert check("Officers asked boats to keep their distance.").score == 1.0
    flipped = check("Officers did not ask boats to keep their distance.")
    assert flipped.verdict in ("contradicted", "unsupported") and flipped.score < 0.5


def test_the_model_is_read_from_the_thresholds_file_and_refused_when_it_does_not_fit(
    tmp_path: Path,
) -> None:
    assert V.MODEL is not None, "verifier_thresholds.json has no model: run the fit"
    good = json.loads(V.THRESHOLDS_PATH.read_text(encoding="utf-8"))
    path = tmp_path / "t.json"
    path.write_text(json.dumps(good), encoding="utf-8")
    assert V.load_model(path) == V.MODEL
    wrong = dict(good, model=dict(good["model"], features=["span"]))
    path.write_text(json.dumps(wrong), encoding="utf-8")
    assert V.load_model(path) is None
    path.write_text("{}", encoding="utf-8")
    assert V.load_model(path) is None
    # without a model the score is the span's coverage, as before the model
    found = V.assess("The whale was spotted by fishermen.", V.Doc(split_document(DOC)), {})
    assert found is not None and V.probability(found, None) == found.score == 1.0
    assert V.probability(found, V.MODEL) < 1.0  # the model is never certain of a paraphrase


def test_the_fit_keeps_each_document_in_one_fold_and_its_regression_learns() -> None:
    pairs = [fit.Pair([], i % 2, f"doc{i // 3}") for i in range(30)]
    folds = fit.folds(pairs)
    by_group: dict[str, set[int]] = {}
    for pair, fold in zip(pairs, folds, strict=True):
        by_group.setdefault(pair.group, set()).add(fold)
    assert all(len(f) == 1 for f in by_group.values()) and len(set(folds)) == fit.K
    assert fit.folds(pairs) == folds  # seeded: the same folds every run
    x = [[v / 10, 1.0] for v in range(-10, 11)]
    y = [int(v > 0) if abs(v) > 2 else int(v % 2 == 0) for v in range(-10, 11)]
    beta = fit._logistic(x, y, [1.0] * len(x))
    assert beta[0] > 0  # more of the feature, more often consistent


def test_a_claim_the_evidence_holds_under_half_of_is_never_supported_however_likely() -> None:
    claim = (
        "a humpback whale has been seen off the coast of pembrokeshire by marine biologist "
        "sarah jenkins on her research vessel."
    )
    found = V.assess(claim, V.Doc(split_document(DOC)), {})
    assert found is not None and not found.reasons and found.score < V.MIN_SPAN
    assert not V.supportable(found)
    # a model sure of it and bars under its coverage: partial at best, never supported
    sure = V.Model((0.0,) * 4, (1.0,) * 4, (0.0,) * 4, 50.0)
    bars = {"supported": 0.2, "partial": 0.1, "state": 0.9}
    verdict = V.label(found, bars, model=sure)
    assert verdict.verdict == "partial" and verdict.score == round(found.score, 4), verdict
    # the fit scores that sentence as the verifier calls it: 0 for `supported`, its
    # probability for `partial`
    sentence = fit.Sentence(True, False, found.features)
    pair = fit.Pair([sentence], 0, "g")
    assert fit.pair_score(pair, sure) == 0.0
    assert fit.pair_score(pair, sure, strict=False) == pytest.approx(found.score)
    # a claim a span does hold is supported under the same bars
    held = V.assess("A humpback whale has been seen off the coast of Pembrokeshire.",
                    V.Doc(split_document(DOC)), {})  # fmt: skip
    assert held is not None and V.supportable(held)
    assert V.label(held, bars, model=sure).verdict == "supported"


def test_the_probe_auc_tells_a_measure_that_ranks_right_from_one_that_ranks_wrong() -> None:
    from evals.faithfulness.probe import auc

    labels = [0, 0, 1, 0, 1, 1]
    assert auc([1, 2, 3, 4, 5, 6], labels) == pytest.approx(8 / 9)
    assert auc([0.1, 0.2, 0.8, 0.3, 0.9, 0.7], labels) == 1.0
    assert auc([0.9, 0.8, 0.1, 0.7, 0.2, 0.3], labels) == 0.0
    assert auc([0.5] * 6, labels) == 0.5  # ties count half
