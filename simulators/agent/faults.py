"""Agent faults in HiPKI's terms: each answers with a ret_code, or does to the connection what a real failure does."""

from __future__ import annotations

from enum import StrEnum


class AgentFault(StrEnum):
    """What the agent does instead of its work."""

    USER_CANCELLED = "user_cancelled"  # ret_code 0x76000999 使用者已取消動作 (the PIN dialog was closed)
    TIMEOUT = "timeout"  # ret_code 0x7600000D 執行檔錯誤或逾時
    NO_READER = "no_reader"  # the reader is unplugged: slots [] and ret_code 0x76100003 無可用讀卡機
    SLOW = "slow"  # the answer comes `seconds` late (default 5)
    CRASH = "crash"  # the agent dies mid-sign, after VERIFY: the connection drops unanswered and the port closes
    PLAIN_PIN_INCORRECT = "pin_incorrect"  # ret_code 0x76100006 with the plain last_error 0xA0 (no tries-left code)


class Lie(StrEnum):
    """What a hostile citizen's agent answers instead of the truth, while the card itself is fine (a successful
    /sign, ret_code 0, carrying `signature` and `certb64` that the portal must refuse): each in HiPKI's terms."""

    SIGNATURE_OVER_OTHER_TBS = "signature_over_other_tbs"  # the card signed other bytes than the `tbs` it was given
    SIGNATURE_BY_OTHER_KEY = "signature_by_other_key"  # a key that is not the one of `certb64` signed the `tbs`
    OTHER_CITIZENS_CERTIFICATE = "other_citizens_certificate"  # another citizen's valid card signed (other last-4)
    EXPIRED_CERTIFICATE = "expired_certificate"  # a certificate past its notAfter, and its key's signature
    NOT_YET_VALID_CERTIFICATE = "not_yet_valid_certificate"  # a certificate before its notBefore, and its signature
    REVOKED_CERTIFICATE = "revoked_certificate"  # a certificate the CA revoked (OCSP revoked, on the CRL)
    IMPOSTOR_CA_CERTIFICATE = "impostor_ca_certificate"  # issued by a CA named as MOICA, with another key
    EC_KEY_CERTIFICATE = "ec_key_certificate"  # the card's subject over an EC (P-256) key, ECDSA signing the `tbs`
    OTHER_CA_CERTIFICATE = "other_ca_certificate"  # the card's subject issued by a CA whose name is not MOICA's
    REPLAYED_ANSWER = "replayed_answer"  # the previous successful /sign answer, sent again for a new `tbs`
