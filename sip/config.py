"""Engine-wide options (transports, registration timing, jitter buffer, headset), pjsua2-free."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import certifi

from earpiece.core.settings import Settings, SipSettings
from earpiece.sip.admission import AdmissionLimits

# The most simultaneous calls one process can hold: PJSUA_MAX_CALLS, compiled into the pjsua2 wheel
# (4, PJSIP's default in pjsua.h; the 2.15.1 wheel does not raise it). libInit accepts any
# uaConfig.maxCalls and silently lowers it to this (pjsua_call_subsys_init), so asking for 8, 16 or 32
# still fails the 5th makeCall with PJ_ETOOMANY; `python -m bench.sip.call_cap` measures it and
# tests/sip checks it. More calls need more processes. Sockets are not the limit: each call holds an
# RTP and an RTCP socket in the media endpoint's own select() ioqueue of 64 handles (closed ones
# linger 500 ms), so 4 calls use 8; INVITEs that open sockets and are refused are what can exhaust
# it, which sip/admission.py bounds.
MAX_CALLS_PER_PROCESS = 4
_SIP_DEFAULTS = SipSettings()  # the documented defaults of the settings the engine shares with them


@dataclass(frozen=True, slots=True)
class EngineConfig:
    bind_address: str = "0.0.0.0"
    udp_port: int = 5060  # 0 = any free port
    tcp_port: int | None = 5060  # None = no TCP transport
    tls_port: int | None = None  # None = no TLS transport
    stun_servers: tuple[str, ...] = ()
    # Simultaneous calls in this process (1 to MAX_CALLS_PER_PROCESS; see there).
    max_calls: int = MAX_CALLS_PER_PROCESS
    user_agent: str = "Earpiece"
    # Registration: expiry asked of the registrar, and the retry backoff after a failure
    # (doubling from min to max; credentials errors are not retried).
    reg_expires_s: int = 300
    reg_retry_min_s: float = 2.0
    reg_retry_max_s: float = 120.0
    # Jitter buffer tuned for low delay (ms): ~41 ms port-to-port loopback with G.722 in one process
    # (notes); bench/sip measures 57-77 ms from sink to frames through an echo in another process.
    jb_init_ms: int = 0
    jb_min_pre_ms: int = 0
    jb_max_pre_ms: int = 40
    jb_max_ms: int = 200
    # Headset (sounddevice) devices by name: "" = system default, "none" = no device.
    input_device: str = ""
    output_device: str = ""
    ca_file: str = certifi.where()  # TLS server verification (PJSIP never reads the system store)
    # The audio clock thread needs the GIL for each bridge callback, two per call and 20 ms tick; while
    # another thread runs Python each one waits up to a switch interval. With four calls and one busy
    # thread the tick ends p50 20 ms late at 2 ms (frame gaps over 40 ms), 6 ms at 0.5 ms
    # (bench/results/gil_wait). Process-wide; None leaves Python's 5 ms default.
    gil_switch_interval_s: float | None = 0.0005
    # Stale calls (sip/watchdog.py): an answered call whose ACK has not come after this long, or a
    # call with no incoming RTP for this long (not on hold), is hung up. None: never.
    ack_timeout_s: float | None = _SIP_DEFAULTS.ack_timeout_s
    media_timeout_s: float | None = _SIP_DEFAULTS.media_timeout_s
    # Which INVITEs may open RTP sockets (rate limits per source and in all): see sip/admission.py.
    admission: AdmissionLimits = field(default_factory=AdmissionLimits)
    clock_rt_priority: int = _SIP_DEFAULTS.clock_rt_priority  # sip/clock_thread.py; 0 = never ask
    pjsip_log_level: int = 2  # 0-6; lines above it never reach Python logging
    history_path: Path | None = None  # None = data_dir()/call_history.jsonl

    def __post_init__(self) -> None:
        if not 1 <= self.max_calls <= MAX_CALLS_PER_PROCESS:
            raise ValueError(
                f"max_calls must be 1 to {MAX_CALLS_PER_PROCESS} (the pjsua2 wheel's PJSUA_MAX_CALLS; "
                f"more simultaneous calls need another process), got {self.max_calls}"
            )

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
            ack_timeout_s=sip.ack_timeout_s,
            media_timeout_s=sip.media_timeout_s,
            clock_rt_priority=sip.clock_rt_priority,
            admission=AdmissionLimits(
                media_invites_per_s=sip.media_invites_per_s,
                invite_burst_per_source=sip.invite_burst_per_source,
                invites_per_source_s=sip.invites_per_source_s,
            ),
        )
