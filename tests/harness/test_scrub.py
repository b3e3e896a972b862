"""The scrubber: each form a secret takes in an artefact is masked, by value and by shape, and what it rewrites still
parses (JSON lines, zips, videos) with nothing else changed."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from harness.scrub import Scrubber, encodings

PIN, PASSWORD, CODE = "94477847", "NB8ttqmT5mJs", "975683"
SCRUBBER = Scrubber((PASSWORD, PIN, "", CODE))  # an empty PUK (the default) masks nothing


def tbs_package(pin: str) -> str:
    """The agent's form body as the page posts it: a JSON tbsPackage, URL-encoded (docs/protocols/hipki-agent.md)."""
    package = json.dumps({"func": "MakeSignature", "tbs": "9iJOpmmMVLo19MOv", "pin": pin}, separators=(",", ":"))
    return urlencode({"tbsPackage": package, "origin": "http://127.0.0.1:38413"})


def fill_event(value: str) -> str:
    """A `before` event of a Playwright trace (trace.trace), as Playwright 1.65 writes it."""
    event = {
        "type": "before",
        "callId": "rozm@35",
        "startTime": 4662.019,
        "class": "Frame",
        "method": "fill",
        "params": {"selector": 'internal:label="請輸入自然人憑證 PIN 碼"i', "strict": True, "value": value},
        "wallTime": 1794477847123,
    }
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize(
    "leak",
    [
        PIN,
        f"fill({json.dumps(PIN)})",  # Playwright's call log
        tbs_package(PIN),  # URL-encoded JSON in a form body
        quote(tbs_package(PIN)),  # …and once more, as a URL's query
        json.dumps(json.dumps({"pin": PIN})),  # JSON inside a JSON string
        f"<p>PIN：{PIN}。</p>",  # glued to CJK text, still a token
        PIN.encode().hex(" "),  # an APDU's data field
        f"password={PASSWORD}&confirm={PASSWORD}",
        f"&#34;{CODE}&#34;",
    ],
    ids=["plain", "call-log", "form-body", "query", "json-in-json", "cjk", "apdu-hex", "password-form", "html-entity"],
)
def test_a_known_secret_is_masked_in_every_form(leak: str) -> None:
    scrubbed = SCRUBBER.text(leak)
    for secret in (PIN, PASSWORD, CODE):
        for form in encodings(secret):
            assert form not in scrubbed.replace(" ", "") or form == "", (form, scrubbed)
    assert "*" in scrubbed


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (tbs_package("13572468"), "13572468"),
        (urlencode({"tbsPackage": json.dumps({"pin": "13572468"})}), "13572468"),  # ": " becomes %3A+
        ('{"func":"MakeSignature","PIN":"13572468"}', "13572468"),
        ('{\\"pin\\":\\"13572468\\"}', "13572468"),
        ('{"pin": 13572468}', "13572468"),
        ("https://portal.example.test/login?user=a&password=Xyz987abc", "Xyz987abc"),
        ("<label>密碼 <input name='pw' type='password' value='Xyz987abc'></label>", "Xyz987abc"),
        ('<input value="Xyz987abc" type=PASSWORD>', "Xyz987abc"),
    ],
    ids=["tbs-package", "urlencoded", "hipki-json", "escaped-json", "json-number", "query", "password-input", "upper"],
)
def test_a_secret_field_is_masked_by_shape_without_knowing_the_value(text: str, shown: str) -> None:
    scrubbed = Scrubber().text(text)
    assert shown not in scrubbed
    assert "*" * len(shown) in scrubbed


def test_ordinary_text_and_numbers_are_left_as_they_are() -> None:
    text = '<input name="q" value="94477847"> id=94477847123 sha1=a94477847b 2026-11-29 1986-04-06'
    assert Scrubber((PIN,)).text(text) == text.replace('"94477847"', '"********"')
    assert Scrubber(("ab",)).text("ab cd ab") == "ab cd ab"  # too short to be a secret: never mask ordinary words


