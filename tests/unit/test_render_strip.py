"""Strip (gradient bars) and Sparkline rendered to an in-memory console."""

from __future__ import annotations

import io

import numpy as np
from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment

from seqlab.render import Sparkline, Strip
from seqlab.render.strip import BLOCKS


def render(renderable, width: int = 80) -> list[list[Segment]]:
    con = Console(file=io.StringIO(), width=width, color_system="truecolor", record=True)
    return con.render_lines(renderable, con.options, pad=False)


def text(line: list[Segment]) -> str:
    return "".join(seg.text for seg in line)


def level(ch: str) -> int:
    return BLOCKS.index(ch)


def test_length_equals_t_and_order_follows_values() -> None:
    rng = np.random.default_rng(1)
    values = 10 ** rng.uniform(-6, 0, 30)
    lines = render(Strip(values, [f"t{i}" for i in range(30)]))
    bar = text(lines[0])
    assert cell_len(bar) == 30
    levels = [level(ch) for ch in bar]
    order = np.argsort(values)
    assert all(levels[a] <= levels[b] for a, b in zip(order[:-1], order[1:], strict=True))
    assert levels[int(np.argmin(values))] == 1 and levels[int(np.argmax(values))] == 8


def test_vanishing_gradient_is_visible_on_log_scale() -> None:
    grads = np.logspace(-6, 0, 7)  # each step 10x bigger
    lines = render(Strip(grads, title="‖∂L/∂h‖"))
    assert text(lines[0]).startswith("‖∂L/∂h‖")
    bar = text(lines[1])
    assert [level(ch) for ch in bar] == [1, 2, 3, 5, 6, 7, 8]  # evenly spaced in log space
    # Linear scale squashes the small ones to the bottom.
    lin = text(render(Strip(grads, log=False))[0])
    assert [level(ch) for ch in lin][:5] == [1, 1, 1, 1, 1]


def test_min_max_annotation_and_labels() -> None:
    labels = ["1959Q1", "1959Q2", "1959Q3", "1959Q4"]
    lines = render(Strip([0.5, 1e-4, 0.02, 2.0], labels))
    body = "\n".join(text(line) for line in lines)
    assert "min 1e-4 @ 1959Q2" in body
    assert "max 2 @ 1959Q4" in body
    assert "last/first 4×" in body  # 2.0 / 0.5: what reaches the last step vs the first
    assert text(lines[1]).startswith("1959Q1")


def test_title_sits_between_the_end_labels() -> None:
    labels = [f"t{i}" for i in range(40)]
    lines = render(Strip(np.logspace(-3, 0, 40), labels, title="‖∂L/∂h‖", title_inline=True))
    assert len(lines) == 3  # bars, labels with the title between, numbers
    assert "‖∂L/∂h‖" in text(lines[1]) and text(lines[1]).startswith("t0")
    assert text(lines[2]).startswith("min 0.001 @ t0, max 1 @ t39, last/first 1000×")


def test_colours_go_dark_to_bright() -> None:
    lines = render(Strip(np.logspace(-3, 0, 10)))
    styles = [seg.style for seg in lines[0]]
    first, last = styles[0].color.get_truecolor(), styles[-1].color.get_truecolor()
    assert sum(first) < sum(last)


def test_missing_values_marked() -> None:
    bar = text(render(Strip([1.0, 0.0, np.nan, -1.0, 10.0]))[0])
    assert len(bar) == 5
    assert bar[1] == bar[2] == bar[3] == "·"
    assert level(bar[0]) == 1 and level(bar[4]) == 8


def test_more_steps_than_columns_bucketed() -> None:
    values = np.ones(200)
    values[150] = 100.0
    lines = render(Strip(values), width=50)
    bar = text(lines[0])
    assert cell_len(bar) == 50
    assert "█" in bar
    assert "200 steps in 50 columns" in "\n".join(text(line) for line in lines)


def test_multi_row_strip() -> None:
    # log10 of the values is -3, -2, -1, 0: heights 1, 9, 16 and 24 eighths of 3 rows
    # (1 + round(f * 23) for f = 0, 1/3, 2/3, 1), drawn top row first
    lines = render(Strip([1e-3, 1e-2, 1e-1, 1.0], rows=3, annotate=False))
    assert [text(line) for line in lines] == ["   █", " ▁██", "▁███"]


def test_empty_and_constant() -> None:
    assert "no data" in text(render(Strip([]))[0])
    bar = text(render(Strip([3.0, 3.0, 3.0]))[0])
    assert bar == "███"


def test_sparkline() -> None:
    lines = render(Sparkline(np.arange(100), width=20))
    assert cell_len(text(lines[0])) == 20
    levels = [level(ch) for ch in text(lines[0])]
    assert levels == sorted(levels) and levels[0] == 1 and levels[-1] == 8
    line = text(render(Sparkline([1, 5, 3], summary=True))[0])
    assert line.endswith("1–5")
