"""Widgets whose drawing is kept until their content changes.

A plot or a hidden-state map is drawn in Python, cell by cell (a heatmap of 24 timesteps × 64
units is ~1,500 styled cells). Textual draws a widget again whenever it is shown: switching to
the Hidden view redrew the map from its values on every visit, which alone took longer than a
frame while a run trained. A ``LineCached`` widget renders its content once per change (and
per size and base style) into strips and serves every later frame from them.

Subclasses implement ``content()`` (a Rich renderable for the widget's current size) and call
``redraw()`` whenever what ``content()`` would return has changed.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from rich.segment import Segment
from textual import events
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


class LineCached(Widget):
    """Draws ``content()`` into strips once per ``redraw()`` (and size), then reuses them."""

    _version = 0
    _key: tuple[Any, ...] | None = None
    _strips: list[Strip] = []
    _blank = Strip([])

    def content(self) -> Any:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def redraw(self) -> None:
        """The content changed: draw it again at the next frame."""
        self._version += 1
        self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        # checked once per frame, not per line: the widget's style walks its ancestors
        width, height = self.size
        style = self.rich_style
        key = (self._version, width, height, style)
        if key != self._key:
            self._strips = self._draw(width, height, style) if width > 0 and height > 0 else []
            self._key = key
            self._blank = Strip.blank(width, style)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        if y < len(self._strips):
            return self._strips[y]
        return self._blank

    # Focus changes nothing this widget draws, but Textual's own focus handlers repaint the
    # whole widget (each visit of a view focuses its map). Style changes from `:focus` rules
    # still repaint it, through the stylesheet.
    def _on_focus(self, event: events.Focus) -> None:
        event.prevent_default()
        self.has_focus = True
        if self.parent is not None:
            self.parent.post_message(events.DescendantFocus(self))

    def _on_blur(self, event: events.Blur) -> None:
        event.prevent_default()
        self.has_focus = False
        if self.parent is not None:
            self.parent.post_message(events.DescendantBlur(self))

    def _draw(self, width: int, height: int, style: Any) -> list[Strip]:
        console = self.app.console
        options = self.app.console_options.update(highlight=False, width=width, height=height)
        renderable = self.post_render(self.content(), style)
        segments = console.render(renderable, options.update_width(width))
        lines = Segment.split_and_crop_lines(segments, width, include_new_lines=False, pad=True,
                                             style=style)
        return [Strip(line, width) for line in islice(lines, height)]
