"""Every kind of setting (boolean, integer, duration, path, text, URL, list, port table) parsed the same from each
source: the environment, [tool.tpcd] in pyproject.toml and the command line; each bad value refused in one line that
names the setting and where it came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.settings import Settings, SettingsError, load_settings

EXPECTED = {
    "headless": False,
    "seed": 42,
    "ready_timeout": 2.5,
    "agent_loading_seconds": 0.0,
    "reports_dir": Path("out/reports"),
    "locale": "en-US",
    "base_url": "https://stage.example/tpcd/",
    "stack_hosts": ("stack.example.test", "10.0.0.5"),
    "ports": {"sms": 8001, "portal": 8000},
}
TOML = """
headless = false
seed = 42
ready_timeout = 2.5
agent_loading_seconds = 0
reports_dir = "out/reports"
locale = "en-US"
base_url = "https://stage.example/tpcd/"
stack_hosts = ["stack.example.test", " 10.0.0.5 "]
[tool.tpcd.ports]
sms = 8001
portal = 8000
"""
ENVIRON = {
    "TPCD_HEADLESS": "off",
    "TPCD_SEED": " 42 ",
    "TPCD_READY_TIMEOUT": "2.5",
    "TPCD_AGENT_LOADING_SECONDS": "0",
    "TPCD_REPORTS_DIR": "out/reports",
    "TPCD_LOCALE": "en-US",
    "TPCD_BASE_URL": "https://stage.example/tpcd/",
    "TPCD_STACK_HOSTS": "stack.example.test, 10.0.0.5",
    "TPCD_PORTS": "sms=8001,portal=8000",
}
CLI = {
    "headless": "false",
    "seed": 42,
    "ready_timeout": "2.5",
    "agent_loading_seconds": 0,
    "reports_dir": "out/reports",
    "locale": "en-US",
    "base_url": "https://stage.example/tpcd/",
    "stack_hosts": ["stack.example.test", "10.0.0.5"],
    "ports": ["sms=8001", "portal=8000"],
}


def _project(tmp_path: Path, table: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[tool.tpcd]\n{table}\n", encoding="utf-8")
    return tmp_path


def _chosen(settings: Settings) -> dict[str, object]:
    return {name: getattr(settings, name) for name in EXPECTED}


def test_every_kind_of_setting_reads_the_same_from_each_source(tmp_path: Path) -> None:
    assert _chosen(load_settings(root=_project(tmp_path, TOML), environ={})) == EXPECTED
    assert _chosen(load_settings(root=_project(tmp_path, ""), environ=ENVIRON)) == EXPECTED
    assert _chosen(load_settings(CLI, root=_project(tmp_path, ""), environ={})) == EXPECTED


def test_a_path_is_expanded_and_the_defaults_hold_where_nothing_is_set(tmp_path: Path) -> None:
    settings = load_settings(root=_project(tmp_path, ""), environ={"TPCD_DB_PATH": "~/portal.sqlite3"})
    assert settings.db_path == Path("~/portal.sqlite3").expanduser()
    defaults = load_settings(root=tmp_path, environ={})
    assert (defaults.stack_hosts, defaults.ports, defaults.headless, defaults.seed) == ((), {}, True, None)


@pytest.mark.parametrize(
    ("table", "environ", "cli", "message"),
    [
        ("headless = 2", {}, {}, r"^\[tool.tpcd\] in .*pyproject.toml: headless=2 is not true or false$"),
        ("", {"TPCD_HEADLESS": "perhaps"}, {}, r"^environment variable TPCD_HEADLESS: headless='perhaps' is not true"),
        ("", {}, {"headless": "perhaps"}, r"^option --headless: headless='perhaps' is not true or false$"),
        ("seed = 1.0", {}, {}, r"seed=1.0 is not an integer$"),
        ("", {}, {"seed": 2.5}, r"^option --seed: seed=2.5 is not an integer$"),
        ("ready_timeout = true", {}, {}, r"ready_timeout=True is not a number$"),
        ("", {"TPCD_AGENT_TIMEOUT": "-0.5"}, {}, r"TPCD_AGENT_TIMEOUT: agent_timeout='-0.5' must be .* 0 or more$"),
        ("", {"TPCD_NONCE_LIFETIME": "soon"}, {}, r"nonce_lifetime='soon' is not a number$"),
        ("locale = 5", {}, {}, r"\[tool.tpcd\] in .*: locale=5 is not text$"),
        ("reports_dir = 5", {}, {}, r"reports_dir=5 is not a path$"),
        ("", {"TPCD_STACK_HOSTS": "ok.example, bad host"}, {}, r"TPCD_STACK_HOSTS: .*'bad host' is not a host name"),
        ('base_url = "ftp://x"', {}, {}, r"^\[tool.tpcd\] in .*: base_url 'ftp://x' must start with http://"),
        ("", {"TPCD_PORTS": "sms=-1"}, {}, r"TPCD_PORTS: port of 'sms'=-1 is not between 0 and 65535$"),
        ("", {"TPCD_LOCALE": ""}, {}, r"^environment variable TPCD_LOCALE: locale is empty"),
    ],
    ids=[
        "bool-toml",
        "bool-env",
        "bool-cli",
        "int-toml-float",
        "int-cli-float",
        "duration-a-bool",
        "duration-negative",
        "duration-not-a-number",
        "text-a-number",
        "path-a-number",
        "list-bad-host",
        "url-scheme",
        "port-negative",
        "empty",
    ],
)
def test_each_kind_refuses_a_bad_value_naming_the_setting_and_its_source(
    tmp_path: Path, table: str, environ: dict[str, str], cli: dict[str, object], message: str
) -> None:
    with pytest.raises(SettingsError, match=message) as refused:
        load_settings(cli, root=_project(tmp_path, table), environ=environ)
    assert "\n" not in str(refused.value)  # one line
