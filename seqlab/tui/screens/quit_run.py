"""Quitting while a run trains: keep it running (the default) or stop it, asked once."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class QuitRunScreen(ModalScreen[str | None]):
    """Dismissed with "keep", "stop", or None (escape: do not quit)."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("k", "dismiss('keep')", "Keep running"),
        Binding("s", "dismiss('stop')", "Stop it"),
    ]
    DEFAULT_CSS = """
    QuitRunScreen { align: center middle; }
    QuitRunScreen > Vertical { width: 64; height: auto; background: $surface;
        border: round $accent; padding: 0 1; }
    QuitRunScreen Label { width: 1fr; margin-bottom: 1; }
    QuitRunScreen Horizontal { height: auto; align-horizontal: center; }
    QuitRunScreen Button { margin: 0 1; }
    """

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names

    def compose(self) -> ComposeResult:
        which = ", ".join(self.names) if self.names else "a run"
        runs = "runs are" if len(self.names) > 1 else "run is"
        with Vertical():
            yield Label(f"The {runs} still training: {which}.", markup=False)
            yield Label("Keep training after the lab closes (seqlab attach reopens it), or stop "
                        "it now (the run is saved as stopped)?")
            with Horizontal():
                yield Button("Keep it running", id="keep", variant="primary")
                yield Button("Stop it", id="stop", variant="error")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()  # Enter keeps it: the safe answer

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)
