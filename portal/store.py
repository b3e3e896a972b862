"""The portal twin's SQLite store: applications in progress, one-time-code challenges, members, the messages sent
to each recipient, the sessions and the failed logins.

What must hold under concurrent requests (five tries per code, one message per recipient per cooldown, ten failed
logins per account) is checked and counted in one `BEGIN IMMEDIATE` transaction, so it holds across threads and
across processes sharing the file.
"""

from __future__ import annotations

import hmac
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

SCHEMA = """
CREATE TABLE IF NOT EXISTS applications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tier TEXT NOT NULL CHECK (tier IN ('general', 'gold')),
    consented_at TEXT NOT NULL,
    channel TEXT, contact TEXT, contact_verified_at TEXT,
    name TEXT, id_number TEXT, birth_date TEXT, sex TEXT, address TEXT,
    netizen_prefill TEXT, finished_at TEXT
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
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL, recipient TEXT NOT NULL, sent_at REAL NOT NULL, answered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS deliveries_by_recipient ON deliveries (channel, recipient, sent_at);
CREATE UNIQUE INDEX IF NOT EXISTS members_by_folded_email ON members (lower(email));
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    application_id INTEGER REFERENCES applications(id), member_id INTEGER REFERENCES members(id),
    started_at REAL NOT NULL, ended_at REAL, seen_at REAL
);
CREATE TABLE IF NOT EXISTS id_probes (
    application_id INTEGER NOT NULL REFERENCES applications(id), id_number TEXT NOT NULL,
    PRIMARY KEY (application_id, id_number)
);
CREATE TABLE IF NOT EXISTS login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL CHECK (scope IN ('account', 'client')), key TEXT NOT NULL, at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_by_key ON login_failures (scope, key, at);
"""
# Columns added since the first schema: a file made by an older twin gets them on open.
ADDED_COLUMNS = {
    "applications": {"netizen_prefill": "TEXT", "finished_at": "TEXT"},
    "sessions": {"seen_at": "REAL"},
    "deliveries": {"application_id": "INTEGER", "session_id": "TEXT"},
}
HOUR = 3600.0
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
    netizen_prefill: str | None = None  # JSON of what 網路市民 gave, shown in the form until it is sent
    finished_at: str | None = None  # when it became a member: from then on no session reads it


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
    """A registered member; verified_level '0' is 一般會員 (未實名), as in TaipeiPASS (docs/protocols/taipeipass.md)."""

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


@dataclass(frozen=True, slots=True)
class Session:
    """One browser's session as the server knows it; the cookie only carries its id, so ending it here ends it."""

    id: str
    application_id: int | None
    member_id: int | None
    started_at: float
    ended_at: float | None
    seen_at: float | None


class CodeCheck(StrEnum):
    """What one entry of a one-time code came to."""

    ACCEPTED = "accepted"  # right: the code is spent and the application's contact is verified
    WRONG = "wrong"  # wrong: one try spent (the code is void once none is left)
    VOID = "void"  # already spent, retired or out of tries: nothing was compared


@dataclass(frozen=True, slots=True)
class Busy:
    """Why a recipient gets no message now, and for how many more seconds."""

    seconds: float
    hourly_cap: bool  # True: the hour's quota is used up; False: the cooldown since the last message
    by_sender: bool = False  # the quota used up is the application's or the session's, not the recipient's


@dataclass(frozen=True, slots=True)
class LoginLocked:
    """Too many failed logins for this account, or from this client; `seconds` until one more may be tried."""

    scope: str  # 'account' or 'client'
    seconds: float


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """A login being checked, counted as a failure until it succeeds."""

    account_row: int
    client_row: int


Row = TypeVar("Row", Application, Challenge, Member, Session)
TABLES: dict[type[Any], str] = {
    Application: "applications",
    Challenge: "challenges",
    Member: "members",
    Session: "sessions",
}