def test_trace_events_are_edited_as_json_and_numbers_are_never_touched() -> None:
    snapshot = {
        "type": "frame-snapshot",
        "snapshot": {
            "html": [
                "FORM",
                {},
                ["INPUT", {"__playwright_value_": "Unknown-Secret9", "name": "confirm", "type": "password"}],
                ["INPUT", {"__playwright_value_": "0916402238", "name": "mobile", "type": "tel"}],
            ],
            "timestamp": 94477847.0,
        },
    }
    network = {"postData": {"params": [{"name": "password", "value": "Unknown-Secret9"}, {"name": "x", "value": PIN}]}}
    lines = [fill_event(PIN), json.dumps(snapshot), json.dumps(network), "not json " + PIN]
    scrubbed = SCRUBBER.json_text("\n".join(lines) + "\n").splitlines()

    before = json.loads(scrubbed[0])
    assert before["params"]["value"] == "*" * len(PIN)
    assert before["wallTime"] == 1794477847123  # a number that contains the PIN's digits stays a number
    assert before["params"]["selector"] == 'internal:label="請輸入自然人憑證 PIN 碼"i'
    html = json.loads(scrubbed[1])["snapshot"]["html"]
    assert html[2][1]["__playwright_value_"] == "*" * len("Unknown-Secret9")  # a password input, by shape
    assert html[3][1]["__playwright_value_"] == "0916402238"
    assert json.loads(scrubbed[1])["snapshot"]["timestamp"] == 94477847.0
    params = json.loads(scrubbed[2])["postData"]["params"]
    assert [param["value"] for param in params] == ["*" * 15, "*" * 8]
    assert scrubbed[3] == "not json ********"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_trace_zip_is_rewritten_member_by_member(tmp_path: Path) -> None:
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4
    members = {
        "trace.trace": (fill_event(PIN) + "\n" + fill_event("0916402238") + "\n").encode(),
        "trace.network": b'{"type":"resource-snapshot","snapshot":{"request":{"postData":{"_sha1":"99d93e24.dat"}}}}\n',
        "trace.stacks": json.dumps({"files": ["/work/steps/gold.py"], "stacks": [[35, [[0, 157, 0, "_"]]]]}).encode(),
        "resources/99d93e24.dat": tbs_package(PIN).encode(),
        "resources/page@1.jpeg": jpeg,
    }
    trace = tmp_path / "trace.zip"
    trace.write_bytes(_zip(members))
    SCRUBBER.file(trace)

    with zipfile.ZipFile(trace) as archive:
        assert archive.namelist() == list(members)
        contents = {name: archive.read(name) for name in archive.namelist()}
    assert PIN.encode() not in contents["resources/99d93e24.dat"]
    events = [json.loads(line) for line in contents["trace.trace"].decode().splitlines()]
    assert [event["params"]["value"] for event in events] == ["********", "0916402238"]
    assert contents["trace.network"] == members["trace.network"]  # nothing secret: byte for byte the same
    assert contents["trace.stacks"] == members["trace.stacks"]
    assert contents["resources/page@1.jpeg"] == jpeg
    assert "%22pin%22%3A%22********%22" in contents["resources/99d93e24.dat"].decode()
    unchanged = trace.read_bytes()
    SCRUBBER.file(trace)
    assert trace.read_bytes() == unchanged  # scrubbing twice changes nothing


def test_a_secret_in_a_videos_metadata_is_masked_at_equal_length() -> None:
    webm = b"\x1a\x45\xdf\xa3\x7b\xa9\x8c" + f"[{PIN}]".encode() + b"\x00" * 16
    scrubbed = SCRUBBER.data(webm, "video-1.webm")
    assert len(scrubbed) == len(webm)
    assert PIN.encode() not in scrubbed
    assert SCRUBBER.data(b"\x00\x01 plain frames", "video-2.webm") == b"\x00\x01 plain frames"


def test_allure_json_attachments_keep_their_shape() -> None:
    state = json.dumps({"agent": [{"package": {"func": "MakeSignature", "pin": PIN}}]}, indent=2)
    scrubbed = SCRUBBER.data(state.encode(), "0ff37b0e-attachment.json").decode()
    assert json.loads(scrubbed) == {"agent": [{"package": {"func": "MakeSignature", "pin": "********"}}]}
    assert scrubbed.startswith("{\n  ")
