"""Session fixtures: the harness settings and one stack of services per pytest-xdist worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.settings import Settings, SettingsError, load_settings
from harness.stack import Stack


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tpcd", "tpcd-harness")
    group.addoption("--browser-executable", default=None, help="Chromium binary to launch (default /usr/bin/chromium)")
    group.addoption("--citizen-seed", type=int, default=None, help="base seed for citizens; reproduces a run's data")


SETTINGS_KEY = pytest.StashKey[Settings]()


def pytest_configure(config: pytest.Config) -> None:
    """Read the settings once, before collection, so a bad value stops the run with its own message."""
    try:
        config.stash[SETTINGS_KEY] = load_settings(
            {
                "base_url": config.getoption("base_url", None) or None,
                "chromium": config.getoption("browser_executable"),
                "seed": config.getoption("citizen_seed"),
            },
            root=config.rootpath,
        )
    except SettingsError as error:
        raise pytest.UsageError(str(error)) from error


@pytest.fixture(scope="session")
def tpcd_settings(pytestconfig: pytest.Config) -> Settings:
    """Settings read once: defaults < [tool.tpcd] < TPCD_* < these pytest options."""
    return pytestconfig.stash[SETTINGS_KEY]


@pytest.fixture(scope="session")
def stack(tpcd_settings: Settings) -> Iterator[Stack]:
    """Every service on loopback for this worker: all up, or none left running."""
    with Stack(tpcd_settings) as running:
        yield running


@pytest.fixture(scope="session")
def portal_url(stack: Stack) -> str:
    """The portal under test: the twin's URL, or --base-url when aimed at a deployed portal."""
    return stack.portal_url
