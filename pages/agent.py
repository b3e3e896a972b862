"""The agent's local screens on the citizen's computer: its installer wizard and the tray icon."""

from __future__ import annotations

from playwright.sync_api import Page, expect


class InstallerWizard:
    """The 安控元件 setup program, one screen after another (documented steps 11–16)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", level=1)

    @classmethod
    def run(cls, beside: Page, url: str) -> InstallerWizard:
        """Open the downloaded setup file (step 11) in a window of the citizen's browser: first, a security warning."""
        page = beside.context.new_page()
        page.goto(url)
        return cls(page)

    def expect_screen(self, title: str) -> InstallerWizard:
        """Wait for the screen titled `title`."""
        expect(self.heading).to_have_text(title)
        return self

    def press(self, label: str) -> None:
        """Press the screen's button `label` ([執行], [下一步], [安裝] …)."""
        self.page.get_by_role("button", name=label, exact=True).click()

    def press_in_turn(self, labels: list[str]) -> None:
        """Press each button as it comes up, e.g. the security warnings' [執行], [確認], [是] (steps 11–13)."""
        for label in labels:
            self.press(label)

    def accept_licence(self) -> None:
        """Choose [我接受] on the licence screen."""
        self.page.get_by_role("radio", name="我接受").check()


class TrayIcon:
    """The agent's icon at the bottom right, showing Loading, Ready or Going."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.state = page.get_by_role("status")

    @classmethod
    def look(cls, beside: Page, url: str) -> TrayIcon:
        """The tray's status in a window of the citizen's browser: the one already showing it (the installer's, once
        [完成] was pressed), or a new one."""
        showing = [page for page in beside.context.pages if page.url == url]
        if showing:
            return cls(showing[-1])
        page = beside.context.new_page()
        page.goto(url)
        return cls(page)

    def expect_state(self, state: str, timeout: float = 15000) -> None:
        """Wait until the icon says `state`: the tray is another program, polling the 安控元件 on its own, and on a busy
        machine the page's call that turns it Going comes seconds after the page itself (within the suite's Going)."""
        expect(self.state).to_have_text(state, timeout=timeout)
