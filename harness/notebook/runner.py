"""Run a %%gherkin cell through pytest-bdd and the project's own plugins, in this process, against the kernel's stack.

The cell's feature and a one-line test module are written under reports/notebook/cells/<pid>-<n>/, in the project, so
pytest loads the root conftest.py exactly as for the suite (every harness plugin and step module). Two plugin objects
of ours join the run:

- the driver, passed to pytest.main: it streams each scenario and step as events (with every attachment the report
  receives: the reporting plugin's screenshots, the SMS and e-mail read, APDUs, agent requests), and keeps the page,
  the citizen and the step fixtures (`screen` …) for the next cell, as the scenario of scenarios.py;
- the fixtures, registered by the driver at configure time, after the root conftest's plugins, so they take over:
  the `stack` is the kernel's, contexts come from the notebook's browser, the citizen is the notebook's.

The run happens on the browser thread (browser.py): there is no event loop there, and the notebook's pages live there.
It is handed the kernel's lifecycle (stack, browser, seeds) and scenarios, never the `Notebook` that uses it (cells.py).
"""

from __future__ import annotations

import contextlib
import difflib
import json
import mimetypes
import re
import threading
import time
import types
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import allure
import allure_commons
import pytest
from playwright.sync_api import BrowserContext, Page, Playwright
from pytest_bdd.compat import inject_fixture
from pytest_bdd.scenario import get_step_function

from domain.citizen import CitizenProfile
from harness.codes import CodeReader
from harness.notebook.feature import STEP_KEYWORDS
from harness.notebook.lifecycle import Lifecycle
from harness.notebook.model import (
    Attached,
    Event,
    Evidence,
    Problem,
    ScenarioEnded,
    ScenarioStarted,
    ScenarioStatus,
    StepEnded,
    StepStarted,
)
from harness.notebook.scenarios import Scenarios, Scene
from harness.plugin.browser import PAGE_KEY
from harness.plugin.reporting import SEEN_KEY
from harness.plugin.scrubbing import SECRETS_KEY, ScenarioSecrets, scrubber_for
from harness.plugin.services import STACK_KEY
from harness.settings import Settings
from harness.stack import Stack

TEST_MODULE = '''"""Binds the notebook cell's feature (written by harness.notebook)."""

from __future__ import annotations

from pytest_bdd import scenarios

scenarios("cell.feature")
'''
# Fixtures a continuing cell keeps beside the steps' target fixtures: the codes already read, and the browser session
# the scenario's faults are scoped to on a shared stack (its page names it on every request).
CARRIED = ("codes", "scenario_id")
_STEP_LINE = re.compile(r"^\s*(?:" + "|".join(map(re.escape, STEP_KEYWORDS)) + r")\s*(.+?)\s*$")


@dataclass(frozen=True, slots=True)
class CellOptions:
    """How a %%gherkin cell runs."""

    proceed: bool = False  # go on with the notebook's current scenario (page, citizen, screen) instead of a new one
    seed: int | None = None  # the (first) scenario's citizen seed; None draws the next from the notebook's base seed
    worker: int = 0  # the pytest-xdist worker number the reproduced citizen was made for (its mobile and mail)
    markers: str | None = None  # a -m expression over the scenarios' tags


def write_cell(folder: Path, feature: str) -> Path:
    """The cell's feature and its test module in `folder`; returns the test module."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cell.feature").write_text(feature, encoding="utf-8")
    module = folder / "test_cell.py"
    module.write_text(TEST_MODULE, encoding="utf-8")
    return module


def known_steps(features: Path) -> list[str]:
    """Every step text written in the project's features (for "did you mean" when a cell's step has no definition)."""
    texts = set()
    for path in features.glob("*.feature"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if match := _STEP_LINE.match(line):
                texts.add(match.group(1))
    return sorted(texts)


def _mime(attachment_type: Any, extension: str | None) -> str:
    if attachment_type is None:
        return mimetypes.guess_type(f"x.{extension or 'txt'}")[0] or "application/octet-stream"
    return str(getattr(attachment_type, "mime_type", attachment_type))


class _Tap:
    """An allure-commons listener: every attachment the report receives is also the notebook's evidence."""

    def __init__(self, driver: _Driver) -> None:
        self.driver = driver

    @allure_commons.hookimpl
    def attach_data(self, body: str | bytes, name: str, attachment_type: Any, extension: str | None) -> None:
        raw = body.encode() if isinstance(body, str) else body
        self.driver.attached(Evidence(name, _mime(attachment_type, extension), raw))

    @allure_commons.hookimpl
    def attach_file(self, source: str | Path, name: str, attachment_type: Any, extension: str | None) -> None:
        self.driver.attached(Evidence(name, _mime(attachment_type, extension), path=str(source)))


