"""End-to-end benchmark: spoken questions over real SIP calls to `earpiece agent`.

    .venv/bin/python -m bench.e2e [--levels 1 2 4] [--questions 6] [--cloud-ttft-ms 400]

Kamailio is the registrar, `earpiece agent` a child process, and each simultaneous call a baresip
caller that speaks a WAV (Piper voice) and records what it hears. Per turn: voice-to-voice at the
caller (end of its speech in what it sent -> first reply audio in what it heard, timed by their RTP
packets on the loopback interface when run as root: `rtp_trace`, `wire`) and the agent's
own per-stage figures from its call JSON; per level: the agent's CPU and peak memory and the
largest gap between audio frames at its conference bridge. Results: bench/results/e2e.json,
e2e.md and e2e.png. With the packets timed, the report also splits the caller's figure minus the
agent's into the agent's VAD tail, receive, send and the reply's quiet start (`wire`).
"""
