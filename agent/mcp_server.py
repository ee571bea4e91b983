"""newsbrief as an MCP server over stdio (`newsbrief mcp`), built on the official `mcp` SDK.

Tools (their argument models live in `agent.chat_tools`, their output schemas are the
published JSON Schemas of `StoryBrief` / `ArticleBrief` / `TextCheck`):

* `summarize_articles`: several articles of one story -> StoryBrief (structured content)
  plus a Markdown view as text;
* `summarize_article`: one article -> ArticleBrief;
* `check_claims`: a text checked sentence by sentence against articles -> TextCheck;
* `brief_schema`: the JSON Schemas of the outputs.

Runs execute in a worker thread; the pipeline's progress events are forwarded to the
client as MCP progress notifications when the client asked for them. A bad call returns
a tool error (`isError`, one line) and the server keeps serving. Backends are shared per
process (see `agent.api`), so the embedded model is loaded once.

Confinement (the caller may be a model steered by what it read): file paths in a call are
read only inside the server's `--root` directories, else inside the roots the client
declares (asked per call), else not at all (article texts and URLs only); symlinks are
followed and must stay inside. A call cannot change the backend, model, endpoint or raise
the spending caps unless the server was started with `--allow-endpoints`
(`RunArgs.settings`). A cancelled call stops its run at the next article boundary.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import anyio
import anyio.from_thread
import anyio.to_thread

from ._version import __version__
from .chat_tools import TOOLS, ToolResult, input_schema, run_tool
from .config import Settings
from .errors import ConfigError, NewsbriefError

if TYPE_CHECKING:  # the SDK is imported when the server starts, so other commands start fast
    from mcp import types
    from mcp.server import Server, ServerRequestContext

log = logging.getLogger("newsbrief.mcp")
INSTRUCTIONS = (
    "newsbrief turns several news reports of one story into a grounded brief. Call "
    "summarize_articles with article texts, URLs, or file paths inside the allowed directories; "
    "every claim in the result cites "
    "article and sentence ids. "
    "backend='none' gives a fast code-only brief. Call check_claims with your own answer and the "
    "articles to see which of its sentences the articles support, and why not."
)


# --------------------------------------------------------------------------- progress


class Cancelled(NewsbriefError):
    """Raised inside a run whose MCP call was cancelled, to stop it at the next event."""


class ProgressBridge:
    """The pipeline's on_progress callback (any thread) -> MCP progress notifications (event
    loop). Once `cancelled` is set, the next event raises `Cancelled` in the run's thread,
    which stops the run: no queued article starts and the synthesis is not sent.
    """

    def __init__(
        self,
        portal: anyio.from_thread.BlockingPortal,
        report: Callable[[float, float | None, str | None], Awaitable[None]],
    ):
        self._portal = portal
        self._report = report
        self._done = 0
        self._total: int | None = None
        self.cancelled = False

    def _step(self, event: str, info: dict[str, Any]) -> tuple[float, str] | None:
        """(progress, message) for a pipeline event; None for events not reported."""
        if event == "start":
            self._total = int(info.get("total", 0)) + 1  # the articles, then the synthesis
            self._done = int(info.get("resumed", 0))
            return self._done, f"{info.get('total', 0)} articles"
        if event == "article_done":
            self._done += 1
            return self._done, f"{info.get('article_id')} {'done' if info.get('ok') else 'failed'}"
        if event == "synthesis_start":  # MCP wants progress to increase with every notification
            return self._done + 0.5, "synthesis"
        if event == "done":
            self._done = self._total or self._done + 1
            return self._done, "done"
        return None

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        if self.cancelled:
            raise Cancelled("the call was cancelled")
        step = self._step(event, info)
        if step is None:
            return
        try:
            self._portal.call(self._report, step[0], self._total, step[1])
        except Exception:  # progress is best effort: a closed stream must not fail the run
            log.debug("progress notification not sent", exc_info=True)


def _capture(work: Callable[[], Any]) -> tuple[Any, Exception | None]:
    try:
        return work(), None
    except Exception as exc:  # re-raised by the caller, outside the portal's task group
        return None, exc


async def _run_with_progress(ctx: ServerRequestContext, work: Callable[..., Any]) -> Any:
    """Run `work(on_progress=...)` in a worker thread, forwarding progress to the client."""
    async with anyio.from_thread.BlockingPortal() as portal:
        bridge = ProgressBridge(portal, ctx.session.report_progress)
        try:
            result, error = await anyio.to_thread.run_sync(
                _capture, partial(work, on_progress=bridge), abandon_on_cancel=True
            )
        except anyio.get_cancelled_exc_class():
            bridge.cancelled = True  # the abandoned thread stops at its next event
            log.info("call cancelled by the client; its run stops at the next article")
            raise
    if error is not None:
        raise error
    return result


# --------------------------------------------------------------------------- tools


def _sdk_types() -> Any:
    try:
        from mcp import types
    except ImportError:
        raise ConfigError(
            "the MCP server needs the 'mcp' package: pip install 'newsbrief[mcp]'"
        ) from None
    return types


def _result(result: ToolResult) -> types.CallToolResult:
    t = _sdk_types()
    return t.CallToolResult(
        content=[t.TextContent(type="text", text=result.text)], structured_content=result.structured
    )


def _error(message: str) -> types.CallToolResult:
    t = _sdk_types()
    return t.CallToolResult(content=[t.TextContent(type="text", text=message)], is_error=True)


def output_schemas() -> dict[str, dict[str, Any]]:
    from .schemas import schema_document

    return {
        "summarize_articles": schema_document("story"),
        "summarize_article": schema_document("article"),
        "check_claims": _check_schema(),
        "brief_schema": {
            "type": "object",
            "description": "The JSON Schemas, keyed by model name, or one schema.",
        },
    }


def _check_schema() -> dict[str, Any]:
    from .grounding.check import TextCheck

    doc = TextCheck.model_json_schema()
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return doc


PATHS_NOTE = {
    "roots": " File paths are read only inside these directories: {roots}.",
    "client": " File paths are read only inside the roots your client declares.",
    "none": " This server reads no files: pass articles as texts ({{'text': ...}}) or URLs.",
}


def path_note(settings: Settings, client_roots: bool) -> str:
    """What a tool description says about file paths under these settings."""
    if settings.allow_paths is not None:
        if not settings.allow_paths:
            return PATHS_NOTE["none"]
        return PATHS_NOTE["roots"].format(roots=", ".join(str(p) for p in settings.allow_paths))
    return PATHS_NOTE["client" if client_roots else "none"]


def list_tools(note: str = "") -> list[types.Tool]:
    outputs = output_schemas()
    return [
        _sdk_types().Tool(
            name=s.name,
            description=s.description + (note if s.name != "brief_schema" else ""),
            input_schema=input_schema(s.args),
            output_schema=outputs[s.name],
        )
        for s in TOOLS
    ]


def _client_has_roots(ctx: ServerRequestContext) -> bool:
    caps = ctx.session.client_capabilities
    return caps is not None and getattr(caps, "roots", None) is not None


def _root_path(uri: str) -> Path | None:
    """The directory of a `file://` root URI; None for anything else."""
    parts = urlsplit(uri)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    return Path(unquote(parts.path))


async def client_roots(ctx: ServerRequestContext) -> list[Path]:
    """The directories the client declares as roots (file:// URIs only); [] when it declares
    none, has no roots capability, or does not answer.
    """
    if not _client_has_roots(ctx):
        return []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # roots are deprecated in the newest MCP revision
            result = await ctx.session.list_roots()
    except Exception:  # a client that declares roots but fails to list them gets none
        log.info("the client did not list its roots; file paths are refused")
        return []
    paths = [_root_path(str(root.uri)) for root in result.roots]
    return [p for p in paths if p is not None]


async def confined_settings(settings: Settings, ctx: ServerRequestContext) -> Settings:
    """The settings of one call: the server's roots, else the client's, else no file paths."""
    if settings.allow_paths is not None:
        return settings
    roots = await client_roots(ctx)
    return settings.model_copy(update={"allow_paths": roots})


async def call_tool(
    settings: Settings, ctx: ServerRequestContext, name: str, arguments: dict[str, Any] | None
) -> types.CallToolResult:
    """Run one call in a worker thread; every failure becomes a one-line tool error."""
    try:
        call_settings = await confined_settings(settings, ctx)
        work = partial(run_tool, name, arguments, call_settings)
        return _result(await _run_with_progress(ctx, work))
    except NewsbriefError as exc:
        return _error(str(exc))
    except Exception as exc:  # a bug must not take the server down: log it, answer in one line
        log.exception("tool %s failed", name)
        return _error(f"internal error: {type(exc).__name__}: {exc}".splitlines()[0])


def build_server(settings: Settings) -> Server:
    """The MCP server over these base settings (tool arguments override them per call)."""
    t = _sdk_types()
    from mcp.server import Server

    async def on_list_tools(ctx: ServerRequestContext, params: Any) -> types.ListToolsResult:
        return t.ListToolsResult(tools=list_tools(path_note(settings, _client_has_roots(ctx))))

    async def on_call_tool(
        ctx: ServerRequestContext, params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        return await call_tool(settings, ctx, params.name, params.arguments)

    return Server(
        "newsbrief",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
    )


async def serve_stdio(settings: Settings) -> None:
    server = build_server(settings)
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
