"""A failed scenario's Allure result as the suite writes it, for the tests that reopen it as a notebook."""

from __future__ import annotations

import json
from pathlib import Path

from harness.citizens import make_citizen

ERROR = "AssertionError: expected the 「設定密碼」 screen"
STEPS = ["假如 市民已同意個資使用相關內容", "而且 市民按下「下一步」", "那麼 市民看到「設定密碼」頁面"]


def allure_result(folder: Path, *, status: str = "failed", name: str = "市民設定密碼", worker: int = 2) -> Path:
    """An allure-pytest-bdd result as the suite writes it: the citizen attached by a step, the seed a parameter."""
    citizen = make_citizen(1234, worker=worker)
    (folder / "c-attachment.json").write_text(json.dumps({"base_seed": 77, **citizen.masked()}), encoding="utf-8")
    steps = [
        {
            "name": STEPS[0],
            "status": "passed",
            "attachments": [{"name": "市民 某某（種子 1234）", "source": "c-attachment.json"}],
        },
        {"name": STEPS[1], "status": "passed", "attachments": []},
        {
            "name": STEPS[2],
            "status": status,
            "statusDetails": {"message": ERROR},
        },
    ]
    result = {"name": name, "status": status, "steps": steps, "parameters": [{"name": "市民種子", "value": "1234"}]}
    path = folder / f"{name}-result.json"
    path.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return path
