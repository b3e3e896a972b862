"""The session mode's work queue: a folder `tpcd mutate` fills and its pytest sessions take mutants from.

    mutants/NNNN.json   one mutant: id, module, function, steps, the mutated module's source, its last known killer
                        (written by the parent)
    claims/NNNN         made (exclusively) by the session that runs the mutant: each runs once, in one session
    active/PID.json     the mutant and scenario a session is running now, since when (for the per-scenario timeout)
    results/NNNN.json   the verdict (written by the session, or by the parent for a timeout or a crash)
    lines/K.json        the reach map's shard K: per scenario, whether it passed on the twin and the twin's lines it ran
    options.json        steps_only, reruns

Files are written whole and renamed into place, so a reader never sees half of one.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.mutate.catalog import Mutant


@dataclass(frozen=True, slots=True)
class Active:
    """What one session is doing now."""

    number: int
    scenario: str
    since: float  # time.time() when that scenario started


def _write(path: Path, value: Any) -> None:
    """`value` as JSON at `path`, atomically."""
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class Queue:
    """One run's queue, at `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def create(
        cls,
        root: Path,
        mutants: list[Mutant],
        project: Path,
        *,
        steps_only: bool,
        reruns: int,
        known: Mapping[str, Mapping[str, str]] | None = None,
    ) -> Queue:
        """A queue of `mutants`, in the order given (each session takes the next unclaimed one); `known`: a mutant
        id's last killer and its failure's signature (harness/mutate/memory.py)."""
        for name in ("mutants", "claims", "active", "results", "lines"):
            (root / name).mkdir(parents=True, exist_ok=True)
        for number, mutant in enumerate(mutants):
            entry = {
                "id": mutant.id,
                "module": mutant.module,
                "lines": [mutant.span[0], mutant.span[2]],
                "guarded": list(mutant.guarded or ()),
                "function": f"{mutant.module}:{mutant.function}",
                "steps": list(mutant.steps),
                "source": mutant.mutated_source(project),
                "known": dict((known or {}).get(mutant.id, {})),
            }
            _write(root / "mutants" / f"{number:04d}.json", entry)
        _write(root / "options.json", {"steps_only": steps_only, "reruns": reruns})
        return cls(root)

    def options(self) -> dict[str, Any]:
        """steps_only and reruns."""
        value = _read(self.root / "options.json")
        return value if isinstance(value, dict) else {}

    def size(self) -> int:
        return len(list((self.root / "mutants").glob("*.json")))

    def mutant(self, number: int) -> dict[str, Any]:
        """The queued mutant `number`."""
        value = _read(self.root / "mutants" / f"{number:04d}.json")
        assert isinstance(value, dict), number
        return value

    def claim(self) -> int | None:
        """The next mutant no session has taken, now this session's; None when none is left."""
        for number in range(self.size()):
            try:
                descriptor = os.open(self.root / "claims" / f"{number:04d}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                continue
            os.write(descriptor, str(os.getpid()).encode())
            os.close(descriptor)
            return number
        return None

    def unclaimed(self) -> int:
        """How many mutants no session has taken yet."""
        return self.size() - len(list((self.root / "claims").iterdir()))

    def running(self, pid: int, number: int, scenario: str) -> None:
        """Session `pid` starts `scenario` against mutant `number`."""
        _write(self.root / "active" / f"{pid}.json", {"number": number, "scenario": scenario, "since": time.time()})

    def active(self, pid: int) -> Active | None:
        """What session `pid` runs now, if it has begun a mutant without a verdict yet."""
        value = _read(self.root / "active" / f"{pid}.json")
        if not isinstance(value, dict) or self.result(int(value["number"])) is not None:
            return None
        return Active(int(value["number"]), str(value["scenario"]), float(value["since"]))

    def finish(self, number: int, result: dict[str, Any]) -> None:
        """Mutant `number`'s verdict: status, killed_by, phase, seconds, scenarios, durations, log."""
        _write(self.root / "results" / f"{number:04d}.json", result)

    def result(self, number: int) -> dict[str, Any] | None:
        value = _read(self.root / "results" / f"{number:04d}.json")
        return value if isinstance(value, dict) else None

    def results(self) -> dict[int, dict[str, Any]]:
        """Every verdict so far, by mutant number."""
        found: dict[int, dict[str, Any]] = {}
        for path in (self.root / "results").glob("*.json"):
            value = _read(path)
            if isinstance(value, dict):
                found[int(path.stem)] = value
        return found

    def map_shard(self, shard: int, scenarios: dict[str, Any]) -> None:
        """Shard `shard` of the reach map: scenario → {"passed": bool, "lines": {module: [line, …]}}."""
        _write(self.root / "lines" / f"{shard}.json", scenarios)

    def reach(self) -> dict[str, Any]:
        """The reach map, every shard written so far merged."""
        merged: dict[str, Any] = {}
        for path in sorted((self.root / "lines").glob("*.json")):
            value = _read(path)
            if isinstance(value, dict):
                merged.update(value)
        return merged
