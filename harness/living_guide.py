"""`tpcd guide`: the guide rebuilt from a passing run's evidence, and what the citizen reads when something fails.

From the Allure results (reports/allure-results): for each of the 24 documented steps, a page with the guide's own
words beside the screenshot the suite took at that step today, and flags where the portal's texts differ from the
guide's (a control the guide names in brackets that the screen lacks, its ※ notice missing). From the @fault
scenarios: each fault in the protocol's own terms (Mitake statuscode, SMTP reply, HiPKI code, OCSP status …) beside the
message the citizen read, per documented step, as CSV and HTML for the portal's helpdesk.
"""

from __future__ import annotations

import csv
import html
import importlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from harness.guide import GUIDE, GuideStep, guide_steps

SCREEN_TEXTS = "畫面文字"  # attachment names of harness.plugin.accessibility
FAULTS = "注入的故障"
MESSAGES = "畫面訊息"
SCREENSHOT_TYPES = ("image/jpg", "image/jpeg", "image/png")
# The Gherkin step (keyword removed) whose screenshot shows each documented step's screen, as the journey walks it;
# any passing scenario with such a step serves, the journey first.
STEP_SCREENS: dict[int, str] = {
    1: r"市民開啟臺北卡網站",
    2: r"市民按下「申請臺北卡」",
    3: r"市民勾選同意個資使用相關內容",
    4: r"市民選擇以.+接收驗證碼並按下「寄送驗證碼簡訊」",
    5: r"市民輸入.+收到的驗證碼",
    6: r"市民勾選「我不是機器人」",
    7: r"市民填寫基本資料",
    8: r"市民依規則設定密碼",
    9: r"市民看到「註冊完成」頁面",
    10: r"市民看到說明「※.+",
    11: r"市民按下「下載安控元件」並執行下載的安裝檔",
    12: r"市民在安全性警告依序按下.+",
    13: r"市民在「安控元件 安裝精靈」畫面按下「下一步」",
    14: r"市民接受授權協議並按下「下一步」",
    15: r"市民在「選擇安裝位置」畫面按下「安裝」",
    16: r"市民在「安裝完成」畫面按下「完成」",
    17: r"右下角的安控元件顯示「Loading」",
    18: r"市民按下 F5 重新整理網頁",  # after 「Ready」: the guide's step 18 ends with the citizen pressing F5
    19: r"右下角的安控元件接著顯示「Going」",
    20: r"市民輸入身分證字號並按下「送出」",
    21: r"市民看到「PINCODE」輸入框",
    22: r"市民輸入 PIN 碼並按下「OK」",
    23: r"市民看到自己的帳號",
    24: r"左上角狀態顯示「已實名」",
}
# Steps on the citizen's computer, not the portal (the installer, the tray icon): the guide's labels there are checked
# against what the suite's steps pressed and saw, the portal's screen having none of them.
DESKTOP_STEPS = range(11, 20)
# Each simulator's faults in the terms of the protocol it speaks.
PROTOCOLS = {
    "sms": ("simulators.sms", "Mitake SmSend statuscode"),
    "mail": ("simulators.mail", "SMTP reply"),
    "mail_api": ("simulators.mail", "SMTP reply"),
    "mail_smtp": ("simulators.mail", "SMTP reply"),
    "captcha": ("simulators.captcha", "reCAPTCHA siteverify"),
    "netizen": ("simulators.netizen", "網路市民 API"),
    "registry": ("simulators.registry", "卡證服務 API"),
    "agent_desktop": ("simulators.agent", "安控元件（HiPKI）"),
    "agent": ("simulators.agent", "安控元件（HiPKI）"),
    "ocsp": ("simulators.card", "OCSP/CRL"),
    "card": ("simulators.card", "自然人憑證"),
}
_QUOTED = re.compile(r"「([^「」]+)」")
_DOC_TAG = re.compile(r"^doc-step-(\d+)$")


class GuideError(RuntimeError):
    """The guide cannot be built; the message says what to run first."""


@dataclass
class Evidence:
    """What the run left for one documented step."""

    scenario: str = ""
    gherkin: str = ""
    screenshot: Path | None = None
    texts: list[dict[str, Any]] = field(default_factory=list)  # the screens' texts from where the step began
    steps_seen: list[str] = field(default_factory=list)  # the Gherkin steps walked for it
    messages: list[str] = field(default_factory=list)  # an SMS or e-mail the step read


