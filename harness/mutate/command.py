"""`tpcd mutate`: list, select and run the mutants, several side by side, then write and print the report."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from types import FrameType

from harness.mutate import memory
from harness.mutate.catalog import CatalogError, Mutant, catalog, changed_lines, equivalents, since
from harness.mutate.pool import Pool
from harness.mutate.report import as_json, line, summary, write
from harness.mutate.runner import Outcome, RunOptions, Status, Stopped, run_mutant, stop_all


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`tpcd mutate`'s options."""
    parser.add_argument("--list", action="store_true", help="list the mutants (with --json: as JSON) and run none")
    parser.add_argument("--json", action="store_true", help="with --list: one JSON document")
    parser.add_argument("--only", action="append", metavar="ID", help="run this mutant (repeatable; ids from --list)")
    parser.add_argument("--since", metavar="COMMIT", help="only the mutants of functions changed since COMMIT")
    parser.add_argument("--jobs", "-j", type=int, help="mutants run side by side (default: one per two cores, ≥1)")
    parser.add_argument("--steps-only", action="store_true", help="only the scenarios of each mutant's steps")
    parser.add_argument(
        "--mode",
        choices=("session", "process"),
        default="session",
        help="session: a few pytest sessions run the mutants in turn, the stack and browser started once each "
        "(default); process: one pytest per mutant",
    )
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="--mode process: seconds per mutant, then TIMEOUT"
    )
    parser.add_argument(
        "--scenario-timeout",
        type=float,
        default=SCENARIO_TIMEOUT,
        help="--mode session: seconds one scenario may run against a mutant, then TIMEOUT (default %(default)s)",
    )
    parser.add_argument(
        "--reruns", type=int, default=1, help="a failing scenario is run again this often before it kills (default 1)"
    )
    parser.add_argument("-k", dest="scenarios", default="", help="narrow every run to scenarios matching (pytest -k)")
    parser.add_argument("--out", help="where mutation.json and index.html go (default reports/mutation)")


SCENARIO_TIMEOUT = 300.0  # the slowest scenario takes about a minute on a busy 2-core machine


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM stops the run as Ctrl-C does."""
    raise KeyboardInterrupt


def default_jobs() -> int:
    """One mutant per two cores: each runs a browser and a stack, about a core's work."""
    return max(1, (os.cpu_count() or 2) // 2)


def _select(root: Path, mutants: list[Mutant], args: argparse.Namespace) -> tuple[list[Mutant], str]:
    """The mutants asked for, and how they were chosen (for the report)."""
    selection = "all"
    if args.since:
        mutants = since(root, mutants, changed_lines(root, args.since))
        selection = f"changed since {args.since}"
    if args.only:
        known = {mutant.id: mutant for mutant in mutants}
        unknown = [name for name in args.only if name not in known]
        if unknown:
            raise CatalogError(f"--only: no mutant {', '.join(unknown)} (tpcd mutate --list names them)")
        mutants = [known[name] for name in args.only]
        selection = "only " + ", ".join(args.only)
    if args.scenarios:
        selection += f" (scenarios -k {args.scenarios})"
    if args.steps_only:
        selection += " (steps' scenarios only)"
    return mutants, selection


def _list(mutants: Sequence[Mutant], explained: dict[str, str], *, as_json_document: bool) -> None:
    if as_json_document:
        rows = [
            {
                "id": m.id,
                "operator": m.operator,
                "rule": m.rule,
                "location": m.location,
                "documented_steps": list(m.steps),
                "equivalent": explained.get(m.id),
            }
            for m in mutants
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for mutant in mutants:
        note = "  [equivalent]" if mutant.id in explained else ""
        steps = ",".join(map(str, mutant.steps))
        print(f"{mutant.id}  {mutant.location}  steps {steps}  {mutant.rule}{note}")
    print(f"{len(mutants)} mutants ({sum(m.id in explained for m in mutants)} listed as equivalent)")


def _stopping() -> None:
    print("tpcd mutate: stopping every mutant's suite cleanly…", file=sys.stderr, flush=True)
    stop_all()


def _processes(runnable: list[Mutant], options: RunOptions, jobs: int, done: Callable[[Outcome], None]) -> bool:
    """--mode process: one pytest per mutant, `jobs` side by side; whether the run was interrupted."""
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_mutant, mutant, options) for mutant in runnable]
        try:
            for future in as_completed(futures):
                done(future.result())
        except (KeyboardInterrupt, Stopped):
            for future in futures:
                future.cancel()
            _stopping()
            return True
    return False


