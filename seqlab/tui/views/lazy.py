"""Views whose widgets are mounted after the lab's first frame.

Mounting and styling the five views' ~300 widgets took several times as long as a bare Textual
app's whole start, and a learner saw nothing meanwhile. A ``LazyView`` composes nothing until
the app calls ``populate()`` after the first frame; until then its public methods do nothing
(``@when_ready``), and the app brings each view up to date once it is populated.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from textual.app import ComposeResult
from textual.widgets import TabPane

F = TypeVar("F", bound=Callable[..., Any])


def when_ready(method: F) -> F:
    """Skip ``method`` (returning None) while the view's widgets are not mounted yet, or are
    being taken down as the app quits (run events still arrive then)."""

    @functools.wraps(method)
    def wrapper(self: LazyView, *args: Any, **kwargs: Any) -> Any:
        if not self.live:
            return None
        return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class LazyView(TabPane):
    """A tab whose children come from ``build()``, mounted by ``populate()``."""

    ready = False  # the widgets are mounted: the view's methods may use them
    _built = False  # compose() yields the widgets

    def build(self) -> ComposeResult:  # pragma: no cover - every view overrides it
        raise NotImplementedError
        yield

    def compose(self) -> ComposeResult:
        if self._built:
            yield from self.build()

    async def populate(self) -> None:
        """Mount the view's widgets (once)."""
        if self._built:
            return
        self._built = True
        await self.recompose()
        self.ready = True
        self.populated()
        if getattr(self.parent, "current", None) == self.id and hasattr(self, "on_show"):
            self.on_show()  # shown before its widgets were there: do now what showing does

    def populated(self) -> None:
        """The widgets are mounted: what ``on_mount`` would do with them."""

    @property
    def live(self) -> bool:
        """The widgets are mounted and not being taken down (the app is quitting)."""
        app = self.app
        return self.ready and not (self._closing or self._pruning or app._closing or app._exit)
