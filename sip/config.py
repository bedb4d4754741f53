"""Engine-wide options (transports, registration timing, jitter buffer, headset), pjsua2-free."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import certifi

from earpiece.core.settings import Settings


@dataclass(frozen=True, slots=True)
class EngineConfig:
    bind_address: str = "0.0.0.0"
    udp_port: int = 5060  # 0 = any free port
    tcp_port: int | None = 5060  # None = no TCP transport
    tls_port: int | None = None  # None = no TLS transport
    stun_servers: tuple[str, ...] = ()
    # Simultaneous calls per process. The pjsua2 wheel is built with PJSUA_MAX_CALLS=4 (a 5th
    # makeCall fails with PJ_ETOOMANY, measured in bench/sip); more needs another process.
    # Also: PJSIP's select() I/O queue holds 64 sockets, two per call, closed ones kept 500 ms.
    max_calls: int = 4
    user_agent: str = "Earpiece"
    # Registration: expiry asked of the registrar, and the retry backoff after a failure
    # (doubling from min to max; credentials errors are not retried).
    reg_expires_s: int = 300
    reg_retry_min_s: float = 2.0
    reg_retry_max_s: float = 120.0
    # Jitter buffer tuned for low delay (ms); measured ~41 ms loopback round trip with G.722.
    jb_init_ms: int = 0
    jb_min_pre_ms: int = 0
    jb_max_pre_ms: int = 40
    jb_max_ms: int = 200
    # Headset (sounddevice) devices by name: "" = system default, "none" = no device.
    input_device: str = ""
    output_device: str = ""
    ca_file: str = certifi.where()  # TLS server verification (PJSIP never reads the system store)
    # The audio clock thread needs the GIL for every 20 ms callback; a shorter switch interval bounds
    # its wait when Python threads are busy (process-wide; None leaves Python's 5 ms default).
    gil_switch_interval_s: float | None = 0.002
    pjsip_log_level: int = 2  # 0-6; lines above it never reach Python logging
    history_path: Path | None = None  # None = data_dir()/call_history.jsonl

    @classmethod
    def from_settings(cls, settings: Settings) -> EngineConfig:
        sip = settings.sip
        return cls(
            bind_address=sip.bind_address,
            udp_port=sip.udp_port,
            tcp_port=sip.tcp_port if sip.enable_tcp else None,
            tls_port=sip.tls_port if sip.enable_tls else None,
            stun_servers=tuple(sip.stun_servers),
            input_device=settings.audio.input_device,
            output_device=settings.audio.output_device,
        )
