"""What Mailpit does to a message, apart from the mailbox's state: the headers it sets on receipt, how it reads
addresses, bodies, parts and headers, its snippet, its tags and its search.

Each rule is ported from axllent/mailpit (v1.30): `internal/smtpd/main.go` `SaveToDatabase`,
`internal/storage/messages.go` `Store`/`GetMessage`, `internal/storage/search.go` `searchQueryBuilder`,
`internal/storage/utils.go` `createSearchText`/`cleanString`, `internal/tools/argsparser.go`, `snippets.go`,
`internal/storage/tags.go` `tagsFromPlusAddresses`, and Go's `net/textproto` for header keys.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import html
import json
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, Message
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from simulators.mail.models import Address, Attachment

SHORTUUID = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"  # lithammer/shortuuid's alphabet


def new_id() -> str:
    """A database ID as Mailpit makes them (`shortuuid.New()`): 22 random characters, no order in them."""
    return "".join(secrets.choice(SHORTUUID) for _ in range(22))


def rfc3339(moment: datetime) -> str:
    """Go's `time.Time` in JSON (RFC3339Nano): fractional seconds without trailing zeros, `Z` for UTC."""
    text = moment.isoformat(timespec="microseconds")
    head, _, rest = text.partition(".")
    fraction, offset = rest[:6].rstrip("0"), rest[6:]
    offset = "Z" if offset in ("+00:00", "") else offset
    return f"{head}{'.' + fraction if fraction else ''}{offset}"


# --- receipt: SaveToDatabase ------------------------------------------------------------------------------------


def _header_block(raw: bytes) -> tuple[bytes, bytes]:
    end = re.search(rb"\r?\n\r?\n", raw)
    return (raw[: end.start()], raw[end.start() :]) if end else (raw, b"")


def set_header(raw: bytes, name: str, value: str) -> bytes:
    """tools.SetMessageHeader: replace the first `name` header (with its continuation lines), or add it at the top."""
    head, rest = _header_block(raw)
    pattern = re.compile(rb"(?im)^" + re.escape(name.encode()) + rb":[^\r\n]*(\r?\n[ \t][^\r\n]*)*")
    if pattern.search(head):
        return pattern.sub(lambda _: f"{name}: {value}".encode(), head, count=1) + rest
    return f"{name}: {value}\r\n".encode() + raw


def received(raw: bytes, mail_from: str, rcpt_tos: Iterable[str]) -> bytes:
    """The bytes Mailpit stores for a message received over SMTP: Return-Path set to the envelope sender, a
    Message-ID added when there is none, and envelope recipients missing from To, Cc and Bcc added to Bcc."""
    if b"\r\r\n" in raw:  # issues #87 and #153
        raw = raw.replace(b"\r\r\n", b"\r\n")
    parsed = parse(raw)
    if str(parsed.get("Return-Path", "")).strip("<>") != mail_from:
        raw = set_header(raw, "Return-Path", f"<{mail_from}>")
    if not str(parsed.get("Message-ID", "")).strip("<>"):
        raw = f"Message-ID: <{new_id()}@mailpit>\r\n".encode() + raw
    known = {a.address.lower() for name in ("To", "Cc", "Bcc") for a in addresses(parsed, name)}
    missing = [r for r in rcpt_tos if "@" in r and r.lower() not in known]
    if missing:
        value = ", ".join(missing)
        if "Bcc" in parsed:
            value = ", " + str(parsed["Bcc"])  # Mailpit's own code does this, dropping `missing` (main.go)
        raw = set_header(raw, "Bcc", value)
    return raw


# --- reading a message: enmime as Mailpit uses it -----------------------------------------------------------------


def parse(raw: bytes) -> EmailMessage:
    """The message, headers decoded (RFC 2047) as enmime gives them."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def utf8(text: str) -> str:
    """Raw UTF-8 in a header (RFC 6532, what SMTPUTF8 senders write) as text: Python's parser keeps such bytes as
    surrogate escapes, Go's as UTF-8."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def header(parsed: EmailMessage, name: str) -> str:
    """`env.GetHeader(name)`: the decoded value, "" when absent or unreadable."""
    try:
        value = parsed.get(name)
    except (ValueError, IndexError):
        return ""
    return "" if value is None else utf8(str(value))


