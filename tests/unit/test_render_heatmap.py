"""Heatmap, Legend and palette: rendered to an in-memory console and inspected cell by cell."""

from __future__ import annotations

import io

import numpy as np
from rich.cells import cell_len
from rich.color import ColorSystem
from rich.console import Console
from rich.segment import Segment

from seqlab.render import Heatmap, Legend, get_palette, subsample_rows
from seqlab.render.palette import HALF_BLOCK


def make_console(width: int = 80, color_system: str = "truecolor") -> Console:
    return Console(
        file=io.StringIO(), width=width, color_system=color_system, record=True,
        force_terminal=True, legacy_windows=False,
    )  # fmt: skip


def render(renderable, width: int = 80, height: int | None = None) -> list[list[Segment]]:
    con = make_console(width)
    opts = con.options.update(height=height) if height else con.options
    return con.render_lines(renderable, opts, pad=False)


def cells(line: list[Segment]) -> list[tuple[str, object]]:
    """(character, style) per character of a line (grid chars are all 1 cell wide)."""
    return [(ch, seg.style) for seg in line for ch in seg.text]


def text(line: list[Segment]) -> str:
    return "".join(seg.text for seg in line)


def grid_lines(lines: list[list[Segment]]) -> list[list[Segment]]:
    return [ln for ln in lines if HALF_BLOCK in text(ln) or "◆" in text(ln)]


def rgb(color) -> tuple[int, int, int]:
    t = color.get_truecolor()
    return (t.red, t.green, t.blue)


def test_rows_and_cells_count() -> None:
    values = np.zeros((6, 10))
    lines = render(Heatmap(values, [f"t{i}" for i in range(6)]))
    rows = grid_lines(lines)
    assert len(rows) == 6
    for row in rows:
        assert text(row).count(HALF_BLOCK) == 5  # two units per cell
        assert text(row).startswith("t")


def test_cell_colours_map_from_values() -> None:
    values = np.zeros((5, 8))
    values[2, 4] = 1.0  # row 2, cell 2 top half (foreground)
    values[3, 5] = -1.0  # row 3, cell 2 bottom half (background)
    labels = [f"r{i}" for i in range(5)]
    pal = get_palette("diverging")
    rows = grid_lines(render(Heatmap(values, labels)))
    label_w = 2
    row2 = cells(rows[2])[label_w + 1 :]
    row3 = cells(rows[3])[label_w + 1 :]
    ch, style = row2[2]
    assert ch == HALF_BLOCK
    assert rgb(style.color) == tuple(int(x) for x in pal.rgb[-1])  # max -> last (red)
    assert rgb(style.bgcolor) == tuple(int(x) for x in pal.rgb[pal.mid])  # 0 -> white middle
    assert rgb(row3[2][1].bgcolor) == tuple(int(x) for x in pal.rgb[0])  # min -> first (blue)
    assert rgb(row3[2][1].color) == tuple(int(x) for x in pal.rgb[pal.mid])
    assert tuple(int(x) for x in pal.rgb[pal.mid]) == (255, 255, 255)
    # A neighbouring cell is all zeros -> white on white.
    assert rgb(row2[1][1].color) == rgb(row2[1][1].bgcolor) == (255, 255, 255)


def test_sequential_scale_extremes_and_nan() -> None:
    values = np.full((3, 4), 0.5)
    values[0, 0] = 1.0
    values[0, 1] = 0.0
    values[1, 2] = np.nan
    pal = get_palette("sequential")
    rows = grid_lines(render(Heatmap(values, ["a", "b", "c"], scale="sequential")))
    first = cells(rows[0])[2:]
    assert rgb(first[0][1].color) == tuple(int(x) for x in pal.rgb[-1])
    assert rgb(first[0][1].bgcolor) == tuple(int(x) for x in pal.rgb[0])
    nan_cell = cells(rows[1])[2:][1]
    assert rgb(nan_cell[1].color) == rgb(pal.colors[pal.nan_index])


def test_odd_unit_count_leaves_last_bottom_half_empty() -> None:
    rows = grid_lines(render(Heatmap(np.zeros((2, 5)), ["a", "b"])))
    last = cells(rows[0])[2:5][-1]
    assert last[0] == HALF_BLOCK and last[1].bgcolor is None and last[1].color is not None


def test_korean_labels_align() -> None:
    labels = ["한", "ᆫ", "가나다", "abc", "\n", "ᄒ" + "ᅡ" + "ᆫ", " ", "\u0301"]
    values = np.linspace(-1, 1, len(labels) * 12).reshape(len(labels), 12)
    lines = render(Heatmap(values, labels, cursor=(1, 3), title="h/0/fwd"))
    widths = {cell_len(text(line)) for line in lines}
    assert len(widths) == 1, widths
    starts = set()
    for line in grid_lines(lines):
        t = text(line)
        first = min(i for i, ch in enumerate(t) if ch in (HALF_BLOCK, "◆"))
        starts.add(cell_len(t[:first]))
    assert len(starts) == 1
    body = "\n".join(text(line) for line in lines)
    assert "ㄴ" in body  # lone final consonant shown as a visible compatibility jamo
    assert "↵" in body and "␣" in body


def test_units_cropped_to_width_with_footer() -> None:
    values = np.zeros((4, 200))
    lines = render(Heatmap(values, ["a", "b", "c", "d"]), width=40)
    rows = grid_lines(lines)
    n = text(rows[0]).count(HALF_BLOCK)
    assert 0 < n < 100
    assert all(cell_len(text(line)) <= 40 for line in lines)
    body = "\n".join(text(line) for line in lines)
    assert f"units 0–{2 * n - 1} of 200" in body


