"""Browser fixtures: Debian's Chromium through pytest-playwright, a zh-TW context per scenario aimed at the portal."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from harness import staging
from harness.settings import Settings
from harness.stack import LOOPBACK, Stack
from pages.flows import Arrival, ByHttp, InBrowser
from simulators import captcha
from simulators.control import SESSION_HEADER
from simulators.lifetime import owned_tempdir
from simulators.standalone import is_loopback

PAGE_KEY = pytest.StashKey[Page]()
ARTIFACTS_KEY = pytest.StashKey[Path]()  # pytest-playwright's folder for this test's trace, video and screenshots
BROWSER_VERSION_KEY = pytest.StashKey[str]()
# Debian's Chromium looks up Google hosts at start; map every name to NOTFOUND except loopback
# (docs/environment.md#chromium).
# Only for the embedded twin: a deployed portal by URL must stay reachable. Loopback is kept by mapping it onto
# itself, not by EXCLUDE: an excluded host is never mapped, which would also undo the agent's port mapping below
# (tried on Chromium 156: with `EXCLUDE 127.0.0.1`, `MAP 127.0.0.1:61161 127.0.0.1:<port>` has no effect).
OFFLINE_RULES = ("MAP 127.0.0.1 127.0.0.1", "MAP localhost localhost", "MAP * ~NOTFOUND")
CHROMIUM_HOME = {"XDG_CONFIG_HOME": "config", "XDG_CACHE_HOME": "cache", "TMPDIR": ""}  # variable → folder in its home
# In every document of a scenario's browser: a count of what can change its picture (the DOM, typing and ticking,
# focus, pointer, images and fonts loading, dialogs), so a step's screenshot is taken again only when the page may
# look different (harness.plugin.reporting). A new document starts a new count under a new name. Not counted: resizing
# and scrolling, which the full-page screenshot itself does and which do not change a full-page picture.
CHANGES_SCRIPT = """(() => {
  const name = Math.random().toString(36).slice(2);
  let count = 0;
  const bump = () => { count += 1; };
  Object.defineProperty(window, "__tpcdChanges", { get: () => name + ":" + count });
  const everything = { subtree: true, childList: true, attributes: true, characterData: true };
  new MutationObserver(bump).observe(document, everything);
  for (const type of ["input", "change", "focusin", "focusout", "pointerover", "pointerout", "load",
                      "error", "toggle", "close", "transitionend", "animationend", "selectionchange"]) {
    document.addEventListener(type, bump, true);
  }
  if (document.fonts) { document.fonts.addEventListener("loadingdone", bump); }
})();"""


def page_version(page: Page) -> str | None:
    """What the page's frames have counted of their changes (CHANGES_SCRIPT), or None when that cannot be told (a
    document without the count, one being replaced): the same value twice means the page was not changed between."""
    try:
        counts = [frame.evaluate("() => window.__tpcdChanges") for frame in page.frames]
    except PlaywrightError:
        return None
    if not counts or any(not isinstance(count, str) for count in counts):
        return None
    return f"{page.url} {' '.join(counts)}"


def resolver_rules(settings: Settings, mapped_agent_port: int | None) -> list[str]:
    """Chromium's one --host-resolver-rules flag (it keeps only the last one given), or none.

    Attached, a deployment's pages call the 安控元件 at 127.0.0.1:61161 (or localhost): several runs and workers
    share this machine, so each browser maps that address onto its own agent's port (`mapped_agent_port`). Chromium
    keeps the request's `Host: 127.0.0.1:61161`, and the agent answers as if it listened there
    (AgentSettings.public_port)."""
    rules: list[str] = []
    if mapped_agent_port is not None:
        public, own = settings.agent_public_port, mapped_agent_port
        rules += [f"MAP {LOOPBACK}:{public} {LOOPBACK}:{own}", f"MAP localhost:{public} {LOOPBACK}:{own}"]
    if settings.embedded:
        rules += OFFLINE_RULES
    return [f"--host-resolver-rules={' , '.join(rules)}"] if rules else []


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], tpcd_settings: Settings, stack: Stack
) -> Iterator[dict[str, Any]]:
    """pytest-playwright's launch args (--headed, --slowmo …) plus Debian's Chromium and a private home, removed
    after the browser (and swept by the next run if this one is killed: simulators.lifetime)."""
    if not tpcd_settings.chromium.exists():
        raise pytest.UsageError(
            f"Chromium not found at {tpcd_settings.chromium}: run `make setup` (apt package chromium), "
            "or pass --browser-executable / set TPCD_CHROMIUM"
        )
    home = owned_tempdir("tpcd-chromium-")
    args = resolver_rules(tpcd_settings, stack.agent_port if stack.shared else None)
    # Chromium leaves its caches and temp files here, not in HOME or /tmp (docs/environment.md#chromium).
    private = {name: str(home / folder) for name, folder in CHROMIUM_HOME.items()}
    staged = _staging(tpcd_settings, home, stack.ca_pem)
    own_home = {"HOME": str(home)} if staged.pop("nss", False) else {}  # Chromium reads the NSS db under HOME
    try:
        yield {
            **staged,
            "headless": tpcd_settings.headless,
            # A Ctrl-C reaches Playwright's driver too (one process group): the browser must outlive it until the
            # teardown closes its contexts (traces saved), not die mid-teardown (harness.plugin.interrupts).
            "handle_sigint": False,
            **browser_type_launch_args,
            "executable_path": str(tpcd_settings.chromium),
            "args": [*browser_type_launch_args.get("args", []), *args],
            "env": {**os.environ, **private, **own_home},
        }
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _staging(settings: Settings, home: Path, stack_ca: bytes | None) -> dict[str, Any]:
    """A staging portal's CAs and the attached stack's (its HTTPS ports beyond loopback: the reCAPTCHA script, the
    網路市民 pages) in the NSS database of the browser's own HOME (`nss`: HOME is to be set), and the environment's
    proxy (harness/staging.py)."""
    if settings.base_url is None:
        return {}
    certificates = [*staging.ca_certificates(settings), *([stack_ca] if stack_ca else [])]
    if certificates:
        staging.nss_home(home, certificates)
    chosen = staging.proxy()
    return {**({"proxy": chosen} if chosen else {}), **({"nss": True} if certificates else {})}


@pytest.fixture(scope="session")
def browser_context_args(
    browser_context_args: dict[str, Any], portal_url: str, portal_home: str, tpcd_settings: Settings
) -> dict[str, Any]:
    """Every context speaks zh-TW in Taipei time and has the portal's home page as its base URL (where HomePage
    opens; every other screen is reached from there); a portal not on loopback may call the agent on loopback only
    with Local Network Access granted (docs/protocols/browser.md)."""
    local_network = [] if is_loopback(urlparse(portal_url).hostname or "") else ["local-network-access"]
    return {
        **browser_context_args,
        "base_url": portal_home,
        "locale": tpcd_settings.locale,
        "timezone_id": tpcd_settings.timezone,
        "user_agent": tpcd_settings.user_agent,
        "accept_downloads": True,
        "permissions": [*browser_context_args.get("permissions", []), *local_network],
        **_credentials(tpcd_settings, portal_url),
    }


def _credentials(settings: Settings, portal_url: str) -> dict[str, Any]:
    """The staging portal's basic auth, for its origin alone (harness/staging.py)."""
    found = staging.credentials(settings) if settings.base_url is not None else None
    if found is None:
        return {}
    parts = urlparse(portal_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return {"http_credentials": {"username": found.username, "password": found.password, "origin": origin}}


@pytest.fixture(scope="session")
def browser(browser: Browser, pytestconfig: pytest.Config, tpcd_settings: Settings) -> Browser:
    """pytest-playwright's browser, its version noted for the report's environment; page assertions wait as long as
    the target needs (Settings.page_timeout)."""
    pytestconfig.stash[BROWSER_VERSION_KEY] = f"{browser.browser_type.name} {browser.version}"
    expect.set_options(timeout=tpcd_settings.page_timeout * 1000)
    return browser


@pytest.fixture
def page(
    page: Page, request: pytest.FixtureRequest, fresh_stack: Stack, output_path: str, scenario_id: str
) -> Iterator[Page]:
    """pytest-playwright's page for a scenario that starts from reset simulators, naming its session on every request
    (a shared stack scopes faults by it); remembered for report hooks, with the folder where pytest-playwright keeps
    its artifacts (its `output_path` fixture)."""
    page.context.set_extra_http_headers({SESSION_HEADER: scenario_id})
    page.context.add_init_script(CHANGES_SCRIPT)
    request.node.stash[PAGE_KEY] = page
    request.node.stash[ARTIFACTS_KEY] = Path(output_path)
    yield page
    del request.node.stash[PAGE_KEY]


@pytest.fixture
def arrive(page: Page, portal_url: str, portal_home: str, scenario_id: str, tpcd_settings: Settings) -> Arrival:
    """How a scenario that starts mid-journey (市民已完成會員註冊…) gets there: through the portal's public forms over
    HTTP, the session then handed to its browser, or screen by screen in the browser (Settings.arrive_by_http). The
    HTTP session presents itself as the browser does: the same User-Agent and scenario header."""
    if not tpcd_settings.arrive_by_http:
        return InBrowser(page)
    headers = {"User-Agent": tpcd_settings.user_agent, SESSION_HEADER: scenario_id}
    return ByHttp(page, portal_url, headers=headers, home=portal_home, solver=captcha.tick)
