"""The lab's one run controller: starts, follows, steers and stops runs, series and text alike.

Runs are processes of their own (:func:`seqlab.training.record.start_detached`): they outlive
the lab, a hang-up and a dropped SSH link. The controller follows a run by tailing its
``events.jsonl`` (:class:`seqlab.training.record.EventTail`) and steers it through the run's
control channel (:class:`seqlab.training.control.ControlClient`), so a run started here, one
started by ``seqlab train`` and one reopened later are followed the same way, and two labs can
follow one run.

It follows at most one run per kind (a series run and a text run may train side by side),
folds every event into that run's :class:`~seqlab.tui.runstate.RunState` *before* posting it
as a :class:`~seqlab.tui.messages.RunEvent` (the queue may coalesce steps and snapshots; the
state never misses one), and reports a failure once, as :class:`~seqlab.tui.messages.RunFailed`.
Nothing here imports torch.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.app import App

from seqlab.training.events import RunEnd
from seqlab.tui.messages import RunAttached, RunEvent, RunExited, RunFailed
from seqlab.tui.runstate import RunState

KINDS = ("series", "text")
POLL_S = 0.1  # how often a followed run's events.jsonl is read while it trains
ALIVE_EVERY_S = 1.0  # how often its state.json is checked for a process that has gone
REPLAY_CHUNK = 1 << 22  # bytes decoded per thread hop while replaying a long log


@dataclass
class FollowedRun:
    """One run the controller follows: its folded state and where its events come from."""

    kind: str
    state: RunState
    run_dir: str = ""
    started_here: bool = False
    notes: list[str] = field(default_factory=list)  # skipped lines of events.jsonl
    task: Any = None  # the Textual worker tailing it


class RunController:
    """Owns the lab's runs; the app asks it to start / attach / stop / watch and routes its
    messages to the views."""

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

    def following(self, run_dir: str) -> str | None:
        """The kind under which ``run_dir`` is followed, if it is."""
        for kind, run in self.runs.items():
            if run.run_dir and Path(run.run_dir) == Path(run_dir):
                return kind
        return None

    # -- starting ----------------------------------------------------------------------------
    def start(self, kind: str, config: Any) -> RunState | None:
        """Start a run of ``config`` (validated) in its own process session and follow it; the
        new state, or None when this lab follows a live run of this kind already.
        Raises SeqlabError (nothing started) when the config cannot be written."""
        from seqlab.training import record
        from seqlab.training.runs import new_run_dir

        if self.active(kind):
            return None
        text = config.to_toml()
        if kind == "text":
            t = config.text
            data_name = t.path or f"typed-{t.tokenizer}"
        else:
            data_name = config.data.path or "data"
        run_dir = new_run_dir(config.train.runs_dir, config.model.cell, data_name)
        cfg_path = run_dir / "config.toml"  # the run rewrites it (same text) as it starts
        cfg_path.write_text(text, encoding="utf-8")
        state = RunState(kind=kind, status="starting", run_dir=str(run_dir),
                         epochs_total=int(config.train.epochs))
        self._let_go(kind)
        run = self.runs[kind] = FollowedRun(kind, state, str(run_dir), started_here=True)
        try:
            record.start_detached(cfg_path, run_dir, text=kind == "text")
        except OSError as exc:
            state.status, state.reason = "failed", f"cannot start the run: {exc}"
            self.app.post_message(RunFailed(kind, state.reason))
            return state
        run.task = self.app.run_worker(self._follow(run), group=f"run-{kind}")
        return state

    def attach(self, run_dir: str, kind: str | None = None) -> RunState:
        """Follow a run directory (live or not): replay its log, then follow it while it lives."""
        from seqlab.training import record

        status = record.read_state(run_dir)
        kind = kind or (status.kind if status is not None else "series")
        kind = kind if kind in KINDS else "series"
        existing = self.runs[kind]
        if existing.run_dir and Path(existing.run_dir) == Path(run_dir) and existing.task:
            return existing.state
        self._let_go(kind)
        state = RunState(kind=kind, status="starting", run_dir=str(run_dir), replaying=True)
        if status is not None:
            state.epochs_total, state.device = status.epochs, status.device
        run = self.runs[kind] = FollowedRun(kind, state, str(run_dir))
        run.task = self.app.run_worker(self._follow(run), group=f"run-{kind}")
        return state

    def _let_go(self, kind: str) -> None:
        """Stop following the run of ``kind`` (the run itself goes on)."""
        old = self.runs[kind]
        if old.task is not None:
            old.task.cancel()
            old.task = None

    # -- following ---------------------------------------------------------------------------
    async def _follow(self, run: FollowedRun) -> None:
        """Replay the log (decoded in a thread: a long one must not hold up the interface),
        then read what the run appends until it ends or its process is gone."""
        from seqlab.training import record

        tail = record.EventTail(run.run_dir)
        latest: dict[Any, Any] = {}  # the newest predictions and probe snapshot, parsed
        while True:  # the log so far: fold it all, then draw once
            offset = tail.offset
            replay = await asyncio.to_thread(tail.read_new, REPLAY_CHUNK, latest)
            if tail.offset == offset or not self._current(run):
                break
            for event in replay:
                run.state.apply(event)
        run.state.replaying = False
        if self._current(run):  # the curves first; the arrays (numpy's import) next
            self.app.post_message(RunAttached(run.kind, run.run_dir))
        if latest and self._current(run):
            for event in await asyncio.to_thread(tail.build_latest, latest):
                run.state.apply(event)
            if self._current(run):
                self.app.post_message(RunAttached(run.kind, run.run_dir))
        ended = run.state.status not in ("starting", "running", "paused", "stopping")
        last_check = time.monotonic()
        # a run without state.json is gone, unless this lab has just asked for it
        grace_until = time.monotonic() + (60.0 if run.started_here else 0.0)
        while not ended and self._current(run):
            batch = tail.read_new()
            for event in batch:
                self._fold(run, event)
                ended = ended or isinstance(event, RunEnd)
            self._note(run, tail)
            if ended:
                break
            if not batch and time.monotonic() - last_check >= ALIVE_EVERY_S:
                last_check = time.monotonic()
                status = record.read_state(run.run_dir)
                if status is not None and run.state.status in ("running", "paused"):
                    paused = status.recorded_status == "paused"
                    if paused != (run.state.status == "paused"):
                        run.state.status = "paused" if paused else "running"
                        run.state.version += 1
                        self.app.post_message(RunEvent(run.kind, None))
                gone = status is None and time.monotonic() > grace_until or \
                    status is not None and not status.live
                if gone:
                    # the process has ended: take what it wrote last, then say how it ended
                    for event in tail.read_all() + tail.flush_partial():
                        self._fold(run, event)
                        ended = ended or isinstance(event, RunEnd)
                    self._note(run, tail)
                    if not ended:
                        self._crashed(run, status)
                    break
            await asyncio.sleep(POLL_S)
        if self._current(run):
            self._exited(run)

    def _current(self, run: FollowedRun) -> bool:
        return self.runs.get(run.kind) is run

    def _fold(self, run: FollowedRun, event: Any) -> None:
        if not self._current(run):
            return  # a run this lab no longer follows
        run.state.apply(event)
        self.app.post_message(RunEvent(run.kind, event))

    def _note(self, run: FollowedRun, tail: Any) -> None:
        """Skipped lines of events.jsonl: kept, and said once each."""
        for note in tail.notes[len(run.notes):]:
            run.notes.append(note)
            self.app.notify(note, title=Path(run.run_dir).name, severity="warning", timeout=6,
                            markup=False)

    def _crashed(self, run: FollowedRun, status: Any) -> None:
        """The process is gone without a final status (killed, out of memory, a reboot)."""
        log = Path(run.run_dir) / "worker.log"
        reason = "the run's process ended without a final status"
        try:
            lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines()
                     if ln.strip()]
        except OSError:
            lines = []
        for ln in reversed(lines[-40:]):
            if "Error" in ln or "error" in ln:
                reason = ln[:200]
                break
        shown = status.status if status is not None else "crashed"
        self._failed(run, reason, "crashed" if shown in ("running", "paused") else shown)

    def _failed(self, run: FollowedRun, reason: str, status: str = "failed") -> None:
        """The one place a run's failure lands in its state; the app notifies once."""
        if not self._current(run):
            return
        run.state.status = status
        run.state.reason = reason
        run.state.version += 1
        self.app.post_message(RunFailed(run.kind, reason))

    def _exited(self, run: FollowedRun) -> None:
        run.task = None
        st = run.state
        if st.active and st.status != "stopping":
            st.status = "stopped"
            st.version += 1
        elif st.status == "stopping":
            st.status = "stopped"
        self.app.post_message(RunExited(run.kind, st.run_dir, st.status))

    # -- steering ----------------------------------------------------------------------------
    def _client(self, kind: str) -> Any:
        from seqlab.training.control import ControlClient

        return ControlClient.for_run(self.runs[kind].run_dir)

    def stop(self, kind: str) -> bool:
        """Stop the run after its current batch (it is saved as stopped); False if none."""
        run = self.runs[kind]
        if not run.state.active or not run.run_dir:
            return False
        run.state.status = "stopping"
        run.state.version += 1
        self.app.run_worker(self._command(kind, "stop"), group="run-cmd")
        return True

    def watch(self, kind: str, sample: int) -> bool:
        """Watch validation sample ``sample`` from the run's next probe; False if none runs."""
        run = self.runs[kind]
        if not run.state.active or not run.run_dir:
            return False
        self.app.run_worker(self._command(kind, "probe", sample=int(sample)), group="run-cmd")
        return True

    async def _command(self, kind: str, cmd: str, **args: Any) -> dict[str, Any]:
        """Send one command; a refusal or a silent run is one notification. A run still
        starting (importing torch) has no channel yet: it is asked again for a while."""
        from seqlab.errors import SeqlabError
        from seqlab.training import record

        run = self.runs[kind]
        deadline = time.monotonic() + 60.0
        while True:
            try:
                reply = await self._client(kind).arequest(cmd, timeout=10.0, **args)
                break
            except SeqlabError as exc:
                status = record.read_state(run.run_dir)
                starting = (status is not None and status.live and time.monotonic() < deadline
                            and not (Path(run.run_dir) / record.CONTROL_FILE).exists())
                if starting and self._current(run):
                    await asyncio.sleep(0.5)
                    continue
                self.app.notify(str(exc), title=f"Cannot {cmd} the run", severity="error",
                                markup=False)
                return {"ok": False, "error": str(exc)}
        if not reply.get("ok"):
            self.app.notify(str(reply.get("error", "refused")), title=f"Cannot {cmd} the run",
                            severity="error", markup=False)
        return reply

    # -- leaving -----------------------------------------------------------------------------
    def live_here(self) -> list[FollowedRun]:
        """Followed runs that are still training."""
        return [r for r in self.runs.values() if r.state.active]

    async def stop_all(self, wait_s: float = 10.0) -> None:
        """Stop every followed live run and wait (up to ``wait_s``) for each to end."""
        from seqlab.training import record

        runs = self.live_here()
        for run in runs:
            run.state.status = "stopping"
            await self._command(run.kind, "stop")
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            states = [record.read_state(r.run_dir) for r in runs]
            if all(s is None or not s.live for s in states):
                return
            await asyncio.sleep(0.2)

    def let_go_all(self) -> None:
        """Stop following (the runs train on)."""
        for kind in KINDS:
            self._let_go(kind)


def run_name(run_dir: str) -> str:
    return Path(run_dir).name if run_dir else "seqlab"
