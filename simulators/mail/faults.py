"""Mail faults as SMTP replies (RFC 5321 codes), and the addresses that force a branch."""

from __future__ import annotations

from enum import StrEnum


class MailFault(StrEnum):
    """SMTP replies the mail simulator gives instead of accepting a message."""

    SERVICE_UNAVAILABLE = "421"  # RCPT TO → "421 4.3.2 Service not available, closing transmission channel"
    TRY_LATER = "451"  # DATA → "451 4.3.0 Requested action aborted: try again later"
    MAILBOX_UNAVAILABLE = "550"  # RCPT TO → "550 5.1.1 Mailbox unavailable"
    STORAGE_EXCEEDED = "552"  # DATA → "552 5.2.2 Mailbox full"
    TRANSACTION_FAILED = "554"  # DATA → "554 5.6.0 Transaction failed"
    SLOW_ACCEPT = "slow_accept"  # DATA → "250" only after `seconds` (default 3)
    DROP_MID_DATA = "drop_mid_data"  # the connection closes during DATA, with no reply at all
    # DATA → "451-4.3.0 …" continuation lines every HOLD_TICK seconds (a tarpit: each line keeps the client's read
    # timeout from running out) until the harness releases it (POST /_control/release) or `seconds` pass (default 60),
    # then the last line "451 4.3.0 Requested action aborted: try again later": a refusal whose moment the test chooses
    HELD = "held"


REPLIES = {
    MailFault.SERVICE_UNAVAILABLE: "421 4.3.2 Service not available, closing transmission channel",
    MailFault.TRY_LATER: "451 4.3.0 Requested action aborted: try again later",
    MailFault.MAILBOX_UNAVAILABLE: "550 5.1.1 Mailbox unavailable",
    MailFault.STORAGE_EXCEEDED: "552 5.2.2 Mailbox full",
    MailFault.TRANSACTION_FAILED: "554 5.6.0 Transaction failed",
}
AT_RCPT = {MailFault.SERVICE_UNAVAILABLE.value, MailFault.MAILBOX_UNAVAILABLE.value}
AT_DATA = {f.value for f in MailFault} - AT_RCPT

BOUNCING_ADDRESS = "bounce@example.test"  # RCPT TO always answers 550
