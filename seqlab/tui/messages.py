"""Messages the training client posts to the app. High-rate ones may be replaced in the queue."""

from __future__ import annotations

from typing import Any

from textual.message import Message

COALESCED = ("StepEnd", "ProbeSnapshot")


def newest_only(new_event: Any, queued_event: Any) -> bool:
    """Only the newest step / probe snapshot needs drawing; epochs and run ends are all kept."""
    name = type(new_event).__name__
    return name in COALESCED and type(queued_event).__name__ == name


class TrainEvent(Message):
    """One decoded engine event (seqlab.training.events) from the worker process."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TrainEvent) and newest_only(self.event, message.event)


class TrainFailed(Message):
    """The worker died or could not start; reason is one line for a notification."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class TrainFinished(Message):
    """The worker process has exited (after its RunEnd, if it sent one)."""

    def __init__(self, returncode: int | None) -> None:
        super().__init__()
        self.returncode = returncode
