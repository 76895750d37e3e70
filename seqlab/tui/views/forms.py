"""Small form helpers: a labelled one-line field with an inline reason when a value is refused."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Label, Static


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
