"""`tpcd` as a person or CI uses it: a real subprocess, real signals, real ports."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
import requests

from harness.cli import _workers, main
from harness.doctor import check_chromium
from harness.settings import load_settings
from harness.trace import coverage
from simulators.captcha.faults import GOOGLE_TEST_SECRET
from tests.net import port_closed

ROOT = Path(__file__).resolve().parents[2]
TPCD = [sys.executable, "-m", "harness.cli"]


def test_up_json_prints_one_line_when_ready_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "harness.cli", "up", "--json", "--out", str(tmp_path / "stack")]
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
            _verifies_over_https_trusting_only(services["captcha_https"], Path(services["captcha_ca"]))
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0
            assert process.stdout.read() == ""  # exactly one line of JSON on stdout
            for name in ("portal", "sms", "mail_api", "captcha", "netizen", "ocsp"):
                assert port_closed(services[name]), name
            assert not Path(services["pcsc_socket"]).exists()  # the private pcscd is gone too
        finally:
            if process.poll() is None:
                process.kill()


def _verifies_over_https_trusting_only(captcha_https: str, ca_file: Path) -> None:
    """A client that hard-codes https (as django-recaptcha does) and trusts nothing but the CA file `tpcd up` wrote
    beside the portal configuration reaches siteverify; one trusting the system's CAs is refused."""
    assert captcha_https.startswith("https://127.0.0.1:")
    assert ca_file.parent.name == "stack"
    form = urllib.parse.urlencode({"secret": GOOGLE_TEST_SECRET, "response": "any"}).encode()
    siteverify = captcha_https + "/recaptcha/api/siteverify"
    only_that_ca = ssl.create_default_context(cafile=ca_file)  # with a cafile, no default certificates are loaded
    with urllib.request.urlopen(siteverify, data=form, context=only_that_ca, timeout=10) as answer:
        assert json.load(answer)["success"] is True  # Google's test keys always pass (docs/protocols/recaptcha.md)
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(siteverify, data=form, context=ssl.create_default_context(), timeout=10)


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


