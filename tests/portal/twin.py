"""A portal twin on a real port with its own SQLite file, and a cookie-keeping client for it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from fastapi import FastAPI

from portal import PortalSettings, create_app
from simulators.serving import serve_asgi


@dataclass
class Portal:
    """A running twin and a cookie-keeping HTTP client for it."""

    url: str
    db_path: Path
    http: requests.Session
    app: FastAPI

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.url + path, allow_redirects=False, timeout=5)

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        return self.http.post(self.url + path, data=data, allow_redirects=False, timeout=5)

    def csrf(self, path: str) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.get(path).text)
        assert match, f"no CSRF field on {path}"
        return match.group(1)


@contextmanager
def serve_portal(folder: Path, **settings: Any) -> Iterator[Portal]:
    """A twin with its own SQLite file in `folder` and its clock controls, `settings` overriding the defaults."""
    db_path = folder / "portal.sqlite3"
    app = create_app(PortalSettings(db_path=db_path, secret_key="test-secret", twin_controls=True, **settings))
    try:
        with serve_asgi(app, name="portal") as url, requests.Session() as http:
            yield Portal(url, db_path, http, app)
    finally:
        app.state.store.close()
