"""Runs training in a child process (`python -m seqlab.training.worker CONFIG.toml`).

The child prints one JSON event per line on stdout and reads `stop` / `probe N` on stdin; its
stderr goes to a pipe whose last lines explain a crash. The UI process never imports torch.
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


class WorkerProcess:
    """One training child process and its pipes."""

    def __init__(self, config_path: str, *, threads: int | None = None) -> None:
        self.config_path = config_path
        self.threads = threads
        self.proc: asyncio.subprocess.Process | None = None
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=40)
        self._stderr_task: asyncio.Task[None] | None = None
        self.got_run_end = False

    async def start(self) -> None:
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "seqlab.training.worker",
            self.config_path,
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

    async def events(self) -> AsyncIterator[Any]:
        """Decoded events until the child closes stdout. Undecodable lines go to the tail."""
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            try:
                line = await self.proc.stdout.readline()
            except ValueError:  # a line over the limit: skip it
                continue
            if not line:
                return
            text = line.decode("utf-8", "replace").strip()
            if not text.startswith("{"):
                if text:
                    self.stderr_tail.append(text)
                continue
            try:
                event = events.loads(text)
            except (ValueError, TypeError, KeyError) as exc:
                self.stderr_tail.append(f"bad event line: {exc}")
                continue
            if type(event).__name__ == "RunEnd":
                self.got_run_end = True
            yield event

    async def send(self, command: str) -> None:
        if self.proc is None or self.proc.stdin is None or self.proc.returncode is not None:
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, RuntimeError):
            self.proc.stdin.write((command.strip() + "\n").encode())
            await self.proc.stdin.drain()

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
        self.close()
        return code

    def close(self) -> None:
        """Close the transport now, not when garbage collected after the loop has gone."""
        if self.proc is None:
            return
        transport = getattr(self.proc, "_transport", None)
        if transport is not None:
            with contextlib.suppress(Exception):
                transport.close()

    async def stop(self, grace: float = 5.0) -> None:
        """Ask the child to stop (it saves the run as stopped), then terminate, then kill."""
        if not self.running:
            return
        await self.send("stop")
        assert self.proc is not None
        try:
            await asyncio.wait_for(self.proc.wait(), grace)
            return
        except asyncio.TimeoutError:
            pass
        finally:
            if self.proc.returncode is not None:
                self.close()
        with contextlib.suppress(ProcessLookupError):
            self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), 2.0)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()
        self.close()

    def kill_now(self) -> None:
        """Last resort at interpreter exit: do not leave an orphan training."""
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.terminate()

    def failure_reason(self) -> str:
        """The most useful line of the child's stderr (the exception line if there is one)."""
        lines = [ln for ln in self.stderr_tail if ln.strip()]
        for ln in reversed(lines):
            if "Error" in ln or "error" in ln:
                return ln.strip()[:200]
        return lines[-1].strip()[:200] if lines else "the training process exited unexpectedly"
