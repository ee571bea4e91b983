"""The `newsbrief` command line.

Exit codes: 0 ok; 1 no brief could be made; 2 bad usage or input; 3 partial (some article
or the synthesis failed, a brief was still produced); 4 stopped by a budget (what was done
is kept); 5 an evaluation metric fell below its threshold; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

from pydantic import BaseModel

from . import __version__
from .errors import (
    EXIT_BUDGET,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    InputError,
    NewsbriefError,
)
from .schemas import SCHEMA_VERSION, ArticleBrief, StoryBrief

EPILOG = """exit codes: 0 ok, 1 no brief, 2 bad usage or input, 3 partial (some articles failed;
a brief was still written), 4 stopped by --max-cost/--max-tokens, 5 eval below threshold,
130 interrupted.

examples:
  newsbrief summarize examples/syria/ --format md
  newsbrief summarize a.txt b.txt --backend openai --base-url http://127.0.0.1:8080/v1 --out brief.json
  cat articles.jsonl | newsbrief summarize -
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, documented exit code
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"newsbrief: error: {message}\n")


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model")
    group.add_argument("--backend", choices=["local", "openai", "replay", "none"],
                       help="local: embedded SmolLM2-135M (default when no endpoint is set); openai: any "
                            "OpenAI-compatible endpoint; replay: recorded responses; none: no model, code only")
    group.add_argument("--model", help="model name for the openai backend (default: the server's first model)")
    group.add_argument("--base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 "
                                          "(default: $OPENAI_BASE_URL); the key comes from $OPENAI_API_KEY")
    group.add_argument("--timeout", type=float, help="seconds per HTTP request (default 120)")
    group.add_argument("--record", metavar="DIR", help="record every model response into DIR (for replay)")
    group.add_argument("--replay", metavar="DIR", help="answer from recordings in DIR (implies --backend replay)")


def _summarize_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("summarize", help="summarise articles of one story into a brief",
                       description="Summarise several reports of one story into a grounded, structured brief.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help=".txt/.md files, a directory of them, a .jsonl file (one article per line with 'text' and "
                        "optional 'title', 'outlet', 'date', 'url'), or - for stdin")
    add_backend_options(p)
    out = p.add_argument_group("output")
    out.add_argument("--out", "-o", metavar="FILE", help="write the brief to FILE instead of stdout")
    out.add_argument("--format", choices=["json", "md"], default="json", help="json (default) or md (Markdown)")
    out.add_argument("--quiet", "-q", action="store_true", help="no progress display or summary line on stderr")
    run = p.add_argument_group("run")
    run.add_argument("--concurrency", type=int, help="parallel model calls (default 4; the local model runs one at a time)")
    run.add_argument("--max-reasks", type=int, help="re-asks after an invalid reply (default 2)")
    run.add_argument("--max-cost", type=float, help="stop before a call that could take the run over this many USD")
    run.add_argument("--max-tokens", type=int, help="stop before a call that could take the run over this many tokens")
    run.add_argument("--pricing", metavar="FILE", help="JSON or TOML pricing table overriding the built-in one")
    run.add_argument("--run-dir", metavar="DIR", help="save each finished article in DIR; rerun the same command to resume")
    run.add_argument("--config", metavar="FILE", help="TOML settings file (default: $NEWSBRIEF_CONFIG or ./newsbrief.toml "
                                                      "if present); options and NEWSBRIEF_* variables override it")
    p.set_defaults(func=cmd_summarize)


def _schema_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of the output",
                       description="Print the JSON Schema of StoryBrief (default), ArticleBrief, or both.")
    p.add_argument("--model", choices=["story", "article", "all"], default="story")
    p.set_defaults(func=cmd_schema)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="newsbrief", description="Turn several news reports of one story into a grounded, structured brief.",
                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"newsbrief {__version__} (schema {SCHEMA_VERSION})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _summarize_parser(sub)
    _schema_parser(sub)
    from .mcp_server import add_mcp_parser
    from .tools import add_tools_parser

    add_mcp_parser(sub)
    add_tools_parser(sub)
    from .evaluate.cli import add_eval_parser

    add_eval_parser(sub)
    return parser


def schema_document(which: str = "story") -> dict:
    def one(model: type[BaseModel]) -> dict:
        doc = model.model_json_schema()
        doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        doc["x-newsbrief-schema-version"] = SCHEMA_VERSION
        return doc

    if which == "story":
        return one(StoryBrief)
    if which == "article":
        return one(ArticleBrief)
    return {"schema_version": SCHEMA_VERSION, "StoryBrief": one(StoryBrief), "ArticleBrief": one(ArticleBrief)}


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(schema_document(args.model), indent=2))
    return EXIT_OK


def cmd_summarize(args: argparse.Namespace) -> int:
    from .runner import run_summarize

    if args.out and not Path(args.out).resolve().parent.is_dir():
        raise InputError(f"--out {args.out}: the directory {Path(args.out).parent} does not exist")
    brief = run_summarize(args)
    text = brief.model_dump_json(indent=2) if args.format == "json" else _markdown(brief)
    if args.out:
        try:
            Path(args.out).write_text(text + ("\n" if not text.endswith("\n") else ""), encoding="utf-8")
        except OSError as err:
            raise NewsbriefError(f"cannot write --out {args.out}: {err.strerror or err}") from None
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    from .pipeline import brief_status

    status = brief_status(brief)
    return {"ok": EXIT_OK, "partial": EXIT_PARTIAL, "budget": EXIT_BUDGET}[status]


def _markdown(brief: StoryBrief) -> str:
    from .render.markdown import render_markdown

    return render_markdown(brief)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except NewsbriefError as exc:
        print(f"newsbrief: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("newsbrief: interrupted; finished articles are kept in --run-dir when one was given", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