def _fixtures(lifecycle: Lifecycle, scenarios: Scenarios, options: CellOptions) -> types.ModuleType:
    """The fixtures a notebook run takes over from the project's plugins (registered after them, so they win).

    Every run: the kernel's stack (never started or stopped by the run), settings and Playwright (one sync Playwright
    per thread, and the run is on its thread). A new scenario, as the suite runs one: the project's `fresh_stack`
    resets the simulators, contexts come from the notebook's browser, the citizen is the notebook's next. A continued
    scenario: nothing is reset; the page, the citizen and the step fixtures (`screen` …) are the ones left before.
    """
    plugin = types.ModuleType("tpcd_notebook_fixtures", "Fixtures of one %%gherkin run (harness.notebook.runner).")
    first = [True]

    def stack() -> Stack:
        return lifecycle.require_stack()

    def tpcd_settings() -> Settings:
        return lifecycle.settings

    def playwright() -> Playwright:
        return lifecycle.require_browser().playwright

    def fresh_context(browser_context_args: dict[str, Any]) -> BrowserContext:
        """A fresh context in the notebook's browser (the previous scenario's is closed), made with the project's
        context arguments; pytest-playwright's `page` opens the scenario's page in it."""
        return scenarios.fresh_context(browser_context_args)

    def fresh_citizen() -> CitizenProfile:
        """The citizen of --seed for the cell's first scenario, else the next one of the notebook's base seed;
        attached to the report (secrets masked) as the project's citizen fixture does."""
        seed, first[0] = (options.seed if first[0] else None), False
        profile = scenarios.draw_citizen(seed, worker=options.worker)
        allure.dynamic.parameter("市民種子", profile.seed, excluded=True)
        allure.attach(
            json.dumps({"base_seed": lifecycle.base_seed, **profile.masked()}, ensure_ascii=False, indent=2),
            name=f"市民 {profile.name}（種子 {profile.seed}）",
            attachment_type=allure.attachment_type.JSON,
        )
        return profile

    def kept_stack(stack: Stack, request: pytest.FixtureRequest) -> Stack:
        """The stack as the previous cell left it (not reset), known to the report hooks."""
        request.node.stash[STACK_KEY] = stack
        return stack

    def kept_context() -> BrowserContext:
        return scenarios.require_scene().context

    def kept_page(request: pytest.FixtureRequest, fresh_stack: Stack) -> Page:
        """The page as the previous cell left it; the report's screenshots after each step come from it (and, as
        the project's page does, it brings the stack to the report's hooks: APDUs, agent requests)."""
        page = scenarios.require_scene().page
        request.node.stash[PAGE_KEY] = page
        return page

    def kept_citizen() -> CitizenProfile:
        return scenarios.require_scene().citizen

    sessions: dict[str, Callable[..., Any]] = {"stack": stack, "tpcd_settings": tpcd_settings, "playwright": playwright}
    for name, function in sessions.items():
        setattr(plugin, name, pytest.fixture(function, scope="session", name=name))
    chosen: dict[str, Callable[..., Any]] = (
        {"fresh_stack": kept_stack, "context": kept_context, "page": kept_page, "citizen": kept_citizen}
        if options.proceed
        else {"context": fresh_context, "citizen": fresh_citizen}
    )
    for name, function in chosen.items():
        setattr(plugin, name, pytest.fixture(function, name=name))
    return plugin


