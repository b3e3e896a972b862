"""No secret in any artefact: what a scenario leaves (Allure results, pytest's reports and so JUnit XML and the
terminal, Playwright's traces and videos on disk) passes harness/scrub.py with that scenario's secrets first.

The secrets are those the harness itself typed or read: each citizen a fixture made (PIN, PUK, password) and every
one-time code the scenario's CodeReader handed out. Loaded by harness.plugin.reporting.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import allure_commons
import attr
import pytest
from allure_commons.logger import AllureFileLogger

from domain.citizen import CitizenProfile
from harness import staging
from harness.codes import CodeReader
from harness.plugin.browser import ARTIFACTS_KEY
from harness.scrub import Scrubber

IDENTIFIERS = frozenset({"uuid", "historyId", "testCaseId", "source"})  # names and links in Allure's model, not text


@dataclass
class ScenarioSecrets:
    """What one scenario must not leave in an artefact; grows as its fixtures make citizens and read codes."""

    citizens: list[CitizenProfile] = field(default_factory=list)
    readers: list[CodeReader] = field(default_factory=list)

    def scrubber(self) -> Scrubber:
        """A scrubber for everything known so far (codes are read during the scenario, so ask late)."""
        values = [secret for citizen in self.citizens for secret in citizen.secrets()]
        values += [code for reader in self.readers for code in reader.handed_out]
        return _scrubber(tuple(dict.fromkeys(values)))


def _scrubber(secrets: tuple[str, ...]) -> Scrubber:
    """The scrubber of `secrets` and of the run's own (a staging portal's basic auth, harness/staging.py)."""
    return _cached((*staging.RUN_SECRETS, *secrets))


@functools.lru_cache(maxsize=64)
def _cached(secrets: tuple[str, ...]) -> Scrubber:
    """One scrubber per set of secrets: a scenario asks for it at every attachment."""
    return Scrubber(secrets)


SECRETS_KEY = pytest.StashKey[ScenarioSecrets]()
SCRUBBED_FOLDER_KEY = pytest.StashKey[Path]()  # the scenario's artefact folder, scrubbed again after its protocol
RUNNING_KEY = pytest.StashKey[list[pytest.Item]]()  # the item this process runs now (one at a time, also under xdist)


def scrubber_for(item: pytest.Item | None) -> Scrubber:
    """The scrubber of `item`'s secrets; outside a scenario, one that masks password fields by shape only."""
    if item is None or SECRETS_KEY not in item.stash:
        return _scrubber(())
    return item.stash[SECRETS_KEY].scrubber()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    """Note each citizen and code reader a scenario's fixtures make, whatever fixture makes them."""
    made = yield
    if isinstance(made, CitizenProfile):
        request.node.stash.setdefault(SECRETS_KEY, ScenarioSecrets()).citizens.append(made)
    elif isinstance(made, CodeReader):
        request.node.stash.setdefault(SECRETS_KEY, ScenarioSecrets()).readers.append(made)
    return made


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Remember the running scenario: Allure writes its results from inside this protocol."""
    running = item.config.stash.setdefault(RUNNING_KEY, [])
    running.append(item)
    try:
        return (yield)
    finally:
        running.remove(item)
        # A passed test's trace (--tracing on) is saved only once its teardown report exists, after the teardown
        # hook below: scrub what the folder holds by then too.
        folder = item.stash.get(SCRUBBED_FOLDER_KEY, None)
        if folder is not None and folder.is_dir():
            scrubber_for(item).files(sorted(folder.rglob("*")))


# trylast: the innermost wrapper, so pytest-bdd, allure, junitxml and the terminal all get the scrubbed report.
@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """A failure's message and traceback (-l prints locals), captured output and logs, scrubbed before anyone reads
    them: the terminal, JUnit XML, the report that pytest-xdist sends to its controller."""
    report = yield
    hook = item.config.hook
    data = hook.pytest_report_to_serializable(config=item.config, report=report)
    scrubbed = scrubber_for(item).json(data)
    return report if scrubbed == data else hook.pytest_report_from_serializable(config=item.config, data=scrubbed)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    """Once pytest-playwright has saved a scenario's trace and video (its fixtures close in teardown), scrub them where
    they stay on disk (`--output`, reports/playwright/); what the report attaches passes ScrubbingLogger."""
    folder = item.stash.get(ARTIFACTS_KEY, None)  # read before: reporting.py forgets it once it has attached
    if folder is not None:
        item.stash[SCRUBBED_FOLDER_KEY] = folder
    try:
        return (yield)
    finally:
        if folder is not None and folder.is_dir():
            scrubber_for(item).files(sorted(folder.rglob("*")))


def scrub_model(model: Any, scrubber: Scrubber) -> Any:
    """A copy of an Allure model object (result, step, attachment …) with its text scrubbed."""
    if attr.has(type(model)):
        changes = {
            field.name: scrub_model(getattr(model, field.name), scrubber)
            for field in attr.fields(type(model))
            if field.init and field.name not in IDENTIFIERS
        }
        return attr.evolve(model, **changes)
    if isinstance(model, list):
        return [scrub_model(item, scrubber) for item in model]
    if isinstance(model, dict):
        return {key: scrub_model(value, scrubber) for key, value in model.items()}
    if isinstance(model, str):
        return scrubber.text(model)
    return model


class ResultsWriter(Protocol):
    """What ScrubbingLogger needs of Allure's file logger (allure_commons.logger.AllureFileLogger)."""

    def report_result(self, result: Any) -> None: ...
    def report_container(self, container: Any) -> None: ...
    def report_globals(self, globals_item: Any) -> None: ...
    def report_attached_data(self, body: str | bytes, file_name: str) -> None: ...
    def report_attached_file(self, source: str | Path, file_name: str) -> None: ...


