"""Small form helpers: the field table shared by the settings forms (the Model view and the
text mode's Model pane), and a labelled one-line field with an inline reason when a value is
refused."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Static

INT_RE = r"-?[0-9]*"
FLOAT_RE = r"[0-9.eE+-]*"


class FieldSpec(NamedTuple):
    """One number field of a settings form: which config section and attribute it sets."""

    section: str  # "data", "text", "model" or "train"
    attr: str
    parser: type  # int or float
    label: str


def number_input(fid: str, spec: FieldSpec, value: str = "") -> Input:
    """The Input of a number field (typing is restricted to what the parser can read)."""
    return Input(value, id=fid, restrict=INT_RE if spec.parser is int else FLOAT_RE,
                 compact=True)


def parse_field(spec: FieldSpec, text: str) -> Any:
    """The typed value, or ValueError with the one-line reason."""
    try:
        value = spec.parser(text.strip())
    except ValueError:
        kind = "a whole number" if spec.parser is int else "a number"
        raise ValueError(f"{spec.label} must be {kind}.") from None
    if spec.parser is float and not math.isfinite(value):
        raise ValueError(f"{spec.label} must be a finite number.")
    return value


class Field(Vertical):
    """``label  [control]`` on one line, and beneath it the reason when the value is refused."""

    DEFAULT_CSS = """
    Field { height: auto; }
    Field > Horizontal { height: auto; }
    Field .field-label { width: 11; padding-right: 1; color: $text-muted; }
    Field .field-error { color: $error; display: none; padding-left: 11; }
    Field.-invalid .field-error { display: block; }
    """

    def __init__(self, label: str, control: Widget, *, help_text: str = "", **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.label = label
        self.control = control
        if help_text:
            control.tooltip = help_text

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.label, classes="field-label")
            yield self.control
        yield Static("", classes="field-error")

    def set_error(self, reason: str | None) -> None:
        self.set_class(bool(reason), "-invalid")
        self.query_one(".field-error", Static).update(Text(reason or ""))  # data-derived: no markup


def settle_field(app: Any, inp: Input, field: Field, reason: str | None, label: str, kept: str,
                 *, restore: bool) -> bool:
    """After applying a field's value: clear the error, or say why it was refused.

    On leaving the field (``restore``) the value in use is put back; on Enter the typed value
    stays with the reason beneath it. True when the value in use matches the field.
    """
    if reason is None:
        field.set_error(None)
        return True
    if restore:
        inp.value = kept
        field.set_error(None)
        app.notify(f"{reason} Kept {label} = {kept}.", title="Setting refused",
                   severity="warning", markup=False)
    else:
        field.set_error(reason)
        app.notify(f"{reason} Still using {label} = {kept} (leaving the field puts it back).",
                   title="Setting refused", severity="warning", markup=False)
    return False
