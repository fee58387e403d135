"""Heavy work off the event loop: charts, workbooks and PDFs are made in a pool of worker
processes, so one person's 1 000-unit ranking never makes another wait for /help.

The pool starts on first use from a fork server (a clean process, not a fork of this one with
its threads), and a job that runs past its time limit is answered with an error while the pool
is replaced.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from bot.domain.errors import InvalidInput
from bot.i18n import current_kind, speaking_of

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

T = TypeVar("T")
WORKERS = 2
SECONDS = 60

_pool: ProcessPoolExecutor | None = None


def _executor() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:  # multiprocessing loads with the first job, not at start-up
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("forkserver")
        _pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=context)
    return _pool


async def offload(work: Callable[..., T], *args: Any, seconds: float = SECONDS) -> T:
    """`work(*args)` in a worker process (both must pickle); InvalidInput when it takes longer
    than `seconds`."""
    global _pool
    job = functools.partial(_speaking_of, current_kind(), work, *args)
    future = asyncio.get_running_loop().run_in_executor(_executor(), job)
    try:
        return await asyncio.wait_for(future, seconds)
    except TimeoutError:
        stuck, _pool = _pool, None  # the next job gets a fresh pool
        if stuck is not None:
            for process in list(getattr(stuck, "_processes", {}).values()):
                process.kill()
            stuck.shutdown(wait=False, cancel_futures=True)
        raise InvalidInput("work.too_slow", seconds=int(seconds)) from None


def _speaking_of(kind: str, work: Callable[..., T], *args: Any) -> T:
    """In the worker: the words of the group the job is for (the context does not travel)."""
    with speaking_of(kind):
        return work(*args)


def shutdown() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None
