"""The seqlab lab: five views in tabs (and the text mode), keyboard first.

Nothing here imports torch: runs are processes of their own, followed and steered by the run
controller (seqlab.tui.run_controller); the probe service re-probes finished runs.

Over 500 lines on purpose: the app is the mediator of the lab's messages (views post them up,
the app hands state down), so every handler of a view-to-view consequence lives here, next to
its bindings and commands, and holds no logic of its own beyond routing. It also orders the
start (which views mount first, when the rest follow); the seam to split along next is that
start-up sequence into a module of its own beside ``views/lazy.py``.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import gc
import os
from pathlib import Path
from typing import Any

import textual.screen
from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import TabbedContent

from seqlab.errors import SeqlabError
from seqlab.training.events import ProbeSnapshot, RunEnd, RunStarted, StepEnd
from seqlab.tui.gcpace import TICK_S, GCPacer
from seqlab.tui.messages import (
    OpenRun,
    RunAttached,
    RunEvent,
    RunExited,
    RunFailed,
    SettingsChanged,
    StartRun,
    StopRun,
    WatchSample,
)
from seqlab.tui.run_controller import RunController, run_name
from seqlab.tui.runstate import RunState
from seqlab.tui.session import DEFAULT_SAMPLE, SAMPLE_DIR, Session, default_config
from seqlab.tui.views.data_view import DataView
from seqlab.tui.views.hidden_view import HiddenView
from seqlab.tui.views.model_view import ModelView
from seqlab.tui.views.runs_view import RunsView
from seqlab.tui.views.train_view import PRED_SPLITS, TrainView
from seqlab.tui.widgets.keybar import KeyBar

VIEWS = ("data", "model", "train", "hidden", "runs")
# view-specific actions: action -> views where it applies
VIEW_ACTIONS = {
    "toggle_log": ("train",), "pred_split": ("train",), "cycle_kind": ("hidden",),
    "cycle_layer": ("hidden",), "cycle_dir": ("hidden",), "sample": ("hidden",),
    "refresh_runs": ("runs",), "backtest": ("train",),
}
BACKTEST_FOLDS = 3
# Textual draws a changed screen on a 60 Hz tick, and after each frame its timer waits one to two
# ticks (it re-aligns to the tick grid past the late tick): a change made just after a frame began
# showed 17-33 ms later. A 120 Hz tick halves that wait; frames still come only when something
# changed. TEXTUAL_FPS, when the user sets it, wins.
if "TEXTUAL_FPS" not in os.environ:
    textual.screen.UPDATE_PERIOD = 1 / 120
REST_AFTER_S = 3.0  # attaching: the other views mount at the latest this long after the first


class SeqlabApp(App[None]):
    """Load data, configure, train and watch a recurrent network learn."""

    CSS_PATH = str(Path(__file__).with_name("app.tcss"))
    TITLE = "seqlab"
    BINDINGS = [
        Binding("ctrl+o", "open", "Open", priority=True),
        Binding("ctrl+t", "train", "Train", priority=True),
        Binding("ctrl+s", "stop", "Stop", priority=True),
        Binding("question_mark", "help", "Help", key_display="?", priority=True),
        Binding("f10", "help", "Help", show=False),
        Binding("q", "quit", "Quit"),
        Binding("escape", "unfocus", "Leave field", show=False),
        *[Binding(str(i + 1), f"view('{v}')", v.title(), show=False) for i, v in enumerate(VIEWS)],
        *[Binding(f"f{i + 1}", f"view('{v}')", v.title(), show=False, priority=True)
          for i, v in enumerate(VIEWS)],
        Binding("6", "view('text')", "Text", show=False),
        Binding("f6", "view('text')", "Text", show=False, priority=True),
        Binding("l", "toggle_log", "Log y"),
        Binding("v", "pred_split", "Split"),
        Binding("b", "backtest", "Backtest"),
        Binding("k", "cycle_kind", "Gate"),
        Binding("y", "cycle_layer", "Layer"),
        Binding("d", "cycle_dir", "Dir"),
        Binding("left_square_bracket", "sample(-1)", "Prev", key_display="["),
        Binding("right_square_bracket", "sample(1)", "Next", key_display="]"),
        Binding("r", "refresh_runs", "Refresh"),
    ]

    def __init__(
        self,
        path: str | None = None,
        *,
        runs_dir: str | os.PathLike[str] = "runs",
        load_default: bool = True,
        attach: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__()
        # No tab-underline or scroll animations: they redraw at 60 fps, which costs CPU that
        # training needs on small machines (and looks poor over SSH).
        self.animation_level = "none"
        self.runs_dir = str(runs_dir)
        self.session = Session(default_config(self.runs_dir))
        # a .txt file is a text: the Text view opens with it, the series side with the sample
        self.initial_text = path if path and Path(path).suffix.lower() == ".txt" else None
        path = None if self.initial_text else path
        self.initial_path = path
        self.attach_to = str(attach) if attach else None  # a run directory to open on
        self._rest_added = False  # the text tab's mount has ended (done, or not available)
        self._mounting = False  # the views are being mounted
        self._exit_asked: tuple[Any, ...] | None = None  # quit asked meanwhile
        self._rest_started = False  # the views after the first ones are mounting (or have)
        self._rest_timer: Timer | None = None  # mounts them if a followed run never replays
        if path is None and load_default:
            sample = SAMPLE_DIR / DEFAULT_SAMPLE
            self.initial_path = str(sample) if sample.exists() else None
        self._gc = GCPacer()  # collects cycles between keys, not during their redraws
        self.runs = RunController(self)  # starts, follows, steers and stops runs (both kinds)
        self.shown = self.live  # what Train/Hidden show: the live run or one opened from disk
        self._backtesting = False  # a backtest child is running
        self.probe_service: Any = None  # ProbeService of a finished run, started on demand
        self._data_loaded = False  # the file asked for is loaded (or failed to)
        self._views_ready = False  # every view has mounted its widgets
        self.views = _Views(self.session, self.runs_dir)
        self.text_view: Any = None  # seqlab.tui.textlab.TextView, mounted after the first frame

    @property
    def data_ready(self) -> bool:
        """The file asked for is loaded (or could not be) and every view is mounted."""
        return self._data_loaded and self._views_ready

    @data_ready.setter
    def data_ready(self, value: bool) -> None:
        self._data_loaded = value

    @property
    def live(self) -> RunState:
        """The series run this lab follows (training now, or the last one)."""
        return self.runs.state("series")

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with TabbedContent(initial="data", id="views"):
            yield self.views.data
            yield self.views.model
            yield self.views.train
            yield self.views.hidden
            yield self.views.runs
        yield KeyBar()

    def on_mount(self) -> None:
        # The first frame is the tabs and the key bar; the views mount their widgets right
        # after it (LazyView), the followed run's views first, and the data loads after that.
        self.call_after_refresh(self._populate)

    async def _populate(self) -> None:
        """Mount the first views' widgets and open what was asked for; the rest follow."""
        v = self.views
        first = [v.train, v.hidden] if self.attach_to else [v.data]
        self._mounting = True
        try:
            if self.attach_to:  # its log is read (in a thread) while its views mount
                self.open_run(self.attach_to)
            for view in first:
                await view.populate()
                self._catch_up(view)
            if not self.attach_to:
                self._start_loading()
            else:
                if self.runs.following(self.attach_to) == "series":
                    # The replayed log arrives as a message, which would wait behind the other
                    # views' mounts: they mount once it is drawn (or after a few seconds).
                    self._rest_timer = self.set_timer(REST_AFTER_S, self._populate_rest)
                    return
        except BaseException:
            self._mount_ended()
            raise
        await self._populate_rest()

    async def _populate_rest(self) -> None:
        """Mount the other views' widgets and the text tab."""
        if self._rest_started:
            return
        self._rest_started = True
        if self._rest_timer is not None:
            self._rest_timer.stop()
        try:
            v = self.views
            for view in v.all():
                if not view.ready:
                    await view.populate()
                    self._catch_up(view)
            if self.attach_to:
                self._start_loading()
            self._views_ready = True
            await self._add_text_pane()
        finally:
            self._mount_ended()

    def _mount_ended(self) -> None:
        self._rest_added = True
        self._mounting = False
        if self._exit_asked is not None:
            super().exit(*self._exit_asked)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown,
                              events.MouseScrollUp)):
            self._gc.touch()  # a person is acting: no older-generation collection now
        await super().on_event(event)

    def on_unmount(self) -> None:
        self._gc.stop()  # the process goes on (tests, a caller) with CPython's own collection

    def exit(self, result: None = None, return_code: int = 0, message: Any = None) -> None:
        """Quit; asked while the views are being mounted, quit as soon as they are (a widget
        pruned in the middle of its mount would end in a traceback)."""
        if self._mounting:
            self._exit_asked = (result, return_code, message)
            if self._rest_timer is not None and not self._rest_started:
                self.call_later(self._populate_rest)  # waiting for a replayed log: go on now
            return
        super().exit(result, return_code, message)

    def _catch_up(self, view: Any) -> None:
        """A view has just mounted its widgets: show it what the lab holds now."""
        v = self.views
        if view is v.data:
            v.data.sync()
        elif view is v.model:
            v.model.sync()
        elif view is v.train:
            v.train.show(self.shown)

    def _start_loading(self) -> None:
        if self.initial_path:
            self.load_file(self.initial_path)
        else:
            self.data_ready = True

    async def _add_text_pane(self) -> None:
        """The text mode (seqlab.tui.textlab) as a sixth tab, mounted after the views."""
        try:
            from seqlab.tui.textlab import TextView
        except ImportError:
            return
        from textual.widgets import TabPane

        self.text_view = TextView(runs_dir=self.runs_dir)
        tabs = self.screen_stack[0].query_one("#views", TabbedContent)
        await tabs.add_pane(TabPane("6 Text", self.text_view, id="text"))
        if self.initial_text:  # `seqlab FILE.txt`: the Text view, showing that text
            self.text_view.set_corpus(self.initial_text)
            self.action_view("text")

    def _text_active(self) -> bool:
        try:
            return self.screen_stack[0].query_one("#views", TabbedContent).active == "text"
        except Exception:
            return False

    @on(TabbedContent.TabActivated)
    def _view_changed(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()  # view-specific keys appear in the footer
        if event.pane.id == "train":
            self.views.train.show(self.shown, urgent=True)  # it skips redraws while hidden
        elif event.pane.id == "text" and self.text_view is not None:
            # its keys (F8/F9, ctrl+r/g/n) need the focus inside the view, not on the tab bar
            self.call_after_refresh(self.text_view.focus_default)

    # -- commands ---------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Any:
        yield from super().get_system_commands(screen)
        cmds = [
            ("Open file", "Open a CSV/TSV/TXT file or a bundled sample (ctrl+o)", "open"),
            ("Train", "Start training with the current settings (ctrl+t)", "train"),
            ("Stop training", "Stop after the current batch; the run is kept (ctrl+s)", "stop"),
            ("Help", "What each view shows and the ideas behind it (?)", "help"),
            ("Toggle log scale", "Loss curves on a log scale (l, Train view)", "toggle_log"),
            ("Predictions split", "Show val / test / both predictions (v, Train view)",
             "pred_split"),
            ("Backtest this run", f"Rolling-origin backtest of the shown run's settings, "
             f"{BACKTEST_FOLDS} folds beside both baselines (b, Train view)", "backtest"),
            ("Next state or gate", "h, c, i, f, g, o / h, r, z, n (k, Hidden view)",
             "cycle_kind"),
            ("Next layer", "Which layer's states (y, Hidden view)", "cycle_layer"),
            ("Next direction", "Forward / backward (d, Hidden view)", "cycle_dir"),
            ("Next sample", "Watch the next validation sample (], Hidden view)", "sample(1)"),
            ("Previous sample", "Watch the previous validation sample ([, Hidden view)",
             "sample(-1)"),
            ("Refresh runs", "Re-read the runs directory (r, Runs view)", "refresh_runs"),
        ]
        for i, v in enumerate(VIEWS):
            cmds.append((f"View: {v.title()}", f"Show the {v} view ({i + 1} or F{i + 1})",
                         f"view('{v}')"))
        cmds.append(("View: Text", "The text mode: tokens, a language model (6 or F6)",
                     "view('text')"))
        for title, help_text, action in cmds:
            yield SystemCommand(title, help_text, _runner(self, action))
        if self.text_view is not None:
            from seqlab.tui.textlab import TEXT_COMMANDS

            for title, help_text, action in TEXT_COMMANDS:
                yield SystemCommand(title, help_text, _text_runner(self, action))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        views = VIEW_ACTIONS.get(action)
        if views is not None:
            try:
                active = self.screen_stack[0].query_one("#views", TabbedContent).active
            except Exception:
                return False
            return active in views
        if action in ("train", "stop", "open") and isinstance(self.screen, Screen) and \
                self.screen is not self.screen_stack[0]:
            return False
        if action in ("train", "stop") and self._text_active():
            return True  # the text view decides
        if action == "stop":
            return self.live.active  # shown only while training
        if action == "train":
            return not self.live.active
        return True

    # -- actions ----------------------------------------------------------------------------
    def action_view(self, view: str) -> None:
        screen = self.screen_stack[0]
        tabs = screen.query_one("#views", TabbedContent)
        focused = screen.focused
        pane = tabs.active_pane
        if focused is not None and pane is not None and pane in focused.ancestors:
            # park the focus on the tab bar first: when a focused widget is hidden, Textual
            # focuses a neighbour in the same (hidden) pane, which switches straight back
            from textual.widgets import Tabs

            screen.set_focus(tabs.query_one(Tabs), scroll_visible=False)
        tabs.active = view
        self._draw_now(screen, view)

    def _draw_now(self, screen: Screen, view: str) -> None:
        """Draw the view this key showed in this handler's own frame.

        Left to Textual, a view switch reaches the screen through a chain of idle messages (the
        pane's layout request, then the screen's), each waiting for the next screen tick; while a
        run trains, two or three ticks and a frame of the old view passed first (key to drawn
        view p50 62 ms, p99 212 ms in benchmarks/tui_latency.py). Here the view's content is
        brought up to date and the screen is laid out and composited at once.
        """
        if view == "train":
            self.views.train.show(self.shown, urgent=True)  # it skips redraws while hidden
        layout_now = getattr(screen, "_refresh_layout", None)  # Textual's own screen-tick step
        if callable(layout_now):
            layout_now()
        else:  # pragma: no cover - a Textual without it: the next screen tick lays it out
            screen.refresh(layout=True)

    def action_unfocus(self) -> None:
        tabs = self.screen_stack[0].query_one("#views", TabbedContent)
        with contextlib.suppress(Exception):
            tabs.query_one("Tabs").focus()

    def action_help(self) -> None:
        from seqlab.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()  # ? again closes it, as the help's own key bar says
            return
        try:
            view = self.screen_stack[0].query_one("#views", TabbedContent).active
        except Exception:
            view = None
        self.push_screen(HelpScreen(view))

    def action_open(self) -> None:
        from seqlab.tui.screens.open_file import OpenFileScreen

        def done(path: str | None) -> None:
            if path:
                self.load_file(path)

        start = Path(self.session.cfg.data.path).parent if self.session.cfg.data.path else None
        self.push_screen(OpenFileScreen(str(start) if start else None), done)

    def action_toggle_log(self) -> None:
        tv = self.views.train
        tv.log_y = not tv.log_y
        tv.redraw_loss(self.shown)

    def action_pred_split(self) -> None:
        tv = self.views.train
        tv.pred_split = PRED_SPLITS[(PRED_SPLITS.index(tv.pred_split) + 1) % len(PRED_SPLITS)]
        tv.redraw_predictions(self.shown)

    def action_cycle_kind(self) -> None:
        self.views.hidden.cycle("kind")

    def action_cycle_layer(self) -> None:
        self.views.hidden.cycle("layer")

    def action_cycle_dir(self) -> None:
        self.views.hidden.cycle("dir")

    def action_sample(self, delta: int) -> None:
        self.views.hidden.step_sample(delta)

    def action_refresh_runs(self) -> None:
        self.views.runs.reload()

    # -- data -----------------------------------------------------------------------------
    def load_file(self, path: str) -> None:
        """Open a file in a thread; on failure notify and keep what is loaded."""
        self._load_worker(path)

    @work(thread=True, exclusive=True, group="load")
    def _load_worker(self, path: str) -> None:
        try:
            loaded = self.session.load(path)
        except SeqlabError as exc:
            self.call_from_thread(self._load_failed, path, str(exc))
            return
        except Exception as exc:  # pandas / OS errors: still one line, never a traceback
            self.call_from_thread(self._load_failed, path, f"{type(exc).__name__}: {exc}")
            return
        self.call_from_thread(self._loaded, *loaded)

    def _load_failed(self, path: str, reason: str) -> None:
        self.data_ready = True
        kept = Path(self.session.cfg.data.path).name if self.session.table is not None else ""
        more = f" Kept {kept}." if kept else ""
        self.notify(f"{reason}{more}", title=f"Cannot open {Path(path).name}", severity="error",
                    timeout=8, markup=False)

    def _loaded(self, table: Any, prepared: Any, cfg: Any, problem: str = "") -> None:
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, probe_sample=0))
        self.session.adopt(table, prepared, cfg, problem)
        if problem:
            self.notify(f"{problem} Choose one in the Data view's 'missing' field.",
                        title=f"{Path(cfg.data.path).name}: missing values", severity="warning",
                        timeout=12, markup=False)
        self.views.data.sync()
        self.views.model.sync()
        self.views.hidden.sync()
        if not self.live.active:
            self.views.train.show(self.shown)
        self.data_ready = True
        # The widgets, pandas and the table live as long as the app: keep them out of the
        # cyclic collector's full passes, which otherwise pause the interface for tens of ms;
        # and collect while no key is waiting (seqlab.tui.gcpace).
        gc.freeze()
        if not self._gc.running:
            self._gc.start()
            self.set_interval(TICK_S, self._gc.tick)

    @on(SettingsChanged)
    def _on_settings_changed(self, message: SettingsChanged) -> None:
        """A view changed the session's settings: redraw what depends on them."""
        if message.section == "data":
            self.views.data.refresh_derived()
        self.views.model.refresh_derived()
        if not self.live.active and (message.section == "data" or self.shown.status == "idle"):
            self.views.train.show(self.shown)

    @on(OpenRun)
    def _on_open_run(self, message: OpenRun) -> None:
        self.open_run(message.run_dir)

    def choose_sample(self, n: int) -> int:
        """Watch validation sample n (clamped); a running training switches at its next probe,
        a finished run is re-probed with its best weights."""
        n = max(0, min(n, max(0, self._n_val() - 1)))
        with contextlib.suppress(SeqlabError):
            self.session.update_train(probe_sample=n)
        if self.shown is self.live and self.runs.watch("series", n):
            self.notify(f"Watching validation sample {n} from the next snapshot.", timeout=3)
        else:
            run_dir = self.shown.run_dir
            if run_dir and (Path(run_dir) / "model.pt").is_file():
                # a finished run: re-probe sample n with its best weights in a child process
                self.run_worker(self._reprobe(run_dir, n), group="reprobe")
            else:
                self.notify(f"Validation sample {n} will be watched by the next training "
                            "(ctrl+t).", timeout=3)
        return n

    def _n_val(self) -> int:
        """Validation samples of the run shown (else of the data loaded)."""
        val = self.shown.shapes.get("val") if self.shown.shapes else None
        if val:
            return int(val[0])
        prep = self.session.prepared
        return len(prep.val.starts) if prep is not None else 1

    @on(WatchSample)
    def _on_watch_sample(self, message: WatchSample) -> None:
        if message.kind == "text":
            if not self.runs.watch("text", message.sample):
                self.notify("While a text model trains, [ and ] choose which validation window "
                            "the Inside pane watches.", timeout=4, markup=False)
            return
        self.choose_sample(message.sample)
        self.views.hidden.sync()

    async def _reprobe(self, run_dir: str, n: int) -> None:
        from seqlab.tui.worker_client import ProbeService

        svc = self.probe_service
        if svc is None or svc.run_dir != run_dir or (svc.proc is not None and not svc.running):
            if svc is not None:
                svc.kill_now()
            svc = self.probe_service = ProbeService(run_dir)
        result = await svc.probe(n)
        if isinstance(result, str):
            self.notify(result, title="Cannot probe that sample", severity="error", markup=False)
            return
        if self.shown.run_dir == run_dir and not (self.shown is self.live and self.live.active):
            self.shown.probe = result
            self.views.hidden.show(result)

    # -- training ---------------------------------------------------------------------------
    def action_train(self) -> None:
        if self._text_active() and self.text_view is not None:
            self.call_later(self.text_view.run_action, "train")
            return
        if self.live.active:
            self.notify("A training is already running: ctrl+s stops it.", severity="warning")
            return
        if self.session.prepared is None:
            if self.session.problem:
                where = ("'series id' or 'aggregate' fields" if "long format" in
                         self.session.problem else "'missing' field")
                self.notify(f"{self.session.problem} Choose one in the Data view's {where}.",
                            title="Cannot train", severity="error", markup=False)
            else:
                self.notify("Open a data file first (ctrl+o).", severity="error")
            return
        if not self._commit_focused_field():
            return  # the field says why; its value is not trained with
        cfg = copy.deepcopy(self.session.cfg)
        cfg.train.runs_dir = str(Path(self.runs_dir).absolute())
        if cfg.train.threads == 0:
            from seqlab.tui.worker_client import worker_threads

            cfg.train.threads = worker_threads()
        try:
            cfg.validate()
        except SeqlabError as exc:
            self.notify(str(exc), title="Cannot train", severity="error", markup=False)
            return
        self._start_run("series", cfg)

    def _start_run(self, kind: str, cfg: Any) -> None:
        try:
            state = self.runs.start(kind, cfg)
        except SeqlabError as exc:
            self.notify(str(exc), title="Cannot train", severity="error", markup=False)
            return
        if state is None:
            self.notify("A training is already running: ctrl+s stops it.", severity="warning")
            return
        self.refresh_bindings()
        if kind == "text":
            if self.text_view is not None:
                self.text_view.show_run(state)
            return
        self.shown = state
        self.views.train.show(self.shown)
        self.views.hidden.show(None)
        self.action_view("train")

    @on(StartRun)
    def _on_start_run(self, message: StartRun) -> None:
        self._start_run(message.kind, message.config)

    def _commit_focused_field(self) -> bool:
        """Apply a number still being typed in the Data/Model form (ctrl+t from the field)."""
        from textual.widgets import Input

        widget = self.screen_stack[0].focused
        if isinstance(widget, Input):
            for view in (self.views.data, self.views.model):
                if view in widget.ancestors:  # every Input there is a form field
                    return view.commit(widget, restore=False)
        return True

    def action_backtest(self) -> None:
        st = self.shown
        cfg_path = Path(st.run_dir) / "config.toml" if st.run_dir else None
        if st.active or cfg_path is None or not cfg_path.is_file():
            self.notify("A backtest re-trains a finished run's settings fold by fold: train a "
                        "run (ctrl+t) or open one in the Runs view first.",
                        title="Nothing to backtest", severity="warning", markup=False)
            return
        if self._backtesting:
            self.notify("A backtest is already running.", severity="warning")
            return
        self._backtesting = True
        self.notify(f"Backtesting {Path(st.run_dir).name}: {BACKTEST_FOLDS} folds, each "
                    "trained from scratch; the table opens when they are done.", markup=False)
        self._backtest_worker(str(cfg_path), Path(st.run_dir).name)

    @work(exclusive=True, group="backtest")
    async def _backtest_worker(self, cfg_path: str, name: str) -> None:
        from seqlab.tui.worker_client import CommandProcess, worker_threads

        proc = CommandProcess("backtest", "--config", cfg_path, "--folds", str(BACKTEST_FOLDS),
                              "--threads", str(worker_threads()), "--json")
        result: dict[str, Any] | None = None
        try:
            result = await proc.result()
        except Exception as exc:  # could not start, pipe errors
            self.notify(f"{type(exc).__name__}: {exc}", title="Backtest failed",
                        severity="error", markup=False)
            return
        finally:
            proc.kill_now()  # the lab closing (the worker cancelled) ends the backtest too
            self._backtesting = False
        if not result or "folds" not in result:
            self.notify(proc.failure_reason("the backtest ended without a result"),
                        title="Backtest failed", severity="error", markup=False)
            return
        from seqlab.tui.screens.backtest import BacktestScreen

        self.push_screen(BacktestScreen(result, name))

    def action_stop(self) -> None:
        if self._text_active() and self.text_view is not None:
            self.call_later(self.text_view.run_action, "stop")
            return
        self._stop_run("series")

    @on(StopRun)
    def _on_stop_run(self, message: StopRun) -> None:
        self._stop_run(message.kind)

    def _stop_run(self, kind: str) -> None:
        if not self.runs.stop(kind):
            self.notify("Nothing is training.", severity="warning")
            return
        self._show_run(kind)

    def _show_run(self, kind: str) -> None:
        """Hand the run's state down to the views that show it."""
        if kind == "text":
            if self.text_view is not None:
                self.text_view.show_run(self.runs.state("text"))
        elif self.shown is self.live:
            self.views.train.show(self.live)

    @on(RunEvent)
    def _on_run_event(self, message: RunEvent) -> None:
        """Every event of a followed run, already folded into its state."""
        kind, event = message.kind, message.event
        if kind == "text":
            if self.text_view is not None:
                self.text_view.run_event(self.runs.state("text"), event)
            if isinstance(event, RunStarted):
                self.refresh_bindings()
            return
        if self.shown is not self.live:
            return
        match event:
            case ProbeSnapshot():
                self.views.hidden.show(self.live.probe)
                return
            case StepEnd():  # ~10 per second: only the status line and the loss curves
                self.views.train.show_steps(self.live)
                return
            case RunStarted():
                self.notify(f"Training {run_name(self.live.run_dir)} "
                            f"({self.live.params:,} parameters, {self.live.device}).",
                            timeout=3, markup=False)
            case RunEnd():
                sev = "error" if event.status in ("failed", "diverged") else "information"
                msg = f"Run {event.status}" + (f": {event.reason}" if event.reason else ".")
                self.notify(msg, title=run_name(event.run_dir), severity=sev, timeout=6,
                            markup=False)
        self.views.train.show(self.live)

    @on(RunAttached)
    def _on_run_attached(self, message: RunAttached) -> None:
        """A followed run's log has been replayed: draw it whole."""
        state = self.runs.state(message.kind)
        self.refresh_bindings()
        if self._rest_timer is not None and not self._rest_started:
            self.call_after_refresh(self._populate_rest)  # once these curves are on screen
        if message.kind == "text":
            if self.text_view is not None:
                self.text_view.show_run(state, replayed=True)
            return
        if self.shown is self.live:
            self.views.train.show(state, urgent=True)
            self.views.hidden.show(state.probe)

    @on(RunFailed)
    def _on_run_failed(self, message: RunFailed) -> None:
        """The one place run failures are announced (the controller has set the state)."""
        self.notify(message.reason, title="Training failed", severity="error", timeout=10,
                    markup=False)
        self._show_run(message.kind)

    @on(RunExited)
    def _on_run_exited(self, message: RunExited) -> None:
        self.refresh_bindings()
        self._show_run(message.kind)
        if message.kind == "text" and self.text_view is not None:
            self.text_view.run_exited(self.runs.state("text"))
        self.views.runs.reload()

    # -- runs -----------------------------------------------------------------------------
    def open_run(self, run_dir: str) -> None:
        """Show a run: a live one is followed (its log replayed, then read as it grows), a
        finished one is read from disk."""
        from seqlab.training import record
        from seqlab.training.runs import load_run, read_run_info

        status = record.read_state(run_dir)
        info = read_run_info(run_dir)
        kind = status.kind if status is not None else (info.kind if info is not None else "")
        if status is not None and status.live:
            self._attach(run_dir, kind)
            return
        if kind == "text" and self.text_view is None and not self._rest_added:
            self.call_after_refresh(self.open_run, run_dir)  # once the text tab is mounted
            return
        if kind == "text":
            self.open_text_run(run_dir)
            return
        try:
            record_ = load_run(run_dir)
            state = RunState.from_record(record_)
        except SeqlabError as exc:
            self.notify(str(exc), title="Cannot open run", severity="error", markup=False)
            return
        except Exception as exc:
            self.notify(f"{type(exc).__name__}: {exc}", title="Cannot open run",
                        severity="error", markup=False)
            return
        if status is not None and status.status == "crashed":
            state.status = "crashed"
            state.reason = state.reason or "its process ended without a final status"
        if self.runs.following(run_dir) == "series":
            state = self.live
        self.shown = state
        self.views.train.show(state)
        self.views.hidden.show(state.probe)
        self.action_view("train")
        if state is not self.live:
            self.notify(f"Showing {Path(run_dir).name} from disk. ctrl+t trains anew.",
                        timeout=4, markup=False)

    def _attach(self, run_dir: str, kind: str) -> None:
        """Follow a live run: the Train and Hidden views (or the Text view) show it as if it
        had been started here."""
        kind = "text" if kind == "text" else "series"
        if self.runs.following(run_dir) != kind and self.runs.active(kind):
            current = run_name(self.runs.state(kind).run_dir)
            self.notify(f"This lab follows {current}: it trains on; now showing "
                        f"{Path(run_dir).name}.", timeout=4, markup=False)
        state = self.runs.attach(run_dir, kind)
        self.refresh_bindings()
        if kind == "text":
            if self.text_view is None:
                if not self._rest_added:  # once the text tab is mounted
                    self.call_after_refresh(self._attach, run_dir, kind)
                else:
                    self.notify("The text mode is not available here.", severity="error")
                return
            self.text_view.show_run(state)
            self.action_view("text")
            self.text_view.show_pane("train")
        else:
            self.shown = state
            self.views.train.show(state)
            self.views.hidden.show(state.probe)
            self.action_view("train")
        self.notify(f"Following {Path(run_dir).name} (it trains in its own process).",
                    timeout=4, markup=False)

    def open_text_run(self, run_dir: str) -> None:
        """A text-model run: the Text tab looks inside it and generates with it."""
        if self.text_view is None:
            self.notify("The text mode is not available here.", severity="error")
            return
        self.text_view.use_run(run_dir)
        self.action_view("text")
        self.text_view.show_pane("gen")
        self.call_after_refresh(self.text_view.focus_default)
        self.notify(f"Using the text model {Path(run_dir).name}: Generate and Inside use it.",
                    timeout=4, markup=False)

    # -- quitting ---------------------------------------------------------------------------
    async def action_quit(self) -> None:
        live = self.runs.live_here()
        if live:
            from seqlab.tui.screens.quit_run import QuitRunScreen

            names = [run_name(r.run_dir) for r in live]
            paused = [r.state.status == "paused" for r in live]
            self.push_screen(QuitRunScreen(names, paused), self._quit_answer)
            return
        await self._leave()

    async def _quit_answer(self, answer: str | None) -> None:
        if answer is None:
            return  # escape: stay
        if answer == "stop":
            self.notify("Stopping the training (the run is saved as stopped)…", timeout=5)
            await self.runs.stop_all(wait_s=15.0)
        await self._leave()

    async def _leave(self) -> None:
        """Exit; runs train on in their own processes unless they were stopped."""
        self.runs.let_go_all()
        if self.text_view is not None:
            await self.text_view.shutdown()
        if self.probe_service is not None:
            self.probe_service.close_stdin()  # it exits at end of input
            await self.probe_service.terminate(1.0)
        self.exit()

    def kill_worker(self) -> None:
        """Last resort at exit: end the model services (runs are not the lab's to end)."""
        if self.probe_service is not None:
            self.probe_service.kill_now()
        if self.text_view is not None:
            self.text_view.kill_now()


