"""Scale benchmark: one line answered by several `earpiece agent` processes behind Kamailio's
dispatcher (packaging/kamailio/earpiece-dispatcher.cfg, run unchanged).

    .venv/bin/python -m bench.scale [--agents 3] [--levels 1 4 8 12] [--questions 4]

Each simultaneous call is a baresip caller that dials the line and asks spoken questions; the
dispatcher spreads the calls over the agents (each carries at most four). Per level: calls held to
the end, calls per agent, voice-to-voice heard by the caller (same measure as bench/e2e) and the
agents' own figures, the agents' CPU (also split by thread: audio clock, PJSIP media, SIP thread,
asyncio loop, models and workers; bench/scale/threads.py) and memory, how busy the machine was. Results:
bench/results/scale.json and scale.md.
"""
