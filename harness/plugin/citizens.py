"""Per-scenario citizens: a seed per run (shared by every xdist worker), a seed per scenario, both in the report.

Against a deployed portal (which keeps every member it ever registered) each run also draws its own part of the
citizens' mobile, mail and ID (`run`), so a run never meets an earlier or concurrent run's citizen.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import allure
import pytest

from domain.citizen import CitizenProfile
from harness.citizens import make_citizen, scenario_seed
from harness.plugin.services import SETTINGS_KEY

BASE_SEED_KEY = pytest.StashKey[int]()
RUN_KEY = pytest.StashKey[int]()


class _ShareSeedWithWorkers:
    """pytest-xdist hook: every worker uses the controller's base seed and run part, so one number reproduces the
    whole run's people and no two workers draw a different run part."""

    def __init__(self, seed: int, run: int) -> None:
        self.seed, self.run = seed, run

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["tpcd_base_seed"] = self.seed
        node.workerinput["tpcd_run"] = self.run


@pytest.hookimpl(trylast=True)  # after services.py has read the settings
def pytest_configure(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        seed, run = int(workerinput["tpcd_base_seed"]), int(workerinput["tpcd_run"])
    else:
        settings = config.stash[SETTINGS_KEY]
        seed = settings.seed if settings.seed is not None else secrets.randbelow(1_000_000)
        run = 0 if settings.embedded else 1 + secrets.randbelow(99_999)  # the twin starts empty every run
        if config.pluginmanager.hasplugin("xdist"):
            config.pluginmanager.register(_ShareSeedWithWorkers(seed, run), "tpcd-seed-sharing")
    config.stash[BASE_SEED_KEY] = seed
    config.stash[RUN_KEY] = run


def pytest_report_header(config: pytest.Config) -> str:
    seed, run = config.stash[BASE_SEED_KEY], config.stash[RUN_KEY]
    header = f"tpcd: citizens from base seed {seed} (reproduce this run's data with --citizen-seed {seed})"
    return header + (f"; this run's own part of their contacts and ID: {run}" if run else "")


def worker_number(worker_id: str) -> int:
    """0 without xdist, N+1 for worker gwN: keeps parallel citizens' mobiles and mailboxes apart."""
    return int(worker_id.removeprefix("gw")) + 1 if worker_id.startswith("gw") else 0


@pytest.fixture
def citizen(request: pytest.FixtureRequest, pytestconfig: pytest.Config, worker_id: str) -> CitizenProfile:
    """A fresh fictional citizen for this scenario, attached to the report with the PIN and password masked."""
    base = pytestconfig.stash[BASE_SEED_KEY]
    run = pytestconfig.stash[RUN_KEY]
    profile = make_citizen(scenario_seed(base, request.node.nodeid), worker=worker_number(worker_id), run=run)
    allure.dynamic.parameter("市民種子", profile.seed, excluded=True)
    allure.attach(
        json.dumps({"base_seed": base, **profile.masked()}, ensure_ascii=False, indent=2),
        name=f"市民 {profile.name}（種子 {profile.seed}）",
        attachment_type=allure.attachment_type.JSON,
    )
    return profile
