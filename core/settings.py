"""One typed settings model, saved as JSON in the platform config folder.

Precedence (highest first): constructor arguments, `EARPIECE_...` environment variables
(nested fields with `__`, e.g. `EARPIECE_LLM__PROVIDERS='["groq","offline"]'`), the saved file,
the defaults. Defaults work offline with the bundled models. Secrets never live here: see
`earpiece.core.secrets`.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    JsonConfigSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from earpiece.core.audio.turn_settings import Endpointing, TurnSettings
from earpiece.core.knowledge.limits import IngestLimits
from earpiece.core.paths import config_dir

SETTINGS_FILE = "settings.json"


class Transport(StrEnum):
    UDP = "udp"
    TCP = "tcp"
    TLS = "tls"


class SrtpPolicy(StrEnum):
    OFF = "off"
    OPTIONAL = "optional"
    MANDATORY = "mandatory"


class CallMode(StrEnum):
    OFF = "off"
    COPILOT = "copilot"
    AUTONOMOUS = "autonomous"


class AccountSettings(BaseModel):
    """A SIP account. Its password is in the keyring under `sip:<id>`."""

    id: str
    display_name: str = ""
    username: str
    domain: str
    registrar: str = ""  # defaults to sip:<domain>
    proxy: str = ""
    transport: Transport = Transport.UDP
    srtp: SrtpPolicy = SrtpPolicy.OFF
    registration: bool = True  # REGISTER with the registrar (off: outbound-only or direct calls)
    default_mode: CallMode = CallMode.COPILOT
    auto_answer_s: float | None = None  # autonomous answering after this delay
    handover_uri: str = ""  # where autonomous mode transfers a caller who asks for a person
    knowledge_base: str = ""  # the knowledge base its calls use; "" = knowledge.default_kb
    allow_direct_calls: bool = False  # INVITEs not from the registrar/proxy
    allow_transfer_requests: bool = False  # incoming REFER
    tls_verify_server: bool = True


class SipSettings(BaseModel):
    model_config = ConfigDict(use_attribute_docstrings=True)

    bind_address: str = "0.0.0.0"
    udp_port: int = Field(default=5060, ge=0, le=65535)
    tcp_port: int = Field(default=5060, ge=0, le=65535)
    tls_port: int = Field(default=5061, ge=0, le=65535)
    enable_tcp: bool = True
    enable_tls: bool = False
    stun_servers: list[str] = Field(default_factory=list)
    accounts: list[AccountSettings] = Field(default_factory=list)
    codec_order: list[str] = Field(default_factory=lambda: ["G722/16000/1", "PCMU/8000/1", "PCMA/8000/1"])
    """The audio codecs calls offer, first preferred (PJSIP ids); codecs not listed are never used."""
    # Stale calls (earpiece.sip.watchdog) and the incoming-INVITE gate (earpiece.sip.admission).
    ack_timeout_s: float | None = Field(default=6.0, gt=0)
    """An answered incoming call whose ACK has not arrived after this many seconds is hung up and its
    line freed (PJSIP alone would hold it ~37 s). Default 6 s; None = never."""
    media_timeout_s: float | None = Field(default=30.0, gt=0)
    """A call that received no RTP for this many seconds (calls on hold excepted) is hung up: the far
    end vanished without a BYE. Default 30 s; None = never."""
    media_invites_per_s: int = Field(default=20, ge=1, le=28)
    """Incoming INVITEs per second, all sources together, that may reach an account and open RTP
    sockets; more are refused with 503. Default 20; at most 28 (each holds 2 of PJSIP's 64 media
    sockets for ~1 s, and 8 stay for the calls)."""
    invite_burst_per_source: int = Field(default=10, ge=1)
    """Incoming INVITEs one source address may send in a burst before further ones are refused with
    503. Default 10."""
    invites_per_source_s: float = Field(default=5.0, gt=0)
    """How fast a source's burst allowance refills, in INVITEs per second. Default 5."""
    clock_rt_priority: int = Field(default=10, ge=0, le=99)
    """Real-time (SCHED_RR) priority of the audio clock thread, so a busy machine does not delay
    the calls' 20 ms frames; needs root or LimitRTPRIO in the service (without, the thread keeps
    its normal priority and the log says so). 0 = never ask. Default 10."""


