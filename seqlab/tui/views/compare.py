"""Compare pinned runs (2 to 6, live or finished) and browse sweeps, from the Runs view.

* ``p`` in the Runs view (or in the sweeps list) pins / unpins the highlighted run.
* ``c`` opens the comparison: validation curves overlaid (one glyph and colour per run, so the
  legend reads at 256 colours and without colour), the metrics table beside the baselines,
  the configuration diff (only what differs), and the gradient strips or hidden-state maps of
  the same validation sample side by side (``m`` switches). It follows live runs every 2 s.
* ``w`` opens the sweeps: every sweep under the runs folder with its members, best
  validation loss first, refreshed every 2 s while they run.

Reads run directories only (no torch, no Optuna): see :mod:`seqlab.training.compare`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Static

from seqlab.tui.widgets.keybar import KeyBar

MIN_PINNED, MAX_PINNED = 2, 6
REFRESH_S = 2.0


class Pins:
    """The pinned run directories, in pinning order (at most six)."""

    def __init__(self) -> None:
        self.dirs: list[str] = []

    def toggle(self, run_dir: str) -> str:
        """Pin or unpin ``run_dir``; returns what happened, in words."""
        name = Path(run_dir).name
        if run_dir in self.dirs:
            self.dirs.remove(run_dir)
            return f"unpinned {name} ({len(self.dirs)} pinned)"
        if len(self.dirs) >= MAX_PINNED:
            return f"{MAX_PINNED} runs are pinned already: unpin one (p) first"
        self.dirs.append(run_dir)
        more = "" if len(self.dirs) >= MIN_PINNED else " · pin one more to compare"
        return f"pinned {name} ({len(self.dirs)} pinned; c compares){more}"

    def mark(self, run_dir: str) -> str:
        """The glyph a pinned run carries in lists ('' when not pinned)."""
        from seqlab.render.compare import marker

        if run_dir not in self.dirs:
            return ""
        return marker(self.dirs.index(run_dir))[0]


def compare_renderables(runs: list[Any], *, maps: bool = False,
                        width: int = 80) -> list[RenderableType]:
    """Curves, metrics, config diff and the probe figure of loaded runs (CompareRun)."""
    from seqlab.render.compare import LETTERS, Curve, OverlayPlot, diff_table, loss_curve, marker
    from seqlab.render.gradients import GradientFigure, GradientProfile
    from seqlab.render.sweep import sweep_table
    from seqlab.training.compare import same_sample
    from seqlab.training.gradients import last_layer_fwd

    labels = [f"{marker(i)[0]} {LETTERS[i]}" for i in range(len(runs))]
    names = [f"{LETTERS[i]} {r.title}" for i, r in enumerate(runs)]
    curves = [Curve(n, *loss_curve(r.metrics)) for n, r in zip(names, runs, strict=True)]
    out: list[RenderableType] = [OverlayPlot(curves, height=8)]
    trials = [r.trial(lab) for lab, r in zip(labels, runs, strict=True)]
    table = sweep_table(trials, title="metrics (pinning order)")
    table.columns[0].header = ""
    table.caption = "in pinning order; MAE in original units; bold green: beats every baseline"
    out.append(table)
    out.append(diff_table([LETTERS[i] for i in range(len(runs))], [r.config for r in runs]))
    sample = same_sample(runs)
    probes = [(n, r.probe) for n, r in zip(names, runs, strict=True) if r.probe is not None]
    if not probes:
        out.append(Text("no hidden-state snapshot yet (probe off, or before the first epoch)",
                        style="dim"))
        return out
    where = (f"validation sample {sample}" if sample is not None
             else "note: the runs watch different samples")
    if not maps:
        profiles = [GradientProfile(n, last_layer_fwd(p.grads) if p.grads else None,
                                    getattr(p, "input_grad", None)) for n, p in probes]
        profiles = [p for p in profiles if p.loss_grad is not None]
        out.append(GradientFigure(profiles, rows=1,
                                  title=f"gradient strips, {where} · m: hidden-state maps"))
        return out
    from seqlab.render.heatmap import Heatmap

    grid = Table.grid(padding=(0, 1))
    per_row = 2 if width < 120 else 3
    for _ in range(min(per_row, len(probes))):
        grid.add_column()
    cells = []
    for n, p in probes:
        layers = sorted({int(k.split("/")[1]) for k in p.states if k.startswith("h/")})
        key = f"h/{layers[-1]}/fwd" if layers else None
        if key is None or key not in p.states:
            cells.append(Text(f"{n}: no hidden state", style="dim"))
            continue
        cells.append(Group(Text(f"{n} h_t", style="bold"),
                           Heatmap(p.states[key], p.labels, max_label_width=6,
                                   legend=False)))
    for i in range(0, len(cells), per_row):
        row = cells[i : i + per_row]
        grid.add_row(*row, *[Text("")] * (min(per_row, len(probes)) - len(row)))
    out.append(Group(Text(f"hidden-state maps (last layer), {where} · m: gradient strips",
                          style="bold"), grid))
    return out


class CompareScreen(Screen):
    """The pinned runs side by side; follows live runs."""

    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("m", "toggle_maps", "Maps/strips"),
        Binding("r", "reload", "Refresh"),
    ]

    DEFAULT_CSS = """
    CompareScreen #compare-body { height: 1fr; }
    CompareScreen Static { width: 100%; }
    """

    def __init__(self, run_dirs: list[str]) -> None:
        super().__init__()
        self.run_dirs = list(run_dirs)
        self.maps = False
        self._live = True

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="compare-body"):
            yield Static("", id="compare-title")
            yield Static("", id="compare-main")
        yield KeyBar()

    def on_mount(self) -> None:
        self.action_reload()
        self.set_interval(REFRESH_S, self._tick)
        self.query_one("#compare-body").focus()

    def _tick(self) -> None:
        if self._live:
            self.action_reload()

    def action_reload(self) -> None:
        from seqlab.errors import SeqlabError
        from seqlab.training.compare import load_compare_run

        runs = []
        for d in self.run_dirs:
            try:
                runs.append(load_compare_run(d))
            except SeqlabError:
                continue
        self._live = any(r.status in ("running", "paused") for r in runs)
        title = Text(f"comparing {len(runs)} runs · esc: back · m: maps/strips · "
                     "pgup/pgdn: scroll", style="dim")
        self.query_one("#compare-title", Static).update(title)
        width = max(40, self.size.width - 2)
        body: RenderableType
        if len(runs) < MIN_PINNED:
            body = Text("pin at least two runs (p in the Runs view) to compare them")
        else:
            body = Group(*compare_renderables(runs, maps=self.maps, width=width))
        self.query_one("#compare-main", Static).update(body)

    def action_toggle_maps(self) -> None:
        self.maps = not self.maps
        self.action_reload()

    def action_close(self) -> None:
        self.app.pop_screen()


class SweepsScreen(Screen):
    """Every sweep under the runs folder with its members; p pins a member, c compares."""

    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("p", "pin", "Pin"),
        Binding("c", "compare", "Compare"),
        Binding("r", "reload", "Refresh"),
    ]

    DEFAULT_CSS = """
    SweepsScreen #sweeps-table { height: 1fr; }
    """

    def __init__(self, runs_dir: str, pins: Pins) -> None:
        super().__init__()
        self.runs_dir = runs_dir
        self.pins = pins
        self.rows: list[str] = []  # run_dir per table row ("" for a sweep's header row)

    def compose(self) -> ComposeResult:
        yield Static("", id="sweeps-title")
        yield DataTable(id="sweeps-table", cursor_type="row")
        yield KeyBar()

    def on_mount(self) -> None:
        dt = self.query_one("#sweeps-table", DataTable)
        for col in ("", "trial", "model", "params", "ep", "val loss", "val MAE", "state"):
            dt.add_column(col)
        self.action_reload()
        self.set_interval(REFRESH_S, self.action_reload)
        dt.focus()

    def action_reload(self) -> None:
        from seqlab.render._text import fmt_sig
        from seqlab.training.sweep import list_sweeps, sweep_members

        dt = self.query_one("#sweeps-table", DataTable)
        cursor = dt.cursor_row
        dt.clear()
        self.rows = []
        sweeps = list_sweeps(self.runs_dir)
        for sweep_dir, spec in sweeps:
            members = sweep_members(sweep_dir, spec)
            done = sum(m["state"] in ("complete", "pruned", "finished") for m in members)
            total = len(spec.get("points") or []) or int(spec.get("trials") or 0) or len(members)
            head = Text(f"{Path(sweep_dir).name} · {spec.get('mode', '?')} · {done}/{total} done",
                        style="bold")
            dt.add_row(Text("▸"), head, *[Text("")] * 6)
            self.rows.append("")
            for m in members:
                val = m.get("val") or {}
                dt.add_row(Text(self.pins.mark(m["run_dir"])), Text(str(m["trial"])),
                           Text(m.get("model") or "—"),
                           Text(", ".join(f"{k}={v}" for k, v in (m.get("params") or {}).items()
                                          if k not in ("model",))[:24]),
                           Text(str(m.get("epochs") or "—")),
                           Text(fmt_sig(m.get("val_loss"), 3)),
                           Text(fmt_sig(val.get("mae"), 4)),
                           Text(str(m["state"])))
                self.rows.append(m["run_dir"])
        self.query_one("#sweeps-title", Static).update(Text(
            f"{len(sweeps)} sweep{'s' if len(sweeps) != 1 else ''} in {self.runs_dir} · "
            "p: pin · c: compare pinned · esc: back" if sweeps else
            f"No sweeps in {self.runs_dir} yet: seqlab sweep FILE --course runs one."))
        if 0 <= cursor < len(self.rows):
            dt.move_cursor(row=cursor)

    def _current(self) -> str:
        dt = self.query_one("#sweeps-table", DataTable)
        row = dt.cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else ""

    def action_pin(self) -> None:
        run_dir = self._current()
        if not run_dir:
            self.notify("highlight a member of a sweep to pin it", severity="warning")
            return
        self.notify(self.pins.toggle(run_dir))
        self.action_reload()

    def action_compare(self) -> None:
        if len(self.pins.dirs) < MIN_PINNED:
            self.notify("pin at least two runs (p) to compare them", severity="warning")
            return
        self.app.push_screen(CompareScreen(self.pins.dirs))

    def action_close(self) -> None:
        self.app.pop_screen()
