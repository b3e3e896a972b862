"""The 攻擊者 of the @security scenarios: a person of their own, scripting HTTP against the portal under test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.citizens import make_citizen, scenario_seed
from harness.plugin.citizens import BASE_SEED_KEY, worker_number
from harness.stack import Stack
from pages.attacker import Attacker


@pytest.fixture
def attacker(
    request: pytest.FixtureRequest, pytestconfig: pytest.Config, worker_id: str, fresh_stack: Stack
) -> Iterator[Attacker]:
    """Someone else than the citizen, with a phone and a mailbox as unique as the citizen's (so a shared, attached
    stack keeps scenarios apart), acting only through the portal's public pages."""
    seed = scenario_seed(pytestconfig.stash[BASE_SEED_KEY], request.node.nodeid + "#攻擊者")
    identity = make_citizen(seed, worker=worker_number(worker_id))
    profile = fresh_stack.profile
    someone = Attacker.at(fresh_stack.portal_url, identity, fresh_stack.home_url, profile.links.login)
    try:
        yield someone
    finally:
        someone.close()
