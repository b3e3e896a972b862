"""Browser fixtures: Debian's Chromium through pytest-playwright, a zh-TW context per scenario aimed at the portal."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from harness.settings import Settings
from harness.stack import Stack

PAGE_KEY = pytest.StashKey[Page]()
ARTIFACTS_KEY = pytest.StashKey[Path]()  # pytest-playwright's folder for this test's trace, video and screenshots
BROWSER_VERSION_KEY = pytest.StashKey[str]()
# Debian's Chromium looks up Google hosts at start; map every name to NOTFOUND except loopback (ENVIRONMENT.md).
# Only for the embedded twin: a deployed portal by URL must stay reachable.
OFFLINE_RESOLVER = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1"


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], tpcd_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """pytest-playwright's launch args (--headed, --slowmo …) plus Debian's Chromium and a private profile home."""
    if not tpcd_settings.chromium.exists():
        raise pytest.UsageError(
            f"Chromium not found at {tpcd_settings.chromium}: run `make setup` (apt package chromium), "
            "or pass --browser-executable / set TPCD_CHROMIUM"
        )
    home = tmp_path_factory.mktemp("chromium-home")
    args = [OFFLINE_RESOLVER] if tpcd_settings.embedded else []
    return {
        "headless": tpcd_settings.headless,
        **browser_type_launch_args,
        "executable_path": str(tpcd_settings.chromium),
        "args": [*browser_type_launch_args.get("args", []), *args],
        # Chromium and Playwright leave their caches here, not in HOME (ENVIRONMENT.md).
        "env": {**os.environ, "XDG_CONFIG_HOME": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache")},
    }


@pytest.fixture(scope="session")
def browser_context_args(
    browser_context_args: dict[str, Any], portal_url: str, tpcd_settings: Settings
) -> dict[str, Any]:
    """Every context speaks zh-TW in Taipei time and resolves relative URLs against the portal under test."""
    return {
        **browser_context_args,
        "base_url": portal_url,
        "locale": tpcd_settings.locale,
        "timezone_id": tpcd_settings.timezone,
        "user_agent": tpcd_settings.user_agent,
        "accept_downloads": True,
    }


@pytest.fixture(scope="session")
def browser(browser: Browser, pytestconfig: pytest.Config) -> Browser:
    """pytest-playwright's browser, its version noted for the report's environment."""
    pytestconfig.stash[BROWSER_VERSION_KEY] = f"{browser.browser_type.name} {browser.version}"
    return browser


@pytest.fixture
def page(page: Page, request: pytest.FixtureRequest, fresh_stack: Stack, output_path: str) -> Iterator[Page]:
    """pytest-playwright's page for a scenario that starts from reset simulators; remembered for report hooks, with
    the folder where pytest-playwright keeps its artifacts (its `output_path` fixture)."""
    request.node.stash[PAGE_KEY] = page
    request.node.stash[ARTIFACTS_KEY] = Path(output_path)
    yield page
    del request.node.stash[PAGE_KEY]
