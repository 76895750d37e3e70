"""Run files are written whole or not at all: a failed write leaves the old file as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seqlab.training import fileio


def _listing(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def test_failed_rename_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "summary.json"
    target.write_bytes(b'{"status": "finished"}')
    renames: list[tuple[str, str]] = []

    def failing_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        renames.append((str(src), str(dst)))
        # the new content is complete before the rename is tried
        assert Path(src).read_bytes() == b'{"status": "stopp'
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileio.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space left"):
        fileio.atomic_write_bytes(target, b'{"status": "stopp')
    assert renames and Path(renames[0][1]) == target
    assert Path(renames[0][0]).parent == tmp_path  # same folder: the rename is atomic
    assert target.read_bytes() == b'{"status": "finished"}'
    assert _listing(tmp_path) == ["summary.json"]


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "metrics.jsonl"
    target.write_text("old\n")

    class Boom(Exception):
        pass

    real_fdopen = os.fdopen

    def fdopen(fd: int, mode: str = "r", *a: object, **kw: object):  # noqa: ANN202
        fh = real_fdopen(fd, mode, *a, **kw)  # type: ignore[call-overload]

        class Half:
            def __enter__(self):  # noqa: ANN204
                return self

            def __exit__(self, *exc: object) -> None:
                fh.close()

            def write(self, data: bytes) -> int:
                fh.write(data[:3])
                raise Boom("disk went away")

        return Half()

    monkeypatch.setattr(fileio.os, "fdopen", fdopen)
    with pytest.raises(Boom):
        fileio.atomic_write_text(target, "new content\n")
    assert target.read_text() == "old\n"
    assert _listing(tmp_path) == ["metrics.jsonl"]


def test_successful_write_replaces_whole_file_with_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "predictions.csv"
    fileio.atomic_write_text(target, "a\n")
    fileio.atomic_write_text(target, "b,c\n")
    assert target.read_text() == "b,c\n"
    assert _listing(target.parent) == ["predictions.csv"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
