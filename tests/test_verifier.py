"""The claim verifier tells claims the sources account for from perturbed or invented ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.grounding.verifier import Verdict, split_document, verify_claim, verify_text

ROOT = Path(__file__).resolve().parents[1]
SYRIA = sorted((ROOT / "examples" / "syria").glob("*.txt"))

DOC = (
    "The United States and Russia have agreed to carry out joint air strikes in Syria if a "
    "newly agreed ceasefire holds for a week, Russian Foreign Minister Sergei Lavrov said on "
    "Friday. The truce will come into force on Monday. Kerry said 12 aid convoys were ready. "
    "Aid groups said the convoys had not reached Aleppo.\n\n"
    "The Geneva talks lasted more than 13 hours. "
    '"We are ready to work together," the minister told reporters.'
)


def _evidence(paths: list[Path]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for k, path in enumerate(paths, 1):
        out += [(f"a{k}.{sid}", text) for sid, text in split_document(path.read_text("utf-8"))]
    return out


def check(claim: str, evidence: list[tuple[str, str]] | None = None) -> Verdict:
    return verify_claim(claim, evidence if evidence is not None else split_document(DOC))


def test_split_document_gives_plain_ids() -> None:
    sentences = split_document(DOC)
    assert [sid for sid, _ in sentences] == ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert sentences[1][1] == "The truce will come into force on Monday."


def test_verbatim_sentence_is_supported() -> None:
    verdict = check("The truce will come into force on Monday.")
    assert verdict.verdict == "supported"
    assert verdict.evidence == ["s2"]
    assert verdict.score == 1.0


def test_light_paraphrase_is_supported() -> None:
    verdict = check(
        "The US and Russia agreed to carry out joint air strikes in Syria if the ceasefire "
        "holds for a week, Lavrov told reporters."
    )
    assert verdict.verdict == "supported", verdict.reasons
    assert verdict.evidence == ["s1"]


def test_evidence_spanning_two_adjacent_sentences() -> None:
    verdict = check("Kerry said 12 aid convoys were ready but had not reached Aleppo.")
    assert verdict.verdict == "supported", verdict.reasons
    assert verdict.evidence == ["s3", "s4"]


def test_spans_never_cross_articles() -> None:
    evidence = [("a1.s1", "Kerry said 12 aid convoys were ready."),
                ("a2.s1", "The convoys had not reached Aleppo.")]  # fmt: skip
    verdict = check("Kerry said 12 aid convoys were ready but had not reached Aleppo.", evidence)
    assert verdict.verdict != "supported"


@pytest.mark.parametrize(
    ("claim", "reason"),
    [
        ("The truce will not come into force on Monday.", "negation"),
        ("Aid groups said the convoys had reached Aleppo.", "negation"),
        ("The truce will come into force on Tuesday.", "date"),
        ("Kerry said 15 aid convoys were ready.", "number"),
        ("The Geneva talks lasted more than 31 hours.", "number"),
        ("Lavrov said 12 aid convoys were ready.", "attribution"),
        (
            "The United States and Russia have agreed to carry out joint air strikes in Kerry if "
            "a newly agreed ceasefire holds for a week.",
            "place",
        ),
        ("The truce may come into force on Monday.", "modality"),
        (
            "The United States and Russia have proposed to carry out joint air strikes in Syria "
            "if a newly agreed ceasefire holds for a week.",
            "modality",
        ),
        ("Russian Defence Minister Sergei Lavrov said the truce will come into force.", "role"),
    ],
)
def test_perturbed_claims_are_not_supported(claim: str, reason: str) -> None:
    verdict = check(claim)
    assert verdict.verdict in ("unsupported", "contradicted"), verdict
    assert any(r.startswith(reason) for r in verdict.reasons), verdict.reasons


def test_negation_flip_of_a_well_matched_sentence_is_contradicted() -> None:
    assert check("The truce will not come into force on Monday.").verdict == "contradicted"


def test_unsupported_clause_appended_is_not_supported() -> None:
    verdict = check("The truce will come into force on Monday, and three hospitals will close "
                    "in the harbour district.")  # fmt: skip
    assert verdict.verdict != "supported"


def test_summary_is_supported_only_if_every_sentence_is() -> None:
    text = "The truce will come into force on Monday. The Geneva talks lasted 20 hours."
    results = verify_text(text, split_document(DOC))
    assert [v.verdict for _, v in results][0] == "supported"
    assert results[1][1].verdict != "supported"


def test_no_evidence_and_empty_claim_are_unsupported() -> None:
    assert check("The truce holds.", []).verdict == "unsupported"
    assert check("...").verdict == "unsupported"


# Real failures of the embedded model on the bundled example (issue 10).


def test_flipped_truce_condition_is_not_supported() -> None:
    claim = ("The US and Russia have agreed to carry out joint air strikes in Syria if a truce "
             "is not fully met.")  # fmt: skip
    verdict = verify_claim(claim, _evidence(SYRIA[:1]))
    assert verdict.verdict in ("contradicted", "unsupported")
    assert any(r.startswith("negation") for r in verdict.reasons), verdict.reasons


def test_invented_damascus_meeting_is_unsupported() -> None:
    claim = "Russia and the US are going to meet in Damascus on Wednesday"
    path = next(p for p in SYRIA if p.name.startswith("002"))
    verdict = verify_claim(claim, _evidence([path]))
    assert verdict.verdict == "unsupported", verdict


def test_invented_foreign_ministry_is_unsupported() -> None:
    claim = (
        "The Russian Foreign Ministry has agreed that it will use its military capabilities "
        "to support the Syrian government's efforts against Islamic State radicals."
    )
    verdict = verify_claim(claim, _evidence(SYRIA))
    assert verdict.verdict == "unsupported"
    assert any("ministry" in r for r in verdict.reasons), verdict.reasons


def test_true_statement_of_the_example_is_supported() -> None:
    claim = ("Russia and the United States will coordinate their military action against "
             "Islamic State radicals in Syria, Lavrov said.")  # fmt: skip
    verdict = verify_claim(claim, _evidence(SYRIA))
    assert verdict.verdict == "supported", verdict
    assert verdict.evidence and verdict.evidence[0].startswith("a3.")
