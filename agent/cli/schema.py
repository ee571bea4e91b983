"""`newsbrief schema`: the JSON Schema of the output."""

from __future__ import annotations

import argparse
import json

from ..errors import EXIT_OK
from ..schemas import schema_document


def add_schema_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of the output",
        description="Print the JSON Schema of StoryBrief (default), ArticleBrief, or both.",
    )
    p.add_argument("--model", choices=["story", "article", "all"], default="story")
    p.set_defaults(func=cmd_schema)


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(schema_document(args.model), indent=2))
    return EXIT_OK
