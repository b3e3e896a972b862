"""`-p tests.portals.plugin --portal-variant NAME`: the suite against a twin equivalent to the portal twin
(tests/portals/variants.py), with that variant's portal profile."""

from __future__ import annotations

import os

import pytest

from tests.portals.variants import VARIANTS

PROFILE_VARIABLE = "TPCD_PORTAL_PROFILE"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("tpcd").addoption(
        "--portal-variant", choices=sorted(VARIANTS), default=None, help="run against this twin variant (tests)"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """The variant's profile, before the harness reads its settings; another profile set by hand is refused."""
    name = early_config.known_args_namespace.portal_variant
    if name is None:
        return
    profile = str(VARIANTS[name].profile)
    given = os.environ.get(PROFILE_VARIABLE)
    if given is not None and given != profile:
        raise pytest.UsageError(f"--portal-variant {name} runs with its own profile {profile}, not {given}")
    os.environ[PROFILE_VARIABLE] = profile


def pytest_configure(config: pytest.Config) -> None:
    """The stack builds the variant instead of the twin."""
    from harness.plugin.services import BUILD_PORTAL_KEY  # here: imported first by the root conftest, which rewrites it

    name = config.getoption("portal_variant")
    if name is not None:
        config.stash[BUILD_PORTAL_KEY] = VARIANTS[name].build
