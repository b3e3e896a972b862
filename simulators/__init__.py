"""Simulators of every external system the portal talks to; each runs alone with `python -m simulators.<name>`."""
