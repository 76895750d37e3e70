"""One command grammar for every child seqlab starts, and the one client that speaks it.

A command is one JSON object on one line, ``{"cmd": VERB, ...arguments}``; every answer is one
JSON object on one line with ``"ok"``: ``{"ok": true, ...}`` or ``{"ok": false, "error": one
line}``. A command whose answer comes in parts (``generate``) sends parts with ``"more": true``
and ends with a line without it.

Verbs of a training run (the worker, or ``seqlab train`` in-process):

* ``{"cmd": "stop"}`` ends the run after the current batch (saved as ``stopped``);
* ``{"cmd": "pause"}`` / ``{"cmd": "resume"}`` hold / release the loop between batches;
* ``{"cmd": "probe", "sample": k}`` watches validation sample k from the next snapshot on;
* ``{"cmd": "status"}`` answers ``{"ok": true, "state": {...state.json...}}``.

The probe and language-model services (``seqlab.training.probe_service``, ``lm_service``) speak
the same grammar on stdin / stdout with their own verbs (``probe``, ``generate``, ``neighbours``,
``info``, ``stop``).

Transport of a run: a Unix socket named ``control`` in the run directory, created mode 0600
(bound under a temporary name, chmod-ed, then renamed into place) and removed when the run ends.
Both sides check ownership: :class:`ControlClient` refuses a channel owned by another user or
open to group / others, and the server refuses a peer of another uid (``SO_PEERCRED``).
Directories whose path is too long for a socket address (~107 bytes) are reached through
``/proc/self/fd``.

The worker still reads commands on stdin when started with pipes by a front end: a JSON line
of this grammar, or the older ``stop`` / ``probe N`` words. Nothing is answered on stdout there
(stdout carries events).

No torch, no textual imports.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import stat
import struct
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import IO, Any

from seqlab.errors import SeqlabError

CONTROL_FILE = "control"
MAX_LINE = 1 << 16  # a command is small; answers of services may be long (probe snapshots)
_SUN_PATH_MAX = 107

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class ControlError(SeqlabError):
    """The channel is missing, refused, or the other side did not answer."""


def ok(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


def error(message: str) -> dict[str, Any]:
    # "type"/"message" repeat the error for front ends that read the older service replies
    return {"ok": False, "error": message, "type": "Error", "message": message}


def parse_command(line: str) -> dict[str, Any]:
    """One command line -> a command dict; the older worker words are accepted too.

    Raises ControlError with a one-line message for anything else.
    """
    text = line.strip()
    if text.startswith("{"):
        try:
            obj = json.loads(text)
        except ValueError:
            raise ControlError("a command is one JSON object on one line.") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("cmd"), str):
            raise ControlError('a command is a JSON object with a "cmd" string.')
        return obj
    words = text.split()
    if words == ["stop"] or words in (["pause"], ["resume"], ["status"]):
        return {"cmd": words[0]}
    if len(words) == 2 and words[0] == "probe":
        try:
            return {"cmd": "probe", "sample": int(words[1])}
        except ValueError:
            pass
    raise ControlError('a command is a JSON object with a "cmd" string.')


def check_channel(path: str | os.PathLike[str], uid: int | None = None) -> None:
    """Refuse a channel another user owns or that group / others may use."""
    p = Path(path)
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        raise ControlError(f"no control channel at {p}: the run is not live (or was started "
                           "by an older seqlab).") from None
    except OSError as exc:
        raise ControlError(f"cannot read the control channel {p}: {exc.strerror}.") from None
    me = os.getuid() if uid is None else uid
    if st.st_uid != me:
        raise ControlError(f"refusing the control channel {p}: it belongs to uid {st.st_uid}, "
                           f"not to you (uid {me}).")
    if st.st_mode & 0o077:
        raise ControlError(f"refusing the control channel {p}: its permissions "
                           f"{stat.filemode(st.st_mode)} let others use it (expected owner-only "
                           "srw-------).")
    if not stat.S_ISSOCK(st.st_mode):
        raise ControlError(f"refusing the control channel {p}: it is not a socket.")


class _ShortPath:
    """A socket address for ``path``: itself, or ``/proc/self/fd/N/name`` when too long."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> str:
        text = str(self.path)
        if len(os.fsencode(text)) <= _SUN_PATH_MAX:
            return text
        self._fd = os.open(self.path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        short = f"/proc/self/fd/{self._fd}/{self.path.name}"
        if not Path(f"/proc/self/fd/{self._fd}").exists():
            raise OSError(f"the path {text} is too long for a socket on this system")
        return short

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _peer_uid(conn: socket.socket) -> int | None:
    opt = getattr(socket, "SO_PEERCRED", None)
    if opt is None:
        return None
    try:
        raw = conn.getsockopt(socket.SOL_SOCKET, opt, struct.calcsize("3i"))
    except OSError:
        return None
    _pid, uid, _gid = struct.unpack("3i", raw)
    return uid


class ControlServer:
    """The run's end of the channel: a thread answering one JSON line per command."""

    def __init__(self, run_dir: str | os.PathLike[str], handler: Handler) -> None:
        self.path = Path(run_dir) / CONTROL_FILE
        self.handler = handler
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()
        self.allowed_uid = os.getuid()

    def start(self) -> None:
        tmp = self.path.with_name(f".{CONTROL_FILE}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with _ShortPath(tmp) as addr:
                sock.bind(addr)
            os.chmod(tmp, 0o600)  # before it has its public name
            os.replace(tmp, self.path)
            sock.listen(8)
        except BaseException:
            sock.close()
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        sock.settimeout(0.5)
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, name="seqlab-control", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _client(self, conn: socket.socket) -> None:
        with conn:
            uid = _peer_uid(conn)
            if uid is not None and uid != self.allowed_uid:
                with contextlib.suppress(OSError):
                    conn.sendall((json.dumps(error("refused: another user's process")) + "\n")
                                 .encode())
                return
            conn.settimeout(30.0)
            with conn.makefile("rb") as rfile:
                while not self._closed.is_set():
                    try:
                        raw = rfile.readline(MAX_LINE)
                    except (OSError, TimeoutError):
                        return
                    if not raw:
                        return
                    if not raw.strip():
                        continue
                    try:
                        reply = self.handler(parse_command(raw.decode("utf-8", "replace")))
                    except ControlError as exc:
                        reply = error(str(exc))
                    except Exception as exc:  # noqa: BLE001 - one bad command never ends a run
                        reply = error(f"internal error: {type(exc).__name__}: {exc}")
                    try:
                        conn.sendall((json.dumps(reply) + "\n").encode("utf-8"))
                    except OSError:
                        return

    def close(self) -> None:
        self._closed.set()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None
        with contextlib.suppress(OSError):
            # only our own socket: a resumed run may have put a new one there
            if self.path.is_socket():
                self.path.unlink()


class ControlClient:
    """The one client of the grammar, over a run's socket or a child's pipes.

    * ``ControlClient.for_run(run_dir)``: a live run (training worker or ``seqlab train``);
    * ``ControlClient.for_process(popen)``: a service child started with text pipes (sync);
    * ``ControlClient.for_streams(reader, writer)``: a child's asyncio streams (a front end).

    ``request`` is synchronous (socket or sync pipes), ``arequest`` / ``astream`` are for an
    asyncio loop (socket or streams). Every call returns the answer dict, ``{"ok": ...}``;
    a missing or refused channel or a silent peer raises :class:`ControlError`.
    """

    def __init__(self, *, path: Path | None = None, pipes: tuple[IO[str], IO[str]] | None = None,
                 streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None) -> None:
        self.path = path
        self._pipes = pipes
        self._streams = streams
        self._lock = threading.Lock()
        self._alock: asyncio.Lock | None = None

    @classmethod
    def for_run(cls, run_dir: str | os.PathLike[str]) -> ControlClient:
        path = Path(run_dir) / CONTROL_FILE
        check_channel(path)
        return cls(path=path)

    @classmethod
    def for_process(cls, proc: Any) -> ControlClient:
        if proc.stdin is None or proc.stdout is None:
            raise ControlError("the child was started without pipes.")
        return cls(pipes=(proc.stdin, proc.stdout))

    @classmethod
    def for_streams(cls, reader: asyncio.StreamReader, writer: Any) -> ControlClient:
        return cls(streams=(reader, writer))

    # synchronous -----------------------------------------------------------------------
    def request(self, cmd: str, timeout: float = 10.0, **args: Any) -> dict[str, Any]:
        line = json.dumps({"cmd": cmd, **args}, ensure_ascii=False) + "\n"
        with self._lock:
            if self._pipes is not None:
                return self._pipe_request(line, timeout)
            if self.path is None:
                raise ControlError("this client talks to an asyncio child: use arequest.")
            check_channel(self.path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                with _ShortPath(self.path) as addr:
                    sock.connect(addr)
                # a refusal may be answered (and the channel closed) before the command is
                # read: the send then fails, and the answer is still there to read
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    sock.sendall(line.encode("utf-8"))
                with sock.makefile("rb") as rfile:
                    raw = rfile.readline()
            except (FileNotFoundError, ConnectionRefusedError):
                raise ControlError(f"the run behind {self.path} is not answering: it has "
                                   "ended.") from None
            except TimeoutError:
                raise ControlError(f"no answer from {self.path} within {timeout:g} s.") from None
            except OSError as exc:
                raise ControlError(f"control channel {self.path}: {exc.strerror or exc}.") from None
            finally:
                sock.close()
        return _decode_reply(raw)

    def _pipe_request(self, line: str, timeout: float) -> dict[str, Any]:
        stdin, stdout = self._pipes  # type: ignore[misc]
        try:
            stdin.write(line)
            stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise ControlError("the child process has exited.") from None
        parts: list[dict[str, Any]] = []
        while True:
            raw = _readline_timeout(stdout, timeout)
            reply = _decode_reply(raw)
            if not reply.get("more"):
                if parts:
                    reply = {**reply, "parts": parts}
                return reply
            parts.append(reply)

    # asyncio ---------------------------------------------------------------------------
    async def arequest(self, cmd: str, timeout: float = 10.0, **args: Any) -> dict[str, Any]:
        last: dict[str, Any] = {}
        parts: list[dict[str, Any]] = []
        async for reply in self.astream(cmd, timeout=timeout, **args):
            if reply.get("more"):
                parts.append(reply)
            last = reply
        return {**last, "parts": parts} if parts else last

    async def astream(self, cmd: str, timeout: float = 10.0,
                      **args: Any) -> AsyncIterator[dict[str, Any]]:
        """Every answer line of one command (parts with ``"more": true``, then the last)."""
        if self._alock is None:
            self._alock = asyncio.Lock()
        line = (json.dumps({"cmd": cmd, **args}, ensure_ascii=False) + "\n").encode("utf-8")
        async with self._alock:  # one question, one answer: never interleave
            if self._streams is not None:
                reader, writer = self._streams
                close = None
            elif self.path is not None:
                check_channel(self.path)
                try:
                    with _ShortPath(self.path) as addr:
                        reader, writer = await asyncio.wait_for(
                            asyncio.open_unix_connection(addr, limit=1 << 26), timeout)
                except (FileNotFoundError, ConnectionRefusedError):
                    raise ControlError(f"the run behind {self.path} is not answering: it has "
                                       "ended.") from None
                except (TimeoutError, asyncio.TimeoutError):
                    raise ControlError(f"no answer from {self.path} within {timeout:g} s.") from None
                close = writer
            else:
                raise ControlError("this client talks to a sync child: use request.")
            try:
                try:
                    writer.write(line)
                    await writer.drain()
                except (BrokenPipeError, ConnectionResetError, RuntimeError):
                    raise ControlError("the child process has exited.") from None
                while True:
                    try:
                        raw = await asyncio.wait_for(reader.readline(), timeout)
                    except (TimeoutError, asyncio.TimeoutError):
                        raise ControlError(f"no answer within {timeout:g} s.") from None
                    reply = _decode_reply(raw)
                    yield reply
                    if not reply.get("more"):
                        return
            finally:
                if close is not None:
                    close.close()

    # the verbs of a run ----------------------------------------------------------------
    def stop(self) -> dict[str, Any]:
        return self.request("stop")

    def pause(self) -> dict[str, Any]:
        return self.request("pause")

    def resume(self) -> dict[str, Any]:
        return self.request("resume")

    def probe(self, sample: int) -> dict[str, Any]:
        return self.request("probe", sample=int(sample))

    def status(self) -> dict[str, Any]:
        return self.request("status")


def _decode_reply(raw: bytes | str) -> dict[str, Any]:
    if not raw:
        raise ControlError("the other side closed the channel without an answer.")
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        obj = json.loads(text)
    except ValueError:
        raise ControlError(f"not an answer: {text.strip()[:80]!r}") from None
    if not isinstance(obj, dict):
        raise ControlError(f"not an answer: {text.strip()[:80]!r}")
    if "ok" not in obj:  # an older service: errors were {"type": "Error", "message": ...}
        obj["ok"] = obj.get("type") != "Error"
        if not obj["ok"]:
            obj.setdefault("error", obj.get("message", ""))
    return obj


def _readline_timeout(stream: IO[str], timeout: float) -> str:
    """One line from a child's stdout, or ControlError after ``timeout`` seconds."""
    box: list[str] = []
    done = threading.Event()

    def read() -> None:
        with contextlib.suppress(Exception):
            box.append(stream.readline())
        done.set()

    threading.Thread(target=read, daemon=True).start()
    if not done.wait(timeout):
        raise ControlError(f"no answer within {timeout:g} s.")
    return box[0] if box else ""
