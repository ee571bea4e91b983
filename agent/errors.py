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
    """The next call would go over --max-cost or --max-tokens."""

    exit_code = EXIT_BUDGET
