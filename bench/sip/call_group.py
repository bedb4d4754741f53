"""One process of the simultaneous-calls benchmark: an engine that calls an echo peer and reports the
largest gap between incoming frames (python -m bench.sip.call_group TARGET_URI).

Commands on stdin, one per line; each answer is one stdout line `RESULT <json>`:
    add        place one more call, wait until it is answered -> {"calls": n} or {"error": ...}
    measure S  play a tone into every call for S seconds -> {"max_gap_ms": ..., "callback_us_mean": ...}
    quit
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import numpy as np

from bench.sip.loopback import AnsweredCalls, loopback_engine
from earpiece.core.settings import AccountSettings
from earpiece.sip.diagnostics import stdout_to_stderr


def tone(freq: float, ms: int) -> bytes:
    t = np.arange(16 * ms) / 16000
    return (np.sin(2 * np.pi * freq * t) * 12000).astype("<i2").tobytes()


def reply(payload: dict[str, Any]) -> None:
    print("RESULT " + json.dumps(payload), flush=True)


def main() -> int:
    target = sys.argv[1]
    engine = loopback_engine()
    answered = AnsweredCalls(engine)
    with stdout_to_stderr():  # PJSIP prints its start-up lines on fd 1
        engine.start()
    host, port = engine.local_address()
    engine.add_account(
        AccountSettings(id="group", username="group", domain=f"{host}:{port}", registration=False), ""
    ).result(5)
    calls: list[str] = []
    try:
        for line in sys.stdin:
            command, _, argument = line.strip().partition(" ")
            if command == "add":
                try:
                    call_id = engine.make_call("group", target).result(5)
                except Exception as error:
                    reply({"error": str(error)[:300]})
                    continue
                if not answered.wait(call_id, 5):
                    reply({"error": "the echo peer did not answer within 5 s"})
                    continue
                calls.append(call_id)
                reply({"calls": len(calls)})
            elif command == "measure":
                seconds = float(argument)
                audios = [engine.call_audio(c) for c in calls]
                for audio in audios:
                    audio.sink.flush()
                    audio.sink.write(tone(440, int(seconds * 1000) + 1000))
                time.sleep(0.3)  # the echo of the tone is flowing
                for audio in audios:
                    audio.reset_max_gap()
                time.sleep(seconds)
                stats = [a.stats() for a in audios]
                reply(
                    {
                        "calls": len(calls),
                        "max_gap_ms": max(s.max_gap_ms for s in stats),
                        "callback_us_mean": float(np.mean([s.callback_us_mean for s in stats])),
                    }
                )
            elif command == "quit":
                break
    finally:
        engine.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
