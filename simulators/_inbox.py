"""The plain HTML inbox page a person watches while using `tpcd up` (SMS and mail simulators alike)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence


def inbox_page(title: str, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A self-refreshing table; every cell is escaped."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return (
        f"<!doctype html><html lang='zh-Hant-TW'><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<meta http-equiv='refresh' content='3'><h1>{html.escape(title)}</h1>"
        f"<table border=1 style='white-space:pre-wrap'><tr>{head}</tr>{body}</table></html>"
    )
