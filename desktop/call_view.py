"""What the window knows about one call, kept up to date from the SIP engine's events."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from earpiece.core.settings import CallMode
from earpiece.desktop.plain_words import end_reason_text
from earpiece.sip.events import CallDirection, CallState, MediaStatus


@dataclass(slots=True)
class CallView:
    call_id: str
    account_id: str
    direction: CallDirection
    remote_uri: str
    display_name: str = ""
    state: CallState = CallState.CALLING
    media: MediaStatus = MediaStatus.NONE
    codec: str = ""
    reason: str = ""
    muted: bool = False
    mode: CallMode = CallMode.OFF
    knowledge_base: str = ""  # the one its AI session searches
    started_at: float = field(default_factory=time.monotonic)
    answered_at: float | None = None

    @property
    def title(self) -> str:
        return f"{self.display_name} <{self.remote_uri}>" if self.display_name else self.remote_uri

    @property
    def ringing_in(self) -> bool:
        return self.direction is CallDirection.INBOUND and self.state in (CallState.INCOMING, CallState.EARLY)

    @property
    def held(self) -> bool:
        return self.media is MediaStatus.LOCAL_HOLD

    @property
    def active(self) -> bool:
        return self.state is not CallState.DISCONNECTED

    def status_text(self, now: float | None = None) -> str:
        if self.ringing_in:
            return "ringing"
        if self.state is CallState.CONFIRMED:
            talk = int((now or time.monotonic()) - (self.answered_at or self.started_at))
            flags = [f for f, on in (("on hold", self.held), ("held by them", self.media is
                     MediaStatus.REMOTE_HOLD), ("muted", self.muted)) if on]
            return f"{talk // 60}:{talk % 60:02d}" + (f" ({', '.join(flags)})" if flags else "")
        if self.state is CallState.DISCONNECTED:
            outbound = self.direction is CallDirection.OUTBOUND
            return f"ended: {end_reason_text(self.reason, outbound)}" if self.reason else "ended"
        return self.state.value
