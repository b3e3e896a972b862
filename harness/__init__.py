"""The harness: settings, the stack of services, the citizen factory, the CLI `tpcd` and the pytest plugin."""

from __future__ import annotations

__version__ = "0.1.0"
