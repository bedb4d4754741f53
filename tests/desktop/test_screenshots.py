"""Screenshots of the call, history and knowledge views at 1024x640 and 1920x1080, and of the
Settings dialog, at 100 % and 200 % scaling, saved to test-artifacts/ for a person to look at; the
layout must fit each size (the window's minimum size within it; the dialog within a 1024x640
screen), so nothing is cut off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.mark.parametrize("scale", ["1", "2"])
def test_main_views_fit_and_are_saved_at_both_sizes(scale: str, isolated_home: Path, tmp_path: Path) -> None:
    screen = tmp_path / "screen.json"  # the small screen: 1024x640 once scaled (a dialog sizes itself to it)
    screen.write_text(json.dumps({"screens": [{"name": "small", "x": 0, "y": 0, "width": 1024 * int(scale),
                                               "height": 640 * int(scale), "logicalDpi": 96,
                                               "logicalBaseDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={screen}", "QT_SCALE_FACTOR": scale}
    run = subprocess.run([sys.executable, "-m", "tests.desktop.shoot_views", str(ARTIFACTS)], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    shots = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert len(shots) == 7
    for shot in shots:
        if "fits" in shot:  # a dialog: its own size, within the small screen
            assert shot["width"] <= shot["fits"][0] and shot["height"] <= shot["fits"][1], shot
        else:
            assert [shot["width"], shot["height"]] == shot["wanted"], shot  # not held bigger by its layout
        assert shot["min_width"] <= shot["width"] and shot["min_height"] <= shot["height"], shot
        image = Image.open(shot["path"])
        assert image.size == (shot["width"] * int(scale), shot["height"] * int(scale)), shot
        colours = len(set(image.convert("RGB").resize((160, 100)).get_flattened_data()))
        assert colours > 30, f"{shot['path']} looks empty"