class _Views:
    """The five panes, reachable whatever screen (help, open, palette) is on top."""

    def __init__(self, session: Session, runs_dir: str) -> None:
        self.data = DataView(session)
        self.model = ModelView(session)
        self.train = TrainView(session)
        self.hidden = HiddenView(session)
        self.runs = RunsView(runs_dir)

    def all(self) -> list[Any]:
        return [self.data, self.model, self.train, self.hidden, self.runs]


def _text_runner(app: SeqlabApp, action: str) -> Any:
    async def run() -> None:
        app.action_view("text")
        if app.text_view is not None:
            await app.text_view.run_action(action)

    return run


def _runner(app: SeqlabApp, action: str) -> Any:
    async def run() -> None:
        await app.run_action(action)

    return run


def run_app(path: str | None = None, mouse: bool = True, truecolor: bool = False,
            runs_dir: str = "runs", attach: str | None = None) -> None:
    """Start the lab (the `seqlab` command; ``attach``: open it on that run directory, as
    `seqlab attach` does). The terminal is restored on every exit; runs train on."""
    if truecolor or os.environ.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        import textual.constants

        if textual.constants.COLOR_SYSTEM in (None, "auto"):
            textual.constants.COLOR_SYSTEM = "truecolor"  # type: ignore[misc]
    app = SeqlabApp(path, runs_dir=runs_dir, attach=attach)
    try:
        app.run(mouse=mouse)
    finally:
        app.kill_worker()