@dataclass(frozen=True, slots=True)
class FaultRow:
    """One fault of one @fault scenario, with what the citizen read."""

    step: int
    scenario: str
    simulator: str
    fault: str
    message: str
    status: str

    def as_row(self) -> list[str]:
        """The CSV row."""
        return [str(self.step), self.scenario, self.simulator, self.fault, self.message, self.status]


def _name(step: dict[str, Any]) -> str:
    """A Gherkin step's text without its keyword (allure-pytest-bdd names it `而且 市民…`)."""
    return str(step.get("name", "")).split(" ", 1)[-1]


def _is_given(step: dict[str, Any]) -> bool:
    """A step written with 假如 (allure names each step with the keyword written, so a 而且 after it is not told)."""
    return str(step.get("name", "")).startswith("假如")


def _tags(result: dict[str, Any]) -> set[str]:
    return {label["value"] for label in result.get("labels", []) if label.get("name") == "tag"}


def _attachments(step: dict[str, Any], name: str | None = None) -> list[dict[str, Any]]:
    found = step.get("attachments", [])
    return [a for a in found if name is None or a.get("name") == name]


def read_results(results: Path) -> list[dict[str, Any]]:
    """Every scenario result in an allure-results folder."""
    if not results.is_dir() or not any(results.glob("*-result.json")):
        raise GuideError(f"no test results in {results}: run the suite first (`tpcd run`), then `tpcd guide`")
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(results.glob("*-result.json"))]


def _load_json(results: Path, attachment: dict[str, Any]) -> Any:
    try:
        return json.loads((results / attachment["source"]).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError):
        return None


def evidence_of(number: int, results: Path, found: list[dict[str, Any]]) -> Evidence | None:
    """The screenshot and texts of documented step `number` from a passing scenario (the journey first)."""
    pattern = re.compile(STEP_SCREENS[number])
    earlier = re.compile(STEP_SCREENS[number - 1]) if number > 1 else None
    passing = [r for r in found if r.get("status") == "passed" and f"doc-step-{number}" in _tags(r)]
    passing.sort(key=lambda r: ("journey" not in _tags(r), str(r.get("fullName", ""))))
    for result in passing:
        steps = result.get("steps", [])
        at = next((i for i, step in enumerate(steps) if pattern.fullmatch(_name(step))), None)
        if at is None:
            continue
        start = next((i for i, s in enumerate(steps[:at]) if earlier and earlier.fullmatch(_name(s))), 0)
        evidence = Evidence(scenario=str(result.get("name", "")), gherkin=str(steps[at].get("name", "")))
        pictures = [a for a in _attachments(steps[at]) if a.get("type") in SCREENSHOT_TYPES]
        evidence.screenshot = results / pictures[-1]["source"] if pictures else None
        for step in steps[start : at + 1]:
            evidence.steps_seen.append(_name(step))
            for attachment in _attachments(step, SCREEN_TEXTS):
                if isinstance(texts := _load_json(results, attachment), dict):
                    evidence.texts.append(texts)
            for attachment in _attachments(step):
                if str(attachment.get("name", "")).startswith("市民收到的") and attachment.get("type") == "text/plain":
                    evidence.messages.append((results / attachment["source"]).read_text(encoding="utf-8"))
        for step in reversed(steps[:start]):  # and the screen shown when the step began
            texts = [_load_json(results, a) for a in _attachments(step, SCREEN_TEXTS)]
            if texts and isinstance(texts[-1], dict):
                evidence.texts.insert(0, texts[-1])
                break
        return evidence
    return None


def differences(guide: GuideStep, evidence: Evidence | None) -> list[str]:
    """Where the portal differs from the guide's words at this step: each flag one line."""
    if evidence is None:
        return ["這個步驟沒有通過的情境留下證據：先執行整套測試（`tpcd run`）"]
    flags = []
    if guide.number in DESKTOP_STEPS:
        seen = " ".join(evidence.steps_seen)
        shown = " ".join(texts.get("text", "") for texts in evidence.texts)
        for label in guide.labels:
            if label not in seen and label not in shown:
                flags.append(f"文件說的「{label}」在這一步的測試中沒有出現")
        return flags
    shown = "\n".join(texts.get("text", "") for texts in evidence.texts)
    for label in guide.labels:
        if label not in shown:
            flags.append(f"文件說的「{label}」在畫面上找不到")
    for notice in guide.notices:
        if notice not in shown:
            flags.append(f"文件的說明「{notice}」在畫面上找不到")
    return flags


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="zh-Hant-TW">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n"
        f"<body><main>\n{body}\n</main></body>\n</html>\n"
    )


