"""What a learner reads at 80×24: the help at the current view's section, the Hidden view's
title and map from the same snapshot."""

from __future__ import annotations

from pathlib import Path

from textual.containers import VerticalScroll

from seqlab.tui.app import SeqlabApp
from seqlab.tui.widgets.statepanel import StatePanel
from tests.tui.conftest import FAKE_RUN, make_fake_run, wait_for


async def _settled(pilot, app) -> None:
    """The text tab is added after the first frame: let it mount before the test ends."""
    await wait_for(pilot, lambda: app.text_view is not None and app.text_view.is_mounted)


def _screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_help_opens_at_the_current_views_section(runs_dir: Path) -> None:
    app = SeqlabApp(runs_dir="runs", load_default=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settled(pilot, app)
        app.action_view("hidden")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        scroll = app.screen.query_one(VerticalScroll)
        await wait_for(pilot, lambda: scroll.scroll_offset.y > 20)
        body = _screen_text(app).split("\n", 3)[-1]  # below the tab bar
        assert "4 Hidden" in body and "1 Data" not in body and "3 Train" not in body
        await pilot.press("escape")
        app.action_view("runs")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        scroll = app.screen.query_one(VerticalScroll)
        await wait_for(pilot, lambda: "5 Runs" in _screen_text(app).split("\n", 3)[-1])
        assert "4 Hidden" not in _screen_text(app).split("\n", 3)[-1]
        await pilot.press("question_mark")  # ? again closes it, as its key bar says
        await wait_for(pilot, lambda: type(app.screen).__name__ != "HelpScreen")


async def test_hidden_title_and_rows_come_from_one_snapshot(runs_dir: Path) -> None:
    make_fake_run(runs_dir)
    app = SeqlabApp(runs_dir="runs", load_default=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settled(pilot, app)
        app.open_run(str(Path("runs") / FAKE_RUN))
        app.action_view("hidden")
        await pilot.pause()
        panel = app.query_one("#heatmap", StatePanel)
        probe = app.shown.probe
        assert panel.labels == list(probe.labels)
        text = _screen_text(app)
        assert f"({probe.labels[0]}…{probe.labels[-1]})" in text
        assert f"epoch {probe.epoch}" in text
        assert "t 1–12 of 12 · units 1–16 of 16" in text  # all of it fits: it says so
        assert "last/first" in text  # the gradient strip's numbers


async def test_a_txt_file_opens_the_text_view(runs_dir: Path) -> None:
    """`seqlab FILE.txt` is a text for the Text view, not a CSV that fails to parse."""
    corpus = runs_dir.parent / "mine.txt"
    corpus.write_text("the cat sat on the mat.\nthe dog sat on the log.\n" * 20, encoding="utf-8")
    app = SeqlabApp(str(corpus), runs_dir="runs")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.text_view is not None and app._text_active())
        await wait_for(pilot, lambda: "mine.txt" in _screen_text(app))
        assert not [n for n in app._notifications if n.severity == "error"]
        assert app.session.cfg.data.path.endswith("airline_passengers.csv")  # series side: sample
