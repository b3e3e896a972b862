"""City card-services registry simulator (敬老卡, 愛心卡, 圖書借閱證 …) keyed by 身分證字號."""

from __future__ import annotations

from simulators.registry.client import RegistryClient
from simulators.registry.faults import RegistryFault
from simulators.registry.models import Holding, Holdings
from simulators.registry.service import DEPARTMENTS, RegistrySettings, create_app

__all__ = [
    "DEPARTMENTS",
    "Holding",
    "Holdings",
    "RegistryClient",
    "RegistryFault",
    "RegistrySettings",
    "create_app",
]
