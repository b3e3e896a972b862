"""The citizen's computer as far as the agent goes: its installer wizard, the agent process, and the tray icon.

Lifecycle (documented steps 10–19): not installed → installing → Loading → Ready → Going (a page is using it) → back
to Ready when the page goes. The agent's port is closed until Loading ends, as with a real service starting up. The
installer is a sequence of local pages the browser drives, each a screen of the real wizard: the security warnings
([執行], [確認], [是]), welcome ([下一步]), licence ([我接受] then [下一步]), folder ([安裝]) and [完成]. This desktop
app also carries the agent's control surface, which must answer even while the agent itself is not running, and the
card's (simulators/card/control.py) when the reader's card is ours to control.
"""

from __future__ import annotations

import html
import socket
import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import FastAPI, Form, HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp

from simulators.agent.service import SecurityAgent, create_app
from simulators.card import CardClient
from simulators.card.control import card_router
from simulators.control import SameSiteGate, control_router
from simulators.serving import RunningServer


class TrayState(StrEnum):
    """What the tray icon at the bottom right says."""

    NOT_INSTALLED = "未安裝"
    INSTALLING = "安裝中"
    LOADING = "Loading"
    READY = "Ready"
    GOING = "Going"
    STOPPED = "未執行"  # installed, but the agent is not running (it crashed)


@dataclass(frozen=True, slots=True)
class InstallerScreen:
    """One screen of the wizard: its title, what it says, and the button that moves on."""

    title: str
    text: str
    button: str
    needs_acceptance: bool = False


INSTALL_FOLDER = r"C:\Program Files (x86)\TaipeiCard\SecurityAgent"
SCREENS = (
    InstallerScreen(
        "開啟檔案 - 安全性警告", "您要執行這個檔案嗎？ 名稱：TPCD_SecurityAgent_Setup.exe 發行者：臺北市政府", "執行"
    ),
    InstallerScreen("安全性警告", "安裝程式將安裝安控元件並啟動本機服務，請確認是否繼續。", "確認"),
    InstallerScreen("使用者帳戶控制", "您要允許此 App 變更您的裝置嗎？ 已驗證的發行者：臺北市政府", "是"),
    InstallerScreen("安控元件 安裝精靈", "歡迎使用安控元件安裝精靈。請按「下一步」繼續。", "下一步"),
    InstallerScreen(
        "授權協議", "使用本元件即表示您同意僅於臺北卡相關服務使用，並同意元件讀取您的自然人憑證。", "下一步", True
    ),
    InstallerScreen("選擇安裝位置", f"安裝資料夾：{INSTALL_FOLDER}", "安裝"),
    InstallerScreen("安裝完成", "安控元件已安裝完成。", "完成"),
)


def _free_port(host: str) -> int:
    """A port for the agent that stays the same across its restarts (the portal is configured with the URL)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class Desktop:
    """The agent's install state, its process (an HTTP listener) and the tray."""

    def __init__(
        self,
        agent: SecurityAgent,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        loading_seconds: float = 1.5,
        refresh_seconds: float = 0.2,
        card: CardClient | None = None,
    ) -> None:
        self.agent, self.host, self.loading_seconds = agent, host, loading_seconds
        self.refresh_seconds = refresh_seconds  # how often the tray's window asks for the state
        self.port = port or _free_port(host)
        self.agent_url = f"http://{host}:{self.port}"  # where it listens (a browser may reach it on its public port)
        self.lock = threading.Lock()
        self._process: RunningServer | None = None  # the running agent: its HTTP listener
        self._crashed: RunningServer | None = None  # a process that died, still to be waited for
        self._timer: threading.Timer | None = None
        self.installed, self.starting, self.step = False, False, -1
        self.card = card  # the virtual card in the reader this agent reads, when it is ours to control
        self.reset()

    @property
    def tray(self) -> TrayState:
        with self.lock:
            if not self.installed:
                return TrayState.INSTALLING if self.step >= 0 else TrayState.NOT_INSTALLED
            if self.starting:
                return TrayState.LOADING
            if self._process is None:
                return TrayState.STOPPED
        return TrayState.GOING if self.agent.going else TrayState.READY

    def reset(self) -> None:
        """A scenario's default machine: the agent installed and Ready, nothing extra trusted."""
        self.agent.reset()
        self.install_now()

    def install_now(self) -> None:
        """Installed and running at once, without the wizard or the Loading pause."""
        self._cancel_timer()
        with self.lock:
            self.installed, self.starting, self.step = True, False, -1
        self._start_process()

    def uninstall(self) -> None:
        """Not installed: the port closed."""
        self._cancel_timer()
        self._stop_process()
        with self.lock:
            self.installed, self.starting, self.step = False, False, -1

    def crash(self) -> None:
        """The agent process dies mid-request: its port closes at once and every open connection drops unanswered."""
        with self.lock:
            process, self._process = self._process, None
            if process is None:
                return
            self._crashed = process
        process.kill()  # returns at once: this runs inside one of the process's own requests

    def restart(self) -> None:
        """Start the agent again (as a person does from the Start menu): Loading, then Ready."""
        self._begin_loading()

    def press(self, step: int, button: str, accepted: bool) -> str:
        """A button on installer screen `step`; returns the error to show, or ""."""
        with self.lock:
            if self.installed or step != self.step:
                return "安裝精靈已結束或已前進到其他畫面，請重新開啟安裝檔。"
            screen = SCREENS[step]
            if button == "取消":
                self.step = -1
                return ""
            if button != screen.button:
                return f"請按「{screen.button}」繼續。"
            if screen.needs_acceptance and not accepted:
                return "若您接受授權協議，請先選擇「我接受」。"
            self.step += 1
            finished = self.step == len(SCREENS)
            if finished:
                self.installed, self.step = True, -1
        if finished:
            self._begin_loading()
        return ""

    def open_installer(self) -> None:
        """Double-click on the downloaded setup file (documented step 11)."""
        with self.lock:
            if not self.installed and self.step < 0:
                self.step = 0

    def _begin_loading(self) -> None:
        self._cancel_timer()
        if self.loading_seconds <= 0:  # a start-up that takes no time: Ready at once, never Loading
            self._start_process()
            return
        with self.lock:
            self.starting = True
        self._timer = threading.Timer(self.loading_seconds, self._finish_loading)  # the service's own start-up time
        self._timer.daemon = True
        self._timer.start()

    def _finish_loading(self) -> None:
        self._start_process()
        with self.lock:
            self.starting = False

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def agent_app(self) -> ASGIApp:
        """What the agent process serves: its local HTTP API."""
        return create_app(self.agent, on_crash=self.crash)

    def _start_process(self) -> None:
        with self.lock:
            if self._process is not None:
                return
            if self._crashed is not None:  # its port closed when it died; let its thread end first
                self._crashed.join()
                self._crashed = None
            self._process = RunningServer(self.agent_app(), name="agent", host=self.host, port=self.port, timeout=10.0)

    def _stop_process(self) -> None:
        with self.lock:
            stopping = [p for p in (self._process, self._crashed) if p is not None]
            self._process = self._crashed = None
        for process in stopping:
            process.stop()

    def close(self) -> None:
        """Stop everything (the stack's teardown)."""
        self._cancel_timer()
        self._stop_process()

    def state(self) -> dict[str, Any]:
        """The tray, the installer and the agent as the control surface shows them."""
        desktop = {"tray": self.tray.value, "installed": self.installed, "agent_url": self.agent_url}
        return {**desktop, "installer_step": self.step, **self.agent.state()}


