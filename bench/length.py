"""Time of one very long article with no model, by article length (issue 9, "linear time").

Synthetic news articles with quotes and speakers ('"...," said Foreign Minister Anna Berg.',
'Berg said "..."'), dates, figures and many distinct names, of 0.5, 1, 2 and 4 MB, plus a
5 MB article written as one single line, are written to a temporary directory and each is
run through the real command line path with no model:

    newsbrief summarize --backend none --no-cache --quiet FILE --format json -o OUT

Each size runs in its own child process (`python bench/length.py --child FILE`, which calls
`agent.cli.main.main` in process), so a size that takes too long is stopped at --timeout and
reported as ">N s". The child also reports its CPU time (the wall time counts what other
processes take of a shared machine) and the time spent in each stage (reading and segmenting,
quotes, figures, events, speaker entities, the synthesis and its parts, citations, output),
timed by wrapping the functions the command calls; a stage the code no longer has is left
out.

    python bench/length.py                        # 0.5, 1, 2, 4 MB and the 5 MB single line
    python bench/length.py --sizes 0.5,1 --no-single-line
    python bench/length.py --sizes 1,4 --timeout 120 --keep /tmp/length-articles

Targets: 4 MB under 10 s, and time(4 MB) / time(1 MB) under 5.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MB = 1_000_000
TARGET_4MB_SECONDS = 10.0
TARGET_RATIO = 5.0

# --------------------------------------------------------------------------- the article

FIRST = (
    "Anna Sergei John Maria Omar Leila Pieter Ingrid Tomas Yuki Carlos Fatima Daniel Greta "
    "Hassan Elena Marek Sofia Kwame Aiko Ruth Viktor Amira Lars Chen Nadia Felipe Astrid Rahul "
    "Irina Jonas Mei Samuel Olga Tariq Helena Bruno Zara Kofi Lena Mateo Hana Emil Noor Pavel "
    "Clara Ivan Rosa Ali Margit Diego Sanna Femi Laila Ola Keiko Andrei Beatriz Yusuf Freya"
).split()
LAST = (
    "Berg Lindqvist Okafor Moreau Haddad Novak Tanaka Ferreira Kowalski Nakamura Al-Rashid "
    "Jensen Petrov Mendez Osei Varga Lund Castillo Ibrahim Schultz Andersen Kaya Rossi Dubois "
    "Mwangi Sato Horvat Quinn Brandt Ortega Mahmoud Falk Nilsson Yilmaz Costa Weber Banda Hale "
    "Kovac Lindgren Duarte Marsh Aydin Holm Baptiste Strand Karimi Voss Sandoval Achebe Ruiz "
    "Eklund Grieve Takahashi Moretti Olsen Farouk Wren Delacroix Pereira Hagen Abara Lowe Sorensen"
).split()
# Made-up family names, so the number of distinct people grows with the article as it would
# in a long report (about 1,100 names; the fixed list above adds 66).
ROOTS = (
    "Ash Bel Bran Cal Dar Ebb Fen Gar Hol Ing Jar Kel Lor Mar Nor Orm Pel Quar Rad Sel Tor Ul "
    "Vel Wes Yar Zan Alb Bro Cor Dun Eld Fal Grim Hart Ive Kirk Lang Mor"
).split()
SUFFIXES = (
    "son sen berg strom qvist man ova enko ani ez ell ford wick dahl land rud ach oni".split()
)
FAMILY = tuple(LAST) + tuple(f"{root}{suffix}" for root in ROOTS for suffix in SUFFIXES)
TITLES = (
    "Foreign Minister",
    "Defence Minister",
    "Finance Minister",
    "Interior Minister",
    "Prime Minister",
    "President",
    "Governor",
    "Mayor",
    "Senator",
    "General",
    "Professor",
    "Ambassador",
    "Deputy Health Minister",
    "Police Chief",
    "Judge",
)
ROLES = (
    "a spokeswoman for the ministry",
    "a senior aid official",
    "the head of the port authority",
    "an economist at the central bank",
    "a local council member",
    "the chief negotiator",
    "a spokesman for the army",
)
ORGS = (
    "the United Nations",
    "the World Health Organization",
    "the Red Cross",
    "the central bank",
    "the Interior Ministry",
    "the European Commission",
    "the national statistics office",
    "the port authority",
)
PLACES = (
    "Geneva Brackwater Lindale Carrow Feldham Oskby Tarrin Weyford Marsden Holloway Eastport "
    "Kirkby Dunmore Ashvale Redcliff Norwick Selby Thornbury Caldwell Ravensworth"
).split()
MONTHS = (
    "January February March April May June July August September October November December"
).split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
UNITS = (
    "people",
    "families",
    "tonnes of grain",
    "soldiers",
    "homes",
    "trucks of aid",
    "schools",
    "patients",
)
QUOTE_OPENINGS = (
    "We will not accept",
    "Nobody here expected",
    "The government has made clear",
    "I have told my colleagues",
    "Our teams are working on",
    "There is no military solution to",
    "We are deeply concerned about",
    "This is the first step towards",
    "It would be a mistake to ignore",
    "The people of this region deserve",
    "We have asked our partners to support",
    "I cannot promise quick progress on",
)
QUOTE_OBJECTS = (
    "a ceasefire that exists only on paper",
    "the reconstruction of the northern districts",
    "the new agreement on water and power",
    "any delay in the delivery of food and medicine",
    "the talks that resume next week",
    "the safety of the civilians who stayed behind",
    "the budget that parliament approved in the spring",
    "the return of the families who fled the fighting",
    "an independent inquiry into the shelling",
    "the reopening of the border crossing",
)
QUOTE_ENDINGS = (
    "and we will keep saying so",
    "whatever our critics claim",
    "before the winter comes",
    "as long as the guns are silent",
    "because the numbers speak for themselves",
    "and that is not negotiable",
    "even if it takes years",
    "with or without outside help",
)
STATEMENTS = (
    "Negotiators met for {hours} hours in {place} on {weekday}, officials said.",
    "The talks in {place} ended without a joint statement late on {weekday}.",
    "{org_cap} said {figure} {unit} had been registered in {place} since {month} {day}.",
    "About {figure} {unit} were moved out of {place} in the first week of {month}.",
    "Fighting near {place} killed at least {small} people on {month} {day}, {year}.",
    "The plan, first proposed in {month} {year}, would cost about ${money} million.",
    "Prices of bread in {place} rose by {pct} percent between {month} and {month2}.",
    "{org_cap} estimated that {pct} percent of the roads around {place} were damaged.",
    "Convoys carrying {figure} {unit} reached {place} on {weekday} after a delay of {small} days.",
    "Residents of {place} said the power had been cut for {small} days in a row.",
    "The agreement is due to come into force on {month} {day}, according to {org}.",
    "Observers from {org} counted {figure} {unit} at the crossing near {place}.",
)


def _pick(rng: random.Random, items: tuple[str, ...] | list[str]) -> str:
    return items[rng.randrange(len(items))]


def _quote(rng: random.Random) -> str:
    return f"{_pick(rng, QUOTE_OPENINGS)} {_pick(rng, QUOTE_OBJECTS)} {_pick(rng, QUOTE_ENDINGS)}"


def _fill(rng: random.Random, template: str) -> str:
    month, month2 = rng.sample(MONTHS, 2)
    org = _pick(rng, ORGS)
    return template.format(
        hours=rng.randint(3, 19),
        place=_pick(rng, PLACES),
        weekday=_pick(rng, WEEKDAYS),
        org=org,
        org_cap=org[0].upper() + org[1:],
        figure=(
            f"{rng.randint(2, 950)}"
            if rng.random() < 0.5
            else f"{rng.randint(1, 99)},{rng.randint(0, 999):03d}"
        ),
        unit=_pick(rng, UNITS),
        month=month,
        month2=month2,
        day=rng.randint(1, 28),
        year=rng.randint(2014, 2024),
        small=rng.randint(2, 40),
        money=rng.randint(12, 900),
        pct=rng.randint(3, 70),
    )


def _paragraphs(
    rng: random.Random, person: tuple[str, str, str], previous: str | None
) -> list[str]:
    """One or two paragraphs around one speaker: introduced with a title, then quoted by last
    name, by role ('the minister said') or by pronoun.
    """
    title, first, last = person
    full = f"{first} {last}"
    role = title.split()[-1].lower()
    facts = [_fill(rng, _pick(rng, STATEMENTS)) for _ in range(rng.randint(1, 2))]
    kind = rng.randrange(9)
    if kind == 0:
        lines = [f'"{_quote(rng)}," said {title} {full}.', *facts, f'{last} said "{_quote(rng)}."']
    elif kind == 1:
        lines = [
            *facts,
            f"{title} {full} told reporters in {_pick(rng, PLACES)} on {_pick(rng, WEEKDAYS)} "
            f'that "{_quote(rng)}."',
            f'"{_quote(rng)}," {last} added.',
        ]
    elif kind == 2:
        fact = _fill(rng, _pick(rng, STATEMENTS))
        lines = [
            f"According to {title} {full}, {fact[0].lower()}{fact[1:]}",
            f'"{_quote(rng)}. {_quote(rng)}," {last} said.',
        ]
    elif kind == 3 and previous:
        lines = [
            f"{previous} was not the only one to speak out.",
            f'"{_quote(rng)}," {full}, {_pick(rng, ROLES)}, said on {_pick(rng, WEEKDAYS)}.',
            *facts,
        ]
    elif kind == 4:
        lines = [
            f"{title} {full} said on {_pick(rng, WEEKDAYS)} that {_pick(rng, QUOTE_OBJECTS)} "
            f"would be discussed again on {_pick(rng, MONTHS)} {rng.randint(1, 28)}.",
            f'"{_quote(rng)}," she said.' if rng.random() < 0.5 else f'"{_quote(rng)}," he said.',
        ]
    elif kind == 5:
        lines = [*facts, f'In a statement, {last} said: "{_quote(rng)}."']
    elif kind == 6:
        lines = [
            f"{title} {full} arrived in {_pick(rng, PLACES)} on {_pick(rng, WEEKDAYS)}.",
            f"\"{_quote(rng)},\" the {role} said, calling the plan '{_pick(rng, QUOTE_ENDINGS)}'.",
        ]
        return [" ".join(lines), f'"{_quote(rng)}."', " ".join(facts)]  # a quote paragraph
    elif kind == 7:
        lines = [
            f"Speaking to reporters, {full} said {_pick(rng, QUOTE_OBJECTS)} would take time.",
            f'The {role} added: "{_quote(rng)}."',
            *facts,
        ]
    else:
        lead = _pick(rng, ROLES)
        lines = [
            f"{lead[0].upper()}{lead[1:]}, who asked not to be "
            f"named, said {_pick(rng, QUOTE_OBJECTS)} was {_pick(rng, ('uncertain', 'likely'))}.",
            *facts,
            f'"{_quote(rng)}," said {full}.',
        ]
    return [" ".join(lines)]


def make_article(size: int, seed: int = 0, single_line: bool = False) -> str:
    """A synthetic news article of about `size` characters (ASCII, so as many bytes)."""
    rng = random.Random(seed)
    head = [
        "Ceasefire talks resume as aid reaches besieged districts",
        f"{_pick(rng, MONTHS)} {rng.randint(1, 28)}, 2024",
        f"{_pick(rng, PLACES).upper()} - Talks on a ceasefire resumed on Monday as the first "
        f"convoys reached the besieged districts, Foreign Minister Anna Berg said.",
        '"We will not accept a ceasefire that exists only on paper," Berg said.',
    ]
    paragraphs: list[str] = []
    total = sum(len(h) + 2 for h in head)
    previous: str | None = None
    while total < size:
        person = (_pick(rng, TITLES), _pick(rng, FIRST), _pick(rng, FAMILY))
        written = _paragraphs(rng, person, previous)
        previous = f"{person[1]} {person[2]}"
        paragraphs.extend(written)
        total += sum(len(paragraph) + 2 for paragraph in written)
    sep = " " if single_line else "\n\n"
    return sep.join(head + paragraphs)[:size].rsplit(" ", 1)[0] + "\n"


# --------------------------------------------------------------------------- stage timing

# (module, attribute, stage): the functions the command looks up at run time, wrapped where
# they are looked up. Nested stages count in their own line and in the enclosing one.
STAGES = (
    ("agent.cli.summarize", "load_sources", "ingest (read, boilerplate, sentences)"),
    ("agent.grounding.article", "extract_quotes", "extract: quotes"),
    ("agent.grounding.article", "extract_figures", "extract: figures"),
    ("agent.grounding.article", "extract_events", "extract: events"),
    ("agent.grounding.article", "speaker_entities", "grounding: speaker entities"),
    ("agent.grounding.article", "lead_summary", "grounding: lead summary"),
    ("agent.grounding.article", "_lead_points", "grounding: lead key points"),
    ("agent.grounding.article", "_fallback_headline", "grounding: headline"),
    ("agent.pipeline.run", "find_duplicates", "pipeline: duplicates"),
    ("agent.pipeline.injection", "suspect_sentences", "pipeline: injection screen"),
    ("agent.grounding.citations", "Evidence", "pipeline: evidence for citations"),
    ("agent.pipeline.run", "synthesize", "pipeline: synthesis"),
    ("agent.pipeline.synthesis", "numeric_conflicts", "synthesis: numeric conflicts"),
    ("agent.pipeline.synthesis", "build_timeline", "synthesis: timeline"),
    ("agent.pipeline.synthesis", "align_story", "synthesis: alignment"),
    ("agent.pipeline.synthesis", "claim_conflicts", "synthesis: claim conflicts"),
    ("agent.pipeline.synthesis", "consensus_of", "synthesis: consensus"),
    ("agent.pipeline.synthesis", "undisputed", "synthesis: undisputed"),
    ("agent.pipeline.synthesis", "compose_story_text", "synthesis: headline, overview"),
    ("agent.pipeline.run", "cited_sentences", "pipeline: cited sentences"),
    ("agent.cli.summarize", "format_brief", "output (JSON)"),
)


def _timed(stage: str, func: Callable[..., Any], totals: dict[str, float]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            totals[stage] += time.perf_counter() - started

    return wrapper


def run_child(path: Path) -> None:
    """Run the command on one file in this process; print the seconds as one JSON line."""
    from agent.cli.main import main

    totals: dict[str, float] = defaultdict(float)
    for module_name, attribute, stage in STAGES:
        module = importlib.import_module(module_name)
        if callable(getattr(module, attribute, None)):
            setattr(module, attribute, _timed(stage, getattr(module, attribute), totals))
    out = path.with_suffix(".brief.json")
    argv = ["summarize", "--backend", "none", "--no-cache", "--quiet"]
    started, cpu = time.perf_counter(), time.process_time()
    code = main([*argv, str(path), "--format", "json", "-o", str(out)])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    brief = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    article = (brief.get("articles") or [{}])[0]
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "exit": code,
                "stages": dict(totals),
                "quotes": len(article.get("quotes", [])),
                "entities": len(article.get("entities", [])),
                "figures": len(article.get("figures", [])),
                "events": len(article.get("events", [])),
            }
        )
    )


# --------------------------------------------------------------------------- the runs


def run_size(path: Path, timeout: float) -> dict[str, Any] | None:
    """Time one article in a child process; None when it ran over `timeout` seconds."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(path)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"the child run failed on {path}:\n{done.stderr[-2000:]}")
    return json.loads(lines[-1])


