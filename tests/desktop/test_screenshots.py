"""Screenshots of the call, history and knowledge views at 1024x640 and 1920x1080, at 100 % and
200 % scaling, saved to test-artifacts/ for a person to look at; the layout must fit each size
(the window's minimum size within it), so nothing is cut off."""

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
def test_main_views_fit_and_are_saved_at_both_sizes(scale, isolated_home):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": scale}
    run = subprocess.run([sys.executable, "-m", "tests.desktop.shoot_views", str(ARTIFACTS)], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    shots = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert len(shots) == 6
    for shot in shots:
        assert [shot["width"], shot["height"]] == shot["wanted"], shot  # not held bigger by its layout
        assert shot["min_width"] <= shot["width"] and shot["min_height"] <= shot["height"], shot
        image = Image.open(shot["path"])
        assert image.size == (shot["width"] * int(scale), shot["height"] * int(scale)), shot
        colours = len(set(image.convert("RGB").resize((160, 100)).get_flattened_data()))
        assert colours > 30, f"{shot['path']} looks empty"
