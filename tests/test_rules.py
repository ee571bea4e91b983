"""Code extraction (agent.rules): quotes and speakers, figures, time expressions and dates.

The bundled Syria articles go through the real ingest (`make_article`); invented articles
go through a tiny local splitter so that their sentence ids are known exactly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest

from agent.extract.dates import extract_events, resolve_date
from agent.extract.figures import extract_figures, parse_number
from agent.extract.quotes import extract_quotes, quoted_spans
from agent.ingest.article import make_article
from agent.schemas import Article, Event, Figure, Quote, Sentence

SEEDS = Path(__file__).resolve().parents[1] / "examples" / "syria"
_END = re.compile(r"(?<!\bMr)(?<!\bDr)(?<!\b[A-Z])[.!?][\"”’']?(?=\s+[\"“‘A-Z0-9])")


def build(text: str, index: int = 1, date: dt.date | None = None) -> Article:
    """An Article with one sentence per split of each line (a test stand-in for ingest)."""
    sentences: list[Sentence] = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        for end in [m.end() for m in _END.finditer(text, line.start(), line.end())] + [line.end()]:
            chunk = text[start:end]
            if chunk.strip():
                left = start + len(chunk) - len(chunk.lstrip())
                right = start + len(chunk.rstrip())
                sentences.append(
                    Sentence(
                        id=f"a{index}.s{len(sentences) + 1}",
                        text=text[left:right],
                        start=left,
                        end=right,
                    )
                )
            start = end
    return Article(
        id=f"a{index}",
        source="test.txt",
        date=date,
        text=text,
        sentences=sentences,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )


def seed(name: str, index: int = 1, date: str | None = None) -> Article:
    path = next(SEEDS.glob(f"{name}_*.txt"))
    return make_article(path.read_text(encoding="utf-8"), index=index, source=path.name, date=date)


def quote_of(article: Article, start: str) -> Quote:
    found = [q for q in extract_quotes(article) if q.text.startswith(start)]
    assert found, f"no quote starting {start!r} in {[q.text[:40] for q in extract_quotes(article)]}"
    return found[0]


def sentence_with(article: Article, needle: str) -> Sentence:
    return next(s for s in article.sentences if needle in s.text)


# --------------------------------------------------------------------------- quotes


def test_lavrov_quotes_are_verbatim_with_full_name():
    article = seed("000")
    quotes = extract_quotes(article)
    assert [q.speaker for q in quotes] == ["Sergei Lavrov", "Sergei Lavrov"]
    first = quote_of(article, "We will jointly agree")
    # the quote runs over two sentences: it keeps its text and cites the first one
    assert first.text.endswith("these strikes will be carried out")
    assert first.sentence_id == sentence_with(article, '"We will jointly agree').id
    for quote in quotes:
        assert quote.text in article.text and quote.origin == "code" and quote.verbatim
        assert quote.speaker_verified


def test_scare_quotes_are_not_quotes():
    article = seed("000")
    texts = [q.text for q in extract_quotes(article)]
    assert "fully met" not in texts and "potential military cooperation" not in texts
    spans = [article.text[s.start : s.end] for s in quoted_spans(article.text)]
    assert "fully met" in spans  # still known as quoted words, for verification


def test_shoigu_quotes_in_rudaw_article():
    article = seed("001", index=2)
    first = quote_of(article, "We’re proposing to the United States")
    assert first.speaker == "Sergei Shoigu" and first.speaker_verified
    assert quote_of(article, "We believe the adoption").speaker == "Sergei Shoigu"
    # an unattributed quote right after an attributed one in the same paragraph
    assert quote_of(article, "Of course, these measures").speaker == "Sergei Shoigu"


def test_role_phrase_and_told_journalists_resolve_to_lavrov():
    article = seed("002", index=3)
    assert quote_of(article, "We all want Syria democratic").speaker == "Sergei Lavrov"
    # "The Russian foreign minister added, however, that ... “have differences ...”"
    assert quote_of(article, "have differences on some details").speaker == "Sergei Lavrov"
    assert "promoting political process" not in [q.text for q in extract_quotes(article)]


def test_kerry_and_lavrov_quotes_in_presstv_article():
    article = seed("003", index=4)
    assert quote_of(article, "Today, the and Russia are announcing").speaker == "John Kerry"
    # "He also said ... “stop this conflict ...”": the pronoun is the last named speaker
    assert quote_of(article, "stop this conflict and to come").speaker == "John Kerry"
    assert quote_of(article, "provided there is a sustained period").speaker == "Sergei Lavrov"
    # "..., the Russian foreign minister stated."
    assert quote_of(article, "We will jointly agree").speaker == "Sergei Lavrov"
    assert quote_of(article, "Despite the mistrust").speaker == "Sergei Lavrov"


def test_quotes_in_article_with_comma_outside_marks():
    article = seed("004", index=5)
    assert quote_of(article, "Today we are announcing an arrangement").speaker == "John Kerry"
    assert (
        quote_of(article, "genuine reduction of violence").speaker == "John Kerry"
    )  # in Mr. Kerry’s words
    assert quote_of(article, "Only the Russian and American").speaker == "Sergei Lavrov"
    assert quote_of(article, "It is profoundly in the interests").speaker == "John Kerry"
    assert (
        quote_of(article, "it takes five hours").speaker == "Sergei Lavrov"
    )  # Mr Lavrov ..., claiming


@pytest.mark.parametrize("name", ["000", "001", "002", "003", "004"])
def test_every_long_quote_of_the_seeds_is_found_verbatim(name):
    article = seed(name)
    found = {q.text for q in extract_quotes(article)}
    for match in re.finditer(r"[“\"]([^“”\"\n]+)[”\"]", article.text):
        words = match.group(1).strip().rstrip(",")
        if len(re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", words)) >= 4:
            assert words in found
    assert all(q.text in article.text for q in extract_quotes(article))


def test_attribution_patterns():
    text = (
        '"We are ready to sign the deal today," said Foreign Minister Anna Berg. '
        'She later added: "Nothing is agreed until everything is agreed."\n'
        'Berg said: "The money will flow to the regions that need it most."\n'
        "The group called the plan ‘a very bad idea for everyone’ and ‘unfair’.\n"
        "According to the ministry, «the borders will stay open all year»."
    )
    article = build(text)
    quotes = {q.text: q for q in extract_quotes(article)}
    assert quotes["We are ready to sign the deal today"].speaker == "Anna Berg"
    assert quotes["Nothing is agreed until everything is agreed."].speaker == "Anna Berg"
    assert quotes["The money will flow to the regions that need it most."].speaker == "Anna Berg"
    assert quotes["a very bad idea for everyone"].speaker is None
    assert not quotes["a very bad idea for everyone"].speaker_verified
    assert quotes["the borders will stay open all year"].speaker == "the ministry"
    assert "unfair" not in quotes


def test_quotes_opening_a_paragraph_take_the_speaker_of_the_paragraph_before():
    text = (
        "It is a worrying number, said Miriam Diamond, a professor at the University "
        "of Toronto.\n\n"
        "“It represents throwing away a tremendous amount of energy.”\n\n"
        'Dr Eric Karran, director of research at a charity, said: "Targeting this mechanism could '
        "yield a single drug.\n\n"
        "“If this process is also working overtime, targeting it could help patients.”\n\n"
        "“Nobody knows who wrote this sentence in the report.”"
    )
    speakers = {q.text[:20]: q.speaker for q in extract_quotes(build(text))}
    assert speakers == {
        "It represents throwi": "Miriam Diamond",
        "Targeting this mecha": "Eric Karran",  # left open: the next paragraph goes on with it
        "If this process is a": "Eric Karran",
        "Nobody knows who wro": "Eric Karran",
    }


def test_straight_single_quotes_and_apostrophes():
    article = build(
        "It's the government's view that 'the talks must go on for weeks', Mr. Smith said."
    )
    quotes = extract_quotes(article)
    assert [q.text for q in quotes] == ["the talks must go on for weeks"]
    assert quotes[0].speaker == "Smith"


# --------------------------------------------------------------------------- figures


def figure(article: Article, value: float) -> Figure:
    found = [f for f in extract_figures(article) if f.value == value]
    assert found, f"no figure {value} in {[f.value_text for f in extract_figures(article)]}"
    return found[0]


def test_death_toll_figures():
    toll = figure(seed("000"), 400000)
    assert (toll.value_text, toll.qualifier, toll.counts) == (
        "400,000",
        "more than",
        "people killed",
    )
    toll = figure(seed("003"), 400000)
    assert (toll.qualifier, toll.unit, toll.counts) == ("over", "people", "people killed")
    tolls = [f for f in extract_figures(seed("004")) if f.value == 500000]
    assert {f.qualifier for f in tolls} == {"as many as", "up to"}
    assert all(f.unit == "people" and "killed" in f.counts for f in tolls)


def test_hours_units_and_small_counts():
    hours = figure(seed("000"), 13)
    assert (hours.unit, hours.qualifier) == ("hours", "more than")
    assert figure(seed("003"), 13).qualifier == "some"
    units = figure(seed("001"), 138)
    assert units.unit == "units" and "armed units" in units.counts
    aleppo = seed("004")
    assert (
        figure(aleppo, 700).counts == "civilians killed"
        and figure(aleppo, 700).qualifier == "almost"
    )
    assert figure(aleppo, 160).counts == "children killed"
    assert figure(aleppo, 40).value_text == "Forty" and figure(aleppo, 40).unit == "days"


def test_years_dates_and_references_are_not_figures():
    values = {f.value for f in extract_figures(seed("003"))}
    assert not values & {
        2016,
        2011,
        2014,
        10,
        2,
    }  # September 10, 2016; March 2011; "the two countries"
    text = (
        "The vote under Resolution 2254 was held at 10:30 am on May 25, 2016.\n"
        "1. The first point.\n"
        "No one came, and one of them left."
    )
    assert extract_figures(build(text)) == []


def test_money_percentages_scales_and_compounds():
    text = (
        "The minister announced a $5 million fund and a 5bn euro loan, "
        "and inflation fell to 3.5%.\n"
        "Some 1.5 million doses arrived, roughly two dozen staffers left and 12 were injured.\n"
        "A 12-year-old boy was among the dead after the seven-day truce."
    )
    figures = extract_figures(build(text))
    found = {f.value_text: f for f in figures if f.sentence_id != "a1.s3"}
    compounds = {f.value_text: f for f in figures if f.sentence_id == "a1.s3"}
    assert found["$5 million"].value == 5_000_000 and found["$5 million"].unit == "USD"
    assert found["5bn"].value == 5e9
    assert found["3.5%"].value == 3.5 and found["3.5%"].unit == "percent"
    assert found["1.5 million"].value == 1_500_000 and found["1.5 million"].qualifier == "some"
    assert found["two dozen"].value == 24
    assert found["12"].counts == "people injured"
    assert found["12"].sentence_id == "a1.s2"
    assert compounds["seven"].unit == "days" and compounds["seven"].counts == "seven-day truce"
    assert compounds["12"].unit == "years" and compounds["12"].counts == "12-year-old boy"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("400,000", 400000.0),
        ("five", 5.0),
        ("1.5 million", 1_500_000.0),
        ("forty-five", 45.0),
        ("a dozen", 12.0),
        ("$5bn", 5e9),
        ("3.5%", 3.5),
        ("two hundred", 200.0),
        ("65.4 million", 65_400_000.0),
    ],
)
def test_parse_number(text, value):
    assert parse_number(text) == value


def test_parse_number_rejects_words():
    assert parse_number("people") is None and parse_number("5 apples") is None


# --------------------------------------------------------------------------- events and dates


def event(article: Article, when: str) -> Event:
    found = [e for e in extract_events(article) if e.when_text.lower() == when.lower()]
    assert found, f"no event {when!r} in {[e.when_text for e in extract_events(article)]}"
    return found[0]


def test_rudaw_friday_is_the_publication_day():
    article = seed("001", index=2, date="2016-05-20")  # the date line of the article; a Friday
    friday = event(article, "on Friday")
    assert (friday.date, friday.date_precision) == (dt.date(2016, 5, 20), "day")
    assert event(article, "May 25").date == dt.date(2016, 5, 25)
    assert "broadcast on Russian state television" in friday.what


def test_weekdays_follow_the_tense_of_their_clause():
    text = (
        "The ministers met on Monday to prepare the deal. "
        "The new rules will start on Monday in every region."
    )
    article = build(text, date=dt.date(2021, 3, 3))  # a Wednesday
    events = extract_events(article)
    assert [(e.when_text, e.date, e.sentence_id) for e in events] == [
        ("on Monday", dt.date(2021, 3, 1), "a1.s1"),
        ("on Monday", dt.date(2021, 3, 8), "a1.s2"),
    ]


@pytest.mark.parametrize(
    ("expr", "sentence", "expected"),
    [
        ("September 10, 2016", "", (dt.date(2016, 9, 10), "day")),
        ("10 September 2016", "", (dt.date(2016, 9, 10), "day")),
        ("20-05-2016", "", (dt.date(2016, 5, 20), "day")),
        ("May 25", "", (dt.date(2021, 5, 25), "day")),
        ("December 30", "", (dt.date(2020, 12, 30), "day")),
        ("since March 2011", "", (dt.date(2011, 3, 1), "month")),
        ("in 2014", "", (dt.date(2014, 1, 1), "year")),
        ("yesterday", "", (dt.date(2021, 3, 2), "day")),
        ("tomorrow", "", (dt.date(2021, 3, 4), "day")),
        ("next month", "", (dt.date(2021, 4, 1), "month")),
        ("earlier this year", "", (dt.date(2021, 1, 1), "year")),
        ("on Wednesday", "They met on Wednesday.", (dt.date(2021, 3, 3), "day")),
        ("on Wednesday", "They will meet on Wednesday.", (dt.date(2021, 3, 10), "day")),
        ("last Wednesday", "", (dt.date(2021, 2, 24), "day")),
        ("next Monday", "", (dt.date(2021, 3, 8), "day")),
        (
            "on Monday",
            "The truce, agreed after talks, will come into force on Monday.",
            (dt.date(2021, 3, 8), "day"),
        ),
        (
            "on Monday",
            "Kerry added that the truce would be enforced on Monday.",
            (dt.date(2021, 3, 8), "day"),
        ),
        (
            "On Monday",
            "On Monday, the two presidents discussed the issue.",
            (dt.date(2021, 3, 1), "day"),
        ),
    ],
)
def test_resolve_date(expr, sentence, expected):
    assert resolve_date(expr, dt.date(2021, 3, 3), sentence) == expected


def test_resolve_date_without_anchor_only_resolves_absolute_dates():
    assert resolve_date("on Friday", None, "They met on Friday.") == (None, "unknown")
    assert resolve_date("May 25", None) == (None, "unknown")
    assert resolve_date("September 10, 2016", None) == (dt.date(2016, 9, 10), "day")


def test_events_skip_durations_and_names():
    text = (
        "The ceasefire must hold for a week and for 7 days.\n"
        "The Tonight Show aired a special on the war."
    )
    assert extract_events(build(text, date=dt.date(2021, 3, 3))) == []


def test_absolute_dates_in_seed_text():
    article = seed("003", index=4)
    assert event(article, "since March 2011").date_precision == "month"
    assert event(article, "In 2014").date == dt.date(2014, 1, 1)


def test_month_without_year_follows_the_tense_of_its_clause():
    anchor = dt.date(2023, 9, 20)
    assert resolve_date("in March", anchor, "The plant was damaged by a fire in March.") == (
        dt.date(2023, 3, 1),
        "month",
    )
    assert resolve_date("in March", anchor, "The plant will reopen in March.") == (
        dt.date(2024, 3, 1),
        "month",
    )
    # no tense marker: the nearest date stands
    assert resolve_date("May 25", dt.date(2016, 5, 20), "The ceasefire beginning May 25.") == (
        dt.date(2016, 5, 25),
        "day",
    )
