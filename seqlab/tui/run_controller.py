"""The lab's one run controller: starts, follows, steers and stops runs, series and text alike.

It follows at most one run per kind (a series run and a text run may train side by side), folds
every event into that run's :class:`~seqlab.tui.runstate.RunState` *before* posting it as a
:class:`~seqlab.tui.messages.RunEvent` (the queue may coalesce steps and snapshots; the state
never misses one), and reports a failure once, as :class:`~seqlab.tui.messages.RunFailed`.
Nothing here imports torch: runs are processes of their own.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.app import App

from seqlab.tui.messages import RunEvent, RunExited, RunFailed
from seqlab.tui.runstate import RunState

KINDS = ("series", "text")


@dataclass
class FollowedRun:
    """One run the controller follows: its folded state and the process that runs it."""

    kind: str
    state: RunState
    proc: Any = None  # WorkerProcess while it runs
    cfg_path: str = ""
    notes: list[str] = field(default_factory=list)


class RunController:
    """Owns the lab's runs; the app asks it to start / stop / watch and routes its messages."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.runs: dict[str, FollowedRun] = {k: FollowedRun(k, RunState(kind=k)) for k in KINDS}

    # -- what the views show ---------------------------------------------------------------
    def state(self, kind: str) -> RunState:
        return self.runs[kind].state

    def active(self, kind: str) -> bool:
        return self.runs[kind].state.active

    def any_active(self) -> bool:
        return any(self.active(k) for k in KINDS)

    # -- starting ----------------------------------------------------------------------------
    def start(self, kind: str, config: Any) -> RunState | None:
        """Write ``config`` (validated) to a TOML file and start its run; the new state, or
        None when a run of this kind is still going."""
        if self.active(kind):
            return None
        text = config.to_toml()  # SeqlabError: the caller says why, nothing has started
        fd, cfg_path = tempfile.mkstemp(prefix=f"seqlab-{kind}-", suffix=".toml")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        state = RunState(kind=kind, status="starting", epochs_total=int(config.train.epochs))
        run = self.runs[kind] = FollowedRun(kind, state, cfg_path=cfg_path)
        self.app.run_worker(self._follow_child(run), group=f"run-{kind}", exclusive=True)
        return state

    async def _follow_child(self, run: FollowedRun) -> None:
        from seqlab.tui.worker_client import WorkerProcess

        extra = ("--text",) if run.kind == "text" else ()
        proc = run.proc = WorkerProcess(run.cfg_path, *extra)
        try:
            await proc.start()
            async for event in proc.events():
                self._fold(run, event)
            await proc.wait()
            if not proc.got_run_end:
                self._failed(run, proc.failure_reason("the training process exited unexpectedly"))
        except Exception as exc:  # could not start, pipe errors
            self._failed(run, f"{type(exc).__name__}: {exc}")
        finally:
            proc.close()  # closes the pipes; kills the child only if it is still running
            with contextlib.suppress(OSError):
                os.unlink(run.cfg_path)
            self._exited(run)

    # -- following ---------------------------------------------------------------------------
    def _fold(self, run: FollowedRun, event: Any) -> None:
        if self.runs.get(run.kind) is not run:
            return  # a run this lab no longer follows
        run.state.apply(event)
        self.app.post_message(RunEvent(run.kind, event))

    def _failed(self, run: FollowedRun, reason: str) -> None:
        """The one place a run's failure lands in its state; the app notifies once."""
        if self.runs.get(run.kind) is not run:
            return
        run.state.status = "failed"
        run.state.reason = reason
        run.state.version += 1
        self.app.post_message(RunFailed(run.kind, reason))

    def _exited(self, run: FollowedRun) -> None:
        run.proc = None
        if self.runs.get(run.kind) is not run:
            return
        st = run.state
        if st.active:  # gone without a final status and without a failure
            st.status = "stopped"
            st.version += 1
        self.app.post_message(RunExited(run.kind, st.run_dir, st.status))

    # -- steering ----------------------------------------------------------------------------
    def stop(self, kind: str) -> bool:
        """Stop the run after its current batch (it is saved as stopped); False if none."""
        run = self.runs[kind]
        if not run.state.active or run.proc is None:
            return False
        run.state.status = "stopping"
        run.state.version += 1
        self.app.run_worker(run.proc.stop(), group="run-cmd")
        return True

    def watch(self, kind: str, sample: int) -> bool:
        """Watch validation sample ``sample`` from the run's next probe; False if none runs."""
        run = self.runs[kind]
        if not run.state.active or run.proc is None:
            return False
        self.app.run_worker(run.proc.send(f"probe {int(sample)}"), group="run-cmd")
        return True

    # -- leaving -----------------------------------------------------------------------------
    async def shutdown(self, grace: float = 5.0) -> None:
        """Stop every run this lab runs (each is saved as stopped)."""
        for run in self.runs.values():
            if run.proc is not None and run.state.active:
                run.state.status = "stopping"
                await run.proc.stop(grace=grace)

    def kill_now(self) -> None:
        """Synchronous last resort (interpreter exit): terminate the children."""
        for run in self.runs.values():
            if run.proc is not None:
                run.proc.kill_now()


def run_name(run_dir: str) -> str:
    return Path(run_dir).name if run_dir else "seqlab"
