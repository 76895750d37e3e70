"""Data view: the file, its preview, the window/split/scaling settings, live shapes and a plot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Select, SelectionList, Static

from seqlab.config import DIFFERENCING, MISSING_POLICIES, X_SCALINGS, Y_SCALINGS
from seqlab.errors import SeqlabError
from seqlab.tui.messages import SettingsChanged
from seqlab.tui.views.forms import Field, settle_field
from seqlab.tui.views.lazy import LazyView, when_ready
from seqlab.tui.widgets.plots import PlotView, Series

if TYPE_CHECKING:
    import numpy as np
else:
    from seqlab.lazy import numpy as np

if TYPE_CHECKING:
    from seqlab.tui.session import Session

INT_FIELDS = ("window", "horizon", "stride", "season")
NONE = "-"  # the Select value for "not set" (series id, aggregate)


class DataView(LazyView):
    """Everything about turning the file into windows."""

    def __init__(self, session: Session) -> None:
        super().__init__("1 Data", id="data")
        self.session = session  # read here; changes go through session.apply + a message up

    def build(self) -> ComposeResult:
        with VerticalScroll(id="data-form", classes="form"):
            yield Static("no file loaded — ctrl+o to open one", id="data-file")
            yield Field("target", Select([], id="target", compact=True, allow_blank=True,
                                         prompt="(load a file)"),
                        help_text="The column to forecast.")
            yield Field("features", SelectionList[str](id="features", compact=True),
                        help_text="Input columns (space toggles). The target's own past is usual.")
            yield Field("window", Input("12", id="window", restrict=r"-?[0-9]*", compact=True),
                        help_text="Timesteps the network reads before each forecast.")
            yield Field("horizon", Input("1", id="horizon", restrict=r"-?[0-9]*", compact=True),
                        help_text="How many steps ahead to forecast.")
            yield Field("stride", Input("1", id="stride", restrict=r"-?[0-9]*", compact=True),
                        help_text="Rows between window starts.")
            yield Field("split", Input("0.70,0.15,0.15", id="split", compact=True),
                        help_text="train,val,test fractions, in time order.")
            yield Field("missing", Select([(m, m) for m in MISSING_POLICIES], id="missing",
                                          compact=True, allow_blank=False),
                        help_text="What to do with empty cells.")
            yield Field("scale X", Select([(m, m) for m in X_SCALINGS], id="scale_x",
                                          compact=True, allow_blank=False),
                        help_text="Scaling of the inputs, fit on training rows only.")
            yield Field("scale y", Select([(m, m) for m in Y_SCALINGS], id="scale_y",
                                          compact=True, allow_blank=False),
                        help_text="Scaling of the target (auto: when inputs are scaled).")
            yield Field("difference", Select([(m, m) for m in DIFFERENCING], id="difference",
                                             compact=True, allow_blank=False),
                        help_text="Model y_t − y_(t−1) instead of the level. auto: when the "
                                  "training rows fail a unit-root test (trend, level shift).")
            yield Field("season", Input("0", id="season", restrict=r"-?[0-9]*", compact=True),
                        help_text="Seasonal period of the seasonal-naive baseline and MASE; "
                                  "0: from the time column (monthly 12, daily 7, ...).")
            yield Field("series id", Select([("(one series)", NONE)], id="series_id",
                                            compact=True, allow_blank=False),
                        help_text="Long format (timestamps repeat): the column telling the "
                                  "series apart; one model learns from all of them.")
            yield Field("aggregate", Select([("no", NONE), ("sum", "sum"), ("mean", "mean")],
                                            id="aggregate", compact=True, allow_blank=False),
                        help_text="Long format: sum or average the rows of each timestamp "
                                  "into one series instead.")
        with Vertical(id="data-right"):
            yield Static("", id="data-shapes")
            with VerticalScroll(id="data-notes"):
                yield Static("", id="data-notes-text")
            yield PlotView(id="target-plot")
            yield DataTable(id="preview", zebra_stripes=True, cursor_type="none")

    # -- from session to widgets ---------------------------------------------------------------
    @when_ready
    def sync(self) -> None:
        """Show the session's table and settings (after a file was opened or a run loaded)."""
        s = self.session
        d = s.cfg.data
        table = s.table
        if table is not None:
            target = self.query_one("#target", Select)
            target.set_options([(Text(c), c) for c in table.numeric_columns])
            if d.target in table.numeric_columns:
                target.value = d.target
            feats = self.query_one("#features", SelectionList)
            feats.clear_options()
            chosen = d.features if d.features is not None else table.numeric_columns
            feats.add_options([(Text(c), c, c in chosen) for c in table.numeric_columns])
            series = self.query_one("#series_id", Select)
            series.set_options([("(one series)", NONE)] + [
                (Text(c), c) for c, k in table.column_kinds.items() if k != "time"])
            series.value = d.series_id if d.series_id in table.column_kinds else NONE
            self._fill_preview(table)
        self.query_one("#window", Input).value = str(d.window)
        self.query_one("#horizon", Input).value = str(d.horizon)
        self.query_one("#stride", Input).value = str(d.stride)
        self.query_one("#split", Input).value = ",".join(f"{f:g}" for f in d.split)
        self.query_one("#missing", Select).value = d.missing
        self.query_one("#scale_x", Select).value = d.scale_x
        self.query_one("#scale_y", Select).value = d.scale_y
        self.query_one("#difference", Select).value = d.difference
        self.query_one("#season", Input).value = str(d.season)
        self.query_one("#aggregate", Select).value = d.aggregate or NONE
        for f in self.query(Field):
            f.set_error(None)
        self.refresh_derived()

    @when_ready
    def refresh_derived(self) -> None:
        """Shapes, notes and the target plot for the current windows."""
        s = self.session
        table, prep = s.table, s.prepared
        if table is None:
            return
        kinds = table.column_kinds
        from pathlib import Path

        # Text, not markup: file and column names may hold square brackets.
        info = Text.assemble((Path(table.path).name, "bold"), f"  {len(table.frame)} rows")
        if table.time_column:
            info.append(f" · time: {table.time_column}")
        info.append(f" · {sum(1 for k in kinds.values() if k == 'numeric')} numeric")
        self.query_one("#data-file", Static).update(info)
        if prep is None:
            remedy = ("No windows: choose 'series id' or 'aggregate' (left)."
                      if "long format" in (s.problem or "") else
                      "No windows: choose drop, ffill or interpolate in 'missing' (left).")
            self.query_one("#data-shapes", Static).update(Text(remedy, "bold yellow"))
            self.query_one("#data-notes-text", Static).update(Text(s.problem or "", "yellow"))
            self.query_one("#target-plot", PlotView).data = {
                "series": [], "empty": s.problem or "No windows yet."}
            return
        shapes = prep.shapes()
        line = Text()
        for k, v in shapes.items():
            line.append(f"{k} ").append(f"({','.join(map(str, v))})", "bold").append("  ")
        line.append("(samples,timesteps,features)", "dim")
        self.query_one("#data-shapes", Static).update(line)
        self.query_one("#data-notes-text", Static).update(notes_text(prep))
        self.query_one("#target-plot", PlotView).data = self._target_plot(table, prep)

    def _target_plot(self, table: Any, prep: Any) -> dict[str, Any]:
        d = self.session.cfg.data
        col = d.target or table.numeric_columns[0]
        y = np.asarray(table.frame[col], dtype=float)
        offset = len(table.frame) - len(prep.time_labels)
        vlines: list[tuple[float, str]] = []
        for name, split in (("val", prep.val), ("test", prep.test)):
            if len(split.starts):
                vlines.append((float(split.starts[0] + prep.window + offset), name))
        labels = list(table.time_labels)
        return {
            "series": [Series(col, np.arange(len(y), dtype=float), y, "cyan")],
            "vlines": vlines,
            "x_labels": labels,
            "title": f"{col} — train | val | test",
        }

    def _fill_preview(self, table: Any) -> None:
        dt = self.query_one("#preview", DataTable)
        dt.clear(columns=True)
        short = {"time": "time", "numeric": "num", "text": "text"}
        cols = list(table.frame.columns)
        for c in cols:
            dt.add_column(Text(f"{c} ({short.get(table.column_kinds.get(c, ''), '?')})"), key=str(c))
        for row in table.frame.head(12).itertuples(index=False):
            dt.add_row(*[Text(_cell(v)) for v in row])

    # -- from widgets to session -----------------------------------------------------------
    def _field(self, widget: Any) -> Field:
        return next(a for a in widget.ancestors if isinstance(a, Field))

    def _apply(self, widget: Any, **changes: Any) -> None:
        self._field(widget).set_error(self._change(**changes))

    def _change(self, **changes: Any) -> str | None:
        """Apply data settings; the reason when refused. The app redraws what depends on them."""
        reason = self.session.apply("data", **changes)
        if reason is None:
            self.post_message(SettingsChanged("data"))
        return reason

    def _parse(self, name: str, text: str) -> Any:
        """The typed value, or ValueError with the reason."""
        if name in INT_FIELDS:
            try:
                return int(text.strip())
            except ValueError:
                raise ValueError(f"{name} needs a whole number.") from None
        return parse_split(text)

    @on(Input.Changed, "#data-form Input")
    def _input_changed(self, event: Input.Changed) -> None:
        """Check as the user types (the reason shows at the field); apply only on enter/leave."""
        name = event.input.id or ""
        try:
            value = self._parse(name, event.value)
            self.session.check_data(**{name: value})
        except SeqlabError as exc:
            self._field(event.input).set_error(str(exc))
        except ValueError as exc:
            self._field(event.input).set_error(str(exc))
        else:
            self._field(event.input).set_error(None)

    @on(Input.Submitted, "#data-form Input")
    def _input_submitted(self, event: Input.Submitted) -> None:
        self.commit(event.input, restore=False)

    @on(Input.Blurred, "#data-form Input")
    def _input_blurred(self, event: Input.Blurred) -> None:
        self.commit(event.input, restore=True)

    @when_ready
    def commit(self, inp: Input, *, restore: bool) -> bool:
        """Apply the field's value; when refused, say why (and on leaving the field, put back
        the value in use). True when the value in use now matches the field."""
        name = inp.id or ""
        field = self._field(inp)
        current = getattr(self.session.cfg.data, name)
        try:
            value = self._parse(name, inp.value)
        except ValueError as exc:
            reason: str | None = str(exc)
        else:
            reason = None if value == current else self._change(**{name: value})
        return settle_field(self, inp, field, reason, name, _show(current), restore=restore)

    @on(Select.Changed, "#data-form Select")
    def _select_changed(self, event: Select.Changed) -> None:
        if event.value is Select.NULL:
            return
        name = event.select.id or ""
        value = None if event.value == NONE else event.value
        if getattr(self.session.cfg.data, name, None) == value:
            return
        if name in ("series_id", "aggregate"):  # one or the other
            other = "aggregate" if name == "series_id" else "series_id"
            changes = {name: value, **({other: None} if value is not None else {})}
            self._apply(event.select, **changes)
            if value is not None:
                self.query_one(f"#{other}", Select).value = NONE
            self.refresh_derived()
            return
        self._apply(event.select, **{name: value})
        if name == "target":
            self.refresh_derived()


    @on(SelectionList.SelectedChanged, "#features")
    def _features_changed(self, event: SelectionList.SelectedChanged) -> None:
        table = self.session.table
        if table is None:
            return
        chosen = list(event.selection_list.selected)
        if not chosen:
            self._field(event.selection_list).set_error("choose at least one feature.")
            return
        value = None if set(chosen) == set(table.numeric_columns) else chosen
        if self.session.cfg.data.features != value:
            self._apply(event.selection_list, features=value)


def notes_text(prep: Any) -> Text:
    """Every note prepare produced, one per line; the differencing choice first, warnings in
    yellow. Text, not markup: notes hold column names."""
    out = Text()
    notes = list(prep.notes)
    first = [n for n in notes if "differencing" in n]
    for i, note in enumerate(first + [n for n in notes if n not in first]):
        if i:
            out.append("\n")
        style = "yellow" if note.startswith("warning") else ("bold" if note in first else "dim")
        out.append("· " + note, style)
    return out


def parse_split(text: str) -> tuple[float, float, float]:
    parts = [p for p in text.replace("/", ",").replace(" ", ",").split(",") if p]
    if len(parts) != 3:
        raise ValueError("split needs three fractions: train,val,test (e.g. 0.7,0.15,0.15).")
    try:
        vals = tuple(float(p) for p in parts)
    except ValueError:
        raise ValueError("split fractions must be numbers like 0.7,0.15,0.15.") from None
    if all(v > 1 for v in vals):  # percentages
        vals = tuple(v / 100 for v in vals)
    return vals  # type: ignore[return-value]


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:.6g}"
    return str(v)


def _show(v: Any) -> str:
    if isinstance(v, tuple):
        return ",".join(f"{x:g}" for x in v)
    return str(v)
