"""The agent's headset of the engine, switchable at any time, during calls too (SIP thread).

Switching detaches the live calls from the old headset, closes it (its bridge media and every link to
them go), opens the new devices and connects the live calls' audio and agent side to them. The old one
is closed first: a device chosen again (or exclusive to one stream) must be free to open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from earpiece.sip.events import AudioDeviceProblem
from earpiece.sip.headset import Headset, HeadsetOpener

if TYPE_CHECKING:
    from earpiece.sip.interfaces import CallRegistry, EventPublisher


class HeadsetSwitch:
    """Implements `HeadsetSource` for the calls."""

    def __init__(
        self,
        opener: HeadsetOpener,
        events: EventPublisher,
        calls: CallRegistry,
        submit: Callable[[Callable[[], None]], Any],
    ) -> None:
        """`submit(fn)` runs `fn` on the SIP thread (a device failure is reported on PortAudio's)."""
        self._opener = opener
        self._events = events
        self._calls = calls
        self._submit = submit
        self._headset: Headset | None = None
        self._generation = 0  # which opening a failure report belongs to

    @property
    def current(self) -> Headset | None:
        return self._headset

    def switch(self, input_device: str, output_device: str) -> None:
        """Use these devices from now on ("" = system default, "none" = no device); problems with them
        are reported as `AudioDeviceProblem` events and leave the calls without a headset."""
        self._drop()
        self._generation += 1
        generation = self._generation

        def on_failure(device: str, direction: str, message: str) -> None:  # any thread
            self._submit(lambda: self._failed(generation, device, direction, message))

        self._headset = self._opener(input_device, output_device, self._events.emit, on_failure)
        self._rewire()

    def close(self) -> None:
        self._drop()

    def _failed(self, generation: int, device: str, direction: str, message: str) -> None:
        """The device vanished (unplugged): go on without a headset, unless it was replaced already."""
        if generation != self._generation:
            return
        self._events.emit(AudioDeviceProblem(device=device, direction=direction, message=message))
        self._drop()
        self._rewire()

    def _drop(self) -> None:
        headset, self._headset = self._headset, None
        if headset is None:
            return
        for call in self._calls.live():
            for media in call.media:
                headset.detach(media)
        headset.close()

    def _rewire(self) -> None:
        for call in self._calls.live():
            call.use_headset(self._headset)
