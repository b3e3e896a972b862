"""Armed faults, shared by every simulator: a named fault, optionally for one target, for N uses or until reset."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ArmedFault:
    """One fault as armed through `POST /_control/faults`."""

    fault: str  # the simulator's fault name, in its protocol's terms (a Mitake statuscode, an SMTP reply …)
    match: str | None = None  # only for this target (a mobile number, a mail address …); None for every target
    times: int | None = 1  # how many requests it affects; None until reset
    seconds: float | None = None  # for timing faults: how long to delay or hang


@dataclass(slots=True)
class _Armed:
    id: int  # what `arm` answered: the handle to disarm it by
    fault: ArmedFault
    remaining: int | None  # uses left; None until reset


class FaultBook:
    """The faults armed on one simulator, consumed in arming order; thread-safe."""

    def __init__(self, known: set[str]) -> None:
        self._known = known
        self._armed: list[_Armed] = []
        self._ids = itertools.count(1)  # never restarted: an old id never disarms a newer fault
        self._lock = threading.Lock()

    def arm(self, fault: ArmedFault) -> int:
        """Add `fault` and return its id; an unknown name is refused with the list of known ones."""
        if fault.fault not in self._known:
            raise ValueError(f"unknown fault {fault.fault!r}; known: {', '.join(sorted(self._known))}")
        if fault.times is not None and fault.times < 1:
            raise ValueError(f"times must be at least 1 (or null for until reset), not {fault.times}")
        with self._lock:
            armed = _Armed(next(self._ids), fault, fault.times)
            self._armed.append(armed)
        return armed.id

    def take(self, target: str | None = None, *, among: set[str] | None = None) -> ArmedFault | None:
        """The first armed fault that applies to `target` (and is one of `among`), using up one of its times."""
        with self._lock:
            for armed in self._armed:
                fault = armed.fault
                if fault.match not in (None, target) or (among is not None and fault.fault not in among):
                    continue
                if armed.remaining is not None:
                    armed.remaining -= 1
                    if armed.remaining == 0:
                        self._armed.remove(armed)
                return fault
        return None

    def disarm(self, ids: Iterable[int]) -> int:
        """Disarm the faults with these ids (those already used up or unknown are skipped); how many went.

        On a stack that several runs share, a scenario takes back only what it armed (docs/design.md#contracts)."""
        wanted = set(ids)
        with self._lock:
            kept = [armed for armed in self._armed if armed.id not in wanted]
            gone = len(self._armed) - len(kept)
            self._armed = kept
        return gone

    def clear(self) -> None:
        """Disarm everything."""
        with self._lock:
            self._armed.clear()

    def state(self) -> list[dict[str, Any]]:
        """What is armed, with ids and uses left, for `GET /_control/state`."""
        with self._lock:
            return [{"id": a.id, **asdict(a.fault), "remaining": a.remaining} for a in self._armed]


class Holds:
    """Answers a HELD fault keeps open until the harness releases them, counted per key (a recipient, a browser
    session); thread-safe. A reset releases every answer held before it (a new generation)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str | None, int] = {}  # key → answers held now
        self._releases: dict[str | None, int] = {}  # key → times its held answers were released
        self._generation = 0

    def reset(self) -> None:
        with self._lock:
            self._held, self._releases = {}, {}
            self._generation += 1

    def counts(self) -> dict[str, int]:
        """Answers held now, by key (as the control API's state shows them)."""
        with self._lock:
            return {str(key): count for key, count in self._held.items() if count}

    @contextmanager
    def holding(self, key: str | None) -> Iterator[Callable[[], bool]]:
        """Count one held answer of `key` while inside; yields whether it has been released since it began."""
        with self._lock:
            self._held[key] = self._held.get(key, 0) + 1
            began = (self._generation, self._releases.get(key, 0))

        def released() -> bool:
            with self._lock:
                return (self._generation, self._releases.get(key, 0)) != began

        try:
            yield released
        finally:
            with self._lock:
                self._held[key] = max(0, self._held.get(key, 0) - 1)

    def release(self, key: str | None = None) -> int:
        """Let the held answers of `key` (None: every key's) go; how many were held."""
        with self._lock:
            keys = list(self._held) if key is None else [key]
            for each in keys:
                self._releases[each] = self._releases.get(each, 0) + 1
            return sum(self._held.get(each, 0) for each in keys)
