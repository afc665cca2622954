"""An asyncio event loop on virtual time: whenever every task is waiting, the clock jumps to
the next timer instead of sleeping, so an hour of rate-limited traffic runs in milliseconds
with the real asyncio machinery (locks, cancellation, `asyncio.sleep`, aiolimiter's timers)."""

from __future__ import annotations

import asyncio
import math
import selectors
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

# An epoch instant on a UTC day boundary, so fixed hourly and daily windows start with the run.
EPOCH_START = 1_700_006_400.0


class _Clock:
    def __init__(self, start: float) -> None:
        self.now = start


class _SkippingSelector(selectors.DefaultSelector):
    def __init__(self, clock: _Clock) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events = super().select(0)
        if not events and timeout is not None and timeout > 0:
            # Never get stuck on a step too small to change the clock.
            self._clock.now = max(
                self._clock.now + timeout, math.nextafter(self._clock.now, math.inf)
            )
        return events


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """`time()` starts at 0 like a monotonic clock; `epoch()` is the same instant as Unix time."""

    def __init__(self) -> None:
        self._virtual = _Clock(0.0)
        super().__init__(_SkippingSelector(self._virtual))

    def time(self) -> float:
        return self._virtual.now

    def epoch(self) -> float:
        return EPOCH_START + self._virtual.now


def run_virtual(main: Callable[[VirtualTimeLoop], Awaitable[T]]) -> T:
    """Run `main(loop)` on a fresh virtual-time loop."""
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(main(loop))  # type: ignore[arg-type]
    finally:
        loop.close()


def max_in_rolling_window(times: list[float], window: float) -> int:
    """The most timestamps a server sliding window holds at once: any interval (t - window, t]."""
    times = sorted(times)
    best, first = 0, 0
    for last, t in enumerate(times):
        while times[first] <= t - window:
            first += 1
        best = max(best, last - first + 1)
    return best


def max_in_fixed_window(times: list[float], window: float) -> int:
    counts: dict[int, int] = {}
    for t in times:
        k = int(t // window)
        counts[k] = counts.get(k, 0) + 1
    return max(counts.values(), default=0)


__all__: list[Any] = [
    "EPOCH_START",
    "VirtualTimeLoop",
    "max_in_fixed_window",
    "max_in_rolling_window",
    "run_virtual",
]
