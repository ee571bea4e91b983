"""All inputs of one story into Articles: files, directories, JSONL, stdin, URLs, HTML, feeds.

`load_sources` is what `newsbrief summarize`, the API and the chat tools call. A file the
user named must hold an article (InputError, exit 2, as before). A web page, HTML file or
feed item that fails (unreachable, refused by the address policy, no article text) is
recorded as a `FailedInput` and the rest goes on; the brief is then partial (exit 3). Only
when no input at all gives an article does it raise.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

from ..errors import InputError
from ..schemas import Article, FailedInput
from .fetch import fetch
from .policy import AddressPolicy, FetchError
from .read import Record, check_names, read_records, records_to_articles
from .sources import Fetcher, RawDoc, expand_inputs

__all__ = ["Loaded", "load_sources"]


@dataclass
class Loaded:
    """The articles read (a1..aN in input order) and the inputs that gave none."""

    articles: list[Article]
    failures: list[FailedInput] = field(default_factory=list)


def _failure(name: str, err: InputError) -> FailedInput:
    kind = err.kind if isinstance(err, FetchError) else "input"
    message = str(err)
    return FailedInput(input=name, kind=kind, message=message)


def _record(doc: RawDoc, name: str) -> Record:
    meta = {
        key: value
        for key, value in (
            ("title", doc.title),
            ("outlet", doc.outlet),
            ("date", doc.date),
            ("url", doc.url),
        )
        if value
    }
    return Record(doc.text, doc.source or name, meta, list(doc.warnings))


def load_sources(
    specs: Sequence[str | os.PathLike[str]],
    *,
    policy: AddressPolicy,
    limit: int | None = None,
    stdin: IO[bytes] | IO[str] | None = None,
    fetcher: Fetcher = fetch,
    require: bool = True,
) -> Loaded:
    """Read every input; web inputs are fetched under `policy` (feeds give up to `limit` items).

    Raises InputError for a named file that cannot be read, for a bad `limit`, and (with
    `require`) when no input gives an article (the message lists why each failed).
    """
    names = check_names(specs, stdin)
    loaded = Loaded(articles=[])
    for name, outcome in expand_inputs(names, policy=policy, limit=limit, fetcher=fetcher):
        first = len(loaded.articles) + 1
        if outcome is None:
            loaded.articles += records_to_articles(read_records(name, stdin), first)
        elif isinstance(outcome, InputError):
            loaded.failures.append(_failure(name, outcome))
        else:
            try:
                loaded.articles += records_to_articles([_record(outcome, name)], first)
            except InputError as err:
                loaded.failures.append(FailedInput(input=name, kind="no_article", message=str(err)))
    if require and not loaded.articles:
        why = "; ".join(f.message for f in loaded.failures[:5])
        raise InputError(f"no readable articles{': ' + why if why else ''}")
    return loaded
