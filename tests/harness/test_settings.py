"""Settings layers: defaults < [tool.tpcd] < TPCD_* < CLI, and a clear error for each bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.settings import SettingsError, find_project_root, load_settings


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
    settings = load_settings(root=_project(tmp_path, ""), environ={"TPCD_BASE_URL": "https://id.taipei/tpcd"})
    assert not settings.embedded
    assert settings.base_url == "https://id.taipei/tpcd"


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
        ({"ports": ["sms=99999"]}, {}, r"port of 'sms'=99999 is not between 0 and 65535"),
        ({"listen": "0.0.0.0"}, {}, r"listen 0.0.0.0 binds every interface: give advertise"),
        ({"stack": "stack.json"}, {}, r"needs base_url \(--base-url\)"),
        ({"portal_config": "yaml"}, {}, r"portal_config 'yaml' must be one of dotenv, json"),
    ],
    ids=["ports-not-pairs", "port-out-of-range", "listen-everywhere", "stack-without-portal", "config-format"],
)
def test_combinations_that_cannot_work_are_refused(
    tmp_path: Path, cli: dict[str, object], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(cli, root=_project(tmp_path, ""), environ=environ)


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
