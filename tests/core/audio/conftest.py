from __future__ import annotations

import pytest

from earpiece.core.audio.install_models import install


@pytest.fixture(scope="session", autouse=True)
def turn_models_installed() -> None:
    """The install step for the turn and VAD models (a no-op once they are in the venv).

    `make setup` should run `python -m earpiece.core.audio.install_models`; until it does, the
    tests install them here, from the pipecat-ai wheel on PyPI, so a fresh clone's tests find them.
    """
    install()
