"""The agent conformance requirements, numbered once: the suite marks its tests with them, the summary lists them.

Numbers are never reused or reordered, so two certification runs (and a customer's copy of one) compare by number.
Each requirement also says what it needs besides the agent: the card's PIN, the card under control (it sends wrong
PINs, pulls the card out, expires or revokes it: only ever done to a card the suite controls), or a reader it can
unplug. Without them it is reported not run, with the reason.
"""

from __future__ import annotations

from enum import StrEnum


class Need(StrEnum):
    """What a requirement needs besides the agent."""

    PIN = "pin"  # the card's PIN: --pin, or the card under control (the suite then sends no other PIN)
    CONTROL = "control"  # the card under control (--control-url): wrong PINs, removal, expiry, revocation
    READER = "reader"  # a reader the control surface can unplug (a reader of this machine's private pcscd)


REQUIREMENTS: dict[str, str] = {
    "AG-01": "GET / answers with a body containing version:<a.b.c.d>",
    "AG-02": "/pkcs11info answers GET and POST with ret_code 0, serverVersion and one slot per reader",
    "AG-03": "/pkcs11info?withcert=true lists the card: serialNumber, and per certificate certb64, subjectDN, "
    "subjectCN, subjectID (last four ID digits), usage and sn",
    "AG-04": "MakeSignature PKCS1: the signature verifies with the certb64 key over SHA-256 of tbs; "
    "cardSN is the card's number",
    "AG-05": "MakeSignature PKCS7: CMS SignedData whose signature verifies; "
    "nonce and card-number attributes on request",
    "AG-06": "tbsEncoding base64 signs the decoded bytes; a bad base64 tbs answers 0x76600002",
    "AG-07": "A wrong PIN answers 0x76100006 with 0x80000002, then 0x80000001, then 0xA4 (locked), and stays locked",
    "AG-08": "A PIN outside 6–8 characters answers last_error 0xA2 and costs no try",
    "AG-09": "Missing PIN 0x76000998, missing tbs 0x76000003, malformed JSON 0x7600000B",
    "AG-10": "No card in the reader: /sign answers 0x76000006 and the slot's token is empty",
    "AG-11": "Every protocol outcome, errors included, is HTTP 200 with ret_code and last_error",
    "AG-12": "A page Origin not on the trusted list answers 0x76000031; a request without Origin is served",
    "AG-13": "CORS and Private Network Access preflights are not granted to an untrusted origin",
    "AG-14": "The portal's page signs through /popupForm from its own origin in Chromium (PIN dialog, getTbs, "
    "the answer, the popup closed) and a relying party's check (signature, chain, validity, revocation, holder) "
    "accepts the signature",
    "AG-15": "The portal's trusted-site flow in Chromium: an untrusted site is offered 「加入信任網站」, and the "
    "agent's /addDomain page, confirmed with [是], makes it trusted",
    "AG-16": "DecryptData deciphers a cryptogram made for the encryption certificate",
    "AG-17": "A request whose Host is not the agent's own loopback name and port (a DNS-rebinding page: Host and "
    "Origin both its own name) gets no certificates and no signature, and cannot trust its own site",
    "AG-18": "Origin: null (a sandboxed frame, a file page) is an untrusted site: 0x76000031, no certificates, "
    "no signature",
    "AG-19": "The /addDomain confirmation page cannot be framed by another site: Chromium does not show it in a frame",
    "AG-20": "PIN-try safety: a request the agent refuses (untrusted site, missing or bad tbs, unsupported "
    "algorithm) never reaches the card's PIN; one wrong PIN costs exactly one try",
    "AG-21": "The portal's page detects the agent as it does in Chromium (its script's probe from another origin): "
    "「安控元件已啟動」",
    "AG-22": "The card pulled out during a signature: /sign answers 0x76000006 (HTTP 200), the portal's page asks "
    "for the card, and the agent signs again once it is back",
    "AG-23": "The reader unplugged: /pkcs11info lists no reader, /sign answers 0x76100003 and the portal's page "
    "says the reader is missing; plugged back, the agent signs again",
    "AG-24": "An expired certificate: /sign answers 0x76500002 and the portal's page says the card has expired",
    "AG-25": "A revoked certificate: the agent still signs (revocation is the relying party's check) and the "
    "portal's page, after its OCSP check, says the card is revoked",
    "AG-26": "The legacy image probe: /p11Image.bmp, drawn on a canvas by a page of another origin as HiPKI's check "
    "page does, carries the /pkcs11info answer",
}
NEEDS: dict[str, frozenset[Need]] = {
    "AG-04": frozenset({Need.PIN}),
    "AG-05": frozenset({Need.PIN}),
    "AG-06": frozenset({Need.PIN}),
    "AG-07": frozenset({Need.CONTROL}),
    "AG-08": frozenset({Need.CONTROL}),
    "AG-09": frozenset({Need.PIN}),
    "AG-10": frozenset({Need.CONTROL}),
    "AG-14": frozenset({Need.PIN}),
    "AG-16": frozenset({Need.PIN}),
    "AG-20": frozenset({Need.CONTROL}),
    "AG-22": frozenset({Need.CONTROL}),
    "AG-23": frozenset({Need.CONTROL, Need.READER}),
    "AG-24": frozenset({Need.CONTROL}),
    "AG-25": frozenset({Need.CONTROL}),
}
