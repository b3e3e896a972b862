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
    CRL_HTTP_503 = "crl_http_503"  # GET /crl → HTTP 503, no CRL: for every fetch while armed, whatever its `match`
    # CRLs a relying party must not trust (RFC 5280 §6.3.3), each listing no revoked certificate, served at GET /crl
    # for every fetch while armed, as CRL_HTTP_503 is:
    CRL_SIGNED_BY_STRANGER = "crlSignedByStranger"  # issuer = the CA's name, signed by another key (§6.3.3 (f))
    CRL_OTHER_ISSUER = "crlOtherIssuer"  # signed by the CA's key, its issuer another CA's name (§6.3.3 (b))
    CRL_STALE = "crlStale"  # signed by the CA, nextUpdate a day past (§6.3.3 (a)(2))
    # An honest answer through an authorized responder (§4.2.2.2): the true status, signed by a responder certificate
    # the CA issued with id-kp-OCSPSigning, carried in `certs`; the ResponderID names it byName or byKey (§4.2.2.3).
    DELEGATED_BY_NAME = "delegatedByName"
    DELEGATED_BY_KEY = "delegatedByKey"
    DELEGATED_MISNAMED = "delegatedMisnamed"  # the delegate's true answer, its ResponderID byKey naming another key
    # The true status from a responder certificate the CA issued with id-kp-OCSPSigning over an EC (P-256) key, signed
    # ecdsa-with-SHA256, ResponderID byName: an authorized responder (openssl believes it), not MOICA's algorithm
    DELEGATED_EC = "delegatedEc"
    # Lies: each says "good" whatever the status is, in an answer a relying party must not trust (§3.2, §4.2.2.2).
    GOOD_SIGNED_BY_STRANGER = "goodSignedByStranger"  # responderID byKey = the CA's key hash, signed by another key
    GOOD_BY_DELEGATE_WITHOUT_OCSP_SIGNING = "goodByDelegateWithoutOcspSigning"  # delegate's EKU lacks OCSPSigning
    GOOD_BY_IMPOSTOR_DELEGATE = "goodByImpostorDelegate"  # an OCSPSigning delegate of another CA with MOICA's name
    GOOD_ED25519 = "goodEd25519"  # responderID byName = the CA, signed Ed25519 (id-Ed25519) by a key not the CA's
    GOOD_REPLAYED = "goodReplayed"  # signed by the CA a day ago: nextUpdate in the past, no nonce (an old answer)
    GOOD_OTHER_NONCE = "goodOtherNonce"  # signed by the CA, echoing a nonce the request did not carry
    GOOD_OTHER_SERIAL = "goodOtherSerial"  # signed by the CA, its one SingleResponse about another serial
    GOOD_OTHER_ISSUER = "goodOtherIssuer"  # signed by the CA, its CertID's issuerKeyHash of another key
    GOOD_FROM_FUTURE = "goodFromFuture"  # signed by the CA, thisUpdate an hour ahead of now