class AudioDeviceSettings(BaseModel):
    """Headset devices by name (names survive restarts and re-plugging; indexes do not)."""

    input_device: str = ""  # "" = system default, "none" = no device
    output_device: str = ""
    ringtone: bool = True
    microphone_volume: int = Field(default=100, ge=0, le=200)  # % of the headset microphone's level
    speaker_volume: int = Field(default=100, ge=0, le=200)  # % of the calls' level in the headset
    record_calls: bool = False  # every answered call to data_dir()/calls/<call id>.wav


class VadSettings(BaseModel):
    aggressiveness: int = Field(default=2, ge=0, le=3)
    preroll_ms: int = Field(default=300, ge=0)
    # whole 20 ms frames; why 740: the comment at Settings.turns
    end_of_turn_ms: int = Field(default=740, gt=0)
    # shorter speech (backchannels, coughs) does not interrupt
    barge_in_min_ms: int = Field(default=400, ge=0)


class SttSettings(BaseModel):
    # "moonshine-tiny" (Moonshine tiny English), or a bundled Whisper name ("tiny.en") or the path
    # of a CTranslate2 Whisper folder. Moonshine by the numbers (bench/stt, 82 test questions, WER
    # wideband / narrowband): Moonshine 19.8 / 37.6 % at ~360 ms CPU per utterance, tiny.en
    # 17.4 / 43.3 % (16.7 / 45.5 % with the knowledge base's terms) at ~680 ms, base 13.7 / 40.7 %
    # (12.6 / 37.3 %) at ~1.4 s; Moonshine's cost grows with the utterance, Whisper's does not.
    model: str = "moonshine-tiny"
    compute_type: str = "int8"
    # One core is left to the call audio: with CTranslate2 on both cores of a 2-core machine the
    # 20 ms audio clock missed its slot (gaps over 40 ms in ~1 of 5 runs, tests/sip/test_audio.py);
    # with one thread the largest gap stayed at 23-30 ms, for ~90 ms more STT per utterance.
    threads: int = Field(default_factory=lambda: max(1, (os.cpu_count() or 2) - 1), ge=1)
    # Recognition in a pool of worker processes, one model and one thread each, at `worker_nice`
    # (below the call audio), so one call's utterance never waits behind another call's lock; as
    # many workers as cores by default (more only share the same cores). 0 = in this process, one
    # shared model behind one lock, `threads` threads.
    workers: int = Field(default_factory=lambda: os.cpu_count() or 2, ge=0)
    worker_nice: int = Field(default=10, ge=0, le=19)
    beam_size: int = Field(default=1, ge=1)
    no_speech_threshold: float = Field(default=0.6, ge=0, le=1)
    language: str = "en"


class TtsSettings(BaseModel):
    # hibari first (bench/results/tts_compare: first audio p50 56 ms against Piper's 546, word error
    # rate through the recogniser 6.1 / 9.7 % wideband / narrowband against 12.3 / 19.1 %), Piper
    # behind it should hibari fail. Online: e.g. ["edge", "hibari", "piper"].
    providers: list[str] = Field(default_factory=lambda: ["hibari", "piper"])
    piper_voice: str = ""  # path to a Piper .onnx voice; "" = the bundled voice
    hibari_voice: str = "heart"  # only the voice inside the hibari-tts wheel (the others download)
    edge_voice: str = "en-US-AriaNeural"
    edge_timeout_s: float = Field(default=5.0, gt=0)
    speaking_rate: float = Field(default=1.0, gt=0)
    provider_cooldown_s: float = Field(default=30.0, gt=0)
    """A voice provider that failed is skipped this long (process-wide), then probed in the
    background and used again once a probe succeeds."""


