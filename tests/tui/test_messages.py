"""The lab's messages: high-rate events coalesce in the queue (per run kind); epoch and run-end
events never do; dispatch is by type."""

from __future__ import annotations

import numpy as np

from seqlab.training.events import EpochEnd, ProbeSnapshot, RunEnd, StepEnd
from seqlab.tui.messages import RunEvent, newest_only


def _step(n: int) -> StepEnd:
    return StepEnd(1, n, 10, n, 0.5, 100.0)


def _probe() -> ProbeSnapshot:
    return ProbeSnapshot(1, "val", 0, ["a"], {"h/0/fwd": np.zeros((1, 2), np.float32)},
                         {"0/fwd": np.zeros(1, np.float32)}, 0.1, 0.0)


def test_newer_step_and_probe_replace_queued_ones_of_their_kind() -> None:
    for kind in ("series", "text"):
        assert RunEvent(kind, _step(2)).can_replace(RunEvent(kind, _step(1)))
        assert RunEvent(kind, _probe()).can_replace(RunEvent(kind, _probe()))
        assert not RunEvent(kind, _step(2)).can_replace(RunEvent(kind, _probe()))


def test_epochs_and_run_end_are_all_kept() -> None:
    epoch = EpochEnd(1, 5, 0.1, 0.2, {}, True, 1.0, 10.0, 4.0)
    end = RunEnd("finished", "", "", 1, 1, 1.0, {})
    for kind in ("series", "text"):
        assert not RunEvent(kind, epoch).can_replace(RunEvent(kind, epoch))
        assert not RunEvent(kind, end).can_replace(RunEvent(kind, _step(1)))
        assert not RunEvent(kind, _step(2)).can_replace(RunEvent(kind, epoch))


def test_a_series_step_never_replaces_a_text_step() -> None:
    assert not RunEvent("series", _step(2)).can_replace(RunEvent("text", _step(1)))


def test_coalescing_is_by_type_not_by_name() -> None:
    class StepEndLookalike:  # same class name, another type
        pass

    StepEndLookalike.__name__ = "StepEnd"
    assert not newest_only(StepEndLookalike(), _step(1))
    assert not newest_only(_step(1), StepEndLookalike())
