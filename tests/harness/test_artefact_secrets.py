"""No secret in any artefact of a scenario that fails after the PIN step, nor of one that passes: every file the run
leaves (trace members, videos and their metadata, Allure results, JUnit XML) and pytest's output, searched
uncompressed and decoded (URL, HTML, JSON), for the citizens' PINs, PUKs and passwords and the codes they read."""

from __future__ import annotations

import html
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote_plus
from xml.etree import ElementTree

import imageio_ffmpeg
import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = ["harness.plugin.services", "harness.plugin.browser", "harness.plugin.citizens", "harness.plugin.reporting"]
PLUGINS += ["steps.common", "steps.registration", "steps.contact", "steps.profile", "steps.gold"]

FEATURE = """# language: zh-TW
@gold @card @agent
功能: 實名驗證的證據中沒有秘密
  背景:
    假如 市民已將自然人憑證插入讀卡機
    而且 市民已完成會員註冊並選擇繼續金質會員認證

  @doc-step-22
  場景: 輸入 PIN 碼之後的斷言失敗，訊息裡有 PIN 碼
    當 市民前往步驟二
    而且 市民輸入身分證字號並按下「送出」
    而且 市民輸入 PIN 碼並按下「OK」
    那麼 市民在畫面上看到自己的 PIN 碼

  @doc-step-22
  場景: 市民以自然人憑證完成實名驗證
    當 市民前往步驟二
    而且 市民輸入身分證字號並按下「送出」
    而且 市民輸入 PIN 碼並按下「OK」
    那麼 市民看到「實名認證成功」頁面
"""

# The failing step and the fixtures that note each secret used live in this test's own conftest, not in the product:
# the step asserts on the PIN itself, so the failure's message, its locals (-l) and its output all carry it.
CONFTEST = f"""
import json

import pytest
from playwright.sync_api import expect
from pytest_bdd import then

pytest_plugins = {PLUGINS!r}
NOTED = "secrets.jsonl"


def note(values):
    with open(NOTED, "a", encoding="utf-8") as noted:
        noted.write(json.dumps(list(values)) + "\\n")


@pytest.fixture
def citizen(citizen):
    note(citizen.secrets())
    return citizen


@pytest.fixture
def codes(codes):
    yield codes
    note(codes.handed_out)


@then("市民在畫面上看到自己的 PIN 碼")
def _(page, citizen):
    pin = citizen.pin
    print("looking for the PIN", pin)
    expect(page.get_by_text(pin)).to_be_visible(timeout=500)
"""


def tokens(secret: str) -> list[str]:
    """The forms a search looks for: the secret, and its bytes in hex as an APDU log writes them."""
    return [secret, secret.encode().hex(), secret.encode().hex(" ")]


def leaks(text: str, secrets: list[str]) -> list[str]:
    """Each secret found in `text` or in its URL-decoded (up to 3 times) and HTML-unescaped views, as a token."""
    views, decoded = {text, html.unescape(text)}, text
    for _ in range(3):
        decoded = unquote_plus(decoded)
        views.add(decoded)
    found = []
    for secret in secrets:
        for form in tokens(secret):
            pattern = re.compile(rf"(?<![0-9A-Za-z]){re.escape(form)}(?![0-9A-Za-z])", re.IGNORECASE)
            found += [
                f"{secret!r} in …{view[max(0, m.start() - 60) : m.end() + 20]!r}"
                for view in views
                if (m := pattern.search(view))
            ]
    return found


