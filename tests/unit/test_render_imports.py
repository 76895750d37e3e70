"""seqlab.render stays light: rich + numpy only (no textual, no torch) and works inside Rich."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
from rich.columns import Columns
from rich.console import Console
from rich.panel import Panel

from seqlab.render import Heatmap, LinePlot, Series, Strip, metrics_table


def test_import_does_not_pull_textual_or_torch() -> None:
    code = (
        "import sys, seqlab.render; "
        "bad = [m for m in ('torch', 'textual') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_renderables_nest_in_rich_containers_at_80x24() -> None:
    con = Console(file=io.StringIO(), width=80, height=24, color_system="256", record=True)
    values = np.tanh(np.random.default_rng(0).normal(size=(48, 64)))
    hm = Heatmap(values, [f"{1950 + i // 4}Q{i % 4 + 1}" for i in range(48)], cursor=(3, 40))
    con.print(Panel(hm, title="h/0/fwd"))
    con.print(Panel(LinePlot([Series("loss", np.exp(-np.arange(100) / 20))], height=8)))
    con.print(Columns([Strip(np.logspace(-5, 0, 24)), metrics_table({"model val": {"mae": 1}})]))
    text = con.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "t 4 1950Q4 · unit 41: +" in text