def _seconds(result: dict[str, Any] | None, timeout: float) -> str:
    return f">{timeout:.0f} s" if result is None else f"{result['seconds']:.2f} s"


def _report(label: str, result: dict[str, Any] | None, timeout: float) -> None:
    details = (
        ""
        if result is None
        else (
            f"  (cpu {result['cpu']:.2f} s; {result['quotes']} quotes, "
            f"{result['entities']} entities, {result['figures']} figures, "
            f"{result['events']} events)"
        )
    )
    print(f"{label:>16}  {_seconds(result, timeout):>9}{details}", flush=True)
    if result is None or not result["stages"]:
        return
    stages = sorted(result["stages"].items(), key=lambda kv: -kv[1])
    shown = [f"{name} {seconds:.2f}" for name, seconds in stages if seconds >= 0.01][:6]
    print(f"{'':>16}  stages: {'; '.join(shown)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="0.5,1,2,4", help="sizes in MB, comma-separated (default 0.5,1,2,4)"
    )
    parser.add_argument(
        "--single-line-mb",
        type=float,
        default=5.0,
        help="size of the one-line article in MB (default 5)",
    )
    parser.add_argument("--no-single-line", action="store_true", help="skip the one-line article")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds before a size is stopped (300)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", metavar="DIR", help="write the articles to DIR and keep them")
    parser.add_argument("--child", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(Path(args.child))
        return

    sizes = [float(s) for s in args.sizes.split(",") if s.strip()]
    with tempfile.TemporaryDirectory(prefix="newsbrief-length-") as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        runs: list[tuple[str, int, bool]] = [(f"{s:g} MB", int(s * MB), False) for s in sizes]
        if not args.no_single_line:
            runs.append(
                (f"{args.single_line_mb:g} MB one line", int(args.single_line_mb * MB), True)
            )
        print("newsbrief summarize --backend none --no-cache, one synthetic article per run")
        results: dict[float, dict[str, Any] | None] = {}
        for label, size, single in runs:
            name = f"article-{size}{'-line' if single else ''}.txt"
            path = folder / name
            path.write_text(make_article(size, args.seed, single_line=single), encoding="utf-8")
            result = run_size(path, args.timeout)
            if not single:
                results[size / MB] = result
            _report(label, result, args.timeout)
        _summary(results, args.timeout)


def _summary(results: dict[float, dict[str, Any] | None], timeout: float) -> None:
    one, four = results.get(1.0, {}), results.get(4.0, {})
    if 1.0 in results and 4.0 in results:
        if one is None or four is None:
            print("ratio 4 MB / 1 MB: unknown (a run was stopped)")
        else:
            ratio = four["seconds"] / one["seconds"]
            verdict = "ok" if ratio < TARGET_RATIO else "over target"
            print(f"ratio 4 MB / 1 MB: {ratio:.2f} (target < {TARGET_RATIO:g}: {verdict})")
    if 4.0 in results:
        took = four["seconds"] if four else timeout
        verdict = "ok" if four and took < TARGET_4MB_SECONDS else "over target"
        print(f"4 MB: {_seconds(four, timeout)} (target < {TARGET_4MB_SECONDS:g} s: {verdict})")


if __name__ == "__main__":
    main()
