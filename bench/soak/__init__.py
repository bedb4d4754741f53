"""Soak benchmark: many calls, a few at a time, against one `earpiece agent`.

    .venv/bin/python -m bench.soak [--calls 200] [--concurrency 4] [--baseline-call 20]

Kamailio is the registrar, the agent a child process, each call a baresip caller that asks one
spoken question (Piper voice, the bench/e2e questions in turn) and hangs up after the answer. It
checks that the agent never dies, that every call is answered (the caller hears a reply and the
agent's call record holds an answer), and how the agent's memory, threads and open files move
between call `--baseline-call` and the last call (both measured with no call in progress).

A probe inside the agent (bench/soak/probe.py, started through bench/soak/agent_probe/sitecustomize.py)
reports after every call the Python heap (objects in Python's allocator; with `--python-heap`,
tracemalloc and the sources that grew) against native memory (glibc's heap in use, in mmapped
blocks, the free memory it keeps, its arenas), and at the snapshots the live asyncio tasks and pjsua2
objects; at the end it runs malloc_trim(0). `--agent-env NAME=VALUE` tries allocator settings
(e.g. MALLOC_ARENA_MAX=2) on the agent.
Results: bench/results/soak.json and soak.md.
"""
