"""Send a one-time code through Mitake's SmSend HTTP API (docs/protocols/sms-mitake.md), as the real portal would."""

from __future__ import annotations

import requests

from portal.adapters import DeliveryError

ACCEPTED = {"0", "1", "2", "4"}  # statuscodes Mitake counts as accepted (docs/protocols/sms-mitake.md#replies)
REASONS = {
    "e": "簡訊服務帳號設定有誤",
    "k": "簡訊服務拒絕本站連線",
    "l": "簡訊服務忙碌中",
    "s": "簡訊服務點數不足",
    "u": "簡訊內容空白",
    "v": "手機號碼無效",
    "*": "簡訊服務系統錯誤",
}


class MitakeSender:
    """One SmSend call per message; UTF-8 declared with CharsetURL, newlines sent as 0x06."""

    def __init__(self, url: str, username: str, password: str, *, timeout: float) -> None:
        self.url, self.username, self.password, self.timeout = url, username, password, timeout

    def send(self, mobile: str, body: str, *, clientid: str) -> str:
        """Send `body` to `mobile`; return Mitake's msgid or raise DeliveryError saying why not."""
        fields = {
            "username": self.username,
            "password": self.password,
            "dstaddr": mobile,
            "smbody": body.replace("\n", "\x06"),
            "clientid": clientid,
        }
        try:
            response = requests.post(self.url, params={"CharsetURL": "UTF-8"}, data=fields, timeout=self.timeout)
        except requests.Timeout as error:
            raise DeliveryError("簡訊服務沒有回應，請稍後再試或改用電子郵件驗證。", detail=str(error)) from error
        except requests.RequestException as error:
            raise DeliveryError("無法連線到簡訊服務，請稍後再試或改用電子郵件驗證。", detail=str(error)) from error
        if response.status_code != 200:
            raise DeliveryError(
                f"簡訊服務暫時無法使用（HTTP {response.status_code}），請稍後再試或改用電子郵件驗證。",
                detail=response.text[:200],
            )
        reply = parse_reply(response.content.decode(response.encoding or "utf-8", errors="replace"))
        code = reply.get("statuscode", "")
        if code not in ACCEPTED:
            reason = REASONS.get(code, "簡訊服務回應錯誤")
            raise DeliveryError(
                f"簡訊發送失敗（{reason}，代碼 {code or '無'}），請稍後再試或改用電子郵件驗證。",
                detail=reply.get("Error", ""),
            )
        return reply.get("msgid", "").lstrip("#")


def parse_reply(text: str) -> dict[str, str]:
    """Mitake's INI-like reply as a dict (the `[1]` section header dropped)."""
    fields: dict[str, str] = {}
    for line in text.replace("\r\n", "\n").split("\n"):
        key, sep, value = line.partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    return fields
