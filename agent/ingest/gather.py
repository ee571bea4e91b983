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
from .read import ReadOptions, Record, Skipped, check_names, read_records, records_to_articles
from .sources import Fetcher, RawDoc, expand_inputs

__all__ = ["Loaded", "ReadOptions", "load_sources"]


@dataclass
class Loaded:
    """The articles read and the inputs that gave none.

    Ids follow input positions: every input record (a file, a file of a directory, a JSONL
    line, a URL, a feed item) takes the next number whether or not it gives an article, so
    an input that fails leaves a gap (its `FailedInput.article_id`) and the others keep the
    number they would have had. `slots` is how many numbers were taken.
    """

    articles: list[Article]
    failures: list[FailedInput] = field(default_factory=list)
    slots: int = 0


def _failure(name: str, err: InputError, index: int) -> FailedInput:
    kind = err.kind if isinstance(err, FetchError) else "input"
    return FailedInput(input=name, kind=kind, message=str(err), article_id=f"a{index}")


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
    first: int = 1,
    options: ReadOptions | None = None,
) -> Loaded:
    """Read every input; web inputs are fetched under `policy` (feeds give up to `limit` items).

    Articles are numbered by input position from a<first> (see `Loaded`). `options` bounds
    local reads to allowed directories and may skip malformed JSONL lines (`ReadOptions`).
    Raises InputError for a named file that cannot be read (or lies outside the allowed
    directories), for a bad `limit`, and (with `require`) when no input gives an article
    (the message lists why each failed).
    """
    options = options or ReadOptions()
    names = check_names(specs, stdin)
    loaded = Loaded(articles=[])
    for name, outcome in expand_inputs(
        names, policy=policy, limit=limit, fetcher=fetcher, roots=options.roots
    ):
        index = first + loaded.slots
        if outcome is None:
            records = read_records(name, stdin, options)
            skipped: list[tuple[int, Skipped]] = []
            loaded.articles += records_to_articles(records, index, skipped)
            loaded.failures += [
                FailedInput(input=s.source, kind=s.kind, message=s.message, article_id=f"a{n}")
                for n, s in skipped
            ]
            loaded.slots += len(records)
            continue
        loaded.slots += 1
        if isinstance(outcome, InputError):
            loaded.failures.append(_failure(name, outcome, index))
            continue
        try:
            loaded.articles += records_to_articles([_record(outcome, name)], index)
        except InputError as err:
            loaded.failures.append(
                FailedInput(input=name, kind="no_article", message=str(err), article_id=f"a{index}")
            )
    if require and not loaded.articles:
        why = "; ".join(f.message for f in loaded.failures[:5])
        raise InputError(f"no readable articles{': ' + why if why else ''}")
    return loaded
