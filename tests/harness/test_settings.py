"""Settings layers: defaults < [tool.tpcd] < TPCD_* < CLI, and a clear error for each bad value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.cli import SETTING_NAMES
from harness.settings import (
    ENV_PREFIX,
    OTHER_VARIABLES,
    SettingsError,
    find_project_root,
    load_settings,
    writable_folder,
)


def _project(tmp_path: Path, table: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[tool.tpcd]\n{table}\n", encoding="utf-8")
    return tmp_path


def test_defaults_when_nothing_is_set(tmp_path: Path) -> None:
    settings = load_settings(root=_project(tmp_path, ""), environ={})
    assert settings.embedded
    assert settings.listen == "127.0.0.1"
    assert settings.portal_port == 0
    assert settings.allure_results == tmp_path / "reports" / "allure-results"


def test_each_layer_overrides_the_one_before(tmp_path: Path) -> None:
    root = _project(tmp_path, 'seed = 1\nlocale = "zh-TW"\nheadless = true')
    assert load_settings(root=root, environ={}).seed == 1
    assert load_settings(root=root, environ={"TPCD_SEED": "2"}).seed == 2
    assert load_settings({"seed": 3}, root=root, environ={"TPCD_SEED": "2"}).seed == 3
    assert load_settings({"seed": None}, root=root, environ={"TPCD_SEED": "2"}).seed == 2
    assert load_settings(root=root, environ={"TPCD_HEADLESS": "off"}).headless is False


def test_base_url_switches_off_the_embedded_twin(tmp_path: Path) -> None:
    settings = load_settings(root=_project(tmp_path, ""), environ={"TPCD_BASE_URL": "https://id.taipei"})
    assert not settings.embedded
    assert settings.base_url == "https://id.taipei"
    for origin in ("https://id.taipei/", "http://10.0.0.7:8080", "http://[::1]:8000/"):
        assert load_settings({"base_url": origin}, root=tmp_path, environ={}).base_url == origin


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", r"option --base-url: base_url is empty: leave it out to use the default"),
        ("   ", r"base_url is empty"),
        ("id.taipei", r"must start with http:// or https:// \(e.g. https://id.taipei\)"),
        ("ftp://id.taipei", r"must start with http:// or https:// \(not ftp://\)"),
        ("https://", r"names no host"),
        ("https://id.taipei/?lang=zh", r"has more than an origin and a path.*give https://id.taipei/$"),
        ("https://id.taipei/#top", r"has more than an origin"),
        ("https://qa:secret@id.taipei", r"holds credentials, which would land in every report: give https://id.taipei"),
        ("https://id.taipei:99999", r"is not a URL \(Port out of range"),
    ],
    ids=["empty", "blank", "no-scheme", "ftp", "no-host", "query", "fragment", "credentials", "bad-port"],
)
def test_odd_base_urls_are_refused_not_guessed(tmp_path: Path, url: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({"base_url": url}, root=_project(tmp_path, ""), environ={})


def test_a_base_url_with_a_path_is_where_the_portal_lives(tmp_path: Path) -> None:
    """Staging under a path (https://stage.example/tpcd/): the profile's paths are under it."""
    settings = load_settings({"base_url": "https://stage.example/tpcd/"}, root=_project(tmp_path, ""), environ={})
    assert settings.base_url == "https://stage.example/tpcd/"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"TPCD_BASEURL": "https://id.taipei"},
            r"TPCD_BASEURL is no setting of tpcd-harness: did you mean TPCD_BASE_URL\?",
        ),
        ({"TPCD_base_url": "https://id.taipei"}, r"did you mean TPCD_BASE_URL\?"),
        ({"TPCD_EXPECT_TIMOUT": "9"}, r"did you mean TPCD_EXPECT_TIMEOUT\?"),
        ({"TPCD_HOST": "0.0.0.0"}, r"TPCD_HOST is no setting of tpcd-harness: it was renamed TPCD_LISTEN"),
        (
            {"TPCD_XYZZY": "1"},
            r"TPCD_XYZZY is no setting of tpcd-harness: known: TPCD_A11Y, .*TPCD_ADVERTISE, .*TPCD_USER_AGENT",
        ),
    ],
    ids=["misspelt", "lower-case", "typo", "renamed", "unlike-any"],
)
def test_unknown_tpcd_variables_are_refused_with_what_was_meant(
    tmp_path: Path, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(root=_project(tmp_path, ""), environ=environ)


def test_a_misspelt_pyproject_key_is_named_with_the_likely_one(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"unknown key 'reports-dri'; did you mean reports_dir\?"):
        load_settings(root=_project(tmp_path, 'reports-dri = "out"'), environ={})


def test_every_tpcd_variable_the_code_base_names_is_a_setting_or_declared() -> None:
    # The harness hands its children settings only (`tpcd run`: TPCD_<NAME>); any other TPCD_* it names must be
    # declared in OTHER_VARIABLES, or a run would refuse it as a misspelt setting.
    root = Path(__file__).resolve().parents[2]
    known = {ENV_PREFIX + name.upper() for name in SETTING_NAMES} | OTHER_VARIABLES
    named: set[str] = set()
    for folder in ("harness", "simulators", "portal", "pages", "steps", "bench", "tests", ".github", ".ci"):
        for path in (root / folder).rglob("*"):
            if path.is_file() and path.suffix in {".py", ".yml", ".sh", ""}:
                named |= set(re.findall(r"\bTPCD_[A-Z][A-Z_]*[A-Z]\b", path.read_text(errors="replace")))
    named |= set(re.findall(r"\bTPCD_[A-Z][A-Z_]*[A-Z]\b", (root / "Makefile").read_text()))
    examples = {"TPCD_BASEURL", "TPCD_EXPECT_TIMOUT", "TPCD_HOST", "TPCD_XYZZY", "TPCD_FOO"}  # refused on purpose
    assert named - known - examples - {"TPCD_SecurityAgent_Setup"} == set()


@pytest.mark.parametrize(
    ("table", "environ", "message"),
    [
        ("colour = 1", {}, r"unknown key 'colour'"),
        ('seed = "many"', {}, r"\[tool.tpcd\].*seed='many' is not an integer"),
        ("", {"TPCD_SEED": "abc"}, r"environment variable TPCD_SEED: seed='abc' is not an integer"),
        ("", {"TPCD_HEADLESS": "perhaps"}, r"TPCD_HEADLESS: headless='perhaps' is not true or false"),
        ("", {"TPCD_BASE_URL": "id.taipei"}, r"must start with http:// or https://"),
    ],
    ids=["unknown-key", "pyproject-not-int", "env-not-int", "env-not-bool", "url-without-scheme"],
)
def test_bad_values_are_named_with_their_source(
    tmp_path: Path, table: str, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(root=_project(tmp_path, table), environ=environ)


def test_broken_pyproject_is_reported_as_such(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.tpcd\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="is not valid TOML"):
        load_settings(root=tmp_path, environ={})


def test_project_root_is_found_from_a_subdirectory(tmp_path: Path) -> None:
    root = _project(tmp_path, "")
    (root / "a" / "b").mkdir(parents=True)
    assert find_project_root(root / "a" / "b") == root.resolve()


def test_ports_come_from_a_table_the_environment_or_repeated_options(tmp_path: Path) -> None:
    root = _project(tmp_path, "[tool.tpcd.ports]\nsms = 8001\nocsp = 8002")
    assert load_settings(root=root, environ={}).ports == {"sms": 8001, "ocsp": 8002}
    assert load_settings(root=root, environ={"TPCD_PORTS": "captcha=8003"}).ports == {"captcha": 8003}
    settings = load_settings({"ports": ["sms=9001", "portal=9000"]}, root=root, environ={})
    assert (settings.port_of("sms"), settings.port_of("portal"), settings.port_of("netizen")) == (9001, 9000, 0)


@pytest.mark.parametrize(
    ("cli", "environ", "message"),
    [
        ({}, {"TPCD_PORTS": "sms:8001"}, r"TPCD_PORTS: ports='sms:8001' is not NAME=PORT pairs"),
        ({}, {"TPCD_PORTS": "sms=8001.5"}, r"port of 'sms'='8001.5' is not an integer"),
        ({}, {"TPCD_PORTAL_PORT": "1.5"}, r"TPCD_PORTAL_PORT: portal_port='1.5' is not an integer"),
        ({}, {"TPCD_SEED": "1e3"}, r"seed='1e3' is not an integer"),
        ({}, {"TPCD_READY_TIMEOUT": "-1"}, r"ready_timeout='-1' must be a number of seconds more than 0"),
        ({}, {"TPCD_READY_TIMEOUT": "0"}, r"ready_timeout='0' must be a number of seconds more than 0"),
        ({}, {"TPCD_EXPECT_TIMEOUT": "nan"}, r"expect_timeout='nan' must be a number of seconds more than 0"),
        ({}, {"TPCD_EXPECT_TIMEOUT": "inf"}, r"expect_timeout='inf' must be a number of seconds"),
        (
            {},
            {"TPCD_LISTEN": "0.0.0.0"},
            r"TPCD_LISTEN: listen='0.0.0.0' would bind the simulators beyond loopback; only `tpcd up --listen 0.0.0.0`",
        ),
        ({}, {"TPCD_LISTEN": "10.0.0.5"}, r"would bind the simulators beyond loopback"),
        ({"db_path": "."}, {}, r"db_path .* is a folder: give the twin's database file, e.g. .*portal.sqlite3"),
        ({"db_path": "no/such/folder/portal.sqlite3"}, {}, r"its folder .*no/such/folder does not exist: create it"),
        ({"ports": ["sms=99999"]}, {}, r"port of 'sms'=99999 is not between 0 and 65535"),
        ({"listen": "0.0.0.0"}, {}, r"listen 0.0.0.0 binds every interface: give advertise"),
        ({"stack": "stack.json"}, {}, r"needs base_url \(--base-url\)"),
        ({"portal_config": "yaml"}, {}, r"portal_config 'yaml' must be one of dotenv, json"),
    ],
    ids=[
        "ports-not-pairs",
        "port-a-float",
        "int-a-float",
        "int-in-e-notation",
        "timeout-negative",
        "timeout-zero",
        "timeout-nan",
        "timeout-endless",
        "listen-everywhere-from-env",
        "listen-beyond-loopback-from-env",
        "db-path-a-folder",
        "db-path-folder-missing",
        "port-out-of-range",
        "listen-everywhere",
        "stack-without-portal",
        "config-format",
    ],
)
def test_combinations_that_cannot_work_are_refused(
    tmp_path: Path, cli: dict[str, object], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(cli, root=_project(tmp_path, ""), environ=environ)


def test_toml_floats_are_not_cut_into_integers(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"portal_port=8000.0 is not an integer"):
        load_settings(root=_project(tmp_path, "portal_port = 8000.0"), environ={})
    with pytest.raises(SettingsError, match=r"port of 'sms'=8001.5 is not an integer"):
        load_settings(root=_project(tmp_path, "[tool.tpcd.ports]\nsms = 8001.5"), environ={})
    assert load_settings(root=_project(tmp_path, "ready_timeout = 3"), environ={}).ready_timeout == 3.0


def test_loopback_may_be_set_anywhere_and_beyond_it_only_on_the_command_line(tmp_path: Path) -> None:
    assert load_settings(root=_project(tmp_path, ""), environ={"TPCD_LISTEN": "127.0.0.2"}).listen == "127.0.0.2"
    with pytest.raises(SettingsError, match=r"\[tool.tpcd\] in .*: listen='0.0.0.0' would bind"):
        load_settings(root=_project(tmp_path, 'listen = "0.0.0.0"\nadvertise = "x"'), environ={})
    from_cli = load_settings({"listen": "10.0.0.5"}, root=_project(tmp_path, ""), environ={"TPCD_LISTEN": "0.0.0.0"})
    assert from_cli.listen == "10.0.0.5"  # the command line wins, and only `tpcd up` has --listen


def test_a_reports_folder_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    settings = load_settings(
        {"reports_dir": str(tmp_path / "a-file" / "reports")}, root=_project(tmp_path, ""), environ={}
    )
    with pytest.raises(SettingsError, match=r"reports_dir .*a-file/reports cannot be written \(Not a directory\)"):
        writable_folder(settings, "reports_dir")
    fine = load_settings({"reports_dir": str(tmp_path / "new" / "reports")}, root=tmp_path, environ={})
    assert writable_folder(fine, "reports_dir").is_dir()


def test_the_advertised_host_defaults_to_where_the_stack_listens(tmp_path: Path) -> None:
    root = _project(tmp_path, "")
    assert load_settings({"listen": "10.0.0.5"}, root=root, environ={}).advertised_host == "10.0.0.5"
    everywhere = load_settings({"listen": "0.0.0.0", "advertise": "stack.example.test"}, root=root, environ={})
    assert everywhere.advertised_host == "stack.example.test"


def test_page_assertions_wait_longer_for_a_deployment(tmp_path: Path) -> None:
    root = _project(tmp_path, "")
    assert load_settings(root=root, environ={}).page_timeout == 5.0
    assert load_settings({"base_url": "https://portal.example.test"}, root=root, environ={}).page_timeout == 15.0
    assert load_settings(root=root, environ={"TPCD_EXPECT_TIMEOUT": "8"}).page_timeout == 8.0
