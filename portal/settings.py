"""What the portal twin is configured with; a real deployment sets the same fields to the real systems."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class PortalSettings:
    """Where the portal keeps its data and finds the systems it calls."""

    db_path: Path
    secret_key: str  # signs the session cookie; the stack draws a fresh one per run
    https_only_cookies: bool = False  # True behind TLS; the twin on loopback serves plain HTTP
    # Mitake SmSend (docs/protocols/sms-mitake.md): the enterprise endpoint and account.
    sms_gateway_url: str = "https://smsapi.mitake.com.tw/api/mtk/SmSend"
    sms_username: str = ""
    sms_password: str = ""
    # The verification e-mail (our own design, docs/protocols/mail-smtp-mailpit.md#the-verification-e-mail).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    mail_from: str = "臺北卡3.0 <noreply@tpcd.example.test>"
    # reCAPTCHA v2 (docs/protocols/recaptcha.md): Google's URLs and official test keys work unchanged.
    captcha_script_url: str = "https://www.google.com/recaptcha/api.js"
    captcha_verify_url: str = "https://www.google.com/recaptcha/api/siteverify"
    captcha_site_key: str = "6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI"
    captcha_secret: str = "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe"
    # The hostnames siteverify may vouch for (its reply's `hostname`): the portal's own names. Empty: the one this
    # request was addressed to, which is right on loopback; a deployment lists its public names.
    captcha_hostnames: tuple[str, ...] = ()
    # 網路市民 (docs/protocols/netizen-oauth.md, our documented API).
    netizen_url: str = "http://citizen.taipei"
    netizen_client_id: str = "tpcd-portal"
    netizen_client_secret: str = ""
    # One-time code rules.
    otp_ttl: float = 300.0  # seconds a code stays valid
    otp_tries: int = 5  # wrong entries before the code is void
    otp_cooldown: float = 60.0  # seconds before the same number or address gets another message, from any session
    otp_hourly_cap: int = 5  # messages one number or address gets in an hour, from every session together
    # Messages one application, and one browser session over all its applications, may have sent in an hour, to
    # whatever numbers and addresses: one page cannot send codes to one number after another (SMS pumping).
    otp_application_cap: int = 6
    otp_session_cap: int = 10
    otp_key: str = ""  # HMAC key of the stored code hashes; empty: derived from secret_key
    # Login throttling: failures counted over a sliding window, per account and per client address.
    login_window: float = 900.0  # seconds a failure counts, and the longest a lockout lasts
    login_account_limit: int = 10  # failures on one account (known or not) before it is locked
    login_client_limit: int = 50  # failures from one client address, over every account, before it is locked
    # Sessions end on their own too: after this long without a request, and this long after they began.
    session_idle: float = 1800.0
    session_lifetime: float = 43200.0
    id_probe_limit: int = 3  # registered 身分證字號 one application may be told of before it must start over
    outbound_timeout: float = 5.0  # seconds the portal waits for any external system
    # The 安控元件 on the citizen's computer (docs/protocols/hipki-agent.md) and how long the page waits for its answer.
    agent_url: str = "http://127.0.0.1:61161"
    agent_timeout: float = 10.0
    nonce_ttl: float = 300.0  # seconds a real-name nonce may be signed and sent back in (documented step 22)
    # The MOICA CA certificates (PEM) a citizen certificate must chain to; a deployment sets the real G2/G3.
    trusted_ca_pem: bytes = b""
    # The city departments' card-services registry (docs/protocols/registry.md, our API).
    registry_url: str = "http://127.0.0.1:9"
    # Where the QR code of documented step 23 sends a phone: the TaipeiPASS app page
    # (docs/protocols/taipeipass.md#the-flow).
    app_download_url: str = "https://id.taipei/tpcd/about/taipeipass-app"
    twin_controls: bool = False  # the twin's test clock at /_twin/*; never on a real deployment
    twin_token: str = ""  # when set, /_twin/* demands `Authorization: Bearer <it>` (required beyond loopback)
