"""The portal's adapters to external systems: each speaks the real system's protocol and raises its own error."""

from __future__ import annotations


class DeliveryError(RuntimeError):
    """A code could not be sent; `message` is what the citizen reads, in plain Chinese."""

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
