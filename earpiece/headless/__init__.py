"""Headless answering: `earpiece agent` joins the SIP engine (sip/) to the voice engine (core/).

Import from the modules (`earpiece.headless.agent`, `.supervisor`, ...): the supervisor must not load
pjsua2 or the models that the agent needs.
"""
