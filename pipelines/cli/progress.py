"""Progress of `publicar run` / `publicar backfill`: days done/total, orders/s and ETA.

On a terminal, a rich progress bar with one line per finished day printed above it; when
stdout is not a terminal (a log file, a pipe, cron), one plain summary line per day, flushed.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

from messages import text


class DayProgress:
    """Counts finished days and their orders; shows them on a terminal, else plain lines."""

    def __init__(self, total_days: int, *, lang: str = "es", stream: TextIO | None = None) -> None:
        self.total = total_days
        self.lang = lang
        self.stream = stream or sys.stdout
        self.done = 0
        self.orders = 0
        self.started = time.monotonic()
        self._bar = None
        self._task = None
        if self.stream.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(text("progress.days", lang)),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
                transient=False,
            )
            self._task = self._bar.add_task(text("progress.title", lang), total=total_days, rate="")

    def __enter__(self) -> DayProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    @property
    def rate(self) -> float:
        """Orders per second since the start."""
        elapsed = time.monotonic() - self.started
        return self.orders / elapsed if elapsed > 0 else 0.0

    def day_done(self, line: str, orders: int) -> None:
        """One more day finished: ``line`` is its summary, ``orders`` its source rows."""
        self.done += 1
        self.orders += orders
        rate = text("progress.rate", self.lang, rate=f"{self.rate:,.0f}")
        if self._bar is not None and self._task is not None:
            self._bar.console.print(line, highlight=False, markup=False)
            self._bar.update(self._task, advance=1, rate=rate)
        else:
            print(f"{line}  [{self.done}/{self.total}, {rate}]", file=self.stream, flush=True)

    def note(self, line: str) -> None:
        """A line that is not a day (anchoring, bulk)."""
        if self._bar is not None:
            self._bar.console.print(line, highlight=False, markup=False)
        else:
            print(line, file=self.stream, flush=True)
