"""One thread owns Playwright for the notebook's whole life, and every browser call runs there.

Jupyter's kernel runs an asyncio loop on its main thread, inside which Playwright's sync API refuses to start
(playwright-python#178, #480; nest_asyncio does not help: docs/environment.md#notebooks). Playwright's objects are not
thread-safe either, so the browser, its contexts and pages are made, used and closed on this one thread: cells hand it
work (`call`) and wait for the answer.
"""

from __future__ import annotations

import os
import queue
import shlex
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

from playwright._impl._driver import compute_driver_executable
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from harness.plugin.browser import resolver_rules
from harness.settings import Settings
from harness.stack import Stack
from simulators.standalone import is_loopback

T = TypeVar("T")
NODE_VARIABLE = "PLAYWRIGHT_NODEJS_PATH"  # where Playwright takes its Node.js from (playwright/_impl/_driver.py)
_DRIVER_LOCK = threading.Lock()


class BrowserError(RuntimeError):
    """The notebook's browser could not start or has stopped; the message says what to do."""


def launch_options(settings: Settings, stack: Stack, *, headed: bool, home: Path) -> dict[str, Any]:
    """Chromium as the suite launches it (harness/plugin/browser.py): Debian's binary, offline for the twin, the
    agent's public port mapped onto this stack's agent when attached, caches in `home`, not in HOME."""
    if not settings.chromium.exists():
        raise BrowserError(f"Chromium not found at {settings.chromium}: run `make setup` or set TPCD_CHROMIUM")
    if headed and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        raise BrowserError("--headed needs a display (DISPLAY or WAYLAND_DISPLAY); this kernel has none")
    return {
        "executable_path": str(settings.chromium),
        "headless": not headed,
        "args": resolver_rules(settings, stack.agent_port if stack.shared else None),
        "env": {**os.environ, "XDG_CONFIG_HOME": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache")},
    }


def context_options(settings: Settings, portal_home: str) -> dict[str, Any]:
    """A context like the suite's (harness/plugin/browser.py, browser_context_args), for a scenario explored by hand:
    zh-TW, Taipei time, the Windows Chrome user agent, the portal's home page as base URL, and Local Network Access
    granted when the portal is not on loopback (docs/protocols/browser.md)."""
    local_network = [] if is_loopback(urlparse(portal_home).hostname or "") else ["local-network-access"]
    return {
        "base_url": portal_home,
        "locale": settings.locale,
        "timezone_id": settings.timezone,
        "user_agent": settings.user_agent,
        "accept_downloads": True,
        "permissions": local_network,
    }


class BrowserThread:
    """Playwright and one Chromium on a thread of their own; `call` runs a function there and returns its result."""

    def __init__(self, launch: dict[str, Any], *, home: Path) -> None:
        self._launch, self._home = launch, home
        self._work: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="tpcd-browser", daemon=True)
        self._ready: Future[tuple[Playwright, Browser]] = Future()
        self._started: tuple[Playwright, Browser] | None = None

    def start(self, timeout: float = 30.0) -> BrowserThread:
        """Start Playwright and the browser; raise what stopped them in the caller's thread."""
        self._thread.start()
        self._started = self._ready.result(timeout)
        return self

    @property
    def playwright(self) -> Playwright:
        """The thread's Playwright (use it on the browser thread only)."""
        if self._started is None:
            raise BrowserError("the browser thread has not started")
        return self._started[0]

    @property
    def browser(self) -> Browser:
        """The thread's Chromium (use it on the browser thread only)."""
        if self._started is None:
            raise BrowserError("the browser thread has not started")
        return self._started[1]

    @property
    def here(self) -> bool:
        """True when the caller already runs on the browser thread (a step of a %%gherkin run, a %%browser cell)."""
        return threading.current_thread() is self._thread

    def call(self, work: Callable[[], T]) -> T:
        """Run `work` on the browser thread and wait for it; its exception is raised here."""
        if self.here:
            return work()
        return self.submit(work).result()

    def submit(self, work: Callable[[], T]) -> Future[T]:
        """Queue `work` for the browser thread; the future holds its result."""
        if not self._thread.is_alive():
            raise BrowserError("the notebook's browser has stopped: run %tpcd up again")
        done: Future[T] = Future()
        self._work.put((work, done))
        return done

    def new_page(self, options: dict[str, Any]) -> tuple[BrowserContext, Page]:
        """A fresh context (no cookies, no storage) and its first page."""

        def make() -> tuple[BrowserContext, Page]:
            context = self.browser.new_context(**options)
            return context, context.new_page()

        return self.call(make)

    def close(self, timeout: float = 15.0) -> None:
        """Close the browser and stop Playwright (pending work is finished first); waits for the thread to end."""
        if self._thread.is_alive():
            self._work.put(None)
            self._thread.join(timeout)

    def _driver_in_own_session(self) -> Path:
        """A launcher that runs Playwright's Node.js driver in a session of its own.

        Jupyter interrupts a kernel by signalling its whole process group (jupyter_client's LocalProvisioner uses
        killpg), which would end the driver and with it the browser. Playwright already starts each browser detached
        (a process group of its own); this does the same for the driver. It still ends with the kernel: it exits when
        its stdin, a pipe from this process, closes."""
        node, _ = compute_driver_executable()
        launcher = self._home / "playwright-node"
        launcher.write_text(f'#!/bin/sh\nexec setsid {shlex.quote(node)} "$@"\n', encoding="utf-8")
        launcher.chmod(0o700)
        return launcher

    def _run(self) -> None:
        try:
            with _DRIVER_LOCK:  # Playwright reads the driver's path from the environment when it starts
                before = os.environ.get(NODE_VARIABLE)
                os.environ[NODE_VARIABLE] = str(self._driver_in_own_session())
                try:
                    playwright: Playwright = sync_playwright().start()
                finally:
                    if before is None:
                        del os.environ[NODE_VARIABLE]
                    else:
                        os.environ[NODE_VARIABLE] = before
        except BaseException as error:  # reported to start() in the kernel's thread
            self._ready.set_exception(error)
            return
        try:
            browser = playwright.chromium.launch(**self._launch)
        except BaseException as error:
            playwright.stop()
            self._ready.set_exception(error)
            return
        self._ready.set_result((playwright, browser))
        try:
            while (item := self._work.get()) is not None:
                work, done = item
                if not done.set_running_or_notify_cancel():
                    continue
                try:
                    done.set_result(work())
                except BaseException as error:
                    done.set_exception(error)
        finally:
            try:
                browser.close()
            finally:
                playwright.stop()
