"""The far end for the SIP benchmark: an engine in its own process that answers every call and
plays back whatever it hears (python -m bench.sip.echo_peer PORT_FILE)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench.sip.loopback import loopback_engine
from earpiece.core.settings import AccountSettings
from earpiece.sip.events import CallState, CallStateChanged, SipEvent


def main() -> int:
    port_file = Path(sys.argv[1])
    engine = loopback_engine()

    def on_event(event: SipEvent) -> None:
        if isinstance(event, CallStateChanged) and event.state is CallState.CONFIRMED:
            audio = engine.call_audio(event.call_id)
            audio.add_frame_listener(lambda frame: audio.sink.write(frame.pcm))

    engine.subscribe(on_event)  # calls are answered by the account's auto_answer_s=0
    engine.start()
    host, port = engine.local_address()
    engine.add_account(
        AccountSettings(
            id="echo",
            username="echo",
            domain=f"{host}:{port}",
            registration=False,
            allow_direct_calls=True,
            auto_answer_s=0,
        ),
        "",
    ).result(5)
    written = port_file.with_suffix(".part")
    written.write_text(str(port))
    written.rename(port_file)  # atomic: the parent never reads an empty file
    try:
        while not Path(str(port_file) + ".stop").exists():
            time.sleep(0.1)
    finally:
        engine.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
