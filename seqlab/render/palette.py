"""Colour palettes with pre-built, cached Rich styles; values map to indices with numpy."""

from __future__ import annotations

from functools import cache
from typing import Literal

import numpy as np
from rich.color import Color, ColorSystem
from rich.style import Style

Scale = Literal["diverging", "sequential"]
SCALES: tuple[str, ...] = ("diverging", "sequential")

# Blue - white - red (ColorBrewer RdBu, reversed so low = blue). Odd size: 0 maps to pure white.
_DIVERGING = ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#ffffff",
              "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f"]  # fmt: skip
# Viridis-like: dark purple -> blue -> green -> yellow.
_SEQUENTIAL = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89",
               "#35b779", "#6ece58", "#b5de2b", "#fde725"]  # fmt: skip
_SIZES = {"diverging": 65, "sequential": 64}
NAN_RGB = (110, 110, 110)
HALF_BLOCK = "▀"
_SYSTEMS = {
    "standard": ColorSystem.STANDARD,
    "256": ColorSystem.EIGHT_BIT,
    "truecolor": ColorSystem.TRUECOLOR,
    "windows": ColorSystem.WINDOWS,
}


def _interpolate(anchors: list[str], n: int) -> np.ndarray:
    rgb = np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in anchors], dtype=float)
    pos = np.linspace(0.0, 1.0, len(anchors))
    t = np.linspace(0.0, 1.0, n)
    out = np.stack([np.interp(t, pos, rgb[:, k]) for k in range(3)], axis=1)
    return np.rint(out).astype(np.uint8)


class Palette:
    """``size`` colours for one scale plus a NaN colour; styles are built once and cached.

    Index ``size`` means NaN, index ``size + 1`` means "no colour" (e.g. the missing bottom half
    of the last cell when the unit count is odd).

    Colours are pre-downgraded to ``color_system``: Rich caches a Style's escape codes for the
    first colour system it is rendered with, so styles must not be shared across systems.
    """

    def __init__(self, scale: str, color_system: str | None = "truecolor") -> None:
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
        self.scale = scale
        self.size = _SIZES[scale]
        anchors = _DIVERGING if scale == "diverging" else _SEQUENTIAL
        self.rgb = _interpolate(anchors, self.size)
        system = _SYSTEMS.get(color_system or "truecolor", ColorSystem.TRUECOLOR)
        self.color_system = color_system or "truecolor"
        colors = [Color.from_rgb(int(r), int(g), int(b)) for r, g, b in self.rgb]
        colors.append(Color.from_rgb(*NAN_RGB))
        self.colors: list[Color | None] = [c.downgrade(system) for c in colors]
        self.colors.append(None)
        self.nan_index = self.size
        self.none_index = self.size + 1
        self.fg_styles = [Style(color=c) for c in self.colors]
        self.bg_styles = [Style(bgcolor=c) for c in self.colors]
        self._pairs: dict[int, Style] = {}

    @property
    def mid(self) -> int:
        return (self.size - 1) // 2

    def default_range(self, values: np.ndarray) -> tuple[float, float]:
        """Diverging: symmetric, at least [-1, 1]; sequential: at least [0, 1]."""
        finite = values[np.isfinite(values)] if values.size else values
        if self.scale == "diverging":
            m = max(1.0, float(np.abs(finite).max())) if finite.size else 1.0
            return -m, m
        lo = min(0.0, float(finite.min())) if finite.size else 0.0
        hi = max(1.0, float(finite.max())) if finite.size else 1.0
        return lo, hi

    def indices(self, values: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
        """Palette index per value (int16); NaN -> ``nan_index``; +-inf saturate."""
        v = np.asarray(values, dtype=np.float64)
        nan = np.isnan(v)
        n1 = self.size - 1
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if not (np.isfinite(vmin) and np.isfinite(vmax)) or vmax <= vmin:
                f = np.full(v.shape, 0.5)
            elif self.scale == "diverging" and vmin < 0.0 < vmax:
                # Piecewise so that 0 is always the white middle, even for asymmetric ranges.
                f = np.where(v < 0.0, 0.5 - 0.5 * (v / vmin), 0.5 + 0.5 * (v / vmax))
            else:
                f = (v - vmin) / (vmax - vmin)
            f = np.where(nan, 0.0, f)
            idx = np.rint(np.clip(f, 0.0, 1.0) * n1).astype(np.int16)
        idx[nan] = self.nan_index
        return idx

    def pair_code(self, top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
        return top.astype(np.int32) * (self.size + 2) + bottom.astype(np.int32)

    def pair_style(self, code: int) -> Style:
        """Style for '▀' with foreground = top index, background = bottom index (cached)."""
        style = self._pairs.get(code)
        if style is None:
            top, bottom = divmod(code, self.size + 2)
            style = Style(color=self.colors[top], bgcolor=self.colors[bottom])
            self._pairs[code] = style
        return style

    def bg_style(self, index: int) -> Style:
        """Style for a cell filled with palette colour ``index`` (a space on that background)."""
        return self.bg_styles[index]

    def value_color(self, value: float, vmin: float, vmax: float) -> Color:
        idx = int(self.indices(np.array([value]), vmin, vmax)[0])
        color = self.colors[idx]
        assert color is not None
        return color

    def contrast(self, index: int) -> Color:
        """Black or white, whichever reads better on palette colour ``index``."""
        if index >= self.size:
            return Color.from_rgb(255, 255, 255)
        r, g, b = (int(x) for x in self.rgb[index])
        return (
            Color.from_rgb(0, 0, 0)
            if 0.299 * r + 0.587 * g + 0.114 * b > 140
            else (Color.from_rgb(255, 255, 255))
        )


@cache
def get_palette(scale: str, color_system: str | None = "truecolor") -> Palette:
    """The shared palette for ``scale`` ("diverging" or "sequential") and a console's
    ``color_system`` ("truecolor", "256", "standard", "windows"; None means truecolor)."""
    return Palette(scale, color_system or "truecolor")
