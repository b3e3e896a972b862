"""Card faults in PC/SC and X.509 terms, and the revocation service's faults in HTTP terms."""

from __future__ import annotations

from enum import StrEnum


class CardFault(StrEnum):
    """What the card controls can make happen, each named by what a PC/SC client then sees."""

    PIN_BLOCKED = "pin_blocked"  # VERIFY → SW 6983 (retry counter at 0)
    REMOVED = "removed"  # the card leaves the slot: PC/SC reports SCARD_W_REMOVED_CARD
    REMOVED_DURING_SIGNING = "removed_during_signing"  # it leaves between VERIFY and PSO: the signature never comes
    REVOKED = "revoked"  # the signing certificate is revoked: OCSP says revoked, the CRL lists it
    EXPIRED = "expired"  # the certificates' notAfter is in the past
    NOT_YET_VALID = "not_yet_valid"  # the certificates' notBefore is in the future


class RevocationFault(StrEnum):
    """What the test CA's revocation service answers instead of an OCSP response."""

    # POST/GET /ocsp → HTTP 503, no OCSPResponse at all (not RFC 6960's tryLater): relying parties fall back to the CRL
    OCSP_UNAVAILABLE = "ocsp_unavailable"
