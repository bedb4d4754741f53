"""What pjsua2 can do here, from short-lived endpoints: version and codecs (for `earpiece doctor`)
and how many simultaneous calls one process may hold (for the SIP benchmark)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket
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


def call_capacity(asked: int) -> dict[str, Any]:
    """How many simultaneous calls this pjsua2 build allows when `asked` are configured: places calls
    to a silent UDP socket of its own on 127.0.0.1 until `makeCall` refuses one (~1 s). Like
    `pjsua2_report`, it needs a process without a running `SipEngine`."""
    import pjsua2 as pj

    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # the silent callee
    sink.bind(("127.0.0.1", 0))
    ep = pj.Endpoint()
    ep.libCreate()
    calls: list[Any] = []
    placed, error = 0, ""
    try:
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.maxCalls = asked
        cfg.logConfig.level = 0
        cfg.logConfig.consoleLevel = 0
        ep.libInit(cfg)
        tcfg = pj.TransportConfig()
        tcfg.boundAddress = "127.0.0.1"
        ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
        ep.libStart()
        ep.audDevManager().setNullDev()
        acfg = pj.AccountConfig()
        acfg.idUri = "sip:probe@127.0.0.1"
        acfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
        account = pj.Account()
        account.create(acfg)
        target = f"sip:silent@127.0.0.1:{sink.getsockname()[1]}"
        while len(calls) <= asked:
            call = pj.Call(account)
            try:
                call.makeCall(target, pj.CallOpParam(True))
            except pj.Error as refused:
                error = f"{refused.reason} (status {refused.status})"
                break
            calls.append(call)
            ep.libHandleEvents(0)
        placed = len(calls)
        ep.hangupAllCalls()
        for _ in range(20):
            ep.libHandleEvents(10)
        calls.clear()
        account.shutdown()
        del account
    finally:
        calls.clear()
        ep.libDestroy()
        sink.close()
    return {"asked": asked, "placed": placed, "refused_with": error}