class _Driver:
    """Streams the run as events and hands the scenario's state back to the notebook."""

    def __init__(
        self,
        lifecycle: Lifecycle,
        scenarios: Scenarios,
        options: CellOptions,
        emit: Callable[[Event], None],
        stop: threading.Event,
    ) -> None:
        self.lifecycle, self.scenarios = lifecycle, scenarios
        self.options, self.emit, self.stop = options, emit, stop
        self.fixtures = _fixtures(lifecycle, scenarios, options)
        self.tap = _Tap(self)
        self.scenario = -1
        self.nodeid = ""
        self.step: int | None = None
        self.pending: list[Evidence] | None = None  # attachments made while a scenario opens
        self.problems: list[str] = []
        self.began = 0.0
        self.targets: set[str] = set()
        self.journal: list[str] = []
        self.item: pytest.Item | None = None
        self.step_failed = False
        self.outcome: ScenarioStatus = "passed"

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.pluginmanager.register(self.fixtures, "tpcd-notebook-fixtures")  # after the root conftest's plugins
        allure_commons.plugin_manager.register(self.tap, "tpcd-notebook-tap")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        allure_commons.plugin_manager.unregister(self.tap, "tpcd-notebook-tap")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.emit(Problem(report.longreprtext))

    def attached(self, evidence: Evidence) -> None:
        if not evidence.is_image and evidence.body:  # scrubbed as the report's copy is (harness/plugin/scrubbing.py)
            scrubber = scrubber_for(self.item)
            json = evidence.mime == "application/json"
            text = scrubber.json_text(evidence.text) if json else scrubber.text(evidence.text)
            evidence = Evidence(evidence.name, evidence.mime, text.encode())
        if self.pending is not None:
            self.pending.append(evidence)  # the scenario's own (its citizen): shown once the scenario is
        elif self.scenario >= 0:
            self.emit(Attached(self.scenario, self.step, evidence))

    def _begin(self, nodeid: str) -> None:
        self.scenario += 1
        self.nodeid, self.step, self.targets, self.step_failed = nodeid, None, set(), False
        self.outcome, self.problems = "passed", []

    @pytest.hookimpl(trylast=True)  # after allure-pytest-bdd has opened the scenario's result
    def pytest_bdd_before_scenario(self, request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
        self._begin(request.node.nodeid)
        self.item = request.node
        scene = self.scenarios.scene if self.options.proceed else None
        self.journal = list(scene.journal) if scene else []
        if scene is not None:
            for name, value in scene.carry.items():
                inject_fixture(request, name, value)
                if isinstance(value, CodeReader):  # injected, not set up: the scrubber learns of its codes here
                    request.node.stash.setdefault(SECRETS_KEY, ScenarioSecrets()).readers.append(value)
            request.node.stash[SEEN_KEY] = dict(scene.seen)  # APDUs and agent requests already reported
        self.pending = []
        try:
            citizen: CitizenProfile = request.getfixturevalue("citizen")
            request.getfixturevalue("page")  # now, so the report's hooks screenshot every step, even before it's used
        finally:
            pending, self.pending = self.pending, None
        steps = tuple((step.keyword.strip(), step.name) for step in scenario.steps)
        tags = tuple(sorted(scenario.tags))
        self.emit(ScenarioStarted(self.scenario, scenario.name, tags, steps, citizen.seed))
        for evidence in pending:
            self.attached(evidence)

    def _index(self, scenario: Any, step: Any) -> int:
        return next(i for i, candidate in enumerate(scenario.steps) if candidate is step)

    def pytest_bdd_before_step(self, request: pytest.FixtureRequest, scenario: Any, step: Any) -> None:
        if self.stop.is_set():
            pytest.exit("stopped from the notebook (interrupt)", returncode=pytest.ExitCode.INTERRUPTED)
        self.step, self.began = self._index(scenario, step), time.perf_counter()
        self.emit(StepStarted(self.scenario, self.step))

    @pytest.hookimpl(trylast=True)
    def pytest_bdd_before_step_call(self) -> None:
        self.began = time.perf_counter()

    @pytest.hookimpl(wrapper=True, tryfirst=True)  # around the report's screenshot: it belongs to the step
    def pytest_bdd_after_step(self, request: pytest.FixtureRequest, scenario: Any, step: Any) -> Generator[None]:
        duration = time.perf_counter() - self.began
        yield
        context = get_step_function(request, step)
        if context is not None and context.target_fixture is not None:
            self.targets.add(context.target_fixture)
        self.journal.append(f"{step.keyword.strip()} {step.name}")
        self.emit(StepEnded(self.scenario, self._index(scenario, step), "passed", duration))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_bdd_step_error(self, scenario: Any, step: Any, exception: BaseException) -> Generator[None]:
        duration = time.perf_counter() - self.began
        yield
        self.step_failed = True
        error = scrubber_for(self.item).text(f"{type(exception).__name__}: {exception}")
        self.emit(StepEnded(self.scenario, self._index(scenario, step), "failed", duration, error))

    def pytest_bdd_step_func_lookup_error(self, scenario: Any, step: Any) -> None:
        self.step_failed = True
        nearest = difflib.get_close_matches(step.name, known_steps(self.lifecycle.root / "features"), n=3, cutoff=0.4)
        hint = "".join(f"\n  {text}" for text in nearest)
        error = f"沒有符合「{step.name}」的步驟定義（steps/）" + (f"；相近的步驟：{hint}" if hint else "")
        self.emit(StepEnded(self.scenario, self._index(scenario, step), "failed", None, error))

    def pytest_bdd_after_scenario(self, request: pytest.FixtureRequest) -> None:
        """Keep the scenario for the next cell: its page, citizen, the fixtures its steps made and the codes read."""
        page: Page = request.getfixturevalue("page")
        carry = {name: request.getfixturevalue(name) for name in (*self.targets, *CARRIED)}
        if self.options.proceed and self.scenarios.scene is not None:
            carry = {**self.scenarios.scene.carry, **carry}
        citizen: CitizenProfile = request.getfixturevalue("citizen")
        seen = dict(request.node.stash.get(SEEN_KEY, {}))
        self.scenarios.scene = Scene(citizen, page.context, page, carry, self.journal, seen)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.nodeid != self.nodeid:  # it failed or was skipped before its first step: no scenario hook ran
            if report.passed:
                return
            self._begin(report.nodeid)
            self.emit(ScenarioStarted(self.scenario, report.head_line or report.nodeid, (), (), None))
        if report.failed:
            self.outcome = "failed"
            if report.when != "call" or not self.step_failed:
                self.problems.append(report.longreprtext)  # scrubbed by harness.plugin.scrubbing already
        elif report.skipped and report.when != "teardown":
            self.outcome = "skipped"
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            self.problems.append(reason)
        if report.when == "teardown":
            self.emit(ScenarioEnded(self.scenario, self.outcome, "\n".join(self.problems) or None))


def pytest_args(lifecycle: Lifecycle, module: Path, options: CellOptions) -> list[str]:
    """The command line of a cell's run: the project's configuration, the cell's folder, Allure results."""
    settings, folder, root = lifecycle.settings, module.parent, lifecycle.root
    args = [str(module), "--rootdir", str(root), "-c", str(root / "pyproject.toml")]
    args += ["--import-mode=importlib", "-p", "no:cacheprovider", "--capture=no"]
    # The kernel imported pytest-bdd, the harness and (after the first cell) the steps before this run: they stay as
    # first imported (assertion-rewritten then, when the steps were), which pytest warns about, and the project turns
    # warnings into errors.
    args += ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    # Python's unraisable-exception and thread-exception hooks are the process's: in a kernel they would blame the
    # scenario for what the kernel's own threads do meanwhile. The suite keeps both (make test).
    args += ["-p", "no:unraisableexception", "-p", "no:threadexception"]
    args += ["-o", f"bdd_features_base_dir={folder}", "--output", str(folder / "playwright")]
    args += ["--alluredir", str(lifecycle.results_dir), "--citizen-seed", str(lifecycle.base_seed)]
    if settings.base_url is not None:
        args += ["--base-url", settings.base_url]
    if settings.stack is not None:
        args += ["--stack", settings.stack]
    if options.markers:
        args += ["-m", options.markers]
    return args


def run_cell(
    lifecycle: Lifecycle,
    scenarios: Scenarios,
    module: Path,
    options: CellOptions,
    emit: Callable[[Event], None],
    stop: threading.Event,
) -> int:
    """Run the cell's test module with pytest in this process; on the browser thread. Returns pytest's exit code.

    pytest's console output goes to pytest.log beside the cell's feature, not into the notebook: the cell shows the
    steps themselves."""
    driver = _Driver(lifecycle, scenarios, options, emit, stop)
    with (module.parent / "pytest.log").open("w", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        return int(pytest.main(pytest_args(lifecycle, module, options), plugins=[driver]))
