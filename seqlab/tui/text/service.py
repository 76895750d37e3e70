"""Child processes of the text view, spoken to in JSON lines (the UI never imports torch).

* :class:`TextTrainer` runs ``python -m seqlab.training.worker CONFIG.toml --text``: events on
  stdout, ``stop`` / ``probe N`` on stdin (end of stdin also stops it, saving the run).
* :class:`LMService` runs ``python -m seqlab.training.lm_service RUN_DIR``: one JSON command per
  line in, answers out (Info first, then ProbeSnapshot / Token… GenerateEnd / Neighbours / Error).

Both send stderr to a pipe whose last lines explain a crash; nothing reaches the terminal.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from seqlab.training import events
from seqlab.tui.worker_client import JsonLineProcess, WorkerProcess, worker_threads

__all__ = ["LMService", "TextTrainer", "worker_threads"]


class TextTrainer(WorkerProcess):
    """The training worker for a text run."""

    def __init__(self, config_path: str) -> None:
        super().__init__(config_path, "--text")


class LMService(JsonLineProcess):
    """A trained language model answering probe / generate / neighbours commands."""

    module = "seqlab.training.lm_service"

    def __init__(self, run_dir: str) -> None:
        super().__init__(run_dir)
        self.run_dir = run_dir

    async def replies(self) -> AsyncIterator[Any]:
        """ProbeSnapshot events, or plain dicts with a "type" (Info, Token, GenerateEnd, …)."""
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
        return await self.send(json.dumps({"cmd": cmd, **kwargs}, ensure_ascii=False))
