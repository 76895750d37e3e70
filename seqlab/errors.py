"""Errors a user can act on.

Every error the engine raises for bad input is a :class:`SeqlabError` whose message is one line
saying what is wrong and what to do. Front ends show the message (CLI: stderr + exit code 2,
TUI: a notification) and never a traceback.
"""

from __future__ import annotations


class SeqlabError(Exception):
    """A problem with the user's input or settings, described in one actionable line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))

    @property
    def message(self) -> str:
        return str(self)


class DataError(SeqlabError):
    """The data file or the data settings cannot be used."""


class ConfigError(SeqlabError):
    """A model / training setting is invalid."""
