"""What the call controller decides by itself (`CallPolicy`), and where its voice stacks come from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from earpiece.core.calls.record_format import RecordSource
from earpiece.core.engine import VoiceStack
from earpiece.core.settings import CallMode


class StackSource(Protocol):
    async def new_stack(self, kb_name: str) -> VoiceStack:
        """A voice stack for one call over knowledge base `kb_name` ("" = the default)."""
        ...


RETENTION_EVERY_S = 3600.0  # a long-running controller applies the retention period this often at most


@dataclass(frozen=True, slots=True)
class CallPolicy:
    """What the controller decides by itself; the defaults are the desktop's (the user answers)."""

    source: RecordSource = RecordSource.DESKTOP
    answer: bool = False  # answer every offered call itself (the agent)
    account_id: str | None = None  # only this account's calls (None: every account's)
    answer_delay_s: float = 0.0
    max_calls: int | None = None  # more ringing calls are refused as busy (None: no limit)
    mode: CallMode | None = None  # None: the account's default_mode
    knowledge_base: str | None = None  # None: the account's, else knowledge.default_kb
    transfer_to: str | None = None  # None: the account's handover_uri; "" = nowhere
    greeting: str | None = None  # None: the engine's
    calls_dir: Path | None = None  # None: data_dir()/calls
    retention_every_s: float = RETENTION_EVERY_S  # after a call ends, once this long since the last time
