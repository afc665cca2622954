"""A blocking facade for scripts, notebooks and sync frameworks (Django, Flask).

`blocking(factory)` runs any debtkit client on a private event loop in a daemon thread, the way
established libraries bridge sync callers to an async core (asgiref's ``async_to_sync``,
anyio's blocking portal): every call is the async client's own call, submitted to that loop
with `asyncio.run_coroutine_threadsafe`, so there is no second implementation of anything.
Coroutines are awaited and their result returned; async iterators (``cases()``) become plain
iterators; anything else is returned as it is. It is written here rather than taken from
anyio because debtkit does not otherwise depend on anyio, and the bridge is small.

    with blocking(lambda: adapter.connect(credentials)) as client:
        case = client.create(debt)
        for case in client.cases():
            ...

One facade serves one thread at a time per call; calls from several threads are serialised
by the loop, as the async client's calls would be. Closing it closes the client, then stops
the loop and joins its thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, TypeVar

from debtkit.errors import ConfigurationError

__all__ = ["Blocking", "blocking"]

_C = TypeVar("_C")
_T = TypeVar("_T")


class Blocking(Generic[_C]):
    """The sync view of an async client; use as a context manager (or call `close()`)."""

    def __init__(self, factory: Callable[[], AbstractAsyncContextManager[_C]]) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="debtkit-blocking", daemon=True
        )
        self._thread.start()
        self._manager: AbstractAsyncContextManager[_C] | None = None
        try:
            self._manager = self._run(_build(factory))
            self.client: _C = self._run(self._manager.__aenter__())
        except BaseException:
            self._stop()
            raise

    def _run(self, awaitable: Awaitable[_T]) -> _T:
        refusal = None
        if self._loop.is_closed():
            refusal = "this blocking client is closed"
        elif threading.current_thread() is self._thread:
            refusal = "a blocking call cannot be made from its own loop thread"
        if refusal is not None:
            if asyncio.iscoroutine(awaitable):
                awaitable.close()  # never started: closing it keeps Python from warning
            raise ConfigurationError(refusal)
        return asyncio.run_coroutine_threadsafe(_awaited(awaitable), self._loop).result()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "client":  # not set yet: never recurse
            raise AttributeError(name)
        attribute = getattr(self.client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            async def invoke() -> Any:  # called on the loop, where the client lives
                return attribute(*args, **kwargs)

            result = self._run(invoke())
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                return self._run(result)
            if isinstance(result, AsyncIterator):
                return self._iterate(result)
            return result

        return call

    def _iterate(self, items: AsyncIterator[_T]) -> Iterator[_T]:
        try:
            while True:
                try:
                    yield self._run(items.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            close = getattr(items, "aclose", None)
            if close is not None and not self._loop.is_closed():
                self._run(close())

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            if self._manager is not None:
                self._run(self._manager.__aexit__(None, None, None))
        finally:
            self._stop()

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> Blocking[_C]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Blocking({self.client!r})" if hasattr(self, "client") else "Blocking(<closed>)"


async def _build(
    factory: Callable[[], AbstractAsyncContextManager[_C]],
) -> AbstractAsyncContextManager[_C]:
    return factory()  # built on the loop thread, so sessions bind to the right loop


async def _awaited(awaitable: Awaitable[_T]) -> _T:
    return await awaitable


def blocking(factory: Callable[[], AbstractAsyncContextManager[_C]]) -> Blocking[_C]:
    """Open the client `factory()` builds on a private loop thread; see the module docstring."""
    return Blocking(factory)
