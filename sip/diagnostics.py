"""What `earpiece doctor` reports about pjsua2: its version and codecs, from a short-lived endpoint."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """PJSIP prints its start-up lines on fd 1 before any log setting applies; keep stdout clean."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        ctypes.CDLL(None).fflush(None)  # PJSIP writes through C stdio: flush while fd 1 is stderr
        os.dup2(saved, 1)
        os.close(saved)


def pjsua2_report() -> dict[str, Any]:
    """Version and codec list. Must not run while an `SipEngine` exists (one endpoint per process)."""
    import pjsua2 as pj

    with stdout_to_stderr():
        ep = pj.Endpoint()
        ep.libCreate()
        try:
            cfg = pj.EpConfig()
            cfg.uaConfig.threadCnt = 0
            cfg.uaConfig.mainThreadOnly = True
            cfg.logConfig.level = 0
            cfg.logConfig.consoleLevel = 0
            ep.libInit(cfg)
            ep.audDevManager().setNullDev()
            codecs = [{"id": c.codecId, "priority": c.priority} for c in ep.codecEnum2()]
            version = ep.libVersion().full
        finally:
            ep.libDestroy()
    return {"version": version, "codecs": codecs}
