"""Typed errors and the CLI's documented exit codes."""

from __future__ import annotations

EXIT_OK = 0  # every article summarised and the synthesis made
EXIT_FAILED = 1  # no brief could be produced (backend unavailable, every call failed)
EXIT_USAGE = 2  # bad usage or bad input: no file, no text, binary file, bad option
EXIT_PARTIAL = 3  # a brief was produced but some articles (or the synthesis) failed
EXIT_BUDGET = 4  # the run stopped at --max-cost / --max-tokens; what was done is kept
EXIT_INTERRUPTED = 130  # Ctrl-C; what was done is kept in the run directory


class NewsbriefError(Exception):
    """Base class: `str(err)` is one line fit to show a user."""

    exit_code = EXIT_FAILED


class InputError(NewsbriefError):
    """The input cannot be read as articles (missing, empty, binary, malformed)."""

    exit_code = EXIT_USAGE


class ConfigError(NewsbriefError):
    """A setting is invalid or a needed component is not installed."""

    exit_code = EXIT_USAGE


class BudgetExceeded(NewsbriefError):
    """The next call would go over --max-cost or --max-tokens.

    `partial`: set by `complete_structured` to its result so far (the requests already sent
    for the call and their tokens), so the refusal loses no count.
    """

    exit_code = EXIT_BUDGET
    partial: object | None = None


def error_path(
    loc: tuple[int | str, ...] | list[int | str], *, json_style: bool = False, prefix: str = ""
) -> str:
    """The location of a pydantic error as one path: `key_points.0.text`, or with
    `json_style` `articles[2].key_facts[1].text` (after `prefix`).
    """
    path = prefix
    for part in loc:
        if json_style and isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def validation_lines(
    exc: object,
    *,
    limit: int | None = None,
    empty: str = "(root)",
    json_style: bool = False,
    prefix: str = "",
) -> list[str]:
    """One line per error of a pydantic `ValidationError` (`path: message`), the one way
    every layer turns a validation failure into text; beyond `limit`, '... and N more'.
    Input values are never shown (they may be long or secret).
    """
    errors = exc.errors(include_url=False, include_input=False)  # type: ignore[attr-defined]
    shown = errors if limit is None else errors[:limit]
    lines = [
        f"{error_path(e['loc'], json_style=json_style, prefix=prefix) or empty}: {e['msg']}"
        for e in shown
    ]
    if limit is not None and len(errors) > limit:
        lines.append(f"... and {len(errors) - limit} more")
    return lines
