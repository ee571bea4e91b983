"""`newsbrief tools`: tool definitions for chat applications."""

from __future__ import annotations

import argparse
import json

from ..chat_tools import anthropic_tools, openai_tools
from ..errors import EXIT_OK


def add_tools_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tools",
        help="print tool definitions for chat applications",
        description="Print newsbrief's tools as function definitions a chat application can "
        "register (OpenAI chat completions or Anthropic Messages format).",
    )
    p.add_argument(
        "--format",
        choices=["openai", "anthropic"],
        default="openai",
        help="openai (default): [{type: function, function: {...}}]; "
        "anthropic: [{name, input_schema}]",
    )
    p.set_defaults(func=cmd_tools)


def cmd_tools(args: argparse.Namespace) -> int:
    doc = openai_tools() if args.format == "openai" else anthropic_tools()
    print(json.dumps(doc, indent=2))
    return EXIT_OK
