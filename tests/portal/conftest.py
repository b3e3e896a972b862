"""A fresh portal twin per test on a real port (with its own SQLite file), or a whole stack per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.settings import load_settings
from harness.stack import Stack
from tests.portal.twin import Portal, serve_portal


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Portal]:
    with serve_portal(tmp_path) as running:
        yield running


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Every service, for HTTP walks through the whole application."""
    with Stack(load_settings(root=tmp_path_factory.mktemp("project"), environ={})) as running:
        yield running


@pytest.fixture
def fresh(stack: Stack) -> Stack:
    """The module's stack, reset for this test."""
    stack.reset()
    return stack
