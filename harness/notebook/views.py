"""HTML for what a person looks at in a notebook: a run's steps, a citizen, the inboxes, the card, the agent, the
armed faults, the stack's links. Registered as IPython formatters by the extension, so the simulators and the harness
stay free of notebook code. Secrets never reach an output: citizens show masked, one-time codes are masked."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography import x509

from domain.citizen import CitizenProfile
from domain.masking import mask_fields
from harness.notebook.faults import ArmedFaults
from harness.notebook.lifecycle import Links
from harness.notebook.model import Evidence, GherkinRun, ScenarioResult, StepResult, scrub
from simulators.agent import AgentClient
from simulators.card import CardClient
from simulators.mail import MailClient
from simulators.sms import SmsClient

FONT = "font-family:system-ui,'Noto Sans CJK TC',sans-serif;font-size:13px"
STATUS = {  # status → (mark, colour, zh-TW word)
    "pending": ("○", "#9e9e9e", "等待"),
    "running": ("◔", "#1565c0", "執行中"),
    "passed": ("✔", "#1b7f3a", "通過"),
    "failed": ("✘", "#b00020", "失敗"),
    "not run": ("–", "#9e9e9e", "未執行"),
    "skipped": ("–", "#9e9e9e", "略過"),
}
THUMBNAIL = 240  # px: a step's screenshot, full width once clicked
# A click on a thumbnail opens its <details>, which shows the same image at full width (no second copy of the bytes).
STYLE = (
    "<style>details.tpcd-shot[open] > summary > img{width:auto!important;max-width:100%!important;cursor:zoom-out}"
    "details.tpcd-shot > summary{list-style:none;cursor:zoom-in}"
    "details.tpcd-shot > summary::-webkit-details-marker{display:none}</style>"
)
RECENT = 8  # APDUs and agent requests shown


def esc(value: object) -> str:
    """Text for HTML."""
    return html.escape(str(value))


def _status(status: str) -> str:
    mark, colour, word = STATUS[status]
    return (
        f'<span data-status="{esc(status)}" style="color:{colour};font-weight:600">{mark} {word} {esc(status)}</span>'
    )


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, empty: str = "（無）") -> str:
    """A table of already-escaped cells."""
    body = "".join(
        "<tr>" + "".join(f'<td style="text-align:left">{cell}</td>' for cell in row) + "</tr>" for row in rows
    )
    if not body:
        return f'<p style="color:#777">{esc(empty)}</p>'
    head = "".join(f'<th style="text-align:left">{esc(h)}</th>' for h in headers)
    return f"<table><tr>{head}</tr>{body}</table>"


def _box(title: str, content: str) -> str:
    return f'<div style="{FONT}"><div style="font-weight:600;margin:4px 0">{title}</div>{content}</div>'


def _details(summary: str, text: str, limit: int = 20_000) -> str:
    shown = text if len(text) <= limit else text[:limit] + f"\n…（其餘 {len(text) - limit} 字元略）"
    return (
        f'<details><summary style="cursor:pointer">📎 {esc(summary)}</summary>'
        f'<pre style="white-space:pre-wrap;max-height:320px;overflow:auto;margin:2px 0">{esc(shown)}</pre></details>'
    )


def screenshot_html(evidence: Evidence) -> str:
    """A thumbnail that opens to full width when clicked."""
    return (
        f'<details class="tpcd-shot" style="display:inline-block;margin:4px 0"><summary>'
        f'<img src="{evidence.data_uri()}" alt="{esc(evidence.name)}" title="{esc(evidence.name)}（按一下放大）" '
        f'style="width:{THUMBNAIL}px;border:1px solid #ccc"></summary></details>'
    )


def evidence_html(items: Sequence[Evidence]) -> str:
    """A step's evidence: its last screenshot as a thumbnail, everything else collapsed under its report name."""
    shots = [item for item in items if item.is_image]
    parts = [screenshot_html(shots[-1])] if shots else []
    for item in items:
        if item.is_image:
            continue
        if item.path:
            parts.append(f'<div style="color:#555">📎 {esc(item.name)}：{esc(item.path)}</div>')
        else:
            parts.append(_details(item.name, item.text))
    return "".join(parts)


