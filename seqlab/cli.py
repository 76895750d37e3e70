"""The command line: ``seqlab`` opens the lab; ``seqlab train ...`` trains headless.

This module imports neither torch nor textual at import time, so ``seqlab --help`` is fast;
each verb imports what it needs.

Its size (about 1,450 lines) is one argparse parser and one ``cmd_*`` function per verb
(train, text-train, backtest, sweep, runs, stop, attach, probe, generate, export, samples);
the seam to split along next is one module per verb in a ``cli/`` package.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import shutil
import sys
import threading
from pathlib import Path
from typing import Any

from seqlab import __version__
from seqlab.errors import SeqlabError
from seqlab.samples import default_sample, list_samples, sample_dir
from seqlab.wording import KO_INSTALL


def _esc(text: object) -> str:
    """User text (names, paths, statuses, notes) made safe for Rich markup: `[t]` stays `[t]`."""
    from rich.markup import escape

    return escape(str(text))

SAMPLE_DIR = sample_dir()
DEFAULT_SAMPLE = default_sample()

VERBS = ("train", "backtest", "sweep", "runs", "samples", "text-train", "generate", "probe",
         "export", "stop", "attach")
DIFFERENCE_MODES = ("auto", "yes", "no")


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"seqlab: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {value}")
    return value


def _at_least_one(text: str) -> int:
    value = _positive_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _split(text: str) -> tuple[float, float, float]:
    parts = [p for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected three fractions like 0.7,0.15,0.15, got {text!r}") from None
    if len(values) != 3 or not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"expected three fractions like 0.7,0.15,0.15, got {text!r}")
    return values  # type: ignore[return-value]


def _difference(text: str) -> str:
    if text not in DIFFERENCE_MODES:
        raise argparse.ArgumentTypeError(f"expected auto, yes or no, got {text!r}")
    return text


def normalise_argv(argv: list[str]) -> list[str]:
    """A bare ``--difference`` (the old switch) means ``--difference yes``, also when a file
    name follows it."""
    out = []
    for i, tok in enumerate(argv):
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if tok == "--difference" and nxt not in DIFFERENCE_MODES:
            out.append("--difference=yes")
        else:
            out.append(tok)
    return out


def add_data_flags(p: argparse.ArgumentParser) -> None:
    d = p.add_argument_group("data")
    d.add_argument("--target", default=None, help="target column (default: the only numeric one)")
    d.add_argument("--features", default=None,
                   help="comma-separated feature columns (default: all numeric but the time column)")
    d.add_argument("--time-column", default=None, help="time column (default: detected)")
    d.add_argument("--window", type=_at_least_one, default=None, help="timesteps per window (default 24)")
    d.add_argument("--horizon", type=_at_least_one, default=None, help="steps ahead to predict (default 1)")
    d.add_argument("--stride", type=_at_least_one, default=None, help="step between windows (default 1)")
    d.add_argument("--split", type=_split, default=None, help="train,val,test fractions (default 0.7,0.15,0.15)")
    d.add_argument("--missing", choices=("error", "drop", "ffill", "interpolate"), default=None,
                   help="what to do with missing values (default: error)")
    d.add_argument("--scale-x", choices=("minmax", "standard", "none"), default=None,
                   help="feature scaling fit on training rows (default minmax)")
    d.add_argument("--scale-y", choices=("auto", "yes", "no"), default=None,
                   help="target scaling; auto scales when |y| > 10 (default auto)")
    d.add_argument("--difference", type=_difference, nargs="?", const="yes", default=None,
                   metavar="auto|yes|no",
                   help="learn y[t]-y[t-1] and re-integrate the forecasts; auto (default) does "
                        "when the training rows fail a unit-root test (trend, level shift); "
                        "a bare --difference means yes")
    d.add_argument("--season", type=_positive_int, default=None,
                   help="seasonal period for the seasonal-naive baseline and MASE (default: from "
                        "the time column: monthly 12, quarterly 4, weekly 52, daily 7, hourly 24)")
    d.add_argument("--series-id", default=None, metavar="COL",
                   help="long format: the column telling the series apart; one model learns "
                        "from all series, windows never cross series")
    d.add_argument("--aggregate", choices=("sum", "mean"), default=None,
                   help="long format: sum or average the rows sharing a timestamp into one series")


def add_model_flags(p: argparse.ArgumentParser, text: bool = False) -> None:
    """Model flags; their help gives the defaults of the series or the text configuration."""
    from seqlab.config import ModelConfig, TextRunConfig

    m = TextRunConfig().model if text else ModelConfig()
    g = p.add_argument_group("model")
    g.add_argument("--model", dest="cell", choices=("rnn", "lstm", "gru"), default=None,
                   help=f"recurrent cell: rnn (tanh), lstm or gru (default {m.cell})")
    if text:  # kept so a given flag gets the config's one-line reason, but not offered
        g.add_argument("--bidirectional", action="store_true", default=None,
                       help=argparse.SUPPRESS)
    else:
        g.add_argument("--bidirectional", action="store_true", default=None,
                       help="read the window both ways (about 2x the cost)")
    g.add_argument("--layers", type=_at_least_one, default=None,
                   help=f"stacked layers (default {m.num_layers})")
    g.add_argument("--hidden", type=_at_least_one, default=None,
                   help=f"hidden size (default {m.hidden_size})")
    g.add_argument("--dropout", type=_float, default=None,
                   help=f"dropout between layers (default {m.dropout:g})")


def add_train_flags(p: argparse.ArgumentParser, text: bool = False) -> None:
    """Training flags; their help gives the defaults of the series or the text configuration."""
    from seqlab.config import TextRunConfig, TrainConfig

    t = TextRunConfig().train if text else TrainConfig()
    g = p.add_argument_group("training")
    g.add_argument("--epochs", type=_at_least_one, default=None,
                   help=f"maximum epochs (default {t.epochs})")
    g.add_argument("--batch-size", type=_at_least_one, default=None,
                   help=f"batch size (default {t.batch_size})")
    g.add_argument("--lr", type=_float, default=None,
                   help=f"Adam learning rate (default {t.lr:g})")
    g.add_argument("--patience", type=_positive_int, default=None,
                   help=f"early-stopping patience in epochs, 0 = off (default {t.patience})")
    g.add_argument("--clip", type=_float, default=None,
                   help=f"max gradient norm, 0 = off (default {t.clip:g})")
    g.add_argument("--seed", type=_positive_int, default=None,
                   help=f"random seed (default {t.seed})")
    g.add_argument("--device", default=None, help="auto (cuda > mps > cpu), cpu, cuda, cuda:N, mps")
    g.add_argument("--threads", type=_positive_int, default=None,
                   help="torch CPU threads, 0 = sized to the cores (default)")
    g.add_argument("--probe-every", type=_positive_int, default=None,
                   help=f"epochs between hidden-state probes, 0 = off (default {t.probe_every})")
    g.add_argument("--runs-dir", default=None, help="where run directories go (default runs)")
    g.add_argument("--json", action="store_true", help="end stdout with one JSON result line")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="seqlab",
        description=(
            "A terminal lab for watching recurrent networks (RNN, LSTM, GRU) learn.\n\n"
            "  seqlab                    open the lab on a bundled sample\n"
            "  seqlab FILE.csv           open the lab on your CSV\n"
            "  seqlab FILE.txt           open the lab's Text view on your text\n"
            "      --no-mouse            leave the mouse to the terminal\n"
            "      --truecolor           force 24-bit colour (SSH forwards only TERM)\n"
            "      --runs-dir DIR        where runs are kept (default runs)\n"
            "  seqlab train FILE.csv     train headless (see seqlab train --help)\n"
            "  seqlab text-train FILE    train a language model on a text\n"
            "  seqlab runs               list runs (live ones first)\n"
            "  seqlab attach [RUN]       open the lab on a live run (train --detach starts one)\n"
            "  seqlab stop RUN           stop a live run (train --resume RUN continues it)\n"
            "  seqlab samples            list the bundled samples"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"seqlab {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")

    tr = sub.add_parser("train", help="train a model on a CSV time series, headless",
                        description="Train an RNN / LSTM / GRU on a CSV time series.")
    tr.add_argument("data", nargs="?", help="CSV file (or use --config)")
    tr.add_argument("--config", help="re-run a run's config.toml (flags given override it)")
    add_data_flags(tr)
    add_model_flags(tr)
    add_train_flags(tr)
    add_record_flags(tr)

    bt = sub.add_parser("backtest", help="rolling-origin backtest: K folds beside both baselines",
                        description="Rolling-origin backtest: the test share of the series is cut "
                                    "into K blocks; each fold trains from scratch on the rows "
                                    "before its block (expanding window, scalers refit) and is "
                                    "scored on it beside persistence and seasonal naive.")
    bt.add_argument("data", nargs="?", help="CSV file (or use --config)")
    bt.add_argument("--config", help="a run's config.toml: backtest its settings")
    bt.add_argument("--folds", type=_at_least_one, default=3, help="number of folds (default 3)")
    add_data_flags(bt)
    add_model_flags(bt)
    add_train_flags(bt)

    sw = sub.add_parser(
        "sweep", help="train many runs: a grid, the course's presets, or an Optuna study",
        description=(
            "Train many ordinary runs of one CSV and compare them in one table.\n\n"
            "  grid:    --vary model=rnn,lstm,gru --vary hidden=1,2,32 --vary layers=1,2\n"
            "  presets: --course (RNN/LSTM/GRU at layers x hidden 1x1, 1x2, 2x2),\n"
            "           --cells (RNN, LSTM, GRU, bidirectional LSTM at one hidden size)\n"
            "  study:   --trials 30 --vary lr=1e-4..1e-2:log --vary hidden=8..128:int\n"
            "           (Optuna TPE; poor trials pruned from the validation loss)\n\n"
            "The study lives in the sweep's directory (runs/sweep-<data>-<hash>/study.journal):\n"
            "re-running the same command resumes it. --storage URL shares one study between\n"
            "processes or machines (sqlite:///study.db, postgresql://..., or a journal file)."),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sw.add_argument("data", nargs="?", help="CSV file (or use --config)")
    sw.add_argument("--config", help="start from a run's config.toml (flags given override it)")
    add_data_flags(sw)
    add_model_flags(sw)
    add_train_flags(sw)
    g = sw.add_argument_group("sweep")
    g.add_argument("--vary", action="append", default=[], metavar="NAME=VALUES",
                   help="a,b,c (grid) or low..high[:log][:int] (with --trials); names: "
                        "model, hidden, layers, bidirectional, dropout, lr, batch-size, clip, "
                        "epochs, patience, seed, window, scale-x, difference")
    preset = g.add_mutually_exclusive_group()
    preset.add_argument("--course", action="store_true",
                        help="RNN, LSTM, GRU at layers x hidden 1x1, 1x2, 2x2")
    preset.add_argument("--cells", action="store_true",
                        help="RNN, LSTM, GRU and a bidirectional LSTM at one hidden size, with "
                             "the gradient reaching each timestep")
    g.add_argument("--trials", type=_at_least_one, default=None,
                   help="search with Optuna's TPE until the study has N finished trials")
    g.add_argument("--jobs", type=_at_least_one, default=1,
                   help="trials at once on this machine, dividing the cores (or GPUs)")
    g.add_argument("--storage", default=None, metavar="URL",
                   help="shared study storage: sqlite:///study.db, postgresql://..., or a "
                        "journal file path (default: study.journal in the sweep directory)")
    g.add_argument("--name", default=None, help="sweep directory name (default: from a hash)")
    g.add_argument("--no-prune", action="store_true", help="never prune a --trials study")
    g.add_argument("--prune-startup", type=_positive_int, default=5,
                   help="finished trials before pruning starts (default 5)")
    g.add_argument("--prune-warmup", type=_positive_int, default=0,
                   help="epochs of a trial before it may be pruned (default 0)")

    tt = sub.add_parser(
        "text-train", help="train a next-token RNN language model on a text",
        description="Train a next-token RNN language model on a .txt corpus.",
        epilog="There is no --bidirectional here: a next-token model that also read the text "
               "backwards would see the very token it must predict.")
    tt.add_argument("corpus", nargs="?", help="UTF-8 or CP949 text file (or use --text / --config)")
    tt.add_argument("--text", dest="typed", default=None, help="train on this typed text instead")
    tt.add_argument("--config", help="re-run a text run's config.toml (flags given override it)")
    g = tt.add_argument_group("text")
    g.add_argument("--tokenizer", choices=("char", "jamo", "word", "morph"), default=None,
                   help="char (default), jamo (Hangul letters), word, morph (Korean morphemes; "
                        f"needs: {KO_INSTALL})")
    g.add_argument("--window", type=_at_least_one, default=None, help="tokens per window (default 32, shortened to fit a short text)")
    g.add_argument("--stride", type=_positive_int, default=None,
                   help="tokens between windows, 0 = a quarter of the window (default)")
    g.add_argument("--min-freq", type=_at_least_one, default=None,
                   help="rarer tokens become <unk> (default 1)")
    g.add_argument("--max-vocab", type=_positive_int, default=None,
                   help="vocabulary size limit incl. specials, 0 = none (default)")
    g.add_argument("--embedding", type=_at_least_one, default=None, help="embedding size (default 32)")
    add_model_flags(tt, text=True)
    add_train_flags(tt, text=True)
    add_record_flags(tt)

    ge = sub.add_parser("generate", help="generate text from a trained text run")
    ge.add_argument("run_dir", help="a text run's directory (see seqlab runs)")
    ge.add_argument("--prompt", required=True, help="text to continue")
    ge.add_argument("--tokens", type=_at_least_one, default=50, help="tokens to generate (default 50)")
    ge.add_argument("--temperature", type=_float, default=0.8, help="sampling temperature (default 0.8)")
    ge.add_argument("--top-k", type=_positive_int, default=0, help="sample from the k likeliest, 0 = all")
    ge.add_argument("--seed", type=_positive_int, default=0)

    pr = sub.add_parser("probe", help="show hidden states per timestep: a typed text (text runs) or the watched sample")
    pr.add_argument("run_dir", help="a run's directory (see seqlab runs)")
    pr.add_argument("--text", default=None, help="text to read (text runs)")
    pr.add_argument("--state", default="h", help="h, or for LSTM c/i/f/g/o, for GRU r/z/n")
    pr.add_argument("--layer", type=_positive_int, default=None, help="layer (default: the last)")
    pr.add_argument("--neighbours", default=None, metavar="TOKEN",
                    help="also list the tokens nearest to TOKEN in embedding space")
    pr.add_argument("--npz", default=None, metavar="FILE",
                    help="write the states, gates, gradients and the exact input window as "
                         "numpy arrays (np.load(FILE))")
    pr.add_argument("--sample", type=_positive_int, default=None,
                    help="validation sample to probe again (time-series runs; default: the "
                         "watched one)")

    ex = sub.add_parser("export", help="write a run's Train and Hidden views as SVG and HTML",
                        description="Write a finished run's Train and Hidden views as SVG and "
                                    "HTML files, for reports and slides.")
    ex.add_argument("run_dir", help="a run's directory (see seqlab runs)")
    ex.add_argument("--out", default=None, help="folder for the files (default RUN/export)")
    ex.add_argument("--width", type=_at_least_one, default=100,
                    help="width in terminal columns (default 100)")
    ex.add_argument("--format", default="svg,html", help="svg, html or svg,html (default)")

    rl = sub.add_parser("runs", help="list past runs")
    rl.add_argument("--runs-dir", default="runs")
    rl.add_argument("--json", action="store_true")

    sub.add_parser("samples", help="list the bundled sample data")
    add_record_verbs(sub)
    return parser


def build_tui_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="seqlab", description="Open the seqlab lab (see seqlab --help for verbs).")
    p.add_argument("file", nargs="?", help="CSV file to open, or a .txt text for the Text view (default: a bundled sample)")
    p.add_argument("--no-mouse", action="store_true", help="do not capture the mouse")
    p.add_argument("--truecolor", action="store_true",
                   help="force 24-bit colour (over SSH only TERM is forwarded: 256 colours)")
    p.add_argument("--runs-dir", default="runs", help="where run directories go (default runs)")
    return p


# --------------------------------------------------------------------------- train
def config_from_args(args: argparse.Namespace) -> Any:
    from seqlab.config import RunConfig

    cfg = RunConfig.load(args.config) if args.config else RunConfig()
    if args.data:
        cfg.data.path = args.data
        cfg.data.sha256 = None
    elif args.config and cfg.data.path:
        cfg.data.path = resolve_data_path(cfg.data.path, args.config)
    if not cfg.data.path:
        raise SeqlabError("no data file: give a CSV (seqlab train FILE.csv) or --config.")
    d, m, t = cfg.data, cfg.model, cfg.train
    for name, obj, attr in (
        ("target", d, "target"), ("time_column", d, "time_column"), ("window", d, "window"),
        ("horizon", d, "horizon"), ("stride", d, "stride"), ("split", d, "split"),
        ("missing", d, "missing"), ("scale_x", d, "scale_x"), ("scale_y", d, "scale_y"),
        ("difference", d, "difference"), ("season", d, "season"), ("series_id", d, "series_id"),
        ("aggregate", d, "aggregate"), ("cell", m, "cell"), ("bidirectional", m, "bidirectional"),
        ("layers", m, "num_layers"), ("hidden", m, "hidden_size"), ("dropout", m, "dropout"),
        ("epochs", t, "epochs"), ("batch_size", t, "batch_size"), ("lr", t, "lr"),
        ("patience", t, "patience"), ("clip", t, "clip"), ("seed", t, "seed"),
        ("device", t, "device"), ("threads", t, "threads"), ("probe_every", t, "probe_every"),
        ("runs_dir", t, "runs_dir"),
    ):
        value = getattr(args, name, None)
        if value is not None:
            setattr(obj, attr, value)
    if args.features is not None:
        cfg.data.features = [f.strip() for f in args.features.split(",") if f.strip()] or None
    cfg.validate()
    return cfg


def resolve_data_path(path: str, config: str) -> str:
    """A config's data path: as written when it exists from here, else relative to the config
    file's folder or one of the folders above it (a run directory sits under runs/)."""
    p = Path(path)
    if p.is_absolute() or p.exists():
        return path
    for base in [Path(config).resolve().parent, *Path(config).resolve().parent.parents][:4]:
        if (base / p).exists():
            return str(base / p)
    return path


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _check_hash(err: Any, path: str, recorded: str | None) -> str | None:
    """The data file's SHA-256; warn when it differs from the one a config recorded."""
    from seqlab.config import file_sha256
    from seqlab.inputfile import check_input_file

    if not path:
        return recorded
    check_input_file(path, "data file")  # readable, a regular file, text: before hashing
    actual = file_sha256(path)
    if recorded and recorded != actual:
        err.print(f"[yellow]warning:[/] {_esc(path)} changed since the config was written "
                  "(SHA-256 differs); results will differ.")
    return actual