def _page(title: str, body: str, *, refresh: float | None = None) -> HTMLResponse:
    """A window of the citizen's computer; with `refresh` (seconds), one that asks for the tray's state that often."""
    script = ""
    if refresh is not None:
        script = (
            "<script>setInterval(function(){fetch('/tray/state').then(function(r){return r.json();})"
            ".then(function(s){document.getElementById('tray').textContent=s.tray;});},"
            f"{round(refresh * 1000)});</script>"
        )
    return HTMLResponse(
        f"<!doctype html><html lang='zh-Hant-TW'><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<body style='font-family:sans-serif;max-width:36rem;margin:2rem auto'><h1>{html.escape(title)}</h1>"
        f"{body}{script}</body></html>"
    )


def create_desktop_app(desktop: Desktop) -> FastAPI:
    """Installer pages, the tray page, and the agent's control surface."""
    app = FastAPI(title="安控元件 desktop (installer and tray)", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.desktop = desktop
    app.include_router(control_router(desktop.agent.faults, desktop.state, desktop.reset))
    app.add_middleware(SameSiteGate, host_checked=("/",))  # every page: Host checked as the agent's (DNS rebinding)

    @app.get("/installer", response_class=HTMLResponse)
    def installer(error: str = "") -> Response:
        desktop.open_installer()
        if desktop.installed:
            return _page("安控元件", "<p role='status'>安控元件已安裝。</p>")
        if desktop.step < 0:
            return _page("安控元件", "<p role='status'>安裝已取消。</p>")
        screen = SCREENS[desktop.step]
        alert = f"<p role='alert' style='color:#b00'>{html.escape(error)}</p>" if error else ""
        acceptance = (
            "<p><label><input type='radio' name='accepted' value='yes'> 我接受</label> "
            "<label><input type='radio' name='accepted' value='no' checked> 我不接受</label></p>"
            if screen.needs_acceptance
            else ""
        )
        cancel = "<button name='button' value='取消'>取消</button>" if desktop.step < 3 else ""
        return _page(
            screen.title,
            f"{alert}<p>{html.escape(screen.text)}</p><form method='post' action='/installer/{desktop.step}'>"
            f"{acceptance}<button name='button' value='{screen.button}'>{screen.button}</button> {cancel}</form>",
        )

    @app.post("/installer/{step}")
    def press(step: int, button: Annotated[str, Form()], accepted: Annotated[str, Form()] = "") -> Response:
        error = desktop.press(step, button, accepted == "yes")
        if button == "取消" and not error:
            return _page("安控元件", "<p role='status'>安裝已取消。</p>")
        if not error and desktop.installed:
            return RedirectResponse("/tray", status_code=303)
        return RedirectResponse(f"/installer?error={error}" if error else "/installer", status_code=303)

    @app.get("/tray", response_class=HTMLResponse)
    def tray() -> HTMLResponse:
        return _page(
            "安控元件",
            f"<p>狀態：<span id='tray' role='status'>{desktop.tray.value}</span></p>",
            refresh=desktop.refresh_seconds,
        )

    @app.get("/tray/state")
    def tray_state() -> dict[str, str]:
        return {"tray": desktop.tray.value}

    @app.post("/_control/uninstall")
    def uninstall() -> dict[str, str]:
        desktop.uninstall()
        return {"tray": desktop.tray.value}

    @app.post("/_control/restart")
    def restart() -> dict[str, str]:
        desktop.restart()
        return {"tray": desktop.tray.value}

    @app.post("/_control/distrust")
    def distrust(domain: Annotated[str, Form()]) -> dict[str, list[str]]:
        try:
            desktop.agent.distrust(domain)
        except LookupError as error:
            raise HTTPException(status_code=404, detail=str(error)) from error
        return {"trusted": desktop.agent.trusted_sites()}

    if desktop.card is not None:
        app.include_router(card_router(desktop.card))

    return app
