"""HiPKI LocalSignServer result codes (docs/protocols/hipki-agent.md#result-codes): `ret_code` is the major code,
`last_error` the minor one.

Confirmed (the notes once said only "can arrive negative"; docs/protocols/hipki-agent.md#result-codes): both travel as
JSON numbers holding a *signed 32-bit*
integer, so a code at or above 0x80000000 arrives negative — `last_error` 0x80000001 as -2147483647. The sources:
zkmopro/zkID deserialises them as `i32` (`CardSignResponse { _last_error: i32, _ret_code: i32 }`, in
`wallet-unit-poc/ecdsa-spartan2/src/circuits/rs256_circuit.rs` and zkid-input-builder's `types.rs`), which refuses
2147483649; wl02964036/VictorProject `…/vendor/application/errorcode.js` normalises a negative major code with
`if (rcode<0) rcode=0xFFFFFFFF + rcode + 1;` and matches the tries-left minor codes only as `case -2147483647:` /
`case -2147483646:` (or their 64-bit sign extensions `0xFFFFFFFF80000001` …), never as 0x80000001. `wire` makes that
conversion; the enums keep the codes as the vendor tables write them.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class Ret(IntEnum):
    """Major codes the simulator answers with (a subset of the VictorProject table, plus 0x76000031)."""

    OK = 0
    NO_TBS = 0x76000003  # 未輸入待簽訊息
    NO_CIPHER = 0x76000004  # 未輸入密文
    NO_CARD = 0x76000006  # 未插入IC卡
    BAD_JSON = 0x7600000B  # JSON格式錯誤
    BAD_PARAMETER = 0x7600000C  # 參數錯誤
    TIMEOUT = 0x7600000D  # 執行檔錯誤或逾時
    UNSUPPORTED = 0x7600000E  # 不支援的方法
    UNTRUSTED_SITE = 0x76000031  # 在未授權的網站執行元件
    NO_PIN = 0x76000998  # 未輸入PIN碼
    CANCELLED = 0x76000999  # 使用者已取消動作
    NO_READER = 0x76100003  # 無可用讀卡機
    READER_INFO = 0x76100004  # 取得讀卡機資訊失敗 (the named slotDescription is not there)
    LOGIN_FAILED = 0x76100006  # IC卡登入失敗 (C_Login failed; the detail is in last_error)
    CERT_READ = 0x76100009  # IC卡取得憑證失敗
    SIGN_FAILED = 0x76300004  # 簽章執行錯誤
    DECRYPT_FAILED = 0x76400003  # 解密錯誤
    NOT_YET_VALID = 0x76500001  # 憑證尚未生效
    EXPIRED = 0x76500002  # 憑證已逾期
    BASE64_DECODE = 0x76600002  # Base64解碼錯誤


class Minor(IntEnum):
    """Minor codes (PKCS#11 CKR_* values and the vendor's tries-left codes)."""

    NONE = 0
    PIN_INCORRECT = 0xA0  # CKR_PIN_INCORRECT
    PIN_LEN_RANGE = 0xA2  # CKR_PIN_LEN_RANGE
    PIN_LOCKED = 0xA4  # CKR_PIN_LOCKED
    TWO_TRIES_LEFT = 0x80000002  # PIN碼錯誤，剩餘兩次機會
    ONE_TRY_LEFT = 0x80000001  # PIN碼錯誤，剩餘一次機會


MESSAGES = {
    Ret.OK: "成功",
    Ret.NO_TBS: "未輸入待簽訊息",
    Ret.NO_CIPHER: "未輸入密文",
    Ret.NO_CARD: "未插入IC卡",
    Ret.BAD_JSON: "JSON格式錯誤",
    Ret.BAD_PARAMETER: "參數錯誤",
    Ret.TIMEOUT: "執行檔錯誤或逾時",
    Ret.UNSUPPORTED: "不支援的方法",
    Ret.UNTRUSTED_SITE: "在未授權的網站執行元件",
    Ret.NO_PIN: "未輸入PIN碼",
    Ret.CANCELLED: "使用者已取消動作",
    Ret.NO_READER: "無可用讀卡機",
    Ret.READER_INFO: "取得讀卡機資訊失敗",
    Ret.LOGIN_FAILED: "IC卡登入失敗",
    Ret.CERT_READ: "IC卡取得憑證失敗",
    Ret.SIGN_FAILED: "簽章執行錯誤",
    Ret.DECRYPT_FAILED: "解密錯誤",
    Ret.NOT_YET_VALID: "憑證尚未生效",
    Ret.EXPIRED: "憑證已逾期",
    Ret.BASE64_DECODE: "Base64解碼錯誤",
}


def wire(code: int) -> int:
    """A code as the agent puts it in JSON: the unsigned 32-bit value read as a signed 32-bit integer."""
    code &= 0xFFFFFFFF
    return code - 0x1_0000_0000 if code & 0x8000_0000 else code


class AgentError(Exception):
    """A HiPKI outcome other than success: answered with HTTP 200 and these codes, as the real agent does."""

    def __init__(self, ret: Ret, last: int = Minor.NONE, *, message: str = "") -> None:
        super().__init__(f"{MESSAGES.get(ret, '')} (ret_code {ret:#x}, last_error {last:#x})")
        self.ret, self.last, self.message = ret, int(last), message

    def answer(self) -> dict[str, Any]:
        """The body fields HiPKI answers with: ret_code, last_error, and the free-text `message` when there is one."""
        body: dict[str, Any] = {"ret_code": wire(self.ret), "last_error": wire(self.last)}
        return body | {"message": self.message} if self.message else body


def pin_status(sw: int) -> AgentError:
    """Map a VERIFY status word to HiPKI codes, as middleware does (docs/protocols/hipki-agent.md#our-choices)."""
    if sw == 0x63C2:
        return AgentError(Ret.LOGIN_FAILED, Minor.TWO_TRIES_LEFT)
    if sw == 0x63C1:
        return AgentError(Ret.LOGIN_FAILED, Minor.ONE_TRY_LEFT)
    if sw in (0x63C0, 0x6983):
        return AgentError(Ret.LOGIN_FAILED, Minor.PIN_LOCKED)
    if sw == 0x6700:
        return AgentError(Ret.LOGIN_FAILED, Minor.PIN_LEN_RANGE)
    return AgentError(Ret.LOGIN_FAILED, Minor.PIN_INCORRECT)
