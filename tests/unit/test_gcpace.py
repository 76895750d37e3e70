"""The lab's collector pacing: young collections every tick, older ones only between keys."""

from __future__ import annotations

import gc

import pytest

from seqlab.tui import gcpace
from seqlab.tui.gcpace import GCPacer


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def collected(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    seen: list[int] = []
    monkeypatch.setattr(gcpace.gc, "collect", lambda generation=2: seen.append(generation) or 0)
    return seen


def test_while_keys_come_only_the_young_generation_is_collected_until_the_latest_full(
        collected: list[int]) -> None:
    clock = Clock()
    pacer = GCPacer(clock)
    pacer.start()
    try:
        assert not gc.isenabled()
        for _ in range(int(gcpace.FULL_AT_LATEST_S / gcpace.TICK_S) - 4):
            clock.t += gcpace.TICK_S
            pacer.touch()  # a key on every tick
            pacer.tick()
        # the middle generation at the latest every FULL_EVERY_S, never a full pass
        assert 2 not in collected
        assert collected.count(1) == int((gcpace.FULL_AT_LATEST_S - 1) // gcpace.FULL_EVERY_S)
        clock.t += 4 * gcpace.TICK_S + 0.01
        pacer.touch()
        assert pacer.tick() == 2  # bounded memory: a full pass at the latest after 120 s
    finally:
        pacer.stop()
    assert gc.isenabled()


def test_a_pause_between_keys_lets_the_older_generations_be_collected(
        collected: list[int]) -> None:
    clock = Clock()
    pacer = GCPacer(clock)
    pacer.start()
    try:
        clock.t += 0.1
        assert pacer.tick() == 0
        clock.t += gcpace.IDLE_S + gcpace.MIDDLE_EVERY_S  # a short pause: the middle one
        assert pacer.tick() == 1
        clock.t += 0.1
        assert pacer.tick() == 0  # not again at once
        clock.t += gcpace.FULL_EVERY_S  # a long pause, long after the last full pass
        assert pacer.tick() == 2
        clock.t += gcpace.FULL_IDLE_S
        assert pacer.tick() == 1  # a full pass is not repeated within FULL_EVERY_S
    finally:
        pacer.stop()


def test_stopping_gives_collection_back_only_if_it_was_on(collected: list[int]) -> None:
    gc.disable()
    try:
        pacer = GCPacer(Clock())
        pacer.start()
        pacer.stop()
        assert not gc.isenabled()  # it was off before: left off
        assert pacer.tick() == -1 and collected == []
    finally:
        gc.enable()
