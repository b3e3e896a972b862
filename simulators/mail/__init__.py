"""E-mail simulator: real SMTP (aiosmtpd) into an in-memory mailbox, read through a Mailpit-compatible API."""

from __future__ import annotations

from simulators.mail.client import MailClient
from simulators.mail.faults import MailFault
from simulators.mail.models import Address, Attachment, Message, MessageList, MessageSummary
from simulators.mail.service import Mailbox, MailSettings, create_app, serve_smtp

__all__ = [
    "Address",
    "Attachment",
    "MailClient",
    "MailFault",
    "MailSettings",
    "Mailbox",
    "Message",
    "MessageList",
    "MessageSummary",
    "create_app",
    "serve_smtp",
]
