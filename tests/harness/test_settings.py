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
