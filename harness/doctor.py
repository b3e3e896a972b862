"""`tpcd doctor`: what this machine needs for the harness, each problem with the command that fixes it."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.report import allure_cli
from harness.settings import Settings

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")


@dataclass(frozen=True, slots=True)
class Check:
    """One requirement and whether this machine meets it."""

    name: str
    ok: bool
    detail: str
    fix: str


def _output(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def check_chromium(settings: Settings) -> Check:
    version = _output([str(settings.chromium), "--version"]) if settings.chromium.exists() else None
    return Check(
        "chromium",
        version is not None,
        version or f"{settings.chromium} missing or not runnable",
        "apt-get install -y chromium (or set TPCD_CHROMIUM / --browser-executable)",
    )


def check_cjk_fonts(settings: Settings) -> Check:
    fonts = _output(["fc-list", ":lang=zh-tw", "family"]) or ""
    found = fonts.splitlines()
    return Check(
        "CJK fonts",
        bool(found),
        found[0] if found else "no font covers zh-TW: screenshots show boxes",
        "apt-get install -y fonts-noto-cjk",
    )


def check_pcscd(settings: Settings) -> Check:
    path = shutil.which("pcscd") or ("/usr/sbin/pcscd" if Path("/usr/sbin/pcscd").exists() else None)
    return Check("pcscd", path is not None, path or "pcscd not installed", "apt-get install -y pcscd pcsc-tools")


def check_vpcd(settings: Settings) -> Check:
    ok = VPCD_DRIVER.exists()
    return Check(
        "vpcd driver", ok, str(VPCD_DRIVER) if ok else f"{VPCD_DRIVER} missing", "apt-get install -y vsmartcard-vpcd"
    )


def check_module(module: str, package: str, fix: str) -> Callable[[Settings], Check]:
    def check(settings: Settings) -> Check:
        ok = importlib.util.find_spec(module) is not None
        return Check(package, ok, f"import {module}" + ("" if ok else " fails"), fix)

    return check


def check_allure(settings: Settings) -> Check:
    cli = allure_cli(settings)
    version = _output([str(cli), "--version"]) if cli.exists() else None
    return Check(
        "Allure 3 CLI", version is not None, f"{cli} {version or 'missing'}", "npm ci (run from the project root)"
    )


def check_video(settings: Settings) -> Check:
    base = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH", Path.home() / ".cache" / "ms-playwright"))
    found = sorted(base.glob("ffmpeg-*/ffmpeg-linux"))
    ok = bool(found) and found[-1].exists()
    return Check(
        "video (Playwright's ffmpeg)",
        ok,
        str(found[-1]) if found else f"no ffmpeg under {base}",
        "make setup (links the imageio-ffmpeg binary; scripts/link-playwright-ffmpeg.sh)",
    )


CHECKS: tuple[Callable[[Settings], Check], ...] = (
    check_chromium,
    check_cjk_fonts,
    check_pcscd,
    check_vpcd,
    check_module("smartcard", "pyscard", "apt-get install -y libpcsclite-dev swig && pip install -e '.[dev]'"),
    check_module(
        "virtualsmartcard",
        "virtualsmartcard",
        "apt-get install -y python3-virtualsmartcard && make setup (adds its .pth to .venv)",
    ),
    check_allure,
    check_video,
)


def run_checks(settings: Settings) -> list[Check]:
    """Every check, in a stable order."""
    return [check(settings) for check in CHECKS]
