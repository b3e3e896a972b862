"""Mails per second into the mail simulator over real SMTP, from 1 and from 4 client processes.

Messages are prebuilt bytes (building each with Python's `email` package would measure the sender,
docs/environment.md#mail);
each client sends on one connection. Target ≥ 1,000/s: four times Mailpit's published 200–300/s.
Run: `.venv/bin/python -m bench.mail_throughput [MAILS_PER_CLIENT]`.
"""

from __future__ import annotations

import multiprocessing
import smtplib
import sys
import time

from simulators.mail import Mailbox, MailSettings, serve_smtp

MESSAGE = (
    "From: =?utf-8?b?6Ie65YyX5Y2h?= <noreply@tpcd.example.test>\r\n"
    "To: citizen@example.test\r\n"
    "Subject: =?utf-8?b?6amX6K2J56K8?=\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "您的驗證碼為 123456\r\n"
).encode()


def _client(port: int, count: int) -> None:
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for _ in range(count):
            smtp.sendmail("noreply@tpcd.example.test", ["citizen@example.test"], MESSAGE)


def _run(port: int, clients: int, per_client: int) -> float:
    workers = [multiprocessing.Process(target=_client, args=(port, per_client)) for _ in range(clients)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return clients * per_client / (time.perf_counter() - began)


def main(per_client: int = 2000) -> None:
    """Print mails/s for 1 and 4 concurrent SMTP clients."""
    mailbox = Mailbox(MailSettings(max_messages=4 * per_client))  # every mail kept, so the count below is checked
    with serve_smtp(mailbox) as port:
        _run(port, 1, 50)  # warm-up
        for clients in (1, 4):
            mailbox.reset()
            rate = _run(port, clients, per_client)
            assert len(mailbox.mails) == clients * per_client, "the simulator lost mail"
            print(
                f"mail simulator: {clients} SMTP client(s) x {per_client} prebuilt mails: {rate:7.0f} mails/s "
                "(target ≥ 1000/s)"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
