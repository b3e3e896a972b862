"""Loaded first in each mutant's pytest (`-p harness.mutate.plugin`), before the root conftest puts the project root
first on sys.path: it imports `portal` from the mutant's folder (first on PYTHONPATH), so every later `import portal…`
is the mutant's, and stops the run if it is not. It then orders the scenarios of the mutant's documented steps first
(every other one after them, unless only those are wanted), so that with `-x` the run stops at the first that fails;
within each group the quickest first, by the durations the last suite run left, so a kill costs as little as it can.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
from pathlib import Path

import pytest

import portal
from harness.mutate import DURATIONS, MUTANT_DIR, MUTANT_STEPS, SELECTION, STEPS_ONLY

signal.signal(signal.SIGINT, signal.default_int_handler)  # started in the background, it would ignore `tpcd`'s stop
_folder = Path(os.environ.get(MUTANT_DIR, "/nonexistent")).resolve()
if Path(portal.__file__).resolve().parent.parent != _folder:
    raise ImportError(f"tpcd mutate: portal was imported from {portal.__file__}, not from the mutant in {_folder}")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The mutant's steps' scenarios first, in collection order, then the rest (or none of the rest)."""
    steps = {f"doc-step-{n.strip()}" for n in os.environ.get(MUTANT_STEPS, "").split(",") if n.strip()}
    first = quickest_first([item for item in items if any(marker.name in steps for marker in item.iter_markers())])
    chosen = {id(item) for item in first}
    rest = quickest_first([item for item in items if id(item) not in chosen])
    if os.environ.get(STEPS_ONLY) == "1" and rest:
        config.hook.pytest_deselected(items=rest)
        rest = []
    items[:] = first + rest
    selection = {"steps": [item.name for item in first], "rest": [item.name for item in rest]}
    (_folder / SELECTION).write_text(json.dumps(selection, ensure_ascii=False), encoding="utf-8")


def quickest_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """`items` by their last duration, shortest first (one never timed counts as the median); ties keep their order."""
    try:
        durations = json.loads((_folder / DURATIONS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return items
    if not isinstance(durations, dict) or not durations:
        return items
    typical = statistics.median(float(value) for value in durations.values())
    return sorted(items, key=lambda item: float(durations.get(item.nodeid, typical)))
