"""The supervisor of `earpiece agent --supervise` stays small: it only restarts agents, so it loads
neither the models and their runtimes nor pjsua2 (each agent it starts does)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("chromadb", "onnxruntime", "piper", "faster_whisper", "moonshine", "pjsua2", "av")

# The real command line in a real supervisor: with no account in the settings its agent exits with
# a usage error, which the supervisor does not restart; then the modules it holds are printed.
SUPERVISOR = """
import json, sys
from earpiece.cli import main
code = main(["agent", "--supervise", "--no-standby"])
print(json.dumps(sorted(sys.modules)))
sys.exit(code)
"""


def test_the_supervisor_loads_no_model_runtime_and_no_pjsua2() -> None:
    done = subprocess.run([sys.executable, "-c", SUPERVISOR], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "agent ended (exit code 2); not restarting" in done.stdout
    assert "choose the account" in done.stderr  # the agent it started did run, and stopped
    modules = json.loads(done.stdout.splitlines()[-1])
    loaded = sorted({name.split(".")[0] for name in modules} & set(HEAVY))
    assert not loaded, f"the supervisor imported {loaded}"
