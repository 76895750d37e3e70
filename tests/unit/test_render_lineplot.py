"""Braille LinePlot: rendered to an in-memory console and read back dot by dot."""

from __future__ import annotations

import io

import numpy as np
from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment

from seqlab.render import LinePlot, Series
from seqlab.render.lineplot import log_ticks, nice_ticks, thin


def render(renderable, width: int = 60, height: int | None = None) -> list[list[Segment]]:
    con = Console(file=io.StringIO(), width=width, color_system="truecolor", record=True)
    opts = con.options.update(height=height) if height else con.options
    return con.render_lines(renderable, opts, pad=False)


def text(line: list[Segment]) -> str:
    return "".join(seg.text for seg in line)


def is_braille(ch: str) -> bool:
    return 0x2801 <= ord(ch) <= 0x28FF


def plot_rows(lines: list[list[Segment]]) -> list[str]:
    """The plot area of each plot row (text after the axis character)."""
    out = []
    for line in lines:
        t = text(line)
        for axis in ("┤", "│"):
            if axis in t:
                out.append(t.split(axis, 1)[1])
                break
    return out


def test_rising_line_rises() -> None:
    lines = render(LinePlot([Series("up", np.arange(50.0))], height=10), width=60)
    rows = plot_rows(lines)
    assert len(rows) == 8  # 10 - x axis - legend
    top = [i for i, ch in enumerate(rows[0]) if is_braille(ch)]
    bottom = [i for i, ch in enumerate(rows[-1]) if is_braille(ch)]
    width = len(rows[0])
    assert top and bottom
    assert min(top) > width / 2  # top row: dots on the right
    assert max(bottom) < width / 2  # bottom row: dots on the left
    assert rows[-1][0] != " " and rows[0][-1] != " "
    # Bottom-left cell has a dot in its lowest-left position; top-right cell in its top-right.
    assert (ord(rows[-1][0]) - 0x2800) & 0x40
    assert (ord(rows[0][-1]) - 0x2800) & 0x08


def test_height_and_width_respected() -> None:
    plot = LinePlot(
        [Series("a", np.sin(np.arange(300) / 9)), Series("b", np.cos(np.arange(300) / 9))],
        title="loss",
        height=12,
    )
    lines = render(plot, width=50)
    assert len(lines) == 12
    assert all(cell_len(text(line)) <= 50 for line in lines)
    assert text(lines[0]).startswith("loss")
    assert len(plot.render_lines(80, 24)) == 12  # explicit height wins over the console's
    assert len(LinePlot([Series("a", [1, 2])]).render_lines(80, 7)) == 7


def test_series_colours_and_legend() -> None:
    plot = LinePlot(
        [
            Series("step", [3, 2, 2.5, 1], style="grey50", dim=True),
            Series("train", [3, 2, 1.5, 1], style="cyan"),
            Series("val", [3.5, 2.5, 2.0, 1.8], style="magenta"),
        ],
        height=10,
    )
    lines = render(plot, width=60)
    legend = text(lines[-1])
    assert "train 1" in legend and "val 1.8" in legend and "step 1" in legend
    colours = {seg.style.color.name for line in lines[:-2] for seg in line
               if seg.style and seg.style.color and any(is_braille(c) for c in seg.text)}  # fmt: skip
    assert {"cyan", "magenta"} <= colours
    dim_marker = next(seg for seg in lines[-1] if seg.text == "┄┄")
    assert dim_marker.style.dim


def test_log_scale_ticks() -> None:
    y = np.logspace(-4, 0, 60)
    lines = render(LinePlot([Series("loss", y)], log_y=True, height=12), width=60)
    labels = [text(line).split("┤")[0].strip() for line in lines if "┤" in text(line)]
    assert len(labels) >= 3
    values = [float(x) for x in labels]
    assert all(np.isclose(np.log10(v), round(np.log10(v))) for v in values)  # powers of ten
    assert values == sorted(values, reverse=True)
    assert "1" in labels
    assert log_ticks(0.0, 0.5).size >= 2  # narrow range -> 1, 2, 5 ticks
    assert np.allclose(10 ** log_ticks(0.0, 0.8), [1, 2, 5])


def test_log_drops_non_positive() -> None:
    lines = render(LinePlot([Series("a", [-1.0, 0.0, 1.0, 10.0, 100.0])], log_y=True, height=8))
    labels = [text(line).split("┤")[0].strip() for line in lines if "┤" in text(line)]
    assert labels == ["100", "10", "1"]
    assert any(is_braille(ch) for row in plot_rows(lines) for ch in row)


