"""Size of the built one-folder app and its start time to a visible main window.

Usage (after `make package`; needs Xvfb and xdotool):
    .venv/bin/python packaging/measure_bundle.py [--app dist/earpiece] [--runs 3] [--out DIR]

"Cold" evicts the bundle's files from the page cache first (posix_fadvise DONTNEED on each
file, so only this app's pages go, not the whole machine's) and starts the app with a fresh
settings folder; "warm" starts it again right after. The clock runs from process start to the
first poll (every 20 ms) at which `xdotool` sees a viewable window named "Earpiece". Prints JSON
and a markdown table; `--out` also writes `bundle.json` and `bundle.md` there.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from statistics import median
from typing import Any

WINDOW_NAME = "^Earpiece$"
POLL_S = 0.02


def files(folder: Path) -> Iterator[Path]:
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            yield path


def size_report(app: Path) -> dict[str, Any]:
    total = sum(p.stat().st_size for p in files(app))
    parts: dict[str, int] = {}
    internal = app / "_internal"
    for path in files(internal):
        top = path.relative_to(internal).parts[0]
        parts[top] = parts.get(top, 0) + path.stat().st_size
    largest = sorted(parts.items(), key=lambda kv: -kv[1])[:12]
    return {"total_mb": round(total / 1e6, 1), "largest_mb": {k: round(v / 1e6, 1) for k, v in largest}}


def evict(app: Path) -> None:
    for path in files(app):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


@contextmanager
def xvfb() -> Iterator[str]:
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            yield ":" + pipe.readline().strip()
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def window_visible(display: str) -> bool:
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", WINDOW_NAME],
        env={"DISPLAY": display, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        capture_output=True, check=False,
    )
    return found.returncode == 0 and bool(found.stdout.strip())


def time_to_window(binary: Path, display: str, home: Path, timeout_s: float = 120.0) -> float:
    env = {"HOME": str(home), "PATH": "/nonexistent", "LANG": "C.UTF-8", "DISPLAY": display}
    for name in ("CONFIG", "DATA", "LOG", "CACHE"):
        env[f"EARPIECE_{name}_DIR"] = str(home / name.lower())
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        while time.monotonic() - started < timeout_s:
            if window_visible(display):
                return time.monotonic() - started
            if proc.poll() is not None:
                raise RuntimeError(f"the app exited with status {proc.returncode} before showing a window")
            time.sleep(POLL_S)
        raise RuntimeError(f"no window named Earpiece within {timeout_s:.0f} s")
    finally:
        stop(proc)


def measure(app: Path, runs: int) -> dict[str, Any]:
    binary = app / "earpiece"
    with xvfb() as display, tempfile.TemporaryDirectory(prefix="earpiece-measure-") as tmp:
        evict(app)
        cold = time_to_window(binary, display, Path(tmp) / "cold")
        warm = [time_to_window(binary, display, Path(tmp) / f"warm{i}") for i in range(runs)]
    return {
        "app": str(app),
        "size": size_report(app),
        "start_to_window_s": {"cold": round(cold, 2), "warm_median": round(median(warm), 2),
                              "warm_runs": [round(w, 2) for w in warm]},
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "note": "shared machine: other work was running; expect 20-40% run-to-run variation",
    }


def markdown(result: dict[str, Any]) -> str:
    start = result["start_to_window_s"]
    rows = [
        "| measure | value |", "|---|---|",
        f"| bundle size | {result['size']['total_mb']} MB |",
        f"| start to visible window, cold (bundle evicted from page cache) | {start['cold']} s |",
        f"| start to visible window, warm (median of {len(start['warm_runs'])}) | {start['warm_median']} s |",
        f"| load average at the end | {result['load_average']} on {result['cpus']} CPUs |",
    ]
    parts = ", ".join(f"{k} {v} MB" for k, v in result["size"]["largest_mb"].items())
    return "\n".join([*rows, "", f"Largest parts: {parts}.", ""])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--app", type=Path, default=Path("dist/earpiece"))
    parser.add_argument("--runs", type=int, default=3, help="warm starts after the cold one")
    parser.add_argument("--out", type=Path, help="folder for bundle.json and bundle.md")
    args = parser.parse_args()
    missing = [tool for tool in ("Xvfb", "xdotool") if not shutil.which(tool)]
    if missing:
        raise SystemExit(f"needs {' and '.join(missing)}: apt-get install xvfb xdotool")
    if not (args.app / "earpiece").is_file():
        raise SystemExit(f"no built app in {args.app}: run `make package` first")
    result = measure(args.app.resolve(), args.runs)
    print(json.dumps(result, indent=2))
    print(markdown(result))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "bundle.json").write_text(json.dumps(result, indent=2) + "\n")
        (args.out / "bundle.md").write_text(markdown(result))


if __name__ == "__main__":
    main()
