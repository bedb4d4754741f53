"""Telephony on pjsua2. The only package that imports pjsua2."""
