"""The lab with hostile files: ctrl+o on each class of bad file gives a notification and leaves
what was loaded untouched; a damaged run directory does not break the Runs view."""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from seqlab.tui.app import SeqlabApp
from seqlab.tui.screens.open_file import OpenFileScreen
from tests.tui.conftest import FAKE_RUN, make_fake_run, wait_for


def _sparse(d: Path) -> Path:
    with open(d / "sparse.csv", "wb") as fh:
        fh.truncate(1 << 30)
    return d / "sparse.csv"


def _fifo(d: Path) -> Path:
    os.mkfifo(d / "pipe.csv")
    return d / "pipe.csv"


def _empty(d: Path) -> Path:
    (d / "e.csv").write_bytes(b"")
    return d / "e.csv"


def _undecodable(d: Path) -> Path:
    (d / "u.csv").write_bytes(b"v\n" + b"\xff\xfe\x80\x81\n" * 40)
    return d / "u.csv"


def _ragged(d: Path) -> Path:
    (d / "r.csv").write_text("a,b\n" + "1,2\n" * 30 + "1,2,3\n")
    return d / "r.csv"


def _no_numbers(d: Path) -> Path:
    (d / "t.csv").write_text("name\n" + "abc\n" * 40)
    return d / "t.csv"


def _missing(d: Path) -> Path:
    return d / "nope.csv"


def _denied(d: Path) -> Path:
    path = d / "denied.csv"
    path.write_text("v\n" + "".join(f"{i}\n" for i in range(60)))
    return path


FILES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "sparse-1gb": (_sparse, "binary"),
    "fifo": (_fifo, "not a regular file"),
    "empty": (_empty, "empty"),
    "undecodable": (_undecodable, "not readable text"),
    "ragged": (_ragged, "field(s)"),
    "no-numeric-column": (_no_numbers, "no numeric column"),
    "missing": (_missing, "not found"),
    "permission-denied": (_denied, "permission denied"),
}


@pytest.mark.parametrize("kind", sorted(FILES))
async def test_ctrl_o_bad_file_notifies_and_keeps_data(kind: str, runs_dir: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    make, words = FILES[kind]
    bad = make(runs_dir.parent)
    if kind == "permission-denied":  # as root chmod 000 denies nothing: fake what a user gets
        real_open = os.open

        def deny(p: object, flags: int, *a: object, **k: object) -> int:
            if Path(str(p)) == bad:
                raise PermissionError(errno.EACCES, "Permission denied", str(p))
            return real_open(p, flags, *a, **k)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "open", deny)
    app = SeqlabApp(runs_dir=str(runs_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session.prepared is not None)
        table, prepared, path = app.session.table, app.session.prepared, app.session.cfg.data.path
        before = len(app._notifications)
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, OpenFileScreen)
        box = app.screen.query_one("#path", Input)
        box.focus()
        box.value = str(bad)
        app.data_ready = False
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.data_ready, timeout=20)
        notes = list(app._notifications)[before:]
        assert len(notes) == 1 and notes[0].severity == "error", notes
        assert words in notes[0].message.lower(), notes[0].message
        assert "Traceback" not in notes[0].message
        assert app.session.table is table and app.session.prepared is prepared
        assert app.session.cfg.data.path == path


async def test_runs_view_lists_a_damaged_run_as_unreadable(runs_dir: Path) -> None:
    good = make_fake_run(runs_dir)
    for name, file, text in (("20250101-000000-lstm-bad-summary", "summary.json",
                              json.dumps({"status": {"x": 1}, "val": [1, 2]})),
                             ("20250101-000001-lstm-bad-config", "config.toml",
                              'model = "lstm"\n')):
        shutil.copytree(good, runs_dir / name)
        (runs_dir / name / file).write_text(text)
    app = SeqlabApp(runs_dir="runs", load_default=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.data_ready)  # views mount after the first frame
        dt = app.query_one("#runs-table", DataTable)
        await wait_for(pilot, lambda: dt.row_count == 3)
        statuses = [str(dt.get_row_at(i)[3]) for i in range(3)]
        assert statuses.count("unreadable") == 2 and "finished" in statuses
        await pilot.press("5")
        dt.focus()
        bad_row = statuses.index("unreadable")
        dt.move_cursor(row=bad_row)
        before = len(app._notifications)
        await pilot.press("enter")
        await pilot.pause()
        notes = list(app._notifications)[before:]
        assert notes and notes[-1].severity == "error" and "damaged" in notes[-1].message
        dt.move_cursor(row=statuses.index("finished"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.shown.source == "disk")
        assert Path(app.shown.run_dir).name == FAKE_RUN
