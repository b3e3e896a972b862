"""`tpcd` as a person or CI uses it: a real subprocess, real signals, real ports."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import requests

from harness.cli import main
from harness.doctor import check_chromium
from harness.settings import load_settings
from harness.trace import coverage
from tests.net import port_closed

ROOT = Path(__file__).resolve().parents[2]


def test_up_json_prints_one_line_when_ready_and_stops_cleanly_on_sigterm() -> None:
    command = [sys.executable, "-m", "harness.cli", "up", "--json"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()  # blocks until the stack is ready: the readiness signal itself
            services = json.loads(line)
            assert {"portal", "sms", "mail_api", "mail_smtp", "captcha", "netizen", "ocsp", "reader"} <= services.keys()
            assert services["reader"].startswith("TPCD Virtual Reader")
            assert Path(services["pcsc_socket"]).exists()
            for name in ("portal", "sms", "mail_api", "captcha", "netizen", "ocsp"):
                assert requests.get(services[name] + "/healthz", timeout=5).status_code == 200, name
            assert services["mail_smtp"].startswith("smtp://127.0.0.1:")
            citizen = services["citizen"]
            assert {"name", "id_number", "mobile", "email", "pin", "seed"} <= citizen.keys()
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0
            assert process.stdout.read() == ""  # exactly one line of JSON on stdout
            for name in ("portal", "sms", "mail_api", "captcha", "netizen", "ocsp"):
                assert port_closed(services[name]), name
            assert not Path(services["pcsc_socket"]).exists()  # the private pcscd is gone too
        finally:
            if process.poll() is None:
                process.kill()


def test_trace_passes_when_every_documented_step_has_a_scenario(tmp_path: Path) -> None:
    matrix = coverage(ROOT / "features", ROOT)
    uncovered = [row.step for row in matrix if not row.scenarios]
    assert uncovered == []
    assert main(["trace", "--json", "--results", str(tmp_path)]) == 0  # no results yet: coverage alone decides


def test_trace_json_shape() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "trace", "--json"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    steps = json.loads(done.stdout)["steps"]
    assert sorted(steps, key=int) == [str(n) for n in range(1, 25)]
    assert all({"scenario", "status"} == set(entry) for entry in steps["1"])
    assert any(entry["scenario"].startswith("features/01_apply.feature:") for entry in steps["3"])


def test_doctor_names_the_fix_for_a_missing_browser() -> None:
    broken = load_settings({"chromium": "/nonexistent/chromium"}, root=ROOT, environ={})
    check = check_chromium(broken)
    assert not check.ok
    assert "apt-get install -y chromium" in check.fix


def test_doctor_passes_on_this_set_up_machine() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "doctor"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout
    assert "all checks passed" in done.stdout


def test_bad_setting_exits_2_with_its_source() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "--base-url", "id.taipei", "trace"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "must start with http:// or https://" in done.stderr


def _result(folder: Path, full_name: str, status: str, stop: int) -> None:
    record = {"uuid": str(uuid.uuid4()), "fullName": full_name, "status": status, "stop": stop, "historyId": full_name}
    (folder / f"{record['uuid']}-result.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def test_trace_fails_when_a_step_has_no_passing_scenario(tmp_path: Path) -> None:
    scenarios = {entry["scenario"] for row in coverage(ROOT / "features", ROOT) for entry in row.scenarios}
    for name in scenarios:
        _result(tmp_path, name, "passed", stop=1)
    assert main(["trace", "--results", str(tmp_path)]) == 0
    for name in scenarios:
        if "journey" not in name and "申請臺北卡並選擇" not in name:
            _result(tmp_path, name, "failed", stop=2)  # a newer attempt that failed replaces the pass
    # steps 1–24 are still proven by the journey; now let the journey fail too
    assert main(["trace", "--results", str(tmp_path)]) == 0
    for name in scenarios:
        _result(tmp_path, name, "failed", stop=3)
    assert main(["trace", "--results", str(tmp_path)]) == 1


def _collected(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "steps", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return {line for line in done.stdout.splitlines() if "::" in line}


def test_shards_split_the_suite_without_overlap() -> None:
    everything = _collected()
    first, second = _collected("--shard", "1/2"), _collected("--shard", "2/2")
    assert first
    assert second
    assert first | second == everything
    assert not first & second