class Store:
    """One SQLite file, safe to share between uvicorn's threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout = 5000")  # another process's write transaction: wait, don't fail
        self._db.executescript(SCHEMA)
        for table, added in ADDED_COLUMNS.items():
            present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for column, kind in added.items():
                if column not in present:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

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

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Check and write as one step: BEGIN IMMEDIATE takes the file's write lock before the first read."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

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
        allowed = {f.name for f in fields(Application)} - {"id", "tier", "consented_at", "finished_at"}
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
            application_id,
            channel,
            contact,
            code_hash,
            sent_at,
            sent_at + ttl,
            tries,
        )

    def retire_challenges(self, application_id: int, *, keep: int) -> None:
        """Once a new code went out, every earlier one of the application stops counting."""
        self._write("UPDATE challenges SET used = 1 WHERE application_id = ? AND id != ?", application_id, keep)

    def drop_challenge(self, challenge_id: int) -> None:
        """Forget a challenge whose code never left (the gateway refused it)."""
        self._write("DELETE FROM challenges WHERE id = ?", challenge_id)

    def latest_challenge(self, application_id: int) -> Challenge | None:
        """The newest challenge of the application, used or not."""
        return self._one(Challenge, "application_id = ? ORDER BY id DESC LIMIT 1", application_id)

    def use_challenge(self, challenge_id: int) -> None:
        """The code is spent (it expired)."""
        self._write("UPDATE challenges SET used = 1 WHERE id = ?", challenge_id)

    def try_code(self, challenge_id: int, code_hash: str, *, verified_at: str) -> tuple[CodeCheck, int]:
        """Compare one entry with the challenge's code and count it, as one step: of any number of concurrent
        entries, at most `tries` are ever compared. A right one verifies the challenge's own contact (not whatever
        the application was given since). Returns the outcome and the tries left. Its expiry is the caller's to
        check first (`_check`, with the request's own clock): a second test here could never be true."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT application_id, channel, contact, code_hash, tries_left, used FROM challenges WHERE id = ?",
                (challenge_id,),
            ).fetchone()
            if row is None or row[5] or row[4] <= 0:
                return CodeCheck.VOID, 0
            application_id, channel, contact, stored, tries_left, _ = row
            if hmac.compare_digest(code_hash, stored):
                db.execute("UPDATE challenges SET used = 1 WHERE id = ?", (challenge_id,))
                db.execute(
                    "UPDATE applications SET channel = ?, contact = ?, contact_verified_at = ? WHERE id = ?",
                    (channel, contact, verified_at, application_id),
                )
                # Its owner answered: the resend cooldown of this recipient is lifted (the hourly cap still counts).
                recipient = contact.lower() if channel == "email" else contact  # as contacts.folded counts it
                db.execute(
                    "UPDATE deliveries SET answered = 1 WHERE channel = ? AND recipient = ?", (channel, recipient)
                )
                return CodeCheck.ACCEPTED, tries_left
            left = tries_left - 1
            db.execute(
                "UPDATE challenges SET tries_left = ?, used = ? WHERE id = ?", (left, int(left <= 0), challenge_id)
            )
            return CodeCheck.WRONG, left

    # messages per recipient (resend cooldown and hourly cap, whichever session asks)
    def reserve_delivery(
        self,
        channel: str,
        recipient: str,
        *,
        now: float,
        cooldown: float,
        hourly_cap: int,
        sender: tuple[int, str] | None = None,
        sender_caps: tuple[int, int] = (0, 0),
    ) -> int | Busy:
        """Count a message to `recipient` about to be sent, or say how long it must wait; one step, so concurrent
        sessions cannot all slip through the same gap. `sender` (application id, session id) is held to
        `sender_caps` (messages an hour for the application, for the session; 0: no cap) whatever the recipient:
        one application cannot have codes sent to one number after another (SMS pumping)."""
        with self._transaction() as db:
            (last,) = db.execute(
                "SELECT MAX(sent_at) FROM deliveries WHERE channel = ? AND recipient = ? AND answered = 0",
                (channel, recipient),
            ).fetchone()
            if last is not None and now < last + cooldown:
                return Busy(last + cooldown - now, hourly_cap=False)
            windows: list[tuple[str, tuple[str | int, ...], int]] = [
                ("channel = ? AND recipient = ?", (channel, recipient), hourly_cap)
            ]
            if sender is not None:
                windows += [("application_id = ?", (sender[0],), sender_caps[0])]
                windows += [("session_id = ?", (sender[1],), sender_caps[1])]
            for number, (where, args, cap) in enumerate(windows):
                if cap <= 0:
                    continue
                recent = [
                    at
                    for (at,) in db.execute(
                        f"SELECT sent_at FROM deliveries WHERE {where} AND sent_at > ? ORDER BY sent_at DESC LIMIT ?",
                        (*args, now - HOUR, cap),
                    )
                ]
                if len(recent) >= cap:
                    return Busy(recent[-1] + HOUR - now, hourly_cap=True, by_sender=number > 0)
            application_id, session_id = sender if sender is not None else (None, None)
            cursor = db.execute(
                "INSERT INTO deliveries (channel, recipient, sent_at, application_id, session_id)"
                " VALUES (?, ?, ?, ?, ?)",
                (channel, recipient, now, application_id, session_id),
            )
            return int(cursor.lastrowid or 0)

    def cancel_delivery(self, delivery_id: int) -> None:
        """The message never left (the gateway refused it): it does not count."""
        self._write("DELETE FROM deliveries WHERE id = ?", delivery_id)

    # members
    def member_by(self, column: str, value: str) -> Member | None:
        """The member whose `column` (id_number, mobile or email) is `value`; an e-mail address matched in any case
        (stored as typed)."""
        if column not in LOOKUP_COLUMNS:
            raise ValueError(f"cannot look members up by {column}")
        if column == "email":
            return self._one(Member, "lower(email) = lower(?)", value)
        return self._one(Member, f"{column} = ?", value)

    def add_member(self, application: Application, password_hash: str) -> Member:
        """Create the member from a complete application, which is finished with it: no session reads it again."""
        mobile = application.contact if application.channel == "mobile" else None
        email = application.contact if application.channel == "email" else None
        now = datetime.now(UTC).isoformat()
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO members (tier, name, id_number, birth_date, sex, address, mobile, email, password_hash,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    application.tier,
                    application.name,
                    application.id_number,
                    application.birth_date,
                    application.sex,
                    application.address,
                    mobile,
                    email,
                    password_hash,
                    now,
                ),
            )
            new_id = int(cursor.lastrowid or 0)
            db.execute(
                "UPDATE applications SET finished_at = ?, netizen_prefill = NULL WHERE id = ?", (now, application.id)
            )
            db.execute("UPDATE sessions SET application_id = NULL WHERE application_id = ?", (application.id,))
        member = self.member_by("id", str(new_id))
        assert member is not None
        return member

    # real-name verification (documented steps 20–23)
    def issue_nonce(self, member_id: int, nonce: str, issued_at: float) -> int:
        """A fresh challenge for the card to sign."""
        return self._write(
            "INSERT INTO nonces (member_id, nonce, issued_at) VALUES (?, ?, ?)", member_id, nonce, issued_at
        )

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
            level,
            cert_serial,
            verified_at,
            account,
            member_id,
        )
        return account

    # sessions (the cookie holds only the id)
    def open_session(self, *, now: float, application_id: int | None = None, member_id: int | None = None) -> str:
        """A new session; its id is what the cookie carries."""
        session_id = secrets.token_urlsafe(32)
        self._write(
            "INSERT INTO sessions (id, application_id, member_id, started_at) VALUES (?, ?, ?, ?)",
            session_id,
            application_id,
            member_id,
            now,
        )
        return session_id

    def session(self, session_id: str, *, now: float, idle: float, lifetime: float) -> Session | None:
        """The session with that id, unless it has ended, sat idle longer than `idle` or is older than `lifetime`
        seconds (OWASP Session Management: idle and absolute timeouts); a session found counts as seen now."""
        found = self._one(
            Session,
            "id = ? AND ended_at IS NULL AND started_at > ? AND COALESCE(seen_at, started_at) > ?",
            session_id,
            now - lifetime,
            now - idle,
        )
        if found is not None:
            self._write("UPDATE sessions SET seen_at = ? WHERE id = ?", now, session_id)
        return found

    def forget_sessions(self, *, before: float) -> None:
        """Drop the records of sessions that ended, or were last seen, before `before`: nothing keeps them."""
        self._write("DELETE FROM sessions WHERE COALESCE(ended_at, seen_at, started_at) < ?", before)

    def registered_ids_told(self, application_id: int, registered: str | None) -> int:
        """How many different members' ID numbers this application has been told of, `registered` (one it is about
        to be told of) included: the answer would let anyone with one verified phone test ID numbers."""
        with self._transaction() as connection:
            if registered is not None:
                connection.execute(
                    "INSERT OR IGNORE INTO id_probes (application_id, id_number) VALUES (?, ?)",
                    (application_id, registered),
                )
            (count,) = connection.execute(
                "SELECT COUNT(*) FROM id_probes WHERE application_id = ?", (application_id,)
            ).fetchone()
        return int(count)

    def attach_application(self, session_id: str, application_id: int | None) -> None:
        """The session fills in this application from now on (None: no application)."""
        self._write(
            "UPDATE sessions SET application_id = ? WHERE id = ? AND ended_at IS NULL", application_id, session_id
        )

    def end_session(self, session_id: str, *, now: float) -> None:
        """Logged out: a copy of the cookie reads nothing from now on."""
        self._write("UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL", now, session_id)

    # failed logins (per account, known or not, and per client address)
    def reserve_login(
        self, account: str, client: str, *, now: float, window: float, account_limit: int, client_limit: int
    ) -> LoginAttempt | LoginLocked:
        """Count a login about to be checked as a failure, unless the account or the client is locked; one step,
        so concurrent guesses cannot all slip under the limit."""
        with self._transaction() as db:
            db.execute("DELETE FROM login_failures WHERE at <= ?", (now - window,))
            for scope, key, limit in (("account", account, account_limit), ("client", client, client_limit)):
                recent = [
                    at
                    for (at,) in db.execute(
                        "SELECT at FROM login_failures WHERE scope = ? AND key = ? AND at > ? ORDER BY at DESC LIMIT ?",
                        (scope, key, now - window, limit),
                    )
                ]
                if len(recent) >= limit:  # locked until the oldest of the last `limit` failures leaves the window
                    return LoginLocked(scope, recent[-1] + window - now)
            insert = "INSERT INTO login_failures (scope, key, at) VALUES (?, ?, ?)"
            account_row = db.execute(insert, ("account", account, now)).lastrowid
            client_row = db.execute(insert, ("client", client, now)).lastrowid
        return LoginAttempt(int(account_row or 0), int(client_row or 0))

    def login_succeeded(self, attempt: LoginAttempt, account: str) -> None:
        """The password was right: the account's failures are forgiven, and this attempt was none."""
        with self._transaction() as db:
            db.execute("DELETE FROM login_failures WHERE scope = 'account' AND key = ?", (account,))
            db.execute("DELETE FROM login_failures WHERE id = ?", (attempt.client_row,))
