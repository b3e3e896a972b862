"""A scratch project holding one feature, run by pytest in a child process with the harness's plugins: for tests of
what a scenario leaves behind (its report, its evidence), which the suite itself cannot observe from inside."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = [
    "harness.plugin.services",
    "harness.plugin.browser",
    "harness.plugin.citizens",
    "harness.plugin.reporting",
    "steps.common",
]


def run_feature(folder: Path, feature: str, *pytest_args: str) -> subprocess.CompletedProcess[str]:
    """Write `feature` as the only feature of a project in `folder` and run its scenarios; the Allure results land in
    `folder / "results"`."""
    (folder / "pyproject.toml").write_text(
        '[tool.tpcd]\n[tool.pytest.ini_options]\nbdd_features_base_dir = "features/"\n', encoding="utf-8"
    )
    (folder / "features").mkdir()
    (folder / "features" / "scenarios.feature").write_text(feature, encoding="utf-8")
    (folder / "conftest.py").write_text(f"pytest_plugins = {PLUGINS!r}\n", encoding="utf-8")
    (folder / "test_scenarios.py").write_text('from pytest_bdd import scenarios\n\nscenarios(".")\n', encoding="utf-8")
    command = [sys.executable, "-m", "pytest", "-p", "no:allure_pytest", "-p", "no:cacheprovider", "-q"]
    command += ["--alluredir", str(folder / "results"), *pytest_args]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, cwd=folder, env=environment, capture_output=True, text=True, check=False)


def run_suite_features(
    folder: Path, features: list[str], *pytest_args: str, environ: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run scenarios of the suite's own `features` (file names under features/) with the suite's own plugins and
    steps (the root conftest), in a project in `folder`: a portal/ package in `folder`, if any, is the twin run (the
    child's working directory comes first on its path). The Allure results land in `folder / "results"`."""
    (folder / "features").mkdir()
    for feature in features:
        shutil.copy(ROOT / "features" / feature, folder / "features")
    shutil.copy(ROOT / "conftest.py", folder / "conftest.py")
    (folder / "test_scenarios.py").write_text('from pytest_bdd import scenarios\n\nscenarios(".")\n', encoding="utf-8")
    (folder / "pyproject.toml").write_text(
        '[tool.tpcd]\n[tool.pytest.ini_options]\nbdd_features_base_dir = "features/"\n'
        'markers = ["fault: arms a simulator fault on purpose"]\n'
        "disable_test_id_escaping_and_forfeit_all_rights_to_community_support = true\n",  # -k 手機 finds [手機]
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "pytest", "-p", "no:allure_pytest", "-p", "no:cacheprovider", "-q", "-n", "0"]
    command += ["--alluredir", str(folder / "results"), "test_scenarios.py", *pytest_args]
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("TPCD_A11Y")}
    environment = {**inherited, "PYTHONPATH": str(ROOT), **(environ or {})}
    return subprocess.run(
        command, cwd=folder, env=environment, capture_output=True, text=True, check=False, timeout=900
    )
