"""`python -m simulators.mail [--smtp-port N] [--port N]`: the SMTP server and its read API, alone."""

from __future__ import annotations

import argparse
import signal
import threading

from simulators.mail.service import create_app, serve_smtp
from simulators.serving import serve_asgi
from simulators.standalone import refuse_beyond_loopback

parser = argparse.ArgumentParser(prog="python -m simulators.mail")
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=0, help="read API port (0: any free port)")
parser.add_argument("--smtp-port", type=int, default=0, help="SMTP port (0: any free port)")
args = parser.parse_args()
refuse_beyond_loopback(parser, args.host, f"use `tpcd up --listen {args.host}`, which guards it")
stopped = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stopped.set())
signal.signal(signal.SIGINT, lambda *_: stopped.set())
app = create_app()
with (
    serve_smtp(app.state.simulator, host=args.host, port=args.smtp_port) as smtp_port,
    serve_asgi(app, name="mail", host=args.host, port=args.port) as url,
):
    print(f"mail simulator: SMTP on {args.host}:{smtp_port}, read API on {url}", flush=True)
    stopped.wait()
