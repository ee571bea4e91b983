"""The on-disk response cache: hits, misses, what is never kept, eviction, threads, damage."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from agent.llm.base import (
    BackendError,
    Completion,
    ModeRejected,
    Request,
    StructuredMode,
    TransportError,
)
from agent.llm.cache import CACHE_FILE, CachedBackend, endpoint_of

ROOT = Path(__file__).resolve().parents[1]


class CountingBackend:
    """A real in-process backend: answers from a function of the request, counts calls."""

    name = "counting"
    concurrency_safe = True
    context_tokens = 4096
    priced = False

    def __init__(
        self,
        model: str = "m1",
        reply: Callable[[Request], Completion] | None = None,
        base_url: str = "http://127.0.0.1:9/v1",
    ):
        self.model = model
        self.base_url = base_url
        self.modes: tuple[StructuredMode, ...] = ("json_object", "prompted")
        self.calls = 0
        self._lock = threading.Lock()
        self._reply = reply or self._echo

    @staticmethod
    def _echo(request: Request) -> Completion:
        last = request.messages[-1]["content"]
        return Completion(
            text=f'{{"echo": "{last}"}}',
            prompt_tokens=len(last),
            completion_tokens=3,
            finish_reason="stop",
        )

    def complete(self, request: Request) -> Completion:
        with self._lock:
            self.calls += 1
        return self._reply(request)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def req(text: str = "hello", **kw: object) -> Request:
    return Request(
        messages=[{"role": "system", "content": "sys"}, {"role": "user", "content": text}], **kw
    )  # type: ignore[arg-type]


def test_second_identical_request_is_served_from_cache(tmp_path: Path) -> None:
    inner = CountingBackend()
    cached = CachedBackend(inner, tmp_path, prompt_version="article/1")
    first = cached.complete(req())
    second = cached.complete(req())
    assert inner.calls == 1
    assert (cached.hits, cached.misses, cached.stored) == (1, 1, 1)
    assert not first.cache_hit and second.cache_hit
    assert second.text == first.text == '{"echo": "hello"}'
    assert (second.prompt_tokens, second.completion_tokens, second.finish_reason) == (5, 3, "stop")
    # A new run (new wrapper, same directory) makes zero calls.
    again_inner = CountingBackend()
    again = CachedBackend(again_inner, tmp_path, prompt_version="article/1")
    assert again.complete(req()).text == first.text
    assert again_inner.calls == 0 and again.hits == 1 and again.misses == 0
    # The file is an inspectable log of the call.
    cached.close()
    again.close()
    with sqlite3.connect(tmp_path / CACHE_FILE) as conn:
        rows = conn.execute(
            "select model, prompt_version, mode, hits, reply, request from responses"
        ).fetchall()
    assert len(rows) == 1
    model, version, mode, hits, reply, request_json = rows[0]
    assert (model, version, mode, hits, reply) == ("m1", "article/1", "prompted", 2, first.text)
    assert '"hello"' in request_json


@pytest.mark.parametrize(
    "change",
    [
        "model",
        "prompt_version",
        "endpoint",
        "message",
        "temperature",
        "max_tokens",
        "mode",
        "schema",
        "seed",
    ],
)
def test_anything_that_changes_the_reply_misses(tmp_path: Path, change: str) -> None:
    inner = CountingBackend()
    CachedBackend(inner, tmp_path, prompt_version="p1").complete(req())
    assert inner.calls == 1
    version, request = "p1", req()
    other = CountingBackend()
    if change == "model":
        other.model = "m2"
    elif change == "endpoint":
        other.base_url = "http://127.0.0.1:10/v1"
    elif change == "prompt_version":
        version = "p2"
    elif change == "message":
        request = req("hello!")
    elif change == "temperature":
        request = req(temperature=0.7)
    elif change == "max_tokens":
        request = req(max_tokens=99)
    elif change == "mode":
        request = req(mode="json_object")
    elif change == "schema":
        request = req(schema={"type": "object"})
    elif change == "seed":
        request = req(seed=7)
    cached = CachedBackend(other, tmp_path, prompt_version=version)
    completion = cached.complete(request)
    assert other.calls == 1 and cached.misses == 1 and cached.hits == 0
    assert not completion.cache_hit


def test_endpoint_comes_from_the_backend() -> None:
    assert endpoint_of(CountingBackend(base_url="http://h:1/v1")) == "counting:http://h:1/v1"

    class Wrapper:
        name = "wrap"

        def __init__(self, inner: object) -> None:
            self.inner = inner

    assert endpoint_of(Wrapper(CountingBackend(base_url="http://x/v1"))) == "counting:http://x/v1"


class Flaky:
    """Replies in turn from a list: a Completion, or an exception to raise."""

    def __init__(self, *outcomes: Completion | Exception) -> None:
        self.outcomes = list(outcomes)

    def __call__(self, request: Request) -> Completion:
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


GOOD = Completion(text='{"ok": true}', finish_reason="stop")


@pytest.mark.parametrize(
    "bad",
    [
        BackendError("endpoint down"),
        TransportError("gave up after 3 attempts", attempts=3),
        Completion(text="", finish_reason="stop", refusal="I can't help with that"),
        Completion(text="I cannot do that", finish_reason="stop", refusal="policy"),
        Completion(text="   ", finish_reason="stop"),
        Completion(text='{"ok": tr', finish_reason="length"),
        Completion(text="", finish_reason="content_filter"),
    ],
    ids=["error", "transport", "refusal", "refusal-with-text", "empty", "cut", "filtered"],
)
def test_errors_refusals_empty_and_cut_replies_are_never_cached(
    tmp_path: Path, bad: Completion | Exception
) -> None:
    inner = CountingBackend(reply=Flaky(bad, GOOD, GOOD))
    cached = CachedBackend(inner, tmp_path)
    if isinstance(bad, Exception):
        with pytest.raises(BackendError):
            cached.complete(req())
    else:
        assert cached.complete(req()).text == bad.text
        assert cached.skipped == 1
    assert cached.complete(req()).text == GOOD.text  # asked again, not served the bad one
    assert inner.calls == 2 and cached.stored == 1
    assert cached.complete(req()).cache_hit and inner.calls == 2


def test_a_refused_structured_mode_is_remembered(tmp_path: Path) -> None:
    """So a re-run falls back the way the first run did, without asking the endpoint."""

    def reply(request: Request) -> Completion:
        if request.mode == "json_schema":
            raise ModeRejected(
                "endpoint rejected structured mode json_schema: HTTP 400 at http://h/v1"
            )
        return GOOD

    inner = CountingBackend(reply=reply)
    cached = CachedBackend(inner, tmp_path)
    with pytest.raises(ModeRejected):
        cached.complete(req(mode="json_schema"))
    assert cached.complete(req(mode="prompted")).text == GOOD.text
    assert inner.calls == 2
    rerun = CachedBackend(CountingBackend(reply=reply), tmp_path)
    with pytest.raises(ModeRejected, match=r"json_schema \(cached\)"):
        rerun.complete(req(mode="json_schema"))
    assert rerun.complete(req(mode="prompted")).cache_hit
    assert rerun.inner.calls == 0 and rerun.hits == 2  # type: ignore[attr-defined]
    off = CachedBackend(CountingBackend(reply=reply), tmp_path / "off", cache_rejections=False)
    for _ in range(2):
        with pytest.raises(ModeRejected):
            off.complete(req(mode="json_schema"))
    assert off.inner.calls == 2  # type: ignore[attr-defined]


def test_size_limit_evicts_least_recently_used(tmp_path: Path) -> None:
    big = "x" * 3000

    def reply(request: Request) -> Completion:
        return Completion(text=big + request.messages[-1]["content"], finish_reason="stop")

    inner = CountingBackend(reply=reply)
    cached = CachedBackend(inner, tmp_path, max_mb=10_000 / 2**20)  # about 10 kB: three rows
    for name in ("a", "b", "c"):
        cached.complete(req(name))
    assert cached.evicted == 0
    assert cached.complete(req("a")).cache_hit  # 'a' is now the most recently used
    cached.complete(req("d"))  # over the limit: 'b' (least recently used) goes
    assert cached.evicted == 1
    assert cached.size_bytes() <= 10_000
    calls = inner.calls
    assert cached.complete(req("a")).cache_hit
    assert cached.complete(req("c")).cache_hit
    assert cached.complete(req("d")).cache_hit
    assert inner.calls == calls
    assert not cached.complete(req("b")).cache_hit
    assert inner.calls == calls + 1


def _sizes(path: Path) -> tuple[int, int]:
    """(the running total the cache keeps, the sum of its rows' sizes)."""
    with sqlite3.connect(path / CACHE_FILE) as conn:
        kept = conn.execute("select bytes from cache_size").fetchone()[0]
        return kept, conn.execute("select coalesce(sum(size), 0) from responses").fetchone()[0]


def test_the_running_total_follows_writes_rewrites_and_evictions(tmp_path: Path) -> None:
    replies = iter(["x" * 2000, "y" * 3000, "z" * 1000] * 10)

    def reply(request: Request) -> Completion:
        return Completion(text=next(replies), finish_reason="stop")

    cached = CachedBackend(CountingBackend(reply=reply), tmp_path, max_mb=9000 / 2**20)
    for name in ("a", "b", "c", "d", "e"):
        cached.complete(req(name))
        kept, summed = _sizes(tmp_path)
        assert kept == summed and 0 < kept <= 9000
    assert cached.evicted >= 1
    with sqlite3.connect(tmp_path / CACHE_FILE) as conn:  # a row written again, another size
        conn.execute(
            "update responses set size = size + 7 where rowid = (select min(rowid) from responses)"
        )
    kept, summed = _sizes(tmp_path)
    assert kept == summed


def test_a_cache_of_the_first_layout_gets_its_total(tmp_path: Path) -> None:
    cached = CachedBackend(CountingBackend(), tmp_path)
    for name in ("a", "b"):
        cached.complete(req(name))
    cached.close()
    with sqlite3.connect(tmp_path / CACHE_FILE) as conn:  # as layout 1 left it
        conn.executescript(
            "drop trigger responses_added; drop trigger responses_removed;"
            " drop trigger responses_resized; drop table cache_size; pragma user_version = 1;"
        )
    again = CachedBackend(CountingBackend(), tmp_path)
    again.complete(req("c"))
    kept, summed = _sizes(tmp_path)
    assert kept == summed and again.stored == 1


def test_reply_larger_than_the_limit_is_not_stored(tmp_path: Path) -> None:
    inner = CountingBackend(reply=lambda r: Completion(text="y" * 5000, finish_reason="stop"))
    cached = CachedBackend(inner, tmp_path, max_mb=1000 / 2**20)
    cached.complete(req())
    cached.complete(req())
    assert inner.calls == 2 and cached.stored == 0 and cached.skipped == 2


def test_threads_share_one_cache(tmp_path: Path) -> None:
    inner = CountingBackend()
    cached = CachedBackend(inner, tmp_path)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(20):
                own = cached.complete(req(f"w{worker}-{i}"))
                assert own.text == f'{{"echo": "w{worker}-{i}"}}'
                shared = cached.complete(req(f"shared-{i % 5}"))
                assert shared.text == f'{{"echo": "shared-{i % 5}"}}'
        except BaseException as err:  # noqa: BLE001 - reported to the main thread
            errors.append(err)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert cached.disabled is None
    assert cached.hits + cached.misses == 6 * 40
    assert cached.misses == inner.calls
    # Own requests all missed once (120); the 5 shared ones each missed at least once.
    assert 125 <= inner.calls < 6 * 40
    assert cached.stored == inner.calls
    assert cached.size_bytes() > 0


_WRITER = """
import sys
from agent.llm.base import Completion, Request
from agent.llm.cache import CachedBackend

class Inner:
    name = "proc"; model = "m"; modes = ("prompted",); context_tokens = 100
    concurrency_safe = True; priced = False; base_url = "http://127.0.0.1:9"
    def complete(self, request):
        return Completion(text="reply " + request.messages[0]["content"], finish_reason="stop")
    def count_tokens(self, text):
        return 1

cached = CachedBackend(Inner(), sys.argv[1])
for i in range(40):
    cached.complete(Request(messages=[{"role": "user", "content": f"{sys.argv[2]}-{i}"}]))
assert cached.disabled is None, cached.disabled
print(cached.stored)
"""


def test_two_processes_write_the_same_file(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(tmp_path), tag],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("p", "q")
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert [o[0].strip() for o in outs] == ["40", "40"]
    with sqlite3.connect(tmp_path / CACHE_FILE) as conn:
        assert conn.execute("select count(*) from responses").fetchone()[0] == 80


def test_garbage_cache_file_warns_and_runs_without_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / CACHE_FILE).write_bytes(b"this is not a database at all\n" * 200)
    inner = CountingBackend()
    cached = CachedBackend(inner, tmp_path)
    with caplog.at_level(logging.WARNING, logger="newsbrief.cache"):
        assert cached.complete(req()).text == '{"echo": "hello"}'
        assert cached.complete(req()).text == '{"echo": "hello"}'
    assert inner.calls == 2 and cached.hits == 0
    assert cached.disabled and "not a usable cache" in cached.disabled
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "response cache off" in warnings[0].getMessage()


