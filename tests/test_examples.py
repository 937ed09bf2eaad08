"""The training example trains: its loss falls and it classifies its data."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "mlp.py"


def load_example():
    spec = importlib.util.spec_from_file_location("mlp_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mlp_loss_falls_and_accuracy_is_high():
    losses, accuracy = load_example().train(epochs=300, verbose=False)
    assert losses[-1] < losses[0] / 3
    assert sum(b < a for a, b in zip(losses, losses[1:])) > 0.75 * (len(losses) - 1)  # mostly falling
    assert sum(losses[-20:]) < sum(losses[:20]) / 3
    assert accuracy > 0.95


def test_mlp_script_prints_loss_per_epoch_and_accuracy():
    run = subprocess.run([sys.executable, str(EXAMPLE), "--epochs", "30"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("epoch    0  loss ")
    assert lines[-1].startswith("training accuracy ")
