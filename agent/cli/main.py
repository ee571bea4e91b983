"""The `newsbrief` command line: one module per sub-command, assembled here.

Exit codes: 0 ok; 1 no brief could be made; 2 bad usage or input; 3 partial (some article
or the synthesis failed, a brief was still produced); 4 stopped by a budget (what was done
is kept); 5 an evaluation metric fell below its threshold; 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys

from .._version import __version__
from ..errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, NewsbriefError
from ..schemas import SCHEMA_VERSION
from ..text.sanitize import log_to_stderr, say
from .check import add_check_parser
from .common import Parser
from .eval import add_eval_parser
from .mcp import add_mcp_parser
from .render import add_render_parser
from .schema import add_schema_parser
from .stories import add_parsers as add_story_parsers
from .summarize import EPILOG, add_summarize_parser
from .tools import add_tools_parser


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: summarize, render, check, schema, mcp, tools, eval, batch, cluster,
    digest.
    """
    parser = Parser(
        prog="newsbrief",
        description="Turn several news reports of one story into a grounded, structured brief.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"newsbrief {__version__} (schema {SCHEMA_VERSION})"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    add_summarize_parser(sub)
    add_render_parser(sub)
    add_check_parser(sub)
    add_schema_parser(sub)
    add_mcp_parser(sub)
    add_tools_parser(sub)
    add_eval_parser(sub)
    add_story_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    log_to_stderr("newsbrief: ")
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except NewsbriefError as exc:
        say(f"newsbrief: error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        print(
            "newsbrief: interrupted; finished articles are kept in --run-dir when one was given",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
