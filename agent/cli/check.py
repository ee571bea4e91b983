"""`newsbrief check`: the claim verifier as a command.

    newsbrief check DRAFT.md --sources a.txt b.txt DIR/ [--format md|json]
    newsbrief check --pairs PAIRS.jsonl [--out OUT.jsonl]

Exit codes: 0 every sentence supported (for --pairs: every line answered); 2 bad input;
3 some sentence is not supported.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from ..errors import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, InputError
from ..files import read_limited
from ..grounding.check import check_text
from ..ingest.decode import decode_bytes, strip_markdown
from ..ingest.gather import load_sources
from ..ingest.policy import AddressPolicy
from ..render.markdown import render_check
from ..text.sanitize import clean
from .output import check_out, write_output

MAX_DRAFT_BYTES = 5 * 1024 * 1024
_LIST_MARKER = re.compile(r"^[ \t]*(?:[-*+\u2022]|\d{1,3}[.)])[ \t]+", re.MULTILINE)

EPILOG = """exit codes: 0 every sentence supported, 2 bad input, 3 some sentence not supported
(with --pairs: 0 when every line was answered, 2 when the files cannot be read or written).

examples:
  newsbrief check answer.md --sources examples/syria/
  newsbrief check - --sources a.txt b.txt --format json < draft.txt
  newsbrief check --pairs pairs.jsonl --out verdicts.jsonl
"""


def add_check_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="check a draft against the articles, sentence by sentence",
        description="Give every sentence of a draft the verifier's verdict (supported, "
        "partial, unsupported, contradicted) against the sentences of the sources, with the "
        "evidence ids and, short of supported, the reasons. With --pairs, check "
        '{"id", "claim", "document"} lines instead.',
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("draft", nargs="?", metavar="DRAFT", help="a text or Markdown file, or -")
    p.add_argument(
        "--sources",
        nargs="+",
        metavar="PATH",
        help="the articles: files, directories, .jsonl, URLs or feeds, as for summarize",
    )
    p.add_argument("--pairs", metavar="FILE", help="a JSONL file of claim/document pairs")
    p.add_argument("--out", "-o", metavar="FILE", help="write the result to FILE")
    p.add_argument("--format", choices=["md", "json"], default="md", help="md (default) or json")
    p.set_defaults(func=cmd_check)


def _read_draft(name: str) -> str:
    try:
        if name == "-":
            data = sys.stdin.buffer.read(MAX_DRAFT_BYTES + 1)
        else:
            data = read_limited(name, limit=MAX_DRAFT_BYTES + 1)
    except OSError as err:
        raise InputError(f"{name}: cannot read ({err.strerror or err})") from None
    if len(data) > MAX_DRAFT_BYTES:
        raise InputError(f"{name}: the draft is larger than {MAX_DRAFT_BYTES // 2**20} MB")
    if not data.strip():
        raise InputError(f"{name}: the draft is empty")
    text, _warnings = decode_bytes(data, name)
    # Markdown and plain drafts alike: list markers are layout, not words of a claim;
    # a heading stays (a headline is a claim too).
    text = strip_markdown(text) if name.lower().endswith((".md", ".markdown")) else text
    return _LIST_MARKER.sub("", text)


def cmd_check(args: argparse.Namespace) -> int:
    if args.pairs:
        if args.draft or args.sources:
            raise InputError("--pairs takes no DRAFT or --sources")
        from ..grounding.pairs import run_pairs

        check_out(args.out)
        code = run_pairs(args.pairs, args.out)
        return EXIT_OK if code == 0 else EXIT_USAGE
    if not args.draft or not args.sources:
        raise InputError("give a DRAFT and --sources (or --pairs FILE)")
    check_out(args.out)
    draft = _read_draft(args.draft)
    loaded = load_sources(args.sources, policy=AddressPolicy.for_cli())
    for failure in loaded.failures:
        print(f"newsbrief: skipped {clean(failure.message, fold_newlines=True)}", file=sys.stderr)
    result = check_text(draft, loaded.articles)
    if not result.sentences:
        raise InputError(f"{args.draft}: the draft has no sentences to check")
    if args.format == "json":
        text = json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2)
    else:
        text = render_check(result)
    write_output(text, args.out)
    return EXIT_OK if result.all_supported else EXIT_PARTIAL
