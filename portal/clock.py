"""The portal twin's clock: real time, plus an offset the harness may advance (code expiry, resend cooldown)."""

from __future__ import annotations

import math
import threading
import time

MAX_OFFSET = 100 * 365 * 24 * 3600.0  # a century ahead: dates stay within what datetime and the templates handle


class Clock:
    """Seconds since the epoch as the portal sees them."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move the portal's time forward (never back); return the new offset. A value that is no such step (NaN,
        infinite, negative, beyond a century in all) changes nothing and raises ValueError saying why."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(
                f"seconds must be a finite number, 0 or more (the clock only moves forward), not {seconds!r}"
            )
        with self._lock:
            if self._offset + seconds > MAX_OFFSET:
                raise ValueError(f"seconds={seconds!r} would put the clock more than a century ahead")
            self._offset += seconds
            return self._offset

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
