"""The one TOML reader: settings files, pricing tables and eval thresholds all come through it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .errors import ConfigError, InputError
from .files import read_limited

MAX_TOML_BYTES = 1024 * 1024

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """The TOML document `text`; `ConfigError` '<source>: invalid TOML: ...' when it is not."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from None


def load_toml(path: str | Path, what: str) -> dict[str, Any]:
    """Read the TOML file `path` (a `what`: 'config file', 'thresholds file', ...), with one
    clear `ConfigError` line when it is missing, unreadable or not TOML.
    """
    if not Path(path).exists():
        raise ConfigError(f"{what} not found: {path}")
    try:
        text = read_limited(path, limit=MAX_TOML_BYTES).decode("utf-8")
    except InputError as exc:
        raise ConfigError(f"cannot read the {what}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc}") from None
    return parse_toml(text, str(path))
