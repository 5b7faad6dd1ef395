"""On the PYTHONPATH of a test's companions worker (``publication.ahead``): the worker waits,
once the export's rows are read, until the mapping asks for its day's orders, so that the test
sees the day's orders come first whatever the two processes' speeds."""

import os
import time
from typing import Any

if os.environ.get("ORDERS_FIRST_HOLD"):
    from publication import details

    _rows_read = details._OrdersFirst.rows_read

    def _held(self: Any, sheet: Any) -> None:
        deadline = time.monotonic() + 60
        while not self.wanted.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        _rows_read(self, sheet)

    setattr(details._OrdersFirst, "rows_read", _held)  # noqa: B010
