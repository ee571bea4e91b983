"""Names of people and organisations: title chains, last-name keys, the people of an article."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import ORG_WORDS, PARTICLES, PERSON_TITLES

# --------------------------------------------------------------------------- names

_TOKEN = (
    r"(?:[A-Z][a-z]{0,2}\.(?:[A-Z]\.)*|[A-Z][\w'’-]*(?:\.[A-Z][\w'’-]*)*"
    r"|(?:al|el|ad|as|ash|ibn|bin|abu)-[A-Z][\w'’-]*)"
)
NAME = rf"(?<![\w/@#.'’-]){_TOKEN}(?:[ \t]+(?:(?:{PARTICLES}|of|for)[ \t]+)?{_TOKEN})*"
_NAME_RE = re.compile(NAME)


def _clean_token(token: str) -> str:
    token = re.sub(r"['’]s?$", "", token)
    return token.rstrip(".") if len(token.rstrip(".")) > 3 else token


def _is_title(token: str) -> bool:
    return _clean_token(token).lower().rstrip(".") in PERSON_TITLES


def split_title(chain: str) -> tuple[list[str], list[str]]:
    """A chain of words split into its title words and the name.

    'US Secretary of State John Kerry' -> (['US', 'Secretary', 'of', 'State'], ['John', 'Kerry']).
    """
    tokens = [_clean_token(t) for t in chain.split()]
    last = max((i for i, t in enumerate(tokens) if _is_title(t)), default=-1)
    cut = last + 1
    if cut and cut + 1 < len(tokens) and tokens[cut] in ("of", "for"):
        cut += 2  # the complement of a title: 'Secretary of State', 'Envoy for Syria'
    name = tokens[cut:]
    for index, token in enumerate(name):
        if token in ("of", "for"):  # 'Ruediger Kuehr of United Nations University'
            return tokens[:cut], name[:index]
    return tokens[:cut], name


def last_name_key(name: str) -> str:
    last = name.split()[-1] if name.split() else ""
    return re.sub(r"^(?:al|el|ad|as|ash)-", "", last, flags=re.I).lower()


@dataclass
class Person:
    name: str
    roles: set[str]
    mentions: list[int]


class People:
    """Person names of one article: titled names ('Foreign Minister Sergei Lavrov') and
    speech subjects, with their role words and mention offsets.
    """

    def __init__(self, text: str):
        self.text = text
        self.persons: dict[str, Person] = {}
        self.chains: list[tuple[int, list[str]]] = []
        # The first person-like chain (2-4 words, no organisation word) of each length, by
        # last-name key: looking a name up does not scan the whole article again.
        self._by_key: dict[str, dict[int, list[str]]] = {}
        for match in _NAME_RE.finditer(text):
            title, name = split_title(match.group(0))
            self.chains.append((match.start(), name))
            if 1 < len(name) <= 4 and not any(t.lower() in ORG_WORDS or t.isupper() for t in name):
                self._by_key.setdefault(last_name_key(" ".join(name)), {}).setdefault(
                    len(name), name
                )
            if name and title and any(_is_title(t) for t in title):
                self.add(" ".join(name), match.start(), {t.lower().strip(".") for t in title})

    def add(self, name: str, offset: int, roles: set[str] | None = None) -> str:
        full = self.full_name(name)
        person = self.persons.setdefault(last_name_key(full), Person(full, set(), []))
        if len(full.split()) > len(person.name.split()):
            person.name = full
        person.roles |= roles or set()
        person.mentions.append(offset)
        return person.name

    def full_name(self, name: str) -> str:
        """The longest name in the article that ends with `name`'s last word (the first one
        of that length).
        """
        firsts = self._by_key.get(last_name_key(name), {})
        longest = max(firsts, default=0)
        return " ".join(firsts[longest]) if longest > len(name.split()) else name

    def is_person(self, name: str) -> bool:
        if last_name_key(name) in self.persons:
            return True
        tokens = self.full_name(name).split()
        return len(tokens) >= 2 and not any(t.lower().strip(".") in ORG_WORDS for t in tokens)

    def by_role(self, phrase: str, before: int) -> str | None:
        """The person whose title words include every word of `phrase`.

        Of several, the one named last before `before`.
        """
        ignored = ("the", "a", "an", "senior", "top", "former")
        wanted = {w for w in re.findall(r"[\w.]+", phrase.lower()) if w not in ignored}
        if not wanted & PERSON_TITLES:
            return None
        found = [p for p in self.persons.values() if wanted <= p.roles]
        found.sort(key=lambda p: max([m for m in p.mentions if m < before], default=-1))
        return found[-1].name if found else None

    def last_mention(self, start: int, end: int) -> str | None:
        """The last person named within [start, end)."""
        hits = [
            (off, " ".join(tokens)) for off, tokens in self.chains if start <= off < end and tokens
        ]
        hits = [(off, name) for off, name in hits if self.is_person(name)]
        return self.full_name(hits[-1][1]) if hits else None
