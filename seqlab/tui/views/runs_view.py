"""Runs view: live runs first (epoch, best val loss, elapsed, ETA, device, pid), then every
past run (config, status, metrics vs baseline, date); Enter opens one (a live one is followed)."""

from __future__ import annotations

import math
import time
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from seqlab.tui.messages import OpenRun
from seqlab.tui.views.compare import CompareScreen, Pins, SweepsScreen
from seqlab.tui.views.lazy import LazyView, when_ready


class RunsView(LazyView):
    BINDINGS = [  # comparing and sweeps: seqlab/tui/views/compare.py
        Binding("p", "pin", "Pin"),
        Binding("c", "compare", "Compare"),
        Binding("w", "sweeps", "Sweeps"),
    ]

    def __init__(self, runs_dir: str) -> None:
        super().__init__("5 Runs", id="runs")
        self.runs_dir = runs_dir
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
        self.app.push_screen(SweepsScreen(self.runs_dir, self.pins))

    def build(self) -> ComposeResult:
        yield Static("", id="live-title")
        yield DataTable(id="live-table", cursor_type="row")
        yield Static("", id="runs-title")
        yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)

    def populated(self) -> None:
        live = self.query_one("#live-table", DataTable)
        for col in ("live run", "epoch", "best val", "elapsed", "ETA", "device", "pid"):
            live.add_column(col, key=col)
        dt = self.query_one("#runs-table", DataTable)
        for col in ("date", "model", "data", "status", "ep", "val", "baseline"):
            dt.add_column(col, key=col)
        self.set_interval(2.0, self._tick)  # live runs' epochs and ETAs move on
        self.reload()

    @when_ready
    def on_show(self) -> None:
        """Enter opens the highlighted run straight away: the list has the focus."""
        live = self.query_one("#live-table", DataTable)
        (live if live.display else self.query_one("#runs-table", DataTable)).focus()

    @when_ready
    def _tick(self) -> None:
        if self.is_on_screen and self.query_one("#live-table", DataTable).row_count:
            self.reload_live()

    @when_ready
    def reload_live(self) -> set[str]:
        """The live runs' table (hidden when there are none); their directories."""
        from seqlab.training.record import live_runs

        live = live_runs(self.runs_dir)
        table = self.query_one("#live-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for st in live:
            eta = st.eta_s
            cells = (_name(st.run_dir), f"{st.epoch}/{st.epochs or '?'}",
                     _num(st.best_val_loss), _clock(st.elapsed),
                     _clock(eta) if eta is not None else "–",
                     st.device or "–", "remote" if st.remote else str(st.pid or "–"))
            table.add_row(*[Text(c) for c in cells], key=st.run_dir)
        if live:
            table.move_cursor(row=min(cursor, len(live) - 1))
        table.display = bool(live)
        title = self.query_one("#live-title", Static)
        title.display = bool(live)
        title.update(Text(f"{len(live)} live run{'s' if len(live) != 1 else ''} · training in "
                          "their own processes · enter: follow", style="bold"))
        return {st.run_dir for st in live}

    @when_ready
    def reload(self) -> None:
        from seqlab.training.runs import list_runs

        live = self.reload_live()
        # status as state.json shows it: a run whose process is gone is crashed
        runs = [r for r in list_runs(self.runs_dir) if r.run_dir not in live]
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
            f"{len(runs)} run{'s' if len(runs) != 1 else ''} in {self.runs_dir} · "
            "val: MAE vs persistence, or perplexity vs unigram · enter: open · r: refresh · "
            "p: pin · c: compare · w: sweeps"
            if runs else f"No runs yet in {self.runs_dir}: ctrl+t trains one."
        ))

    @on(DataTable.RowSelected, "#live-table")
    @on(DataTable.RowSelected, "#runs-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        run_dir = str(event.row_key.value or "")
        if not run_dir:
            return
        self.post_message(OpenRun(run_dir))


def _date(name: str, started: float) -> str:
    """'2026-11-29 08:01:02' from the run name's timestamp (else the directory's mtime)."""
    stamp = name[:15]
    try:
        t = time.strptime(stamp, "%Y%m%d-%H%M%S")
    except ValueError:
        t = time.localtime(started) if started else None
    return time.strftime("%m-%d %H:%M", t) if t else name


def _name(run_dir: str) -> str:
    from pathlib import Path

    return Path(run_dir).name


def _clock(seconds: float) -> str:
    s = max(0, int(round(seconds)))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else \
        f"{s // 60}:{s % 60:02d}"


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