def _run_trainer(args: argparse.Namespace, make_trainer: Any, human: Any, model_line: str,
                 result_keys: tuple[str, ...], print_result: Any) -> int:
    """Run a trainer with a Rich progress bar on a terminal, plain lines otherwise."""
    from seqlab.training.events import EpochEnd, RunEnd, RunStarted

    progress = None
    task = None
    if human.is_terminal:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        progress = Progress(
            TextColumn("[bold]epoch"), MofNCompleteColumn(), BarColumn(bar_width=16),
            TextColumn("{task.fields[losses]}"), TimeElapsedColumn(), TextColumn("eta"),
            TimeRemainingColumn(), console=human, transient=False,
        )

    def on_event(event: Any) -> None:
        nonlocal task
        if isinstance(event, RunStarted):
            human.print(f"{model_line} · {event.params:,} params · device {event.device} · "
                        f"run {_esc(event.run_dir)}", highlight=False)
            if progress is not None:
                progress.start()
                task = progress.add_task("train", total=event.epochs, losses="")
        elif isinstance(event, EpochEnd):
            extra = ""
            if "perplexity" in event.val:
                extra = f" ppl {_fmt(event.val['perplexity'])}"
            elif "mae" in event.val:
                extra = f" mae {_fmt(event.val['mae'])}"
            losses = (f"train {event.train_loss:.3g} val {event.val_loss:.3g}"
                      f"{'*' if event.best else ' '}{extra}")
            if progress is not None and task is not None:
                progress.update(task, completed=event.epoch, losses=losses)
            else:
                human.print(f"epoch {event.epoch}/{event.epochs}  {losses}  "
                            f"{event.seconds:.1f}s elapsed",
                            highlight=False, soft_wrap=True)
        elif isinstance(event, RunEnd) and progress is not None:
            progress.stop()

    cancel = threading.Event()
    trainer = make_trainer(on_event, cancel)
    try:
        with stop_on_signals(cancel):  # a signal stops the run; its files are all written
            end = trainer.run()
    except KeyboardInterrupt:
        cancel.set()
        if progress is not None:
            progress.stop()
        sys.stderr.write("interrupted\n")
        return 130
    summary = dict(end.summary)
    print_result(human, summary, end.status, end.reason)
    if args.json:
        result = {k: summary.get(k) for k in result_keys}
        result.update({k: v for k, v in summary.items() if k not in result})
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    if end.status == "failed":  # e.g. a full disk: what failed and where, as every error
        sys.stderr.write(f"seqlab: error: the run failed: {end.reason}\n")
        return 2
    return 0 if end.status in ("finished", "stopped") else 1


