"""Pure Rich renderables for seqlab (rich + numpy only; no textual, no torch).

Used by the CLI (printed once) and by Textual widgets (re-rendered a few times a second).
"""

from seqlab.render._text import display_label, fit_cells, fmt_compact, fmt_sig
from seqlab.render.heatmap import Heatmap, Legend, Viewport, map_range
from seqlab.render.lineplot import LinePlot, Series
from seqlab.render.palette import Palette, get_palette
from seqlab.render.strip import Sparkline, Strip
from seqlab.render.table import backtest_table, metrics_table

__all__ = [
    "backtest_table",
    "Heatmap",
    "Legend",
    "LinePlot",
    "Palette",
    "Series",
    "Sparkline",
    "Strip",
    "Viewport",
    "display_label",
    "fit_cells",
    "fmt_compact",
    "fmt_sig",
    "get_palette",
    "map_range",
    "metrics_table",
]
