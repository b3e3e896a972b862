"""The portal twin's SQLite store: applications in progress, one-time-code challenges, and members."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

SCHEMA = """
CREATE TABLE IF NOT EXISTS applications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tier TEXT NOT NULL CHECK (tier IN ('general', 'gold')),
    consented_at TEXT NOT NULL,
    channel TEXT, contact TEXT, contact_verified_at TEXT,
    name TEXT, id_number TEXT, birth_date TEXT, sex TEXT, address TEXT
);
CREATE TABLE IF NOT EXISTS challenges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES applications(id),
    channel TEXT NOT NULL, contact TEXT NOT NULL, code_hash TEXT NOT NULL,
    sent_at REAL NOT NULL, expires_at REAL NOT NULL, tries_left INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tier TEXT NOT NULL, name TEXT NOT NULL, id_number TEXT NOT NULL UNIQUE, birth_date TEXT NOT NULL,
    sex TEXT NOT NULL, address TEXT NOT NULL, mobile TEXT UNIQUE, email TEXT UNIQUE,
    password_hash TEXT NOT NULL, verified_level TEXT NOT NULL DEFAULT '0', created_at TEXT NOT NULL,
    account TEXT UNIQUE, cert_serial TEXT UNIQUE, verified_at TEXT
);
CREATE TABLE IF NOT EXISTS nonces (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id INTEGER NOT NULL REFERENCES members(id),
    nonce TEXT NOT NULL, issued_at REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0
);
"""
LOOKUP_COLUMNS = {"id", "id_number", "mobile", "email", "account", "cert_serial"}  # members are looked up by these


@dataclass(frozen=True, slots=True)
class Application:
    """A registration in progress (documented steps 2–8)."""

    id: int
    tier: str
    consented_at: str
    channel: str | None = None
    contact: str | None = None
    contact_verified_at: str | None = None
    name: str | None = None
    id_number: str | None = None
    birth_date: str | None = None
    sex: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Challenge:
    """A one-time code sent to a mobile number or an e-mail address."""

    id: int
    application_id: int
    channel: str
    contact: str
    code_hash: str
    sent_at: float
    expires_at: float
    tries_left: int
    used: int


@dataclass(frozen=True, slots=True)
class Member:
    """A registered member; verified_level '0' is 一般會員 (未實名), as TaipeiPASS encodes it (PROTOCOLS.md §9.3)."""

    id: int
    tier: str
    name: str
    id_number: str
    birth_date: str
    sex: str
    address: str
    mobile: str | None
    email: str | None
    password_hash: str
    verified_level: str
    created_at: str
    account: str | None = None
    cert_serial: str | None = None
    verified_at: str | None = None


Row = TypeVar("Row", Application, Challenge, Member)
TABLES: dict[type[Any], str] = {Application: "applications", Challenge: "challenges", Member: "members"}


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

    def _one(self, kind: type[Row], where: str, *args: Any) -> Row | None:
        """The first row of `kind`'s table matching `where` (with its ORDER BY, if any), as a `kind`."""
        columns = ", ".join(f.name for f in fields(kind))
        with self._lock:
            row = self._db.execute(f"SELECT {columns} FROM {TABLES[kind]} WHERE {where}", args).fetchone()
        return None if row is None else kind(*row)

    def _write(self, sql: str, *args: Any) -> int:
        with self._lock:
            cursor = self._db.execute(sql, args)
        return int(cursor.lastrowid or 0)

    # applications
    def open_application(self, tier: str) -> Application:
        """Record a consented application for `tier` ('general' or 'gold')."""
        now = datetime.now(UTC).isoformat()
        new_id = self._write("INSERT INTO applications (tier, consented_at) VALUES (?, ?)", tier, now)
        return Application(id=new_id, tier=tier, consented_at=now)

    def application(self, application_id: int) -> Application | None:
        """The application with that id, if it exists."""
        return self._one(Application, "id = ?", application_id)

    def update_application(self, application_id: int, **values: str | None) -> None:
        """Save what the citizen typed so far (nothing typed is lost when a later check fails)."""
        allowed = {f.name for f in fields(Application)} - {"id", "tier", "consented_at"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"not application fields: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in values)
        self._write(f"UPDATE applications SET {assignments} WHERE id = ?", *values.values(), application_id)

    # challenges
    def add_challenge(
        self, application_id: int, channel: str, contact: str, code_hash: str, *, sent_at: float, ttl: float, tries: int
    ) -> int:
        """Store a code about to be sent."""
        return self._write(
            "INSERT INTO challenges (application_id, channel, contact, code_hash, sent_at, expires_at, tries_left)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            application_id, channel, contact, code_hash, sent_at, sent_at + ttl, tries,
        )  # fmt: skip

    def retire_challenges(self, application_id: int, *, keep: int) -> None:
        """Once a new code went out, every earlier one of the application stops counting."""
        self._write("UPDATE challenges SET used = 1 WHERE application_id = ? AND id != ?", application_id, keep)

    def drop_challenge(self, challenge_id: int) -> None:
        """Forget a challenge whose code never left (the gateway refused it)."""
        self._write("DELETE FROM challenges WHERE id = ?", challenge_id)

    def latest_challenge(self, application_id: int) -> Challenge | None:
        """The newest challenge of the application, used or not."""
        return self._one(Challenge, "application_id = ? ORDER BY id DESC LIMIT 1", application_id)

    def spend_try(self, challenge_id: int) -> None:
        """One wrong entry."""
        self._write("UPDATE challenges SET tries_left = tries_left - 1 WHERE id = ?", challenge_id)

    def use_challenge(self, challenge_id: int) -> None:
        """A right entry: the code is spent."""
        self._write("UPDATE challenges SET used = 1 WHERE id = ?", challenge_id)

    # members
    def member_by(self, column: str, value: str) -> Member | None:
        """The member whose `column` (id_number, mobile or email) is `value`."""
        if column not in LOOKUP_COLUMNS:
            raise ValueError(f"cannot look members up by {column}")
        return self._one(Member, f"{column} = ?", value)

    def add_member(self, application: Application, password_hash: str) -> Member:
        """Create the member from a complete application."""
        mobile = application.contact if application.channel == "mobile" else None
        email = application.contact if application.channel == "email" else None
        new_id = self._write(
            "INSERT INTO members (tier, name, id_number, birth_date, sex, address, mobile, email, password_hash,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            application.tier, application.name, application.id_number, application.birth_date, application.sex,
            application.address, mobile, email, password_hash, datetime.now(UTC).isoformat(),
        )  # fmt: skip
        member = self.member_by("id", str(new_id))
        assert member is not None
        return member

    # real-name verification (documented steps 20–23)
    def issue_nonce(self, member_id: int, nonce: str, issued_at: float) -> int:
        """A fresh challenge for the card to sign."""
        return self._write("INSERT INTO nonces (member_id, nonce, issued_at) VALUES (?, ?, ?)", member_id, nonce,
                           issued_at)  # fmt: skip

    def take_nonce(self, nonce_id: int, member_id: int) -> tuple[str, float] | None:
        """The nonce and when it was issued, used up by this call; None when unknown, foreign or used."""
        with self._lock:
            row = self._db.execute(
                "SELECT nonce, issued_at FROM nonces WHERE id = ? AND member_id = ? AND used = 0", (nonce_id, member_id)
            ).fetchone()
            if row is None:
                return None
            self._db.execute("UPDATE nonces SET used = 1 WHERE id = ?", (nonce_id,))
        return str(row[0]), float(row[1])

    def verify_member(self, member_id: int, *, cert_serial: str, verified_at: str, level: str = "1") -> str:
        """Mark the member real-name verified, bind the certificate, give the account number (TPC + 7 digits)."""
        account = f"TPC{member_id:07d}"
        self._write(
            "UPDATE members SET verified_level = ?, cert_serial = ?, verified_at = ?, account = ? WHERE id = ?",
            level, cert_serial, verified_at, account, member_id,
        )  # fmt: skip
        return account
