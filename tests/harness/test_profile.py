"""The portal profile: the twin's by default, another by TPCD_PORTAL_PROFILE, and a bad one refused in one line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.profile import TWIN_PROFILE, ProfileError, load_profile, profile_of
from harness.settings import SettingsError, load_settings

PROFILE = """
home = "/tpcd/"
netizen_callback = "/tpcd/oauth/netizen"

[links]
login = "會員登入"
member_home = "我的專區"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "portal.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_twin_s_profile_is_the_default_and_names_the_twin_s_own_pages(tmp_path: Path) -> None:
    profile = profile_of(load_settings(root=tmp_path, environ={}))
    assert profile.source == TWIN_PROFILE
    assert profile.home_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000/"
    assert profile.netizen_callback_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000/register/netizen/callback"
    assert (profile.links.login, profile.links.member_home) == ("登入", "會員專區")


def test_a_deployment_s_profile_is_chosen_by_the_environment_relative_to_the_project(tmp_path: Path) -> None:
    _write(tmp_path, PROFILE)
    settings = load_settings(root=tmp_path, environ={"TPCD_PORTAL_PROFILE": "portal.toml"})
    profile = profile_of(settings)
    assert profile.home_url("https://stage.example") == "https://stage.example/tpcd/"
    assert profile.netizen_callback_url("https://stage.example") == "https://stage.example/tpcd/oauth/netizen"
    assert profile.links.login == "會員登入"


def test_paths_stay_under_a_base_url_that_has_a_path_of_its_own() -> None:
    profile = load_profile()
    assert profile.home_url("https://stage.example/tpcd") == "https://stage.example/tpcd/"
    assert profile.url("https://stage.example/tpcd/", "/x") == "https://stage.example/tpcd/x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (PROFILE.replace('home = "/tpcd/"', 'home = "tpcd"'), "home='tpcd' must be a path under the base URL"),
        (PROFILE.replace('home = "/tpcd/"', 'home = "https://x/"'), "home='https://x/' must be a path"),
        (PROFILE.replace('home = "/tpcd/"', 'home = "/?lang=zh"'), "must be a path under the base URL"),
        (PROFILE.replace('home = "/tpcd/"', ""), "home must be given as non-empty text"),
        (PROFILE.replace('login = "會員登入"', 'login = ""'), "links.login must be given as non-empty text"),
        (PROFILE + 'logout = "登出"\n', "unknown key links.logout; known: login, member_home"),
        ('homepage = "/"\n' + PROFILE, "unknown key homepage; known: home, netizen_callback"),
        (PROFILE.split("[links]")[0], r"needs a \[links\] table \(login, member_home\)"),
        ("home = ", "is not valid TOML"),
    ],
    # Plain ids: allure-pytest decodes a test's id with unicode-escape, and the regex's `\[` warns there (an error).
    ids=[
        "relative home",
        "home a URL",
        "home a query",
        "no home",
        "empty link",
        "unknown link",
        "unknown key",
        "no links",
        "not TOML",
    ],
)
def test_a_bad_profile_is_refused_in_one_line_naming_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ProfileError, match=message) as refused:
        load_profile(path)
    assert str(path) in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_missing_profile_is_a_settings_error_naming_it(tmp_path: Path) -> None:
    settings = load_settings(root=tmp_path, environ={"TPCD_PORTAL_PROFILE": "nowhere.toml"})
    with pytest.raises(SettingsError, match=re.escape(f"portal profile {tmp_path / 'nowhere.toml'}: cannot be read")):
        profile_of(settings)
