"""Gold-label text checks, on top of the shared matching in `agent.text`.

Gold labels cite article text by exact substring. Sources differ from each other (and from
the cleaned `Article.text`) in typography and whitespace only, so every search is made with
`agent.text.match.find_span`, which folds both and maps offsets back to the original.
"""

from __future__ import annotations

import re

from ..text.match import find_span, fold


def contains(text: str, needle: str) -> bool:
    """True when `needle` occurs in `text` (case-insensitive, typography-tolerant)."""
    return find_span(needle, text, ignore_case=True) is not None


def contains_phrase(text: str, phrase: str) -> bool:
    """Like `contains`, but the phrase must start and end on word boundaries."""
    target = re.escape(fold(phrase).lower())
    return re.search(rf"(?<!\w){target}(?!\w)", fold(text).lower()) is not None
