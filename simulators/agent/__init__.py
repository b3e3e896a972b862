"""The security agent (安控元件): HiPKI LocalSignServer-compatible API, installer wizard and tray."""

from __future__ import annotations

from simulators.agent.client import AgentClient
from simulators.agent.desktop import Desktop, TrayState, create_desktop_app
from simulators.agent.faults import AgentFault, Lie
from simulators.agent.models import AgentRequest
from simulators.agent.service import AgentSettings, SecurityAgent, create_app
from simulators.agent.tokens import DirectTransport, PcscTransport

__all__ = [
    "AgentClient",
    "AgentFault",
    "AgentRequest",
    "AgentSettings",
    "Desktop",
    "DirectTransport",
    "Lie",
    "PcscTransport",
    "SecurityAgent",
    "TrayState",
    "create_app",
    "create_desktop_app",
]
