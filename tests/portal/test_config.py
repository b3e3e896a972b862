"""The twin configured as a deployment is: PORTAL_* keys from its environment or a file, a clear error per bad key."""

from __future__ import annotations

import json
import re
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization

from portal.config import SYSTEMS, PortalConfigError, key_of, load
from simulators.card import KeyPool, TestPki
from tests.net import port_closed

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pool = KeyPool(ready=2)
    try:
        pki = TestPki(pool)
    finally:
        pool.close()
    path = tmp_path_factory.mktemp("ca") / "moica-test-chain.pem"
    path.write_bytes(pki.ca_cert.public_bytes(serialization.Encoding.PEM))
    return path


def _complete(chain: Path) -> dict[str, str]:
    """Every system key, as `tpcd up --portal-config` writes them."""
    values = {key_of(name): "x" for name in SYSTEMS}
    values |= {key: "http://10.0.0.1:8001" for key in values if key.endswith("_URL")}
    values |= {"PORTAL_SMTP_PORT": "2525", "PORTAL_TRUSTED_CA_FILE": str(chain)}
    return values


def test_a_complete_dotenv_configures_every_system(tmp_path: Path, chain: Path) -> None:
    lines = ["# comment", "", *(f"{key}={value}" for key, value in _complete(chain).items())]
    lines += ["export PORTAL_OTP_TTL='120'", 'PORTAL_TWIN_CONTROLS="false"']
    (tmp_path / "portal.env").write_text("\n".join(lines), encoding="utf-8")
    deployment = load({}, file=tmp_path / "portal.env")
    settings = deployment.settings
    assert settings.sms_gateway_url == "http://10.0.0.1:8001"
    assert settings.smtp_port == 2525
    assert settings.otp_ttl == 120.0
    assert settings.twin_controls is False
    assert settings.trusted_ca_pem == chain.read_bytes()
    assert (deployment.listen, deployment.port) == ("127.0.0.1", 0)


def test_json_works_too_and_the_environment_wins_over_the_file(tmp_path: Path, chain: Path) -> None:
    (tmp_path / "portal.json").write_text(json.dumps(_complete(chain)), encoding="utf-8")
    deployment = load({"PORTAL_SMTP_PORT": "25", "PORTAL_LISTEN": "10.1.2.3"}, file=tmp_path / "portal.json")
    assert deployment.settings.smtp_port == 25
    assert deployment.listen == "10.1.2.3"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"PORTAL_SMS_GATEWAY_URL": ""}, r"missing PORTAL_SMS_GATEWAY_URL \(the Mitake SmSend URL"),
        ({"PORTAL_SMTP_PORT": "twenty-five"}, r"PORTAL_SMTP_PORT='twenty-five' \(environment\) is not an integer"),
        ({"PORTAL_REGISTRY_URL": "registry.local"}, r"PORTAL_REGISTRY_URL='registry.local'.*http:// or https://"),
        ({"PORTAL_SMS_GATEWAY_ULR": "http://x"}, r"unknown key PORTAL_SMS_GATEWAY_ULR \(environment\)"),
        ({"PORTAL_TRUSTED_CA_FILE": "/nonexistent.pem"}, r"PORTAL_TRUSTED_CA_FILE='/nonexistent.pem'.*cannot be read"),
        ({"PORTAL_TWIN_CONTROLS": "on", "PORTAL_LISTEN": "0.0.0.0"}, r"needs PORTAL_TWIN_TOKEN"),
        ({"PORTAL_SECRET_KEY": ""}, r"PORTAL_SECRET_KEY \(environment\) is not a key of 32 random bytes"),
        ({"PORTAL_SECRET_KEY": "x"}, r"PORTAL_SECRET_KEY \(environment\) is not a key of 32 random bytes"),
        ({"PORTAL_SECRET_KEY": "a" * 64}, r"PORTAL_SECRET_KEY \(environment\) is not a key of 32 random bytes"),
        ({"PORTAL_OTP_KEY": "short-key"}, r"PORTAL_OTP_KEY \(environment\) is not a key of 32 random bytes"),
        (
            {"PORTAL_REGISTRY_URL": "http://regi stry.test"},
            r"PORTAL_REGISTRY_URL='http://regi stry.test'.*no valid host",
        ),
    ],
    ids=[
        "missing",
        "not-int",
        "not-url",
        "unknown",
        "no-chain",
        "open-clock",
        "empty-key",
        "short-key",
        "one-letter",
        "short-otp-key",
        "host-with-space",
    ],
)
def test_each_bad_key_is_named(chain: Path, change: dict[str, str], message: str) -> None:
    with pytest.raises(PortalConfigError, match=message):
        load(_complete(chain) | change)


def test_a_random_secret_key_of_32_bytes_is_taken(chain: Path) -> None:
    key = secrets.token_hex(32)
    assert load(_complete(chain) | {"PORTAL_SECRET_KEY": key}).settings.secret_key == key


def test_python_m_portal_listen_beyond_loopback_keeps_the_clock_guard(tmp_path: Path, chain: Path) -> None:
    """--listen is applied before the guard judges the address: an open clock beyond loopback is refused."""
    config = tmp_path / "portal.env"
    config.write_text("\n".join(f"{k}={v}" for k, v in _complete(chain).items()), encoding="utf-8")
    environ = {"PATH": "/usr/bin:/bin", "PORTAL_DB_PATH": str(tmp_path / "db"), "PORTAL_TWIN_CONTROLS": "true"}
    command = [sys.executable, "-m", "portal", "--config", str(config), "--listen", "0.0.0.0", "--port", "0"]
    done = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout
    assert done.stderr.startswith("python -m portal: PORTAL_TWIN_CONTROLS on 0.0.0.0 (beyond loopback) needs")
    assert done.stderr.count("\n") == 1


