"""SMS gateway simulator: Mitake SmSend-compatible API, delivery reports, and an inbox tests read codes from."""

from __future__ import annotations

from simulators.sms.client import SmsClient
from simulators.sms.faults import SmsFault
from simulators.sms.models import SmsMessage
from simulators.sms.service import SmsSettings, create_app

__all__ = ["SmsClient", "SmsFault", "SmsMessage", "SmsSettings", "create_app"]
