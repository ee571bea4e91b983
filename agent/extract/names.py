"""Names of people and organisations: title chains, last-name keys, the people of an article."""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Generic, TypeVar

from .lexicon import ORG_WORDS, PARTICLES, PERSON_TITLES

# --------------------------------------------------------------------------- names

_TOKEN = (
    r"(?:[A-Z][a-z]{0,2}\.(?:[A-Z]\.)*|[A-Z][\w'’-]*(?:\.[A-Z][\w'’-]*)*"
    r"|(?:al|el|ad|as|ash|ibn|bin|abu)-[A-Z][\w'’-]*)"
)
NAME = rf"(?<![\w/@#.'’-]){_TOKEN}(?:[ \t]+(?:(?:{PARTICLES}|of|for)[ \t]+)?{_TOKEN})*"
_NAME_RE = re.compile(NAME)


# The word helpers below are kept per word: a long article repeats its names many times.
@functools.lru_cache(maxsize=1 << 16)
def _clean_token(token: str) -> str:
    token = re.sub(r"['’]s?$", "", token)
    return token.rstrip(".") if len(token.rstrip(".")) > 3 else token


@functools.lru_cache(maxsize=1 << 16)
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


@functools.lru_cache(maxsize=1 << 16)
def last_name_key(name: str) -> str:
    last = name.split()[-1] if name.split() else ""
    return re.sub(r"^(?:al|el|ad|as|ash)-", "", last, flags=re.I).lower()


@dataclass
class Person:
    name: str
    roles: set[str]
    mentions: list[int]
    rank: int = 0  # the order in which the article's persons were first met


V = TypeVar("V")

# Mentions walked back from an offset, looking for the person a role names, before every
# person with the role is looked at instead.
_ROLE_WALK = 64


class OffsetRuns(Generic[V]):
    """Values at text offsets, in the order they were added, kept as runs of rising offsets:
    the values added in text order in each of a few passes over an article are found near
    an offset by bisection of each run, not by a scan.
    """

    def __init__(self) -> None:
        self.offsets: list[list[int]] = []
        self.values: list[list[V]] = []

    def add(self, offset: int, value: V) -> None:
        if not self.offsets or offset < self.offsets[-1][-1]:
            self.offsets.append([])
            self.values.append([])
        self.offsets[-1].append(offset)
        self.values[-1].append(value)


class _Mentions(OffsetRuns[Person]):
    """Every mention (offset, person) of an article: names in text order, then speech
    subjects, then quote speakers.
    """

    def latest(self, before: int, wanted: set[str], steps: int) -> list[Person] | None:
        """The persons whose roles include `wanted` mentioned at the latest offset before
        `before` where any is ([] when none is); None when more than `steps` mentions would
        have to be walked back to know.
        """
        cursors = [bisect.bisect_left(offsets, before) - 1 for offsets in self.offsets]
        found: list[Person] = []
        at: int | None = None
        for _ in range(steps):
            live = [run for run, cursor in enumerate(cursors) if cursor >= 0]
            if not live:
                return found
            run = max(live, key=lambda r: self.offsets[r][cursors[r]])
            offset, person = self.offsets[run][cursors[run]], self.values[run][cursors[run]]
            if at is not None and offset < at:
                return found
            cursors[run] -= 1
            if wanted <= person.roles:
                at = offset
                found.append(person)
        return None


class People:
    """Person names of one article: titled names ('Foreign Minister Sergei Lavrov') and
    speech subjects, with their role words and mention offsets.
    """

    def __init__(self, text: str):
        self.text = text
        self.persons: dict[str, Person] = {}
        self.chains: list[tuple[int, list[str]]] = []
        self._mentions = _Mentions()
        self._with_role: dict[str, list[Person]] = {}  # role word -> persons with it
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
        self._chain_starts = [offset for offset, _ in self.chains]

    def add(self, name: str, offset: int, roles: set[str] | None = None) -> str:
        full = self.full_name(name)
        key = last_name_key(full)
        person = self.persons.get(key)
        if person is None:
            person = self.persons[key] = Person(full, set(), [], rank=len(self.persons))
        if len(full.split()) > len(person.name.split()):
            person.name = full
        for role in sorted((roles or set()) - person.roles):
            self._with_role.setdefault(role, []).append(person)
        person.roles |= roles or set()
        person.mentions.append(offset)
        self._mentions.add(offset, person)
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
        listed = min((self._with_role.get(w, []) for w in wanted), key=len)
        if not any(wanted <= p.roles for p in listed):
            return None
        latest = self._mentions.latest(before, wanted, _ROLE_WALK)
        if latest:  # of those named last, the one first met last
            return max(latest, key=lambda p: p.rank).name
        found = sorted((p for p in listed if wanted <= p.roles), key=lambda p: p.rank)
        if latest is None:  # not within the last mentions: each person's last mention
            found.sort(key=lambda p: max([m for m in p.mentions if m < before], default=-1))
        return found[-1].name  # none named before: the one first met last

    def last_mention(self, start: int, end: int) -> str | None:
        """The last person named within [start, end)."""
        low = bisect.bisect_left(self._chain_starts, start)
        high = bisect.bisect_left(self._chain_starts, end)
        for _, tokens in reversed(self.chains[low:high]):
            if tokens and self.is_person(" ".join(tokens)):
                return self.full_name(" ".join(tokens))
        return None
