"""What the portal twin is configured with; a real deployment sets the same fields to the real systems."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class PortalSettings:
    """Where the portal keeps its data and finds the systems it calls."""

    db_path: Path
    secret_key: str  # signs the session cookie; the stack draws a fresh one per run
    https_only_cookies: bool = False  # True behind TLS; the twin on loopback serves plain HTTP
