"""Runs view: every past run (config, status, metrics vs baseline, date); Enter opens one."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static, TabPane

from seqlab.tui.views.compare import CompareScreen, Pins, SweepsScreen

if TYPE_CHECKING:
    from seqlab.tui.app import SeqlabApp


class RunsView(TabPane):
    BINDINGS = [  # comparing and sweeps: seqlab/tui/views/compare.py
        Binding("p", "pin", "Pin"),
        Binding("c", "compare", "Compare"),
        Binding("w", "sweeps", "Sweeps"),
    ]

    def __init__(self) -> None:
        super().__init__("5 Runs", id="runs")
        self.run_dirs: list[str] = []
        self.kinds: dict[str, str] = {}  # run_dir -> "series" | "text"
        self.pins = Pins()

    def action_pin(self) -> None:
        dt = self.query_one("#runs-table", DataTable)
        if 0 <= dt.cursor_row < len(self.run_dirs):
            self.notify(self.pins.toggle(self.run_dirs[dt.cursor_row]))
            self.reload()
            dt.move_cursor(row=min(dt.cursor_row, dt.row_count - 1))

    def action_compare(self) -> None:
        if len(self.pins.dirs) < 2:
            self.notify("pin two to six runs (p) to compare them", severity="warning")
        else:
            self.app.push_screen(CompareScreen(self.pins.dirs))

    def action_sweeps(self) -> None:
        self.app.push_screen(SweepsScreen(self.lab.runs_dir, self.pins))

    @property
    def lab(self) -> SeqlabApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("", id="runs-title")
        yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        dt = self.query_one("#runs-table", DataTable)
        for col in ("date", "model", "data", "status", "ep", "val", "baseline"):
            dt.add_column(col, key=col)

    def on_show(self) -> None:
        """Enter opens the highlighted run straight away: the list has the focus."""
        self.query_one("#runs-table", DataTable).focus()

    def reload(self) -> None:
        from seqlab.training.runs import list_runs

        runs = list_runs(self.lab.runs_dir)
        dt = self.query_one("#runs-table", DataTable)
        dt.clear()
        self.run_dirs = []
        self.kinds = {}
        for r in runs:
            s = r.summary or {}
            if r.kind == "text":  # perplexity vs the unigram baseline
                val, base = _num(s.get("val_perplexity"), "ppl "), _num(s.get("unigram_perplexity"))
            else:  # MAE (original units) vs the persistence baseline
                val = _num((s.get("val") or {}).get("mae"), "mae ")
                base = _num((s.get("baseline_val") or {}).get("mae"))
            mark = self.pins.mark(r.run_dir)
            cells = (_date(r.name, r.started), f"{mark} {r.title}" if mark else r.title,
                     _data(r.data_name), r.status,
                     str(s.get("epochs", "")), val, base)
            dt.add_row(*[Text(c) for c in cells], key=r.run_dir)  # names may hold [brackets]
            self.run_dirs.append(r.run_dir)
            self.kinds[r.run_dir] = r.kind
        self.query_one("#runs-title", Static).update(Text(
            f"{len(runs)} run{'s' if len(runs) != 1 else ''} in {self.lab.runs_dir} · "
            "val: MAE vs persistence, or perplexity vs unigram · enter: open · r: refresh · "
            "p: pin · c: compare · w: sweeps"
            if runs else f"No runs yet in {self.lab.runs_dir}: ctrl+t trains one."
        ))

    @on(DataTable.RowSelected, "#runs-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        run_dir = str(event.row_key.value or "")
        if not run_dir:
            return
        if self.kinds.get(run_dir) == "text":
            self.lab.open_text_run(run_dir)
        else:
            self.lab.open_run(run_dir)


def _date(name: str, started: float) -> str:
    """'2026-11-29 08:01:02' from the run name's timestamp (else the directory's mtime)."""
    stamp = name[:15]
    try:
        t = time.strptime(stamp, "%Y%m%d-%H%M%S")
    except ValueError:
        t = time.localtime(started) if started else None
    return time.strftime("%m-%d %H:%M", t) if t else name


def _data(name: str) -> str:
    from pathlib import Path

    stem = Path(name).stem if name != "typed text" else name
    return stem if len(stem) <= 16 else stem[:15] + "…"


def _num(v: Any, prefix: str = "") -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "–"
    return f"{prefix}{f:.4g}" if math.isfinite(f) else "–"