STYLE = (
    "body{font-family:'Noto Sans CJK TC',sans-serif;color:#222;margin:0}main{max-width:70rem;margin:1rem auto;"
    "padding:0 1rem}.pair{display:flex;gap:2rem;align-items:flex-start}.pair>section{flex:1}img{max-width:100%;"
    "border:1px solid #999}.flag{color:#8a1c00}.ok{color:#1b5e20}table{border-collapse:collapse}"
    "td,th{border:1px solid #999;padding:.3rem .6rem;text-align:left;vertical-align:top}"
)


def _step_page(guide: GuideStep, evidence: Evidence | None, flags: list[str], picture: str | None, docs: str) -> str:
    previous = f'<a href="step-{guide.number - 1:02d}.html">← 步驟 {guide.number - 1}</a> ' if guide.number > 1 else ""
    following = f'<a href="step-{guide.number + 1:02d}.html">步驟 {guide.number + 1} →</a>' if guide.number < 24 else ""
    notices = "".join(f"<p>{html.escape(notice)}</p>" for notice in guide.notices)
    guide_image = f"<p>文件的截圖：<code>{html.escape(guide.image)}</code></p>" if guide.image else ""
    if evidence is None:
        current = "<p class='flag'>沒有這個步驟的證據。</p>"
    else:
        shot = f'<img src="{picture}" alt="步驟 {guide.number} 目前的畫面">' if picture else "<p>（沒有截圖）</p>"
        sms = "".join(f"<pre>{html.escape(message)}</pre>" for message in evidence.messages)
        current = f"{shot}{sms}<p>情境：{html.escape(evidence.scenario)}<br>步驟：{html.escape(evidence.gherkin)}</p>"
    listed = "".join(f"<li class='flag'>{html.escape(flag)}</li>" for flag in flags)
    verdict = f"<ul>{listed}</ul>" if flags else "<p class='ok'>畫面與文件的用語一致。</p>"
    body = (
        f'<nav><a href="index.html">目錄</a> {previous}{following}</nav>\n'
        f"<h1>文件步驟 {guide.number}</h1>\n<div class='pair'>\n"
        f"<section><h2>文件的說法</h2><p>{html.escape(guide.words)}</p>{notices}{guide_image}"
        f'<p><a href="{html.escape(docs + guide.link.removeprefix("docs/"))}">文件中的這一步</a></p></section>\n'
        f"<section><h2>目前的畫面</h2>{current}</section>\n</div>\n<h2>與文件的差異</h2>\n{verdict}"
    )
    return _page(f"文件步驟 {guide.number}｜活的申請指南", body)


def fault_names() -> dict[str, dict[str, str]]:
    """Each simulator's fault values → `Enum.MEMBER` (the enums name faults in the protocol's own terms)."""
    names: dict[str, dict[str, str]] = {}
    for simulator, (module_name, _) in PROTOCOLS.items():
        module = importlib.import_module(module_name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, StrEnum) and value.__name__.endswith("Fault"):
                for member in value:
                    names.setdefault(simulator, {}).setdefault(member.value, f"{value.__name__}.{member.name}")
    return names