class ScrubbingLogger:
    """Stands in for Allure's file logger: every result and attachment passes the running scenario's scrubber on its
    way to the results folder."""

    def __init__(self, inner: ResultsWriter, scrubber: Callable[[], Scrubber]) -> None:
        self.inner, self.scrubber = inner, scrubber

    @allure_commons.hookimpl
    def report_result(self, result: Any) -> None:
        self.inner.report_result(scrub_model(result, self.scrubber()))

    @allure_commons.hookimpl
    def report_container(self, container: Any) -> None:
        self.inner.report_container(scrub_model(container, self.scrubber()))

    @allure_commons.hookimpl
    def report_globals(self, globals_item: Any) -> None:
        self.inner.report_globals(scrub_model(globals_item, self.scrubber()))

    @allure_commons.hookimpl
    def report_attached_data(self, body: str | bytes, file_name: str) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.inner.report_attached_data(body=self.scrubber().data(data, file_name), file_name=file_name)

    @allure_commons.hookimpl
    def report_attached_file(self, source: str | Path, file_name: str) -> None:
        scrubbed = self.scrubber().data(Path(source).read_bytes(), file_name)
        with tempfile.NamedTemporaryFile(suffix=Path(file_name).suffix, delete=False) as copy:
            copy.write(scrubbed)
        try:
            self.inner.report_attached_file(source=copy.name, file_name=file_name)
        finally:
            os.unlink(copy.name)


@pytest.hookimpl(trylast=True)  # after allure-pytest(-bdd) registered its file logger
def pytest_configure(config: pytest.Config) -> None:
    """Put a ScrubbingLogger in place of each Allure file logger; put it back at the end, where Allure unregisters
    its own by name."""
    manager = allure_commons.plugin_manager

    def running_scrubber() -> Scrubber:
        running = config.stash.get(RUNNING_KEY, [])
        return scrubber_for(running[-1] if running else None)

    for logger in [plugin for plugin in manager.get_plugins() if isinstance(plugin, AllureFileLogger)]:
        name = manager.get_name(logger)
        manager.unregister(logger)
        scrubbing = ScrubbingLogger(logger, running_scrubber)
        manager.register(scrubbing)

        def restore(
            logger: AllureFileLogger = logger, scrubbing: ScrubbingLogger = scrubbing, name: Any = name
        ) -> None:
            manager.unregister(scrubbing)
            manager.register(logger, name)

        config.add_cleanup(restore)
