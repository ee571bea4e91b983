"""Versioned prompt files.

A prompt lives in `prompts/<id>/<version>.md` (installed as `agent/_prompts`). A file has
front matter (`key: value` lines between `---` lines, kept as `Prompt.meta`), a
`## system` and a `## user` section; `$name` placeholders are filled by
`string.Template`, so JSON braces in a prompt need no escaping. A released version is never
edited: a change is a new file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from string import Template

from ..errors import ConfigError


def prompts_dir() -> Path:
    package = Path(__file__).resolve().parent.parent  # agent/
    for candidate in (package / "_prompts", package.parent / "prompts"):
        if candidate.is_dir():
            return candidate
    raise ConfigError("prompt files not found (expected agent/_prompts or ./prompts)")


@dataclass(frozen=True)
class Prompt:
    id: str
    version: str
    system: str
    user: str
    meta: dict[str, str] = field(default_factory=dict)  # the front matter (`key: value` lines)

    @property
    def placeholders(self) -> frozenset[str]:
        """The `$name`s the prompt uses (callers may skip computing the others)."""
        found = set()
        for text in (self.system, self.user):
            for match in Template.pattern.finditer(text):
                name = match.group("named") or match.group("braced")
                if name:
                    found.add(name)
        return frozenset(found)

    def render(self, **values: object) -> list[dict[str, str]]:
        """Chat messages with the placeholders filled; values the prompt does not use are
        ignored.
        """
        subs = {k: str(v) for k, v in values.items()}
        return [
            {"role": "system", "content": Template(self.system).substitute(subs).strip()},
            {"role": "user", "content": Template(self.user).substitute(subs).strip()},
        ]


def latest_version(prompt_id: str) -> str:
    versions = sorted(
        (p.stem for p in (prompts_dir() / prompt_id).glob("v*.md")),
        key=lambda v: int(re.sub(r"\D", "", v) or 0),
    )
    if not versions:
        raise ConfigError(f"no versions of prompt {prompt_id!r}")
    return versions[-1]


@lru_cache(maxsize=32)
def load_prompt(prompt_id: str, version: str | None = None) -> Prompt:
    version = version or latest_version(prompt_id)
    path = prompts_dir() / prompt_id / f"{version}.md"
    if not path.is_file():
        raise ConfigError(f"prompt {prompt_id}/{version} not found in {path.parent}")
    text = path.read_text(encoding="utf-8")
    sections = dict(
        (m.group(1).lower(), m.group(2))
        for m in re.finditer(r"^## (system|user)\s*\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    )
    if "system" not in sections or "user" not in sections:
        raise ConfigError(f"prompt {path} needs '## system' and '## user' sections")
    front = re.match(r"\A---\s*\n(.*?)^---\s*$", text, re.S | re.M)
    meta = dict(
        (m.group(1).strip(), m.group(2).strip())
        for m in re.finditer(r"^([\w-]+):(.*)$", front.group(1) if front else "", re.M)
    )
    return Prompt(prompt_id, version, sections["system"], sections["user"], meta)
