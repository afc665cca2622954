"""One reading of the input for both pre-import hooks, instead of one reading each.

Before an import the CLI asks the adapter for its cost estimate (``estimate_cost(debts)``,
GetBill's credits) and the client for its preflight (``preflight(debts)``). Both take an
iterable and read it to the end, and reading means structuring every row: done twice, that
cost more than the import itself. `SharedPass` reads the rows once: the main consumer (the
preflight) iterates it, and each debt is also handed to the other consumer (the estimate),
which runs in a worker thread and receives the debts in chunks through a queue of two
chunks, so memory stays flat whatever the file's size. Both hooks keep their signatures,
so an adapter sees no difference. Written here because itertools.tee serves consumers in one
thread only, and holds everything one of them has not yet read.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

from debtkit.model import Debt

__all__ = ["SharedPass"]

T = TypeVar("T")
_CHUNK = 256


class SharedPass(Generic[T]):
    """Iterate it once (the main consumer); `finish()` then reads what the main consumer left
    unread, waits for `side(debts)` to have read everything, and returns its result or raises
    its error. Use as a context manager, so the worker ends even if the main consumer fails.
    """

    def __init__(self, debts: Iterable[Debt], side: Callable[[Iterator[Debt]], T]) -> None:
        self._source = iter(debts)
        self._chunks: queue.Queue[list[Debt] | None] = queue.Queue(maxsize=2)
        self._chunk: list[Debt] = []
        self._ended = False
        self._result: list[T] = []
        self._error: list[BaseException] = []
        self._worker = threading.Thread(target=self._side, args=(side,), daemon=True)
        self._worker.start()

    def _received(self) -> Iterator[Debt]:
        while (chunk := self._chunks.get()) is not None:
            yield from chunk

    def _side(self, side: Callable[[Iterator[Debt]], T]) -> None:
        debts = self._received()
        try:
            self._result.append(side(debts))
        except BaseException as exc:  # handed to the caller by finish()
            self._error.append(exc)
        for _ in debts:  # the reader must never block on a consumer that stopped early
            pass

    def __iter__(self) -> Iterator[Debt]:
        return self

    def __next__(self) -> Debt:
        if self._ended:
            raise StopIteration
        try:
            debt = next(self._source)
        except BaseException:
            self._end()
            raise
        self._chunk.append(debt)
        if len(self._chunk) >= _CHUNK:
            self._chunks.put(self._chunk)
            self._chunk = []
        return debt

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            self._chunks.put(self._chunk)
            self._chunks.put(None)

    def finish(self) -> T:
        for _ in self:
            pass
        self._worker.join()
        if self._error:
            raise self._error[0]
        return self._result[0]

    def __enter__(self) -> SharedPass[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._end()
        self._worker.join()