def _consoles(args: argparse.Namespace) -> tuple[Any, Any]:
    from rich.console import Console

    # soft wrap: a log gets whole lines, not lines cut at an assumed 80 columns
    err = Console(stderr=True, soft_wrap=True)
    return err, (err if args.json else Console(soft_wrap=True))


def _model_line(m: Any) -> str:
    line = (f"model {m.cell.upper()} ×{m.num_layers} ({m.hidden_size}"
            f"{', bi' if m.bidirectional else ''})")
    if m.dropout > 0 and m.num_layers == 1:
        line += " · dropout acts between layers, so with 1 layer it has no effect"
    return line


def cmd_train(args: argparse.Namespace) -> int:
    if args.resume:
        return cmd_resume(args)
    from seqlab.training.runs import check_runs_dir

    cfg = config_from_args(args)
    err, human = _consoles(args)
    check_runs_dir(cfg.train.runs_dir)
    cfg.data.sha256 = _check_hash(err, cfg.data.path, cfg.data.sha256)

    from seqlab.data import prepare

    prepared = prepare(cfg.data)
    human.print(
        "[bold]data[/] "
        + "  ".join(f"{k} {tuple(v)}" for k, v in prepared.shapes().items())
        + f"  target {_esc(repr(prepared.target_name))}"
    )
    for note in prepared.notes:
        human.print(f"  [dim]· {_esc(note)}[/]")
    if args.detach:
        return cmd_detach(args, cfg, text=False)

    from seqlab.training.trainer import Trainer

    return _run_trainer(
        args,
        lambda cb, cancel: Trainer(cfg, prepared=prepared, callback=cb, cancel=cancel),
        human,
        _model_line(cfg.model),
        ("status", "run_dir", "params", "epochs", "seconds", "shapes", "val", "test",
         "baseline_val", "baseline_test", "snaive_val", "snaive_test", "intervals"),
        _print_result,
    )


