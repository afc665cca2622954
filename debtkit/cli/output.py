"""What the CLI shows: a live progress line or bar, result files, and the final summary."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from math import ceil, inf
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import attrs

from debtkit.budget import Budget
from debtkit.bulk import BulkResult, Outcome, Progress
from debtkit.conversion import unstructure

__all__ = ["ProgressDisplay", "ResultsFile", "Summary", "budget_of"]


def budget_of(client: object) -> Budget | None:
    """The client's rate budget, if it runs on one: ``client.transport.gate``, unwrapped from
    an adapter's wrapping gate (GetBill's ``RateObservingGate.inner``)."""
    gate = getattr(getattr(client, "transport", None), "gate", None)
    for _ in range(3):
        if isinstance(gate, Budget):
            return gate
        gate = getattr(gate, "inner", None)
    return None


class ProgressDisplay:
    """A rich progress bar when `debtkit[cli]` is installed and stderr is a terminal;
    otherwise a plain line at most every few seconds. Both show created, failed, invalid and
    in-flight counts and, with a `budget`, what it waits for and an ETA it allows.

    The ETA assumes every remaining debt costs one write request (`per_request` debts per
    request for batch clients) at the tightest write limit's full rate: a floor, since the
    provider may answer slower."""

    def __init__(
        self,
        label: str,
        total: int | None,
        stream: IO[str] | None = None,
        *,
        budget: Budget | None = None,
        per_request: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        self.budget = budget
        self.per_request = max(per_request, 1)
        self.clock = clock
        self.invalid = 0
        self.progress = Progress(0, 0, 0, 0)
        self.budget_wait: tuple[str, float] | None = None  # (limit name, seconds)
        self._last = -inf
        self._bar: Any = None
        self._task: Any = None
        self._watcher: asyncio.Task[None] | None = None
        if self.stream.isatty():
            try:
                from rich.progress import BarColumn, TaskProgressColumn, TextColumn
                from rich.progress import Progress as RichProgress
            except ImportError:
                pass
            else:
                self._bar = RichProgress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    TaskProgressColumn(),
                    TextColumn("{task.fields[status]}"),
                    transient=False,
                    console=_console(self.stream),
                )
                self._task = self._bar.add_task(label, total=total, status="")

    def __enter__(self) -> ProgressDisplay:
        if self._bar is not None:
            self._bar.start()
        if self.budget is not None:
            with suppress(RuntimeError):  # no running loop: no budget watching
                self._watcher = asyncio.get_running_loop().create_task(self._watch())
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
        if self._bar is not None:
            self._bar.stop()

    def count(self, result: BulkResult) -> None:
        """Tell one settled result (to count the invalid ones apart)."""
        self.invalid += result.outcome is Outcome.INVALID

    def update(self, progress: Progress) -> None:
        self.progress = progress
        self._show()

    async def refresh_budget(self) -> None:
        """Read the budget's state now (the watcher does it every second)."""
        if self.budget is None:
            return
        stats = await self.budget.stats()
        waiting = [usage for usage in stats.limits if usage.wait > 0.05]
        worst = max(waiting, key=lambda usage: usage.wait, default=None)
        self.budget_wait = None if worst is None else (worst.name, worst.wait)

    def status(self) -> str:
        """What the display shows after the counts, e.g. ``3/10 done, 2 created, ...``."""
        progress = self.progress
        failed = progress.failed - self.invalid
        total = f"/{self.total}" if self.total is not None else ""
        parts = [
            f"{progress.done}{total} done",
            f"{progress.created} created",
            f"{failed} failed",
            f"{self.invalid} invalid",
            f"{progress.queued} in flight",
        ]
        if self.budget_wait is not None:
            name, wait = self.budget_wait
            parts.append(f"waiting for the {name} budget: {_duration(wait)}")
        eta = self.eta()
        if eta is not None:
            parts.append(f"ETA {_duration(eta)}")
        return ", ".join(parts)

    def eta(self) -> float | None:
        """Seconds the budget needs for what is left, or None without a budget or total."""
        if self.budget is None or self.total is None:
            return None
        rates = [
            rule.limit / rule.window
            for rule in self.budget.limits
            if "write" in rule.request_classes and rule.window > 0
        ]
        if not rates:
            return None
        left = max(self.total - self.progress.done, 0)
        requests = ceil(left / self.per_request)
        wait = self.budget_wait[1] if self.budget_wait is not None else 0.0
        return requests / min(rates) + wait if requests else 0.0

    def _show(self, force: bool = False) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=self.progress.done, status=self.status())
            return
        now = self.clock()
        finished = self.total is not None and self.progress.done >= self.total
        if now - self._last < 2.0 and not finished and not force:
            return
        self._last = now
        print(f"{self.label}: {self.status()}", file=self.stream, flush=True)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            was_waiting = self.budget_wait is not None
            await self.refresh_budget()
            if self.budget_wait is not None or was_waiting:
                self._show()


def _duration(seconds: float) -> str:
    if seconds == inf:
        return "until the provider answers"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _console(stream: IO[str]) -> Any:
    from rich.console import Console

    return Console(file=stream)


