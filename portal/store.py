"""The portal twin's SQLite store: applications now, members as later steps add them."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS applications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tier TEXT NOT NULL CHECK (tier IN ('general', 'gold')),
    consented_at TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Application:
    """A registration in progress: the membership chosen at step 2 and the consent given at step 3."""

    id: int
    tier: str
    consented_at: datetime


class Store:
    """One SQLite file, safe to share between uvicorn's threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Release the file."""
        with self._lock:
            self._db.close()

    def open_application(self, tier: str) -> Application:
        """Record a consented application for `tier` ('general' or 'gold')."""
        now = datetime.now(UTC)
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO applications (tier, consented_at) VALUES (?, ?)", (tier, now.isoformat())
            )
        assert cursor.lastrowid is not None
        return Application(id=cursor.lastrowid, tier=tier, consented_at=now)

    def application(self, application_id: int) -> Application | None:
        """The application with that id, if it exists."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, tier, consented_at FROM applications WHERE id = ?", (application_id,)
            ).fetchone()
        if row is None:
            return None
        return Application(id=row[0], tier=row[1], consented_at=datetime.fromisoformat(row[2]))