def cmd_sweep(args: argparse.Namespace) -> int:
    import signal

    from rich.markup import escape

    from seqlab.training import sweep as sw

    cfg = config_from_args(args)
    err, human = _consoles(args)
    cfg.data.sha256 = _check_hash(err, cfg.data.path, cfg.data.sha256)
    if not Path(cfg.data.path).is_file():
        raise SeqlabError(f"{cfg.data.path} not found: give the path of a CSV file.")
    params = [sw.parse_vary(v) for v in args.vary]
    preset = "course" if args.course else "cells" if args.cells else None
    spec = sw.make_spec(cfg, params, preset=preset, trials=args.trials or 0,
                        prune=not args.no_prune, prune_startup=args.prune_startup,
                        prune_warmup=args.prune_warmup, name=args.name, storage=args.storage)
    sweep_dir = sw.sweep_dir_for(spec, cfg.train.runs_dir)
    sw.save_spec(spec, sweep_dir)
    what = (f"grid of {len(spec.points or [])} runs" if spec.mode == "grid"
            else f"TPE study to {spec.trials} trials"
            + (" with pruning" if spec.prune else ""))
    human.print(f"[bold]sweep[/] {escape(spec.name)}: {what} · study "
                f"{escape(spec.storage or str(sweep_dir / sw.STUDY_FILE))}",
                highlight=False, soft_wrap=True)

    def line(o: Any) -> None:
        s = o.summary
        human.print(f"  trial {o.number:>3} {escape(sw.point_label(o.values))}: {o.state}"
                    f"  val loss {_fmt(o.value)}  {_fmt(s.get('epochs'))} ep  "
                    f"{_fmt(s.get('seconds'))} s", highlight=False, soft_wrap=True)

    interrupted = False
    if args.jobs == 1:
        runner = sw.SweepRunner(spec, sweep_dir, on_trial=line)
        done = sum(1 for r in sw.trial_rows(runner.study) if r.state in ("complete", "pruned"))
        if done:
            human.print(f"  resuming: {done} trial(s) already finished", highlight=False)

        def on_sigint(signum: int, frame: Any) -> None:
            signal.signal(signal.SIGINT, signal.default_int_handler)  # twice: stop at once
            err.print("interrupted: finishing the current batch (Ctrl-C again to quit now)")
            runner.interrupt()

        previous = signal.signal(signal.SIGINT, on_sigint)
        try:
            runner.run()
        finally:
            signal.signal(signal.SIGINT, previous)
        interrupted = runner.cancel.is_set()
        study = runner.study
    else:
        study = _run_jobs(sw, spec, sweep_dir, cfg, args.jobs, line, human)
        interrupted = study is None
        if study is None:
            study = sw.open_study(spec, sweep_dir)
    rows = sw.trial_rows(study)
    figures = _gradient_figures(rows) if preset == "cells" else []
    trials = [r.to_json() for r in rows]
    if args.json:
        for t in trials:
            sys.stdout.write(json.dumps(t, ensure_ascii=False) + "\n")
        sys.stdout.write(json.dumps(sw.summary_of(rows, spec, sweep_dir), ensure_ascii=False)
                         + "\n")
        sys.stdout.flush()
    from seqlab.render.sweep import sweep_table

    human.print(sweep_table(trials, title=f"{spec.name} ({len(rows)} trials)",
                            colour=human.is_terminal))
    for figure in figures:
        human.print(figure)
    if interrupted:
        err.print("interrupted: run the same command again to resume the study")
        return 130
    return 0


def _run_jobs(sw: Any, spec: Any, sweep_dir: Path, cfg: Any, jobs: int, line: Any,
              human: Any) -> Any:
    """Start ``jobs`` worker processes on the study and report trials as they finish."""
    import time

    from rich.markup import escape

    from seqlab.training.trainer import machine_cores

    gpus = 0
    if cfg.train.device in ("auto", "cuda"):
        import torch

        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    assignments = sw.divide_devices(jobs, cfg.train.device, machine_cores(), gpus)
    human.print(f"  {jobs} workers: " + ", ".join(f"{d} × {t} threads" for d, t in assignments),
                highlight=False)
    procs = sw.start_workers(sweep_dir, assignments)
    study = sw.open_study(spec, sweep_dir)
    seen: set[int] = set()
    try:
        while True:
            alive = any(p.poll() is None for p in procs)
            for r in sw.trial_rows(study):
                if r.number not in seen and r.state in ("complete", "pruned", "failed"):
                    seen.add(r.number)
                    line(sw.TrialOutcome(r.number, r.state, r.values, r.summary, r.value))
            if not alive:
                break
            time.sleep(1.0)
    except KeyboardInterrupt:
        for p in procs:  # the workers got the terminal's Ctrl-C too; wait for their tidy stop
            with contextlib.suppress(Exception):
                p.wait(timeout=30)
        return None
    bad = [p.returncode for p in procs if p.returncode not in (0, None)]
    if bad:
        human.print(f"[yellow]warning:[/] {len(bad)} worker(s) ended with an error; see "
                    f"{escape(str(sweep_dir))}/worker-*.log", highlight=False)
    return study


def text_config_from_args(args: argparse.Namespace) -> Any:
    from seqlab.config import TextRunConfig

    cfg = TextRunConfig.load(args.config) if args.config else TextRunConfig()
    if args.corpus:
        cfg.text.path, cfg.text.text, cfg.text.sha256 = args.corpus, None, None
    elif args.typed is not None:
        cfg.text.path, cfg.text.text = "", args.typed
    if not cfg.text.path and not cfg.text.text:
        raise SeqlabError("no text: give a corpus file (seqlab text-train FILE.txt), --text, "
                          "or --config.")
    t, m, tr = cfg.text, cfg.model, cfg.train
    for name, obj, attr in (
        ("tokenizer", t, "tokenizer"), ("window", t, "window"), ("stride", t, "stride"),
        ("min_freq", t, "min_freq"), ("max_vocab", t, "max_size"), ("embedding", t, "embedding"),
        ("cell", m, "cell"), ("bidirectional", m, "bidirectional"), ("layers", m, "num_layers"),
        ("hidden", m, "hidden_size"), ("dropout", m, "dropout"), ("epochs", tr, "epochs"),
        ("batch_size", tr, "batch_size"), ("lr", tr, "lr"), ("patience", tr, "patience"),
        ("clip", tr, "clip"), ("seed", tr, "seed"), ("device", tr, "device"),
        ("threads", tr, "threads"), ("probe_every", tr, "probe_every"),
        ("runs_dir", tr, "runs_dir"),
    ):
        value = getattr(args, name, None)
        if value is not None:
            setattr(obj, attr, value)
    if getattr(args, "window", None) is not None:
        t.fit_window = False  # a window asked for is a window kept (or refused with the reason)
    cfg.validate()
    return cfg


def cmd_text_train(args: argparse.Namespace) -> int:
    if args.resume:
        return cmd_resume(args)
    from seqlab.training.runs import check_runs_dir

    cfg = text_config_from_args(args)
    err, human = _consoles(args)
    if cfg.text.path and not Path(cfg.text.path).exists():
        raise SeqlabError(f"{cfg.text.path} not found: give the path of a .txt corpus.")
    check_runs_dir(cfg.train.runs_dir)
    cfg.text.sha256 = _check_hash(err, cfg.text.path, cfg.text.sha256)
    if args.detach:
        _check_text_data(cfg)  # bad input answered here, not in the background
        return cmd_detach(args, cfg, text=True)

    from seqlab.training.text_trainer import TextTrainer, lm_dataset

    data = lm_dataset(cfg)
    human.print(f"[bold]text[/] {cfg.text.tokenizer} tokens {len(data.ids):,}  vocab "
                f"{data.vocab_size}  windows train {tuple(data.train.x.shape)} val "
                f"{tuple(data.val.x.shape)}")
    for note in data.notes:
        human.print(f"  [dim]· {_esc(note)}[/]")
    return _run_trainer(
        args,
        lambda cb, cancel: TextTrainer(cfg, data=data, callback=cb, cancel=cancel),
        human,
        _model_line(cfg.model) + f" · embedding {cfg.text.embedding}",
        ("status", "run_dir", "vocab_size", "params", "val_perplexity", "unigram_perplexity",
         "epochs", "seconds"),
        _print_text_result,
    )


