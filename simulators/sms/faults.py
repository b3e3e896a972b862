"""SMS faults in Mitake's own terms (PROTOCOLS.md §7.3), and the numbers that force a branch."""

from __future__ import annotations

from enum import StrEnum


class SmsFault(StrEnum):
    """What the gateway does instead of delivering; statuscode members reply with that Mitake statuscode."""

    BAD_CREDENTIALS = "e"  # statuscode=e 帳號、密碼錯誤
    UNREGISTERED_IP = "k"  # statuscode=k 無效的連線位址
    CONNECTION_LIMIT = "l"  # statuscode=l 帳號已達同時連線數上限 (retryable)
    NO_POINTS = "s"  # statuscode=s 帳務處理失敗
    EMPTY_BODY = "u"  # statuscode=u 簡訊內容不得為空白
    BAD_NUMBER = "v"  # statuscode=v 無效的手機號碼
    SYSTEM_ERROR = "*"  # statuscode=* 系統發生錯誤
    HTTP_500 = "http_500"  # HTTP 500 with an empty body, as a broken front end answers
    HANG = "hang"  # no answer for `seconds` (default 30): past any sane caller's timeout
    DELAY = "delay"  # accepted at once, delivered to the phone `seconds` later
    NEVER_DELIVER = "never_deliver"  # accepted (statuscode=1) but never reaches the phone


STATUSCODE_FAULTS = {f for f in SmsFault if len(f.value) == 1}
# Meanings as Mitake words them (mitaketw/sms-java StatusCode.java).
STATUS_TEXT = {
    "*": "系統發生錯誤",
    "c": "請輸入帳號",
    "d": "請輸入密碼",
    "e": "帳號、密碼錯誤",
    "k": "無效的連線位址",
    "l": "帳號已達同時連線數上限",
    "s": "帳務處理失敗",
    "u": "簡訊內容不得為空白",
    "v": "無效的手機號碼",
}
# Account-level codes come back bare (`statuscode=k\r\nError=…`, as in Mitake's real samples); message-level ones
# inside the message's `[1]` section. This split is our reading of the samples (PROTOCOLS.md §7.3).
ACCOUNT_LEVEL = {"*", "c", "d", "e", "k", "l", "s"}

UNREACHABLE_MOBILE = "0900000001"  # a number whose messages are accepted but never delivered
