from __future__ import annotations

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