def fault_rows(results: Path, found: list[dict[str, Any]]) -> list[FaultRow]:
    """Every fault of every @fault scenario, once per documented step it is tagged with."""
    names = fault_names()
    rows: list[FaultRow] = []
    for result in sorted(found, key=lambda r: str(r.get("fullName", ""))):
        tags = _tags(result)
        if "fault" not in tags:
            continue
        armed: dict[tuple[str, str], None] = {}
        message = alert = ""
        for step in result.get("steps", []):
            for attachment in _attachments(step, FAULTS):
                for simulator, faults in (_load_json(results, attachment) or {}).items():
                    for fault in faults:
                        armed[(simulator, str(fault.get("fault", "")))] = None
            for attachment in _attachments(step, SCREEN_TEXTS) + _attachments(step, MESSAGES):
                texts = _load_json(results, attachment)
                if isinstance(texts, dict):  # the newest error (role alert) wins; else the newest notice (status)
                    alert = " / ".join(texts.get("alerts", [])) or alert
                    message = " / ".join(texts.get("messages", [])) or message
        message = alert or message
        for step in result.get("steps", []):  # a message the scenario expects but the screens did not hold
            if not message and _name(step).startswith("市民看到提示"):
                message = "".join(_QUOTED.findall(_name(step))[:1])
        # A fault no simulator lists (the card's own: revoked, expired, pulled out): the Given that arranged it.
        arranged = [_name(s) for s in result.get("steps", []) if _is_given(s) and not _name(s).startswith("市民已")]
        steps = sorted(int(m.group(1)) for tag in tags if (m := _DOC_TAG.match(tag)))
        for simulator, value in armed or {("", ""): None}:
            terms = PROTOCOLS.get(simulator, ("", simulator))[1]
            member = names.get(simulator, {}).get(value, "")
            fault = f"{member}（{terms} {value}）" if member else f"{terms} {value}".strip()
            if not simulator:
                fault = "（情境：" + "；".join(arranged) + "）"
            for number in steps:
                name = str(result.get("name", ""))
                rows.append(FaultRow(number, name, simulator, fault, message, str(result.get("status", ""))))
    return sorted(rows, key=lambda row: (row.step, row.scenario))


CSV_HEADER = ["文件步驟", "情境", "模擬器", "故障（協定用語）", "市民看到的訊息", "結果"]


def write_faults(rows: list[FaultRow], out: Path) -> tuple[Path, Path]:
    """faults.csv and faults.html: a table per documented step."""
    table = out / "faults.csv"
    with table.open("w", encoding="utf-8-sig", newline="") as handle:  # with a BOM: Excel opens it as UTF-8
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        writer.writerows(row.as_row() for row in rows)
    sections = []
    for number in sorted({row.step for row in rows}):
        cells = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row.as_row()[1:]) + "</tr>"
            for row in rows
            if row.step == number
        )
        head = "".join(f"<th>{html.escape(name)}</th>" for name in CSV_HEADER[1:])
        sections.append(f"<h2>文件步驟 {number}</h2>\n<table><tr>{head}</tr>{cells}</table>")
    body = "<h1>出錯時市民看到什麼</h1>\n<p><a href='faults.csv'>CSV</a>｜<a href='index.html'>活的申請指南</a></p>\n"
    page = out / "faults.html"
    page.write_text(_page("出錯時市民看到什麼", body + "\n".join(sections)), encoding="utf-8")
    return table, page


def build_guide(results: Path, out: Path) -> dict[str, Any]:
    """Write step-01.html … step-24.html, index.html, faults.csv and faults.html into `out`; return a summary."""
    found = read_results(results)
    out.mkdir(parents=True, exist_ok=True)
    docs = Path(os.path.relpath(GUIDE.parent, out.resolve())).as_posix() + "/"  # the guide, from the pages
    guide = guide_steps()
    rows_html = []
    flagged: dict[int, list[str]] = {}
    for number, step in sorted(guide.items()):
        evidence = evidence_of(number, results, found) if number in STEP_SCREENS else None
        picture = None
        if evidence is not None and evidence.screenshot is not None and evidence.screenshot.is_file():
            picture = f"step-{number:02d}{evidence.screenshot.suffix}"
            shutil.copyfile(evidence.screenshot, out / picture)
        flags = differences(step, evidence)
        flagged[number] = flags
        (out / f"step-{number:02d}.html").write_text(_step_page(step, evidence, flags, picture, docs), encoding="utf-8")
        state = f"<span class='flag'>{len(flags)} 處不同</span>" if flags else "<span class='ok'>一致</span>"
        rows_html.append(
            f'<tr><td><a href="step-{number:02d}.html">{number}</a></td><td>{html.escape(step.words)}</td>'
            f"<td>{state}</td></tr>"
        )
    faults = fault_rows(results, found)
    write_faults(faults, out)
    body = (
        "<h1>活的申請指南</h1>\n<p>文件的 24 個步驟，各配上這次測試時的畫面；與文件用語不同之處會標出。"
        "另見<a href='faults.html'>出錯時市民看到什麼</a>。</p>\n"
        f"<table><tr><th>步驟</th><th>文件的說法</th><th>與文件比對</th></tr>{''.join(rows_html)}</table>"
    )
    (out / "index.html").write_text(_page("活的申請指南｜臺北卡3.0", body), encoding="utf-8")
    return {"pages": len(guide), "flags": {n: f for n, f in flagged.items() if f}, "faults": len(faults)}
