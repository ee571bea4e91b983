"""Build the code-made verifier pairs: `python -m evals.faithfulness.build_pairs`.

From the project's own sets (`examples/syria` as "seeds", `evals/sets/*/` with articles):
positives are real source sentences as they stand, lightly paraphrased (listed synonyms,
"United States" as "US", a dropped lead-in) and the sets' hand-written key facts; negatives
are FactCC-style perturbations of source sentences: negation added or removed, a name
swapped for another name of the same story, a number or a date changed, the speaker swapped,
a clause from another story appended, a hedge or a proposal in place of a commitment, a
title changed. Fixed seed; writes `evals/faithfulness/synthetic.jsonl`, one pair a line:
`{"id", "set", "article", "claim", "label", "kind"}` (documents are resolved by `data.py`).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path

from agent.grounding.verifier import split_document

from .data import ROOT, SYNTHETIC, article_files

SEED = 20261202
AUX = re.compile(r"\b(is|was|are|were|will|has|have|had|can|would|could|should)\b")
NEG = re.compile(r"\b(not|never)\s+|n't\b")
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = ("January February March April May June July August September October November "
          "December").split()  # fmt: skip
SAID = re.compile(r"\b([A-Z][a-z]+(?: [A-Z][a-z]+)?) (said|says|told)\b")
ROLES = ["Foreign", "Defence", "Interior", "Health", "Finance", "Prime"]
MODAL = [
    (re.compile(r"\bwill\b"), "may"),
    (re.compile(r"\bhave agreed\b"), "have proposed"),
    (re.compile(r"\bhas agreed\b"), "has proposed"),
    (re.compile(r"\bagreed\b"), "proposed"),
    (re.compile(r"\b(has|have) been\b"), r"could have been"),
    (re.compile(r"\bis\b"), "may be"),
    (re.compile(r"\bare\b"), "may be"),
]
PARAPHRASE = [
    (re.compile(r"\bsaid\b"), "stated"),
    (re.compile(r"\btold\b"), "said to"),
    (re.compile(r"\bUnited States\b"), "US"),
    (re.compile(r"\bceasefire\b"), "truce"),
    (re.compile(r"\bper cent\b"), "percent"),
    (re.compile(r"^(?:On|In|At|After) [^,]{3,40}, (\w)"), r"\1"),
]


def _names(text: str) -> list[str]:
    """Capitalised words not at a sentence start (a crude, story-local name list)."""
    return [m.group(1) for m in re.finditer(r"(?<=[a-z,] )([A-Z][a-z]{2,})", text)]


def negate(s: str, rng: random.Random, ctx: dict) -> str | None:
    if NEG.search(s):
        return NEG.sub(lambda m: "" if m.group(0).startswith(("not", "never")) else "", s, 1)
    m = AUX.search(s)
    return s[: m.end()] + " not" + s[m.end() :] if m else None


def swap_name(s: str, rng: random.Random, ctx: dict) -> str | None:
    here = [n for n in _names(s) if n not in ctx["speakers"]]
    others = sorted(set(ctx["names"]) - set(_names(s)) - set(s.split()))
    if not here or not others:
        return None
    return re.sub(rf"\b{rng.choice(here)}\b", rng.choice(others), s, count=1)


def change_number(s: str, rng: random.Random, ctx: dict) -> str | None:
    nums = re.findall(r"\b\d+(?:,\d{3})*\b", s)
    if not nums:
        return None
    old = rng.choice(nums)
    value = int(old.replace(",", ""))
    new = value + 1 if 1900 < value < 2100 else value * rng.choice([2, 3]) + rng.randint(1, 9)
    return re.sub(rf"\b{re.escape(old)}\b", f"{new:,}" if "," in old else str(new), s, count=1)


def change_date(s: str, rng: random.Random, ctx: dict) -> str | None:
    for names in (WEEKDAYS, MONTHS):
        found = [n for n in names if re.search(rf"\b{n}\b", s)]
        if found:
            old = found[0]
            new = rng.choice([n for n in names if n != old])
            return re.sub(rf"\b{old}\b", new, s, count=1)
    return None


def swap_speaker(s: str, rng: random.Random, ctx: dict) -> str | None:
    m = SAID.search(s)
    others = sorted(ctx["speakers"] - {m.group(1)}) if m else []
    others = [o for o in others if o.split()[-1] not in s]
    if not m or not others:
        return None
    return s[: m.start(1)] + rng.choice(others) + s[m.end(1) :]


def append_clause(s: str, rng: random.Random, ctx: dict) -> str | None:
    clause = rng.choice(ctx["foreign"])
    return s.rstrip(".!?\"' ") + ", and " + clause[0].lower() + clause[1:]


def change_modality(s: str, rng: random.Random, ctx: dict) -> str | None:
    for pattern, repl in MODAL:
        if pattern.search(s):
            return pattern.sub(repl, s, count=1)
    return None


def change_role(s: str, rng: random.Random, ctx: dict) -> str | None:
    m = re.search(
        r"\b(Foreign|Defence|Defense|Interior|Health|Finance|Prime) (Minister|Ministry)\b", s
    )
    if not m:
        return None
    new = rng.choice([r for r in ROLES if r != m.group(1)])
    return s[: m.start(1)] + new + s[m.end(1) :]


PERTURB: dict[str, Callable[[str, random.Random, dict], str | None]] = {
    "negation": negate, "entity": swap_name, "number": change_number, "date": change_date,
    "speaker": swap_speaker, "clause": append_clause, "modality": change_modality,
    "role": change_role,
}  # fmt: skip


def paraphrase(s: str) -> str | None:
    out = s
    for pattern, repl in PARAPHRASE:
        out = pattern.sub(repl, out, count=1)
    return out if out != s else None


def _usable(sentence: str) -> bool:
    n = len(sentence.split())
    return 8 <= n <= 45 and sentence.rstrip("\"'")[-1:] in ".!?" and "http" not in sentence


def set_names() -> list[str]:
    """The project sets with articles: seeds and every evals/sets/NAME/ with .txt files."""
    sets = ["seeds"] + sorted(p.name for p in (ROOT / "evals" / "sets").iterdir()
                              if p.is_dir() and any(p.glob("*.txt")))  # fmt: skip
    return [s for s in sets if article_files(s)]


def build(seed: int = SEED) -> list[dict]:
    """All pairs, deterministic for a seed."""
    rng = random.Random(seed)
    stories = {name: [p.read_text("utf-8") for p in article_files(name)] for name in set_names()}
    pairs: list[dict] = []
    for name, texts in stories.items():
        story = " ".join(texts)
        foreign = [
            s
            for other, t in stories.items()
            if other != name
            for x in t
            for _, s in split_document(x)
            if _usable(s) and len(s.split()) <= 20
        ]
        ctx = {"names": sorted(set(_names(story))), "foreign": foreign or ["officials said."],
               "speakers": {m.group(1) for m in SAID.finditer(story)}}  # fmt: skip
        for k, text in enumerate(texts, 1):
            article = f"a{k}"
            for sid, sentence in split_document(text):
                if not _usable(sentence):
                    continue
                base = f"{name}.{article}.{sid}"
                para = paraphrase(sentence)
                if para and rng.random() < 0.5:
                    pairs.append({"id": base + ".para", "set": name, "article": article,
                                  "claim": para, "label": 1, "kind": "paraphrase"})  # fmt: skip
                else:
                    pairs.append({"id": base + ".same", "set": name, "article": article,
                                  "claim": sentence, "label": 1, "kind": "verbatim"})  # fmt: skip
                kinds = list(PERTURB)
                rng.shuffle(kinds)
                made = 0
                for kind in kinds:
                    claim = PERTURB[kind](sentence, rng, ctx)
                    if claim and claim != sentence and made < 2:
                        pairs.append({"id": f"{base}.{kind}", "set": name, "article": article,
                                      "claim": claim, "label": 0, "kind": kind})  # fmt: skip
                        made += 1
    pairs += _key_facts()
    return pairs


def _key_facts() -> list[dict]:
    """The sets' hand-written key facts, against their own article (positives)."""
    out = []
    for name in set_names():
        gold_path = ROOT / "evals" / "sets" / name / "gold.json"
        if not gold_path.exists():
            continue
        gold = json.loads(gold_path.read_text("utf-8"))
        files = [p.name for p in article_files(name)]
        for art in gold.get("articles", []):
            if art.get("file") not in files:
                continue
            article = f"a{files.index(art['file']) + 1}"
            for fact in art.get("key_facts", []):
                out.append({"id": f"{name}.{fact['id']}.fact", "set": name, "article": article,
                            "claim": fact["text"], "label": 1, "kind": "key_fact"})  # fmt: skip
    return out


def main(out: Path = SYNTHETIC) -> int:
    """Write the pairs file and print what it holds."""
    pairs = build()
    out.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs), "utf-8")
    kinds: dict[str, int] = {}
    for p in pairs:
        kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
    print(
        f"wrote {len(pairs)} pairs to {out}: "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
