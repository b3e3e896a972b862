"""%%gherkin cells: each written as a feature under reports/, run on the browser thread (runner.py) and folded into a
`GherkinRun` on the kernel's thread, where the live view shows each event; and the steps that passed kept as a
.feature file."""

from __future__ import annotations

import os
import queue
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from harness.notebook.feature import as_feature, exploration_feature
from harness.notebook.lifecycle import Lifecycle
from harness.notebook.model import Event, GherkinRun, ScenarioEnded, fold
from harness.notebook.runner import CellOptions, run_cell, write_cell
from harness.notebook.scenarios import Scenarios

LiveView = Callable[[GherkinRun, Event], None]


class CellRunner:
    """Runs a notebook's %%gherkin cells against the scenarios of `scenarios`, numbering them as the notebook goes."""

    def __init__(self, lifecycle: Lifecycle, scenarios: Scenarios) -> None:
        self.lifecycle, self.scenarios = lifecycle, scenarios
        self.count = 0  # cells run in this kernel: each one's folder and title
        self.last: GherkinRun | None = None
        self.live: Callable[[], LiveView] | None = None  # the extension's live view

    @property
    def cells_dir(self) -> Path:
        """Where each %%gherkin cell's feature and test module are written: inside the project, wherever the reports go,
        as pytest finds the project's root conftest only above the tests it runs, and allure-pytest-bdd names a
        feature by its path from the project."""
        root, workdir = self.lifecycle.root, self.lifecycle.workdir
        if workdir.resolve().is_relative_to(root.resolve()):
            return workdir / "cells"
        return root / "reports" / "notebook" / "cells"

    def gherkin(
        self, text: str, *, proceed: bool = False, seed: int | None = None, worker: int = 0, markers: str | None = None
    ) -> GherkinRun:
        """What a %%gherkin cell does, from Python (for Gherkin a cell builds, e.g. from a report): `proceed` goes
        on with the current scenario, `seed` and `worker` pick its citizen, `markers` selects scenarios by tag."""
        options = CellOptions(proceed=proceed, seed=seed, worker=worker, markers=markers)
        return self.run_gherkin(text, options, self.live() if self.live else lambda run, event: None)

    def run_gherkin(self, cell: str, options: CellOptions, on_event: LiveView) -> GherkinRun:
        """Run a %%gherkin cell on the browser thread; fold its events into the result here, calling `on_event`
        after each (the live view), until the run ends. Ctrl-C stops it before its next step."""
        browser = self.lifecycle.require_browser()
        self.lifecycle.require_stack()
        if options.proceed:
            self.scenarios.require_scene()
        self.count += 1
        title = f"第 {self.count} 格" + ("（接續）" if options.proceed else "")
        feature = as_feature(cell, title=title)
        module = write_cell(self.cells_dir / f"{os.getpid()}-{self.count:03d}", feature)
        events: queue.Queue[Event] = queue.Queue()
        stop = threading.Event()
        run = GherkinRun(str(module.parent / "cell.feature"))

        def interrupted(signum: int, frame: FrameType | None) -> None:
            """Jupyter's interrupt (SIGINT): the run stops before its next step; the step running now finishes."""
            stop.set()
            run.interrupted = True

        done = browser.submit(lambda: run_cell(self.lifecycle, self.scenarios, module, options, events.put, stop))
        main = threading.current_thread() is threading.main_thread()  # only the main thread may handle signals
        previous = signal.signal(signal.SIGINT, interrupted) if main else None
        try:
            while not (done.done() and events.empty()):
                try:
                    event = events.get(timeout=0.1)
                except queue.Empty:
                    continue
                fold(run, event)
                on_event(run, event)
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)
        run.exit_code = done.result()
        for index, scenario in enumerate(run.scenarios):  # stopped (Ctrl-C) before its teardown: never ended
            if scenario.status == "running":
                ended = ScenarioEnded(index, "skipped", "中斷：在這一步之前停止（interrupted）")
                fold(run, ended)
                on_event(run, ended)
        self.last = run
        return run

    def keep_as_feature(
        self, path: str | Path, *, feature: str, scenario: str, tags: tuple[str, ...] = (), description: str = ""
    ) -> Path:
        """Write the steps that passed in this scenario, across its cells, as a feature file; return its path."""
        steps = self.scenarios.require_scene().journal
        target = Path(path)
        target = target if target.is_absolute() else self.lifecycle.root / target
        target.parent.mkdir(parents=True, exist_ok=True)
        text = exploration_feature(feature, scenario, steps, tags=tags, description=description)
        target.write_text(text, encoding="utf-8")
        return target
