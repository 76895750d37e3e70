"""The key bar: the keys the focused view offers, drawn as one line of text.

Textual's `Footer` recomposes itself whenever the active bindings change (every view switch and
focus change): it mounts a widget per key, and each mount restyles it. While a run trains on a
2-core machine that costs more than the frame budget of a key press. This bar draws the same
line from the screen's active bindings with one widget, and redraws only when the line it would
show has changed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.screen import Screen
from textual.widget import Widget

# (key display, description, enabled) of each shown key; the palette key separately
Items = tuple[tuple[tuple[str, str, bool], ...], tuple[str, str] | None]


class KeyBar(Widget):
    """One line of `key description` pairs, like a compact Footer, for the screen it is on."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeyBar > .keybar--key { color: $footer-key-foreground; text-style: bold; }
    KeyBar > .keybar--description { color: $footer-description-foreground; }
    KeyBar > .keybar--disabled { color: $footer-description-foreground 45%; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "keybar--key", "keybar--description", "keybar--disabled",
    }

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self._items: Items = ((), None)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[Any]) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        items = self.items()
        if items != self._items:
            self._items = items
            self.refresh()

    def items(self) -> Items:
        """What the bar shows: the screen's shown bindings, one per action, in their order."""
        app = self.app
        seen: set[str] = set()
        keys: list[tuple[str, str, bool]] = []
        palette: tuple[str, str] | None = None
        for key, (_node, binding, enabled, _tooltip) in self.screen.active_bindings.items():
            if app.ENABLE_COMMAND_PALETTE and key == app.COMMAND_PALETTE_BINDING:
                palette = (app.get_key_display(binding), binding.description)
                continue
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            keys.append((app.get_key_display(binding), binding.description, bool(enabled)))
        return tuple(keys), palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        desc_style = self.get_component_rich_style("keybar--description")
        off_style = self.get_component_rich_style("keybar--disabled")
        keys, palette = self._items
        line = Text(no_wrap=True, overflow="crop", end="")
        for display, description, enabled in keys:
            line.append(display, off_style if not enabled else key_style)
            line.append(f" {description} ", off_style if not enabled else desc_style)
        if palette is not None:
            tail = Text.assemble(("▏", desc_style), (palette[0], key_style),
                                 (f" {palette[1]} ", desc_style))
            gap = self.size.width - line.cell_len - tail.cell_len
            if gap > 0:
                line.append(" " * gap)
                line.append_text(tail)
        return line
