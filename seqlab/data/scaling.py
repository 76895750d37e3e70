"""Per-column scalers fit on training rows only: minmax to [0, 1], standard, or none."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("minmax", "standard", "none")


@dataclass
class Scaler:
    """``scaled = (x - offset) / scale`` per column; ``none`` is offset 0, scale 1."""

    kind: str
    offset: np.ndarray  # (F,) float64: min (minmax) or mean (standard)
    scale: np.ndarray  # (F,) float64: max - min (minmax) or std (standard)

    @classmethod
    def fit(cls, kind: str, train: np.ndarray) -> Scaler:
        """Fit on ``train`` (rows, F) or (rows,). Constant columns get scale 0 (see constant)."""
        if kind not in KINDS:
            raise ValueError(f"unknown scaler {kind!r}")
        a = np.asarray(train, dtype=np.float64)
        if a.ndim == 1:
            a = a[:, None]
        f = a.shape[1]
        if kind == "none" or len(a) == 0:
            return cls(kind, np.zeros(f), np.ones(f))
        if kind == "minmax":
            lo = np.min(a, axis=0)
            return cls(kind, lo, np.max(a, axis=0) - lo)
        return cls(kind, np.mean(a, axis=0), np.std(a, axis=0))

    def constant(self) -> list[int]:
        """Indices of columns this scaler cannot use (zero or non-finite spread)."""
        if self.kind == "none":
            return []
        bad = ~(np.isfinite(self.scale) & (self.scale > 0))
        return [int(i) for i in np.flatnonzero(bad)]

    def transform_into(self, x: np.ndarray, out: np.ndarray, col: int) -> None:
        """Scale one column ``x`` (rows,) into ``out[:, col]`` without a full-size temporary."""
        if self.kind == "none":
            out[:, col] = x
        else:
            out[:, col] = (np.asarray(x, dtype=np.float64) - self.offset[col]) / self.scale[col]

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Scale (rows, F) or (rows,) to float64."""
        a = np.asarray(x, dtype=np.float64)
        if a.ndim == 1:
            return (a - self.offset[0]) / self.scale[0]
        return (a - self.offset) / self.scale

    def inverse(self, z: np.ndarray, col: int = 0) -> np.ndarray:
        """Undo the scaling of column ``col`` for an array of any shape (float64)."""
        return np.asarray(z, dtype=np.float64) * self.scale[col] + self.offset[col]

    def describe(self, col: int = 0) -> str:
        if self.kind == "minmax":
            return f"minmax (min {self.offset[col]:.6g}, range {self.scale[col]:.6g})"
        if self.kind == "standard":
            return f"standard (mean {self.offset[col]:.6g}, std {self.scale[col]:.6g})"
        return "none"
