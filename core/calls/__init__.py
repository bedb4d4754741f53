"""Calls from ringing to record, for the desktop and `earpiece agent` alike: the call controller
(`controller.py`), the phone line it is given (`line.py`), the events it reports (`events.py`), the
call-record format (`record_format.py`) and the journal of calls in progress (`journal.py`).

Import the modules themselves: this package imports nothing, so `record_format` and `journal` stay
light for the supervisor (no voice engine loaded)."""