def step_html(step: StepResult) -> str:
    """One step: status, keyword and text, duration, error, screenshot and evidence."""
    colour = STATUS[step.status][1]
    took = f' <span style="color:#777">{step.duration:.2f} s</span>' if step.duration is not None else ""
    error = ""
    if step.error:
        error = f'<pre style="color:#b00020;white-space:pre-wrap;margin:4px 0">{esc(step.error)}</pre>'
    return (
        f'{STYLE}<div class="tpcd-step" style="{FONT};border-left:4px solid {colour};padding:2px 8px;margin:1px 0">'
        f"<div>{_status(step.status)} <b>{esc(step.keyword)}</b> {esc(step.name)}{took}</div>"
        f"{error}{evidence_html(step.evidence)}</div>"
    )


def scenario_html(scenario: ScenarioResult) -> str:
    """A scenario's header: name, tags, citizen seed, status, and what failed outside its steps."""
    tags = " ".join(f'<code style="color:#6a1b9a">@{esc(tag)}</code>' for tag in scenario.tags)
    seed = f' <span style="color:#777">市民種子 {scenario.citizen_seed}</span>' if scenario.citizen_seed else ""
    problem = ""
    if scenario.problem:
        problem = f'<pre style="color:#b00020;white-space:pre-wrap">{esc(scenario.problem)}</pre>'
    evidence = "".join(_details(item.name, item.text) for item in scenario.evidence if not item.is_image)
    return (
        f'<div style="{FONT};margin-top:6px"><b>場景：{esc(scenario.name)}</b> {tags}{seed} '
        f"{_status(scenario.status)}{problem}{evidence}</div>"
    )


def run_summary_html(run: GherkinRun) -> str:
    """A cell's outcome in one line (its steps are shown above it as they ran)."""
    counts: dict[str, int] = {}
    for scenario in run.scenarios:
        counts[scenario.status] = counts.get(scenario.status, 0) + 1
    parts = [f"{STATUS[s][2]} {n}" for s, n in counts.items()]
    took = sum(step.duration or 0.0 for step in run.steps)
    verdict = _status("passed" if run.passed else "failed")
    problems = "".join(f'<pre style="color:#b00020;white-space:pre-wrap">{esc(p)}</pre>' for p in run.problems)
    stopped = "（已中斷）" if run.interrupted else ""
    return (
        f'<div style="{FONT}">{verdict} {len(run.scenarios)} 個場景（{"、".join(parts) or "無"}）、'
        f"{len(run.steps)} 個步驟、步驟共 {took:.1f} s{stopped}"
        f'<span style="color:#777"> — {esc(run.feature)}</span>{problems}</div>'
    )


def citizen_html(citizen: CitizenProfile) -> str:
    """A citizen as the report shows one: PIN, PUK and password masked."""
    rows = [(esc(key), esc(value)) for key, value in citizen.masked().items()]
    return _box(f"市民 {esc(citizen.name)}（種子 {citizen.seed}）", _table(("欄位", "值"), rows))


def _link(url: str, text: str | None = None) -> str:
    return f'<a href="{esc(url)}" target="_blank">{esc(text or url)}</a>'


def links_html(links: Links) -> str:
    """The running stack: the pages a person opens, then every service's URL."""
    urls = links.urls
    desktop = urls.get("agent_desktop", "")
    pages = [
        ("入口網站（臺北卡3.0）", _link(links.portal)),
        ("簡訊收件匣", _link(urls["sms"] + "/")),
        ("電子郵件收件匣", _link(urls["mail_api"] + "/")),
        ("安控元件安裝檔", _link(desktop + "/installer")),
        ("安控元件（右下角狀態）", _link(desktop + "/tray")),
    ]
    if links.pcsc_socket:
        pages.append(("讀卡機（PC/SC）", f"<code>PCSCLITE_CSOCK_NAME={esc(links.pcsc_socket)} pcsc_scan</code>"))
    services = [(f"<code>{esc(name)}</code>", esc(url)) for name, url in urls.items()]
    mode = "有畫面（headed）" if links.headed else "無畫面（headless）"
    note = f'<p style="color:#555">市民種子 {links.base_seed}；瀏覽器{mode}</p>'
    return _box("tpcd-harness 已啟動", _table(("頁面", "網址"), pages) + note + _table(("服務", "網址"), services))


def sms_html(client: SmsClient) -> str:
    """The SMS inbox, newest last (one-time codes masked)."""
    rows = [(esc(m.received_at), esc(m.to), esc(scrub(m.body)), esc(m.status)) for m in client.messages()]
    return _box("簡訊收件匣（SMS）", _table(("時間", "收件手機", "內容", "狀態"), rows, empty="（沒有簡訊）"))


