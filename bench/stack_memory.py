"""A stack left running for weeks: its resident memory while 200,000 SMS and 200,000 mails go through it, and a code
still delivered at the end (docs/shared-stack.md).

`tpcd up` runs as a person starts it (loopback, the twin included, the default retention: the newest 500 messages of
each inbox); the SMS arrive as Mitake SmBulkSend requests of 500 records (each a message the gateway accepts,
charges and delivers), the mails over SMTP from 4 client processes (prebuilt bytes, one connection each). The
process's VmRSS is printed before, at each quarter of each flood, and after; flat once the inboxes are full. Then one
SMS and one mail with a code must still arrive (the gateway's points refilled on the way). Prints, asserts nothing.
Run: `.venv/bin/python -m bench.stack_memory [MESSAGES]` (default 200,000 of each).
"""

from __future__ import annotations

import json
import multiprocessing
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import requests

from simulators.mail import MailClient
from simulators.sms import SmsClient

ROOT = Path(__file__).resolve().parents[1]
BULK = 500  # records per SmBulkSend request: Mitake's limit
CLIENTS = 4
ACCOUNT = {"username": "tpcd", "password": "tpcd-sms-secret"}  # the stack's default account (simulators.sms)
MAIL = (
    "From: =?utf-8?b?6Ie65YyX5Y2h?= <noreply@tpcd.example.test>\r\n"
    "To: flood@example.test\r\n"
    "Subject: =?utf-8?b?6amX6K2J56K8?=\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n" + "您的驗證碼為 123456\r\n" * 20
).encode()


def rss_mib(pid: int) -> float:
    """The process's resident memory (VmRSS), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def flood_sms(sms_url: str, count: int, pid: int) -> float:
    """Send `count` SMS in SmBulkSend requests; print the memory at each quarter; the seconds it took."""
    began, sent, quarter = time.perf_counter(), 0, max(count // 4, 1)
    with requests.Session() as http:
        while sent < count:
            size = min(BULK, count - sent)
            body = "\r\n".join(f"$$09{(sent + n) % 10**8:08d}$$$$$$$$$$驗證碼 {n:06d}" for n in range(size))
            http.post(
                f"{sms_url}/api/mtk/SmBulkSend", params={**ACCOUNT, "Encoding_PostIn": "UTF8"}, data=body.encode()
            )
            before, sent = sent, sent + size
            if before // quarter != sent // quarter:
                print(f"  SMS   {sent:>9,} sent   {rss_mib(pid):7.1f} MiB resident", flush=True)
    return time.perf_counter() - began


def _mail_client(port: int, count: int) -> None:
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for _ in range(count):
            smtp.sendmail("noreply@tpcd.example.test", ["flood@example.test"], MAIL)


def flood_mail(smtp_port: int, count: int, pid: int) -> float:
    """Send `count` mails from CLIENTS processes; print the memory at each quarter; the seconds it took."""
    began = time.perf_counter()
    for step in range(4):
        share = count // 4 // CLIENTS
        workers = [multiprocessing.Process(target=_mail_client, args=(smtp_port, share)) for _ in range(CLIENTS)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        print(f"  mail  {(step + 1) * share * CLIENTS:>9,} sent   {rss_mib(pid):7.1f} MiB resident", flush=True)
    return time.perf_counter() - began


def still_delivers(urls: dict[str, str]) -> str:
    """One SMS and one mail with a code after the floods: what arrived."""
    with SmsClient(urls["sms"]) as sms, MailClient(urls["mail_api"]) as mail:
        form = {**ACCOUNT, "dstaddr": "0987654321", "smbody": "【臺北卡】您的驗證碼為 246810"}
        requests.post(f"{urls['sms']}/api/mtk/SmSend", params={"CharsetURL": "UTF-8"}, data=form, timeout=10)
        sms_code = sms.wait_for_otp("0987654321", timeout=30)
        smtp = urlparse(urls["mail_smtp"])
        with smtplib.SMTP(smtp.hostname or "127.0.0.1", smtp.port or 25, timeout=10) as client:
            message = MAIL.replace(b"flood@", b"citizen@").replace(b"123456", b"135790")
            client.sendmail("noreply@tpcd.example.test", ["citizen@example.test"], message)
        mail_code = mail.wait_for_otp("citizen@example.test", timeout=30)
        state = sms.state()
    refills, points, kept = state["refills"], state["account_points"], state["messages"]
    return (
        f"SMS code {sms_code}, mail code {mail_code} delivered; SMS inbox {kept} kept, points {points:,} "
        f"after {refills} refill(s)"
    )


def main(count: int = 200_000) -> None:
    """Start `tpcd up`, flood it, print its memory and whether a code still arrives, stop it."""
    with tempfile.TemporaryDirectory(prefix="tpcd-bench-memory-") as out:
        command = [sys.executable, "-m", "harness.cli", "up", "--json", "--out", out]
        stack = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        try:
            urls = json.loads(stack.stdout.readline() if stack.stdout else "{}")
            print(f"stack memory: {count:,} SMS and {count:,} mails through `tpcd up` (pid {stack.pid})")
            print(f"  before            {rss_mib(stack.pid):7.1f} MiB resident", flush=True)
            sms_seconds = flood_sms(urls["sms"], count, stack.pid)
            smtp_port = urlparse(urls["mail_smtp"]).port or 25
            mail_seconds = flood_mail(smtp_port, count, stack.pid)
            print(f"  floods: SMS {count / sms_seconds:,.0f}/s, mail {count / mail_seconds:,.0f}/s")
            print(f"  after             {rss_mib(stack.pid):7.1f} MiB resident")
            print(f"  {still_delivers(urls)}")
        finally:
            stack.send_signal(signal.SIGTERM)
            stack.wait(60)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
