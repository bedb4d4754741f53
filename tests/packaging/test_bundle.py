"""The PyInstaller bundle: build it, then run the built binary with no Python anywhere on its path.

Slow (a build takes 1-5 minutes on 2 cores; `build/pyinstaller` is reused between runs) and so
excluded from the default run: `pytest -m slow tests/packaging`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.xvfb import virtual_display

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # the first test pays for the build

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
APP_DIR = DIST / "earpiece"
BINARY = APP_DIR / "earpiece"


@pytest.fixture(scope="session")
def bundle() -> Path:
    """Build with the same command as `make package` (the spec, dist/ and the work cache)."""
    done = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath", str(DIST),
         "--workpath", str(ROOT / "build" / "pyinstaller"), str(ROOT / "packaging" / "earpiece.spec")],
        cwd=ROOT, capture_output=True, text=True, timeout=1500, check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert BINARY.is_file() and os.access(BINARY, os.X_OK)
    return APP_DIR


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """No PATH entry with a Python, no PYTHON* variables, no venv: only the bundle can serve."""
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    home = tmp_path / "home"
    home.mkdir()  # gnome-keyring-daemon keeps its control socket under ~/.cache
    env = {"HOME": str(home), "PATH": str(empty_bin), "LANG": "C.UTF-8"}
    for name in ("CONFIG", "DATA", "LOG", "CACHE"):
        env[f"EARPIECE_{name}_DIR"] = str(home / name.lower())
    return env


def run_bundle(args: list[str], env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BINARY), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False,
        stdin=subprocess.DEVNULL,
    )


def json_stdout(done: subprocess.CompletedProcess[str]) -> Any:
    """The whole of stdout must be the JSON document (scripts parse it)."""
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        pytest.fail(
            f"stdout is not one JSON document ({exc}):\n{done.stdout[:1500]}\nstderr:\n{done.stderr[-1500:]}"
        )


def inside(path: str | Path, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder.resolve())


def test_doctor_json_reports_ready_from_the_bundle(bundle: Path, clean_env: dict[str, str]) -> None:
    done = run_bundle(["doctor", "--json"], clean_env)
    report = json_stdout(done)
    failed = {n: c["problem"] for n, c in report["checks"].items() if c["required"] and not c["ok"]}
    assert report["ok"] and not failed, failed
    assert done.returncode == 0
    checks = report["checks"]
    assert inside(checks["python"]["detail"]["executable"], bundle)
    for model in ("model.stt", "model.tts", "model.embedding"):
        files = checks[model]["detail"]["files"]
        assert files and all(inside(f, bundle) and Path(f).exists() for f in files), (model, files)
    assert "missing" not in checks["packages"]["detail"].values()
    assert checks["pjsua2"]["detail"]["version"].startswith("2.15")
    assert any(c["id"].startswith("G722/") for c in checks["pjsua2"]["detail"]["codecs"])


def test_selfcheck_answers_a_spoken_question_offline(bundle: Path, clean_env: dict[str, str]) -> None:
    done = run_bundle(["selfcheck"], clean_env)
    result = json_stdout(done)
    assert result["ok"], result
    assert done.returncode == 0
    assert "30 days" in result["answer"]
    assert "refund" in result["transcript"].lower()
    assert result["passages"][0]["source"] == "returns-and-refunds.md"
    runtime = result["runtime"]
    assert runtime["frozen"] is True
    assert all(inside(p, bundle) for p in runtime["path"]), runtime["path"]


def test_selfcheck_fails_when_the_answer_lacks_the_fact(bundle: Path, clean_env: dict[str, str]) -> None:
    done = run_bundle(["selfcheck", "--expect", "45 days"], clean_env)
    result = json_stdout(done)
    assert done.returncode == 1
    assert not result["ok"] and "30 days" in result["answer"]


def test_index_probe_runs_in_a_child_of_the_frozen_app(
    bundle: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    """`probe_index` starts `[sys.executable, "-c", ...]`; in the bundle that is the launcher's `-c`."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from earpiece.core.knowledge.index import probe_index\n"
        "from earpiece.core.knowledge.store import KnowledgeStore\n"
        "root = Path(sys.argv[1])\n"
        "with KnowledgeStore(root) as store:\n"
        "    store.create('probe')\n"
        "    store.add('probe', [sys.argv[2]])\n"
        "print('probe:', probe_index(root / 'chroma'))\n"
    )
    doc = tmp_path / "note.txt"
    doc.write_text("The office opens at nine in the morning and closes at five.\n")
    done = run_bundle(["-c", code, str(tmp_path / "store"), str(doc)], clean_env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "probe: None"


@pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="needs dbus-run-session and gnome-keyring-daemon (apt-get install dbus gnome-keyring)",
)
def test_frozen_app_uses_the_system_keyring(bundle: Path, clean_env: dict[str, str], tmp_path: Path) -> None:
    """A real Secret Service (GNOME Keyring on a private session bus) serves the frozen app."""
    script = tmp_path / "with-keyring.sh"
    script.write_text(
        "#!/bin/sh\n"
        "printf 'test-password' | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1\n"
        'exec "$@"\n'
    )
    script.chmod(0o755)
    code = (
        "from earpiece.core import secrets\n"
        "secrets.set_secret('sip:packaging-test', 's3cret')\n"
        "print(secrets.backend_description(), secrets.get_secret('sip:packaging-test'))\n"
        "secrets.delete_secret('sip:packaging-test')\n"
    )
    env = {**clean_env, "PATH": "/usr/bin:/bin"}  # dbus and gnome-keyring themselves; no Python used
    session = [shutil.which("dbus-run-session") or "", "--", str(script), str(BINARY)]
    done = subprocess.run(
        [*session, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["keyring.backends.SecretService.Keyring", "s3cret"]


def stop(proc: subprocess.Popen | None) -> None:
    """SIGTERM the process group started with `start_new_session`, SIGKILL it if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


@pytest.fixture
def x_display() -> Iterator[str]:
    """A private Xvfb display (its number chosen by Xvfb, so parallel runs do not collide)."""
    if not shutil.which("xdotool"):
        pytest.skip("needs xdotool (apt-get install xdotool)")
    with virtual_display("1280x800x24") as display:
        yield display


@pytest.mark.gui
def test_window_is_mapped_under_x11(
    bundle: Path, clean_env: dict[str, str], tmp_path: Path, x_display: str
) -> None:
    """The xcb platform plugin and its libraries are in the bundle: the main window appears."""
    app: subprocess.Popen | None = None
    log = tmp_path / "app.log"
    try:
        with log.open("wb") as out:
            app = subprocess.Popen(
                [str(BINARY)], env={**clean_env, "DISPLAY": x_display}, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        search = subprocess.run(
            ["xdotool", "search", "--sync", "--onlyvisible", "--name", "^Earpiece$"],
            env={"DISPLAY": x_display, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=90,
            check=False,
        )
        assert search.returncode == 0 and search.stdout.strip(), log.read_text(errors="replace")[-3000:]
        assert app.poll() is None, "the app exited after showing its window"
    finally:
        stop(app)


@pytest.mark.gui
def test_tray_icon_docks_in_an_x11_tray(
    bundle: Path, clean_env: dict[str, str], tmp_path: Path, x_display: str
) -> None:
    """With a system tray running (trayer, an XEmbed tray), the app's SVG icon docks in it."""
    if not shutil.which("trayer"):
        pytest.skip("needs trayer, a stand-alone X11 system tray (apt-get install trayer)")
    code = (
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication, QSystemTrayIcon\n"
        "from earpiece.desktop.tray import app_icon\n"
        "app = QApplication([])\n"
        "tray = QSystemTrayIcon(app_icon())\n"
        "tray.show()\n"
        "QTimer.singleShot(1500, app.quit)\n"
        "app.exec()\n"
        "g = tray.geometry()\n"
        "print(QSystemTrayIcon.isSystemTrayAvailable(), app_icon().isNull(), g.width(), g.height())\n"
    )
    with (tmp_path / "trayer.log").open("wb") as out:
        trayer = subprocess.Popen(
            ["trayer", "--edge", "top", "--widthtype", "pixel", "--width", "200", "--height", "32"],
            env={"DISPLAY": x_display, "HOME": clean_env["HOME"]}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        docked = subprocess.run(
            ["xdotool", "search", "--sync", "--class", "trayer"],
            env={"DISPLAY": x_display, "PATH": "/usr/bin:/bin"}, capture_output=True, timeout=30, check=False,
        )
        assert docked.returncode == 0, "trayer did not start"
        done = run_bundle(["-c", code], {**clean_env, "DISPLAY": x_display}, timeout=60)
        assert done.returncode == 0, done.stderr[-2000:]
        available, null_icon, width, height = done.stdout.split()
        assert (available, null_icon) == ("True", "False")
        assert int(width) > 0 and int(height) > 0, "the icon was not embedded in the tray"
    finally:
        stop(trayer)

def test_find_library_falls_back_to_the_bundled_copy(bundle: Path, clean_env: dict[str, str]) -> None:
    """A library the system lacks (Qt here) is found in the bundle, as PortAudio must be on a machine
    without libportaudio2 (packaging/rthooks/find_library.py)."""
    system = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True, check=False).stdout
    if "libQt6Core" in system:
        pytest.skip("this system has its own Qt 6, so the fallback is not exercised")
    code = "import ctypes.util, sounddevice; print(ctypes.util.find_library('Qt6Core'))"
    done = run_bundle(["-c", code], clean_env)
    assert done.returncode == 0, done.stderr[-2000:]
    found = done.stdout.strip()
    assert found != "None" and inside(found, bundle) and Path(found).name.startswith("libQt6Core.so")