def strings(value: object) -> Iterator[str]:
    """Every string in a JSON value, keys too (numbers are no place for a secret and may hold its digits by chance)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)


def search(name: str, data: bytes, secrets: list[str]) -> list[str]:
    """Leaks in one artefact: a zip member by member, JSON (or JSON lines) by its strings, text as text, binary raw."""
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [
                hit
                for member in archive.namelist()
                for hit in search(f"{name}!{member}", archive.read(member), secrets)
            ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:  # video, image: only metadata could hold text
        found = []
        for secret in secrets:
            for form in tokens(secret):
                if re.search(rb"(?<![0-9A-Za-z])" + re.escape(form.encode()) + rb"(?![0-9A-Za-z])", data):
                    found.append(f"{name}: {secret!r} in its bytes")
        return found
    documents: list[object] = []
    for line in text.splitlines() if Path(name).suffix in (".trace", ".network") else [text]:
        try:
            documents.append(json.loads(line))
        except ValueError:
            return [f"{name}: {hit}" for hit in leaks(text, secrets)]
    return [
        f"{name}: {hit}" for document in documents for string in strings(document) for hit in leaks(string, secrets)
    ]


def video_metadata(video: Path) -> str:
    """The webm's container and stream metadata as ffmpeg reads it (ffmetadata format)."""
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-i", str(video), "-f", "ffmetadata", "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The two scenarios, run as `tpcd run` runs them, with every artefact kept: traces, videos, Allure, JUnit."""
    project = tmp_path_factory.mktemp("secrets")
    (project / "pyproject.toml").write_text(
        '[tool.tpcd]\n[tool.pytest.ini_options]\nbdd_features_base_dir = "features/"\n', encoding="utf-8"
    )
    (project / "features").mkdir()
    (project / "features" / "secrets.feature").write_text(FEATURE, encoding="utf-8")
    (project / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (project / "test_secrets.py").write_text('from pytest_bdd import scenarios\n\nscenarios(".")\n', encoding="utf-8")
    command = [sys.executable, "-m", "pytest", "-p", "no:allure_pytest", "-p", "no:cacheprovider", "-l", "-rfE"]
    command += ["--tracing=retain-on-failure", "--video=retain-on-failure", "--output", "pw"]
    command += ["--alluredir", "results", "--junitxml", "junit.xml"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True, timeout=600)
    return project, done


def test_a_failure_after_the_pin_step_leaves_no_secret_anywhere(
    run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    project, done = run
    assert done.returncode == 1, done.stdout[-3000:]
    noted = (project / "secrets.jsonl").read_text(encoding="utf-8").splitlines()
    secrets = sorted({secret for line in noted for secret in json.loads(line) if secret})
    assert len(secrets) >= 8, secrets  # two citizens' PIN, PUK and password, and at least one code each

    inputs = {"pyproject.toml", "conftest.py", "test_secrets.py", "secrets.jsonl"}
    artefacts = [path for path in sorted(project.rglob("*")) if path.is_file() and path.name not in inputs]
    artefacts = [path for path in artefacts if "features" not in path.parts and "__pycache__" not in path.parts]
    videos = [path for path in artefacts if path.suffix == ".webm"]
    assert any(path.name == "trace.zip" for path in artefacts), artefacts
    assert videos, artefacts

    found = search("stdout", done.stdout.encode(), secrets) + search("stderr", done.stderr.encode(), secrets)
    for path in artefacts:
        found += search(str(path.relative_to(project)), path.read_bytes(), secrets)
    for video in videos:
        found += search(f"{video.name} metadata", video_metadata(video).encode(), secrets)
    assert not found, "\n".join(found[:20])


def test_what_was_masked_is_still_there_and_the_trace_still_opens(
    run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    project, done = run
    noted = [json.loads(line) for line in (project / "secrets.jsonl").read_text(encoding="utf-8").splitlines()]
    pins = {values[1] for values in noted if len(values) == 3}
    (trace,) = project.glob("pw/*/trace.zip")
    with zipfile.ZipFile(trace) as archive:
        members = set(archive.namelist())
        events = [json.loads(line) for line in archive.read("trace.trace").decode().splitlines()]
        network = [json.loads(line) for line in archive.read("trace.network").decode().splitlines()]
    filled = {event["params"]["value"] for event in events if event.get("method") == "fill"}
    assert {"*" * len(pin) for pin in pins} & filled, filled  # the PIN's fill was recorded, masked
    bodies = {value for event in network for key, value in _pairs(event) if key == "_file"}  # Playwright 1.65
    assert bodies
    assert bodies <= members  # every request and response body the trace refers to is in it

    junit = ElementTree.parse(project / "junit.xml").getroot()
    failures = [failure.get("message", "") + (failure.text or "") for failure in junit.iter("failure")]
    assert len(list(junit.iter("testcase"))) == 2
    assert len(failures) == 1, failures
    assert any(f'get_by_text("{"*" * len(pin)}")' in failures[0] for pin in pins), failures[0][:2000]
    assert any(f"pin        = '{'*' * len(pin)}'" in done.stdout for pin in pins), done.stdout[-3000:]

    (failed,) = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in (project / "results").glob("*-result.json")
        if json.loads(path.read_text(encoding="utf-8"))["status"] == "failed"
    ]
    names = [attachment["name"] for attachment in failed["attachments"]]
    assert any(name.startswith("Playwright trace") for name in names), names
    assert any(name.startswith("錄影") for name in names), names


def _pairs(value: object) -> Iterator[tuple[str, object]]:
    """Every (key, value) in a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _pairs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _pairs(item)
