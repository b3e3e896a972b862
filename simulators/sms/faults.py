"""SMS faults in Mitake's own terms (docs/protocols/sms-mitake.md#replies), and the numbers that force a branch."""

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
# Every statuscode as Mitake words it: 附錄二 of its specification v2.14 (codepower-tw/sms-mitake-php
# `docs/HTTP_MitakeAPI_v2.14.pdf`, pp. 15-16; the same words in mitaketw/sms-java StatusCode.java and go-mitake
# message.go).
STATUS_TEXT = {
    "*": "系統發生錯誤，請聯絡三竹資訊窗口人員",
    "a": "簡訊發送功能暫時停止服務，請稍候再試",
    "b": "簡訊發送功能暫時停止服務，請稍候再試",
    "c": "請輸入帳號",
    "d": "請輸入密碼",
    "e": "帳號、密碼錯誤",
    "f": "帳號已過期",
    "h": "帳號已被停用",
    "k": "無效的連線位址",
    "l": "帳號已達到同時連線數上限",
    "m": "必須變更密碼，在變更密碼前，無法使用簡訊發送服務",
    "n": "密碼已逾期，在變更密碼前，將無法使用簡訊發送服務",
    "p": "沒有權限使用外部Http程式",
    "r": "系統暫停服務，請稍後再試",
    "s": "帳務處理失敗，無法發送簡訊",
    "t": "簡訊已過期",
    "u": "簡訊內容不得為空白",
    "v": "無效的手機號碼",
    "w": "查詢筆數超過上限",
    "x": "發送檔案過大，無法發送簡訊",
    "y": "參數錯誤",
    "z": "查無資料",
    "0": "預約傳送中",
    "1": "已送達業者",
    "2": "已送達業者",
    "4": "已送達手機",
    "5": "內容有錯誤",
    "6": "門號有錯誤",
    "7": "簡訊已停用",
    "8": "逾時無送達",
    "9": "預約已取消",
}
# Not confirmed (docs/protocols/sms-mitake.md#our-choices): the spec shows no error reply. Account-level codes come back
# bare (`statuscode=k\r\nError=…`, as in Mitake's real samples); message-level ones inside the message's section.
ACCOUNT_LEVEL = {"*", "a", "b", "c", "d", "e", "f", "h", "k", "l", "m", "n", "p", "r", "s", "w", "x", "y"}
# Refusals an armed fault may also give a status query or a cancel: the account's, not a message's.
QUERY_FAULTS = {"*", "e", "k", "l"}

UNREACHABLE_MOBILE = "0900000001"  # a number whose messages are accepted but never delivered
