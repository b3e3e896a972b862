"""The report of a real journey: evidence at each step, and no PIN, PUK or password of the citizen anywhere in it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.citizens import make_citizen

ROOT = Path(__file__).resolve().parents[2]


def test_journey_report_has_evidence_and_no_secrets(tmp_path: Path) -> None:
    results = tmp_path / "results"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "steps",
        "-k",
        "一路完成 and 手機",
        "-p",
        "no:cacheprovider",
        "-q",
        "--alluredir",
        str(results),
        "--citizen-seed",
        "31337",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-4000:]

    (result_file,) = results.glob("*-result.json")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    attachments = [a for step in result["steps"] for a in step.get("attachments", [])]
    names = " ".join(a["name"] for a in attachments)
    assert "市民收到的簡訊" in names
    assert "自然人憑證 APDU" in names
    assert "安控元件收到的請求" in names
    assert any(link["name"] == "文件步驟 24" and "#" in link["url"] for link in result["links"])

    citizen_file = next(results / a["source"] for a in attachments if a["name"].startswith("市民 "))
    seed = json.loads(citizen_file.read_text(encoding="utf-8"))["seed"]
    citizen = make_citizen(int(seed))
    secrets = [s.encode() for s in citizen.secrets()]
    everything = [done.stdout.encode(), done.stderr.encode()]
    everything += [path.read_bytes() for path in results.iterdir() if path.suffix not in (".png", ".jpg")]
    for blob in everything:
        for secret in secrets:
            assert secret not in blob, "a citizen's secret is in the report"
