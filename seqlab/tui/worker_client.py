"""Child processes that speak JSON lines; the UI process never imports torch.

* :class:`WorkerProcess` runs ``python -m seqlab.training.worker CONFIG.toml [--text]``: one
  event per line on stdout, ``stop`` / ``probe N`` on stdin (end of stdin also stops it, saving
  the run).
* :class:`ProbeService` answers probes of a finished series run; :class:`LMService` probes,
  generates with and finds embedding neighbours in a finished text run.
* :class:`JsonLineProcess` is the shared part (start, stderr tail, lines, send, stop, kill).

stderr goes to a pipe whose last lines explain a crash; nothing reaches the terminal.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
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


class JsonLineProcess:
    """One child ``python -m MODULE ARGS…`` with piped stdin/stdout/stderr."""

    module = ""

    def __init__(self, *args: str) -> None:
        self.args = [str(a) for a in args]
        self.proc: asyncio.subprocess.Process | None = None
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=40)
        self._stderr_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", self.module, *self.args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=LINE_LIMIT,
            env=env,
        )
        self._stderr_task = asyncio.create_task(self._drain_stderr())

    async def _drain_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while True:
            line = await self.proc.stderr.readline()
            if not line:
                return
            self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    async def lines(self) -> AsyncIterator[str]:
        """JSON object lines from stdout until the child closes it (other lines go to the tail)."""
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            try:
                raw = await self.proc.stdout.readline()
            except ValueError:  # a line over the limit: skip it
                continue
            if not raw:
                return
            text = raw.decode("utf-8", "replace").strip()
            if text.startswith("{"):
                yield text
            elif text:
                self.stderr_tail.append(text)

    async def send(self, line: str) -> bool:
        """Write one line to the child's stdin; False when it is gone."""
        if not self.running or self.proc is None or self.proc.stdin is None:
            return False
        try:
            self.proc.stdin.write((line.strip() + "\n").encode("utf-8"))
            await self.proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError, RuntimeError):
            return False
        return True

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
        """End of input: the trainer stops cleanly (saving the run), the service exits."""
        if self.proc is not None and self.proc.stdin is not None:
            with contextlib.suppress(Exception):
                self.proc.stdin.close()

    def close(self) -> None:
        """Close the transport now, not when garbage collected after the loop has gone."""
        if self.proc is None:
            return
        transport = getattr(self.proc, "_transport", None)
        if transport is not None:
            with contextlib.suppress(Exception):
                transport.close()

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


class WorkerProcess(JsonLineProcess):
    """One training child process: decoded engine events out, ``stop`` / ``probe N`` in."""

    module = "seqlab.training.worker"

    def __init__(self, config_path: str, *extra: str) -> None:
        super().__init__(config_path, *extra)
        self.config_path = config_path
        self.got_run_end = False

    async def events(self) -> AsyncIterator[Any]:
        """Decoded events until the child closes stdout. Undecodable lines go to the tail."""
        async for text in self.lines():
            try:
                event = events.loads(text)
            except (ValueError, TypeError, KeyError) as exc:
                self.stderr_tail.append(f"bad event line: {exc}")
                continue
            if type(event).__name__ == "RunEnd":
                self.got_run_end = True
            yield event

    async def stop(self, grace: float = 5.0) -> None:
        """Ask for a stop after the current batch (the run is saved as stopped), wait ``grace``
        seconds, then terminate (the worker also saves on SIGTERM), then kill."""
        if not self.running or self.proc is None:
            return
        await self.send("stop")
        try:
            await asyncio.wait_for(self.proc.wait(), grace)
        except asyncio.TimeoutError:
            await self.terminate()
        self.close()


class ProbeService(JsonLineProcess):
    """A finished time-series run answering ``{"cmd": "probe", "sample": k}`` with a snapshot."""

    module = "seqlab.training.probe_service"

    def __init__(self, run_dir: str) -> None:
        super().__init__(run_dir)
        self.run_dir = run_dir
        self._lock = asyncio.Lock()
        self._lines: AsyncIterator[str] | None = None

    async def _next(self) -> dict[str, Any]:
        import json

        assert self._lines is not None
        try:
            return json.loads(await self._lines.__anext__())
        except StopAsyncIteration:
            return {"type": "Error", "message": self.failure_reason("the probe service exited")}

    async def probe(self, sample: int) -> Any:
        """The ProbeSnapshot of validation sample ``sample``, or a one-line error (str)."""
        import json

        async with self._lock:  # one question, one answer: never interleave
            if self._lines is None:
                await self.start()
                self._lines = self.lines()
                first = await self._next()
                if first.get("type") == "Error":
                    return str(first.get("message"))
            if not await self.send(json.dumps({"cmd": "probe", "sample": sample})):
                return self.failure_reason("the probe service exited")
            reply = await self._next()
        if reply.get("type") == "ProbeSnapshot":
            return events.from_json(reply)
        return str(reply.get("message", "no answer from the probe service"))


class LMService(JsonLineProcess):
    """A trained language model answering probe / generate / neighbours commands
    (``python -m seqlab.training.lm_service RUN_DIR``: Info first, then ProbeSnapshot /
    Token… GenerateEnd / Neighbours / Error)."""

    module = "seqlab.training.lm_service"

    def __init__(self, run_dir: str) -> None:
        super().__init__(run_dir)
        self.run_dir = run_dir
        self.pending: list[tuple[str, dict[str, Any]]] = []  # sent once the process runs

    async def replies(self) -> AsyncIterator[Any]:
        """ProbeSnapshot events, or plain dicts with a "type" (Info, Token, GenerateEnd, …)."""
        import json

        async for text in self.lines():
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                self.stderr_tail.append(f"bad reply line: {exc.msg}")
                continue
            if not isinstance(obj, dict):
                continue
            if obj.get("type") == "ProbeSnapshot":
                try:
                    yield events.from_json(obj)
                except (ValueError, TypeError, KeyError) as exc:
                    yield {"type": "Error", "message": f"unreadable probe answer: {exc}"}
                continue
            yield obj

    async def command(self, cmd: str, **kwargs: Any) -> bool:
        import json

        return await self.send(json.dumps({"cmd": cmd, **kwargs}, ensure_ascii=False))