class ResultsFile:
    """Results as JSONL, one line per input debt, in input order.

    By default a line holds what identifies and explains the outcome (input line and index,
    creditor reference, outcome, provider id, problems, error) and nothing of the debtor: the
    file sits beside the input and is shared with whoever reads logs. `include_case` adds the
    provider's full case (with the debtor's name, phone, email) for callers who asked for it.

    `bulk_import` yields results as debts settle; a result that arrives before an earlier
    index waits in a reorder buffer keyed by index. The debts in flight are bounded by the
    pipeline's queues, but rows settled at once (invalid, already created) may pile up
    behind one slow debt: past `reorder_limit` buffered results, the oldest is written out of
    order (each line carries its ``line`` and ``index``), so memory stays bounded whatever
    the input. Leaving the context writes what is still buffered, in order. The buffer holds
    each result's line, already written out as text, not the result and its case.
    """

    REORDER_LIMIT = 50_000

    def __init__(
        self, path: Path, *, include_case: bool = False, reorder_limit: int = REORDER_LIMIT
    ) -> None:
        self.path = path
        self.include_case = include_case
        self.reorder_limit = max(reorder_limit, 1)
        self._handle: IO[str] | None = None
        self._waiting: dict[int, str] = {}  # lines waiting for an earlier index, by index
        self._next = 0  # the index written next; a lower one arriving is written at once

    def __enter__(self) -> ResultsFile:
        self._handle = open(self.path, "w", encoding="utf-8")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._handle is not None:
            for index in sorted(self._waiting):
                self._handle.write(self._waiting.pop(index))
            self._handle.close()

    def write(self, result: BulkResult) -> None:
        assert self._handle is not None
        line = self._line(result)
        if result.index < self._next:
            self._handle.write(line)
            return
        self._waiting[result.index] = line
        while self._next in self._waiting:
            self._handle.write(self._waiting.pop(self._next))
            self._next += 1
        if len(self._waiting) > self.reorder_limit:
            oldest = min(self._waiting)
            self._handle.write(self._waiting.pop(oldest))
            self._next = oldest + 1

    def _line(self, result: BulkResult) -> str:
        if not self.include_case:  # not written, so not unstructured (None is left out)
            result = attrs.evolve(result, case=None)
        data = unstructure(result)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


# `debtkit import`'s exit codes (documented in debtkit.cli and docs/guides/cli.md).
EXIT_CREATED = 0  # every debt created, or already there
EXIT_NOT_CREATED = 1  # some debts sent and not created (rejected, ambiguous, not sent)
EXIT_USAGE = 2  # a usage or configuration error: nothing (more) was sent
EXIT_ONLY_INVALID = 4  # some rows refused locally (invalid, repeated), none by the provider

EXAMPLES_PER_KIND = 3


class Summary:
    """Counts per outcome, and a few examples of each failure (reference, error type, the
    problems' paths and codes: never a value, so no personal data)."""

    def __init__(self) -> None:
        self.outcomes: Counter[Outcome] = Counter()
        self.examples: dict[Outcome, list[str]] = {}
        self.stopped: str | None = None  # why the import stopped early, if it did

    def add(self, result: BulkResult) -> None:
        self.outcomes[result.outcome] += 1
        if result.outcome.ok:
            return
        examples = self.examples.setdefault(result.outcome, [])
        if len(examples) < EXAMPLES_PER_KIND:
            examples.append(_example(result))

    @property
    def all_created(self) -> bool:
        return all(outcome.ok for outcome in self.outcomes.elements())

    @property
    def exit_code(self) -> int:
        failed = {outcome for outcome in self.outcomes if not outcome.ok}
        if failed & _SENT_AND_NOT_CREATED:
            return EXIT_NOT_CREATED
        return EXIT_ONLY_INVALID if failed else EXIT_CREATED

    def lines(self, provider: str, extra: dict[str, str] | None = None) -> list[str]:
        total = sum(self.outcomes.values())
        counts = ", ".join(
            f"{outcome.value} {self.outcomes[outcome]}"
            for outcome in Outcome
            if self.outcomes[outcome]
        )
        lines = [f"{provider}: {total} debts: {counts or 'nothing to do'}"]
        for outcome in Outcome:
            for example in self.examples.get(outcome, ()):
                lines.append(f"  e.g. {outcome.value}: {example}")
        lines += [f"  {name}: {value}" for name, value in (extra or {}).items()]
        return lines


# Outcomes of debts that went (or were meant to go) to the provider; the others were refused
# locally: invalid, or a reference repeated or changed in the input.
_SENT_AND_NOT_CREATED = {Outcome.REJECTED, Outcome.AMBIGUOUS, Outcome.NOT_SENT}


def _example(result: BulkResult) -> str:
    where = f"line {result.line}" if result.line is not None else f"input #{result.index + 1}"
    reference = f"{where} {result.creditor_reference}" if result.creditor_reference else where
    problems = ", ".join(f"{p.path} [{p.code}]" for p in result.problems[:3])
    if len(result.problems) > 3:
        problems += f", +{len(result.problems) - 3} more"
    reason = problems or _short(result.error or "")
    kind = result.error_type or result.outcome.value
    return f"{reference}: {kind}" + (f" ({reason})" if reason else "")


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
