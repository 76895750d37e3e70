"""Messages the training client posts to the app. High-rate ones may be replaced in the queue."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class TrainEvent(Message):
    """One decoded engine event (seqlab.training.events) from the worker process."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        # Only the newest step / probe snapshot needs drawing; epochs and run ends are all kept.
        name = type(self.event).__name__
        return (
            isinstance(message, TrainEvent)
            and name in ("StepEnd", "ProbeSnapshot")
            and type(message.event).__name__ == name
        )


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
