"""A citizen without a mouse: Tab and Shift-Tab to a control, Enter or Space to use it, typing into fields, the arrow
keys inside a radio group; at every control reached, the focus must be visible (WCAG 2.1.1 and 2.4.7)."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from domain.citizen import Channel, CitizenProfile
from pages.apply import MemberRegistrationPage
from pages.register import BasicDataPage, SetPasswordPage, VerifyContactPage

MOST_TABS = 60  # more presses than any screen of steps 1–9 has controls: a control never reached is not reachable
# A date field's segments follow the browser's own locale, not the page's: Debian's Chromium shows month/day/year
# (whatever the context's locale), each segment moving on by itself once full, so the digits go in that order.
DATE_KEYS = "%m%d%Y"
# Whether the focused element is where Tab put it, shows it (:focus-visible) and paints a ring: an outline or a shadow.
FOCUS_SHOWN = """element => {
  if (element !== document.activeElement) { return "not focused"; }
  if (!element.matches(":focus-visible")) { return "focused, but not :focus-visible"; }
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  if (outline || style.boxShadow !== "none") { return ""; }
  return "focused without any outline or shadow to show it";
}"""
# Whether `target` comes after the focused element in the document: Tab goes forward to it, Shift-Tab back.
AHEAD = """target => {
  const here = document.activeElement;
  if (!here || here === document.body) { return true; }
  return Boolean(here.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_FOLLOWING);
}"""


class Keyboard:
    """The keys a keyboard-only citizen presses on `page`."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def reach(self, control: Locator) -> None:
        """Tab (or Shift-Tab, when it lies behind) until `control` has the focus, and see that the focus shows there;
        fail when MOST_TABS presses never reach it."""
        expect(control).to_be_visible()
        key = "Tab" if control.evaluate(AHEAD) else "Shift+Tab"
        for _ in range(MOST_TABS):
            if control.evaluate("element => element === document.activeElement"):
                break
            self.page.keyboard.press(key)
        else:
            raise AssertionError(f"{MOST_TABS} presses of {key} never reached {control}: it cannot be used by keyboard")
        problem = control.evaluate(FOCUS_SHOWN)
        assert not problem, f"{control}: {problem} (WCAG 2.4.7: the keyboard's focus must be visible)"

    def activate(self, control: Locator) -> None:
        """Reach a button or link and press Enter."""
        self.reach(control)
        self.page.keyboard.press("Enter")

    def tick(self, box: Locator) -> None:
        """Reach a check box or radio button and press Space; it must then be checked."""
        self.reach(box)
        self.page.keyboard.press("Space")
        expect(box).to_be_checked()

    def choose(self, group: list[Locator], wanted: Locator) -> None:
        """In a radio group Tab stops once: reach its first button, then ArrowDown until `wanted` is checked."""
        self.tick(group[0])
        for _ in range(len(group)):
            if wanted.is_checked():
                return
            self.page.keyboard.press("ArrowDown")
        expect(wanted).to_be_checked()

    def type_into(self, field: Locator, text: str) -> None:
        """Reach a field and type `text`, key by key."""
        self.reach(field)
        self.page.keyboard.type(text)
        expect(field).not_to_have_value("")

    def type_secret(self, field: Locator, secret: str) -> None:
        """Type a password into a field that masks it (as Screen.enter_secret demands)."""
        expect(field, "a password field must mask what is typed (type=password)").to_have_attribute("type", "password")
        self.reach(field)
        self.page.keyboard.type(secret)


def agree(screen: MemberRegistrationPage) -> None:
    """Step 3: tick the consent box with Space."""
    Keyboard(screen.page).tick(screen.consent)


def send_code(screen: VerifyContactPage, channel: Channel, address: str) -> None:
    """Step 4: type the address, go back (Shift-Tab) to choose the channel, then on to 藍色[寄送驗證碼簡訊]."""
    keys = Keyboard(screen.page)
    keys.type_into(screen.addresses[channel], address)
    keys.choose(list(screen.channels.values()), screen.channels[channel])
    keys.activate(screen.send)


def enter_code(screen: VerifyContactPage, code: str) -> None:
    """Step 6: type the one-time code."""
    Keyboard(screen.page).type_into(screen.code, code)


def tick_captcha(screen: VerifyContactPage) -> None:
    """Step 6: tick 「我不是機器人」 with Space and wait for the widget's answer."""
    Keyboard(screen.page).tick(screen.captcha)
    expect(screen.captcha_status).not_to_have_text("驗證中…")


def fill_basic_data(screen: BasicDataPage, citizen: CitizenProfile) -> None:
    """Step 7: each field typed in turn, the date as the browser's date field takes its digits (DATE_KEYS)."""
    keys = Keyboard(screen.page)
    keys.type_into(screen.name, citizen.name)
    keys.type_into(screen.id_number, citizen.id_number)
    keys.reach(screen.birth_date)
    screen.page.keyboard.type(citizen.birth_date.strftime(DATE_KEYS))
    expect(screen.birth_date, f"the date typed as {DATE_KEYS}").to_have_value(citizen.birth_date.isoformat())
    sexes = [screen.page.get_by_role("radio", name=name, exact=True) for name in ("男", "女")]
    keys.choose(sexes, screen.page.get_by_role("radio", name=citizen.sex.value, exact=True))
    keys.type_into(screen.address, citizen.address)


def set_password(screen: SetPasswordPage, password: str) -> None:
    """Step 8: the password typed twice."""
    keys = Keyboard(screen.page)
    keys.type_secret(screen.password, password)
    keys.type_secret(screen.confirm, password)
