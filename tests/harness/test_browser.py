"""Chromium's resolver rules: offline for the embedded twin, the standard agent address mapped for an attached run."""

from __future__ import annotations

from pathlib import Path

from harness.plugin.browser import resolver_rules
from harness.settings import load_settings


def test_the_embedded_twin_gets_the_offline_rules_with_loopback_kept(tmp_path: Path) -> None:
    settings = load_settings(root=tmp_path, environ={})
    assert resolver_rules(settings, None) == [
        "--host-resolver-rules=MAP 127.0.0.1 127.0.0.1 , MAP localhost localhost , MAP * ~NOTFOUND"
    ]


def test_an_attached_run_maps_the_standard_agent_address_onto_its_own_agent(tmp_path: Path) -> None:
    settings = load_settings({"base_url": "http://10.0.0.7:8080"}, root=tmp_path, environ={})
    assert resolver_rules(settings, 40123) == [
        "--host-resolver-rules=MAP 127.0.0.1:61161 127.0.0.1:40123 , MAP localhost:61161 127.0.0.1:40123"
    ]
    assert resolver_rules(settings, None) == []  # a deployed portal by URL stays reachable: nothing offline


def test_one_flag_carries_both_when_both_apply(tmp_path: Path) -> None:
    settings = load_settings({"agent_public_port": 62000}, root=tmp_path, environ={})
    (flag,) = resolver_rules(settings, 40123)
    # the mapping comes first: with EXCLUDE instead of the identity maps, Chromium would never apply it
    assert flag.startswith("--host-resolver-rules=MAP 127.0.0.1:62000 127.0.0.1:40123 , ")
    assert "EXCLUDE" not in flag
