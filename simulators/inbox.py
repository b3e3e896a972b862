"""What the SMS and mail simulators share: the one-time code in a message, and the inbox page a person watches."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

OTP = re.compile(r"(?<!\d)(\d{6})(?!\d)")  # the portal's one-time codes are six digits


def find_otp(text: str) -> str | None:
    """The six-digit code in a message, if any."""
    match = OTP.search(text)
    return match.group(1) if match else None


def inbox_page(title: str, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A self-refreshing table for `tpcd up`; every cell is escaped."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return (
        f"<!doctype html><html lang='zh-Hant-TW'><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<meta http-equiv='refresh' content='3'><h1>{html.escape(title)}</h1>"
        f"<table border=1 style='white-space:pre-wrap'><tr>{head}</tr>{body}</table></html>"
    )
