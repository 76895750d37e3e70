"""Runs view: every past run (config, status, metrics vs baseline, date); Enter opens one."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Static, TabPane

if TYPE_CHECKING:
    from seqlab.tui.app import SeqlabApp


class RunsView(TabPane):
    def __init__(self) -> None:
        super().__init__("5 Runs", id="runs")
        self.run_dirs: list[str] = []

    @property
    def lab(self) -> SeqlabApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("", id="runs-title")
        yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        dt = self.query_one("#runs-table", DataTable)
        for col in ("date", "model", "data", "status", "ep", "val mae", "persist."):
            dt.add_column(col, key=col)

    def reload(self) -> None:
        from seqlab.training.runs import list_runs

        runs = list_runs(self.lab.runs_dir)
        dt = self.query_one("#runs-table", DataTable)
        dt.clear()
        self.run_dirs = []
        for r in runs:
            s = r.summary or {}
            val = s.get("val") or {}
            base = s.get("baseline_val") or {}
            dt.add_row(_date(r.name, r.started), _model(r.config), _data(r.config), r.status,
                       str(s.get("epochs", "")),
                       _num(val.get("mae")), _num(base.get("mae")), key=r.run_dir)
            self.run_dirs.append(r.run_dir)
        self.query_one("#runs-title", Static).update(
            f"{len(runs)} run{'s' if len(runs) != 1 else ''} in {self.lab.runs_dir} · "
            "enter: open (curves, predictions, hidden states from disk) · r: refresh"
            if runs else f"No runs yet in {self.lab.runs_dir}: ctrl+t trains one."
        )

    @on(DataTable.RowSelected, "#runs-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.lab.open_run(str(event.row_key.value))


def _date(name: str, started: float) -> str:
    """'2026-11-29 08:01:02' from the run name's timestamp (else the directory's mtime)."""
    stamp = name[:15]
    try:
        t = time.strptime(stamp, "%Y%m%d-%H%M%S")
    except ValueError:
        t = time.localtime(started) if started else None
    return time.strftime("%m-%d %H:%M", t) if t else name


def _model(cfg: dict[str, Any]) -> str:
    m = cfg.get("model", {}) or {}
    bi = " bi" if m.get("bidirectional") else ""
    return f"{str(m.get('cell', '?')).upper()} {m.get('num_layers', 1)}×{m.get('hidden_size', '?')}{bi}"


def _data(cfg: dict[str, Any]) -> str:
    from pathlib import Path

    stem = Path(str((cfg.get("data", {}) or {}).get("path", "?"))).stem
    return stem if len(stem) <= 16 else stem[:15] + "…"


def _num(v: Any) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "–"
    return f"{f:.4g}" if math.isfinite(f) else "–"
