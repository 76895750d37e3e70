"""The run record: what a run directory says about a run while it trains and after.

Files a run writes into its directory (besides those of :mod:`seqlab.training.runs`)::

    events.jsonl   every event the run emits, one ``events.dumps`` line each, appended and
                   flushed as written (StepEnd throttled by the trainer); the file alone rebuilds
                   every view. A resumed run appends to it: its second ``RunStarted`` carries
                   ``resumed_epoch`` > 0 and the epochs before it stay valid. ProbeSnapshots
                   (~25 KB each for the default airline model, 90 % of the log) are thinned to
                   about ``PROBES_PER_RUN`` per run: one every ceil(epochs / 100) epochs, every
                   one whose sample or split differs from the last logged one, and the last one
                   before RunEnd, so the latest snapshot of a replay equals the live one's at
                   the end and whenever the watched sample changes.
    state.json     who runs it, rewritten atomically: {"pid", "proc_start" (clock ticks since
                   boot, /proc/<pid>/stat field 22, or None), "host", "started", "updated"
                   (seconds since the epoch), "status" (running | paused | finished | stopped |
                   diverged | failed), "kind", "device", "epoch", "epochs", "best_val_loss",
                   "control" (the channel's file name, or None)}
    model.pt       the best weights so far, rewritten atomically whenever validation improves
    last.pt        what ``--resume`` needs, rewritten atomically at the end of every epoch
    control        the run's control channel (see :mod:`seqlab.training.control`)
    worker.log     stdout / stderr of a run started with :func:`start_detached`

:func:`read_state` answers the status as it should be SHOWN: a ``running`` or ``paused`` run
whose process is gone (pid dead, or reused by another process: its start time differs) is
``crashed``. That check is only possible on the run's own host; a run of another host keeps its
status and is marked ``remote``.

This module imports neither torch nor textual.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqlab.training import events as ev
from seqlab.training import fileio

EVENTS_FILE = "events.jsonl"
# events of which a fold keeps only the newest (per split): a replay builds just those
LATEST_ONLY = (b'{"type":"Predictions"', b'{"type":"ProbeSnapshot"')
STATE_FILE = "state.json"
BEST_FILE = "model.pt"
LAST_FILE = "last.pt"
CONTROL_FILE = "control"
LOG_FILE = "worker.log"

LIVE = ("running", "paused")
FINAL = ("finished", "stopped", "diverged", "failed")
STATE_EVERY_S = 5.0  # state.json's "updated" is refreshed at least this often while training
PROBES_PER_RUN = 100  # keeps a default 200-epoch airline run's directory near 3 MB, not 5.6


def host_name() -> str:
    return socket.gethostname()


def proc_start_time(pid: int) -> int | None:
    """Start time of process ``pid`` in clock ticks since boot (/proc/<pid>/stat field 22).

    None where /proc is unavailable or the process does not exist.
    """
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may itself hold spaces or parentheses
    rest = raw[raw.rfind(")") + 2 :].split()
    try:
        return int(rest[19])  # field 22 counted from field 3
    except (IndexError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, belongs to someone else
    # a zombie (exited, not yet reaped by its parent) is gone for our purpose
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        raw = stat.read_text(encoding="ascii", errors="replace")
        if raw[raw.rfind(")") + 2 :].startswith("Z"):
            return False
    return True


@dataclass
class RunStatus:
    """state.json as shown: ``status`` is ``crashed`` for a live state whose process is gone."""

    run_dir: str
    status: str
    pid: int | None = None
    proc_start: int | None = None
    host: str = ""
    started: float = 0.0
    updated: float = 0.0
    epoch: int = 0
    epochs: int = 0
    best_val_loss: float = math.nan
    device: str = ""
    kind: str = "series"
    resumed_epoch: int = 0  # epochs the run had before this process resumed it
    remote: bool = False  # written by another host: liveness cannot be checked from here
    recorded_status: str = ""  # what state.json says
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def live(self) -> bool:
        return self.status in LIVE

    @property
    def elapsed(self) -> float:
        end = time.time() if self.live else (self.updated or self.started)
        return max(0.0, end - self.started) if self.started else 0.0

    @property
    def eta_s(self) -> float | None:
        """Remaining seconds at the mean pace so far (None before the first epoch)."""
        if not self.live or self.epoch <= 0 or self.epochs <= self.epoch or not self.started:
            return None if not (self.live and self.epochs == self.epoch) else 0.0
        done = self.epoch - self.resumed_epoch  # epochs this process has trained
        if done <= 0:
            return None
        per_epoch = max(0.0, (self.updated or time.time()) - self.started) / done
        return per_epoch * (self.epochs - self.epoch)


def read_state(run_dir: str | os.PathLike[str]) -> RunStatus | None:
    """The run's state as shown, or None when the directory has no readable state.json."""
    d = Path(run_dir)
    try:
        raw = json.loads((d / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict):
        return None

    def num(key: str, default: float) -> float:
        value = raw.get(key)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default

    def integer(key: str) -> int | None:
        value = raw.get(key)
        return int(value) if isinstance(value, int) and not isinstance(value, bool) else None

    recorded = str(raw.get("status", "unknown"))
    st = RunStatus(
        run_dir=str(d),
        status=recorded,
        pid=integer("pid"),
        proc_start=integer("proc_start"),
        host=str(raw.get("host", "")),
        started=num("started", 0.0),
        updated=num("updated", 0.0),
        epoch=integer("epoch") or 0,
        epochs=integer("epochs") or 0,
        best_val_loss=num("best_val_loss", math.nan),
        device=str(raw.get("device", "")),
        kind=str(raw.get("kind", "series")),
        resumed_epoch=integer("resumed_epoch") or 0,
        recorded_status=recorded,
        raw=raw,
    )
    if recorded in LIVE:
        if st.host and st.host != host_name():
            st.remote = True
        elif st.pid is None or not pid_alive(st.pid):
            st.status = "crashed"
        elif st.proc_start is not None:
            now_start = proc_start_time(st.pid)
            if now_start is not None and now_start != st.proc_start:
                st.status = "crashed"  # the pid now belongs to another process
    return st


def write_state(run_dir: str | os.PathLike[str], **fields: Any) -> dict[str, Any]:
    """Write state.json atomically (merging ``fields`` into what is there); returns it."""
    d = Path(run_dir)
    try:
        old = json.loads((d / STATE_FILE).read_text(encoding="utf-8"))
        if not isinstance(old, dict):
            old = {}
    except (OSError, ValueError):
        old = {}
    old.update(fields)
    old["updated"] = time.time()
    fileio.atomic_write_text(d / STATE_FILE, json.dumps(fileio.json_safe(old), indent=1) + "\n")
    return old


class RunRecorder:
    """Appends a run's events to events.jsonl and keeps state.json current.

    Used by the trainer of every run that writes files. ``record`` is cheap: one write and one
    flush per event (events are already throttled); state.json is rewritten on the events that
    change it and at least every ``STATE_EVERY_S`` seconds.
    """

    def __init__(self, run_dir: str | os.PathLike[str], *, kind: str, epochs: int,
                 device: str = "", control: str | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.run_dir / EVENTS_FILE, "a", encoding="utf-8")  # noqa: SIM115
        self._lock = threading.Lock()
        self._last_state = 0.0
        self._probe_stride = max(1, math.ceil(epochs / PROBES_PER_RUN))
        self._probe_key: tuple[str, int] | None = None
        self._probe_epoch = -(10**9)
        self._held_probe: str | None = None  # a thinned-out snapshot, written before RunEnd
        self.error: str | None = None  # the first write that failed (the run goes on)
        pid = os.getpid()
        self.state: dict[str, Any] = {
            "pid": pid,
            "proc_start": proc_start_time(pid),
            "host": host_name(),
            "started": time.time(),
            "status": "running",
            "kind": kind,
            "device": device,
            "epoch": 0,
            "epochs": epochs,
            "best_val_loss": None,
            "control": control,
        }
        self.write_state()

    def write_state(self, **fields: Any) -> None:
        self.state.update(fields)
        self.state["updated"] = time.time()
        self._last_state = time.monotonic()
        try:
            fileio.atomic_write_text(self.run_dir / STATE_FILE,
                                     json.dumps(fileio.json_safe(self.state), indent=1) + "\n")
        except OSError as exc:  # disk full, directory gone: training goes on, say it once
            self._write_failed(STATE_FILE, exc)

    def _write_failed(self, name: str, exc: OSError) -> None:
        if self.error is None:
            self.error = f"cannot write {self.run_dir / name}: {exc.strerror or exc}"
            sys.stderr.write(f"seqlab: {self.error}; the run goes on without it\n")

    def record(self, event: Any) -> None:
        line = ev.dumps(event)
        with self._lock:
            if self._fh.closed:
                return
            if isinstance(event, ev.ProbeSnapshot):
                key = (event.split, event.sample)
                if key == self._probe_key and event.epoch < self._probe_epoch + self._probe_stride:
                    self._held_probe = line
                    return
                self._probe_key, self._probe_epoch, self._held_probe = key, event.epoch, None
            elif isinstance(event, ev.RunEnd) and self._held_probe is not None:
                self._fh.write(self._held_probe + "\n")
                self._held_probe = None
            elif isinstance(event, ev.RunStarted):
                self._probe_stride = max(1, math.ceil(event.epochs / PROBES_PER_RUN))
            try:
                self._fh.write(line + "\n")
                self._fh.flush()
            except OSError as exc:
                self._write_failed(EVENTS_FILE, exc)
        if isinstance(event, ev.RunStarted):
            self.write_state(device=event.device, epochs=event.epochs,
                             epoch=max(0, event.resumed_epoch),
                             resumed_epoch=max(0, event.resumed_epoch))
        elif isinstance(event, ev.EpochEnd):
            fields: dict[str, Any] = {"epoch": event.epoch, "epochs": event.epochs}
            if event.best:
                fields["best_val_loss"] = event.val_loss
            self.write_state(**fields)
        elif isinstance(event, ev.RunEnd):
            self.write_state(status=event.status, epoch=event.epochs, reason=event.reason)
        elif time.monotonic() - self._last_state >= STATE_EVERY_S:
            self.write_state()

    def close(self) -> None:
        with self._lock:
            if not self._fh.closed:
                with contextlib.suppress(OSError):
                    self._fh.close()


def record_failure(run_dir: str | os.PathLike[str], reason: str) -> None:
    """Mark a run ``failed`` that ended before (or outside) its trainer's own record."""
    d = Path(run_dir)
    if not d.is_dir():
        return
    end = ev.RunEnd(status="failed", reason=reason, run_dir=str(d), epochs=0, best_epoch=0,
                    seconds=0.0, summary={"status": "failed", "reason": reason})
    with contextlib.suppress(OSError):
        state = read_state(d)
        if state is not None and state.recorded_status in FINAL:
            return  # the trainer already wrote its end
        with open(d / EVENTS_FILE, "a", encoding="utf-8") as fh:
            fh.write(ev.dumps(end) + "\n")
        write_state(d, status="failed", reason=reason)


class EventTail:
    """Follows a growing events.jsonl: each :meth:`read_new` returns the events added since.

    An incomplete last line waits for its end; a line that does not decode is skipped and
    counted in :attr:`notes`; a file that does not exist yet gives []; a file that shrank (it
    was replaced) is read again from its start.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        p = Path(path)
        self.path = p / EVENTS_FILE if p.is_dir() else p
        self.offset = 0
        self.line_no = 0
        self.skipped = 0
        self.notes: list[str] = []
        self._partial = b""

    def read_new(self, max_bytes: int | None = None,
                 latest: dict[tuple[str, Any], tuple[int, dict[str, Any]]] | None = None,
                 ) -> list[Any]:
        """The events added since the last call. With ``latest``, the large events that a
        fold keeps only the last of (:data:`LATEST_ONLY`: predictions per split, probe
        snapshots) are not built but kept there, parsed, the newest per kind and split, to be
        built by :meth:`build_latest`; so a long log replays without numpy arrays."""
        try:
            with open(self.path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                if size < self.offset:
                    self.offset, self._partial, self.line_no = 0, b"", 0
                fh.seek(self.offset)
                data = fh.read() if max_bytes is None else fh.read(max_bytes)
        except FileNotFoundError:
            return []
        except OSError as exc:
            self._note(f"{self.path.name} unreadable: {exc.strerror or exc}")
            return []
        if not data:
            return []
        self.offset += len(data)
        chunk = self._partial + data
        lines = chunk.split(b"\n")
        self._partial = lines.pop()  # b"" when the chunk ended with a newline
        out: list[Any] = []
        for raw in lines:
            self.line_no += 1
            if not raw.strip():
                continue
            try:
                if latest is not None and raw.startswith(LATEST_ONLY):
                    obj = json.loads(raw)
                    if not isinstance(obj, dict):
                        raise ValueError("not an event object")
                    latest[(str(obj.get("type")), obj.get("split"))] = (self.line_no, obj)
                    continue
                out.append(ev.loads(raw.decode("utf-8")))
            except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
                self._skip(self.line_no, exc)
        return out

    def build_latest(self, latest: dict[tuple[str, Any], tuple[int, dict[str, Any]]],
                     ) -> list[Any]:
        """The events kept back by :meth:`read_new`, built, in log order."""
        out: list[Any] = []
        for line_no, obj in sorted(latest.values(), key=lambda kept: kept[0]):
            try:
                out.append(ev.from_json(obj))
            except (ValueError, TypeError, KeyError) as exc:
                self._skip(line_no, exc)
        return out

    def _skip(self, line_no: int, exc: Exception) -> None:
        self.skipped += 1
        self._note(f"line {line_no} of {self.path.name} skipped: "
                   f"{type(exc).__name__}: {str(exc)[:80]}")

    def read_all(self) -> list[Any]:
        """Everything up to the end of the file now, including a final line without newline
        when the run has ended (a truncated last line is then skipped with a note)."""
        out: list[Any] = []
        while True:
            batch = self.read_new()
            if not batch:
                break
            out.extend(batch)
        return out

    def flush_partial(self) -> list[Any]:
        """Treat a held incomplete last line as complete (the writer has gone)."""
        if not self._partial.strip():
            return []
        raw, self._partial = self._partial, b""
        self.line_no += 1
        try:
            return [ev.loads(raw.decode("utf-8"))]
        except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
            self.skipped += 1
            self._note(f"line {self.line_no} of {self.path.name} skipped (truncated): "
                       f"{type(exc).__name__}")
            return []

    def _note(self, text: str) -> None:
        if len(self.notes) < 100:
            self.notes.append(text)


def read_events(run_dir: str | os.PathLike[str]) -> tuple[list[Any], list[str]]:
    """All events of a run directory and the notes on skipped lines."""
    tail = EventTail(run_dir)
    out = tail.read_all()
    out.extend(tail.flush_partial())
    return out, tail.notes


def start_detached(config_path: str | os.PathLike[str], run_dir: str | os.PathLike[str], *,
                   text: bool = False, resume: bool = False) -> int:
    """Start ``python -m seqlab.training.worker CONFIG --run-dir DIR --detached`` in a session
    of its own (it outlives its parent, SIGHUP and a closed terminal); returns its pid at once.

    stdin is /dev/null, stdout and stderr go to ``run_dir/worker.log``. The run writes
    events.jsonl and state.json itself; this writes a first state.json with the child's pid so
    the run is listed (and a child that dies while importing torch shows ``crashed``).
    Plain ``subprocess.Popen``: callable from inside a running Textual app.
    """
    d = Path(run_dir)
    d.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "seqlab.training.worker", str(config_path), "--run-dir", str(d),
           "--detached"]
    if text:
        cmd.append("--text")
    if resume:
        cmd.append("--resume")
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    # the child imports this same seqlab (a worktree on PYTHONPATH, or the installed package)
    pkg_root = str(Path(__file__).resolve().parents[2])
    parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if pkg_root not in parts and (Path(pkg_root) / "seqlab").is_dir():
        env["PYTHONPATH"] = os.pathsep.join([pkg_root, *parts])
    with open(d / LOG_FILE, "ab") as log, open(os.devnull, "rb") as devnull:
        proc = subprocess.Popen(cmd, stdin=devnull, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True, env=env, cwd=os.getcwd())
    state = read_state(d)
    if state is None or state.pid != proc.pid:
        write_state(d, pid=proc.pid, proc_start=proc_start_time(proc.pid), host=host_name(),
                    started=time.time(), status="running", kind="text" if text else "series",
                    device="", epoch=state.epoch if state else 0,
                    epochs=state.epochs if state else 0,
                    best_val_loss=None if state is None or math.isnan(state.best_val_loss)
                    else state.best_val_loss, control=None)
    # reap it when it ends (no zombie while this process lives on); never block on it
    threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
    return proc.pid


def live_runs(runs_dir: str | os.PathLike[str]) -> list[RunStatus]:
    """Live runs under ``runs_dir``, newest first."""
    root = Path(runs_dir)
    if not root.is_dir():
        return []
    out = []
    for d in root.iterdir():
        if d.is_dir():
            st = read_state(d)
            if st is not None and st.live:
                out.append(st)
    out.sort(key=lambda s: s.started, reverse=True)
    return out
