"""The attached topology, proven on the twin deployed apart (docs/design.md#two-topologies, docs/deployment.md).

`tpcd up` binds the host side of a veth pair this module creates; the twin runs as its own process (`python -m
portal`, configured only by the file `tpcd up` wrote) inside a network namespace, so nothing can lean on loopback;
two `tpcd run --base-url … --stack …` at once pass the journey and fault scenarios against it. Traffic stays between
the namespaces made here, and everything is torn down in `finally`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from harness.settings import PERSON_PACE
from simulators.captcha.faults import GOOGLE_TEST_SECRET
from tests.tpcd import TPCD, first_line, stop

ROOT = Path(__file__).resolve().parents[2]
PORTAL_PORT = 8080  # inside the namespace made here: nothing else listens there
NONCE_LIFETIME = "15"  # seconds: the deployed twin's real-name nonce lifetime, which a run must be told


@dataclass(frozen=True)
class Veth:
    """A network namespace with one end of a veth pair; the other end stays in ours."""

    namespace: str
    host_ip: str  # our end: the stack listens here
    portal_ip: str  # the namespace's end: the twin listens here


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def _free_block() -> int:
    """A /30 in 10.77.0.0/16 no interface here uses (two test runs on one machine pick different ones)."""
    used = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True, check=True).stdout
    for offset in range(16384):
        block = (os.getpid() + offset) % 16384
        if f"10.77.{block // 64}.{block % 64 * 4 + 1}/" not in used:
            return block
    raise RuntimeError("no free /30 in 10.77.0.0/16")


@pytest.fixture(scope="module")
def veth() -> Iterator[Veth]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2 to make a network namespace (make test runs as root)")
    block, tag = _free_block(), f"tpcd{os.getpid() % 10**7}"
    third, fourth = block // 64, block % 64 * 4
    made = Veth(tag, f"10.77.{third}.{fourth + 1}", f"10.77.{third}.{fourth + 2}")
    try:
        _ip("netns", "add", made.namespace)
        _ip("link", "add", f"{tag}h", "type", "veth", "peer", "name", f"{tag}n")
        _ip("link", "set", f"{tag}n", "netns", made.namespace)
        _ip("addr", "add", f"{made.host_ip}/30", "dev", f"{tag}h")
        _ip("link", "set", f"{tag}h", "up")
        inside = ["netns", "exec", made.namespace, "ip"]
        _ip(*inside, "addr", "add", f"{made.portal_ip}/30", "dev", f"{tag}n")
        _ip(*inside, "link", "set", f"{tag}n", "up")
        _ip(*inside, "link", "set", "lo", "up")
        yield made
    finally:
        subprocess.run(["ip", "link", "del", f"{tag}h"], capture_output=True, check=False)  # takes its peer along
        subprocess.run(["ip", "netns", "del", made.namespace], capture_output=True, check=False)


@dataclass(frozen=True)
class Deployment:
    stack_json: Path
    stack: dict[str, Any]
    portal: str
    token: str


@pytest.fixture(scope="module")
def deployment(veth: Veth, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """`tpcd up` on our veth end, the twin from the configuration it wrote, in the namespace."""
    work = tmp_path_factory.mktemp("deployed")
    up = [*TPCD, "up", "--listen", veth.host_ip, "--portal-config", "dotenv", "--out", str(work / "stack"), "--json"]
    # A closed network of this test's own: the stack serves plain HTTP (docs/shared-stack.md#tls-beyond-loopback).
    plain = {**os.environ, "TPCD_PLAIN_HTTP_STACK": "1"}
    stack = subprocess.Popen(up, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=plain, start_new_session=True)
    twin: subprocess.Popen[str] | None = None
    try:
        described = json.loads(first_line(stack, timeout=60))
        config = Path(str(described["portal_config"]))
        # A real-name nonce good for NONCE_LIFETIME seconds, as the runs are told (TPCD_NONCE_LIFETIME) below.
        environ = {**os.environ, "PORTAL_DB_PATH": str(work / "portal.sqlite3"), "PORTAL_NONCE_TTL": NONCE_LIFETIME}
        serve = ["ip", "netns", "exec", veth.namespace, sys.executable, "-m", "portal", "--config", str(config)]
        serve += ["--listen", veth.portal_ip, "--port", str(PORTAL_PORT)]
        twin = subprocess.Popen(serve, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=environ, start_new_session=True)
        portal = f"http://{veth.portal_ip}:{PORTAL_PORT}"
        assert first_line(twin, timeout=30).strip() == f"portal twin listening on {portal}"
        token = Path(str(described["token_file"])).read_text(encoding="utf-8").strip()
        yield Deployment(work / "stack" / "stack.json", described, portal, token)
    finally:
        codes = [stop(process) for process in (twin, stack) if process is not None]  # both, whatever the first says
    assert codes == [0, 0], "the twin and tpcd up stop cleanly on SIGTERM"
    assert not (work / "stack" / "token").exists(), "the token outlives the stack that made it"


def test_the_stack_hands_out_its_advertised_address_and_keeps_its_token_private(
    deployment: Deployment, veth: Veth
) -> None:
    for name in ("sms", "mail_api", "captcha", "netizen", "registry", "ocsp"):
        assert str(deployment.stack[name]).startswith(f"http://{veth.host_ip}:"), name
    smtp_port = deployment.stack["deployment"]["PORTAL_SMTP_PORT"]
    assert deployment.stack["mail_smtp"] == f"smtp://{veth.host_ip}:{smtp_port}"
    assert str(deployment.stack["agent"]).startswith("http://127.0.0.1:")  # the citizen's computer stays local
    assert "portal" not in deployment.stack  # a stack for a deployment starts no twin: the portal is the deployment
    token_file = Path(str(deployment.stack["token_file"]))
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert deployment.token not in deployment.stack_json.read_text(encoding="utf-8")


def test_beyond_loopback_controls_and_inboxes_answer_401_without_the_token(deployment: Deployment) -> None:
    sms, ocsp = str(deployment.stack["sms"]), str(deployment.stack["ocsp"])
    for url in (f"{sms}/_control/state", f"{sms}/api/v1/messages", f"{sms}/", f"{ocsp}/_control/cards"):
        answer = requests.get(url, timeout=5)
        assert answer.status_code == 401, url
        assert answer.headers["WWW-Authenticate"].startswith("Bearer"), url
    reset = requests.post(f"{sms}/_control/reset", timeout=5)
    assert reset.status_code == 401
    wrong = requests.get(f"{sms}/api/v1/messages", headers={"Authorization": "Bearer not-it"}, timeout=5)
    assert wrong.status_code == 401
    right = requests.get(f"{sms}/api/v1/messages", headers={"Authorization": f"Bearer {deployment.token}"}, timeout=5)
    assert right.status_code == 200
    # the protocol surfaces stay as open as the real systems': Mitake answers its own error, OCSP its CA's chain
    mitake = requests.post(f"{sms}/api/mtk/SmSend", data={"username": "x", "password": "y"}, timeout=5)
    assert mitake.status_code == 200
    assert "statuscode=e" in mitake.text
    assert requests.get(f"{ocsp}/ca.pem", timeout=5).text.startswith("-----BEGIN CERTIFICATE-----")


def test_captcha_over_https_is_advertised_trusted_by_its_ca_and_guarded(deployment: Deployment, veth: Veth) -> None:
    https, ca_file = str(deployment.stack["captcha_https"]), str(deployment.stack["captcha_ca"])
    assert https.startswith(f"https://{veth.host_ip}:")  # its certificate names the advertised address
    assert Path(ca_file).parent == deployment.stack_json.parent  # beside the portal configuration
    verdict = requests.post(
        f"{https}/recaptcha/api/siteverify",
        data={"secret": GOOGLE_TEST_SECRET, "response": "any"},
        verify=ca_file,
        timeout=5,
    )
    assert verdict.json()["success"] is True  # the protocol surface is open, as Google's is
    assert requests.get(f"{https}/_control/state", verify=ca_file, timeout=5).status_code == 401  # controls: token
    authorized = {"Authorization": f"Bearer {deployment.token}"}
    assert requests.get(f"{https}/_control/state", headers=authorized, verify=ca_file, timeout=5).status_code == 200


def _tpcd_run(deployment: Deployment, reports: Path, *selection: str) -> subprocess.Popen[str]:
    command = [*TPCD, "run", "--base-url", deployment.portal, "--stack", str(deployment.stack_json), "-n", "0"]
    command += selection  # one process each: the two runs at once are the concurrency under test
    # The namespaces made here are a closed network: the token may go over plain HTTP (docs/shared-stack.md).
    environ = {**os.environ, "TPCD_REPORTS_DIR": str(reports), "TPCD_PLAIN_HTTP_STACK": "1"}
    # Two runs at once on two shared cores: a person's start-up of the 安控元件 (1.5 s of Loading), so the step that
    # watches the tray still sees Loading under that load; the suite's own short waits are test_pace.py's business.
    environ["TPCD_AGENT_LOADING_SECONDS"] = str(PERSON_PACE.agent_loading_seconds)
    return subprocess.Popen(command, cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _results(reports: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for result in (reports / "allure-results").glob("*-result.json"):
        record = json.loads(result.read_text(encoding="utf-8"))
        found[record["name"]] = record
    return found


# Two runs at once, each with a journey and faults of its own, and one fault both arm at the same time:
# name → (its -k selection, the scenarios that must pass; -k also matches an outline's example values, so the
# 11_server_rules outline whose 提示 says 驗證未通過 is left out by name).
RUNS = {
    "one": (
        "journey and 手機 or 簡訊服務點數 or 驗證未通過 and not 不經頁面 or 驗證碼逾時後",
        {
            "市民以手機驗證，一路完成金質會員申請",
            "簡訊服務點數不足時說明原因，已填的手機號碼仍在",
            "「我不是機器人」驗證未通過",
        },
    ),
    "two": (
        "journey and 電子郵件 or 已被廢止的自然人憑證 or 暫停時改查 or 卡證服務系統暫停 or 驗證未通過 and not 不經頁面",
        {
            "市民以電子郵件驗證，一路完成金質會員申請",
            "已被廢止的自然人憑證無法實名驗證",
            "OCSP 暫停時改查 CRL，仍完成實名驗證",
            "卡證服務系統暫停時仍顯示已實名，並說明清單暫時無法顯示",
            "「我不是機器人」驗證未通過",
        },
    ),
}
CLOCK = "驗證碼逾時後無法使用"  # moves the twin's clock: skipped against a deployment, with the reason


def test_two_runs_at_once_pass_the_journey_and_faults_against_the_deployed_twin(
    deployment: Deployment, tmp_path: Path
) -> None:
    runs = {name: _tpcd_run(deployment, tmp_path / name, "-k", selection) for name, (selection, _) in RUNS.items()}
    outputs = {name: run.communicate(timeout=600)[0] for name, run in runs.items()}
    assert {name: run.returncode for name, run in runs.items()} == {"one": 0, "two": 0}, outputs
    for name, (_, passing) in RUNS.items():
        environment = (tmp_path / name / "allure-results" / "environment.properties").read_text(encoding="utf-8")
        assert f"target={deployment.portal}\n" in environment
        assert f"stack=attached {deployment.stack_json} (shared)\n" in environment
        statuses = {scenario: r["status"] for scenario, r in _results(tmp_path / name).items()}
        assert statuses == {**dict.fromkeys(passing, "passed"), **({CLOCK: "skipped"} if name == "one" else {})}
    clock = _results(tmp_path / "one")[CLOCK]  # never silently passed: the reason is in the report
    assert "only the embedded portal twin" in clock["statusDetails"]["message"]


@pytest.mark.parametrize("how", ["option before run", "environment"])
def test_tpcd_run_targets_the_given_base_url(deployment: Deployment, tmp_path: Path, how: str) -> None:
    base = {**os.environ, "TPCD_REPORTS_DIR": str(tmp_path)}
    selection = ["run", "-n", "0", "-k", "市民從臺北卡網站首頁開始申請"]  # steps 1–3 only: no simulator is needed
    if how == "environment":
        command, environ = [*TPCD, "--seed", "7", *selection], {**base, "TPCD_BASE_URL": deployment.portal}
    else:
        command, environ = [*TPCD, "--base-url", deployment.portal, "--seed", "7", *selection], base
    done = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "it was not configured with" in done.stderr  # no stack: said once, before anything runs
    environment = (tmp_path / "allure-results" / "environment.properties").read_text(encoding="utf-8")
    assert f"target={deployment.portal}\n" in environment
    assert "citizen.base_seed=7\n" in environment  # `--seed` before `run` reaches the suite too
    assert [r["status"] for r in _results(tmp_path).values()] == ["passed"]


# The real-name attacks (features/10_real_name_attacks.feature): a hostile 安控元件 and card on this machine, the
# evidence posted by a script, two citizens; none of them touches the twin's own controls.
REAL_NAME_ATTACKS = "謊言 or 重送上一次 or 那人的身分證字號 or 只能綁定一位會員 or nonce or 竄改 or 簽章後才改掉"


def test_the_real_name_attacks_pass_against_the_deployed_twin(deployment: Deployment, tmp_path: Path) -> None:
    command = [*TPCD, "run", "--base-url", deployment.portal, "--stack", str(deployment.stack_json), "-n", "0"]
    environ = {**os.environ, "TPCD_REPORTS_DIR": str(tmp_path), "TPCD_NONCE_LIFETIME": NONCE_LIFETIME}
    environ["TPCD_PLAIN_HTTP_STACK"] = "1"  # the namespaces made here are a closed network (docs/shared-stack.md)
    done = subprocess.run(
        [*command, "-k", REAL_NAME_ATTACKS], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=1200
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    statuses = [record["status"] for record in _all_results(tmp_path)]
    # Every one passed, and none went missing: the selection grows as attacks are added (15 when it was written).
    assert len(statuses) >= 15, statuses
    assert set(statuses) == {"passed"}, statuses


def _all_results(reports: Path) -> list[dict[str, Any]]:
    """Every result of a run (a scenario outline's examples share their name)."""
    return [json.loads(path.read_text(encoding="utf-8")) for path in (reports / "allure-results").glob("*-result.json")]
