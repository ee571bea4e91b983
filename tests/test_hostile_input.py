"""Hostile and careless input through the real CLI (`python -m agent`): devices, FIFOs,
oversized input counted while reading, escape sequences in file names and article text,
Markdown and HTML in article text, malformed JSONL lines, and ids that keep their position
when an input is skipped.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_bad_input import story

from agent.errors import InputError
from agent.files import confine, read_limited
from agent.schemas import StoryBrief

ROOT = Path(__file__).resolve().parents[1]
ESC = "\x1b"


def newsbrief(
    *args: str, stdin: bytes | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agent", *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        cwd=ROOT,
    )


def one_line_error(result: subprocess.CompletedProcess) -> str:
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("newsbrief: error:"), err
    assert "Traceback" not in err
    return lines[0]


def test_a_device_is_refused_at_once() -> None:
    line = one_line_error(newsbrief("summarize", "--backend", "none", "/dev/zero", timeout=20))
    assert "/dev/zero: a device, not a regular file" in line


def test_a_fifo_is_refused_instead_of_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "article.txt"
    os.mkfifo(fifo)
    line = one_line_error(newsbrief("summarize", "--backend", "none", str(fifo), timeout=20))
    assert "FIFO" in line


def test_the_size_limit_is_counted_while_reading_not_taken_from_st_size() -> None:
    status = Path("/proc/self/status")  # a regular file whose st_size is 0
    assert status.stat().st_size == 0
    with pytest.raises(InputError, match="larger than 10 bytes"):
        read_limited(status, limit=10)
    assert len(read_limited(status, limit=1 << 20)) > 10


def test_stdin_over_the_limit_is_refused() -> None:
    big = (b"The council met again on Monday. " * 700_000)[: 21 * 1024 * 1024]
    line = one_line_error(newsbrief("summarize", "--backend", "none", "-", stdin=big))
    assert "larger than 20 MB" in line


def test_confine_follows_symlinks_and_refuses_climbing_out(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "in.txt").write_text("x", "utf-8")
    (tmp_path / "out.txt").write_text("x", "utf-8")
    (root / "link.txt").symlink_to(tmp_path / "out.txt")
    assert confine(root / "in.txt", [root]) == (root / "in.txt").resolve()
    for bad in (root / ".." / "out.txt", root / "link.txt", Path("/etc/passwd")):
        with pytest.raises(InputError, match="outside the allowed directories"):
            confine(bad, [root])
    with pytest.raises(InputError, match="not accepted"):
        confine(root / "in.txt", [])


def test_escape_sequences_in_file_names_and_text_never_reach_the_terminal(tmp_path: Path) -> None:
    evil = tmp_path / f"report{ESC}]0;pwned{ESC}\\{ESC}[31m.txt"
    evil.write_text(
        f"Harbour bridge opens{ESC}[2J\n\n" + story(1) + f" Officials{ESC}]8;;http://x.test{ESC}\\"
        " said more.",
        encoding="utf-8",
    )
    other = tmp_path / "other.txt"
    other.write_text(story(2), encoding="utf-8")
    missing = tmp_path / f"gone{ESC}[31m.txt"
    for args in (
        ("summarize", "--backend", "none", "--format", "md", str(evil), str(other)),
        ("summarize", "--backend", "none", str(missing)),
    ):
        result = newsbrief(*args)
        assert ESC.encode() not in result.stdout and ESC.encode() not in result.stderr
        assert b"\x9b" not in result.stderr
    assert b"Traceback" not in result.stderr


def test_links_and_html_in_article_text_are_inert_in_the_markdown_view(tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.txt"
    hostile.write_text(
        "Council approves new harbour plan\n\n"
        "The council approved the harbour plan on Monday, officials said. "
        "Read more at [the plan](javascript:alert(1)) <script>alert('x')</script> today. "
        "![pixel](http://tracker.test/p.png) The plan costs 12 million pounds, the mayor said.",
        encoding="utf-8",
    )
    plain = tmp_path / "plain.txt"
    plain.write_text(story(3), encoding="utf-8")
    result = newsbrief("summarize", "--backend", "none", "--format", "md", str(hostile), str(plain))
    assert result.returncode == 0, result.stderr
    md = result.stdout.decode("utf-8")
    assert "harbour plan" in md
    # shown, but escaped: no unescaped bracket can open a link or image, no '<' a tag
    assert not re.search(r"(?<!\\)\]\(javascript:", md)
    assert not re.search(r"(?<!\\)<script", md) and "\\<script\\>" in md
    assert not re.search(r"!(?<!\\)\[pixel", md) and "!\\[pixel\\]" in md


def test_malformed_jsonl_lines_refuse_the_file_or_are_skipped_with_a_gap(tmp_path: Path) -> None:
    lines = [
        json.dumps({"text": story(4), "title": "First"}),
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"text": story(5), "title": "Fourth"}),
    ]
    path = tmp_path / "stories.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    line = one_line_error(newsbrief("summarize", "--backend", "none", str(path)))
    assert "line 2: not valid JSON" in line and "--skip-bad-lines" in line
    result = newsbrief("summarize", "--backend", "none", "--skip-bad-lines", str(path))
    assert result.returncode == 3, result.stderr  # partial: some inputs were not used
    brief = StoryBrief.model_validate_json(result.stdout)
    assert [a.article_id for a in brief.articles] == ["a1", "a4"]
    assert [(f.article_id, f.kind) for f in brief.run.failed_inputs] == [
        ("a2", "bad_line"),
        ("a3", "bad_line"),
    ]
    err = result.stderr.decode()
    assert "skipped a2:" in err and "skipped a3:" in err and "line 3" in err


def test_a_skipped_input_leaves_a_gap_and_later_ids_keep_their_position(tmp_path: Path) -> None:
    folder = tmp_path / "story"
    folder.mkdir()
    (folder / "1.txt").write_text(story(6), encoding="utf-8")
    (folder / "2.txt").write_bytes(b"\x00\x01\x02binary" * 20)
    (folder / "3.txt").write_text(story(7), encoding="utf-8")
    result = newsbrief("summarize", "--backend", "none", str(folder))
    assert result.returncode == 3, result.stderr
    brief = StoryBrief.model_validate_json(result.stdout)
    assert [a.article_id for a in brief.articles] == ["a1", "a3"]
    assert [f.article_id for f in brief.run.failed_inputs] == ["a2"]
    assert brief.articles[1].source.endswith("3.txt")
