"""Pilot tests of the text view: chips and vocabulary, tokenizers, refusals, bad input, and a
real (tiny) training run followed by probe, generation and neighbours through the child
processes. Everything at 80×24.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Checkbox, Footer, Input, Select

from seqlab.text import MORPH_MISSING
from seqlab.tui.textlab import TextView
from seqlab.tui.textlab.chips import TokenChips, chip_lines
from seqlab.tui.textlab.session import BUNDLED
from seqlab.tui.widgets.plots import PlotView
from seqlab.tui.widgets.statepanel import StatePanel

SIZE = (80, 24)


class TextHarness(App[None]):
    """The smallest app that mounts the text view (as the lab does, in one line)."""

    def __init__(self, runs_dir: str = "runs") -> None:
        super().__init__()
        self.runs_dir = runs_dir
        self.animation_level = "none"

    def compose(self) -> ComposeResult:
        yield TextView(runs_dir=self.runs_dir)
        yield Footer(compact=True)

    @property
    def view(self) -> TextView:
        return self.query_one(TextView)

    async def action_quit(self) -> None:
        await self.view.shutdown()
        self.exit()


async def wait_for(pilot, cond: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await pilot.pause(0.05)
    await pilot.pause()


def messages(app: App) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def tokenized(pilot, view: TextView, check: Callable[[], bool] = lambda: True) -> None:
    await pilot.pause(0.3)  # past the typing debounce
    await wait_for(pilot, lambda: view.tokenized is not None and check())


def morph_available() -> bool:
    try:
        import kiwipiepy  # noqa: F401
    except ImportError:
        return False
    return True


# -- pure helpers ------------------------------------------------------------------------------
def test_chip_lines_never_split_a_chip_and_fit_the_width() -> None:
    tokens = ["나", "는", " ", "밥", "을", "ᆫ", "<eos>"] * 20
    ids = list(range(len(tokens)))
    lines = chip_lines(tokens, ids, 30)
    assert all(line.cell_len <= 30 for line in lines)
    text = " ".join(line.plain for line in lines)
    assert "나·0" in text and "␣·2" in text and "ㄴ·5" in text  # lone jamo shown 2 cells wide
    assert "<eos>·6" in text


# -- the view ----------------------------------------------------------------------------------
async def test_typing_shows_chips_and_vocabulary(tmp_path: Path) -> None:
    app = TextHarness(str(tmp_path / "runs"))
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        await tokenized(pilot, view)
        chips = view.query_one("#tx-chips", TokenChips)
        tokens, ids = chips.data
        assert tokens[:4] == ["나", "는", " ", "밥"]
        assert "vocabulary" in str(view.query_one("#tx-summary").render())

        view.set_text("")
        view.query_one("#tx-input").focus()
        await pilot.press("a", "b", "a", "space", "c")
        await tokenized(pilot, view, lambda: view.tokenized.tokens[:5] == list("aba c"))
        tokens, ids = chips.data
        assert tokens == ["a", "b", "a", " ", "c", "<eos>"]
        assert ids[0] == ids[2] and ids[-1] == 3  # same token, same id; <eos> is 3
        vocab = view.tokenized.vocab
        assert len(vocab) == 4 + 4  # a b c ␣ + <pad> <unk> <bos> <eos>
        summary = str(view.query_one("#tx-summary").render())
        assert "vocabulary 8" in summary and "0 unknown" in summary

        # a corpus is the vocabulary's source: the typed text's unknown tokens are counted
        view.action_corpus("ko")
        view.set_text("나는 밥을 먹었다 xyz")
        await tokenized(pilot, view, lambda: view.corpus == str(BUNDLED["ko"])
                        and "x" in view.tokenized.tokens)
        assert view.tokenized.unknown == 3
        assert "3 unknown" in str(view.query_one("#tx-summary").render())


async def test_switching_tokenizer_changes_the_chips(tmp_path: Path) -> None:
    app = TextHarness(str(tmp_path / "runs"))
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        view.set_text("나는 밥을 먹었다.")
        await tokenized(pilot, view, lambda: view.tokenized.tokens[0] == "나")
        view.set_tokenizer("jamo")
        await tokenized(pilot, view, lambda: view.tokenized.tokenizer == "jamo")
        tokens, _ = view.query_one("#tx-chips", TokenChips).data
        assert tokens[:3] == ["ᄂ", "ᅡ", "ᄂ"]
        assert "ㄴ·" in str(view.query_one("#tx-chips").render())  # a lone jamo drawn visibly
        view.set_tokenizer("word")
        await tokenized(pilot, view, lambda: view.tokenized.tokenizer == "word")
        tokens, _ = view.query_one("#tx-chips", TokenChips).data
        assert tokens == ["나는", "밥을", "먹었다.", "<eos>"]
        if not morph_available():
            view.set_tokenizer("morph")
            await wait_for(pilot, lambda: MORPH_MISSING in " ".join(messages(app)))
            assert view.tokenizer == "word"
            assert view.query_one("#tx-tokenizer", Select).value == "word"


async def test_bidirectional_is_refused_with_the_reason(tmp_path: Path) -> None:
    app = TextHarness(str(tmp_path / "runs"))
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        view.show_pane("model")
        await pilot.pause()
        box = view.query_one("#tx-bidir", Checkbox)
        box.focus()
        await pilot.press("space")
        await wait_for(pilot, lambda: any("future" in m for m in messages(app)))
        assert box.value is False
        assert any("time-series" in m for m in messages(app))


async def test_bad_input_notifies_and_keeps_state(tmp_path: Path) -> None:
    app = TextHarness(str(tmp_path / "runs"))
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        await tokenized(pilot, view)
        view.set_text("   \n  ")
        await wait_for(pilot, lambda: any("empty" in m for m in messages(app)))
        assert view.query_one("#tx-chips", TokenChips).data is None
        view.action_train()
        await wait_for(pilot, lambda: sum("empty" in m for m in messages(app)) >= 2)
        assert not view.run.active

        # a binary corpus is refused; the bundled one stays
        view.action_corpus("en")
        await tokenized(pilot, view, lambda: view.corpus == str(BUNDLED["en"]))
        binary = tmp_path / "blob.txt"
        binary.write_bytes(bytes(range(256)) * 40)
        view.set_corpus(str(binary))
        await wait_for(pilot, lambda: any("binary" in m for m in messages(app)))
        assert view.corpus == str(BUNDLED["en"])
        assert view.query_one("#tx-corpus", Input).value == str(BUNDLED["en"])

        # a corpus too small for a validation split: refused before any process starts
        view.set_corpus("")
        view.set_text("짧은 글.")
        await tokenized(pilot, view, lambda: view.corpus == "")
        view.action_train()
        await wait_for(pilot, lambda: any("validation" in m for m in messages(app)))
        assert view.run.status == "idle"

        # a single 1 MB line is tokenized in a thread: the UI keeps answering
        big = tmp_path / "big.txt"
        big.write_text("가나다라마바사 " * 131_072, encoding="utf-8")
        view.set_corpus(str(big))
        await wait_for(pilot, lambda: view.corpus == str(big), timeout=60)
        assert "… and" not in str(view.query_one("#tx-chips").render())  # typed text is short

        # a text of unknown tokens only: warned, chips all <unk>
        view.action_corpus("ko")
        view.set_text("xyzqq")
        await wait_for(pilot, lambda: any("None of the typed" in m for m in messages(app)))
        assert set(view.query_one("#tx-chips", TokenChips).data[1]) == {1, 3}

        # a minimum frequency that leaves only the specials
        min_freq = view.query_one("#tx-min-freq", Input)
        min_freq.focus()
        min_freq.value = "100000"
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("leaves no token" in m for m in messages(app)))
        min_freq.value = "1"
        await pilot.press("enter")

        # probing with no trained model says what to do; a broken run answers one line
        view.action_probe("나는 밥을")
        await wait_for(pilot, lambda: any("train one first" in m for m in messages(app)))
        view.use_run(str(tmp_path))
        view.action_probe("나는 밥을")
        await wait_for(pilot, lambda: any("no model.pt" in m for m in messages(app)), timeout=60)
        await wait_for(pilot, lambda: view._service is None, timeout=30)


async def test_train_probe_generate_neighbours(tmp_path: Path) -> None:
    """A real 2-epoch run on the bundled Korean corpus, then a look inside it (in the lab,
    whose run controller starts, follows and stops the text run)."""
    from seqlab.tui.app import SeqlabApp

    runs = tmp_path / "runs"
    app = SeqlabApp(runs_dir=str(runs), load_default=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.text_view is not None)
        await pilot.press("6")
        view = app.text_view
        view.action_corpus("ko")
        await tokenized(pilot, view, lambda: view.corpus == str(BUNDLED["ko"]))
        for wid, value in (("#tx-emb", "8"), ("#tx-hidden", "16"), ("#tx-window", "16"),
                           ("#tx-epochs", "200"), ("#tx-batch", "64"), ("#tx-lr", "0.01")):
            view.query_one(wid, Input).value = value

        # stop: a long run ends within a batch and is kept as stopped
        view.query_one("#tx-input").focus()
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: view.run.status == "running", timeout=60)
        view.show_pane("inside")  # watch another validation window from the next epoch
        await wait_for(pilot, lambda: view.run.probe is not None, timeout=30)
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: view.run.probe.sample == 1, timeout=30)
        assert view.inside.sample == 1
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: view.run.status == "stopped"
                       and app.runs.runs["text"].task is None, timeout=30)

        view.query_one("#tx-epochs", Input).value = "2"
        view.query_one("#tx-input").focus()
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: view.run.status == "finished"
                       and app.runs.runs["text"].task is None, timeout=60)
        assert len(view.run.epochs) == 2
        series = {s.name: s for s in view.query_one("#tx-loss-plot", PlotView).data["series"]}
        assert len(series["train"].x) == 2 and len(series["val"].x) == 2
        ppl = {s.name: s for s in view.query_one("#tx-ppl-plot", PlotView).data["series"]}
        assert ppl["unigram"].y[0] == pytest.approx(view.run.unigram)
        assert ppl["val"].y[-1] < view.run.unigram  # the model beats the unigram baseline
        assert (Path(view.run.run_dir) / "model.pt").is_file()
        assert view.model_run == view.run.run_dir
        assert view.inside is not None  # the watched validation window, from the last epoch
        view.show_pane("train")
        await pilot.pause(0.5)
        rows = _screen_text(app).splitlines()
        axes = [r for r in rows if "└" in r]
        assert axes and all(r.rstrip().endswith("epoch") and "." not in r for r in axes), axes
        legend = next(r for r in rows if "━━ train" in r)
        assert "  ━ train" in legend  # the two charts' legends do not run together

        # look inside a typed sentence
        view.action_probe("나는 밥을 많이 먹었다.")
        await wait_for(pilot, lambda: view.inside_source == "probe", timeout=60)
        panel = view.query_one("#tx-heatmap", StatePanel)
        assert panel.labels == list("나는 밥을 많이 먹었다.".replace(" ", "␣"))  # every token
        assert panel.values is not None and panel.values.shape == (13, 16)
        assert len(view.inside.topk[0]) == 5
        assert "next after ‘나’" in str(view.query_one("#tx-topk").render())
        view.query_one("#tx-heatmap").focus()
        await pilot.press("down", "k")  # cursor to '는'; next state (LSTM cell c)
        assert view.sel_kind == "c"
        assert "next after ‘는’" in str(view.query_one("#tx-topk").render())

        # generation streams tokens
        view.query_one("#tx-ntokens", Input).value = "12"
        view.action_generate("나는 ")
        await wait_for(pilot, lambda: view.gen_done and len(view.generated) == 12, timeout=30)
        assert "나는" in str(view.query_one("#tx-gen-out").render())

        view.action_neighbours("밥")
        await wait_for(pilot, lambda: bool(view.neighbour_items), timeout=30)
        assert len(view.neighbour_items) == 8
        view.action_neighbours("없는토큰")
        await wait_for(pilot, lambda: any("not in the vocabulary" in m for m in messages(app)))

        service = view._service
        await app.action_quit()
    assert service is not None and not service.running


SMALL_TEXT = "나는 밥을 먹었다.\n" * 6  # 66 char tokens: window 32 does not fit, 4 does


async def test_a_typed_window_is_kept_or_refused_never_shortened(tmp_path: Path) -> None:
    app = TextHarness(str(tmp_path / "runs"))
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        view.set_text(SMALL_TEXT)
        await tokenized(pilot, view, lambda: view.tokenized.n_tokens == 60)
        view.show_pane("model")
        window = view.query_one("#tx-window", Input)
        window.focus()
        await pilot.press("end", "backspace", "2")  # 32 again, but typed: the user's choice
        assert window.value == "32"
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: any("window 32" in m for m in messages(app)))
        refusal = next(m for m in messages(app) if "window 32" in m)
        assert "lower the window" in refusal and "\n" not in refusal  # one line, with the remedy
        assert not any("→" in m for m in messages(app))  # nothing was shortened
        assert window.value == "32" and not view.run.active

        window.value = "4"  # fits: kept as typed
        cfg = view.build_config()
        assert cfg.text.window == 4 and not cfg.text.fit_window
        assert view.session.check_fits(cfg) == ""


async def test_the_default_window_is_fitted_to_a_small_text_and_says_so(tmp_path: Path) -> None:
    app = TextHarness(str(tmp_path / "runs"))
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        view.set_text(SMALL_TEXT)
        await tokenized(pilot, view, lambda: view.tokenized.n_tokens == 60)
        assert view.build_config().text.fit_window  # the default window
        view.action_train()  # TextHarness has no run controller: the run is only asked for
        await wait_for(pilot, lambda: any(m.startswith("Window 32 → ") for m in messages(app)))


async def test_generated_morphemes_read_as_words(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A morph run in the lab (Kiwi stood in by tests/fakes/kiwipiepy, in this process and in
    the training and model processes): the Generate pane joins the morphemes into words."""
    import os
    import sys

    from seqlab.text import tokenizers as tok_module
    from seqlab.tui.app import SeqlabApp

    fakes = Path(__file__).resolve().parent.parent / "fakes"
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(fakes), os.environ.get("PYTHONPATH", "")) if p))
    monkeypatch.syspath_prepend(str(fakes))
    saved = sys.modules.pop("kiwipiepy", None)
    tok_module._load_kiwi.cache_clear()
    text = "나는 공원에서 했다.\n동생은 학교에서 했다.\n" * 20
    try:
        app = SeqlabApp(runs_dir=str(tmp_path / "runs"), load_default=False)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.text_view is not None)
            await pilot.press("6")
            view = app.text_view
            view.set_text(text)
            await tokenized(pilot, view)
            view.set_tokenizer("morph")
            await tokenized(pilot, view, lambda: view.tokenizer == "morph")
            assert view.tokenized.tokens[:2] == ["나/NP", "는/JX"]
            for wid, value in (("#tx-emb", "8"), ("#tx-hidden", "16"), ("#tx-window", "8"),
                               ("#tx-epochs", "10"), ("#tx-batch", "8"), ("#tx-lr", "0.03")):
                view.query_one(wid, Input).value = value
            view.action_train()
            await wait_for(pilot, lambda: view.run.status == "finished"
                           and app.runs.runs["text"].task is None, timeout=120)
            for wid, value in (("#tx-temp", "0.01"), ("#tx-topk-k", "1"),
                               ("#tx-ntokens", "6")):
                view.query_one(wid, Input).value = value
            view.action_generate("나는")
            await wait_for(pilot, lambda: view.gen_done and len(view.generated) == 6, timeout=60)
            shown = str(view.query_one("#tx-gen-out").render())
            # greedy after 나는: a place, 에서, 하 었 다 . (6 morphemes), joined by Kiwi's join
            assert view.generated[1:] == ["에서/JKB", "하/VV", "었/EP", "다/EF", "./SF"]
            assert shown.rstrip("▌") in ("나는 공원에서 했다.", "나는 학교에서 했다.")
            await app.action_quit()
    finally:
        tok_module._load_kiwi.cache_clear()
        sys.modules.pop("kiwipiepy", None)
        if saved is not None:
            sys.modules["kiwipiepy"] = saved