def addresses(parsed: EmailMessage, name: str) -> list[Address]:
    """`addressToSlice`: the header's address list, empty when absent or unreadable."""
    try:
        value = parsed.get(name)
        found = list(getattr(value, "addresses", ()))
    except (ValueError, IndexError):
        return []
    return [Address(utf8(a.display_name), utf8(a.addr_spec)) for a in found if a.addr_spec or a.display_name]


def _text(part: Message) -> str:
    try:
        return str(part.get_content())  # type: ignore[attr-defined]
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""


def _leaves(part: Message, path: str) -> Iterable[tuple[str, Message]]:
    """Each non-multipart part with enmime's PartID: its position in the tree, dotted, from 1."""
    if part.is_multipart():
        for index, child in enumerate(part.get_payload(), start=1):
            yield from _leaves(child, f"{path}.{index}" if path else str(index))
    else:
        yield path or "1", part


@dataclass(frozen=True, slots=True)
class Parts:
    """A message's bodies and its other parts, sorted as enmime sorts them."""

    text: str
    html: str
    inline: list[tuple[Attachment, Message]]
    attachments: list[tuple[Attachment, Message]]


def _summary(part_id: str, part: Message) -> Attachment:
    content = part.get_payload(decode=True)
    data = content if isinstance(content, bytes) else b""
    file_name = part.get_filename() or ""
    content_id = str(part.get("Content-ID", "")).strip("<>")
    return Attachment(
        part_id,
        file_name or content_id,
        part.get_content_type(),
        content_id,
        len(data),
        hashlib.md5(data, usedforsecurity=False).hexdigest(),
        hashlib.sha1(data, usedforsecurity=False).hexdigest(),
        hashlib.sha256(data).hexdigest(),
    )


def parts(parsed: EmailMessage) -> Parts:
    """Text, HTML, inline parts and attachments; Text made from the HTML when there is no text part (enmime)."""
    text = html_body = ""
    inline: list[tuple[Attachment, Message]] = []
    attached: list[tuple[Attachment, Message]] = []
    for part_id, part in _leaves(parsed, ""):
        disposition = part.get_content_disposition()
        kind = part.get_content_type()
        if disposition != "attachment" and kind == "text/plain" and not text and not part.get_filename():
            text = _text(part)
        elif disposition != "attachment" and kind == "text/html" and not html_body and not part.get_filename():
            html_body = _text(part)
        elif disposition == "attachment":
            attached.append((_summary(part_id, part), part))
        elif part.get_filename() or part.get("Content-ID"):
            inline.append((_summary(part_id, part), part))
    if not text and html_body:
        text = strip_html(html_body)
    return Parts(text, html_body, inline, attached)


SKIPPED = re.compile(r"(?is)<(script|style|head|title|noscript)\b.*?</\1\s*>")
BLOCK_TAGS = (
    "div|p|td|th|h[1-6]|ul|ol|li|address|article|aside|blockquote|dl|dt|footer|header|hr|main|nav|pre|table|thead|"
    "tfoot|video"
)
BLOCK_END = re.compile(rf"(?i)</({BLOCK_TAGS})><")


def strip_html(markup: str, *, links: bool = False) -> str:
    """html2text.Strip: the text of the HTML, block ends and <br> as spaces, whitespace collapsed."""
    markup = BLOCK_END.sub(r"</\1> <", markup)
    markup = re.sub(r"(?i)<(br /|br)>", " ", markup)
    markup = SKIPPED.sub(" ", markup)
    if links:
        markup = re.sub(r"""(?is)<a\b[^>]*?href=["']?(http[^"'\s>]*)[^>]*>(.*?)</a>""", r"\2 \1 ", markup)
    text = html.unescape(re.sub(r"(?s)<[^>]*>", "", markup)).replace("\ufeff", " ")
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def snippet(text: str, html_body: str) -> str:
    """tools.CreateSnippet: from the HTML if any, else the text; 200 bytes at most, then "..."."""
    source = strip_html(html_body) if html_body.strip() else " ".join(text.replace("\ufeff", " ").split())
    encoded = source.encode()
    if len(encoded) <= 200:
        return source
    return encoded[:200].decode("utf-8", errors="ignore") + "..."


