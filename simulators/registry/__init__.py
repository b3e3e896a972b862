"""City card-services registry simulator (敬老卡, 愛心卡, 圖書借閱證 …) keyed by 身分證字號."""

from __future__ import annotations

from simulators.registry.client import RegistryClient
from simulators.registry.service import SERVICES, RegistryFault, create_app

__all__ = ["SERVICES", "RegistryClient", "RegistryFault", "create_app"]
