"""Our MOICA-like card profile: the AID, files, references, retry counters and ATR (documented in APDU.md).

The real HiCOS card layout is not public (docs/protocols/moica-card.md#middleware), so the AID, file ids and tags are
our choices; the agent
reads the card with the same constants. The ATR is not a choice: it is a real MOICA card's, byte for byte.

Confirmed (once unknown; docs/protocols/moica-card.md#middleware): real MOICA cards answer to reset with T=1 only.
pcsc-tools' ATR list
(`/usr/share/pcsc/smartcard_list.txt`, Debian pcsc-tools) names three MOICA ATRs: `3B B8 13 00 81 31 FA 52 43 48 54
4D 4F 49 43 41 A5` "citizen digital certificate (PKI) http://moica.nat.gov.tw/" (historical bytes "CHTMOICA": the
Chunghwa Telecom HiCOS card), `3B D8 96 00 81 B1 FE 45 1F 07 43 48 54 47 50 4B 49 4A DD` "Citizen Digital
Certificate, Taiwan" ("CHTGPKIJ", also T=1 only) and `3B 8B 80 01 00 31 C1 64 08 40 21 30 00 90 00 57` (an IDEMIA
Cosmo card offering T=0 and T=1). We answer with the first, the HiCOS one: TA1 13 (Fi 372, Di 4), TD1 81 and TD2 31
(T=1 only, so pcscd negotiates T=1 and refuses a T=0-only connect, as with the real card), IFSC 250 (TA3 FA), BWI 5
and CWI 2 (TB3 52), TCK A5. pcsc_scan's ATR analysis identifies our card as that MOICA card.
"""

from __future__ import annotations

MOICA_AID = bytes.fromhex("D158000001") + b"MOICA"  # D + 158 (Taiwan's ISO 3166 number): a national RID
EF_SIGN_CERT = 0x1001
EF_ENC_CERT = 0x1002
EF_CA_CERT = 0x1003  # the issuing CA's certificate, which HiPKI lists as "CA Cert" (simulators/agent/tokens.py)
DO_CARD_NUMBER = 0x0101  # GET DATA P1-P2
PIN_REFERENCE = 0x81
KEY_SIGN, KEY_ENC = 0x01, 0x02
PIN_TRIES, PUK_TRIES = 3, 10
ATR = bytes.fromhex("3BB813008131FA52") + b"CHTMOICA" + bytes.fromhex("A5")  # the HiCOS MOICA card's, T=1 only
