"""What earlier runs learnt about each mutant's killer, kept beside the report (`killers.json`), so the next run spends
one scenario on a mutant killed before instead of a search and a rerun.

Per mutant id: the scenario that killed it, how it failed (order.signature) and the change the id named then. The next
run tries that scenario first (session.run_mutant), and a first try that fails exactly as recorded kills without a
rerun: the recorded failure was itself confirmed by a rerun, so it is the second of two identical failures. An id that
now names another change (ids are positional within a function) is forgotten; a mutant that survived is forgotten.
The file only ever saves time: a stale entry costs one scenario that passes, and then the search goes on as without it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.mutate.catalog import Mutant
from harness.mutate.runner import Outcome, Status

KILLERS_FILE = "killers.json"
_FIELDS = ("scenario", "signature", "change")


@dataclass(frozen=True, slots=True)
class Kill:
    """How a mutant was killed the last time it was."""

    scenario: str  # the killing scenario's test name (test_…)
    signature: str  # how it failed (order.signature), confirmed by its rerun then
    change: str  # what the mutant id changed then (change_of)


def change_of(mutant: Mutant) -> str:
    """What a mutant changes, where: an id that names another change than its recorded one is not the same mutant."""
    return f"{mutant.module}:{mutant.function}: {mutant.original} → {mutant.replacement}"


def load(folder: Path) -> dict[str, Kill]:
    """The kills kept in `folder` (none when the file is missing or unreadable: it only ever saves time)."""
    try:
        raw = json.loads((folder / KILLERS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    kills: dict[str, Kill] = {}
    for mutant_id, entry in raw.get("kills", {}).items() if isinstance(raw, dict) else ():
        if isinstance(entry, dict) and all(isinstance(entry.get(name), str) for name in _FIELDS):
            kills[mutant_id] = Kill(entry["scenario"], entry["signature"], entry["change"])
    return kills


def known(folder: Path, mutants: Sequence[Mutant]) -> dict[str, dict[str, str]]:
    """Per mutant id, its kept killer and that failure's signature, for those of `mutants` whose id still names the
    change it named then (the queue hands them to the sessions)."""
    kills = load(folder)
    found: dict[str, dict[str, str]] = {}
    for mutant in mutants:
        kill = kills.get(mutant.id)
        if kill is not None and kill.change == change_of(mutant):
            found[mutant.id] = {"scenario": kill.scenario, "signature": kill.signature}
    return found


def remember(folder: Path, outcomes: Sequence[Outcome]) -> None:
    """Keep this run's kills (with their failure's signature) and forget its survivors; others' entries stay."""
    kills = load(folder)
    for outcome in outcomes:
        if outcome.status == Status.KILLED and outcome.killer and outcome.signature:
            kills[outcome.mutant.id] = Kill(outcome.killer, outcome.signature, change_of(outcome.mutant))
        elif outcome.status == Status.SURVIVED:
            kills.pop(outcome.mutant.id, None)
    document: dict[str, Any] = {"kills": {mutant_id: asdict(kill) for mutant_id, kill in sorted(kills.items())}}
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / (KILLERS_FILE + ".part")
    partial.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(partial, folder / KILLERS_FILE)
