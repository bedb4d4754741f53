"""Earpiece: a SIP softphone with an AI copilot in the agent's ear.

`earpiece.core`, `earpiece.sip` and `earpiece.desktop` are the top-level `core/`, `sip/` and
`desktop/` folders (linked here so that only the `earpiece` name is installed).
"""

__version__ = "0.1.0"
