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
