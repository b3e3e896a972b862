"""A PIN or password goes only into a field that masks it, so no screenshot or video frame can show it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from pages.base import Screen

FORM = """<h1>表單</h1>
<label>PIN <input name="pin" autocomplete="off"></label>
<label>密碼 <input name="password" type="password"></label>"""


class Form(Screen):
    """A screen with one plain and one masked field."""

    TITLE = "表單"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    tab = browser.new_page()  # pytest-playwright's browser: one Playwright per process (its sync API nests none)
    try:
        tab.set_content(FORM)
        yield tab
    finally:
        tab.close()


def test_a_secret_is_typed_into_a_password_field(page: Page) -> None:
    Form(page).enter_secret(page.get_by_label("密碼"), "NB8ttqmT5mJs")
    assert page.get_by_label("密碼").input_value() == "NB8ttqmT5mJs"


def test_a_field_that_would_show_the_secret_is_refused_before_anything_is_typed(page: Page) -> None:
    field = page.get_by_label("PIN")
    with pytest.raises(AssertionError, match=r"type=password"):
        Form(page).enter_secret(field, "94477847")
    assert field.input_value() == ""
