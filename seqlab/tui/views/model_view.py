"""Model view: cell, size and training settings, refused at the field, and the data-flow line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Checkbox, Input, Select, Static

from seqlab.errors import SeqlabError
from seqlab.tui.messages import SettingsChanged
from seqlab.tui.views.forms import Field, FieldSpec, number_input, parse_field, settle_field
from seqlab.tui.views.lazy import LazyView, when_ready
from seqlab.wording import plural

if TYPE_CHECKING:
    from seqlab.tui.session import Session

# field id -> what it sets (the same table shape as the text mode's Model pane)
FIELDS: dict[str, FieldSpec] = {
    "layers": FieldSpec("model", "num_layers", int, "layers"),
    "hidden_size": FieldSpec("model", "hidden_size", int, "hidden"),
    "dropout": FieldSpec("model", "dropout", float, "dropout"),
    "lr": FieldSpec("train", "lr", float, "lr"),
    "batch": FieldSpec("train", "batch_size", int, "batch"),
    "epochs": FieldSpec("train", "epochs", int, "epochs"),
    "patience": FieldSpec("train", "patience", int, "patience"),
    "seed": FieldSpec("train", "seed", int, "seed"),
}

CELL_NOTES = {
    "rnn": "RNN: h_t = tanh(W·x_t + U·h_{t−1} + b). One gate's worth of weights, shared by every "
    "timestep. Gradients through many tanh steps shrink: watch the strip in the Hidden view.",
    "lstm": "LSTM: a cell state c_t carried by gates i, f, g, o (4× the RNN's weights). The forget "
    "gate f lets gradients flow over long windows.",
    "gru": "GRU: gates r, z and candidate n (3× the RNN's weights), no separate cell state. "
    "On CPU it is the slowest cell (no fused kernel).",
}


class ModelView(LazyView):
    def __init__(self, session: Session) -> None:
        super().__init__("2 Model", id="model")
        self.session = session  # read here; changes go through session.apply + a message up

    def _change(self, section: str, **changes: Any) -> str | None:
        """Apply model / train settings; the reason when refused. The app redraws the rest."""
        reason = self.session.apply(section, **changes)
        if reason is None:
            self.post_message(SettingsChanged(section))
        return reason

    def build(self) -> ComposeResult:
        with Horizontal():
            with VerticalScroll(id="model-form", classes="form"):
                yield Field("cell", Select([("LSTM", "lstm"), ("GRU", "gru"), ("RNN", "rnn")],
                                           id="cell", compact=True, allow_blank=False))
                yield Field("direction", Checkbox("bidirectional", id="bidirectional",
                                                  compact=True),
                            help_text="Also read each window backwards: doubles the weights.")
                for fid, spec in FIELDS.items():
                    yield Field(spec.label[:10], number_input(fid, spec))
                yield Field("device", Select([(d, d) for d in ("auto", "cpu", "cuda")],
                                             id="device", compact=True, allow_blank=False))
            with VerticalScroll(id="model-info"):
                yield Static("", id="model-flow")
                yield Static("", id="model-params")
                yield Static("", id="model-note")

    @when_ready
    def sync(self) -> None:
        cfg = self.session.cfg
        self.query_one("#cell", Select).value = cfg.model.cell
        self.query_one("#bidirectional", Checkbox).value = cfg.model.bidirectional
        for fid, (sec, attr, _p, _l) in FIELDS.items():
            self.query_one(f"#{fid}", Input).value = _fmt(getattr(getattr(cfg, sec), attr))
        dev = cfg.train.device if cfg.train.device in ("auto", "cpu", "cuda") else "auto"
        self.query_one("#device", Select).value = dev
        for f in self.query(Field):
            f.set_error(None)
        self.refresh_derived()

    @when_ready
    def refresh_derived(self) -> None:
        s = self.session
        flow, params = s.describe_model()
        m = s.cfg.model
        self.query_one("#model-flow", Static).update(Text.assemble(("Data flow", "bold"), "\n" + flow))
        per = ""
        if m.num_layers > 1 or m.bidirectional:
            per = f"  ({m.num_layers} layer{'s' if m.num_layers > 1 else ''}" + (
                ", 2 directions)" if m.bidirectional else ")"
            )
        self.query_one("#model-params", Static).update(f"[b]Parameters[/b] {params:,}{per}")
        t = s.cfg.train
        note = CELL_NOTES[m.cell]
        if m.bidirectional:
            note += " Bidirectional: two RNNs, twice the parameters and time per step."
        if m.dropout > 0 and m.num_layers == 1:
            note += " Dropout acts between layers only: with 1 layer it has no effect."
        self.query_one("#model-note", Static).update(
            f"{note}\n\n[dim]lr {t.lr:g} · batch {t.batch_size} · up to {plural(t.epochs, 'epoch')} · "
            f"stop after {t.patience or '∞'} without improvement · seed {t.seed}[/dim]"
        )

    def _field(self, widget: Any) -> Field:
        return next(a for a in widget.ancestors if isinstance(a, Field))

    def _parse(self, fid: str, text: str) -> Any:
        return parse_field(FIELDS[fid], text)

    @on(Input.Changed, "#model-form Input")
    def _input_changed(self, event: Input.Changed) -> None:
        """Check as the user types (the reason shows at the field); apply only on enter/leave."""
        fid = event.input.id or ""
        sec, attr, _parser, _label = FIELDS[fid]
        try:
            value = self._parse(fid, event.value)
            self.session.check_setting(sec, **{attr: value})
        except (SeqlabError, ValueError, TypeError) as exc:
            self._field(event.input).set_error(str(exc))
        else:
            self._field(event.input).set_error(None)

    @on(Input.Submitted, "#model-form Input")
    def _input_submitted(self, event: Input.Submitted) -> None:
        self.commit(event.input, restore=False)

    @on(Input.Blurred, "#model-form Input")
    def _input_blurred(self, event: Input.Blurred) -> None:
        self.commit(event.input, restore=True)

    @when_ready
    def commit(self, inp: Input, *, restore: bool) -> bool:
        """Apply the field's value; when refused, say why (and on leaving the field, put back
        the value in use). True when the value in use now matches the field."""
        fid = inp.id or ""
        sec, attr, _parser, label = FIELDS[fid]
        field = self._field(inp)
        current = getattr(getattr(self.session.cfg, sec), attr)
        try:
            value = self._parse(fid, inp.value)
        except ValueError as exc:
            reason: str | None = str(exc)
        else:
            reason = None if value == current else self._change(sec, **{attr: value})
        return settle_field(self, inp, field, reason, label, _fmt(current), restore=restore)

    @on(Select.Changed, "#cell")
    def _cell(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and event.value != self.session.cfg.model.cell:
            self._field(event.select).set_error(self._change("model", cell=event.value))

    @on(Select.Changed, "#device")
    def _device(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and event.value != self.session.cfg.train.device:
            self._field(event.select).set_error(
                self._change("train", device=event.value)
            )

    @on(Checkbox.Changed, "#bidirectional")
    def _bi(self, event: Checkbox.Changed) -> None:
        if event.value != self.session.cfg.model.bidirectional:
            self._field(event.checkbox).set_error(
                self._change("model", bidirectional=event.value)
            )


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)