METRIC_COLUMNS = (("MAE", "mae"), ("RMSE", "rmse"), ("MAPE %", "mape"), ("sMAPE %", "smape"),
                  ("MASE", "mase"))


def _metric_row(m: dict[str, Any], mape_ok: bool) -> dict[str, Any]:
    return {(label + ("*" if key == "mape" and not mape_ok else "")): m.get(key)
            for label, key in METRIC_COLUMNS}


def forecast_table_rows(summary: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], bool]:
    """(rows of the metrics table, MAPE reliable on test and val) for a series summary."""
    mape_ok = all(float((summary.get(k) or {}).get("mape_reliable", 1.0) or 0.0) >= 1.0
                  for k in ("val", "test", "baseline_val", "baseline_test"))
    rows = {}
    for split in ("val", "test"):
        for label, key in (("model", split), ("persistence", f"baseline_{split}"),
                           ("seasonal naive", f"snaive_{split}")):
            m = summary.get(key) or {}
            if m:
                rows[f"{label} {split}"] = _metric_row(m, mape_ok)
    return rows, mape_ok


def _print_result(console: Any, summary: dict[str, Any], status: str, reason: str) -> None:
    from seqlab.render import metrics_table
    from seqlab.training.metrics import verdict

    colour = {"finished": "green", "stopped": "yellow"}.get(status, "red")
    console.print(f"[{colour}]{_esc(status)}[/]: {_esc(reason)}")
    if summary.get("difference_reason"):
        how = "changes (differenced)" if summary.get("difference") else "levels"
        console.print(f"forecasting {how}: {_esc(summary['difference_reason'])}",
                      highlight=False)
    rows, mape_ok = forecast_table_rows(summary)
    console.print(f"metrics in original units (lower is better); seasonal naive uses season "
                  f"{summary.get('season', 1)}, MASE divides by its in-sample MAE on the "
                  "training rows", highlight=False)
    table = metrics_table(rows)
    if not console.is_terminal:
        table.caption = None  # it explains a colour a log does not have
    console.print(table)
    if not mape_ok:
        console.print("* MAPE is unreliable here: some targets are near zero, where a percentage "
                      "error explodes; read MASE (or sMAPE) instead.", highlight=False)
    skipped = int((summary.get("test") or {}).get("mape_skipped") or 0)
    if skipped:
        console.print(f"[dim]MAPE leaves out {skipped} test target(s) equal to 0 "
                      "(a percentage of 0 is undefined)[/]")
    steps = summary.get("test_by_step") or []
    if steps:
        console.print("test by horizon step: " + "  ".join(
            f"h{i + 1} MAE {_fmt(m.get('mae'))} MASE {_fmt(m.get('mase'))}"
            for i, m in enumerate(steps)), highlight=False)
    for key, iv in (summary.get("intervals") or {}).items():
        n = iv.get("calibration_windows")
        half = iv.get("halfwidth", [])
        if not half or any(w is None or not math.isfinite(float(w)) for w in half):
            level = float(key) / 100  # split-conformal needs n >= level / (1 - level) windows
            console.print(f"{key}% interval: {n} validation windows are too few to place it "
                          f"(it needs at least {math.ceil(level / (1 - level) - 1e-9)}); no "
                          "coverage to report", highlight=False)
            continue
        widths = ", ".join(_fmt(w) for w in half)
        console.print(f"{key}% interval (split-conformal on {iv.get('calibration_windows')} "
                      f"validation windows): ± {widths}; test coverage "
                      f"{_pct(iv.get('coverage_test'))} (nominal {key}%)", highlight=False)
    per = summary.get("test_by_series") or {}
    if per:
        from rich.table import Table

        t = Table("series", "model MAE", "persistence", "seasonal naive", "model MASE",
                  title="test by series", title_justify="left", box=None)
        for name, m in per.items():
            t.add_row(_esc(name), _fmt(m["model"].get("mae")),
                      _fmt(m["persistence"].get("mae")), _fmt(m["seasonal_naive"].get("mae")),
                      _fmt(m["model"].get("mase")))
        console.print(t)
    warn = verdict(summary)
    if warn:
        console.print(f"[yellow]warning:[/] {_esc(warn)}", highlight=False)


def _pct(v: Any) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "—"
    return f"{f:.0%}" if math.isfinite(f) else "—"


