"""The frozen app's entry script: `earpiece.cli:main`, as the `earpiece` console script runs it.

It also accepts `-c CODE [ARG ...]` like the Python interpreter does, because the frozen
`sys.executable` is this program: `earpiece.core.knowledge.index.probe_index` opens a possibly
damaged Chroma index in a child `[sys.executable, "-c", PROBE, ...]` so that a crash stays in the
child, and that must keep working without a Python install. The speech recognition workers are
`multiprocessing` spawn children of this program too: `freeze_support` runs them.
"""

import multiprocessing
import sys


def _run_code(code: str, args: list[str]) -> None:
    sys.argv = ["-c", *args]
    exec(compile(code, "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})


if __name__ == "__main__":
    multiprocessing.freeze_support()  # a recognition worker runs its task here and exits
    if len(sys.argv) >= 3 and sys.argv[1] == "-c" and getattr(sys, "frozen", False):
        _run_code(sys.argv[2], sys.argv[3:])
        sys.exit(0)

    from earpiece.cli import main

    sys.exit(main())