def test_damaged_pages_inside_a_real_cache_degrade(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inner = CountingBackend(reply=lambda r: Completion(text="z" * 2000, finish_reason="stop"))
    writer = CachedBackend(inner, tmp_path)
    for i in range(30):
        writer.complete(req(f"n{i}"))
    writer.close()  # checkpoints the WAL into the main file
    path = tmp_path / CACHE_FILE
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 6 * page
    for start in range(page, len(data), page):  # every page after the header page
        data[start : start + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))
    reader_inner = CountingBackend(reply=lambda r: Completion(text="fresh", finish_reason="stop"))
    reader = CachedBackend(reader_inner, tmp_path)
    with caplog.at_level(logging.WARNING, logger="newsbrief.cache"):
        assert reader.complete(req("n3")).text == "fresh"
        assert reader.complete(req("n4")).text == "fresh"
    assert reader.disabled is not None
    assert reader_inner.calls == 2
    assert any("response cache off" in r.getMessage() for r in caplog.records)


def test_unwritable_cache_dir_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    inner = CountingBackend()
    cached = CachedBackend(inner, blocker / "sub")
    with caplog.at_level(logging.WARNING, logger="newsbrief.cache"):
        assert cached.complete(req()).text == '{"echo": "hello"}'
    assert cached.disabled and "cannot open" in cached.disabled
    assert cached.stats()["disabled"] == cached.disabled


def test_wrapper_speaks_the_backend_protocol(tmp_path: Path) -> None:
    from agent.llm.base import Backend

    inner = CountingBackend()
    cached = CachedBackend(inner, tmp_path)
    assert isinstance(cached, Backend)
    assert (cached.name, cached.model, cached.context_tokens, cached.concurrency_safe) == (
        "counting",
        "m1",
        4096,
        True,
    )
    cached.model = "m9"
    assert inner.model == "m9"
    assert cached.count_tokens("a b c") == 3


def test_default_directory_is_the_user_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cached = CachedBackend(CountingBackend())
    assert cached.path == tmp_path / "xdg" / "newsbrief" / CACHE_FILE
    cached.complete(req())
    assert cached.path.is_file() and cached.stored == 1