class LlmSettings(BaseModel):
    providers: list[str] = Field(default_factory=lambda: ["offline"])  # e.g. ["groq", "offline"]
    groq_model: str = "openai/gpt-oss-20b"  # Groq retired llama-3.1-8b-instant on 2026-08-16
    groq_base_url: str = ""  # "" = the SDK default
    openai_base_url: str = "http://127.0.0.1:11434/v1"
    openai_model: str = "llama3.2"
    timeout_s: float = Field(default=4.0, gt=0)
    max_tokens: int = Field(default=300, gt=0)
    temperature: float = Field(default=0.2, ge=0, le=2)
    first_token_timeout_s: float | None = Field(default=None, gt=0)
    """How long a provider may take to send its first token before the next provider is asked;
    None = `timeout_s`."""
    stall_timeout_s: float | None = Field(default=None, gt=0)
    """How long a provider may go silent once its tokens flow: before its first sentence is out
    the next provider is asked, after it the answer ends there; None = `timeout_s`."""
    provider_cooldown_s: float = Field(default=30.0, gt=0)
    """A provider that failed is skipped this long (process-wide), then probed in the background
    and used again once a probe succeeds."""


class KnowledgeSettings(BaseModel):
    default_kb: str = "sample"
    top_k: int = Field(default=3, ge=1)
    # below this, the answer is "not in the knowledge base"
    min_score: float = Field(default=0.35, ge=0, le=1)
    embedding_model: str = ""  # path to an all-MiniLM-L6-v2 ONNX; "" = the bundled one
    limits: IngestLimits = Field(default_factory=IngestLimits)
    # A Chroma server (`chroma run`), e.g. http://10.0.0.5:8000, shared by several machines: the
    # admin's store copies its index there and agents answer from it (docs/SCALING.md); "" = none.
    index_url: str = ""


class UiSettings(BaseModel):
    default_mode: CallMode = CallMode.COPILOT
    whisper_to_agent: bool = False
    window_geometry: str = ""
    minimise_to_tray: bool = False  # minimising hides the window to the tray icon (with a tray)


class IntentSettings(BaseModel):
    """A caller intent for call analytics: a name and a few things callers say when they mean it."""

    name: str
    examples: list[str]


_DEFAULT_INTENTS = {
    "delivery": ["how much does delivery cost", "where is my parcel", "can I track my order"],
    "returns and refunds": ["how do I return a product", "I want my money back", "how long do refunds take"],
    "warranty and repairs": ["how long is the warranty", "my machine is broken", "can you repair it"],
    "orders and payment": ["can I change my order", "which payment methods do you accept",
                           "I was charged twice"],
    "product information": ["how much does the machine cost", "which beans should I use",
                            "is it dishwasher safe"],
    "opening hours and contact": ["what are your opening hours", "what is your phone number",
                                  "where is your shop"],
    "account": ["how do I change my password", "delete my account", "change my address"],
    "complaint": ["I am not happy with the service", "this is unacceptable", "I want to make a complaint"],
}


def _default_intents() -> list[IntentSettings]:
    return [IntentSettings(name=name, examples=examples) for name, examples in _DEFAULT_INTENTS.items()]


class AnalyticsSettings(BaseModel):
    retention_days: int = Field(default=90, ge=0)  # call records older than this are deleted; 0 = keep all
    # Spoken answers below this count as knowledge gaps. The selector speaks from 0.863 (a model is
    # asked from there too), so a floor at or below that flags none; 0.9 flags 14 of the 60 dev answers.
    low_confidence: float = Field(default=0.9, ge=0.0, le=1.0)  # tests/data/calls/low-confidence.md
    intents: list[IntentSettings] = Field(default_factory=_default_intents)  # the admin may edit them


