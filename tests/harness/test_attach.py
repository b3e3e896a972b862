"""Attaching to a stack: one clear line for each thing that is wrong, before any browser starts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from harness.attach import REQUIRED, SMTP, AttachError, StackFile, attach_stack, probe_portal, probe_stack, read_stack
from harness.settings import Settings
from simulators import mail, registry
from simulators.control import BearerGate
from simulators.serving import serve_asgi

TOKEN = "attach-token"


@pytest.fixture(scope="module")
def stack_json(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A stack whose every HTTP service is one gated simulator, with a real SMTP side."""
    gated = BearerGate(registry.create_app(), token=TOKEN, public=("/api/v1/services",))
    mailbox = mail.create_app().state.simulator
    with serve_asgi(gated, name="stack") as url, mail.serve_smtp(mailbox) as smtp_port:
        described = {name: url for name in REQUIRED} | {"mail_smtp": f"smtp://127.0.0.1:{smtp_port}"}
        path = tmp_path_factory.mktemp("stack") / "stack.json"
        path.write_text(json.dumps({**described, "token_file": None}), encoding="utf-8")
        yield path


def _write(tmp_path: Path, described: object) -> str:
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(described), encoding="utf-8")
    return str(path)


def test_a_stack_that_answers_and_takes_the_token_is_attached(stack_json: Path) -> None:
    attached = read_stack(str(stack_json), token=TOKEN)
    probe_stack(attached)
    assert set(attached.urls) == set(REQUIRED)


def test_a_wrong_or_missing_token_is_named(stack_json: Path) -> None:
    with pytest.raises(AttachError, match=r"refuses the token from TPCD_TOKEN$"):
        probe_stack(read_stack(str(stack_json), token="wrong"))
    with pytest.raises(AttachError, match=r"asks for the stack's token: set TPCD_TOKEN or TPCD_TOKEN_FILE$"):
        probe_stack(read_stack(str(stack_json)))


def test_the_token_comes_from_its_file_or_the_one_the_stack_names(stack_json: Path, tmp_path: Path) -> None:
    (tmp_path / "token").write_text(TOKEN + "\n", encoding="utf-8")
    probe_stack(read_stack(str(stack_json), token_file=tmp_path / "token"))
    described = json.loads(stack_json.read_text(encoding="utf-8")) | {"token_file": str(tmp_path / "token")}
    named = read_stack(_write(tmp_path, described))
    assert (named.token, named.token_source) == (TOKEN, str(tmp_path / "token"))
    elsewhere = _write(tmp_path, described | {"token_file": "/on/the/stack/machine/token"})
    with pytest.raises(AttachError, match="outside the stack's folder: set TPCD_TOKEN, or TPCD_TOKEN_FILE to a copy"):
        read_stack(elsewhere)
    missing = _write(tmp_path, described | {"token_file": "gone"})
    with pytest.raises(AttachError, match="asks for its token: set TPCD_TOKEN, or TPCD_TOKEN_FILE to a copy of gone"):
        read_stack(missing)
    with pytest.raises(AttachError, match=r"token file /nonexistent: cannot be read"):
        read_stack(str(stack_json), token_file=Path("/nonexistent"))


@pytest.mark.parametrize(
    ("described", "message"),
    [
        ("not json", r"not JSON"),
        ([1, 2], r"expected the JSON object `tpcd up --json` prints"),
        ({"sms": "http://x"}, r"missing key 'mail_api'"),
        ({name: "http://x" for name in REQUIRED}, r"mail_smtp='http://x' is not an smtp URL"),
    ],
    ids=["not-json", "not-an-object", "missing-key", "wrong-scheme"],
)
def test_a_stack_file_that_is_not_a_stack_is_named(tmp_path: Path, described: object, message: str) -> None:
    path = tmp_path / "stack.json"
    path.write_text(described if isinstance(described, str) else json.dumps(described), encoding="utf-8")
    with pytest.raises(AttachError, match=message):
        read_stack(str(path))


def test_an_unreachable_stack_is_named(tmp_path: Path) -> None:
    with pytest.raises(AttachError, match=r"stack .*/missing.json: cannot be read \(No such file or directory\)"):
        read_stack(str(tmp_path / "missing.json"))
    with pytest.raises(
        AttachError, match=r"stack http://127.0.0.1:9/stack.json: cannot be fetched \(connection refused\)"
    ):
        read_stack("http://127.0.0.1:9/stack.json")
    down = {name: "http://127.0.0.1:9" for name in REQUIRED} | {"mail_smtp": "smtp://127.0.0.1:9"}
    with pytest.raises(AttachError, match=r": sms at http://127.0.0.1:9 does not answer \(connection refused\)"):
        probe_stack(read_stack(_write(tmp_path, down)))


def test_a_base_url_must_be_the_portal() -> None:
    plain = FastAPI()
    plain.get("/", response_class=HTMLResponse)(lambda: "<h1>It works!</h1>")
    with serve_asgi(plain, name="plain") as url:
        with pytest.raises(AttachError, match=r"not the 臺北卡3.0 portal \(its home page lacks 「申請臺北卡」"):
            probe_portal(url)
        with pytest.raises(AttachError, match=r"its home page answered HTTP 404"):
            probe_portal(url + "/elsewhere")
    with pytest.raises(AttachError, match=r"base URL http://127.0.0.1:9: does not answer \(connection refused\)"):
        probe_portal("http://127.0.0.1:9")


def test_attaching_to_the_twin_the_stack_serves_itself_is_refused_before_it_starts(
    stack_json: Path, tmp_path: Path
) -> None:
    """Plain `tpcd up` serves a twin whose pages call that stack's own 安控元件: a run aimed at it is refused."""
    described = json.loads(stack_json.read_text(encoding="utf-8")) | {"portal": "http://127.0.0.1:8765"}
    source = _write(tmp_path, described)
    for base_url in ("http://127.0.0.1:8765", "http://localhost:8765/"):
        with pytest.raises(AttachError, match=r"is the twin stack .* serves itself: its pages call that stack's own"):
            attach_stack(Settings(base_url=base_url, stack=source, token=TOKEN))
    elsewhere = attach_stack(Settings(base_url="http://127.0.0.1:8766", stack=source, token=TOKEN))
    assert elsewhere.portal == "http://127.0.0.1:8765"


def test_the_stack_file_reads_back_what_it_wrote(tmp_path: Path) -> None:
    """`tpcd up` writes and `tpcd run --stack` reads one schema: what is read is what was written, less the services
    an attached run does not use."""
    urls = {
        name: "smtp://127.0.0.1:2525" if name == SMTP else f"http://127.0.0.1:{8000 + n}"
        for n, name in enumerate(REQUIRED)
    }
    written = StackFile(
        urls | {"agent_desktop": "http://127.0.0.1:9"},
        token_file=str(tmp_path / "token"),
        ca_chain=str(tmp_path / "chain.pem"),
        deployment={"PORTAL_SMS_URL": urls["sms"]},
        citizen={"name": "王小明", "seed": 7},
    )
    path = written.write(tmp_path)
    assert json.loads(path.read_text(encoding="utf-8")) == written.as_json()
    assert json.loads(path.read_text(encoding="utf-8"))["agent_desktop"] == "http://127.0.0.1:9"
    assert StackFile.parse(str(path), path.read_text(encoding="utf-8")) == replace(written, urls=urls)
