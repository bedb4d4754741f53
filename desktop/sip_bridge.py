"""SIP events into Qt: the SIP engine calls `deliver` on its own thread; the signal is queued to
the GUI thread because the bridge lives there (Qt's automatic connection across threads)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from earpiece.sip.events import SipEvent


class SipBridge(QObject):
    received = Signal(object)  # a SipEvent, received on the GUI thread

    def deliver(self, event: SipEvent) -> None:
        """SIP thread: hand the event on and return at once."""
        self.received.emit(event)
