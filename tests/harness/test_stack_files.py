"""What `tpcd up` and `tpcd card` leave on disk (docs/shared-stack.md): a folder given with --out keeps its mode (a new
one is 0700), every secret file is 0600 even over an older file, and the deployment's configuration (the SMS
password, the OAuth secret) goes when the stack stops unless --keep; `tpcd card` serves no API description."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
from pathlib import Path

import requests

from tests.simulators.card.fake_vpcd import FakeVpcd
from tests.tpcd import TPCD

ROOT = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _up(out: Path, *extra: str) -> dict[str, object]:
    """Run `tpcd up --portal-config dotenv --out OUT` until it is ready, check while it runs, stop it with SIGTERM."""
    command = [*TPCD, "up", "--json", "--portal-config", "dotenv", "--out", str(out), *extra]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            described: dict[str, object] = json.loads(process.stdout.readline())
            portal_env = Path(str(described["portal_config"]))
            assert portal_env.parent == out.resolve()
            assert _mode(portal_env) == 0o600  # it holds the SMS password and the OAuth secret
            assert "PORTAL_SMS_PASSWORD=" in portal_env.read_text(encoding="utf-8")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
    return described


def test_an_existing_out_folder_keeps_its_mode_and_portal_env_is_private_and_removed(tmp_path: Path) -> None:
    out = tmp_path / "shared-out"
    out.mkdir()
    out.chmod(0o755)
    older = out / "portal.env"
    older.write_text("# an older one, world-readable\n", encoding="utf-8")
    older.chmod(0o644)
    _up(out)
    assert _mode(out) == 0o755  # neither loosened nor tightened
    assert not older.exists()  # the secrets go with the stack
    assert (out / "moica-test-chain.pem").exists()  # what holds no secret stays


def test_a_new_out_folder_is_0700_and_keep_leaves_the_configuration(tmp_path: Path) -> None:
    out = tmp_path / "new" / "stack"
    described = _up(out, "--keep")
    assert _mode(out) == 0o700
    kept = Path(str(described["portal_config"]))
    assert kept.exists()
    assert _mode(kept) == 0o600


def test_tpcd_card_writes_its_token_as_tpcd_up_does_and_serves_no_api_docs(tmp_path: Path) -> None:
    token_file = tmp_path / "card.token"
    token_file.write_text("an older token\n", encoding="utf-8")
    token_file.chmod(0o644)
    reader = FakeVpcd()
    command = [*TPCD, "card", "--vpcd", f"127.0.0.1:{reader.port}", "--listen", "0.0.0.0", "--advertise", "127.0.0.1"]
    command += ["--token-file", str(token_file), "--json"]
    try:
        with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=os.environ) as process:
            try:
                assert process.stdout is not None
                described = json.loads(process.stdout.readline())
                assert described["token_file"] == str(token_file)
                assert _mode(token_file) == 0o600
                token = token_file.read_text(encoding="utf-8").strip()
                assert token != "an older token"
                bearer = {"Authorization": f"Bearer {token}"}
                for path in ("/openapi.json", "/docs", "/redoc"):
                    assert requests.get(described["control"] + path, headers=bearer, timeout=10).status_code == 404
                assert requests.get(described["control"] + "/_control/card", headers=bearer, timeout=10).ok
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
            finally:
                if process.poll() is None:
                    process.kill()
    finally:
        reader.close()
    assert not token_file.exists()


def test_tpcd_card_says_a_port_out_of_range_in_one_line() -> None:
    command = [*TPCD, "card", "--vpcd", "127.0.0.1:1", "--control-port", "70000"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == "tpcd card: --control-port 70000 is not a port (0–65535; 0: any free one)\n"
