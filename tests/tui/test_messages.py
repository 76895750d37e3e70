"""High-rate events coalesce in the message queue; epoch and run-end events never do."""

from __future__ import annotations

import numpy as np

from seqlab.training.events import EpochEnd, ProbeSnapshot, RunEnd, StepEnd
from seqlab.tui.messages import TrainEvent
from seqlab.tui.text.messages import TextTrainEvent


def _step(n: int) -> StepEnd:
    return StepEnd(1, n, 10, n, 0.5, 100.0)


def _probe() -> ProbeSnapshot:
    return ProbeSnapshot(1, "val", 0, ["a"], {"h/0/fwd": np.zeros((1, 2), np.float32)},
                         {"0/fwd": np.zeros(1, np.float32)}, 0.1, 0.0)


def test_newer_step_and_probe_replace_queued_ones_of_their_kind() -> None:
    for cls in (TrainEvent, TextTrainEvent):
        assert cls(_step(2)).can_replace(cls(_step(1)))
        assert cls(_probe()).can_replace(cls(_probe()))
        assert not cls(_step(2)).can_replace(cls(_probe()))


def test_epochs_and_run_end_are_all_kept() -> None:
    epoch = EpochEnd(1, 5, 0.1, 0.2, {}, True, 1.0, 10.0, 4.0)
    end = RunEnd("finished", "", "", 1, 1, 1.0, {})
    for cls in (TrainEvent, TextTrainEvent):
        assert not cls(epoch).can_replace(cls(epoch))
        assert not cls(end).can_replace(cls(_step(1)))
        assert not cls(_step(2)).can_replace(cls(epoch))
    assert not TrainEvent(_step(2)).can_replace(TextTrainEvent(_step(1)))
