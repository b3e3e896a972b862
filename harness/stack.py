"""Start every service of one harness run on loopback, wait for each one's readiness, stop them all in `finally`.

One Stack per pytest-xdist worker (each on its own ports and temp dir), one for `tpcd up`, or one in a notebook:

    with Stack(load_settings()) as stack:
        print(stack.urls["portal"])
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType

from harness.settings import Settings
from portal import PortalSettings, create_app
from simulators._serving import serve_asgi


class Stack:
    """The portal twin (unless a deployed portal is the target) and every simulator, as one unit."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.urls: dict[str, str] = {}
        self.workdir: Path | None = None
        self._exit = ExitStack()

    @property
    def portal_url(self) -> str:
        """The portal under test: the twin this stack started, or the deployed portal's URL."""
        return self.settings.base_url or self.urls["portal"]

    def start(self) -> Stack:
        """Bring every service up, or leave none running if one fails."""
        try:
            self.workdir = Path(tempfile.mkdtemp(prefix="tpcd-stack-"))
            self._exit.callback(shutil.rmtree, self.workdir, ignore_errors=True)
            if self.settings.embedded:
                portal = create_app(self._portal_settings())
                self._exit.callback(portal.state.store.close)  # after the server has stopped
                self.urls["portal"] = self._exit.enter_context(
                    serve_asgi(
                        portal,
                        name="portal",
                        host=self.settings.host,
                        port=self.settings.portal_port,
                        timeout=self.settings.ready_timeout,
                    )
                )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop everything this stack started, newest first."""
        self._exit.close()
        self.urls.clear()

    def _portal_settings(self) -> PortalSettings:
        assert self.workdir is not None
        return PortalSettings(
            db_path=self.settings.db_path or self.workdir / "portal.sqlite3",
            secret_key=secrets.token_urlsafe(32),
        )

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