def _sessions(
    runnable: list[Mutant], options: RunOptions, jobs: int, timeout: float, done: Callable[[Outcome], None]
) -> bool:
    """--mode session: `jobs` pytest sessions take the mutants from one queue; whether the run was interrupted."""
    if not runnable:
        return False
    pool = Pool(runnable, options, jobs, timeout)
    try:
        pool.run(done)
    except KeyboardInterrupt:
        _stopping()
        return True
    return False


def main(root: Path, reports_dir: Path, args: argparse.Namespace) -> int:
    """0 when every mutant run was killed or explained, 1 when one survived, 2 on a bad request or a suite that could
    not run."""
    try:
        everything = catalog(root)
        mutants, selection = _select(root, everything, args)
        explained = equivalents()
    except (CatalogError, OSError) as error:
        print(f"tpcd mutate: {error}", file=sys.stderr)
        return 2
    stale = sorted(set(explained) - {m.id for m in everything})
    for name in stale:
        print(f"tpcd mutate: equivalent.toml lists {name}, which no mutant is any more: remove it", file=sys.stderr)
    if args.list:
        _list(mutants, explained, as_json_document=args.json)
        return 0
    jobs = args.jobs if args.jobs is not None else default_jobs()
    if jobs < 1:
        print(f"tpcd mutate: --jobs {jobs}: at least 1", file=sys.stderr)
        return 2
    if args.reruns < 0:
        print(f"tpcd mutate: --reruns {args.reruns}: 0 or more", file=sys.stderr)
        return 2
    out = Path(args.out).resolve() if args.out else reports_dir / "mutation"
    shutil.rmtree(out / "logs", ignore_errors=True)
    options = RunOptions(
        root,
        timeout=args.timeout,
        steps_only=args.steps_only,
        scenarios=args.scenarios,
        reruns=args.reruns,
        logs=out / "logs",
    )
    started = time.monotonic()
    runnable = [m for m in mutants if m.id not in explained]
    outcomes = [Outcome(m, Status.EXPLAINED, reason=explained[m.id]) for m in mutants if m.id in explained]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"tpcd mutate: {len(runnable)} mutants to run ({len(outcomes)} explained), {jobs} at a time, "
        f"--mode {args.mode}; load average {load} on {os.cpu_count()} cores",
        flush=True,
    )
    interrupted = False
    previous = signal.signal(signal.SIGTERM, _interrupt)

    def done(outcome: Outcome) -> None:
        outcomes.append(outcome)
        print(line(outcome), flush=True)

    try:
        if args.mode == "session":
            interrupted = _sessions(runnable, options, jobs, args.scenario_timeout, done)
        else:
            interrupted = _processes(runnable, options, jobs, done)
    finally:
        signal.signal(signal.SIGTERM, previous)
    order = {m.id: n for n, m in enumerate(mutants)}
    outcomes.sort(key=lambda o: order[o.mutant.id])
    document = as_json(outcomes, wall_seconds=time.monotonic() - started, selection=selection)
    data, page = write(out, document)
    memory.remember(out, outcomes)
    print(summary(document) + "; load average now " + ", ".join(f"{value:.1f}" for value in os.getloadavg()))
    print(f"report: {page}  ({data})")
    if interrupted:
        print("tpcd mutate: interrupted; the report holds the mutants that finished", file=sys.stderr)
        return 130
    if document["counts"].get(Status.ERROR):
        print("tpcd mutate: the suite could not run against some mutants (ERROR): see their logs", file=sys.stderr)
        return 2
    return 1 if document["counts"].get(Status.SURVIVED) else 0
