"""Heatmap, Legend and palette: rendered to an in-memory console and inspected cell by cell."""

from __future__ import annotations

import io

import numpy as np
from rich.cells import cell_len
from rich.color import ColorSystem
from rich.console import Console
from rich.segment import Segment

from seqlab.render import Heatmap, Legend, get_palette


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
    """The map's rows: lines holding cells painted with a background colour (not the legend)."""
    return [ln for ln in lines
            if any(seg.style is not None and seg.style.bgcolor is not None and "▌" not in seg.text
                   for seg in ln)]


def rgb(color) -> tuple[int, int, int]:
    t = color.get_truecolor()
    return (t.red, t.green, t.blue)


def test_one_row_per_timestep_one_cell_per_unit() -> None:
    values = np.zeros((6, 10))
    lines = render(Heatmap(values, [f"t{i}" for i in range(6)], cell_width=1))
    rows = grid_lines(lines)
    assert len(rows) == 6  # every timestep, one row each
    for i, row in enumerate(rows):
        assert text(row).startswith(f"t{i} ")
        assert sum(1 for _ch, st in cells(row) if st is not None and st.bgcolor) == 10
    body = "\n".join(text(x) for x in lines)
    assert "t 1–6 of 6 · units 1–10 of 10" in body  # where the view is, 1-based
    assert "unit →" in body  # the column axis is named


def test_cell_colours_map_from_values() -> None:
    values = np.zeros((5, 8))
    values[2, 4] = 0.5
    values[3, 5] = -0.5
    labels = [f"r{i}" for i in range(5)]
    pal = get_palette("diverging")
    hm = Heatmap(values, labels, cell_width=1)
    assert (hm.vmin, hm.vmax) == (-0.5, 0.5)  # the map's own range, symmetric around 0
    rows = grid_lines(render(hm))
    label_w = 6  # at least the width of the axis name
    row2 = cells(rows[2])[label_w + 1 :]
    row3 = cells(rows[3])[label_w + 1 :]
    assert row2[4][0] == " "
    assert rgb(row2[4][1].bgcolor) == tuple(int(x) for x in pal.rgb[-1])  # max -> red
    assert rgb(row3[5][1].bgcolor) == tuple(int(x) for x in pal.rgb[0])  # min -> blue
    assert rgb(row2[3][1].bgcolor) == (255, 255, 255)  # 0 -> white middle


def test_small_values_still_get_colour() -> None:
    """Hidden states near 0 are scaled to their own range, not washed out by a fixed ±1."""
    values = np.array([[0.01, -0.02, 0.0]])
    hm = Heatmap(values, ["a"], cell_width=1)
    row = cells(grid_lines(render(hm))[0])[7:]
    assert rgb(row[1][1].bgcolor) == tuple(int(x) for x in get_palette("diverging").rgb[0])
    body = "\n".join(text(x) for x in render(hm))
    assert "−0.02" in body and "+0.02" in body and "this map" in body


def test_sequential_scale_extremes_and_nan() -> None:
    values = np.full((3, 4), 0.5)
    values[0, 0] = 1.0
    values[0, 1] = 0.0
    values[1, 2] = np.nan
    pal = get_palette("sequential")
    lines = render(Heatmap(values, ["a", "b", "c"], scale="sequential", vmin=0, vmax=1,
                           cell_width=1, name="f"))
    rows = grid_lines(lines)
    first = cells(rows[0])[7:]
    assert rgb(first[0][1].bgcolor) == tuple(int(x) for x in pal.rgb[-1])
    assert rgb(first[1][1].bgcolor) == tuple(int(x) for x in pal.rgb[0])
    nan_cell = cells(rows[1])[7:][2]
    assert rgb(nan_cell[1].bgcolor) == rgb(pal.colors[pal.nan_index])
    assert "fixed 0–1" in "\n".join(text(x) for x in lines)


def test_cursor_keeps_the_cell_colour_and_says_where() -> None:
    values = np.zeros((4, 20))
    values[1, 17] = -0.734
    hm = Heatmap(values, ["1959Q2", "1959Q3", "1959Q4", "1960Q1"], cursor=(1, 17),
                 cell_width=2, name="h")
    lines = render(hm)
    row = grid_lines(lines)[1]
    mark = next(seg for seg in row if "◆" in seg.text)
    assert rgb(mark.style.bgcolor) == tuple(int(x) for x in get_palette("diverging").rgb[0])
    assert row[0].style.reverse  # the row label is highlighted too
    body = "\n".join(text(x) for x in lines)
    assert "t 2 1959Q3 · unit 18: h −0.734" in body
    assert "▼" in body