def test_linear_ticks_are_nice() -> None:
    ticks = nice_ticks(0.0, 1.0)
    assert 3 <= ticks.size <= 5 and np.allclose(np.diff(ticks), ticks[1] - ticks[0])
    lines = render(LinePlot([Series("a", np.linspace(0, 1, 30))], height=10))
    labels = [text(line).split("┤")[0].strip() for line in lines if "┤" in text(line)]
    assert labels[0] == "1" and labels[-1] == "0"


def test_a_zero_tick_reads_0_on_a_plot_too_low_for_three_ticks() -> None:
    # three rows leave room for two ticks, fewer than nice_ticks' round steps give: the zero
    # among the steps it falls back to must still be 0, not the -2.2e-16 that -0.7 + 7 * 0.1 is
    assert 0.0 in nice_ticks(-0.7, 0.7, 2).tolist()
    lines = render(LinePlot([Series("a", np.sin(np.linspace(0, 12, 80)) * 0.7)], height=5))
    labels = [text(line).split("┤")[0].strip() for line in lines if "┤" in text(line)]
    assert "0" in labels and not any("e-" in v for v in labels)


def test_nan_and_inf_are_skipped() -> None:
    y = np.array([1.0, 2.0, np.nan, np.inf, 3.0, -np.inf, 4.0, np.nan])
    lines = render(LinePlot([Series("a", y)], height=8))
    rows = plot_rows(lines)
    assert any(is_braille(ch) for row in rows for ch in row)
    assert "a 4" in text(lines[-1])
    labels = [text(line).split("┤")[0].strip() for line in lines if "┤" in text(line)]
    assert float(labels[0]) <= 4.0 and float(labels[-1]) >= 1.0


def test_empty_data_message() -> None:
    for series in ([], [Series("a", [])], [Series("a", [np.nan, np.nan])]):
        lines = render(LinePlot(series, height=8, title="loss"))
        body = "\n".join(text(line) for line in lines)
        assert "no data yet" in body
        assert len(lines) == 8
    lines = render(LinePlot([Series("a", [-1.0, 0.0])], log_y=True, height=6))
    assert "no data yet" in "\n".join(text(line) for line in lines)


def test_single_point_and_constant_series() -> None:
    for y in ([3.0], [2.0] * 20):
        lines = render(LinePlot([Series("a", y)], height=8))
        assert len(lines) == 8
        dots = [ch for row in plot_rows(lines) for ch in row if is_braille(ch)]
        assert dots
    lines = render(LinePlot([Series("a", [2.0] * 20)], height=8))
    row = next(r for r in plot_rows(lines) if any(is_braille(c) for c in r))
    line = next(ln for ln in lines if text(ln).endswith(row))
    assert text(line).split("┤")[0].strip() == "2"  # the flat line sits on its own tick


def test_x_labels_and_vlines() -> None:
    labels = [f"{1950 + i // 4}Q{i % 4 + 1}" for i in range(200)]
    plot = LinePlot(
        [Series("actual", np.sin(np.arange(200) / 10))],
        x_labels=labels,
        vlines=[(140, "val"), (170, "test")],
        height=10,
    )
    lines = render(plot, width=70)
    axis = text(lines[-2])
    assert "└" in axis
    assert axis.split("└")[1].startswith("1950Q1") and axis.rstrip().endswith("1999Q4")
    assert labels[99] in axis or labels[100] in axis
    body = "\n".join(text(line) for line in lines)
    assert "┊" in body and "val" in body and "test" in body


def test_given_x_values() -> None:
    lines = render(LinePlot([Series("a", [1.0, 2.0, 3.0], x=[10.0, 20.0, 30.0])], height=8))
    axis = text(lines[-2])
    assert axis.split("└")[1].startswith("10") and axis.rstrip().endswith("30")


def test_thin_keeps_spikes_and_bounds() -> None:
    y = np.zeros(10_000)
    y[5_003] = 50.0
    y[7_001] = -20.0
    x = np.arange(y.size, dtype=float)
    tx, ty = thin(x, y, 100)
    assert ty.size <= 2 * 100 + 2
    assert ty.max() == 50.0 and ty.min() == -20.0
    assert tx[0] == 0 and tx[-1] == 9_999
    assert np.all(np.diff(tx) > 0)
    lines = render(LinePlot([Series("spiky", y)], height=10), width=60)
    rows = plot_rows(lines)
    assert any(is_braille(ch) for ch in rows[0])  # the spike reaches the top row
