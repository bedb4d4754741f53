"""A warning that a flood may raise many times a second, kept to a few lines of the kept log."""

from __future__ import annotations

import logging
import threading

SUMMARY_EVERY_S = 60.0


class RepeatedWarning:
    """A warning that may come many times a second (a connection flood), kept out of the kept log: the
    first is logged at WARNING, the next ones at DEBUG, and while they go on their count is logged at
    WARNING every `every_s` seconds ("SIP connections refused: 214 more in the last 60 s"). When a
    period passes without one, the next is a first again. Any thread."""

    def __init__(self, logger: logging.Logger, what: str, every_s: float = SUMMARY_EVERY_S) -> None:
        self._log = logger
        self._what = what
        self._every_s = every_s
        self._lock = threading.Lock()
        self._more = 0  # since the period began, after its first
        self._period: threading.Timer | None = None

    def __call__(self, message: str, *args: object) -> None:
        with self._lock:
            first = self._period is None
            if first:
                self._start_period()
            else:
                self._more += 1
        self._log.log(logging.WARNING if first else logging.DEBUG, message, *args)

    def _start_period(self) -> None:
        self._period = threading.Timer(self._every_s, self._summarize)
        self._period.daemon = True
        self._period.name = "earpiece-log-summary"
        self._period.start()

    def _summarize(self) -> None:
        with self._lock:
            more, self._more = self._more, 0
            if more:
                self._start_period()
            else:
                self._period = None
        if more:
            self._log.warning("%s: %d more in the last %g s", self._what, more, self._every_s)
