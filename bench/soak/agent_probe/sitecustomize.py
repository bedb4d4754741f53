"""Imported by every Python process started with this folder on PYTHONPATH (bench.soak's agent):
starts the soak probe when `EARPIECE_SOAK_PROBE` names its socket. The variable is removed at once,
so the agent's own child processes (the document parser, ...) do not start probes of their own."""

import os

if os.environ.get("EARPIECE_SOAK_PROBE"):
    from bench.soak.probe import SOCKET_ENV, serve

    serve(os.environ.pop(SOCKET_ENV))
