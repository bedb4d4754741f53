"""The answer selector embeds sentences with a model it loads on first use (seconds on a busy
machine, on the event loop): load it before the session tests, as `factory.warm_up` does for a
real line, so a test's first caller turn is not stalled by it."""

from __future__ import annotations

import pytest

from earpiece.core.answers.selector import shared_selector
from tests.core.engine.harness import KNOWLEDGE


@pytest.fixture(scope="session", autouse=True)
def warm_selector() -> None:
    shared_selector().select("When are you open on Saturday?", KNOWLEDGE)
