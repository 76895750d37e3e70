"""The lab's messages, series and text alike: dataclasses, dispatched by type.

Two directions:

* from the run controller (and the model services) to the app: :class:`RunEvent`,
  :class:`RunAttached`, :class:`RunFailed`, :class:`RunExited`, :class:`ModelReply`, :class:`ModelServiceExited`;
* from views up to the app, which owns the controller and hands state down:
  :class:`StartRun`, :class:`StopRun`, :class:`WatchSample`, :class:`OpenRun`,
  :class:`SettingsChanged`. Views never import the app.

High-rate ones (steps, probe snapshots) define ``can_replace`` so that only the newest waits in
the queue; the controller folds every event into the run state before posting, so coalescing
drops redraws, never data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from seqlab.training.events import ProbeSnapshot, StepEnd

COALESCED = (StepEnd, ProbeSnapshot)


def newest_only(new_event: Any, queued_event: Any) -> bool:
    """Only the newest step / probe snapshot needs drawing; epochs and run ends are all kept."""
    return isinstance(new_event, COALESCED) and type(queued_event) is type(new_event)


@dataclass(eq=False)
class RunEvent(Message):
    """One engine event of the run the controller follows for ``kind`` ("series" | "text");
    ``event`` None: only the run's status changed (paused / resumed)."""

    kind: str
    event: Any

    def can_replace(self, message: Message) -> bool:
        return (isinstance(message, RunEvent) and message.kind == self.kind
                and newest_only(self.event, message.event))


@dataclass(eq=False)
class RunAttached(Message):
    """The controller has replayed the log of the run it now follows for ``kind``: draw it
    whole (live events follow as :class:`RunEvent`)."""

    kind: str
    run_dir: str


@dataclass(eq=False)
class RunFailed(Message):
    """The run could not start, or its process died without a final status: one line."""

    kind: str
    reason: str


@dataclass(eq=False)
class RunExited(Message):
    """The controller stopped following the run of ``kind`` (it ended, or was let go)."""

    kind: str
    run_dir: str
    status: str


@dataclass(eq=False)
class StartRun(Message):
    """A view asks for a run: ``config`` is a validated RunConfig / TextRunConfig."""

    kind: str
    config: Any


@dataclass(eq=False)
class StopRun(Message):
    """A view asks to stop the run it shows (after the current batch; the run is kept)."""

    kind: str


@dataclass(eq=False)
class WatchSample(Message):
    """A view asks to watch validation sample ``sample`` (of a live run: from its next probe)."""

    kind: str
    sample: int


@dataclass(eq=False)
class OpenRun(Message):
    """The user chose a run directory to look at (the app decides: follow it or read it)."""

    run_dir: str


@dataclass(eq=False)
class SettingsChanged(Message):
    """A view has applied "data", "model" or "train" settings to the session."""

    section: str


@dataclass(eq=False)
class ModelReply(Message, bubble=False):
    """One answer of a finished run's model service (a ProbeSnapshot or a dict with "type")."""

    run_dir: str
    reply: Any


@dataclass(eq=False)
class ModelServiceExited(Message, bubble=False):
    """A model service has exited (``reason`` when unexpectedly); ``service`` is which one."""

    run_dir: str
    reason: str = ""
    service: Any = None
