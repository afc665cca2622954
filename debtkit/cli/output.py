"""What the CLI shows: a live progress line or bar, result files, and the final summary."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from debtkit.bulk import BulkResult, Outcome, Progress
from debtkit.conversion import unstructure

__all__ = ["ProgressDisplay", "ResultsFile", "Summary"]


class ProgressDisplay:
    """A rich progress bar when `debtkit[cli]` is installed and stderr is a terminal;
    otherwise a plain line at most every few seconds."""

    def __init__(self, label: str, total: int | None, stream: IO[str] | None = None) -> None:
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        self._last = 0.0
        self._bar: Any = None
        self._task: Any = None
        if self.stream.isatty():
            try:
                from rich.progress import Progress as RichProgress
            except ImportError:
                pass
            else:
                self._bar = RichProgress(transient=False)
                self._task = self._bar.add_task(label, total=total)

    def __enter__(self) -> ProgressDisplay:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, progress: Progress, budget_wait: float = 0.0) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=progress.done)
            return
        now = time.monotonic()
        finished = self.total is not None and progress.done >= self.total
        if now - self._last < 2.0 and not finished:
            return
        self._last = now
        total = f"/{self.total}" if self.total is not None else ""
        wait = f", waiting for budget {budget_wait:.1f}s" if budget_wait > 0.05 else ""
        print(
            f"{self.label}: {progress.done}{total} done, {progress.created} created, "
            f"{progress.failed} not created, {progress.queued} in flight{wait}",
            file=self.stream,
            flush=True,
        )


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
    the input. Leaving the context writes what is still buffered, in order.
    """

    REORDER_LIMIT = 50_000

    def __init__(
        self, path: Path, *, include_case: bool = False, reorder_limit: int = REORDER_LIMIT
    ) -> None:
        self.path = path
        self.include_case = include_case
        self.reorder_limit = max(reorder_limit, 1)
        self._handle: IO[str] | None = None
        self._waiting: dict[int, BulkResult] = {}
        self._next = 0  # the index written next; a lower one arriving is written at once

    def __enter__(self) -> ResultsFile:
        self._handle = open(self.path, "w", encoding="utf-8")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._handle is not None:
            for index in sorted(self._waiting):
                self._write(self._waiting.pop(index))
            self._handle.close()

    def write(self, result: BulkResult) -> None:
        if result.index < self._next:
            self._write(result)
            return
        self._waiting[result.index] = result
        while self._next in self._waiting:
            self._write(self._waiting.pop(self._next))
            self._next += 1
        if len(self._waiting) > self.reorder_limit:
            oldest = min(self._waiting)
            self._write(self._waiting.pop(oldest))
            self._next = oldest + 1

    def _write(self, result: BulkResult) -> None:
        assert self._handle is not None
        data = unstructure(result)
        if not self.include_case:
            data.pop("case", None)
        line = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        self._handle.write(line + "\n")


class Summary:
    def __init__(self) -> None:
        self.outcomes: Counter[Outcome] = Counter()

    def add(self, result: BulkResult) -> None:
        self.outcomes[result.outcome] += 1

    @property
    def all_created(self) -> bool:
        return all(outcome.ok for outcome in self.outcomes.elements())

    def lines(self, provider: str, extra: dict[str, str] | None = None) -> list[str]:
        total = sum(self.outcomes.values())
        counts = ", ".join(
            f"{outcome.value} {self.outcomes[outcome]}"
            for outcome in Outcome
            if self.outcomes[outcome]
        )
        lines = [f"{provider}: {total} debts: {counts or 'nothing to do'}"]
        lines += [f"  {name}: {value}" for name, value in (extra or {}).items()]
        return lines
