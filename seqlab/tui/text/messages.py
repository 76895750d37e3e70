"""Messages the text view's child-process readers post to it."""

from __future__ import annotations

from typing import Any

from textual.message import Message

from seqlab.tui.messages import newest_only


class TextTrainEvent(Message, bubble=False):
    """One decoded engine event from the text training worker.

    Steps and probe snapshots replace an older one of their kind still waiting in the queue
    (the reader has already folded every event into the run state).
    """

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TextTrainEvent) and newest_only(self.event, message.event)


class TextTrainExited(Message, bubble=False):
    """The worker has exited; ``reason`` is set when it died without a RunEnd."""

    def __init__(self, returncode: int | None, reason: str = "") -> None:
        super().__init__()
        self.returncode = returncode
        self.reason = reason


class ServiceReply(Message, bubble=False):
    """One answer of the language-model service (a ProbeSnapshot or a dict with "type")."""

    def __init__(self, reply: Any, run_dir: str) -> None:
        super().__init__()
        self.reply = reply
        self.run_dir = run_dir


class ServiceExited(Message, bubble=False):
    """The language-model service has exited (``reason`` when unexpected)."""

    def __init__(self, run_dir: str, reason: str = "", service: Any = None) -> None:
        super().__init__()
        self.run_dir = run_dir
        self.reason = reason
        self.service = service
