"""`python -m simulators.agent [--port 61161]`: the 安控元件 alone, with a virtual card in a private PC/SC reader.

It prints the agent's URL and its desktop (installer, tray, controls); the card is a demo citizen's until
`POST /_control/card/insert` puts another in, and its test CA answers OCSP and serves its CRL beside it.
`tpcd certify-agent --agent-url … --control-url …` certifies it.

With `--system-pcsc` it is an agent like any vendor's: it reads whatever readers the PC/SC service named by the
environment offers (PCSCLITE_CSOCK_NAME), with no card or reader of its own to control. With TPCD_CARD_TRANSPORT=direct
(as the harness's setting) its card is called in-process, with no PC/SC at all: Windows and macOS CI runners.

With `--pkcs11 MODULE` it reaches the card only through that PKCS#11 module, as a vendor's build does
(simulators/agent/pkcs11.py): OpenSC's /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so reads the card's PIV application.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from contextlib import ExitStack
from pathlib import Path

from domain.card import CardHolder
from simulators.agent.desktop import Desktop, create_desktop_app
from simulators.agent.pkcs11 import Pkcs11Transport
from simulators.agent.service import AgentSettings, SecurityAgent
from simulators.agent.tokens import CardTransport, DirectTransport, PcscTransport
from simulators.card import CardClient, CardSlot, KeyPool, TestPki, revocation
from simulators.card.pcscd import acquire_host, release_host
from simulators.serving import serve_asgi
from simulators.standalone import refuse_beyond_loopback

DEMO = CardHolder("示範市民", "A123456789", "TPCD000000000001", "123456", "12345678", seed=1)

parser = argparse.ArgumentParser(prog="python -m simulators.agent")
parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
parser.add_argument("--port", type=int, default=61161, help="the agent's port (the real one: 61161; 0: any)")
parser.add_argument("--trust", action="append", default=["127.0.0.1", "localhost"], help="a trusted site's hostname")
parser.add_argument("--cors", action="store_true", help="answer CORS and PNA preflights for trusted origins")
parser.add_argument("--system-pcsc", action="store_true", help="read the PC/SC service of the environment, no own card")
parser.add_argument("--pkcs11", metavar="MODULE", help="reach the card through this PKCS#11 module (a .so/.dll path)")
args = parser.parse_args()
if args.pkcs11 and not Path(args.pkcs11).is_file():
    parser.error(f"--pkcs11 {args.pkcs11}: no such file (OpenSC's module: opensc-pkcs11.so)")
# The 安控元件 signs with the citizen's card: it answers the citizen's own computer only, as the real one does.
refuse_beyond_loopback(parser, args.host, "the 安控元件 answers its own computer only (127.0.0.1)")
stopped = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stopped.set())
signal.signal(signal.SIGINT, lambda *_: stopped.set())
with ExitStack() as running:
    card, where, settle, issuer = None, "the readers of PCSCLITE_CSOCK_NAME", None, None
    if not args.system_pcsc:
        pool = KeyPool()
        running.callback(pool.close)
        direct = os.environ.get("TPCD_CARD_TRANSPORT") == "direct"  # no PC/SC on this machine: the card in-process
        if direct and args.pkcs11:
            parser.error("--pkcs11 reads the card through PC/SC: it cannot go with TPCD_CARD_TRANSPORT=direct")
        host = None if direct else acquire_host()
        if host is not None:
            running.callback(release_host)
        pki = TestPki(pool)
        issuer = pki  # a lie armed on the agent (faults.Lie) takes another card from this CA
        ocsp = running.enter_context(serve_asgi(revocation.create_app(pki), name="ocsp", host=args.host))
        pki.ocsp_url, pki.crl_url = ocsp + "/ocsp", ocsp + "/crl"
        slot = CardSlot(host, pki)
        running.callback(slot.close)
        card, settle = CardClient(slot), slot.settle_quietly
        pcsc = f"PCSCLITE_CSOCK_NAME={host.socket_path}" if host is not None else "no PC/SC"
        where = f"card in {slot.reader!r}, PIN {DEMO.pin}; {pcsc}; OCSP {ocsp}"
    try:
        transport: CardTransport
        if card is not None and host is None:
            transport = DirectTransport(slot)
        elif args.pkcs11:
            transport = Pkcs11Transport(args.pkcs11, settle)
        else:
            transport = PcscTransport(settle)
    except ValueError as error:
        parser.error(str(error))
    if args.pkcs11:
        where += f"; through the PKCS#11 module {args.pkcs11}"
    agent = SecurityAgent(AgentSettings(cors=args.cors), transport, trusted=set(args.trust), issuer=issuer)
    desktop = Desktop(agent, host=args.host, port=args.port, card=card)
    running.callback(desktop.close)
    if card is not None:
        card.insert(DEMO)
    desktop_url = running.enter_context(serve_asgi(create_desktop_app(desktop), name="agent-desktop", host=args.host))
    print(f"agent simulator listening on {desktop.agent_url} (desktop and controls: {desktop_url}); {where}")
    sys.stdout.flush()
    stopped.wait()