class CallSettings(BaseModel):
    """How the call controller runs calls, in the desktop and in `earpiece agent`."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    goodbye: str = "I'm sorry, this line is closing now. Thank you for calling, goodbye!"
    """Said to every caller when `earpiece agent` shuts down."""
    no_transfer: str = "I'm sorry, I couldn't reach a colleague right now. Can I help you with anything else?"
    """Said when a caller asked for a person and the transfer did not happen (no destination set,
    refused or not answered); the conversation goes on."""
    shutdown_grace_s: float = Field(default=15.0, ge=0)
    """At shutdown, a reply being computed or spoken may finish within this many seconds before the
    goodbye."""
    connect_wait_s: float = Field(default=3.0, ge=0)
    """At shutdown, a call answered a moment ago gets this long to connect, so its caller hears the
    goodbye instead of a busy tone."""
    goodbye_timeout_s: float = Field(default=15.0, gt=0)
    """The longest wait for the goodbye to be spoken and played out before hanging up anyway."""
    far_end_tail_s: float = Field(default=0.3, ge=0)
    """Kept after the goodbye has played, before the hang-up: the far end's jitter buffer still holds
    the last words."""
    session_end_timeout_s: float = Field(default=30.0, gt=0)
    """At shutdown, the longest wait for a stopped call to hang up and write its record."""
    hangup_timeout_s: float = Field(default=5.0, gt=0)
    """The longest wait for a hang-up to be confirmed by the line."""
    unregister_timeout_s: float = Field(default=10.0, gt=0)
    """At shutdown, the longest wait for the registrar to confirm the unregistration."""
    registration_timeout_s: float = Field(default=30.0, gt=0)
    """`earpiece agent` gives up when its account has not registered within this many seconds."""


class ConversationSettings(BaseModel):
    """What Earpiece says, and when, in an autonomous call (`core/engine/config.EngineConfig`)."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    greeting: str = "Hello, thank you for calling. How can I help you?"
    """Said when an autonomous call is answered; "" answers in silence."""
    reprompt: str = "Are you still there? How can I help you?"
    """Said once when the caller has been silent for `silence_timeout_s` after a reply."""
    silence_goodbye: str = "I haven't heard anything, so I'll end the call now. Goodbye!"
    """Said before hanging up when the caller stays silent another `silence_timeout_s`."""
    not_caught: str = "Sorry, I didn't catch that. Could you say it again?"
    """Said at once when the caller spoke but no words were recognised (never dead air)."""
    silence_timeout_s: float = Field(default=10.0, gt=0)
    """Caller silence after Earpiece stopped speaking that brings the reprompt, then the goodbye."""
    history_turns: int = Field(default=6, ge=0)
    """How many earlier lines (caller and Earpiece) the answerer sees: follow-up questions
    ("and on Saturdays?") and "yes" to an offer of a person need them."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="EARPIECE_",
        env_nested_delimiter="__",
        extra="ignore",
        validate_default=True,
    )

    log_level: str = "INFO"
    sip: SipSettings = Field(default_factory=SipSettings)
    audio: AudioDeviceSettings = Field(default_factory=AudioDeviceSettings)
    vad: VadSettings = Field(default_factory=VadSettings)
    stt: SttSettings = Field(default_factory=SttSettings)
    tts: TtsSettings = Field(default_factory=TtsSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    ui: UiSettings = Field(default_factory=UiSettings)
    analytics: AnalyticsSettings = Field(default_factory=AnalyticsSettings)
    calls: CallSettings = Field(default_factory=CallSettings)
    conversation: ConversationSettings = Field(default_factory=ConversationSettings)
    # The timer ends turns after vad.end_of_turn_ms of silence (bench/results/turns-human: recorded
    # human and synthetic speech, wideband and narrowband, dev/test). 740 ms was the shortest
    # webrtcvad timer with <= 5 % cut-ins on dev (4.0 %) before the speech floor (frames under
    # -55 dBFS are silence to the turn detector, core/audio/turns.py) made silences start sooner.
    # The transcript check (turns.endpointing = transcript, with TurnSettings' silences) shortens or
    # lengthens that timer (bench/results/turns-transcript, with the floor): a question ends after
    # 560 ms, unfinished words wait up to 1000 ms, the rest 740 ms. 560 is the shortest question
    # silence with no more dev cut-ins than 600 had (4.0 %; 500 and 400: 4.5 %); delay p50 / p95
    # 685 / 848 ms, questions 550 ms (600: 590). On test 3.2 % cut-ins (600: 2.7 %), questions 550 ms.
    # On by default; `timer` stays selectable (800 ms is its dev pick with the floor).
    turns: TurnSettings = Field(default_factory=lambda: TurnSettings(endpointing=Endpointing.TRANSCRIPT))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            JsonConfigSettingsSource(settings_cls, json_file=settings_path()),
        )


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def load_settings() -> Settings:
    return Settings()


def save_settings(settings: Settings, loaded: Settings | None = None) -> Path:
    """Write the settings atomically (a crash mid-write leaves the previous file intact).

    With `loaded` (the settings as they were read, `EARPIECE_...` overrides included) only the
    fields that differ from it are written, over what the file holds: an override or a default the
    user did not touch never lands in the file. Without it every field is written."""
    path = settings_path()
    data = settings.model_dump(mode="json")
    if loaded is not None:
        data = _merged(_saved_fields(path), _changed_fields(loaded, settings))
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return path


class SettingsFileError(ValueError):
    """The settings file was broken while the program ran: nothing is written over it, so what it
    holds stays for the user to mend (or remove) by hand."""


def _saved_fields(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SettingsFileError(
            f"Settings not saved: {path} is not valid JSON ({error.msg} at line {error.lineno}, "
            f"column {error.colno}). Mend it or remove it, then save again; it was left as it is."
        ) from error
    except UnicodeDecodeError as error:
        raise SettingsFileError(
            f"Settings not saved: {path} is not UTF-8 text. Mend it or remove it; it was left as it is."
        ) from error
    if not isinstance(saved, dict):
        raise SettingsFileError(
            f"Settings not saved: {path} does not hold one JSON object. Mend it or remove it; "
            "it was left as it is."
        )
    try:  # the changes merged into a file with a bad field would leave it broken
        Settings.model_validate(saved)
    except ValidationError as error:
        fields = "; ".join(f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}"
                           for problem in error.errors(include_url=False))
        raise SettingsFileError(
            f"Settings not saved: {path} holds settings that are not valid ({fields}). Mend it or "
            "remove it; it was left as it is."
        ) from error
    return saved


def _changed_fields(before: BaseModel, after: BaseModel) -> dict[str, Any]:
    """The fields of `after` that differ from `before`, as JSON; sub-settings compared field by
    field, anything else (lists of accounts, of providers) whole."""
    changes: dict[str, Any] = {}
    for name in type(after).model_fields:
        old, new = getattr(before, name), getattr(after, name)
        if isinstance(new, BaseModel) and type(old) is type(new):
            if inner := _changed_fields(old, new):
                changes[name] = inner
        elif old != new:
            changes[name] = after.model_dump(mode="json", include={name})[name]
    return changes


def _merged(saved: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`saved` with `changes` written over it (nested dicts are sub-settings: merged)."""
    merged = dict(saved)
    for name, value in changes.items():
        kept = merged.get(name)
        merged[name] = _merged(kept, value) if isinstance(value, dict) and isinstance(kept, dict) else value
    return merged


