"""Which providers are down, remembered for the whole process (LiveKit's `FallbackAdapter` idea).

A fallback chain marks a provider down when it fails; every chain in the process then skips it
until its cooldown has passed, so a dead service costs one timeout, not one per turn or sentence.
Once the cooldown is over, the next chain that would have skipped it starts a background probe
(the same request, its answer thrown away) and still skips it: only a probe that succeeds brings
the provider back, and a failed probe starts a new cooldown. Nobody waits for a dead provider.

Providers are known by a key naming the service (provider name and endpoint), so two chains that
talk to different servers never share a verdict.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Down:
    reason: str
    until: float  # monotonic time at which a probe may start
    probe: asyncio.Task[None] | None = None


class ProviderHealth:
    """Down providers by key. Safe within one event loop; chains on other loops each probe alone."""

    def __init__(self) -> None:
        self._down: dict[str, _Down] = {}

    def down_reason(self, key: str) -> str | None:
        """Why `key` is down (it should be skipped), or None if it is believed healthy."""
        down = self._down.get(key)
        return down.reason if down else None

    def mark_down(self, key: str, reason: str, cooldown_s: float) -> None:
        probe = self._down[key].probe if key in self._down else None
        self._down[key] = _Down(reason, time.monotonic() + cooldown_s, probe)

    def mark_up(self, key: str) -> None:
        self._down.pop(key, None)

    def probe_if_due(self, key: str, attempt: Callable[[], Awaitable[object]], cooldown_s: float) -> None:
        """Start `attempt` in the background if `key` is down, cooled down and not being probed.

        Success marks the provider up; any failure (or exception) marks it down for `cooldown_s`.
        """
        down = self._down.get(key)
        if down is None or time.monotonic() < down.until:
            return
        if down.probe is not None and not down.probe.done() and not down.probe.get_loop().is_closed():
            return
        down.probe = asyncio.get_running_loop().create_task(self._probe(key, attempt, cooldown_s))

    async def _probe(self, key: str, attempt: Callable[[], Awaitable[object]], cooldown_s: float) -> None:
        try:
            await attempt()
        except Exception as exc:  # any failure keeps the provider down
            self.mark_down(key, f"probe failed: {type(exc).__name__}: {exc}", cooldown_s)
        else:
            self.mark_up(key)

    def clear(self) -> None:
        """Forget every verdict (the providers were reconfigured, or a test starts afresh)."""
        self._down.clear()


PROVIDER_HEALTH = ProviderHealth()
"""The process-wide memory that the shipped factories give every LLM and TTS chain."""
