"""Which scenarios a mutant meets, in which order, and when one has killed it: only those that run a mutated line on
the twin (the reach map), the likeliest killer first, so a kill costs as few scenarios as it can.

The scenarios tagged with the mutant's documented steps come first, then every other one. Within each group: for a
disabled refusal, first the scenarios that ran that refusal on the twin (rarest_first); then the scenarios that killed
earlier mutants of the same function in this run (most kills first), then those that killed any mutant, then the
quickest by the durations measured so far (one never timed counts as the median); ties keep the suite's own order.
Pure functions of what they are given: harness/mutate/session.py feeds them.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Scenario:
    """One collected scenario: its test name and its tags (pytest markers such as `doc-step-6`)."""

    name: str
    tags: frozenset[str]


@dataclass(slots=True)
class History:
    """What the mutants finished so far in this run taught: which scenario killed whose mutants, how long each took."""

    kills: dict[str, Counter[str]] = field(default_factory=dict)  # "module:function" → scenario → kills
    durations: dict[str, float] = field(default_factory=dict)  # scenario → its last measured seconds

    def record(self, function: str, killed_by: str, durations: Mapping[str, float]) -> None:
        """One finished mutant: the scenario that killed it ("" when none did) and the scenarios it ran."""
        if killed_by:
            self.kills.setdefault(function, Counter())[killed_by] += 1
        self.durations.update(durations)


def in_steps(scenario: Scenario, steps: Sequence[int]) -> bool:
    """Whether `scenario` is tagged with one of the documented `steps`."""
    return any(f"doc-step-{step}" in scenario.tags for step in steps)


def order(
    scenarios: Sequence[Scenario], steps: Sequence[int], function: str, history: History
) -> tuple[list[Scenario], list[Scenario]]:
    """The mutant's steps' scenarios and the rest, each likeliest killer first (module docstring)."""
    everywhere: Counter[str] = Counter()
    for counter in history.kills.values():
        everywhere.update(counter)
    here = history.kills.get(function, Counter())
    typical = statistics.median(history.durations.values()) if history.durations else 0.0
    position = {scenario.name: index for index, scenario in enumerate(scenarios)}

    def key(scenario: Scenario) -> tuple[int, int, float, int]:
        name = scenario.name
        return (-here[name], -everywhere[name], history.durations.get(name, typical), position[name])

    first = sorted((s for s in scenarios if in_steps(s, steps)), key=key)
    rest = sorted((s for s in scenarios if not in_steps(s, steps)), key=key)
    return first, rest


@dataclass(frozen=True, slots=True)
class Verdict:
    """How one scenario went against a mutant, reruns included."""

    killed: bool  # failed on the first try and the same way on every rerun
    runs: int  # how many times it ran
    remembered: bool = False  # killed without a rerun: it failed exactly as the last run's confirmed kill did


def settle(first: str | None, reruns: int, rerun: Callable[[], str | None], *, remembered: str = "") -> Verdict:
    """The rerun rule: a scenario whose first try failed (`first` says how: its failure's signature) kills only when
    it fails the same way `reruns` more times; a rerun that passes, or fails otherwise (a timeout of a busy machine
    where the first try met a wrong screen), kills nothing. `rerun` runs one more try and says how it failed (None:
    it passed). `remembered`: how this scenario killed this mutant in an earlier run, confirmed then by its own
    reruns (harness/mutate/memory.py); a first try that fails exactly so is the last of those identical failures."""
    if first is None:
        return Verdict(killed=False, runs=1)
    if remembered and first == remembered:
        return Verdict(killed=True, runs=1, remembered=True)
    runs = 1
    for _ in range(reruns):
        runs += 1
        if rerun() != first:
            return Verdict(killed=False, runs=runs)
    return Verdict(killed=True, runs=runs)


# Drawn afresh on every try: a URL's query (an OAuth code and state, a nonce) and any long run of token characters.
_FRESH = re.compile(r"\?[^\s'\"<>]*|[A-Za-z0-9_-]{16,}")


def signature(path: str, line: int, message: str) -> str:
    """How a scenario failed, the same for two tries that failed alike: where the error was raised and its first line,
    what a try draws afresh left out (a citizen's mobile, a port, seconds, a URL's query, a token)."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    return f"{path}:{line}: {re.sub(r'[0-9]+', '#', _FRESH.sub('…', first))}"


def rarest_first(
    scenarios: Sequence[Scenario], reach: Mapping[str, Any], module: str, guarded: Sequence[int]
) -> list[Scenario]:
    """`scenarios` (in their order) with those that ran the refusal a mutant disables first, and of those the ones
    that ran its rarest line first: `guarded` are the first and last lines the `if` around the mutated test runs when
    true, and a refusal few scenarios reach is one only they provoke, so they are the ones that see it gone. The rest
    keep their order (a stable sort). Replayed over a full run's kills: 10.1 scenarios to the killer of a disabled
    refusal on average without it, 1.5 with it (docs/mutation.md)."""
    if len(guarded) != 2:
        return list(scenarios)
    low, high = guarded

    def ran(name: str) -> set[int]:
        entry = reach.get(name) or {}
        if not entry.get("passed"):
            return set()
        return {line for line in entry.get("lines", {}).get(module, []) if low <= line <= high}

    runs = {name: ran(name) for name in reach}
    count = Counter(line for lines in runs.values() for line in lines)

    def rarity(scenario: Scenario) -> float:
        return max((1 / count[line] for line in runs.get(scenario.name, ())), default=0.0)

    return sorted(scenarios, key=lambda scenario: -rarity(scenario))


def may_kill(reach: Mapping[str, Any] | None, module: str, first: int, last: int) -> bool:
    """Whether a scenario can tell a mutant of `module`'s lines `first`–`last` from the twin, by what it did against
    the twin (its entry in the reach map: passed, and the twin's lines it ran). A scenario that never runs a mutated
    line meets the same portal as the twin's; one that fails on the twin itself tells nothing; one never mapped (its
    map shard lost) cannot be ruled out."""
    if reach is None:
        return True
    if not reach.get("passed"):
        return False
    return any(first <= line <= last for line in reach.get("lines", {}).get(module, []))
