"""The model services of finished runs, as child processes the lab talks to; no torch here.

* :class:`ProbeService` (``python -m seqlab.training.probe_service RUN_DIR``) re-probes any
  validation sample of a finished series run with its best weights;
* :class:`LMService` (``python -m seqlab.training.lm_service RUN_DIR``) probes a typed sentence,
  generates, and finds embedding neighbours with a finished text run;
* :class:`CommandProcess` runs one ``seqlab`` command to its end (the lab's backtest).

The two services speak the control grammar of :mod:`seqlab.training.control` on their stdin / stdout, through
the same :class:`~seqlab.training.control.ControlClient` that steers a training run through its
run directory. Training runs themselves are not children of the lab (see
:mod:`seqlab.tui.run_controller`). stderr goes to a pipe whose last lines explain a crash;
nothing reaches the terminal.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

from seqlab.training import events

LINE_LIMIT = 1 << 26  # probe snapshots are long lines (base64 arrays)


def worker_threads() -> int:
    """Torch threads for a training child: leave one core to the interface.

    On 2 vCPUs, two torch threads collapse (measured 10k -> 160 samples/s) as soon as anything
    else wants a core, e.g. the interface redrawing after a key; one thread runs at full speed.
    """
    return max(1, (os.cpu_count() or 2) - 1)


class ServiceProcess:
    """One service child ``python -m MODULE RUN_DIR``: its first line describes it (or says
    why it could not load), then it answers commands through :attr:`client`."""

    module = ""

    def __init__(self, run_dir: str) -> None:
        self.run_dir = run_dir
        self.proc: asyncio.subprocess.Process | None = None
        self.client: Any = None  # ControlClient over the child's pipes
        self.info: dict[str, Any] = {}
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=40)
        self._stderr_task: asyncio.Task[None] | None = None
        self._ready: asyncio.Task[str] | None = None

    async def ready(self) -> str:
        """Start the child once and read its first line; '' when it is ready, else why not."""
        if self._ready is None:
            self._ready = asyncio.ensure_future(self._start())
        return await asyncio.shield(self._ready)

    async def _start(self) -> str:
        from seqlab.training.control import ControlClient

        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", self.module, self.run_dir,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                limit=LINE_LIMIT,
                env=env,
            )
        except OSError as exc:
            return f"cannot start the model service: {exc}"
        self._stderr_task = asyncio.create_task(self._drain_stderr())
        assert self.proc.stdout is not None
        raw = await self.proc.stdout.readline()
        try:
            first = json.loads(raw) if raw.strip() else {}
        except ValueError:
            first = {}
        if not first.get("ok", first.get("type") not in (None, "Error")):
            await self.wait()
            return str(first.get("error") or first.get("message")
                       or self.failure_reason("the model service exited"))
        self.info = first
        self.client = ControlClient.for_streams(self.proc.stdout, self.proc.stdin)
        return ""

    async def ask(self, cmd: str, **args: Any) -> AsyncIterator[Any]:
        """Every answer to one command: ProbeSnapshot events, or dicts with "type" (Token…,
        GenerateEnd, Neighbours, Info); a refusal or a dead service raises SeqlabError."""
        from seqlab.errors import SeqlabError

        problem = await self.ready()
        if problem:
            raise SeqlabError(problem)
        try:
            async for reply in self.client.astream(cmd, timeout=120.0, **args):
                if not reply.get("ok"):
                    raise SeqlabError(str(reply.get("error") or "the model service refused"))
                if reply.get("type") == "ProbeSnapshot":
                    yield events.from_json(reply)
                else:
                    yield reply
        except SeqlabError as exc:
            if not self.running:
                raise SeqlabError(self.failure_reason(str(exc))) from None
            raise

    async def _drain_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while True:
            line = await self.proc.stderr.readline()
            if not line:
                return
            self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def wait(self) -> int | None:
        if self.proc is None:
            return None
        code = await self.proc.wait()
        if self._stderr_task is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._stderr_task, 1.0)
        return code

    def close_stdin(self) -> None:
        """End of input: the service exits."""
        if self.proc is not None and self.proc.stdin is not None:
            with contextlib.suppress(Exception):
                self.proc.stdin.close()

    def kill_now(self) -> None:
        """Terminate at once (last resort, e.g. at interpreter exit)."""
        if self.running and self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.terminate()

    async def terminate(self, grace: float = 2.0) -> None:
        """Terminate, then kill if it is still there after ``grace`` seconds."""
        if not self.running or self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), grace)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()

    def failure_reason(self, default: str = "the child process exited unexpectedly") -> str:
        """The most useful stderr line (the exception line if there is one)."""
        lines = [ln.strip() for ln in self.stderr_tail if ln.strip()]
        for ln in reversed(lines):
            if "Error" in ln or "error" in ln:
                return ln[:200]
        return lines[-1][:200] if lines else default


class CommandProcess(ServiceProcess):
    """``python -m seqlab ARGS...`` run to its end (e.g. a backtest with ``--json``): its
    result is the last JSON object it prints on stdout."""

    module = "seqlab"

    def __init__(self, *args: str) -> None:
        super().__init__("")
        self.args = args

    async def result(self) -> dict[str, Any] | None:
        """Run the command; its JSON result, or None (then :meth:`failure_reason` says why).
        Raises OSError when it cannot start."""
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", self.module, *self.args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=LINE_LIMIT,
            env=env,
        )
        self._stderr_task = asyncio.create_task(self._drain_stderr())
        assert self.proc.stdout is not None
        found: dict[str, Any] | None = None
        async for raw in self.proc.stdout:
            with contextlib.suppress(ValueError):
                value = json.loads(raw)
                if isinstance(value, dict):
                    found = value
        await self.wait()
        return found


class ProbeService(ServiceProcess):
    """A finished time-series run answering ``probe`` with a ProbeSnapshot."""

    module = "seqlab.training.probe_service"

    async def probe(self, sample: int) -> Any:
        """The ProbeSnapshot of validation sample ``sample``, or a one-line error (str)."""
        from seqlab.errors import SeqlabError

        try:
            async for reply in self.ask("probe", sample=int(sample)):
                if isinstance(reply, events.ProbeSnapshot):
                    return reply
        except SeqlabError as exc:
            return str(exc)
        return "no answer from the probe service"


class LMService(ServiceProcess):
    """A trained language model answering probe / generate / neighbours commands."""

    module = "seqlab.training.lm_service"
