"""A connection flood's refusals stay out of the kept log: one warning, then a count now and then
(`RepeatedWarning`), each refusal at DEBUG only."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from earpiece.core.settings import Transport
from earpiece.sip.admission import AdmissionLimits
from earpiece.sip.engine import SipEngine
from earpiece.sip.repeated_warning import RepeatedWarning
from tests.peers.process import wait_for
from tests.sip.conftest import running_engine, shut

CAP = 2
LOGGER = "earpiece.sip.engine"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SipEngine]:
    yield from running_engine(tmp_path_factory, {"admission": AdmissionLimits(max_connections=CAP)})


def lines(caplog: pytest.LogCaptureFixture, level: int, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level and text in r.getMessage()]


def test_refused_connections_give_one_warning_and_the_rest_at_debug(
    engine: SipEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """Each refused connection used to write a WARNING line to the kept log, 20 a second in a flood."""
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    address = engine.local_address(Transport.TCP)
    with ExitStack() as idle:
        for _ in range(CAP):
            idle.enter_context(socket.create_connection(address, timeout=2))
        for _ in range(10):
            with socket.create_connection(address, timeout=2) as extra:
                assert shut(extra)
    assert wait_for(lambda: len(lines(caplog, logging.DEBUG, "SIP connection refused")) == 9, 2, 0.05), \
        caplog.text
    assert len(lines(caplog, logging.WARNING, "SIP connection refused")) == 1


def test_a_repeated_warning_is_counted_while_it_goes_on_and_warns_again_after_a_quiet_period(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("tests.repeated_warning")
    caplog.set_level(logging.DEBUG, logger=logger.name)
    warn = RepeatedWarning(logger, "things refused", every_s=0.2)
    for n in range(5):
        warn("thing %d refused", n)
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == ["thing 0 refused"]
    assert len([r for r in caplog.records if r.levelno == logging.DEBUG]) == 4

    def warnings() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]

    assert wait_for(lambda: len(warnings()) == 2, 2, 0.02)
    assert warnings()[1] == "things refused: 4 more in the last 0.2 s"
    assert wait_for(lambda: warn._period is None, 2, 0.02)  # a period without one: the next is a first
    warn("thing %d refused", 5)
    assert warnings()[2:] == ["thing 5 refused"]
