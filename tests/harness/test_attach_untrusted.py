"""The stack file as untrusted input: whoever can edit it or answer for its URL chooses no place for the token to go
and no local file to read as one; each refusal comes from `read_stack`, before any request carries the token."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from harness.attach import REQUIRED, SMTP, AttachError, read_stack
from simulators.serving import serve_asgi

LOOPBACK_STACK = {name: "http://127.0.0.1:9" for name in REQUIRED} | {SMTP: "smtp://127.0.0.1:9"}


def _stack(folder: Path, described: Mapping[str, object], mode: int = 0o600) -> str:
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / "stack.json"
    path.write_text(json.dumps(described), encoding="utf-8")
    path.chmod(mode)
    return str(path)


def test_a_token_file_outside_the_stack_folder_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("ssh-private-line\n", encoding="utf-8")
    for named in (str(secret), "../secret"):
        source = _stack(tmp_path / "stack", LOOPBACK_STACK | {"token_file": named})
        with pytest.raises(AttachError, match=r"outside the stack's folder"):
            read_stack(source)
    inside = tmp_path / "stack" / "token"
    inside.write_text("the-token\n", encoding="utf-8")
    attached = read_stack(_stack(tmp_path / "stack", LOOPBACK_STACK | {"token_file": "token"}))
    assert (attached.token, attached.token_source) == ("the-token", str(inside))


@pytest.fixture
def served() -> Iterator[tuple[str, dict[str, object]]]:
    """A stack JSON served over HTTP on loopback; the test fills in what it says."""
    document: dict[str, object] = {}
    app = FastAPI()

    @app.get("/stack.json")
    def stack() -> JSONResponse:
        return JSONResponse(document)

    with serve_asgi(app, name="stack-file") as url:
        yield url + "/stack.json", document


def test_a_stack_fetched_by_url_names_no_token_file(served: tuple[str, dict[str, object]], tmp_path: Path) -> None:
    url, document = served
    local = tmp_path / "token"
    local.write_text("a-local-secret\n", encoding="utf-8")
    document.update(LOOPBACK_STACK | {"token_file": str(local)})
    with pytest.raises(AttachError, match=r"never read from a file a URL names: set TPCD_TOKEN"):
        read_stack(url)
    assert read_stack(url, token="given").token == "given"  # the person's own token still works


def test_a_stack_over_plain_http_from_beyond_loopback_is_refused_unless_allowed() -> None:
    with pytest.raises(AttachError, match=r"fetched over plain HTTP from beyond loopback.*plain_http_stack"):
        read_stack("http://192.0.2.7/stack.json", token="t")
    with pytest.raises(AttachError, match=r"cannot be fetched"):  # allowed: it is fetched (and nothing answers)
        read_stack("http://192.0.2.7:9/stack.json", token="t", plain_http=True, timeout=0.5)


def test_a_service_on_a_host_the_token_was_not_configured_for_is_refused(
    served: tuple[str, dict[str, object]], tmp_path: Path
) -> None:
    url, document = served
    foreign = LOOPBACK_STACK | {"sms": "https://collector.example:443"}
    document.update(foreign)  # fetched from 127.0.0.1: only loopback and that host may get the token
    with pytest.raises(AttachError, match=r"sms is on collector.example, a host the token was not configured for"):
        read_stack(url, token="t")
    writable = _stack(tmp_path / "shared", foreign, mode=0o666)  # a file others can edit chooses no host
    with pytest.raises(AttachError, match=r"sms is on collector.example"):
        read_stack(writable, token="t")
    assert read_stack(writable, token="t", hosts=("collector.example",)).urls["sms"] == foreign["sms"]


def test_beyond_loopback_the_token_goes_over_tls_only(tmp_path: Path) -> None:
    own = _stack(tmp_path / "own", LOOPBACK_STACK | {"sms": "http://10.9.8.7:8001"})  # ours alone: its host counts
    assert os.stat(own).st_uid == os.geteuid()
    with pytest.raises(AttachError, match=r"sms at http://10.9.8.7:8001 is plain HTTP beyond loopback"):
        read_stack(own, token="t")
    assert read_stack(own, token="t", plain_http=True).urls["sms"] == "http://10.9.8.7:8001"
    tls = _stack(tmp_path / "tls", LOOPBACK_STACK | {"sms": "https://10.9.8.7:8001"})
    assert read_stack(tls, token="t").urls["sms"] == "https://10.9.8.7:8001"