@dataclass(frozen=True, slots=True)
class SettingsChanged:
    """The settings in use were replaced: `old` is left as it was for whoever still holds it."""

    old: Settings
    new: Settings

    @property
    def sections(self) -> set[str]:
        """The top-level fields that differ ("calls", "tts", ...)."""
        return set(_changed_fields(self.old, self.new))


class SettingsStore:
    """The settings in use, replaced as a whole (never changed in place) and announced as a
    `SettingsChanged` to the subscribers, in the order they subscribed (on the caller's thread)."""

    def __init__(self, settings: Settings) -> None:
        self.current = settings
        self._subscribers: list[Callable[[SettingsChanged], None]] = []

    def subscribe(self, subscriber: Callable[[SettingsChanged], None]) -> Callable[[], None]:
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def replace(self, wanted: Settings, *, save: bool = True) -> Settings:
        """Check every field of `wanted` (a `ValidationError` leaves everything as it was), save what
        differs from the current settings (`save_settings`), then tell the subscribers. A settings
        file broken meanwhile raises `SettingsFileError` and is left as it is."""
        if save:  # before validating: a `Settings` reads the file again, which must be whole
            _saved_fields(settings_path())
        new = type(wanted).model_validate(wanted.model_dump())
        if save:
            save_settings(new, loaded=self.current)
        change = SettingsChanged(self.current, new)
        self.current = new
        for subscriber in list(self._subscribers):
            try:
                subscriber(change)
            except Exception:  # one broken panel must not keep the others on the old settings
                logging.getLogger(__name__).exception("a settings subscriber failed")
        return new
