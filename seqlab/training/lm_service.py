"""A trained language model behind JSON lines: ``python -m seqlab.training.lm_service RUN_DIR``.

The TUI never imports torch; to look inside a trained text model it starts this child process
and writes one JSON command per line on its stdin:

* ``{"cmd": "probe", "text": "나는 밥을 많이 먹었다."}`` -> one ProbeSnapshot line (events JSON:
  per-token states, gates, gradients, and the top-5 next tokens at each position);
* ``{"cmd": "generate", "prompt": "...", "tokens": 50, "temperature": 0.8, "top_k": 0,
  "seed": 0}`` -> ``{"type": "Token", "token": ..., "display": ...}`` lines as they are sampled,
  then ``{"type": "GenerateEnd", "text": ...}``;
* ``{"cmd": "neighbours", "token": "밥을", "k": 8}`` -> ``{"type": "Neighbours", "token": ...,
  "items": [[token, cosine], ...]}``;
* ``{"cmd": "info"}`` -> ``{"type": "Info", "vocab_size": ..., "tokenizer": ..., ...}``.

Bad input answers ``{"type": "Error", "message": one line}`` and the service keeps running.
The first line it prints is the Info object (or an Error if the run cannot be loaded).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from seqlab.errors import SeqlabError


def _out(stream: TextIO, obj: dict[str, Any]) -> None:
    stream.write(json.dumps(obj, ensure_ascii=False) + "\n")
    stream.flush()


def handle(lm: Any, command: dict[str, Any], out: TextIO) -> None:
    """Answer one command on ``out``."""
    from seqlab.text import display_token
    from seqlab.training.events import dumps
    from seqlab.training.text_trainer import generate, generated_text, neighbours, probe_text

    cmd = command.get("cmd")
    if cmd == "probe":
        out.write(dumps(probe_text(lm, str(command.get("text", "")))) + "\n")
        out.flush()
    elif cmd == "generate":
        tokens: list[str] = []
        for tok in generate(
            lm,
            str(command.get("prompt", "")),
            tokens=int(command.get("tokens", 50)),
            temperature=float(command.get("temperature", 0.8)),
            top_k=int(command.get("top_k", 0)),
            seed=int(command.get("seed", 0)),
        ):
            tokens.append(tok)
            _out(out, {"type": "Token", "token": tok, "display": display_token(tok)})
        _out(out, {"type": "GenerateEnd", "text": generated_text(lm, tokens)})
    elif cmd == "neighbours":
        token = str(command.get("token", ""))
        items = neighbours(lm, token, int(command.get("k", 8)))
        _out(out, {"type": "Neighbours", "token": token, "items": [[t, s] for t, s in items]})
    elif cmd == "info":
        _out(out, info(lm))
    else:
        raise SeqlabError(f"unknown command {cmd!r}: use probe, generate, neighbours or info.")


def info(lm: Any) -> dict[str, Any]:
    m = lm.cfg.model
    return {
        "type": "Info",
        "run_dir": str(lm.run_dir),
        "vocab_size": len(lm.vocab),
        "tokenizer": lm.tokenizer.name,
        "cell": m.cell,
        "layers": m.num_layers,
        "hidden": m.hidden_size,
        "embedding": lm.cfg.text.embedding,
    }


def serve(run_dir: str, stdin: TextIO, stdout: TextIO) -> int:
    from seqlab.training.text_trainer import load_lm

    return serve_json_lines(lambda: load_lm(run_dir), handle, info, stdin, stdout)


def serve_json_lines(
    load: Callable[[], Any],
    handler: Callable[[Any, dict[str, Any], TextIO], None],
    describe: Callable[[Any], dict[str, Any]],
    stdin: TextIO,
    stdout: TextIO,
) -> int:
    """Load once, print the Info line, then answer one JSON command per stdin line.

    Bad commands answer ``{"type": "Error", "message": ...}`` and the loop goes on.
    """
    from seqlab.training.trainer import size_threads

    size_threads(0)
    try:
        loaded = load()
    except SeqlabError as exc:
        _out(stdout, {"type": "Error", "message": str(exc)})
        return 2
    _out(stdout, describe(loaded))
    for raw in stdin:
        line = raw.strip()
        if not line:
            continue
        try:
            command = json.loads(line)
            if not isinstance(command, dict):
                raise SeqlabError("each command is one JSON object per line.")
            handler(loaded, command, stdout)
        except json.JSONDecodeError:
            _out(stdout, {"type": "Error", "message": "each command is one JSON object per line."})
        except SeqlabError as exc:
            _out(stdout, {"type": "Error", "message": str(exc)})
        except Exception as exc:  # noqa: BLE001 - the service must outlive one bad command
            _out(stdout, {"type": "Error", "message": f"internal error: {type(exc).__name__}: {exc}"})
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: python -m seqlab.training.lm_service RUN_DIR\n")
        raise SystemExit(2)
    raise SystemExit(serve(sys.argv[1], sys.stdin, sys.stdout))
