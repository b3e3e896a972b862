"""Bind every feature under features/ (bdd_features_base_dir); the only test module in steps/."""

from __future__ import annotations

from pytest_bdd import scenarios

scenarios(".")
