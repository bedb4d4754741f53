"""Headless answering: `earpiece agent` joins the SIP engine (sip/) to the voice engine (core/)."""

from earpiece.headless.agent import AgentError, AgentOptions, AnsweringAgent
from earpiece.headless.call_report import Outcome

__all__ = ["AgentError", "AgentOptions", "AnsweringAgent", "Outcome"]
