"""Card faults in PC/SC and X.509 terms, and the OCSP responder's faults in RFC 6960 (and HTTP) terms."""

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
    """What the test CA's OCSP responder answers instead of the certificates' status (RFC 6960 §4.2.1 names)."""

    TRY_LATER = "tryLater"  # OCSPResponse responseStatus 3, no responseBytes: "Try again later" (HTTP 200)
    INTERNAL_ERROR = "internalError"  # responseStatus 2: "Internal error in issuer" (HTTP 200)
    HTTP_503 = "http_503"  # no OCSPResponse at all: the responder's front end answers HTTP 503, as when it is down
