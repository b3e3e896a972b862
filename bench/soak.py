"""The whole Gherkin suite N times in a row: flaky scenarios (failed at least once and passed at least once) and broken
ones (failed in every round), each with its failure messages, every round's wall time, and the totals.

Run: `make soak` (SOAK_ROUNDS=10, SOAK_WORKERS=2) or `.venv/bin/python -m bench.soak --rounds 10 -n 2 [-- PYTEST ARGS]`.
Each round is `pytest steps -n W` with a base seed of its own for the citizens (printed: `--citizen-seed S` gives a
failing round's citizens again) and keeps its JUnit XML, its log and the Playwright traces of its failed scenarios in
reports/soak/round-NN/; reports/soak/summary.json holds the figures. Exits 1 when any scenario failed in any round,
so CI can hold the suite to 0 flaky scenarios.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from harness.interrupts import Interrupts

ROOT = Path(__file__).resolve().parents[1]
MESSAGE_LENGTH = 300  # of a failure's message, as printed: enough to tell two failures apart


@dataclass(frozen=True)
class Outcome:
    """One scenario in one round, as that round's JUnit XML tells it."""

    scenario: str
    status: str  # passed, failed or skipped
    message: str = ""


@dataclass(frozen=True)
class Round:
    """One run of the whole suite."""

    number: int
    seed: int
    seconds: float
    exit_code: int
    outcomes: tuple[Outcome, ...]

    def count(self, status: str) -> int:
        """How many scenarios ended with `status`."""
        return sum(outcome.status == status for outcome in self.outcomes)


def read_junit(path: Path) -> tuple[Outcome, ...]:
    """Each test case of a JUnit XML file (pytest's --junitxml): failed on a failure or an error, else skipped or
    passed; a failure's message is its first lines."""
    outcomes = []
    for case in ET.parse(path).getroot().iter("testcase"):
        scenario = f"{case.get('classname', '')}::{case.get('name', '')}"
        problems = case.findall("failure") + case.findall("error")
        if problems:
            text = " | ".join((problem.get("message") or problem.text or "").strip() for problem in problems)
            outcomes.append(Outcome(scenario, "failed", " ".join(text.split())[:MESSAGE_LENGTH]))
        elif case.find("skipped") is not None:
            outcomes.append(Outcome(scenario, "skipped"))
        else:
            outcomes.append(Outcome(scenario, "passed"))
    return tuple(outcomes)


@dataclass(frozen=True)
class Verdict:
    """A scenario that failed at least once: flaky if it also passed, broken if it never did."""

    scenario: str
    failed_in: tuple[int, ...]  # round numbers
    ran: int  # rounds in which it ran (not skipped)
    messages: tuple[tuple[int, str], ...]  # (round, message)

    @property
    def flaky(self) -> bool:
        """Failed at least once and passed at least once."""
        return len(self.failed_in) < self.ran


def verdicts(rounds: Sequence[Round]) -> list[Verdict]:
    """Every scenario that failed in some round, in the order the suite runs them."""
    ran: dict[str, int] = {}
    failures: dict[str, list[tuple[int, str]]] = {}
    for done in rounds:
        for outcome in done.outcomes:
            if outcome.status != "skipped":
                ran[outcome.scenario] = ran.get(outcome.scenario, 0) + 1
            if outcome.status == "failed":
                failures.setdefault(outcome.scenario, []).append((done.number, outcome.message))
    return [
        Verdict(scenario, tuple(number for number, _ in failed), ran[scenario], tuple(failed))
        for scenario, failed in failures.items()
    ]


