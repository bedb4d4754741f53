"""The one error type responders raise, so a fallback chain can record a clean reason."""

from __future__ import annotations


class ResponderError(RuntimeError):
    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"{provider}: {reason}")
        self.provider = provider
        self.reason = reason