def cmd_backtest(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    err, human = _consoles(args)
    cfg.data.sha256 = _check_hash(err, cfg.data.path, cfg.data.sha256)
    from seqlab.training.backtest import backtest

    def on_fold(row: dict[str, Any]) -> None:
        m, p = row["model"], row["persistence"]
        human.print(f"fold {row['fold']}/{args.folds}: test {row['test_from']}..{row['test_to']} "
                    f"({row['windows']['test']} windows) model MAE {_fmt(m.get('mae'))} · "
                    f"persistence {_fmt(p.get('mae'))} · {row['epochs']} epochs "
                    f"{row['seconds']:.1f}s", highlight=False)

    human.print(f"backtest: {args.folds} folds, expanding window, {_model_line(cfg.model)}",
                highlight=False)
    result = backtest(cfg, args.folds, on_fold=on_fold)
    from seqlab.render import backtest_table

    human.print(backtest_table(result))
    human.print(f"{result['completed']} folds in {result['seconds']:.1f}s; seasonal naive uses "
                f"season {result.get('season')}", highlight=False)
    if args.json:
        from seqlab.training.fileio import json_safe

        sys.stdout.write(json.dumps(json_safe(result), ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0


def _print_text_result(console: Any, summary: dict[str, Any], status: str, reason: str) -> None:
    colour = {"finished": "green", "stopped": "yellow"}.get(status, "red")
    console.print(f"[{colour}]{_esc(status)}[/]: {_esc(reason)}")
    console.print(f"val perplexity {_fmt(summary.get('val_perplexity'))}  ·  unigram baseline "
                  f"{_fmt(summary.get('unigram_perplexity'))}  (lower is better)")


def cmd_generate(args: argparse.Namespace) -> int:
    from seqlab.text import continuation_text, display_token
    from seqlab.training.text_trainer import generate, load_lm

    lm = load_lm(args.run_dir)
    stream = sys.stdout
    sep = " " if lm.tokenizer.name in ("word", "morph") else ""
    tokens = generate(lm, args.prompt, tokens=args.tokens, temperature=args.temperature,
                      top_k=args.top_k, seed=args.seed)
    out: list[str] = []
    at_line_start = False
    for tok in tokens:  # the first token validates the arguments before anything is printed
        if not out:
            stream.write(args.prompt)
        out.append(tok)
        if tok == "<eos>":
            piece, at_line_start = "\n", True
        else:
            shown = display_token(tok) if lm.tokenizer.name in ("jamo", "morph") else tok
            piece = ("" if at_line_start else sep) + ("?" if tok == "<unk>" else shown)
            at_line_start = False
        stream.write(piece)
        stream.flush()
    stream.write("\n")
    if lm.tokenizer.name in ("jamo", "morph"):  # streamed piece by piece; now joined: letters
        # composed into syllables, morphemes back into words (Kiwi's join)
        stream.write(args.prompt + continuation_text(args.prompt, out, lm.tokenizer) + "\n")
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    from rich.console import Console

    from seqlab.render import Heatmap, Strip
    from seqlab.training.runs import read_probe

    console = Console()
    run = Path(args.run_dir)
    if args.npz:
        return _probe_npz(args, console, run)
    if (run / "model.pt").is_file() and args.text is not None:
        from seqlab.text import display_token
        from seqlab.training.text_trainer import load_lm, neighbours, probe_text

        lm = load_lm(run)
        snap = probe_text(lm, args.text)
        from rich.table import Table

        table = Table("#", "token", "next: top 5 (probability)", title="what the model expects next")
        for i, (tok, top) in enumerate(zip(snap.labels, snap.topk, strict=True)):
            shown = display_token(tok) + ("" if tok in lm.vocab else " (<unk>)")
            table.add_row(str(i), _esc(shown),
                          _esc("  ".join(f"{display_token(t)} {p:.2f}" for t, p in top)))
        console.print(table)
        if args.neighbours:
            near = neighbours(lm, args.neighbours)
            console.print(_esc(f"nearest to {args.neighbours!r}: "
                               + ", ".join(f"{t} {s:.2f}" for t, s in near)))
    elif (run / "probe.json").is_file():
        if args.text is not None:
            raise SeqlabError(f"{run} is a time-series run: --text is for text runs; "
                              "drop --text to see its watched validation sample.")
        snap = read_probe(run / "probe.json")
    else:
        raise SeqlabError(f"{run} has no model or probe: give a run directory (see seqlab runs)"
                          + ("" if args.text else " and --text for a text run") + ".")
    layers = sorted({int(k.split("/")[1]) for k in snap.states})
    layer = layers[-1] if args.layer is None else args.layer
    key = f"{args.state}/{layer}/fwd"
    if key not in snap.states:
        kinds = sorted({k.split("/")[0] for k in snap.states})
        raise SeqlabError(f"no state {args.state!r} at layer {layer}: this model has "
                          f"{', '.join(kinds)} and layers {', '.join(map(str, layers))}.")
    scale = "diverging" if args.state in ("h", "c", "g", "n") else "sequential"
    console.print(Heatmap(snap.states[key], snap.labels, scale=scale,
                          title=f"{args.state}_t, layer {layer} (rows: timesteps, columns: units)"))
    grad = snap.grads.get(f"{layer}/fwd")
    if grad is not None:
        console.print(Strip(grad, snap.labels, log=True, title="‖∂loss/∂h_t‖ per timestep"))
    return 0


def _probe_npz(args: argparse.Namespace, console: Any, run: Path) -> int:
    """``seqlab probe RUN --npz FILE``: the probe as arrays, for notebooks and papers."""
    import numpy as np

    from seqlab.training.export import probe_arrays, write_npz

    if not (run / "config.toml").is_file():
        raise SeqlabError(f"{run} is not a run directory (no config.toml): see seqlab runs.")
    if args.text is not None:
        from seqlab.training.text_trainer import encode_text, load_lm, probe_text

        lm = load_lm(run)
        snap = probe_text(lm, args.text)
        tokens, ids = encode_text(lm, args.text)
        arrays: dict[str, Any] = {
            "x": np.array([lm.vocab.eos_id, *ids], dtype=np.int64),  # what the model read
            "labels": np.array(snap.labels, dtype=str),
        }
        for key, value in snap.states.items():
            kind, layer, direction = key.split("/")
            arrays[f"{kind}_l{layer}_{direction}"] = np.asarray(value)
        for key, value in snap.grads.items():
            layer, direction = key.split("/")
            arrays[f"grad_l{layer}_{direction}"] = np.asarray(value)
    else:
        if "text" in _read_toml(run / "config.toml"):
            raise SeqlabError(f"{run} is a text run: give --text to choose what it reads.")
        arrays = probe_arrays(run, args.sample)
    path = write_npz(args.npz, arrays)
    console.print(f"wrote {escape_text(str(path))}: "
                  + ", ".join(f"{k} {tuple(np.shape(v))}" for k, v in arrays.items()),
                  highlight=False, soft_wrap=True)
    return 0


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def escape_text(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def cmd_export(args: argparse.Namespace) -> int:
    from seqlab.training.export import export_views

    run = Path(args.run_dir)
    if not (run / "config.toml").is_file():
        raise SeqlabError(f"{run} is not a run directory (no config.toml): see seqlab runs.")
    formats = tuple(f.strip().lower() for f in args.format.split(",") if f.strip())
    bad = [f for f in formats if f not in ("svg", "html")]
    if bad or not formats:
        raise SeqlabError(f"unknown --format {args.format!r}: use svg, html or svg,html.")
    written = export_views(run, args.out, width=args.width, formats=formats)
    for path in written:
        print(path)
    if not any(p.stem == "hidden" for p in written):
        sys.stderr.write("note: the run has no probe (probe.json), so there is no Hidden view "
                         "to export\n")
    return 0


# ---------------------------------------------------------------------------- runs
def _gradient_figures(rows: Any) -> list[Any]:
    """The vanishing-gradient figures of a --cells sweep, untrained and trained; each row's
    summary gains its last/first gradient ratios (shown in the table and in --json)."""
    from seqlab.render.gradients import GradientFigure, GradientProfile
    from seqlab.training.gradients import run_profile, untrained_profile

    untrained, trained = [], []
    zero_start = False  # a differenced run's head starts at zero; the profile uses the drawn one
    for row in sorted(rows, key=lambda r: r.number):
        if row.state not in ("complete", "pruned") or not row.run_dir:
            continue
        after = run_profile(row.run_dir)
        if after is None or after["loss_grad"] is None:
            continue
        try:
            before = untrained_profile(row.run_dir)
        except (SeqlabError, OSError):
            before = None
        row.summary["gradients"] = {
            "sample": after["sample"], "epoch": after["epoch"],
            "loss_ratio": after["loss_ratio"], "input_ratio": after["input_ratio"],
            "untrained_loss_ratio": before["loss_ratio"] if before else None,
            "untrained_input_ratio": before["input_ratio"] if before else None,
        }
        trained.append(GradientProfile(f"{row.model} ep {after['epoch']}", after["loss_grad"],
                                       after["input_grad"]))
        if before is not None:
            zero_start = zero_start or bool(before.get("persistence_start"))
            untrained.append(GradientProfile(f"{row.model}", before["loss_grad"],
                                             before["input_grad"]))
    if not trained:
        return []
    sample = rows[0].summary.get("gradients", {}).get("sample", 0) if rows else 0
    out = []
    if untrained:
        # a zero head passes no gradient to any timestep: the figure uses the head as drawn
        how = "seeded init; drawn head, not the zero start" if zero_start else "seeded init"
        out.append(GradientFigure(untrained, title=f"untrained ({how}), validation "
                                                   f"sample {sample}"))
    out.append(GradientFigure(trained, title=f"trained (best epoch), validation sample {sample}"))
    return out


def cmd_runs(args: argparse.Namespace) -> int:
    from rich.console import Console

    from seqlab.training.runs import list_runs

    runs = list_runs(args.runs_dir)
    if args.json:
        print(json.dumps([{"run_dir": r.run_dir, "status": r.status, "summary": r.summary,
                           "live": live_json(r.state), **({"problem": r.problem} if r.problem
                                                          else {})} for r in runs]))
        return 0
    if not runs:
        Console().print(f"no runs under {_esc(args.runs_dir)}/ yet: try seqlab train "
                        f"{DEFAULT_SAMPLE} --difference", highlight=False, soft_wrap=True)
        return 0
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    live = live_table(runs, width)
    if live is not None:
        print("\n".join(live))
    rows = []
    for r in runs:
        s = r.summary
        if r.kind == "text":
            val, base, unit = s.get("val_perplexity"), s.get("unigram_perplexity"), "ppl"
        else:
            val = (s.get("val") or {}).get("mae")
            base = (s.get("baseline_val") or {}).get("mae")
            unit = "mae"
        rows.append([r.name, r.title, r.data_name, r.status, _fmt(s.get("epochs")), _fmt(val),
                     _fmt(base), unit])
    print("\n".join(runs_table(rows, width)))
    for r in runs:  # what is wrong with each unreadable run, so it can be fixed or deleted
        if r.problem:
            print(f"{r.name}: unreadable: {r.problem}")
    return 0


RUNS_HEADER = ["run", "model", "data", "status", "ep", "val", "baseline", "of"]
_RIGHT = {"ep", "val", "baseline"}


def runs_table(rows: list[list[str]], width: int | None, header: list[str] = RUNS_HEADER,
               title: str = "runs (newest first)", right: frozenset[str] | set[str] = _RIGHT,
               ) -> list[str]:
    """A runs list as lines, run names never cut: one line per run when it fits ``width``
    (None: piped, no limit), else each name on its own line with its details under it."""
    from rich.cells import cell_len

    def line(cells: list[str], widths: list[int], names: list[str]) -> str:
        out = [c + " " * (w - cell_len(c)) if n not in right else " " * (w - cell_len(c)) + c
               for c, w, n in zip(cells, widths, names, strict=True)]
        return "  ".join(out).rstrip()

    widths = [max(cell_len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [title]
    if width is None or sum(widths) + 2 * (len(widths) - 1) <= width:
        lines.append(line(header, widths, header))
        lines.extend(line(r, widths, header) for r in rows)
        return lines
    names, rest = header[1:], widths[1:]
    lines.append("run")
    lines.append("  " + line(names, rest, names))
    for r in rows:
        lines.append(r[0])
        lines.append("  " + line(r[1:], rest, names))
    return lines


def cmd_samples(args: argparse.Namespace) -> int:
    for p in list_samples():
        print(p)
    return 0


def cmd_tui(argv: list[str]) -> int:
    args = build_tui_parser().parse_args(argv)
    path = args.file
    if path is not None and not Path(path).exists():
        raise SeqlabError(f"{path} not found: give a CSV or .txt file, or run seqlab with no file for a sample.")
    from seqlab.tui.app import run_app

    run_app(path, mouse=not args.no_mouse, truecolor=args.truecolor, runs_dir=args.runs_dir)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if not argv or (argv[0] not in VERBS and argv[0] not in ("-h", "--help", "--version")):
            return cmd_tui(argv)
        args = build_parser().parse_args(normalise_argv(argv))
        handlers = {"train": cmd_train, "backtest": cmd_backtest, "sweep": cmd_sweep,
                    "runs": cmd_runs, "samples": cmd_samples,
                    "text-train": cmd_text_train, "generate": cmd_generate, "probe": cmd_probe,
                    "export": cmd_export, "stop": cmd_stop, "attach": cmd_attach}
        handler = handlers.get(args.verb)
        if handler is None:
            build_parser().print_help()
            return 0
        return handler(args)
    except SeqlabError as exc:
        sys.stderr.write(f"seqlab: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `seqlab runs | head`: the reader left, nothing went wrong
        sys.stderr.close()
        return 0


# ------------------------------------------------------------------ the run record's verbs
# `seqlab train/text-train --detach | --resume RUN`, `seqlab stop RUN`, `seqlab attach [RUN]`
# and the live part of `seqlab runs` (see seqlab.training.record and .control).
RESUME_KEEPS = {"verb", "resume", "detach", "json", "device", "threads"}


def add_record_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("background runs")
    g.add_argument("--detach", action="store_true",
                   help="train in the background (its own session: it survives the terminal); "
                        "print the run directory and return")
    g.add_argument("--resume", metavar="RUN", default=None,
                   help="continue a stopped or crashed run from its last completed epoch, with "
                        "its own config (--device, --threads, --detach and --json still apply)")


def add_record_verbs(sub: Any) -> None:
    st = sub.add_parser("stop", help="stop a live run (it is saved as stopped)",
                        description="Stop a live run after its current batch; its files are "
                                    "written as for any stopped run.")
    st.add_argument("run", help="run directory, or its name under --runs-dir")
    st.add_argument("--runs-dir", default="runs")
    st.add_argument("--wait", type=_float, default=60.0,
                    help="seconds to wait for the run to end (default 60, 0 = do not wait)")
    at = sub.add_parser("attach", help="open the lab on a run (the newest live one by default)",
                        description="Open the lab following a run: it replays the run's events "
                                    "and follows the new ones.")
    at.add_argument("run", nargs="?", help="run directory, or its name under --runs-dir")
    at.add_argument("--runs-dir", default="runs")
    at.add_argument("--no-mouse", action="store_true", help="do not capture the mouse")
    at.add_argument("--truecolor", action="store_true", help="force 24-bit colour")


def resolve_run(text: str, runs_dir: str) -> Path:
    """A run directory given as a path or as a name under ``runs_dir``."""
    for candidate in (Path(text), Path(runs_dir) / text):
        if candidate.is_dir():
            return candidate
    raise SeqlabError(f"no run {text!r}: give a run directory or a name under {runs_dir}/ "
                      "(see seqlab runs).")


def _refuse_flags_with_resume(args: argparse.Namespace) -> None:
    given = [k for k, v in vars(args).items()
             if k not in RESUME_KEEPS and v not in (None, False)
             and not (k == "runs_dir" and v == "runs")]
    if given:
        flag = given[0]
        shown = flag if flag in ("data", "corpus", "typed") else "--" + flag.replace("_", "-")
        raise SeqlabError(f"--resume continues the run with its own config: drop {shown}.")


def cmd_resume(args: argparse.Namespace) -> int:
    """``seqlab train --resume RUN`` (and text-train): continue from last.pt."""
    from seqlab.training import record

    _refuse_flags_with_resume(args)
    run_dir = resolve_run(args.resume, getattr(args, "runs_dir", None) or "runs")
    cfg_path = run_dir / "config.toml"
    if not cfg_path.is_file():
        raise SeqlabError(f"{run_dir} has no config.toml: it is not a seqlab run directory.")
    state = record.read_state(run_dir)
    status = state.status if state is not None else "unknown"
    if state is not None and state.live:
        where = f" on {state.host}" if state.remote else f" (pid {state.pid})"
        raise SeqlabError(f"{run_dir} is still {status}{where}: stop it first "
                          f"(seqlab stop {run_dir}).")
    if status in ("finished", "diverged"):
        why = ("it finished" if status == "finished"
               else "it diverged, and would again from the same state: train anew with a lower --lr")
        raise SeqlabError(f"{run_dir} cannot be resumed: {why}.")
    if not (run_dir / record.LAST_FILE).is_file():
        raise SeqlabError(f"{run_dir} has no {record.LAST_FILE} (it did not complete an epoch, "
                          "or an older seqlab made it): train it anew with --config "
                          f"{cfg_path}.")
    text = _is_text_config(cfg_path)
    err, human = _consoles(args)
    if args.device is not None or args.threads is not None:
        cfg = _load_run_config(cfg_path, text)
        if args.device is not None:
            cfg.train.device = args.device
        if args.threads is not None:
            cfg.train.threads = args.threads
        cfg.validate()
        from seqlab.training.fileio import atomic_write_text

        atomic_write_text(cfg_path, cfg.to_toml())
    if args.detach:
        pid = record.start_detached(cfg_path, run_dir, text=text, resume=True)
        _print_detached(args, human, run_dir, pid, resumed=True)
        return 0
    cfg = _load_run_config(cfg_path, text)
    section = cfg.text if text else cfg.data
    section.sha256 = _check_hash(err, section.path, section.sha256)
    human.print(f"resuming {_esc(str(run_dir))} after epoch {state.epoch if state else '?'} "
                f"(was {status})", highlight=False)
    if text:
        from seqlab.training.text_trainer import TextTrainer

        def make(cb: Any, cancel: Any) -> Any:
            t = TextTrainer(cfg, callback=cb, cancel=cancel, run_dir=run_dir)
            t.resume = True
            return t

        return _run_trainer(args, make, human, _model_line(cfg.model),
                            ("status", "run_dir", "vocab_size", "params", "val_perplexity",
                             "unigram_perplexity", "epochs", "seconds"), _print_text_result)
    from seqlab.training.trainer import Trainer

    def make_series(cb: Any, cancel: Any) -> Any:
        t = Trainer(cfg, callback=cb, cancel=cancel, run_dir=run_dir)
        t.resume = True
        return t

    return _run_trainer(args, make_series, human, _model_line(cfg.model),
                        ("status", "run_dir", "params", "epochs", "seconds", "shapes", "val",
                         "test", "baseline_val", "baseline_test"), _print_result)


def _check_text_data(cfg: Any) -> None:
    """The windows a text run would train on (no torch): raises SeqlabError on bad input."""
    from seqlab.text import make_lm_dataset
    from seqlab.text.io import check_text, read_text

    t = cfg.text
    text = read_text(t.path) if t.path else check_text(t.text or "")
    data = make_lm_dataset(text, tokenizer=t.tokenizer, window=t.window, split=t.split,
                           min_freq=t.min_freq, max_size=t.max_size or None,
                           stride=t.effective_stride)
    if len(data.val) == 0 or len(data.train) == 0:
        raise SeqlabError("the text is too small for a validation split: add text or lower "
                          "the window.")


def _is_text_config(path: Path) -> bool:
    import tomllib

    try:
        return "text" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SeqlabError(f"cannot read {path}: {exc}") from None


def _load_run_config(path: Path, text: bool) -> Any:
    from seqlab.config import RunConfig, TextRunConfig

    return (TextRunConfig if text else RunConfig).load(path)


def cmd_detach(args: argparse.Namespace, cfg: Any, text: bool) -> int:
    """Start the run in the background as a session of its own; print where it writes."""
    from seqlab.training import record
    from seqlab.training.fileio import atomic_write_text
    from seqlab.training.runs import new_run_dir

    _, human = _consoles(args)
    name = (cfg.text.path or f"typed-{cfg.text.tokenizer}") if text else cfg.data.path
    run_dir = new_run_dir(cfg.train.runs_dir, cfg.model.cell, name)
    cfg_path = run_dir / "config.toml"
    atomic_write_text(cfg_path, cfg.to_toml())
    pid = record.start_detached(cfg_path, run_dir, text=text)
    _print_detached(args, human, run_dir, pid)
    return 0


def _print_detached(args: argparse.Namespace, human: Any, run_dir: Path, pid: int,
                    resumed: bool = False) -> None:
    if args.json:
        sys.stdout.write(json.dumps({"run_dir": str(run_dir), "pid": pid,
                                     "status": "running"}) + "\n")
        sys.stdout.flush()
        return
    human.print(f"{'resumed' if resumed else 'started'} in the background (pid {pid}): "
                f"{_esc(str(run_dir))}", highlight=False, soft_wrap=True)
    human.print(f"  follow: seqlab attach {_esc(str(run_dir))}   stop: seqlab stop "
                f"{_esc(str(run_dir))}   log: {_esc(str(run_dir / 'worker.log'))}",
                highlight=False, soft_wrap=True)


def cmd_stop(args: argparse.Namespace) -> int:
    import os
    import signal
    import time

    from seqlab.training import record
    from seqlab.training.control import ControlClient, ControlError

    run_dir = resolve_run(args.run, args.runs_dir)
    state = record.read_state(run_dir)
    if state is None:
        raise SeqlabError(f"{run_dir} has no state.json: it is not a live run.")
    if state.status == "crashed":
        raise SeqlabError(f"{run_dir} is not running: it crashed (process {state.pid} is gone); "
                          f"resume it with seqlab train --resume {run_dir}.")
    if not state.live:
        raise SeqlabError(f"{run_dir} is not running: it is {state.status}.")
    try:
        reply = ControlClient.for_run(run_dir).stop()
        if not reply.get("ok"):
            raise SeqlabError(f"{run_dir}: {reply.get('error')}")
    except ControlError as exc:
        if state.remote or state.pid is None:
            raise SeqlabError(str(exc)) from None
        # no channel (a filesystem without sockets): the run stops on SIGTERM just the same
        try:
            os.kill(state.pid, signal.SIGTERM)
        except OSError:
            raise SeqlabError(str(exc)) from None
    deadline = time.monotonic() + max(0.0, args.wait)
    final = state
    while time.monotonic() < deadline:
        final = record.read_state(run_dir) or final
        if not final.live:
            break
        time.sleep(0.2)
    if final.live:
        print(f"stop sent to {run_dir}; it ends after its current batch.")
    else:
        print(f"{final.status}: {run_dir} (epoch {final.epoch}/{final.epochs})")
    return 0


def cmd_attach(args: argparse.Namespace) -> int:
    from seqlab.training import record

    if args.run:
        run_dir = resolve_run(args.run, args.runs_dir)
        if not (run_dir / "config.toml").is_file() and not (run_dir / record.STATE_FILE).is_file():
            raise SeqlabError(f"{run_dir} is not a run directory (no config.toml): give a run "
                              f"directory or a name under {args.runs_dir}/ (see seqlab runs).")
        if not (run_dir / record.EVENTS_FILE).is_file():
            raise SeqlabError(f"{run_dir} has no {record.EVENTS_FILE}: it was made by an older "
                              "seqlab; open it from the lab's Runs view.")
    else:
        live = record.live_runs(args.runs_dir)
        if not live:
            raise SeqlabError(f"no live run under {args.runs_dir}/: start one with seqlab train "
                              "FILE.csv --detach, or name a run (see seqlab runs).")
        run_dir = Path(live[0].run_dir)
    from seqlab.tui.app import run_app

    run_app(None, mouse=not args.no_mouse, truecolor=args.truecolor, runs_dir=args.runs_dir,
            attach=str(run_dir))
    return 0


def _fmt_seconds(s: float | None) -> str:
    if s is None or not math.isfinite(s):
        return "—"
    s = int(s)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


LIVE_HEADER = ["run", "status", "epoch", "best val", "elapsed", "eta", "device", "pid"]


def live_table(infos: list[Any], width: int | None = None) -> list[str] | None:
    """The live runs (running, paused) and the crashed ones as lines, laid out like the runs
    list (run names never cut); None if there are none."""
    rows = [r for r in infos if r.state is not None and (r.state.live or r.state.status == "crashed")]
    if not rows:
        return None
    cells = []
    for r in rows:
        st = r.state
        cells.append([r.name, st.status + (" (remote)" if st.remote else ""),
                      f"{st.epoch}/{st.epochs}", _fmt(st.best_val_loss), _fmt_seconds(st.elapsed),
                      _fmt_seconds(st.eta_s), str(st.device or "—"),
                      str(st.pid or "—") + (f"@{st.host}" if st.remote else "")])
    return runs_table(cells, width, LIVE_HEADER, "live runs",
                      {"epoch", "best val", "elapsed", "eta", "pid"})


def live_json(state: Any) -> dict[str, Any] | None:
    """The shown state of a run for --json (None for a run without state.json)."""
    if state is None:
        return None
    from seqlab.training.fileio import json_safe

    return json_safe({"status": state.status, "pid": state.pid, "host": state.host,
                      "remote": state.remote, "epoch": state.epoch, "epochs": state.epochs,
                      "best_val_loss": state.best_val_loss, "elapsed_s": state.elapsed,
                      "eta_s": state.eta_s, "device": state.device})


class stop_on_signals:  # noqa: N801 - a context manager used like a function
    """SIGINT / SIGTERM / SIGHUP during an in-process run: stop after the current batch and
    write every file (the run ends ``stopped`` with its best weights). A second SIGINT aborts.
    """

    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel
        self.old: dict[int, Any] = {}

    def _handler(self, signum: int, frame: Any) -> None:
        import signal

        if self.cancel.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.cancel.set()
        with contextlib.suppress(Exception):
            sys.stderr.write(f"\n{signal.Signals(signum).name}: stopping after this batch; the "
                             "run is saved as stopped (Ctrl-C again to abort)\n")

    def __enter__(self) -> stop_on_signals:
        import signal

        if threading.current_thread() is not threading.main_thread():
            return self
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            sig = getattr(signal, name, None)
            if sig is not None:
                self.old[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        for sig, old in self.old.items():
            signal.signal(sig, old)