def mail_html(client: MailClient) -> str:
    """The mailbox, newest first (one-time codes masked)."""
    rows = [
        (esc(m.created), esc(", ".join(a.address for a in m.to)), esc(m.subject), esc(scrub(m.snippet)))
        for m in client.messages()
    ]
    return _box("電子郵件收件匣", _table(("時間", "收件者", "主旨", "摘要"), rows, empty="（沒有郵件）"))


def _certificate_row(kind: str, cert: x509.Certificate) -> tuple[str, ...]:
    def valid(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%d")

    return (
        esc(kind),
        esc(cert.subject.rfc4514_string()),
        esc(format(cert.serial_number, "x")),
        esc(f"{valid(cert.not_valid_before_utc)} – {valid(cert.not_valid_after_utc)}"),
    )


def card_html(card: CardClient) -> str:
    """The card: in the reader or not, its holder, PIN tries left, certificates and the latest APDUs."""
    state = card.state()
    holder = state.get("holder") or {}
    tries = state.get("pin_tries")
    facts = [
        ("讀卡機", esc(state["reader"])),
        ("已插入", "是" if state["inserted"] else "否"),
        ("持卡人", esc(f"{holder.get('name', '')} {holder.get('card_number', '')}".strip() or "—")),
        ("PIN 剩餘次數", esc("—" if tries is None else f"{tries}" + ("（已鎖定）" if tries == 0 else ""))),
    ]
    certificates = card.slot.certificates if state["inserted"] else None
    certs = []
    if certificates is not None:
        certs = [_certificate_row("簽章", certificates.sign_cert), _certificate_row("加密", certificates.enc_cert)]
    apdus = [
        (esc(x["at"][11:23]), f"<code>{esc(x['command'])}</code>", f"<code>{esc(x['response'])}</code>")
        for x in card.transcript()[-RECENT:]
    ]
    return _box(
        "自然人憑證",
        _table(("項目", "狀態"), facts)
        + _table(("憑證", "主體", "序號", "效期"), certs, empty="（讀卡機中沒有卡）")
        + '<div style="margin-top:4px">最近的 APDU（PIN 已遮蔽）</div>'
        + _table(("時間", "指令", "回應"), apdus, empty="（卡片尚未收到指令）"),
    )


def agent_html(agent: AgentClient) -> str:
    """The 安控元件: its tray, version, trusted sites and the latest requests (PINs masked)."""
    state = agent.state()
    facts = [("右下角狀態", esc(state.get("tray", "—"))), ("版本", esc(state.get("version", "—")))]
    trusted = [(esc(site),) for site in state.get("trusted", [])]
    requests = [
        (
            esc(datetime.fromtimestamp(r["at"], UTC).strftime("%H:%M:%S")),
            esc(r["path"]),
            esc(r.get("origin") or "（原生程式）"),
            f"<code>{esc(mask_fields(r.get('package') or {}))}</code>",
        )
        for r in state.get("requests", [])[-RECENT:]
    ]
    return _box(
        "安控元件",
        _table(("項目", "狀態"), facts)
        + _table(("信任的網站",), trusted, empty="（沒有信任的網站）")
        + _table(("時間", "路徑", "來源", "內容（PIN 已遮蔽）"), requests, empty="（尚未收到請求）"),
    )


def faults_html(faults: ArmedFaults) -> str:
    """Every simulator's armed faults."""
    rows = [
        (
            f"<code>{esc(name)}</code>",
            f"<code>{esc(fault.get('fault'))}</code>",
            esc(fault.get("match") or "（任何）"),
            esc("直到重設" if fault.get("remaining") is None else fault.get("remaining")),
            esc(fault.get("seconds") or ""),
        )
        for name, armed in faults.by_simulator.items()
        for fault in armed
    ]
    return _box("已設定的故障", _table(("模擬器", "故障", "對象", "剩餘次數", "秒數"), rows, empty="（沒有故障）"))


def outcomes_html(outcomes: Sequence[Any]) -> str:
    """The agent conformance requirements with their status (certify-agent's outcomes)."""
    rows = []
    for outcome in outcomes:
        status = str(outcome.status).lower()
        shown = {"pass": "passed", "fail": "failed", "error": "failed", "not run": "not run"}.get(status, status)
        detail = getattr(outcome, "evidence", None) or getattr(outcome, "detail", "")
        rows.append(
            (
                esc(outcome.requirement),
                esc(outcome.text),
                _status(shown if shown in STATUS else "failed"),
                esc(str(detail)[:300]),
            )
        )
    return _box("安控元件相容性驗證", _table(("#", "要求", "結果", "說明"), rows))