def clean(text: str) -> str:
    """storage.cleanString: no line breaks, tabs, `<>",;()`; whitespace collapsed; lower case."""
    text = re.sub(r'(\r?\n|\t|>|<|"|,|;|\(|\))', " ", text.replace("\ufeff", " "))
    return " ".join(text.split()).lower()


def search_text(parsed: EmailMessage, found: Parts) -> str:
    """storage.createSearchText: the address and subject headers, the HTML's text (links kept) or else the text,
    attachment names."""
    names = ("From", "Subject", "To", "Cc", "Bcc", "Reply-To", "Return-Path")
    words = [header(parsed, name) for name in names]
    stripped = strip_html(found.html, links=True)
    words.append(stripped or found.text)
    words.extend(a.file_name for a, _ in found.attachments)
    return clean(" ".join(words) + " ")


PLUS_TAG = re.compile(r"^(.*?)\+(.*?)@")  # tags.go addressPlusRe, `(?U)^(.*){1,}\+(.*)@`


def tags(parsed: EmailMessage, sender: Address) -> tuple[str, ...]:
    """Tags Mailpit sets on receipt (defaults): from `X-Tags`, and from plus addresses (`a+tag@…`)."""
    found = [t for t in header(parsed, "X-Tags").strip().split(",") if header(parsed, "X-Tags")]
    for address in [*(a for n in ("To", "Cc", "Bcc") for a in addresses(parsed, n)), sender]:
        match = PLUS_TAG.match(address.address)
        if match:
            found.extend(match.group(2).split("+"))
    cleaned = {" ".join(re.sub(r"[^a-zA-Z0-9\-\ \_\.@]", " ", t).split())[:100] for t in found}
    return tuple(sorted((t for t in cleaned if t), key=str.lower))


def canonical_key(name: str) -> str:
    """Go's textproto.CanonicalMIMEHeaderKey: `message-id` → `Message-Id`."""
    return "-".join(word[:1].upper() + word[1:].lower() for word in name.split("-"))


def header_map(raw: bytes) -> dict[str, list[str]]:
    """`GET /api/v1/message/{ID}/headers`: Go's `mail.Header` as JSON, keys canonical and sorted, values undecoded,
    continuation lines joined by a space."""
    head, _ = _header_block(raw)
    found: dict[str, list[str]] = {}
    for line in re.sub(rb"\r?\n[ \t]+", b" ", head).split(b"\n"):
        name, sep, value = line.decode("utf-8", errors="replace").rstrip("\r").partition(":")
        if sep and name.strip():
            found.setdefault(canonical_key(name.strip()), []).append(value.strip())
    return dict(sorted(found.items()))


# --- search: searchQueryBuilder -----------------------------------------------------------------------------------


def args(query: str) -> list[str]:
    """tools.ArgsParser: words split on spaces outside double quotes; the quotes dropped."""
    words, current, quoted = [], "", False
    for char in query:
        if char == '"':
            quoted = not quoted
            current += char
        elif char == " " and not quoted:
            words.append(current.replace('"', "").strip())
            current = ""
        else:
            current += char
    words.append(current.replace('"', "").strip())
    return [w for w in words if w]


def like(haystack: str, needle: str) -> bool:
    """SQLite's `haystack LIKE '%needle%'`: `%` and `_` are wildcards, ASCII letters match in either case."""
    pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in needle)
    return re.search(pattern, haystack, re.IGNORECASE | re.ASCII | re.DOTALL) is not None


@dataclass(frozen=True, slots=True)
class Searchable:
    """What Mailpit's search looks at for one message."""

    to_json: str
    from_json: str
    cc_json: str
    bcc_json: str
    reply_to_json: str
    subject: str
    message_id: str
    search_text: str
    tags: tuple[str, ...]
    read: bool
    inline: int
    attachments: int
    created: datetime
    size: int


def address_json(found: Iterable[Address] | Address) -> str:
    """The metadata JSON that `to:`, `from:` … match against (Go's json.Marshal: <, >, & escaped)."""
    value = found.to_wire() if isinstance(found, Address) else [a.to_wire() for a in found]
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def size_in_bytes(value: str) -> int:
    """search.go sizeToBytes: `2kb`, `4MB`, `1.5m`; 0 when unreadable."""
    match = re.fullmatch(r"(\d+)(\.\d+)?\s?([a-z]{1,2})?", value.lower())
    if not match:
        return 0
    number = float(match.group(1) + (match.group(2) or ""))
    unit = match.group(3) or ""
    factors = {"": 1, "k": 1024, "kb": 1024, "m": 1024 * 1024, "mb": 1024 * 1024}
    return int(number * factors[unit]) if unit in factors else 0


