"""The one sanitiser for everything newsbrief shows.

Article text, titles, file names and model replies can carry things that act on the reader's
screen rather than being read: terminal escape sequences (colours, cursor moves, OSC 8
hyperlinks, window titles), carriage returns that overwrite a line, bidi overrides that
reorder it, zero-width and tag characters that hide words from a human but not from a model,
and links with a `javascript:` scheme. Every view (terminal, Markdown, HTML) passes its text
through these functions:

* `clean(s)`: the text with escape sequences and control, bidi-override and invisible
  format characters removed (newlines and tabs kept, or folded to spaces);
* `safe_url(url)`: the URL only when it is plain http(s) with a host, else None;
* `md_text(s)`: cleaned text with the Markdown that could make links, images, raw HTML or
  emphasis escaped, on one line;
* `clean_model(obj)`: a copy of a pydantic model, dict or list with every string cleaned.

HTML escaping is the template engine's job (Jinja2 with autoescape); these functions make the
text harmless before it gets there and in views that have no escaping of their own.
"""

from __future__ import annotations

import logging
import re
import sys
import unicodedata
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel

__all__ = [
    "CleanFormatter",
    "clean",
    "clean_model",
    "log_to_stderr",
    "md_text",
    "safe_url",
    "say",
    "strip_escapes",
]

# Escape sequences (ECMA-48). Strings (OSC, DCS, SOS, PM, APC) run to their terminator: BEL or
# ST (ESC \ or 0x9c). An unterminated string is removed up to the end of its line, so its
# payload (a hyperlink target, a window title) never shows as if it were text.
# The 8-bit introducers (U+0090, U+009D ...) must be terminated on the same line to count:
# alone they are more likely mis-decoded text, and the control itself is removed anyway.
_STRING = re.compile(
    r"\x1b[\]PX^_][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)"
)
_CSI = re.compile(r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?")
_ESC_OTHER = re.compile(r"\x1b[\x20-\x2f]*[\x30-\x7e]?")  # ESC c, ESC ( B, ESC 7 ...

_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
# C0 and C1 controls except tab and newline (which the callers decide about), and DEL.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BLANKS = re.compile(r"\s+")

# Format characters (Unicode category Cf) that are kept: Arabic and Syriac number signs, which
# are visible marks. ZWJ and ZWNJ are kept only between two non-ASCII characters (Persian,
# Indic scripts, emoji sequences need them); inside ASCII words they only hide things.
_KEEP_FORMAT = frozenset("\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u08e2")
_JOINERS = frozenset("\u200c\u200d")
# Not Cf, yet invisible or used to hide text: Hangul fillers, Mongolian vowel separator,
# interlinear annotation marks, noncharacters.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u180e\ufff9\ufffa\ufffb\ufffe\uffff")


def strip_escapes(s: str) -> str:
    """`s` without ANSI/ECMA-48 escape sequences (string controls, CSI, other ESC forms)."""
    s = _STRING.sub("", s)
    s = _CSI.sub("", s)
    return _ESC_OTHER.sub("", s)


def _is_hidden(ch: str) -> bool:
    if ch in _INVISIBLE:
        return True
    category = unicodedata.category(ch)
    return category == "Cs" or (category == "Cf" and ch not in _KEEP_FORMAT)


def _strip_invisible(s: str) -> str:
    if s.isascii():
        return s
    out: list[str] = []
    last = len(s) - 1
    for i, ch in enumerate(s):
        if ch in _JOINERS:
            before = s[i - 1] if i > 0 else "a"
            after = s[i + 1] if i < last else "a"
            if (
                not before.isascii()
                and not after.isascii()
                and not before.isspace()
                and not after.isspace()
            ):
                out.append(ch)
        elif not _is_hidden(ch):
            out.append(ch)
    return "".join(out)


def clean(s: str, *, fold_newlines: bool = False, keep_tabs: bool = True) -> str:
    r"""`s` with everything that acts on a display instead of being read removed.

    Removes ANSI/ECMA-48 escape sequences (CSI such as colours and cursor moves; OSC such as
    OSC 8 hyperlinks and window titles; DCS, SOS, PM, APC), C0 and C1 control characters,
    DEL, bidi embedding/override/isolate characters and marks, zero-width and other invisible
    format characters (soft hyphen, word joiner, BOM, tag characters). A carriage return, form
    feed, vertical tab or Unicode line separator becomes a newline, so "safe\revil" cannot
    overwrite a line in a terminal: both parts stay visible.

    With `fold_newlines`, every run of whitespace (newlines and tabs included) becomes one
    space and the ends are stripped: the text fits on one line. Without it, newlines are kept
    and tabs are kept unless `keep_tabs` is false (then each becomes a space).
    """
    if not isinstance(s, str):
        raise TypeError(f"clean() expects a str, not {type(s).__name__}")
    if not s:
        return s
    s = strip_escapes(s)
    s = _LINE_BREAKS.sub("\n", s)
    s = _CONTROLS.sub("", s)
    s = _strip_invisible(s)
    if fold_newlines:
        return _BLANKS.sub(" ", s).strip()
    if not keep_tabs:
        s = s.replace("\t", " ")
    return s


# --------------------------------------------------------------------------- URLs

_URL_MAX = 2048
_URL_FORBIDDEN = re.compile(r"[\s\\<>\"'`{}|^]")
_HOST = re.compile(r"^(?:\[[0-9a-fA-F:.]+\]|[^\s/?#@:%]+)$")


def safe_url(url: str | None) -> str | None:
    r"""The URL when it is safe to show as a link, else None.

    Safe means: an absolute `http` or `https` URL with a host, no user name or password in
    it, no whitespace, control or invisible characters anywhere (browsers silently drop tabs
    and newlines, which is how `java\tscript:` slips past naive checks), no backslash, quote
    or angle bracket, a valid port, and at most 2,048 characters. `javascript:`, `data:`,
    `vbscript:`, `file:`, relative and protocol-relative (`//host`) URLs all give None.
    Surrounding spaces are trimmed; the URL is otherwise returned unchanged.
    """
    if not isinstance(url, str):
        return None
    url = url.strip(" ")
    if not url or len(url) > _URL_MAX or _URL_FORBIDDEN.search(url):
        return None
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or _is_hidden(ch) for ch in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not url.lower().startswith(
        parts.scheme.lower() + "://"
    ):
        return None
    netloc = parts.netloc
    if not netloc or "@" in netloc:
        return None
    host = netloc.rsplit(":", 1)[0] if port is not None or netloc.endswith(":") else netloc
    if not host or not _HOST.match(host) or host.startswith(".") or ".." in host:
        return None
    return url


# --------------------------------------------------------------------------- Markdown

# Characters that start inline Markdown (code, emphasis, links, images via '[', autolinks and
# raw HTML via '<', entities via '&', GFM strikethrough and table cells), escaped anywhere.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>&~|])")
# Block markers, which only act at the start of a line: headings, quotes, list items,
# setext underlines, thematic breaks, indented code is prevented by the strip.
_MD_BLOCK = re.compile(r"^(#|>|[+\-=]|\d{1,9}[.)])")


def md_text(s: str) -> str:
    """`s` cleaned, on one line, with Markdown-active characters backslash-escaped.

    The result shows literally in any CommonMark/GFM view: article text cannot create links,
    images, raw HTML, entities, code spans, emphasis, tables or headings, wherever the caller
    places it on a line. Characters that are inert mid-line (such as '#' or '.') are escaped
    only at the start, so the raw Markdown stays readable in a terminal.
    """
    text = clean(s, fold_newlines=True)
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_BLOCK.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], text)


