"""Ingest: decoding, refusing bad input, boilerplate stripping, metadata and sentences.

Test texts are invented here; the seed articles are read from examples/syria (a copy of
shared/seeds kept in the repository).
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json
import os
import re
from pathlib import Path

import pytest

from agent.errors import InputError
from agent.ingest.article import make_article
from agent.ingest.decode import decode_bytes
from agent.ingest.metadata import parse_date_line
from agent.ingest.read import load_inputs
from agent.ingest.segment import split_sentences

SEEDS = Path(__file__).resolve().parents[1] / "examples" / "syria"
RUDAW = SEEDS / "001_eb04f12f6c57fad3.txt"
BOILERPLATE = re.compile(
    r"^(?:advertisement|skip to main content|leave a reply|required|share|post a comment|comments"
    r"|please enter your (?:comment|name).*)$|moderates all comments|community guidelines"
    r"|we will not tolerate"
    r"|\bA\+ A-|\(AFP\)\s*$",
    re.I,
)

INVENTED = """Skip to navigation
Harbour bridge reopens after storm repairs

By Jane Smith | Coastal Herald
Published March 3, 2021, 10:15 a.m.

Share this article
The harbour bridge in Port Elms reopened on Wednesday after three weeks of repairs, the city council said.

Sign up for our newsletter

Workers replaced 120 metres of railing, Mr. Dalton told reporters. U.S. officials praised the speed of the work.
Crowds gather at the reopened bridge on Wednesday (Reuters)
Advertisement - Continue reading below
"We are proud of the crews," Mayor Ann Ruiz said. "They worked day and night."
Ferry operators said the closure cost them about 3.5 million dollars in lost fares over the three weeks.

Related stories
Storm damage costs rise
Council approves repair budget

