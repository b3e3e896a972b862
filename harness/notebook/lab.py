"""`tpcd notebook`: JupyterLab on the project's kernel, offline, its URL printed; `--reopen` a failed scenario first.

Nothing is fetched: JupyterLab's news feed, update check and PyPI extension manager are off, and its extensions
(jupytext's among them) come installed with the venv. The notebooks in notebooks/ are jupytext percent-format .py
files; their paired .ipynb files are made (or brought up to date) before JupyterLab starts, and each save writes both.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.notebook.reopen import ReopenError, as_text, find_failure, reopen_notebook
from harness.settings import Settings, SettingsError, load_settings

LOOPBACK = "127.0.0.1"  # JupyterLab runs code as the user: never beyond this machine
OFFLINE = [
    "--ServerApp.open_browser=False",
    "--LabApp.news_url=None",  # no announcements feed from jupyterlab.github.io
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.extension_manager=readonly",  # no PyPI search or install from the extension manager
]
_UNSAFE = re.compile(r"[^\w\-]+")


def free_port(host: str) -> int:
    """A port the OS says is free now (JupyterLab binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def lab_command(settings: Settings, *, port: int) -> list[str]:
    """JupyterLab on loopback over the whole project (notebooks/, reports/notebooks/), offline. No token in it: any
    local user reads a command line (`ps`); the token goes in the environment (`lab_environ`)."""
    command = [sys.executable, "-m", "jupyter", "lab", *OFFLINE, f"--ServerApp.root_dir={settings.project_root}"]
    command += [f"--ServerApp.ip={LOOPBACK}", f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    if os.geteuid() == 0:  # root only where the harness runs as root, for pcscd (docs/shared-stack.md says why)
        command.append("--ServerApp.allow_root=True")
    return command


def lab_environ(token: str) -> dict[str, str]:
    """JupyterLab's environment: the token as JUPYTER_TOKEN (jupyter_server's IdentityProvider reads it), which only
    the process's own user (and root) can read, unlike its command line."""
    return {**os.environ, "JUPYTER_TOKEN": token}


def sync_pairs(notebooks: Path) -> list[Path]:
    """Make or update each percent-format .py notebook's paired .ipynb (jupytext --sync); return the .ipynb files."""
    sources = sorted(notebooks.glob("*.py"))
    if sources:
        command = [sys.executable, "-m", "jupytext", "--sync", "--quiet", *map(str, sources)]
        subprocess.run(command, check=True)
    return [source.with_suffix(".ipynb") for source in sources]


def reopened(settings: Settings, which: str) -> Path:
    """A notebook for the failed scenario `which` (a result file or part of a scenario's name), or a downloaded
    .ipynb, placed under reports/notebooks/ where JupyterLab sees it."""
    folder = settings.path(settings.reports_dir) / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    given = Path(which)
    if given.suffix == ".ipynb" and given.is_file():
        if given.resolve().is_relative_to(settings.project_root):
            return given.resolve()
        return Path(shutil.copy(given, folder / given.name))
    failure = find_failure(settings.allure_results, which)
    target = folder / f"重現-{_UNSAFE.sub('-', failure.scenario).strip('-')[:80]}.ipynb"
    target.write_text(as_text(reopen_notebook(failure)), encoding="utf-8")
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """Start JupyterLab; print the URL to open (the notebook to start from, with its token)."""
    parser = argparse.ArgumentParser(prog="tpcd notebook", description="JupyterLab on the project's kernel")
    parser.add_argument("path", nargs="?", help="a notebook to open (e.g. one downloaded from the Allure report)")
    parser.add_argument("--reopen", metavar="RESULT|NAME", help="a failed scenario: its result file or name")
    parser.add_argument("--port", type=int, default=0, help="JupyterLab's port (default: a free one)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        pairs = sync_pairs(settings.project_root / "notebooks")
        opening = pairs[0] if pairs else None
        if args.reopen or args.path:
            opening = reopened(settings, args.reopen or args.path)
    except (SettingsError, ReopenError, subprocess.CalledProcessError) as error:
        print(f"tpcd notebook: {error}", file=sys.stderr)
        return 2
    port, token = args.port or free_port(LOOPBACK), secrets.token_urlsafe(24)
    tree = f"/lab/tree/{opening.relative_to(settings.project_root)}" if opening else "/lab"
    print(f"JupyterLab（tpcd-harness 核心，離線）：http://{LOOPBACK}:{port}{tree}?token={token}", flush=True)
    print("Ctrl-C 兩次停止；筆記本的核心結束時，其啟動的服務也一併停止。", flush=True)
    command = lab_command(settings, port=port)
    os.execve(command[0], command, lab_environ(token))  # JupyterLab takes this process over: Ctrl-C and SIGTERM too


if __name__ == "__main__":
    sys.exit(main())
