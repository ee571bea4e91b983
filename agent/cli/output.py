"""Writing a brief out: the formats, the --out check made before any work, atomic writes."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError, NewsbriefError
from ..render.html import render_html
from ..render.markdown import render_markdown
from ..schemas import Article, StoryBrief

FORMATS = ("json", "md", "html")


def check_out(out: str | None) -> None:
    """Refuse an --out that cannot be written before any work is done (exit 2)."""
    if not out:
        return
    path = Path(out)
    if path.is_dir():
        raise InputError(f"--out {out}: is a directory; give a file name")
    if not path.resolve().parent.is_dir():
        raise InputError(f"--out {out}: the directory {path.parent} does not exist")
    if not os.access(path.resolve().parent, os.W_OK):
        raise InputError(f"--out {out}: the directory {path.parent} is not writable")


def format_brief(brief: StoryBrief, fmt: str, articles: Sequence[Article] | None = None) -> str:
    """The brief as JSON, Markdown or an HTML page (`articles` give the cited sentences)."""
    if fmt == "json":
        return brief.model_dump_json(indent=2)
    if fmt == "md":
        return render_markdown(brief)
    if fmt == "html":
        return render_html(brief, articles)
    raise InputError(f"unknown format {fmt!r} (choose {', '.join(FORMATS)})")


def write_output(text: str, out: str | None) -> None:
    """Write to `out` atomically (a reader never sees half a file), or to stdout."""
    if not text.endswith("\n"):
        text += "\n"
    if not out:
        sys.stdout.write(text)
        return
    path = Path(out)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.resolve().parent)
    except OSError as err:
        raise NewsbriefError(f"cannot write --out {out}: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # what a plain open() would have made
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise NewsbriefError(f"cannot write --out {out}: {err.strerror or err}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
