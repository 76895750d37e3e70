"""Snapshots of every view at 80×24 and 120×40 (deterministic content: a fixed run on disk).

Update after a deliberate change with: pytest tests/tui --snapshot-update
"""

from __future__ import annotations

from pathlib import Path

import pytest

from seqlab.tui.app import SeqlabApp
from tests.tui.conftest import FAKE_RUN, make_fake_run, wait_for

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
VIEWS = ("data", "model", "train", "hidden", "runs")


def _before(view: str):
    async def run_before(pilot) -> None:
        app: SeqlabApp = pilot.app
        await wait_for(pilot, lambda: app.data_ready and app.session.prepared is not None)
        await wait_for(pilot, lambda: bool(app.views.runs.run_dirs))
        await wait_for(pilot, lambda: app.text_view is None or app.text_view.is_mounted)
        if view in ("train", "hidden"):
            app.open_run(str(Path("runs") / FAKE_RUN))
        app.action_view(view)
        app.action_unfocus()
        await pilot.pause(0.3)
        await pilot.wait_for_scheduled_animations()
        app.clear_notifications()
        await pilot.pause(0.3)

    return run_before


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", VIEWS)
def test_view_snapshot(view: str, size: str, runs_dir: Path, snap_compare) -> None:
    make_fake_run(runs_dir)
    app = SeqlabApp(runs_dir="runs")
    assert snap_compare(app, terminal_size=SIZES[size], run_before=_before(view))


def test_help_snapshot(runs_dir: Path, snap_compare) -> None:
    app = SeqlabApp(runs_dir="runs", load_default=False)
    assert snap_compare(app, press=["question_mark"], terminal_size=(80, 24))
