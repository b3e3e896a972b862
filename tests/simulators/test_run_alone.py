"""Each simulator starts alone with `python -m simulators.<name>`, says where it listens, and stops on SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["sms", "mail", "captcha", "netizen", "registry"])
def test_runs_alone_and_stops_on_sigterm(name: str) -> None:
    command = [sys.executable, "-m", f"simulators.{name}"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            url = re.search(r"http://127\.0\.0\.1:\d+", line)
            assert url, line
            assert requests.get(url.group(0) + "/healthz", timeout=5).json() == {"status": "ok"}
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0
        finally:
            if process.poll() is None:
                process.kill()
