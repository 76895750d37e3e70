"""--missing interpolate: no filled value in a split depends on a later split's rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seqlab.config import DataConfig
from seqlab.data import prepare
from seqlab.data.windows import split_rows


def _write(path: Path, values: np.ndarray) -> Path:
    path.write_text("v\n" + "".join("\n" if np.isnan(v) else f"{float(v)!r}\n" for v in values))
    return path


@pytest.mark.parametrize("offset", range(-4, 4))
def test_a_gap_at_the_train_val_boundary_never_reads_validation_rows(
        offset: int, tmp_path: Path) -> None:
    n = 100
    base = 50 + 10 * np.sin(np.arange(n) / 5)
    n_train, n_val, _ = split_rows(n, (0.7, 0.15, 0.15))
    gap = np.arange(n_train + offset - 1, n_train + offset + 2)  # 3 missing rows
    cfg = dict(window=4, missing="interpolate", difference="no", scale_y="no")
    seen = []
    for later in (0.0, 1e3):  # change every row from validation on
        values = base.copy()
        values[n_train:] += later
        values[gap] = np.nan
        prep = prepare(DataConfig(path=str(_write(tmp_path / "g.csv", values)), **cfg))
        rows = prep.split_rows[0]
        assert rows == n_train
        seen.append(prep.target_values[:rows].copy())
        assert prep.x_scaler is not None
        seen.append(np.concatenate([prep.x_scaler.offset, prep.x_scaler.scale]))
    # the training rows (filled values included) and the scaler fit on them are unchanged
    np.testing.assert_array_equal(seen[0], seen[2])
    np.testing.assert_array_equal(seen[1], seen[3])


def test_gaps_inside_a_split_are_still_interpolated(tmp_path: Path) -> None:
    values = np.arange(100, dtype=float) + 10
    values[[20, 21]] = np.nan
    prep = prepare(DataConfig(path=str(_write(tmp_path / "g.csv", values)), window=4,
                              missing="interpolate", difference="no", scale_y="no"))
    np.testing.assert_allclose(prep.target_values[[20, 21]], [30.0, 31.0])