def test_initial_view_snapshot(tmp_path: Path, snap_compare) -> None:
    app = TextHarness(str(tmp_path / "runs"))

    async def ready(pilot) -> None:
        view = pilot.app.view
        await tokenized(pilot, view)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


SENTENCE = "나는 밥을 많이 먹었다."  # 13 char tokens


@pytest.fixture(scope="module")
def tiny_text_run(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real 2-epoch char LSTM on the bundled Korean corpus (seed 0, one thread)."""
    from seqlab.config import ModelConfig, TextConfig, TextRunConfig, TrainConfig
    from seqlab.training.text_trainer import TextTrainer

    cfg = TextRunConfig(
        text=TextConfig(path=str(BUNDLED["ko"]), tokenizer="char", window=16, embedding=8),
        model=ModelConfig(cell="lstm", hidden_size=16),
        train=TrainConfig(epochs=2, lr=1e-2, batch_size=64, seed=0, threads=1,
                          runs_dir=str(tmp_path_factory.mktemp("runs"))),
    )
    end = TextTrainer(cfg).run()
    assert end.status == "finished", end.reason
    return end.run_dir


def _screen_text(app: App) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def _inside_of_sentence(pilot, run_dir: str) -> TextView:
    """The lab at the Inside pane, looking at SENTENCE through the trained model."""
    app = pilot.app
    await wait_for(pilot, lambda: app.text_view is not None and app.text_view.is_mounted)
    await pilot.press("6")
    view = app.text_view
    view.use_run(run_dir)
    view.action_probe(SENTENCE)
    await wait_for(pilot, lambda: view.inside_source == "probe", timeout=120)
    await pilot.pause(0.3)
    return view


async def test_inside_pane_at_80x24_shows_every_token_and_its_numbers(
        tiny_text_run: str, tmp_path: Path) -> None:
    from seqlab.tui.app import SeqlabApp

    app = SeqlabApp(runs_dir=str(tmp_path / "runs"), load_default=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:  # toasts drawn
        view = await _inside_of_sentence(pilot, tiny_text_run)
        panel = view.query_one("#tx-heatmap", StatePanel)
        assert len(panel.labels) == 13 and panel.values.shape == (13, 16)
        app.clear_notifications()
        await pilot.pause(0.3)
        screen = _screen_text(app)
        rows = screen.splitlines()
        assert len(rows) == 24
        assert "t 1–13 of 13 · units 1–16 of 16" in screen  # every token in view at once
        assert [r[0] for r in rows[6:19]] == list(SENTENCE.replace(" ", "␣"))
        header = rows[4]
        assert "hidden state h" in header and "layer 0" in header and "…" not in header
        assert "scaled to" in screen and "this map's ±max" in screen  # the legend, whole
        assert "strip: min " in screen and "last/first " in screen  # the gradient's numbers
        assert "‖∂loss/∂h_t‖ (log)" in screen

        # a toast over the pane leaves nothing behind once it has gone
        before = screen
        view.notify("Toastmark " * 8, timeout=2)  # wide enough to cover map and side column
        await wait_for(pilot, lambda: "Toastmark" in _screen_text(app), timeout=10)
        await wait_for(pilot, lambda: "Toastmark" not in _screen_text(app), timeout=10)
        await pilot.pause(0.5)
        assert _screen_text(app) == before
        await app.action_quit()


def test_inside_pane_snapshot_80x24(tiny_text_run: str, tmp_path: Path, snap_compare) -> None:
    from seqlab.tui.app import SeqlabApp

    async def ready(pilot) -> None:
        view = await _inside_of_sentence(pilot, tiny_text_run)
        await view.shutdown()  # the model's process ends here, not after the event loop
        pilot.app.clear_notifications()
        await pilot.pause(0.3)

    app = SeqlabApp(runs_dir=str(tmp_path / "runs"), load_default=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_text_view_imports_no_torch() -> None:
    """The UI process must draw its first frame without torch (DESIGN.md)."""
    import subprocess
    import sys

    code = "import sys, seqlab.tui.textlab.view; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
