"""Python's cycle collector, run while the lab is idle rather than in the middle of a redraw.

CPython collects cycles when allocations pass a threshold, wherever the program is. In the
lab that was often during a key's redraw: while an LSTM trained, a full collection took
100–300 ms on a 2-core machine and was the largest part of the slowest key responses. The
pacer turns automatic collection off and collects on a timer instead: the young generation
every tick, the older ones once no key or mouse event has come for a moment, and a full pass
at the latest every ``FULL_AT_LATEST_S`` seconds, so memory stays bounded while a person keeps
typing. Reference counting still frees all acyclic garbage at once, as before.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

TICK_S = 0.25  # the young generation is collected every tick (well under a millisecond)
IDLE_S = 0.4  # no input for this long: the middle generation may be collected
FULL_IDLE_S = 1.5  # no input for this long: a full collection may run
MIDDLE_EVERY_S = 1.0
FULL_EVERY_S = 20.0
FULL_AT_LATEST_S = 120.0


class GCPacer:
    """Call :meth:`touch` on every input event and :meth:`tick` every ``TICK_S`` seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        now = clock()
        self.last_input = now
        self.last_middle = now
        self.last_full = now
        self.was_enabled = gc.isenabled()
        self.running = False

    def start(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()
        self.running = True

    def stop(self) -> None:
        """Give collection back to CPython (as it was before :meth:`start`)."""
        if self.running and self.was_enabled:
            gc.enable()
        self.running = False

    def touch(self) -> None:
        self.last_input = self.clock()

    def tick(self) -> int:
        """Collect what is due now; the generation collected (0, 1 or 2), -1 when stopped."""
        if not self.running:
            return -1
        now = self.clock()
        idle = now - self.last_input
        if (idle >= FULL_IDLE_S and now - self.last_full >= FULL_EVERY_S
                or now - self.last_full >= FULL_AT_LATEST_S):
            generation = 2
        elif (idle >= IDLE_S and now - self.last_middle >= MIDDLE_EVERY_S
                or now - self.last_middle >= FULL_EVERY_S):
            generation = 1
        else:
            generation = 0
        gc.collect(generation)
        if generation >= 1:
            self.last_middle = now
        if generation == 2:
            self.last_full = now
        return generation
