"""The portal twin's clock: real time, plus an offset the harness may advance (code expiry, resend cooldown)."""

from __future__ import annotations

import threading
import time


class Clock:
    """Seconds since the epoch as the portal sees them."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move the portal's time forward (never back); return the new offset."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
            return self._offset

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