# id → (tpcd's arguments, environment, the one line after "tpcd: " as a pattern); {busy}: a port in use, {tmp}: a
# folder of the test's own holding a file `a-file`.
START_UP_FAILURES = {
    "busy-port": (
        ["up", "--port", "sms={busy}"],
        {},
        r"sms: 127\.0\.0\.1:{busy} is already in use: stop what holds it, or pin another port with ports "
        r"\(--port sms=N\)",
    ),
    "busy-smtp-port": (["up", "--port", "mail_smtp={busy}"], {}, r"mail_smtp: 127\.0\.0\.1:{busy} is already in use"),
    "busy-portal-port": (
        ["up", "--portal-port", "{busy}"],
        {},
        r"portal: .* pin another port with portal_port \(--portal-port N\)",
    ),
    "address-not-here": (
        ["up", "--listen", "192.0.2.1"],  # TEST-NET-1 (RFC 5737): never an address of this machine
        {},
        r"sms: cannot listen on 192\.0\.2\.1:0 \(Cannot assign requested address\): give listen an address of "
        r"this machine",
    ),
    "db-path-a-folder": (
        ["up"],
        {"TPCD_DB_PATH": "{tmp}"},
        r"db_path {tmp} is a folder: give the twin's database file",
    ),
    "old-host-variable": (
        ["up"],
        {"TPCD_HOST": "0.0.0.0"},
        r"environment variable TPCD_HOST is no setting of tpcd-harness: it was renamed TPCD_LISTEN \(unset it\)",
    ),
    "listen-from-env": (
        ["up"],
        {"TPCD_LISTEN": "0.0.0.0"},
        r"environment variable TPCD_LISTEN: listen='0\.0\.0\.0' would bind the simulators beyond loopback; only "
        r"`tpcd up --listen 0\.0\.0\.0` does that",
    ),
    "stack-dir-unwritable": (
        ["up"],
        {"TPCD_STACK_DIR": "{tmp}/a-file/stack"},
        r"stack_dir .* cannot be written \(Not a directory\)",
    ),
    "negative-timeout": (
        ["run"],
        {"TPCD_READY_TIMEOUT": "-1"},
        r"environment variable TPCD_READY_TIMEOUT: ready_timeout='-1' must be a number of seconds more than 0",
    ),
    "float-for-int": (
        ["run"],
        {"TPCD_PORTAL_PORT": "1.5"},
        r"environment variable TPCD_PORTAL_PORT: portal_port='1\.5' is not an integer",
    ),
    "reports-dir-unwritable": (
        ["run"],
        {"TPCD_REPORTS_DIR": "{tmp}/a-file/reports"},
        r"reports_dir {tmp}/a-file/reports cannot be written \(Not a directory\): give a writable folder "
        r"\(TPCD_REPORTS_DIR or \[tool\.tpcd\] reports_dir\)",
    ),
    "no-chromium": (
        ["run"],
        {"TPCD_CHROMIUM": "{tmp}/no-chromium"},
        r"chromium {tmp}/no-chromium missing or not runnable: apt-get install -y chromium",
    ),
    "misspelt-variable": (
        ["run"],
        {"TPCD_BASEURL": "https://id.taipei"},
        r"environment variable TPCD_BASEURL is no setting of tpcd-harness: did you mean TPCD_BASE_URL\?",
    ),
    "empty-base-url": (
        ["--base-url", "", "run"],
        {},
        r"option --base-url: base_url is empty: leave it out to use the default",
    ),
    "base-url-host-with-a-space": (
        ["run", "--base-url", "https://por tal.example"],
        {},
        r"option --base-url: base_url 'https://por tal\.example': 'por tal\.example' is not a host name or an IP "
        r"address",
    ),
    "portal-port-out-of-range": (
        ["up", "--portal-port", "70000"],
        {},
        r"portal_port 70000 is not a port \(0–65535; 0: any free one\)",
    ),
    "listen-ipv6": (
        ["up", "--listen", "::1"],
        {},
        r"listen '::1' is an IPv6 address: give an IPv4 address or a host name",
    ),
    "advertise-with-a-space": (
        ["up", "--advertise", "a b"],
        {},
        r"advertise 'a b' is not a host name or an IP address",
    ),
    "base-url-with-a-query": (
        ["run", "--base-url", "https://id.taipei/tpcd/?lang=zh"],
        {},
        r"option --base-url: base_url 'https://id\.taipei/tpcd/\?lang=zh' has more than an origin and a path",
    ),
}


@pytest.mark.parametrize(("arguments", "environ", "line"), START_UP_FAILURES.values(), ids=START_UP_FAILURES.keys())
def test_a_start_up_failure_is_one_line_naming_the_setting_and_what_to_do(
    arguments: list[str], environ: dict[str, str], line: str, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        values = {"busy": str(taken.getsockname()[1]), "tmp": str(tmp_path)}
        command = [*TPCD, *(argument.format(**values) for argument in arguments)]
        environment = {**os.environ, **{name: value.format(**values) for name, value in environ.items()}}
        environment["TPCD_STACK_DIR"] = environment.get("TPCD_STACK_DIR", str(tmp_path / "stack"))
        environment["TPCD_REPORTS_DIR"] = environment.get("TPCD_REPORTS_DIR", str(tmp_path / "reports"))
        done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr  # one line, no traceback
    assert re.fullmatch(r"tpcd: " + line.format(**values) + r".*\n", done.stderr), done.stderr


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


def test_a_run_uses_two_workers_unless_told_how_many() -> None:
    assert _workers(["-m", "journey"]) == ["-n", "2", "--dist", "worksteal"]
    for told in (["-n", "0"], ["-n4"], ["--numprocesses=3"], ["-p", "no:xdist"], ["--dist", "load"]):
        assert _workers(told) == [], told