def test_cursor_beyond_visible_units_scrolls_window() -> None:
    values = np.zeros((4, 200))
    values[2, 150] = 0.25
    lines = render(Heatmap(values, ["a", "b", "c", "d"], cursor=(2, 150)), width=40)
    body = "\n".join(text(line) for line in lines)
    assert "◆" in body
    assert "t=c unit 150: 0.250" in body
    lo, hi = (int(x) for x in body.split("units ")[1].split(" of")[0].split("–"))
    assert lo <= 150 <= hi


def test_rows_subsampled_to_height() -> None:
    values = np.random.default_rng(0).uniform(-1, 1, (100, 16))
    labels = [f"L{i}" for i in range(100)]
    hm = Heatmap(values, labels, title="t")
    lines = hm.render_lines(80, 20)
    assert len(lines) <= 20
    body = "\n".join(text(line) for line in lines)
    rows = grid_lines(lines)
    assert text(rows[0]).startswith("L0 ") and text(rows[-1]).startswith("L99")
    assert f"{len(rows)} of 100 timesteps" in body
    # Through the console too: options.height limits it the same way.
    assert len(render(hm, 80, 20)) <= 20


def test_tiny_height_still_shows_rows() -> None:
    hm = Heatmap(np.zeros((48, 64)), [str(i) for i in range(48)], title="x", cursor=(5, 5))
    lines = hm.render_lines(80, 6)
    assert len(lines) <= 6
    assert len(grid_lines(lines)) >= 2


def test_max_rows_and_cursor_row_kept() -> None:
    values = np.zeros((50, 4))
    hm = Heatmap(values, [f"L{i}" for i in range(50)], max_rows=10, cursor=(23, 1))
    lines = hm.render_lines(80)
    rows = grid_lines(lines)
    assert len(rows) <= 10
    assert any(text(r).startswith("L23 ") for r in rows)
    cursor_row = next(r for r in rows if text(r).startswith("L23 "))
    assert cursor_row[0].style.reverse
    body = "\n".join(text(line) for line in lines)
    assert "t=L23 unit 1: 0.000" in body


def test_cursor_caption_value() -> None:
    values = np.zeros((4, 20))
    values[1, 17] = -0.734
    hm = Heatmap(values, ["1959Q2", "1959Q3", "1959Q4", "1960Q1"], cursor=(1, 17))
    assert hm.caption() == "t=1959Q3 unit 17: -0.734"
    con = make_console()
    con.print(hm)
    out = con.export_text()
    assert "t=1959Q3 unit 17: -0.734" in out
    assert "▼" in out


def test_empty_values() -> None:
    body = "\n".join(text(x) for x in render(Heatmap(np.zeros((0, 4)), [])))
    assert "no data" in body


def test_256_colour_output_and_palette_steps() -> None:
    values = np.linspace(-1, 1, 48 * 64).reshape(48, 64)
    con = make_console(100, "256")
    con.print(Heatmap(values, [str(i) for i in range(48)]))
    out = con.export_text(styles=True)
    assert "\x1b[38;5;" in out and "38;2;" not in out
    for scale, minimum in (("diverging", 20), ("sequential", 12)):
        pal = get_palette(scale)
        numbers = [c.downgrade(ColorSystem.EIGHT_BIT).number for c in pal.colors[: pal.size]]
        assert len(set(numbers)) >= minimum
        assert numbers[0] != numbers[-1]
        # Each 256-colour step is one contiguous run: order survives the downgrade.
        runs = [n for i, n in enumerate(numbers) if i == 0 or numbers[i - 1] != n]
        assert len(runs) == len(set(runs))


def test_palette_indices() -> None:
    pal = get_palette("diverging")
    idx = pal.indices(np.array([-2.0, 0.0, 0.5, np.nan, np.inf]), -2.0, 0.5)
    assert idx.tolist() == [0, pal.mid, pal.size - 1, pal.nan_index, pal.size - 1]
    seq = get_palette("sequential")
    assert seq.indices(np.array([0.0, 1.0, 2.0]), 0.0, 1.0).tolist() == [0, 63, 63]


def test_default_range() -> None:
    assert Heatmap(np.array([[0.1, -0.2]])).vmax == 1.0
    assert Heatmap(np.array([[3.0, -0.2]])).vmin == -3.0
    seq = Heatmap(np.array([[0.2, 0.4]]), scale="sequential")
    assert (seq.vmin, seq.vmax) == (0.0, 1.0)


def test_legend_labels_and_bar() -> None:
    lines = render(Legend("diverging", -1, 1, width=20))
    assert len(lines) == 2
    assert text(lines[0]) == "▌" * 20
    labels = text(lines[1])
    assert labels.startswith("-1") and labels.rstrip().endswith("1") and " 0 " in labels
    first, last = lines[0][0].style, lines[0][-1].style
    pal = get_palette("diverging")
    assert rgb(first.color) == tuple(int(x) for x in pal.rgb[0])
    assert rgb(last.bgcolor) == tuple(int(x) for x in pal.rgb[-1])
    compact = text(render(Legend("sequential", 0, 1, compact=True))[0])
    assert compact.startswith("0 ") and compact.endswith(" 1")


def test_subsample_rows() -> None:
    idx = subsample_rows(100, 10)
    assert idx[0] == 0 and idx[-1] == 99 and len(idx) == 10
    idx = subsample_rows(100, 10, must=37)
    assert 37 in idx and idx[0] == 0 and idx[-1] == 99
    assert subsample_rows(5, 10).tolist() == [0, 1, 2, 3, 4]
