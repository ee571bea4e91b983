"""`newsbrief mcp`: serve the tools over MCP (stdio)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import anyio

from ..config import Settings
from ..errors import EXIT_OK, InputError
from ..llm.factory import BACKEND_NAMES
from ..mcp_server import serve_stdio
from ..text.sanitize import log_to_stderr


def add_mcp_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mcp",
        help="serve newsbrief's tools over MCP (stdio)",
        description="Run an MCP server on stdin/stdout exposing summarize_articles, "
        "summarize_article, check_claims and brief_schema. Settings come from --config, "
        "NEWSBRIEF_* variables and ./newsbrief.toml; tool arguments override them.",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="TOML config file (default: $NEWSBRIEF_CONFIG or ./newsbrief.toml)",
    )
    p.add_argument("--backend", choices=BACKEND_NAMES, help="default backend for calls")
    p.add_argument("--replay", metavar="DIR", help="answer from recordings in DIR (replay backend)")
    p.add_argument(
        "--allow-private-urls",
        action="store_true",
        help="let URLs in tool calls reach loopback, private and link-local addresses (off by "
        "default: a chat tool may fetch public http(s) addresses only)",
    )
    p.add_argument(
        "--root",
        action="append",
        metavar="DIR",
        help="a directory whose files tool calls may name (repeatable; symlinks are followed "
        "and must stay inside). Without --root the client's declared roots are used; with "
        "neither, tools take article texts and URLs only",
    )
    p.add_argument(
        "--allow-endpoints",
        action="store_true",
        help="let tool calls choose another backend, model or base_url than the server's, "
        "and raise its --max-cost/--max-tokens (off by default: calls use the server's)",
    )
    p.set_defaults(func=cmd_mcp)


def _roots(dirs: list[str] | None) -> list[str] | None:
    """The --root directories, each checked to be one; None when none were given."""
    if not dirs:
        return None
    for name in dirs:
        if not Path(name).expanduser().is_dir():
            raise InputError(f"--root {name}: not a directory")
    return [str(Path(name).expanduser().resolve()) for name in dirs]


def cmd_mcp(args: argparse.Namespace) -> int:
    overrides = {
        "backend": args.backend,
        "replay_dir": args.replay,
        "fetch_private": True if args.allow_private_urls else None,
        "allow_paths": _roots(args.root),
        "allow_endpoints": True if args.allow_endpoints else None,
    }
    settings = Settings(
        config_file=args.config, **{k: v for k, v in overrides.items() if v is not None}
    )
    log_to_stderr("newsbrief mcp: ", logging.INFO)
    anyio.run(serve_stdio, settings)
    return EXIT_OK