# --------------------------------------------------------------------------- models

T = TypeVar("T")


def clean_model(obj: T, *, fold_newlines: bool = False) -> T:
    """A copy of `obj` with every string in it passed through `clean`.

    Walks pydantic models (field by field; the copy is not re-validated, so cleaning cannot
    make a valid brief invalid), dicts (keys and values), lists, tuples, sets and frozensets.
    Other values (numbers, dates, None) are returned as they are.
    """
    return _walk(obj, fold_newlines)  # type: ignore[no-any-return]


def _walk(obj: Any, fold: bool) -> Any:
    if isinstance(obj, str):
        return clean(obj, fold_newlines=fold)
    if isinstance(obj, BaseModel):
        update = {name: _walk(getattr(obj, name), fold) for name in type(obj).model_fields}
        return obj.model_copy(update=update)
    if isinstance(obj, Mapping):
        return {_walk(k, fold): _walk(v, fold) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_walk(item, fold) for item in obj]
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a named tuple
        return type(obj)(*(_walk(item, fold) for item in obj))
    if isinstance(obj, (tuple, set, frozenset)):
        return type(obj)(_walk(item, fold) for item in obj)
    return obj


# --------------------------------------------------------------------------- stderr


def say(message: str) -> None:
    """Print one line on stderr, cleaned: a file name or model text in it cannot move the
    cursor, recolour the terminal, set its title or smuggle a hyperlink.
    """
    print(clean(message, fold_newlines=True), file=sys.stderr)


class CleanFormatter(logging.Formatter):
    """A logging formatter whose lines pass through `clean` (one line each)."""

    def format(self, record: logging.LogRecord) -> str:
        return clean(super().format(record), fold_newlines=True)


def log_to_stderr(prefix: str, level: int = logging.WARNING) -> None:
    """Send log records at `level` and above to stderr as cleaned lines `prefix` + message."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(CleanFormatter(prefix + "%(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