def run_round(
    interrupts: Interrupts, number: int, workers: int, seed: int, folder: Path, suite: Sequence[str]
) -> tuple[Round, signal.Signals | None]:
    """One run of the suite, its log, JUnit XML and failed scenarios' traces in `folder`; and the signal that stopped
    it, if one did (Ctrl-C or SIGTERM stop pytest as a Ctrl-C does, after its teardown: harness.interrupts)."""
    folder.mkdir(parents=True)
    junit = folder / "junit.xml"
    command = [sys.executable, "-m", "pytest", *suite, "-q", "-p", "no:cacheprovider"]
    command += ["-n", str(workers)] if workers else []
    command += ["--junitxml", str(junit), "--tracing=retain-on-failure", "--output", str(folder / "playwright")]
    began = time.perf_counter()
    with (folder / "pytest.log").open("w", encoding="utf-8") as log:
        environment = {**os.environ, "TPCD_SEED": str(seed)}  # the citizens' base seed (harness/settings.py)
        finished = interrupts.run(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - began
    outcomes = read_junit(junit) if junit.exists() else ()
    return Round(number, seed, seconds, finished.code, outcomes), finished.interrupted


def describe(done: Round, rounds: int) -> str:
    """One line per round."""
    counts = ", ".join(f"{done.count(status)} {status}" for status in ("passed", "failed", "skipped"))
    return f"round {done.number:2}/{rounds}: {counts} in {done.seconds:6.1f} s (--citizen-seed {done.seed})"


def report(rounds: Sequence[Round], workers: int) -> list[Verdict]:
    """Print the totals, then each flaky and each broken scenario with its failure messages."""
    runs = sum(len(done.outcomes) for done in rounds)
    failed = sum(done.count("failed") for done in rounds)
    times = [done.seconds for done in rounds]
    scenarios = len({outcome.scenario for done in rounds for outcome in done.outcomes})
    print(
        f"\nsoak: {len(rounds)} rounds of {scenarios} scenarios (-n {workers}): {runs} runs, {failed} failed; "
        f"wall time {sum(times):.1f} s (round median {statistics.median(times):.1f} s, "
        f"min {min(times):.1f} s, max {max(times):.1f} s)"
    )
    found = verdicts(rounds)
    for title, group in (
        ("flaky (failed at least once, passed at least once)", [v for v in found if v.flaky]),
        ("broken (failed in every round it ran)", [v for v in found if not v.flaky]),
    ):
        print(f"{title}: {len(group) or 'none'}")
        for verdict in group:
            rounds_failed = ", ".join(map(str, verdict.failed_in))
            print(f"  {verdict.scenario}: failed {len(verdict.failed_in)}/{verdict.ran} (rounds {rounds_failed})")
            alike: dict[str, list[int]] = {}  # the same message in several rounds is printed once
            for number, message in verdict.messages:
                alike.setdefault(message or "(no message)", []).append(number)
            for message, numbers in alike.items():
                print(f"    round{'s' * (len(numbers) > 1)} {', '.join(map(str, numbers))}: {message}")
    return found


def parser() -> argparse.ArgumentParser:
    """The soak's options; what follows `--` goes to pytest as it is (e.g. `-- -k 手機`)."""
    options = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    options.add_argument("--rounds", type=int, default=10, help="how many times the suite runs (default 10)")
    options.add_argument("-n", "--workers", type=int, default=2, help="pytest-xdist workers; 0 for none (default 2)")
    options.add_argument("--suite", default="steps", help="what pytest runs (default: steps, the Gherkin suite)")
    options.add_argument("--output", type=Path, default=ROOT / "reports" / "soak", help="default reports/soak")
    options.add_argument("pytest_args", nargs="*", help="more pytest arguments, after --")
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Run the rounds (Ctrl-C or SIGTERM stop the round that runs, cleanly), print the figures; 1 if anything failed,
    128 + the signal's number if one stopped the soak."""
    args = parser().parse_args(argv)
    if args.rounds < 1 or args.workers < 0:
        parser().error("--rounds must be at least 1 and -n at least 0")
    shutil.rmtree(args.output, ignore_errors=True)
    seeds = random.SystemRandom()
    rounds: list[Round] = []
    stopped: signal.Signals | None = None
    with Interrupts() as interrupts:  # one span for every round: a signal between two rounds starts no more
        for number in range(1, args.rounds + 1):
            folder = args.output / f"round-{number:02}"
            suite = [args.suite, *args.pytest_args]
            done, stopped = run_round(interrupts, number, args.workers, seeds.randrange(1_000_000), folder, suite)
            if stopped is not None:
                print(f"round {number:2}/{args.rounds}: interrupted ({stopped.name}); the figures are of those before")
                break
            rounds.append(done)
            print(describe(done, args.rounds), flush=True)
            if done.exit_code not in (0, 1):  # 1 = some tests failed; anything else: pytest did not run through
                print(f"  pytest ended with exit code {done.exit_code}: see {folder / 'pytest.log'}")
                break
    if not rounds:
        return 128 + stopped if stopped is not None else 1
    found = report(rounds, args.workers)
    summary = {
        "workers": args.workers,
        "rounds": [asdict(done) for done in rounds],
        "failed": [asdict(v) for v in found],
    }
    (args.output / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    clean = not found and all(done.exit_code == 0 for done in rounds)
    if stopped is not None:
        return 128 + stopped  # the shell's code for a run a signal ended
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
