"""The precision checks of `agent.grounding.verifier`, each returning reasons in words.

A check compares one claim sentence with its chosen evidence (one to three adjacent source
sentences) and says what the evidence fails to account for: a name, number or date; the
polarity of a shared phrase; a hedge or a commitment; who said it; a role or title.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .verifier_text import (
    COMMITMENT,
    DATE_WORDS,
    EQUIV,
    MODALITY,
    NATIONALITIES,
    NEGATORS,
    ROLE_MODIFIERS,
    ROLE_NOUNS,
    SPEECH,
    STOPWORDS,
    Analysed,
    Token,
)

SCOPE = 5  # tokens after a negator or hedge that it governs
_REQUIRED = {"possible", "conditional", "proposal"}  # claim hedges the evidence must share
_COMMIT_REQUIRED = {"agree", "agreed", "agrees", "decided"}  # "agreed" is not "proposed"
_COMPATIBLE = {"conditional": {"commit", "conditional", "plan"}, "plan": {"plan", "commit"}}


def name_keys(claim: Analysed, doc_names: set[str]) -> set[str]:
    """Keys of the claim's names: capitalised words past the first (a cased claim), or words
    the document writes capitalised mid-sentence (a lower-cased claim).
    """
    names: set[str] = set()
    for index, tok in enumerate(claim.tokens):
        if not tok.low.isalpha() or len(tok.low) < 2 or tok.low in STOPWORDS or tok.low in SPEECH:
            continue
        if tok.low in NEGATORS or tok.low in MODALITY or tok.low in COMMITMENT:
            continue
        if tok.key in doc_names or (not claim.lowercase and tok.capital and index > 0):
            names.add(tok.key)
    return names


def doc_name_keys(sentences: Iterable[Analysed]) -> set[str]:
    """Keys the document writes capitalised other than at a sentence start."""
    names: set[str] = set()
    lower: set[str] = set()
    for sent in sentences:
        if sent.lowercase:
            continue
        for index, tok in enumerate(sent.tokens):
            if tok.capital and index > 0:
                names.add(tok.key)
            elif not tok.capital:
                lower.add(tok.key)
    return {n for n in names if n not in lower and n not in STOPWORDS}


def _scopes(
    tokens: Sequence[Token], words: Iterable[str], wide: bool = False
) -> list[tuple[str, set[str], str]]:
    """(trigger, content keys of the next SCOPE tokens, the first of them) for each trigger;
    `wide` doubles the window for proposals and plans ("proposed to X that ...").
    """
    out = []
    for index, tok in enumerate(tokens):
        if tok.low in words:
            size = 2 * SCOPE if wide and MODALITY.get(tok.low) in ("proposal", "plan") else SCOPE
            window = tokens[index + 1 : index + 1 + size]
            keys = [t.key for t in window if _plain(t)]
            out.append((tok.low, set(keys), keys[0] if keys else ""))
    return out


def _plain(tok: Token) -> bool:
    low = tok.low
    return not (
        low in STOPWORDS or low in NEGATORS or low in MODALITY or low in COMMITMENT or low in SPEECH
    )


def check_negation(claim: Analysed, evidence: Sequence[Analysed]) -> list[str]:
    """Reasons when a phrase the claim shares with the evidence is negated on one side only."""
    reasons: list[str] = []
    ev_keys = set().union(*(e.content for e in evidence))
    ev_negated: set[str] = set()
    ev_scopes = []
    for sent in evidence:
        for word, keys, head in _scopes(sent.tokens, NEGATORS):
            ev_negated |= keys
            ev_scopes.append((word, keys, head))
    claim_negated: set[str] = set()
    for word, keys, _ in _scopes(claim.tokens, NEGATORS):
        claim_negated |= keys
        shared = keys & ev_keys
        if keys and not shared:
            reasons.append(
                f"negation: the evidence says nothing of what the claim says '{word}' about"
            )
        elif shared and not shared & ev_negated:
            reasons.append(
                f"negation: the claim says '{word}' about "
                f"'{' '.join(sorted(shared))}', the evidence does not"
            )
    for word, _keys, head in ev_scopes:
        if head and head in claim.content and head not in claim_negated:
            reasons.append(f"negation: the evidence says '{word} ... {head}', the claim does not")
    return reasons


def check_modality(claim: Analysed, evidence: Sequence[Analysed]) -> list[str]:
    """Reasons when hedges or commitments differ (may/could/would vs will/agreed,
    proposed vs agreed).
    """
    reasons: list[str] = []
    ev_commit = {t.key for e in evidence for t in e.tokens if t.low in COMMITMENT}
    # each evidence hedge or commitment with the words it governs
    ev_hedges = [(MODALITY.get(w) or COMMITMENT.get(w), keys) for e in evidence
                 for w, keys, _ in _scopes(e.tokens, {**MODALITY, **COMMITMENT})]  # fmt: skip
    claim_scopes = {w: keys for w, keys, _ in _scopes(claim.tokens, MODALITY)}
    claim_classes: set[str] = set()
    for tok in claim.tokens:
        cls = MODALITY.get(tok.low)
        if cls:
            claim_classes.add(cls)
            wanted = _COMPATIBLE.get(cls, {cls})
            scope = claim_scopes.get(tok.low, set())
            aligned = any(c in wanted and (not scope or keys & scope) for c, keys in ev_hedges)
            if cls in _REQUIRED and not aligned:
                reasons.append(f"modality: the claim says '{tok.low}', the evidence does not")
        elif tok.low in COMMITMENT:
            claim_classes.add("commit")
            if tok.low in _COMMIT_REQUIRED and tok.key not in ev_commit:
                reasons.append(f"modality: the claim says '{tok.low}', the evidence does not")
    for sent in evidence:
        for word, keys, _ in _scopes(sent.tokens, MODALITY, wide=True):
            cls = MODALITY[word]
            if cls in claim_classes or cls in ("obligation", "conditional"):
                continue
            if cls == "plan" and "commit" in claim_classes:
                continue
            if len(keys & claim.content) >= 2:
                reasons.append(f"modality: the evidence only says '{word}', the claim asserts it")
                break
    return reasons


def speakers_of(sent: Analysed) -> set[str]:
    """Keys of the capitalised words next to a speech verb ("X said", "said X",
    "according to X").
    """
    found: set[str] = set()
    toks = sent.tokens
    for index, tok in enumerate(toks):
        if tok.low not in SPEECH:
            continue
        for step in (1,) if tok.low == "according" else (-1, 1):
            at = index + step + (1 if tok.low == "according" else 0)
            taken = 0
            while 0 <= at < len(toks) and taken < 4:
                cand = toks[at]
                if (cand.low in STOPWORDS and cand.low != "the") or cand.low in DATE_WORDS:
                    break
                if cand.capital or (sent.lowercase and step == -1 and cand.low.isalpha()):
                    found.add(cand.key)
                    taken += 1
                elif cand.low not in ("the",) and cand.low not in ROLE_MODIFIERS:
                    if cand.low not in ROLE_NOUNS:
                        break
                at += step
    return found


def check_attribution(
    claim: Analysed,
    names: set[str],
    main: Analysed,
    near: Sequence[Analysed],
    speakers: set[str],
) -> list[str]:
    """Reasons when the claim names a speaker who does not speak in the evidence sentence
    that carries the claim (`main`), or, when that sentence names no speaker, in the
    sentences next to it (`near`). `speakers` are known speakers of `main`.
    """
    claimed = speakers_of(claim) & names
    if not claimed:
        return []
    heard = set(speakers) | speakers_of(main)
    if not heard:
        for sent in near:
            heard |= speakers_of(sent)
    if claimed & heard:
        return []
    return [f"attribution: the evidence does not give '{' '.join(sorted(claimed))}' as speaker"]


def _role_pairs(tokens: Sequence[Token]) -> set[tuple[str, str]]:
    return {
        (EQUIV.get(a.low, a.low), b.low)
        for a, b in zip(tokens, tokens[1:], strict=False)
        if a.low in ROLE_MODIFIERS and b.low in ROLE_NOUNS
    }


def check_roles(claim: Analysed, evidence: Sequence[Analysed]) -> list[str]:
    """Reasons when a title in the claim ("Foreign Minister") is not in the evidence."""
    nouns = {t.key: t.low for t in claim.tokens if t.low in ROLE_NOUNS}
    have_nouns = {t.key for e in evidence for t in e.tokens}
    reasons = [f"role: '{low}' is not in the evidence"
               for key, low in sorted(nouns.items()) if key not in have_nouns]  # fmt: skip
    wanted = _role_pairs(claim.tokens)
    have: set[tuple[str, str]] = set()
    for sent in evidence:
        have |= _role_pairs(sent.tokens)
    return reasons + [f"role: '{a} {b}' is not in the evidence" for a, b in sorted(wanted - have)]


_PLACE_PREPS = frozenset({"in", "at"})
_NOT_PLACE = frozenset({"", "of", "by", "with", "without", "for", "against", "and", "to", "than"})


def _places(tokens: Sequence[Token], preps: frozenset[str]) -> set[str]:
    return {b.key for a, b in zip(tokens, tokens[1:], strict=False) if a.low in preps}


def check_facts(
    claim: Analysed,
    names: set[str],
    evidence: Sequence[Analysed],
    ev_keys: set[str],
    doc_keys: set[str],
) -> list[str]:
    """Reasons for each name, number and date of the claim missing from the evidence, each
    nationality ("Welsh", "Scottish") missing from the whole document, and a place ("in
    Damascus") the evidence names but does not put anything in.
    """
    shown = {t.key: t.low for t in claim.tokens}
    reasons: list[str] = []
    for key in sorted(claim.numbers - ev_keys):
        where = "the sources" if key not in doc_keys else "the evidence"
        reasons.append(f"number: '{shown.get(key, key)}' is not in {where}")
    dates = {t.key for t in claim.tokens if t.low in DATE_WORDS}
    for key in sorted(dates - ev_keys):
        reasons.append(f"date: '{shown.get(key, key)}' is not in the evidence")
    nations = {t.key for t in claim.tokens if _nationality(t.low)} - doc_keys
    for key in sorted(nations):
        reasons.append(f"nationality: '{shown.get(key, key)}' is not in the sources")
    for key in sorted(names - ev_keys - dates - nations):
        where = "the sources" if key not in doc_keys else "the evidence"
        reasons.append(f"name: '{shown.get(key, key)}' is not in {where}")
    places = (_places(claim.tokens, _PLACE_PREPS) & names & ev_keys) - dates
    for key in sorted(places):
        before = [e.tokens[i - 1].low if i else "" for e in evidence
                  for i, tok in enumerate(e.tokens) if tok.key == key]  # fmt: skip
        if before and all(low in _NOT_PLACE for low in before):
            reasons.append(f"place: the evidence does not put anything 'in {shown[key]}'")
    ev_counts = set().union(*(_counted(e.tokens) for e in evidence))
    ev_nouns = {noun: num for num, noun in ev_counts}
    for num, noun in sorted(_counted(claim.tokens) - ev_counts):
        if noun in ev_nouns and num in ev_keys | {"1"}:
            reasons.append(f"number: the claim says '{num} {noun}', the evidence "
                           f"'{ev_nouns[noun]} {noun}'")  # fmt: skip
    return reasons


def _nationality(low: str) -> bool:
    """Whether a lower-cased word is a nationality or place adjective ("Welsh", "Britons")."""
    return low in NATIONALITIES or (low.endswith("s") and low[:-1] in NATIONALITIES)


def _counted(tokens: Sequence[Token]) -> set[tuple[str, str]]:
    """(number, the next content word) pairs: '4 soldiers' -> ('4', 'soldier')."""
    out = set()
    for index, tok in enumerate(tokens):
        if (
            tok.key[:1].isdigit()
            and ":" not in tok.key
            and not re.fullmatch(r"1[89]\d\d|20\d\d", tok.key)
        ):
            for nxt in tokens[index + 1 : index + 3]:
                if nxt.low not in STOPWORDS and nxt.low.isalpha():
                    out.add((tok.key, nxt.key))
                    break
    return out


def check_links(claim: Analysed, names: set[str], evidence: Sequence[Analysed]) -> list[str]:
    """Reasons when a span of several sentences has a claim's name in one sentence and the
    words the claim puts next to it only in another ("the Shoigu government").
    """
    if len(evidence) < 2:
        return []
    ev_keys = set().union(*(e.content for e in evidence))
    reasons = []
    toks = claim.tokens
    for index, tok in enumerate(toks):
        if tok.key not in names or tok.key not in ev_keys:
            continue
        near = {t.key for t in toks[max(index - 2, 0) : index + 3]
                if t.key != tok.key and t.key in claim.content and t.key in ev_keys}  # fmt: skip
        if near and not any(tok.key in e.content and near & e.content for e in evidence):
            reasons.append(f"name: the evidence does not put '{tok.low}' with "
                           f"'{' '.join(sorted(near))}'")  # fmt: skip
    return reasons