def parse_date(value: str, zone: str) -> datetime | None:
    """The dates `after:` and `before:` take (a subset of araddon/dateparse: ISO 8601 dates and times, `/` or `-`),
    in the `tz` the request names, else the server's; None when unreadable (Mailpit then ignores the word)."""
    try:
        where = ZoneInfo(zone) if zone else None
    except (ZoneInfoNotFoundError, ValueError):
        where = None
    try:
        moment = datetime.fromisoformat(value.replace("/", "-"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=where or datetime.now().astimezone().tzinfo)


Predicate = Callable[[Searchable], bool]


def _contains(pick: Callable[[Searchable], str], value: str) -> Predicate:
    return lambda m: like(pick(m), value)


def _compare(pick: Callable[[Searchable], Any], bound: Any, *, above: bool) -> Predicate:
    return (lambda m: pick(m) >= bound) if above else (lambda m: pick(m) <= bound)


def _negated(predicate: Predicate) -> Predicate:
    return lambda m: not predicate(m)


def _word(word: str, zone: str) -> Predicate | None:
    """One search word as a predicate (before any `-`/`!`), None when Mailpit skips it."""
    lower = word.lower()
    fields: dict[str, Callable[[Searchable], str]] = {
        "to:": lambda m: m.to_json,
        "from:": lambda m: m.from_json,
        "cc:": lambda m: m.cc_json,
        "bcc:": lambda m: m.bcc_json,
        "reply-to:": lambda m: m.reply_to_json,
        "message-id:": lambda m: m.message_id,
    }
    for prefix, pick in fields.items():
        if lower.startswith(prefix):
            value = clean(word[len(prefix) :])
            return _contains(pick, value) if value else None
    if lower.startswith("addressed:"):
        value = clean(word[10:])
        jsons = ("to_json", "from_json", "cc_json", "bcc_json", "reply_to_json")
        return (lambda m: any(like(getattr(m, j), value) for j in jsons)) if value else None
    if lower.startswith("subject:"):
        value = word[8:]
        return (lambda m: like(m.subject, value)) if value else None
    if lower.startswith("tag:"):
        value = clean(word[4:])
        return (lambda m: value in (t.lower() for t in m.tags)) if value else None
    flags: dict[str, Predicate] = {
        "is:read": lambda m: m.read,
        "is:unread": lambda m: not m.read,
        "is:tagged": lambda m: bool(m.tags),
        "has:inline": lambda m: m.inline > 0,
        "has:inlines": lambda m: m.inline > 0,
        "has:attachment": lambda m: m.attachments > 0,
        "has:attachments": lambda m: m.attachments > 0,
    }
    if lower in flags:
        return flags[lower]
    for prefix, after in (("after:", True), ("before:", False)):
        if lower.startswith(prefix):
            moment = parse_date(clean(word[len(prefix) :]).upper(), zone)
            if moment is None:
                return None
            return _compare(lambda m: m.created, moment, above=after)
    for prefix, larger in (("larger:", True), ("smaller:", False)):
        size = size_in_bytes(clean(word[len(prefix) :])) if lower.startswith(prefix) else 0
        if size:
            return _compare(lambda m: m.size, size + 1 if larger else size - 1, above=larger)  # strict, in bytes
    value = clean(word.lower())
    return lambda m: like(m.search_text, value)


def matcher(query: str, zone: str = "") -> Predicate:
    """Mailpit's search as one predicate: every word must hold; `-` or `!` before a word negates it."""
    predicates: list[Predicate] = []
    for word in args(query):
        if not clean(word):
            continue
        exclude = len(word) > 1 and word[0] in "-!"
        found = _word(word[1:] if exclude else word, zone)
        if found is not None:
            predicates.append(_negated(found) if exclude else found)
    return lambda m: all(p(m) for p in predicates)


def received_at(now: datetime | None = None) -> datetime:
    """When a message is received, to Mailpit's millisecond (it stores `UnixMilli`)."""
    moment = now or datetime.now(UTC)
    return moment - timedelta(microseconds=moment.microsecond % 1000)
