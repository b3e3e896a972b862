"""`python -m simulators.agent [--port 61161]`: the 安控元件 alone, with a virtual card in a private PC/SC reader.

It prints the agent's URL and its desktop (installer, tray, controls); the card is a demo citizen's until
`POST /_control/card/insert` puts another in, and its test CA answers OCSP and serves its CRL beside it.
`tpcd certify-agent --agent-url … --control-url …` certifies it.

With `--system-pcsc` it is an agent like any vendor's: it reads whatever readers the PC/SC service named by the
environment offers (PCSCLITE_CSOCK_NAME), with no card or reader of its own to control.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from contextlib import ExitStack

from simulators._main import refuse_beyond_loopback
from simulators._serving import serve_asgi
from simulators.agent.desktop import Desktop, create_desktop_app
from simulators.agent.service import AgentSettings, SecurityAgent
from simulators.agent.tokens import PcscTransport
from simulators.card import CardClient, CardHolder, CardSlot, KeyPool, TestPki, revocation
from simulators.card.pcscd import acquire_host, release_host

DEMO = CardHolder("示範市民", "A123456789", "TPCD000000000001", "123456", "12345678", seed=1)

parser = argparse.ArgumentParser(prog="python -m simulators.agent")
parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
parser.add_argument("--port", type=int, default=61161, help="the agent's port (the real one: 61161; 0: any)")
parser.add_argument("--trust", action="append", default=["127.0.0.1", "localhost"], help="a trusted site's hostname")
parser.add_argument("--cors", action="store_true", help="answer CORS and PNA preflights for trusted origins")
parser.add_argument("--system-pcsc", action="store_true", help="read the PC/SC service of the environment, no own card")
args = parser.parse_args()
# The 安控元件 signs with the citizen's card: it answers the citizen's own computer only, as the real one does.
refuse_beyond_loopback(parser, args.host, "the 安控元件 answers its own computer only (127.0.0.1)")
stopped = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stopped.set())
signal.signal(signal.SIGINT, lambda *_: stopped.set())
with ExitStack() as running:
    agent = SecurityAgent(AgentSettings(cors=args.cors), PcscTransport(), trusted=set(args.trust))
    card, where = None, "the readers of PCSCLITE_CSOCK_NAME"
    if not args.system_pcsc:
        pool = KeyPool()
        running.callback(pool.close)
        host = acquire_host()
        running.callback(release_host)
        pki = TestPki(pool)
        agent.issuer = pki  # a lie armed on it (faults.Lie) takes another card from this CA
        ocsp = running.enter_context(serve_asgi(revocation.create_app(pki), name="ocsp", host=args.host))
        pki.ocsp_url, pki.crl_url = ocsp + "/ocsp", ocsp + "/crl"
        slot = CardSlot(host, pki)
        running.callback(slot.close)
        card = CardClient(slot)
        where = f"card in {slot.reader!r}, PIN {DEMO.pin}; PCSCLITE_CSOCK_NAME={host.socket_path}; OCSP {ocsp}"
    desktop = Desktop(agent, host=args.host, port=args.port, card=card)
    running.callback(desktop.close)
    if card is not None:
        card.insert(DEMO)
    desktop_url = running.enter_context(serve_asgi(create_desktop_app(desktop), name="agent-desktop", host=args.host))
    print(f"agent simulator listening on {desktop.agent_url} (desktop and controls: {desktop_url}); {where}")
    sys.stdout.flush()
    stopped.wait()
