from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"


@pytest.fixture
def sine_csv(tmp_path: Path) -> Path:
    """A small seasonal series with a date column and two features."""
    rng = np.random.default_rng(0)
    n = 240
    t = np.arange(n)
    y = 50 + 20 * np.sin(2 * np.pi * t / 12) + 0.2 * t + rng.normal(0, 1, n)
    x = np.cos(2 * np.pi * t / 12) + rng.normal(0, 0.1, n)
    dates = [f"{2000 + i // 12}-{i % 12 + 1:02d}" for i in range(n)]
    lines = ["month,temp,sales"] + [f"{d},{a:.4f},{b:.4f}" for d, a, b in zip(dates, x, y, strict=True)]
    path = tmp_path / "sine.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``mutmut run``, run a mutant's tests quickest first.

    mutmut stops a mutant's tests at the first failure (``-x``) but hands them over in no
    particular order, so a mutant that a 0.01 s test kills could first spend seconds in a
    training test. Ordering by the durations mutmut measured in its clean run (written to
    ``mutmut-stats.json`` in its working directory, ``mutants/``) changes no verdict, only
    how soon a killed mutant is known. Outside mutmut the order is left alone.
    """
    if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", ""):
        return
    try:
        durations = json.loads(Path("mutmut-stats.json").read_text())["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return
    items.sort(key=lambda item: durations.get(item.nodeid, math.inf))