def test_korean_labels_align() -> None:
    labels = ["한", "ᆫ", "가나다", "abc", "\n", "ᄒ" + "ᅡ" + "ᆫ", " ", "\u0301"]
    values = np.linspace(-1, 1, len(labels) * 12).reshape(len(labels), 12)
    lines = render(Heatmap(values, labels, cursor=(1, 3), title="h/0/fwd"))
    widths = {cell_len(text(line)) for line in lines}
    assert widths == {80}, widths
    starts = set()
    for line in grid_lines(lines):
        first = next(i for i, seg in enumerate(line) if seg.style and seg.style.bgcolor)
        starts.add(sum(seg.cell_length for seg in line[:first]))
    assert len(starts) == 1
    body = "\n".join(text(line) for line in lines)
    assert "ㄴ" in body  # lone final consonant shown as a visible compatibility jamo
    assert "↵" in body and "␣" in body


def test_units_scroll_to_width_and_say_so() -> None:
    values = np.zeros((4, 200))
    lines = render(Heatmap(values, ["a", "b", "c", "d"]), width=40)
    assert all(cell_len(text(line)) == 40 for line in lines)
    body = "\n".join(text(line) for line in lines)
    assert "units 1–33 of 200" in body  # 40 - label 6 - 1 gap = 33 one-cell units


def test_cursor_beyond_visible_units_scrolls_window() -> None:
    values = np.zeros((4, 200))
    values[2, 150] = 0.25
    lines = render(Heatmap(values, ["a", "b", "c", "d"], cursor=(2, 150)), width=40)
    body = "\n".join(text(line) for line in lines)
    assert "◆" in body
    assert "unit 151: +0.250" in body
    lo, hi = (int(x) for x in body.split("units ")[1].split(" of")[0].split("–"))
    assert lo <= 151 <= hi


def test_every_timestep_reachable_by_scrolling() -> None:
    values = np.random.default_rng(0).uniform(-1, 1, (100, 16))
    labels = [f"L{i}" for i in range(100)]
    hm = Heatmap(values, labels, title="t")
    lines = hm.render_lines(80, 20)
    assert len(lines) == 20
    rows = grid_lines(lines)
    assert [text(r).split()[0] for r in rows] == [f"L{i}" for i in range(len(rows))]
    body = "\n".join(text(line) for line in lines)
    assert f"t 1–{len(rows)} of 100" in body  # consecutive timesteps, none skipped
    hm = Heatmap(values, labels, cursor=(99, 0), offset=(0, 0))
    vp = hm.viewport(80, 20)
    assert vp.t1 == 100 and vp.t1 - vp.t0 == len(grid_lines(hm.render_lines(80, 20)))
    assert "L99" in text(grid_lines(hm.render_lines(80, 20))[-1])
    assert len(render(Heatmap(values, labels), 80, 20)) <= 20  # through the console too


def test_offset_is_kept_while_the_cursor_is_in_view() -> None:
    hm = Heatmap(np.zeros((50, 4)), [str(i) for i in range(50)], cursor=(25, 0), offset=(20, 0))
    vp = hm.viewport(80, 14)
    assert vp.t0 == 20 and vp.t0 <= 25 < vp.t1


def test_tiny_height_still_shows_rows() -> None:
    hm = Heatmap(np.zeros((48, 64)), [str(i) for i in range(48)], title="x", cursor=(5, 5))
    lines = hm.render_lines(80, 6)
    assert len(lines) <= 6
    assert len(grid_lines(lines)) >= 2


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
    assert Heatmap(np.array([[0.1, -0.2]])).vmax == 0.2  # own range, symmetric
    assert Heatmap(np.array([[3.0, -0.2]])).vmin == -3.0
    assert Heatmap(np.zeros((2, 2))).vmax == 1.0  # all zero: a range that still draws
    seq = Heatmap(np.array([[0.2, 0.4]]), scale="sequential")
    assert (seq.vmin, seq.vmax) == (0.0, 1.0)


def test_legend_labels_and_bar() -> None:
    lines = render(Legend("diverging", -1, 1, width=20))
    assert len(lines) == 2
    assert text(lines[0]) == "▌" * 20
    labels = text(lines[1])
    assert labels.startswith("−1") and labels.rstrip().endswith("+1") and " 0 " in labels
    first, last = lines[0][0].style, lines[0][-1].style
    pal = get_palette("diverging")
    assert rgb(first.color) == tuple(int(x) for x in pal.rgb[0])
    assert rgb(last.bgcolor) == tuple(int(x) for x in pal.rgb[-1])
    compact = text(render(Legend("sequential", 0, 1, compact=True))[0])
    assert compact.startswith("0 ") and compact.endswith(" 1")
