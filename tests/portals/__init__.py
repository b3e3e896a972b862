"""Twins equivalent to the portal twin, and the suite run against each (docs/contributing.md#equivalent-portals)."""
