"""Mitake's wire formats, apart from the gateway's state: request parameters in their charset, the INI-like send
replies, the tab-separated status rows, the cancel lines and the SMS point count.

Source for every shape here: Mitake's own specification, 「API文件規格說明書」 v2.14 (2024-06-18), the copy that
codepower-tw/sms-mitake-php ships as `docs/HTTP_MitakeAPI_v2.14.pdf`; the legacy `.asp` endpoints as
mitaketw/sms-java `MitakeSmsSender.java` calls them (docs/protocols/sms-mitake.md#legacy-endpoints).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from simulators.sms.faults import ACCOUNT_LEVEL, STATUS_TEXT

# `CharsetURL` (SmSend), `Encoding_PostIn` (SmBulkSend), `encoding` (legacy SmSendGet.asp): "Big5, UTF8 (預設值為Big5)",
# spec pp. 5 and 7. Clients write UTF8 (codepower-tw, tzangms/mitake, 7a6163/mitake_sms) or UTF-8 (go-mitake).
CHARSET_KEYS = ("CharsetURL", "Encoding_PostIn", "encoding")
BULK_LIMIT = 500  # 「一批簡訊以500筆為上限」, spec p. 7
QUERY_LIMIT = 100  # 「單次查詢最大筆數以100筆為上限」 (SmQuery, p. 10; SmCancel, p. 12)


def charset_of(raw_query: bytes) -> str:
    """The Python codec for the charset a request declares in its query string (Big5 when it declares none)."""
    for key, value in parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True):
        if key in CHARSET_KEYS and value:
            return "utf-8" if value.upper().replace("-", "") == "UTF8" else "big5"
    return "big5"


def form_fields(raw: bytes, charset: str) -> dict[str, str]:
    """URL-encoded fields, their percent-escapes read in `charset`; UnicodeDecodeError when they are not in it."""
    return dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding=charset, errors="strict"))


def normalise_mobile(dstaddr: str) -> str:
    """The number as Mitake keeps it: no leading "+", no ".", "-" or spaces, 88609 → 8869 (spec v2.14, p. 5)."""
    number = re.sub(r"[.\- ]", "", dstaddr.strip()).removeprefix("+")
    return "8869" + number[5:] if number.startswith("88609") else number


def msgids(field: str) -> list[str]:
    """The msgid list of SmQuery/SmCancel: comma-separated, spaces allowed (the spec's own example has them, p. 10).
    A leading "#", as SmSend's reply writes it (docs/protocols/sms-mitake.md#replies), is taken off, so either form
    finds the message."""
    return [m.strip().removeprefix("#") for m in field.split(",") if m.strip()]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One message's result, as one `[clientid]` section of an SmSend or SmBulkSend reply says it (spec pp. 6, 9)."""

    section: str  # the clientid, or "1" when none was given (spec p. 6)
    statuscode: str
    msgid: str = ""  # without the "#" the reply puts before it; absent when the message failed
    points: int = 0  # what it cost (smsPoint)
    duplicate: bool = False

    @property
    def failed(self) -> bool:
        """Not taken: no msgid, an error statuscode."""
        return not self.msgid


def account_error(code: str) -> str:
    """A refusal of the whole request: the bare `statuscode` line, as in Mitake's real error samples
    (docs/protocols/sms-mitake.md#replies: `statuscode=k\\r\\nError=無效的連線位址\\r\\n`)."""
    return f"statuscode={code}\r\nError={STATUS_TEXT.get(code, '')}\r\n"


def send_reply(
    outcomes: list[Outcome], account_point: int, *, with_points: bool, bulk: bool, legacy: bool = False
) -> str:
    """SmSend's (one section) or SmBulkSend's (one per record) reply, CRLF ends.

    Field order as the spec lists the response fields (p. 6: msgid, statuscode, AccountPoint, Duplicate, smsPoint) and
    as go-mitake's tests show them (`api_test.go`): a single send ends `AccountPoint`, `Duplicate`, `smsPoint`; a bulk
    reply carries `smsPoint` in each section and `AccountPoint` once, after the last (spec p. 8). The v2 API writes
    the msgid after a "#" (spec p. 6); the legacy `.asp` endpoints without one, as in the integrator sample
    `msgid=0313887539` (docs/protocols/sms-mitake.md#replies) and as mitaketw/sms-java's `\\w+` field pattern can read
    it."""
    lines: list[str] = []
    for outcome in outcomes:
        lines.append(f"[{outcome.section}]")
        if outcome.msgid:
            lines.append(f"msgid={'' if legacy else '#'}{outcome.msgid}")
        lines.append(f"statuscode={outcome.statuscode}")
        if outcome.failed:
            lines.append(f"Error={STATUS_TEXT.get(outcome.statuscode, '')}")
            continue
        if not bulk:
            lines.append(f"AccountPoint={account_point}")
        if outcome.duplicate:
            lines.append("Duplicate=Y")
        if with_points:
            lines.append(f"smsPoint={outcome.points}")
    if bulk and any(not o.failed for o in outcomes):
        lines.append(f"AccountPoint={account_point}")
    return "".join(line + "\r\n" for line in lines)


def status_rows(rows: Iterable[tuple[str, str, str, int]], *, with_points: bool) -> str:
    """SmQuery's reply: `msgid TAB statuscode TAB statustime[TAB smsPoint]`, CRLF ends (spec p. 10)."""
    return "".join(
        "\t".join([msgid, code, when, *([str(points)] if with_points else [])]) + "\r\n"
        for msgid, code, when, points in rows
    )


def cancel_lines(results: Mapping[str, str]) -> str:
    """SmCancel's reply: `msgid=statuscode` per line, CRLF ends; 9 cancelled, 1–8 too late, ? unknown (spec p. 12)."""
    return "".join(f"{msgid}={code}\r\n" for msgid, code in results.items())


def bulk_records(body: str) -> list[list[str]]:
    """SmBulkSend's body: one record a line (CRLF or LF), `ClientID$$dstaddr$$dlvtime$$vldtime$$destname$$response$$
    smbody` (spec p. 7); the body keeps any further `$$`."""
    return [line.split("$$", 6) for line in re.split(r"\r?\n", body) if line.strip()]


def ini_sections(body: str) -> list[tuple[str, dict[str, str]]]:
    """The legacy SmSendPost.asp body: `[key]` sections of `name=value` lines (mitaketw/sms-java `transformRequest`)."""
    sections: list[tuple[str, dict[str, str]]] = []
    for line in re.split(r"\r?\n", body):
        header = re.fullmatch(r"\s*\[(.*)\]\s*", line)
        if header:
            sections.append((header.group(1), {}))
        elif sections and "=" in line:
            name, _, value = line.partition("=")
            sections[-1][1][name.strip()] = value
    return sections


def is_account_level(code: str) -> bool:
    """Whether `code` refuses the whole request rather than one message."""
    return code in ACCOUNT_LEVEL


# GSM 03.38 basic set, and the extension symbols that cost two characters (spec p. 18, 附錄四).
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€")


def points(body: str) -> int:
    """Messages billed for `body`: 160 GSM characters (extension symbols count two) or 70 UCS-2 ones in one SMS,
    153 / 67 a part once it is long (spec p. 5 and 附錄四; the per-part sizes are the carriers', as codepower-tw
    `Segmentation.php` counts them)."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in body):
        length = sum(2 if c in GSM_EXTENDED else 1 for c in body)
        single, part = 160, 153
    else:
        length = len(body.encode("utf-16-le")) // 2
        single, part = 70, 67
    return 1 if length <= single else math.ceil(length / part)
