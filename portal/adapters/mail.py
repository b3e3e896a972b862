"""Send the verification e-mail over SMTP (its wording is our design: docs/protocols/mail-smtp-mailpit.md)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from portal.adapters import DeliveryError


class SmtpSender:
    """One SMTP session per message, SMTPUTF8 when the server offers it."""

    def __init__(self, host: str, port: int, sender: str, *, timeout: float) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def send(self, to: str, subject: str, text: str, html: str) -> None:
        """Deliver one multipart message or raise DeliveryError naming the server's reply."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Message-ID"] = make_msgid(domain="tpcd.example.test")
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise _refused(code, reply) from error
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
            raise _refused(error.smtp_code, error.smtp_error) from error
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as error:
            raise DeliveryError("郵件伺服器中斷連線，請稍後再試。", detail=str(error)) from error
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError("無法連線到郵件伺服器，請稍後再試或改用手機驗證。", detail=str(error)) from error


def _refused(code: int, reply: bytes | str) -> DeliveryError:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    if 400 <= code < 500:
        return DeliveryError(f"郵件伺服器暫時無法寄送（{code}），請稍後再試。", detail=text)
    return DeliveryError(f"郵件伺服器拒絕寄送到這個地址（{code}），請確認電子郵件是否正確。", detail=text)
