"""The agent conformance requirements, numbered once: the suite marks its tests with them, the summary lists them."""

from __future__ import annotations

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
    "AG-14": "A page on another origin signs through /popupForm and postMessage in Chromium (getTbs, answer, close)",
    "AG-15": "/addDomain, confirmed by the user on the agent's page, makes an untrusted site trusted",
    "AG-16": "DecryptData deciphers a cryptogram made for the encryption certificate",
}
# Requirements that need the card under the simulator's control (insert, remove, reset the PIN counter).
NEEDS_CARD_CONTROL = {"AG-07", "AG-08", "AG-10"}
