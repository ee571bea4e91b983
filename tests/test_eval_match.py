"""The matching rules the scorers rely on: names, numbers, quotes, typography-tolerant search."""

from __future__ import annotations

import pytest

from agent.evaluate.gold import GoldEntity, date_text, parse_date_text
from agent.evaluate.match import name_matches, parse_number, quote_overlap, same_number, verbatim_in
from agent.text.match import find_span

OKAFOR = GoldEntity(
    name="Amara Okafor", kind="person", aliases=["Dr. Amara Okafor", "the health minister"]
)
US = GoldEntity(name="United States", kind="place", aliases=["US"])


@pytest.mark.parametrize(
    "name",
    [
        "Amara Okafor",
        "Dr. Okafor",
        "Okafor",
        "Health Minister Dr. Amara Okafor",
        "the health minister",
        "Health Minister",
    ],
)
def test_names_that_mean_the_person(name: str) -> None:
    assert name_matches(name, OKAFOR)


@pytest.mark.parametrize("name", ["Amara", "Dr. Chidi Okafor", "health ministry", "", None])
def test_names_that_do_not(name: str | None) -> None:
    assert not name_matches(name, OKAFOR)


def test_short_aliases_do_not_match_inside_longer_names() -> None:
    assert name_matches("US", US) and name_matches("the United States", US)
    assert not name_matches("US-led coalition", US)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("400,000", 400000),
        ("more than 400,000 people", 400000),
        ("$4.9 million", 4.9e6),
        ("$40M", 4e7),
        ("five", 5),
        ("Forty days", 40),
        ("a half-billion dollar donation", 5e8),
        ("1.5 bn", 1.5e9),
        ("no number", None),
    ],
)
def test_parse_number(text: str, expected: float | None) -> None:
    assert parse_number(text) == expected


def test_same_number_tolerates_rounding_only() -> None:
    assert (
        same_number(400000, 400000.0)
        and not same_number(400000, 500000)
        and not same_number(None, 1)
    )


def test_quotes_verbatim_despite_typography_but_not_a_changed_word() -> None:
    source = "\u201cWe\u2019re proposing to start joint operations,\u201d Shoigu said."
    assert verbatim_in("We're proposing to start joint operations", source)
    assert not verbatim_in("We're proposing to begin joint operations", source)
    assert (
        quote_overlap(
            "proposing to start joint operations", "We're proposing to start joint operations now"
        )
        == 1.0
    )
    assert quote_overlap("very soon", "We will get in touch very soon") == 0.0
    assert quote_overlap("very soon", "very soon") == 1.0


def test_find_span_maps_back_to_the_original_offsets() -> None:
    text = "Kerry said:  \u201cstop   the conflict\u201d now."
    start, end = find_span('"stop the conflict"', text)
    assert text[start:end] == "\u201cstop   the conflict\u201d"
    assert find_span("Stop the conflict", text) is None


def test_dates_at_their_precision() -> None:
    import datetime as dt

    assert parse_date_text("2016-09") == (dt.date(2016, 9, 1), "month")
    assert (
        date_text(dt.date(2016, 9, 12), "day") == "2016-09-12"
        and date_text(dt.date(2011, 3, 1), "year") == "2011"
    )
    assert date_text(None, "unknown") is None
    with pytest.raises(ValueError):
        parse_date_text("2016-02-30")
