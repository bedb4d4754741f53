"""How many simultaneous calls the installed pjsua2 wheel allows in one process, whatever is asked
(python -m bench.sip.call_cap [ASKED]; prints one JSON line).

It asks `uaConfig.maxCalls` for ASKED calls (default 32), then places calls to a UDP socket of its own
that never answers until `makeCall` refuses one. Nothing leaves 127.0.0.1; runs in ~1 s.
"""

from __future__ import annotations

import json
import socket
import sys
from typing import Any

import pjsua2 as pj

from earpiece.sip.diagnostics import stdout_to_stderr


def probe(asked: int) -> dict[str, Any]:
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


def main() -> int:
    asked = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    with stdout_to_stderr():  # PJSIP prints its start-up lines on fd 1
        result = probe(asked)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
