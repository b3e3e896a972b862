"""Secrets scrubbed out of an artefact before it is attached or kept on disk: traces, videos, HTML, JSON, JUnit.

Playwright records what it is given: `fill`'s value and its call log, request bodies (the password's form post, the
agent's URL-encoded `tbsPackage` with the PIN), input values in its DOM snapshots. It has no switch to leave secrets
out (microsoft/playwright#19992 and #31728, closed; #21547, a `secret` option for fill, closed unmerged), so every
artefact is rewritten by two rules, both with the one masking rule of domain/masking.py:
- by value: the secrets the harness itself typed or read (a citizen's PIN, PUK and password, the one-time codes it
  read), in each form they take on the way: as typed, JSON-escaped, URL-encoded (once or twice), HTML-escaped, hex;
- by shape, for what any portal may hold that the harness never typed: the value of a password field (an HTML
  `<input type=password>`, an INPUT of Playwright's DOM snapshots), of a form field or JSON key named as in
  SECRET_FIELDS, and of a `{"name": "password", "value": …}` pair (HAR and Playwright's post data).
JSON is edited as JSON (strings only, never numbers), a zip member by member, a binary file in place at equal length.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from domain.masking import MIN_SECRET, SECRET_FIELDS, mask, mask_fields

# A secret counts where it stands as a token: not glued to other letters or digits (a PIN inside a timestamp or a
# SHA-1 is no PIN), where an escape just before it (%22, %2522, \u0022) also ends the token before.
_BEFORE = r"(?:(?<![0-9A-Za-z])|(?<=%[0-9A-Fa-f]{2})|(?<=%25[0-9A-Fa-f]{2})|(?<=\\u[0-9A-Fa-f]{4}))"
_AFTER = r"(?![0-9A-Za-z])"
_KEYS = "|".join(sorted(SECRET_FIELDS))
# A JSON member `"pin": "…"` in any of the quotes it is seen with: raw, escaped once or twice, URL-encoded, HTML.
_JSON_MEMBER = re.compile(
    r"(?P<q>\\\\\\\"|\\\"|\"|%22|&quot;|&#34;)(?i:" + _KEYS + r")(?P=q)(?:\s|\+|%20)*(?::|%3A)(?:\s|\+|%20)*"
    r"(?:(?P=q)(?P<quoted>.*?)(?<!\\)(?P=q)|(?P<number>\d+))"
)
_FORM_FIELD = re.compile(r"(?:^|(?<=[?&;]))(?i:" + _KEYS + r")=(?P<value>[^&#\s\"']*)")
_INPUT_TAG = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_PASSWORD_TYPE = re.compile(r"\btype\s*=\s*[\"']?password\b", re.IGNORECASE)
_VALUE_ATTRIBUTE = re.compile(r"(\bvalue\s*=\s*)(\"[^\"]*\"|'[^']*'|[^\s\"'>]+)", re.IGNORECASE)
SNAPSHOT_VALUE = "__playwright_value_"  # where Playwright's DOM snapshot keeps an input's current value
JSON_SUFFIXES = frozenset({".json", ".trace", ".network", ".stacks"})  # a trace's events are JSON lines
TEXT_SUFFIXES = JSON_SUFFIXES | {".html", ".htm", ".xml", ".txt", ".log", ".dat", ".css", ".js", ".csv", ".properties"}


def encodings(secret: str) -> set[str]:
    """The forms `secret` takes on its way into an artefact."""
    as_bytes = secret.encode()
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1], html.escape(secret)}
    forms |= {quote(quote(secret, safe=""), safe="")}
    forms |= {as_bytes.hex(), as_bytes.hex().upper(), as_bytes.hex(" "), as_bytes.hex(" ").upper()}
    return forms


def _mask_group(match: re.Match[str], group: str) -> str:
    """The whole match with only `group` masked."""
    start, end = match.span(group)
    whole = match.group(0)
    offset = match.start()
    return whole[: start - offset] + mask(whole[start - offset : end - offset]) + whole[end - offset :]


def _masked_member(match: re.Match[str]) -> str:
    return _mask_group(match, "quoted" if match.group("quoted") is not None else "number")


def _masked_input(match: re.Match[str]) -> str:
    tag = match.group(0)
    if not _PASSWORD_TYPE.search(tag):
        return tag
    return _VALUE_ATTRIBUTE.sub(lambda value: value.group(1) + mask(value.group(2)), tag)


@dataclass(frozen=True)
class Scrubber:
    """Masks `secrets` (and, by shape, what any password field holds) in each kind of artefact."""

    secrets: tuple[str, ...] = ()
    _forms: tuple[str, ...] = field(init=False, repr=False, compare=False, default=())
    _values: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)
    _bytes: re.Pattern[bytes] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        forms = {form for secret in self.secrets if len(secret) >= MIN_SECRET for form in encodings(secret)}
        if forms:  # longest first, so a form is never cut short by another that starts it
            object.__setattr__(self, "_forms", tuple(sorted(forms, key=len, reverse=True)))
            alternatives = "|".join(re.escape(form) for form in self._forms)
            pattern = f"{_BEFORE}(?:{alternatives}){_AFTER}"
            object.__setattr__(self, "_values", re.compile(pattern))
            object.__setattr__(self, "_bytes", re.compile(pattern.encode()))

    def text(self, text: str) -> str:
        """`text` (HTML, a form body, a log line, a message) with every secret masked."""
        lowered = text.lower()
        if any(key in lowered for key in SECRET_FIELDS):  # by shape: a field or key named pin, puk or password
            text = _JSON_MEMBER.sub(_masked_member, text)
            text = _FORM_FIELD.sub(lambda match: _mask_group(match, "value"), text)
            if "<" in text:
                text = _INPUT_TAG.sub(_masked_input, text)
        if self._values is None or not any(form in text for form in self._forms):  # the usual case, and fast
            return text
        return self._values.sub(lambda match: mask(match.group(0)), text)

    def json(self, value: Any) -> Any:
        """A JSON value with every string scrubbed, secret members and password inputs masked; numbers untouched."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, tuple):  # not JSON, but what pytest's serialized reports hold (sections, locations)
            return tuple(self.json(item) for item in value)
        if isinstance(value, list):
            items = [self.json(item) for item in value]
            if _is_password_input(items):
                items[1] = {key: mask(str(v)) if key in (SNAPSHOT_VALUE, "value") else v for key, v in items[1].items()}
            return items
        if isinstance(value, dict):
            scrubbed = mask_fields({key: self.json(item) for key, item in value.items()})
            named = scrubbed.get("name")
            if isinstance(named, str) and named.lower() in SECRET_FIELDS and isinstance(scrubbed.get("value"), str):
                scrubbed["value"] = mask(scrubbed["value"])
            return scrubbed
        return value

    def json_text(self, text: str) -> str:
        """A JSON document, or JSON lines (a trace's events), scrubbed; a line that is not JSON is scrubbed as text."""
        try:
            document = json.loads(text)
        except ValueError:
            return "".join(self._json_line(line) for line in text.splitlines(keepends=True))
        scrubbed = self.json(document)
        if scrubbed == document:
            return text
        return json.dumps(scrubbed, ensure_ascii=False, indent=2 if "\n" in text.strip() else None)

    def _json_line(self, line: str) -> str:
        body = line.rstrip("\r\n")
        try:
            event = json.loads(body)
        except ValueError:
            return self.text(line)
        scrubbed = self.json(event)
        if scrubbed == event:
            return line
        return json.dumps(scrubbed, ensure_ascii=False, separators=(",", ":")) + line[len(body) :]

    def binary(self, data: bytes) -> bytes:
        """A video, an image: a secret in its metadata masked at equal length, so every length field still holds."""
        if self._bytes is None or not any(form.encode() in data for form in self._forms):
            return data
        return self._bytes.sub(lambda match: mask(match.group(0)), data)

    def data(self, data: bytes, name: str) -> bytes:
        """The artefact `name` (its suffix says what it holds) scrubbed: a zip member by member, JSON as JSON."""
        suffix = Path(name).suffix.lower()
        if suffix == ".zip" or (suffix not in TEXT_SUFFIXES and data[:4] == b"PK\x03\x04"):
            return self.zip(data)
        if suffix in TEXT_SUFFIXES or suffix == "":
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                return self.binary(data)
            scrubbed = self.json_text(text) if suffix in JSON_SUFFIXES else self.text(text)
            return data if scrubbed == text else scrubbed.encode("utf-8")
        return self.binary(data)

    def zip(self, data: bytes) -> bytes:
        """A zip (a Playwright trace) with each member scrubbed by its own kind, names and order kept."""
        output = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(output, "w") as target:
            changed = False
            for info in source.infolist():
                content = source.read(info)
                scrubbed = content if info.is_dir() else self.data(content, info.filename)
                changed |= scrubbed != content
                target.writestr(info, scrubbed, compress_type=info.compress_type)
        return output.getvalue() if changed else data

    def file(self, path: Path) -> None:
        """Scrub the file at `path` in place; a reader never sees it half written (temp file, then rename)."""
        data = path.read_bytes()
        scrubbed = self.data(data, path.name)
        if scrubbed == data:
            return
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as temporary:
            temporary.write(scrubbed)
        os.replace(temporary.name, path)

    def files(self, paths: Iterable[Path]) -> None:
        """Scrub each file in place."""
        for path in paths:
            if path.is_file():
                self.file(path)


def _is_password_input(node: list[Any]) -> bool:
    """A DOM snapshot node `["INPUT", {attributes}, …]` of a password field (Playwright's snapshot format)."""
    if len(node) < 2 or not isinstance(node[0], str) or node[0].upper() != "INPUT" or not isinstance(node[1], dict):
        return False
    kind = node[1].get("type")
    return isinstance(kind, str) and kind.lower() == "password"
