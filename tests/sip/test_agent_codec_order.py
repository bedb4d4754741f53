"""`earpiece agent` offers the codecs of `sip.codec_order`, in that order and no others, as the
desktop does; an order this PJSIP build cannot honour stops the agent with a clear error."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from earpiece.core.settings import AccountSettings, Settings, SipSettings
from earpiece.headless.agent import AgentError, AgentOptions, AnsweringAgent
from earpiece.sip.config import EngineConfig

LOOPBACK = EngineConfig(bind_address="127.0.0.1", udp_port=0, tcp_port=None, input_device="none",
                        output_device="none")


def agent_with(order: list[str], tmp_path: Path) -> AnsweringAgent:
    settings = Settings(sip=SipSettings(codec_order=order))
    account = AccountSettings(id="line", username="bot", domain="127.0.0.1", registration=False)
    options = AgentOptions(account=account, calls_dir=tmp_path / "calls")
    return AnsweringAgent(settings, options, sip_config=LOOPBACK, password="", announce=lambda _text: None)


def offered_codecs(agent: AnsweringAgent) -> list[tuple[str, int]]:
    """The engine's enabled codecs with their priorities, highest first (read on the SIP thread)."""
    engine = agent._engine

    def read() -> list[tuple[str, int]]:
        return [(str(c.codecId), int(c.priority)) for c in engine._endpoint().codecEnum2()]

    codecs = engine._loop.submit(read).result(5)
    return sorted(((name, p) for name, p in codecs if p > 0), key=lambda codec: -codec[1])


def test_the_agent_offers_the_codecs_of_the_settings(tmp_path: Path) -> None:
    agent = agent_with(["PCMA/8000/1", "PCMU/8000/1"], tmp_path)

    async def start() -> list[tuple[str, int]]:
        try:
            await agent._start_sip()
            return offered_codecs(agent)
        finally:
            await agent._close()

    codecs = asyncio.run(start())
    assert [name for name, _priority in codecs] == ["PCMA/8000/1", "PCMU/8000/1"]


def test_an_unknown_codec_stops_the_agent_with_the_setting_named(tmp_path: Path) -> None:
    agent = agent_with(["opus/48000/2"], tmp_path)

    async def start() -> None:
        try:
            await agent._start_sip()
        finally:
            await agent._close()

    with pytest.raises(AgentError, match=r"sip.codec_order \['opus/48000/2'\]: unknown codec"):
        asyncio.run(start())
