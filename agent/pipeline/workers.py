"""Worker threads that run jobs concurrently and stop at once on Ctrl-C."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

J = TypeVar("J")  # a job
R = TypeVar("R")  # its result


def in_threads(jobs: list[J], work: Callable[[J], R], workers: int) -> Iterator[tuple[J, R]]:
    """Yield (job, result) as they finish, `workers` at a time, in daemon threads.

    Daemon threads and a stop flag, not a ThreadPoolExecutor: on Ctrl-C the main thread
    leaves at once; calls in flight are abandoned instead of waited for, and no queued job
    starts. With one worker everything runs in the calling thread.
    """
    if workers <= 1:
        for job in jobs:
            yield job, work(job)
        return
    todo: queue.SimpleQueue[J] = queue.SimpleQueue()
    done: queue.SimpleQueue[tuple[J, R | BaseException]] = queue.SimpleQueue()
    stop = threading.Event()
    for job in jobs:
        todo.put(job)

    def worker() -> None:
        while not stop.is_set():
            try:
                job = todo.get_nowait()
            except queue.Empty:
                return
            try:
                done.put((job, work(job)))
            except BaseException as exc:  # handed to the main thread, which raises it
                done.put((job, exc))

    for n in range(min(workers, len(jobs))):
        threading.Thread(target=worker, name=f"newsbrief-article-{n + 1}", daemon=True).start()
    try:
        for _ in jobs:
            job, outcome = next_done(done)
            if isinstance(outcome, BaseException):
                raise outcome
            yield job, outcome
    finally:
        stop.set()


def next_done(done: queue.SimpleQueue) -> tuple[J, R | BaseException]:
    """The next finished job; waits in short slices so Ctrl-C is seen at once."""
    while True:
        try:
            return done.get(timeout=0.2)
        except queue.Empty:
            continue


class Beside(Generic[R]):
    """`work()` in a daemon thread beside the caller's own work (the synthesis call beside
    the article calls). `result()` waits in short slices, so Ctrl-C is seen at once, and
    raises what `work` raised; on Ctrl-C the call in flight is abandoned, not waited for.
    """

    def __init__(self, work: Callable[[], R], name: str = "newsbrief-beside") -> None:
        self._done: queue.SimpleQueue[tuple[bool, R | BaseException]] = queue.SimpleQueue()

        def run() -> None:
            try:
                self._done.put((True, work()))
            except BaseException as exc:  # handed to the thread that asks for the result
                self._done.put((False, exc))

        threading.Thread(target=run, name=name, daemon=True).start()

    def result(self) -> R:
        ok: bool
        ok, outcome = next_done(self._done)
        if not ok:
            raise outcome  # type: ignore[misc]
        return outcome  # type: ignore[return-value]
