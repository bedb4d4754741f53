"""Where the answering line's memory goes: `python -m bench.memory`.

Reports, per process of the line (the agent, its recognition workers, multiprocessing's helper
processes), RSS, PSS and USS from /proc/<pid>/smaps_rollup. PSS splits every shared page
(libraries, the models' mapped files, copy-on-write pages) between the processes that map it, so
the line's PSS is the sum of its processes' PSS with every page counted once; RSS summed over the
processes counts shared pages once per process. USS is what a process alone holds (its private
pages: what leaves with it). Three parts:

- `imports`: the cost of importing each heavy module, each in a fresh interpreter;
- `startup`: the agent's start-up steps in one process (imports, knowledge base, voice stack,
  warm-up), each step's growth;
- `line`: `earpiece agent` registered at a local Kamailio (as `bench.e2e` starts it), idle after
  start-up and at its peak during one call (and `--calls 4` as a smoke).
"""
