"""What the certifier judges with, fixed per version: its copy of the portal's agent page (hash-pinned) and its version.

The page a certificate speaks of must not move under it: the certifier drives its own copy of the portal's agent pages
(page/: the rendered 步驟一 and 步驟二 pages for a member not yet verified, and the scripts they load), each file
pinned here by SHA-256 and checked before a run. The tool's version is the package's plus a digest of every file of
the certifier (requirements, checks, oracle, page copy), so any change to a requirement or a check changes the version
a verdict carries, and `--compare` can tell a tool change from a regression of the build.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path

CERTIFIER = Path(__file__).parent
PAGE = CERTIFIER / "page"
# SHA-256 of each file of the page copy (line ends as LF). Change a file, and its pin here, together.
PINS: dict[str, str] = {
    "agent.js": "5c61ae2d65383eac94b21d5c1c85cf972be726369b5720cbabeedb06daed2fe7",
    "gold.html": "01e4d97acdf12472680b3f1a21e1281b01a9bafe10d6577a07b9d1694404f649",
    "gold_verify.html": "a5cee50bc9201c2f74251ef97bbf121c13ba3d51e0c88bc9c30572aaac65d1c0",
    "portal.css": "322aac53ecf64687da589ce303f0562292570323711c77848437b0455dcea7a2",
    "portal.js": "270f3c3e35f8319e949ac96c3d12f7605bfa7b95ff3f53d0be4d597101ad8f37",
}
SOURCES = ("*.py", "*.ini", "page/*")  # what the version digests, relative to the certifier's folder


class PinError(Exception):
    """The certifier's copy of the portal's page is not the one this version pinned."""


def text_digest(data: bytes) -> str:
    """SHA-256 of a text file's bytes with its line ends as LF (a Windows checkout may turn them into CRLF)."""
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def check_page(folder: Path = PAGE) -> dict[str, str]:
    """Each pinned file of the page copy with its digest; PinError naming what is missing, changed or extra."""
    found = {path.name: text_digest(path.read_bytes()) for path in sorted(folder.iterdir()) if path.is_file()}
    missing = sorted(PINS.keys() - found.keys())
    changed = sorted(name for name, digest in PINS.items() if name in found and found[name] != digest)
    extra = sorted(found.keys() - PINS.keys())
    if missing or changed or extra:
        parts = [
            f"{what}: {', '.join(names)}"
            for what, names in (("missing", missing), ("changed", changed), ("not pinned", extra))
            if names
        ]
        raise PinError(
            f"the certifier's copy of the portal's page in {folder} is not the pinned one ({'; '.join(parts)})"
        )
    return found


def sources(folder: Path = CERTIFIER) -> list[Path]:
    """The files the tool's version digests: every check, the requirement table, the oracle, the page copy."""
    found = {path for pattern in SOURCES for path in folder.rglob(pattern) if path.is_file()}
    return sorted(path for path in found if "__pycache__" not in path.parts)


def digest(folder: Path = CERTIFIER) -> str:
    """One SHA-256 over the certifier's files (their paths and LF-normalised contents)."""
    total = hashlib.sha256()
    for path in sources(folder):
        total.update(path.relative_to(folder).as_posix().encode() + b"\0")
        total.update(text_digest(path.read_bytes()).encode() + b"\n")
    return total.hexdigest()


def tool_version(folder: Path = CERTIFIER) -> str:
    """The package's version plus the first 12 hex digits of the certifier's digest (PEP 440 local version)."""
    return f"{importlib.metadata.version('tpcd-harness')}+{digest(folder)[:12]}"
