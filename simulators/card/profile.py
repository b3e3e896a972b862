"""Our MOICA-like card profile: the AID, files, references, retry counters and ATR (documented in APDU.md).

The real HiCOS card layout is not public (PROTOCOLS.md §5.7), so these are our choices; the agent reads the card with
the same constants.
"""

from __future__ import annotations

MOICA_AID = bytes.fromhex("D158000001") + b"MOICA"  # D + 158 (Taiwan's ISO 3166 number): a national RID
EF_SIGN_CERT = 0x1001
EF_ENC_CERT = 0x1002
DO_CARD_NUMBER = 0x0101  # GET DATA P1-P2
PIN_REFERENCE = 0x81
KEY_SIGN, KEY_ENC = 0x01, 0x02
PIN_TRIES, PUK_TRIES = 3, 10
ATR = bytes.fromhex("3B1A96") + b"TPCD-MOICA"  # direct convention, TA1, ten historical bytes, T=0 only (no TCK)
