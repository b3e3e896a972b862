"""Root conftest: loads the harness plugin and every step module, nothing else (docs/contributing.md)."""

from __future__ import annotations

pytest_plugins = [
    "harness.plugin.interrupts",
    "harness.plugin.balance",
    "harness.plugin.services",
    "harness.plugin.browser",
    "harness.plugin.citizens",
    "harness.plugin.reporting",
    "harness.plugin.accessibility",
    "harness.plugin.attacker",
    "harness.notebook.plugin",
    "steps.common",
    "steps.registration",
    "steps.contact",
    "steps.profile",
    "steps.gold",
    "steps.security",
    "steps.guide",
    "steps.keyboard",
    "steps.real_name",
    "steps.server_rules",
    "steps.cross_site",
]