def test_a_chain_file_without_certificates_is_refused(tmp_path: Path, chain: Path) -> None:
    (tmp_path / "empty.pem").write_text("not a certificate", encoding="utf-8")
    with pytest.raises(PortalConfigError, match="holds no PEM certificate"):
        load(_complete(chain) | {"PORTAL_TRUSTED_CA_FILE": str(tmp_path / "empty.pem")})


def test_python_m_portal_serves_the_twin_from_the_file_and_stops_cleanly(tmp_path: Path, chain: Path) -> None:
    config = tmp_path / "portal.env"
    config.write_text("\n".join(f"{k}={v}" for k, v in _complete(chain).items()), encoding="utf-8")
    environ = {
        "PATH": "/usr/bin:/bin",
        "PORTAL_DB_PATH": str(tmp_path / "portal.sqlite3"),
        "PORTAL_TWIN_CONTROLS": "true",
        "PORTAL_TWIN_TOKEN": "t0ken",
    }
    command = [sys.executable, "-m", "portal", "--config", str(config)]
    with subprocess.Popen(command, cwd=ROOT, env=environ, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()  # the readiness signal
            url = re.fullmatch(r"portal twin listening on (http://127\.0\.0\.1:\d+)\n", line)
            assert url, line
            assert "申請臺北卡" in requests.get(url[1], timeout=5).text
            clock = url[1] + "/_twin/clock/reset"
            refused = requests.post(clock, timeout=5)
            assert refused.status_code == 401
            assert refused.headers["WWW-Authenticate"] == "Bearer"
            assert requests.post(clock, headers={"Authorization": "Bearer t0ken"}, timeout=5).status_code == 200
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0
        finally:
            if process.poll() is None:
                process.kill()
    assert port_closed(url[1])
    assert (tmp_path / "portal.sqlite3").exists()
    assert not (tmp_path / "portal.sqlite3-wal").exists()  # the database was closed, not left mid-journal


def test_python_m_portal_names_the_missing_key_and_exits_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "portal"], cwd=ROOT, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.startswith("python -m portal: missing PORTAL_SMS_GATEWAY_URL")
    assert done.stderr.count("\n") == 1


def test_the_real_name_nonce_lifetime_is_a_setting(chain: Path) -> None:
    assert load({**_complete(chain)}).settings.nonce_ttl == 300.0  # the default: five minutes to sign and send
    assert load({**_complete(chain), "PORTAL_NONCE_TTL": "15"}).settings.nonce_ttl == 15.0


TYPED: dict[str, tuple[str, object]] = {  # one field of each type PortalSettings has: its value as text, as JSON
    "PORTAL_TWIN_CONTROLS": ("yes", True),
    "PORTAL_OTP_TRIES": ("7", 7),
    "PORTAL_NONCE_TTL": ("2.5", 2.5),
    "PORTAL_DB_PATH": ("~/portal.sqlite3", "~/portal.sqlite3"),
    "PORTAL_CAPTCHA_HOSTNAMES": ("a.example.test,b.example.test", ["a.example.test", "b.example.test"]),
    "PORTAL_MAIL_FROM": ("臺北卡 <x@example.test>", "臺北卡 <x@example.test>"),
}


@pytest.mark.parametrize("source", ["environment", "dotenv", "json"])
def test_every_field_type_loads_from_each_source(tmp_path: Path, chain: Path, source: str) -> None:
    given = {key: text for key, (text, _) in TYPED.items()}
    if source == "environment":
        deployment = load(_complete(chain) | given)
    elif source == "dotenv":
        lines = [f"{key}={value}" for key, value in (_complete(chain) | given).items()]
        (tmp_path / "portal.env").write_text("\n".join(lines), encoding="utf-8")
        deployment = load({}, file=tmp_path / "portal.env")
    else:
        typed = {key: as_json for key, (_, as_json) in TYPED.items()}
        (tmp_path / "portal.json").write_text(json.dumps(_complete(chain) | typed), encoding="utf-8")
        deployment = load({}, file=tmp_path / "portal.json")
    settings = deployment.settings
    assert settings.twin_controls is True
    assert (settings.otp_tries, settings.nonce_ttl) == (7, 2.5)
    assert settings.db_path == Path("~/portal.sqlite3").expanduser()
    assert settings.captcha_hostnames == ("a.example.test", "b.example.test")
    assert settings.mail_from == "臺北卡 <x@example.test>"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"PORTAL_TWIN_CONTROLS": "maybe"}, r"PORTAL_TWIN_CONTROLS='maybe' \(environment\) is not true or false"),
        ({"PORTAL_OTP_TRIES": "1.5"}, r"PORTAL_OTP_TRIES='1.5' \(environment\) is not an integer"),
        ({"PORTAL_NONCE_TTL": "soon"}, r"PORTAL_NONCE_TTL='soon' \(environment\) is not a number"),
        ({"PORTAL_CAPTCHA_HOSTNAMES": "a.test,b c"}, r"PORTAL_CAPTCHA_HOSTNAMES=.*'b c' is not a host name"),
    ],
    ids=["bool", "int", "float", "hostnames"],
)
def test_a_bad_value_of_each_type_is_refused_in_one_line_naming_its_key(
    chain: Path, change: dict[str, str], message: str
) -> None:
    with pytest.raises(PortalConfigError, match=message) as refused:
        load(_complete(chain) | change)
    assert "\n" not in str(refused.value)
