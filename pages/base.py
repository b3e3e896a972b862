"""The base screen: a page object proves which screen it is and presses controls by their accessible names."""

from __future__ import annotations

from typing import ClassVar, Self, TypeVar
from weakref import WeakKeyDictionary

from playwright.sync_api import Locator, Page, Route, expect

# The first background an element or its ancestors paint (a transparent button shows its container's).
PAINTED_BACKGROUND = """element => {
  for (let node = element; node; node = node.parentElement) {
    const colour = getComputedStyle(node).backgroundColor;
    if (colour && colour !== "transparent" && !/^rgba\\(.*[,\\/]\\s*0\\)$/.test(colour)) { return colour; }
  }
  return "rgb(255, 255, 255)";
}"""


S = TypeVar("S", bound="Screen")
_HISTORY: WeakKeyDictionary[Page, dict[str, str]] = WeakKeyDictionary()


def history(page: Page) -> dict[str, str]:
    """The screens this browser window was shown, by title → the address it showed each at (its history, as someone
    who copies the browser's session off the computer reads it too)."""
    return _HISTORY.setdefault(page, {})


class Screen:
    """A portal screen, recognised by its level-1 heading (the documented page name). No screen has an address of
    its own here: the citizen reaches each from the portal's home by the guide's links and buttons."""

    TITLE: ClassVar[str]

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", level=1, name=self.TITLE, exact=True)
        self.alert = page.get_by_role("alert")
        self.status = page.get_by_label("會員狀態")  # top left: 未實名 / 已實名 once logged in

    def __repr__(self) -> str:
        return f"{type(self).__name__}「{self.TITLE}」"

    def expect_shown(self) -> Self:
        """Wait until this screen is the one shown; fail with the heading that was expected."""
        expect(self.heading, f"expected the 「{self.TITLE}」 screen").to_be_visible()
        history(self.page)[self.TITLE] = self.page.url
        return self

    def message(self, text: str) -> Locator:
        """An error (role alert) or notice (role status) on this screen that contains `text`."""
        return self.page.get_by_role("alert").or_(self.page.get_by_role("status")).filter(has_text=text)

    @classmethod
    def revisit(cls, page: Page) -> Self:
        """Open this screen again at the address this window was shown it at (from the browser's history)."""
        shown = history(page).get(cls.TITLE)
        if shown is None:
            raise LookupError(f"「{cls.TITLE}」 was never shown in this window: reach it from the home page first")
        page.goto(shown)
        return cls(page).expect_shown()

    def reload(self) -> Self:
        """Press F5 in this screen's window (brought to the front, as the citizen looks at it) and wait for it again."""
        self.page.bring_to_front()
        self.page.reload()
        return self.expect_shown()

    def reopen_as(self, user_agent: str) -> Self:
        """Open this screen again as another browser on another system would: `user_agent` on every request."""

        def as_other_browser(route: Route) -> None:
            route.continue_(headers={**route.request.headers, "user-agent": user_agent})

        self.page.route("**/*", as_other_browser)
        return self.reload()

    def text(self, text: str) -> Locator:
        """Text shown on this screen exactly as written (a notice such as step 10's)."""
        return self.page.get_by_text(text, exact=True)

    def field(self, label: str) -> Locator:
        """The form field whose label is exactly `label`."""
        return self.page.get_by_label(label, exact=True)

    def enter_secret(self, field: Locator, secret: str) -> None:
        """Type a PIN or password into `field`, which must mask it (type=password): a field that shows it would put
        it in every screenshot and video of the scenario, where no scrubber reaches."""
        expect(field, "a PIN or password field must mask what is typed (type=password)").to_have_attribute(
            "type", "password"
        )
        field.fill(secret)

    def control(self, label: str) -> Locator:
        """The button (or link styled as one) whose accessible name is exactly `label`."""
        return self.page.get_by_role("button", name=label, exact=True)

    def colour_of(self, label: str) -> str:
        """The computed background colour of the control `label` (`rgb(…)`), or of the nearest element behind it
        that paints one: what the citizen sees as the button's colour."""
        return str(self.control(label).evaluate(PAINTED_BACKGROUND))

    def press(self, label: str) -> None:
        """Click the documented control `label`, e.g. 「申請臺北卡」 or 「下一步」."""
        self.control(label).click()

    def follow(self, link: str, screen: type[S]) -> S:
        """Click the link worded `link` (a site's navigation may repeat it: any one leads there) and wait for
        `screen`."""
        self.page.get_by_role("link", name=link, exact=True).first.click()
        return screen(self.page).expect_shown()
