"""Each simulator starts alone with `python -m simulators.<name>`, says where it listens, stops on SIGTERM leaving
nothing (no process, port, namespace or temp folder), and refuses to listen beyond loopback."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.net import port_closed
from tests.processes import contents, footprint, left_behind, marked_tmpdir

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["sms", "mail", "captcha", "netizen", "registry", "agent"])
def test_runs_alone_and_stops_on_sigterm_leaving_nothing(name: str) -> None:
    if name == "agent" and os.geteuid() != 0:
        pytest.skip("the agent alone runs a private pcscd: needs root (make test runs as root)")
    command = [sys.executable, "-m", f"simulators.{name}"] + (["--port", "0"] if name == "agent" else [])
    with marked_tmpdir() as tmpdir:
        marker, environ = f"TMPDIR={tmpdir}", {**os.environ, "TMPDIR": str(tmpdir)}
        with subprocess.Popen(
            command, cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as process:
            try:
                assert process.stdout is not None
                line = process.stdout.readline()
                urls = re.findall(r"http://127\.0\.0\.1:\d+", line)
                assert urls, line
                assert requests.get(urls[-1] + "/healthz", timeout=5).json() == {"status": "ok"}
                seen = footprint(marker)
                process.send_signal(signal.SIGTERM)
                assert process.wait(timeout=15) == 0
            finally:
                if process.poll() is None:
                    process.kill()
        assert all(port_closed(url) for url in urls), line
        assert not left_behind(seen, marker)
        assert contents(tmpdir) == []


@pytest.mark.parametrize("name", ["sms", "mail", "agent"])
def test_alone_it_refuses_to_listen_beyond_loopback(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", f"simulators.{name}", "--host", "0.0.0.0"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith(f"python -m simulators.{name}: error: --host 0.0.0.0 is beyond")