3 comments
Leave a comment
Your email address will not be published. Required fields are marked *
Name *
Submit
We moderate all comments and will reject any that break our community guidelines.
"""  # noqa: E501


def _lines(text: str) -> list[str]:
    return [ln for ln in text.split("\n") if ln.strip()]


def _assert_offsets(article) -> None:
    assert [s.id for s in article.sentences] == [
        f"{article.id}.s{n}" for n in range(1, len(article.sentences) + 1)
    ]
    previous_end = 0
    for s in article.sentences:
        assert article.text[s.start : s.end] == s.text
        assert s.text == s.text.strip() and "\n" not in s.text
        assert s.start >= previous_end
        previous_end = s.end


# --------------------------------------------------------------------------- seeds


@pytest.fixture(scope="module")
def seed_articles():
    return load_inputs([str(SEEDS)])


def test_seed_directory_is_read_in_name_order_with_ids(seed_articles):
    assert [a.id for a in seed_articles] == ["a1", "a2", "a3", "a4", "a5"]
    assert [Path(a.source).name for a in seed_articles] == sorted(
        p.name for p in SEEDS.glob("*.txt")
    )
    for article in seed_articles:
        _assert_offsets(article)
        assert len(article.sha256) == 64


def test_seed_boilerplate_is_gone_and_news_stays(seed_articles):
    for article in seed_articles:
        leaks = [ln for ln in _lines(article.text) if BOILERPLATE.search(ln.strip())]
        assert leaks == [], (article.source, leaks)
    text = "\n".join(a.text for a in seed_articles)
    for needle in (
        "Shoigu noted that 138 various armed units",
        "killing more than 400,000 and displacing millions",
        "Joint airstrikes in Syria",
        "Both sides have failed to deliver their ends of the bargain",
    ):
        assert needle in text
    removed = [ln for a in seed_articles for ln in a.removed_lines]
    assert "Advertisement" in removed and "Leave a Reply" in removed


def test_rudaw_seed_metadata(seed_articles):
    rudaw = load_inputs([str(RUDAW)])[0]
    assert rudaw.date == dt.date(2016, 5, 20) and rudaw.date_text == "20-05-2016"
    assert rudaw.outlet == "Rudaw"
    assert rudaw.title == "Russia proposes joint airstrikes with US in Syria"
    assert rudaw.text.startswith("ERBIL, Kurdistan Region--Russia has proposed")
    assert rudaw.sentences[-1].text.startswith("Shoigu noted that 138")


def test_seed_titles_are_detected_and_leave_the_body(seed_articles):
    for article in seed_articles:
        assert article.title and article.title not in article.text.split("\n")[0]


# --------------------------------------------------------------------------- invented text


def test_invented_boilerplate_and_byline():
    article = make_article(INVENTED, index=3, source="invented.txt")
    _assert_offsets(article)
    for noise in (
        "Skip to navigation",
        "Share this article",
        "Sign up for our newsletter",
        "(Reuters)",
        "Continue reading",
        "3 comments",
        "Leave a comment",
        "Name *",
        "Submit",
        "Storm damage costs rise",
        "We moderate all comments",
        "email address will not be published",
        "By Jane Smith",
    ):
        assert noise not in article.text, noise
    for news in (
        "The harbour bridge in Port Elms reopened on Wednesday",
        "Workers replaced 120 metres",
        '"We are proud of the crews," Mayor Ann Ruiz said.',
        "about 3.5 million dollars",
    ):
        assert news in article.text, news
    assert article.title == "Harbour bridge reopens after storm repairs"
    assert article.outlet == "Coastal Herald"
    assert article.date == dt.date(2021, 3, 3)
    assert "Share this article" in article.removed_lines


def test_real_sentences_about_comments_are_kept():
    text = (
        "Officials declined to comment on the threats and abuse aimed at the inspectors on "
        "Tuesday night.\n\n"
        "The agency said it would publish its guidelines for approving community projects next "
        "month, a spokesman said.\n\n"
        "Officials declined to comment on the publication of the new guidelines for "
        "community groups.\n\n"
        "Comments\n\n"
        "The mayor said more than 40 residents had written in with comments about the new "
        "parking rules."
    )
    article = make_article(text, index=1, source="t")
    assert "declined to comment on the threats" in article.text
    assert "publish its guidelines" in article.text
    assert "publication of the new guidelines" in article.text
    assert "had written in with comments" in article.text


def test_crawl_notes_and_tweet_embeds_are_removed():
    text = (
        "Rescue teams reached the flooded valley on Sunday and began moving families to "
        "higher ground.\n\n"
        "Stay safe everyone, we are on our way pic.twitter.com/AbCdEf123 — Valley Rescue "
        "(@valleyrescue) June 4, 2023\n\n"
        "The river rose two metres overnight. pic.twitter.com/ZzYy987\n\n"
        "These crawls are part of a project to keep copies of linked pages; the Wayback Machine "
        "stores them.\n"
        "Pages are ranked by incoming links from other domains.\n\n"
        "The seed for Wide00099 was:\n"
        "- the most highly ranked pages of each domain"
    )
    article = make_article(text, index=1, source="t")
    assert article.text == (
        "Rescue teams reached the flooded valley on Sunday and began moving families to "
        "higher ground.\n\n"
        "The river rose two metres overnight."
    )
    assert "pic.twitter.com/ZzYy987" in article.removed_lines


def test_captions_need_a_credit_and_wire_paragraphs_stay():
    text = (
        "Firefighters battle the blaze near the port on Monday (AP Photo/Sam Doe)\n"
        "Photo: a damaged warehouse\n"
        "LISBON (Reuters) - A fire at a port warehouse burned for six hours before it was put out, "
        "officials said.\n"
        "The blaze was contained by evening, the fire chief said (AFP)"
    )
    article = make_article(text, index=1, source="t")
    assert article.text.split("\n") == [
        "LISBON (Reuters) - A fire at a port warehouse burned for six hours before it was put out, "
        "officials said.",
        "The blaze was contained by evening, the fire chief said (AFP)",
    ]


def test_metadata_variants():
    a = make_article(
        "Bridge reopens\nMay 20, 2016\nCity News\nThe bridge reopened on Wednesday after repairs.",
        index=1,
        source="t",
    )
    assert (a.title, a.date, a.outlet) == ("Bridge reopens", dt.date(2016, 5, 20), "City News")
    b = make_article(
        "2005/01/08 Flood aid rises sharply\nSaturday, January 8, 2005\n"
        "Donors gave more this week.",
        index=1,
        source="t",
    )
    assert b.title == "Flood aid rises sharply" and b.date == dt.date(2005, 1, 8)
    assert b.text == "Donors gave more this week."
    c = make_article(
        "Wednesday, March 2, 2022 The council met on Tuesday and voted to close the pool.",
        index=1,
        source="t",
    )
    assert (
        c.date == dt.date(2022, 3, 2)
        and c.text == "The council met on Tuesday and voted to close the pool."
    )
    d = make_article(
        "The pool closed.\n\nIt had been losing money for years, the council said.",
        index=1,
        source="t",
    )
    assert d.title is None and d.date is None and d.text.startswith("The pool closed.")


@pytest.mark.parametrize(
    ("line", "expected", "ambiguous"),
    [
        ("20-05-2016", dt.date(2016, 5, 20), False),
        ("2016-05-20", dt.date(2016, 5, 20), False),
        ("May 20, 2016", dt.date(2016, 5, 20), False),
        ("20 May 2016", dt.date(2016, 5, 20), False),
        ("Saturday, January 8, 2005", dt.date(2005, 1, 8), False),
        ("2005/01/08", dt.date(2005, 1, 8), False),
        ("Sept. 10, 2016 14:05 GMT", dt.date(2016, 9, 10), False),
        ("03-04-2016", dt.date(2016, 4, 3), True),  # day-first with '-'
        ("03.04.2016", dt.date(2016, 4, 3), True),  # day-first with '.'
        ("03/04/2016", dt.date(2016, 3, 4), True),  # month-first with '/'
        ("12/25/2016", dt.date(2016, 12, 25), False),
    ],
)
def test_date_lines(line, expected, ambiguous):
    found = parse_date_line(line)
    assert found is not None and found.date == expected and found.ambiguous == ambiguous


def test_not_date_lines():
    for line in (
        "May 20 people were hurt, 2016 figures show",
        "31-02-2016",
        "Page 12",
        "20-05-16 notes",
    ):
        assert parse_date_line(line) is None, line


def test_given_metadata_wins_and_first_line_equal_to_title_is_dropped():
    a = make_article(
        "Bridge reopens\n20-05-2016\nThe bridge reopened.",
        index=4,
        source="x.jsonl:2",
        title="Bridge reopens",
        outlet="Daily Planet",
        date="2016-05-21",
        url="https://example.org/b",
    )
    assert (a.title, a.outlet, a.date, a.url) == (
        "Bridge reopens",
        "Daily Planet",
        dt.date(2016, 5, 21),
        "https://example.org/b",
    )
    assert a.text == "The bridge reopened." and a.sentences[0].id == "a4.s1"
    bad = make_article("The bridge reopened.", index=1, source="t", date="sometime soon")
    assert bad.date is None and any("could not read the given date" in w for w in bad.warnings)


# --------------------------------------------------------------------------- sentences


def test_sentence_splitting_keeps_abbreviations_and_attributions():
    text = (
        "Mr. Kerry met U.S. officials on Jan. 5 in Washington. "
        "Dr. Ann B. Lowe said the rate rose to 3.5 percent. "
        '"We will not stop," Gen. Ross said. "Why now?" Lavrov asked. '
        "He left at 9 p.m. on Friday... "
        "Then the talks ended. It happened in the U.S. The vote was 12-3!\n"
        "A lone subheading\n"
        "(The figure was revised later.) Officials agreed."
    )
    article = make_article(text, index=7, source="t")
    _assert_offsets(article)
    assert [s.text for s in article.sentences] == [
        "Mr. Kerry met U.S. officials on Jan. 5 in Washington.",
        "Dr. Ann B. Lowe said the rate rose to 3.5 percent.",
        '"We will not stop," Gen. Ross said.',
        '"Why now?" Lavrov asked.',
        "He left at 9 p.m. on Friday...",
        "Then the talks ended.",
        "It happened in the U.S.",
        "The vote was 12-3!",
        "A lone subheading",
        "(The figure was revised later.)",
        "Officials agreed.",
    ]


def test_sentence_splitter_is_fast_on_a_long_text():
    line = "The council met on Monday and Mr. Smith of the U.S. office spoke for 3.5 minutes. "
    text = line * 12000  # ~1 MB on one line
    import time

    started = time.perf_counter()
    spans = split_sentences(text)
    assert len(spans) == 12000
    assert time.perf_counter() - started < 5


# --------------------------------------------------------------------------- decoding


def test_utf8_with_bom_and_utf16_with_bom():
    text = "Café owners said “yes” – twice.\r\nSecond line."
    decoded, warnings = decode_bytes(codecs.BOM_UTF8 + text.encode("utf-8"), "f.txt")
    assert decoded == "Café owners said “yes” – twice.\nSecond line." and warnings == []
    for codec in ("utf-16", "utf-32"):
        decoded, warnings = decode_bytes(text.encode(codec), "f.txt")
        assert decoded == "Café owners said “yes” – twice.\nSecond line.", codec
        assert warnings == []


def test_utf16_without_bom_is_read_with_a_warning():
    decoded, warnings = decode_bytes(
        "Harbour bridge reopens after repairs.".encode("utf-16-le"), "f.txt"
    )
    assert decoded == "Harbour bridge reopens after repairs." and "UTF-16-LE" in warnings[0]


def test_cp1252_and_latin1_decode_with_a_warning():
    decoded, warnings = decode_bytes(
        "The café – “quoted” owner said it’s fine.".encode("cp1252"), "f.txt"
    )
    assert decoded == "The café – “quoted” owner said it’s fine."
    assert warnings and "windows-1252" in warnings[0]
    decoded, warnings = decode_bytes(
        "Señor Müller’s café".replace("’", "'").encode("latin-1"), "f.txt"
    )
    assert decoded == "Señor Müller's café" and warnings


def test_decoding_warning_reaches_the_article(tmp_path):
    path = tmp_path / "old.txt"
    path.write_bytes("The café – “quoted” owner said it’s fine.".encode("cp1252"))
    (article,) = load_inputs([path])
    assert article.text == "The café – “quoted” owner said it’s fine."
    assert any("windows-1252" in w for w in article.warnings)
    plain = tmp_path / "MZ.txt"
    plain.write_text("MZ Holdings said profits rose.", encoding="utf-8")
    assert load_inputs([plain])[0].warnings == []


def test_control_and_zero_width_characters_are_removed():
    decoded, _ = decode_bytes(
        "Zero\u200bwidth\x07 bell\tand tab\u00a0NBSP e\u0301".encode(), "f.txt"
    )
    assert decoded == "Zerowidth bell\tand tab\u00a0NBSP \u00e9"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40), "PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF document"),
        (b"PK\x03\x04\x14\x00\x06\x00", "ZIP archive"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "GZIP"),
        (bytes(range(256)) * 4, "binary"),
        (b"\x01\x02\x03\x04\x05\x06text" * 50, "binary"),
    ],
)
def test_binary_files_are_refused(tmp_path, data, says):
    path = tmp_path / "story.txt"
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        load_inputs([str(path)])
    assert str(path) in str(err.value) and says in str(err.value) and "\n" not in str(err.value)


def test_random_bytes_with_nuls_are_refused(tmp_path):
    import random

    rng = random.Random(7)
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(rng.randrange(256) for _ in range(4000)))
    with pytest.raises(InputError, match="noise.txt.*binary"):
        load_inputs([str(path)])


# --------------------------------------------------------------------------- bad input


def test_empty_whitespace_and_boilerplate_only_files_are_errors(tmp_path):
    for name, content, says in (
        ("empty.txt", b"", "file is empty"),
        ("blank.txt", b" \n\t\n  \n", "file is empty"),
        ("noise.txt", b"Share\n\nAdvertisement\n\nSkip to main content\n", "only boilerplate"),
    ):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(InputError, match=re.escape(name) + ".*" + says):
            load_inputs([str(path)])


def test_missing_path_and_no_input_are_errors(tmp_path):
    with pytest.raises(InputError, match="nope.txt: no such file"):
        load_inputs([str(tmp_path / "nope.txt")])
    with pytest.raises(InputError, match="no input"):
        load_inputs([])


def test_too_large_file_is_refused(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as fh:
        fh.truncate(20 * 1024 * 1024 + 1)
    with pytest.raises(InputError, match="huge.txt: file is larger than 20 MB"):
        load_inputs([str(path)])


def test_unsupported_extension_is_read_when_it_is_text(tmp_path):
    good = tmp_path / "story.news"
    good.write_text("The harbour bridge reopened on Wednesday.", encoding="utf-8")
    assert load_inputs([good])[0].text == "The harbour bridge reopened on Wednesday."
    bad = tmp_path / "story.bin"
    bad.write_bytes(b"\x00\x01\x02\x03" * 100)
    with pytest.raises(InputError, match="story.bin"):
        load_inputs([bad])


# ------------------------------------------------------------------------ stdin, JSONL, directories


def test_stdin_plain_text():
    stdin = io.BytesIO(
        b"Port Elms bridge reopens\n\nThe bridge reopened on Wednesday, the council said."
    )
    (article,) = load_inputs(["-"], stdin=stdin)
    assert article.source == "<stdin>" and article.title == "Port Elms bridge reopens"
    assert article.sentences[0].text == "The bridge reopened on Wednesday, the council said."
    (again,) = load_inputs([], stdin=io.StringIO("The bridge reopened."))
    assert again.text == "The bridge reopened."
    with pytest.raises(InputError, match="stdin"):
        load_inputs(["-"], stdin=io.BytesIO(b"   \n"))


def test_stdin_jsonl():
    rows = [
        {
            "text": "The bridge reopened on Wednesday.",
            "title": "Bridge reopens",
            "source": "Daily Planet",
        },
        {"text": "Ferries resumed on Thursday.", "date": "March 4, 2021"},
    ]
    stdin = io.BytesIO("\n".join(json.dumps(r) for r in rows).encode() + b"\n")
    articles = load_inputs(["-"], stdin=stdin)
    assert [a.source for a in articles] == ["<stdin>:1", "<stdin>:2"]
    assert articles[0].outlet == "Daily Planet" and articles[1].date == dt.date(2021, 3, 4)


def test_jsonl_file_carries_metadata(tmp_path):
    path = tmp_path / "cluster.jsonl"
    rows = [
        {
            "text": "Bridge reopens\n\nThe bridge reopened on Wednesday after repairs.",
            "title": "Bridge reopens",
            "outlet": "Coastal Herald",
            "date": "2021-03-03",
            "url": "https://example.org/a",
        },
        {"text": "Ferries resumed on Thursday, operators said.", "date": "Thursday, March 4, 2021"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    first, second = load_inputs([path])
    assert (first.id, first.source, first.title, first.outlet, first.url) == (
        "a1",
        f"{path}:1",
        "Bridge reopens",
        "Coastal Herald",
        "https://example.org/a",
    )
    assert (
        first.date == dt.date(2021, 3, 3)
        and first.text == "The bridge reopened on Wednesday after repairs."
    )
    assert (
        second.id == "a2"
        and second.date == dt.date(2021, 3, 4)
        and second.date_text == "Thursday, March 4, 2021"
    )


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"text": "Fine."}', '{"text": "broken'], "line 2: not valid JSON"),
        (['{"text": "Fine."}', "", '{"title": "No text"}'], 'line 3: no non-empty "text"'),
        (['{"text": "   "}'], 'line 1: no non-empty "text"'),
        (['["not", "an", "object"]'], "line 1: expected a JSON object"),
        (['{"text": "Fine.", "title": 5}'], 'line 1: field "title" must be a string'),
    ],
)
def test_bad_jsonl_names_the_line(tmp_path, lines, message):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(f"bad.jsonl: {message}")):
        load_inputs([path])


def test_directory_sorted_and_numbered_across_inputs(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "b.md").write_text(
        "# Second story\n\nThe [ferry](https://x.org) sailed **again** today.", "utf-8"
    )
    (folder / "a.txt").write_text("The first story is about the bridge.", "utf-8")
    (folder / "c.jsonl").write_text(
        '{"text": "Third, from JSONL."}\n{"text": "Fourth, from JSONL."}\n', "utf-8"
    )
    (folder / "notes.csv").write_text("not,an,article\n", "utf-8")
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(30))
    (folder / "empty.txt").write_bytes(b"")
    (folder / ".hidden.txt").write_text("Hidden file.", "utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "deep.txt").write_text("Not read: directories are not recursive.", "utf-8")
    extra = tmp_path / "z.txt"
    extra.write_text("Fifth, named after the directory.", "utf-8")
    articles = load_inputs([folder, os.fspath(extra)])
    # ids follow input positions: the empty file (5th in name order) leaves a gap
    assert [a.id for a in articles] == ["a1", "a2", "a3", "a4", "a6"]
    assert [a.text for a in articles] == [
        "The first story is about the bridge.",
        "The ferry sailed again today.",
        "Third, from JSONL.",
        "Fourth, from JSONL.",
        "Fifth, named after the directory.",
    ]
    assert articles[1].title == "Second story"
    assert articles[2].source.endswith("c.jsonl:1")


def test_directory_without_articles_is_an_error(tmp_path):
    (tmp_path / "data.csv").write_text("a,b\n", "utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(InputError, match="no readable articles"):
        load_inputs([tmp_path])
