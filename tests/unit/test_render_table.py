"""metrics_table formatting and model-vs-baseline highlighting."""

from __future__ import annotations

import io
import math

from rich.console import Console

from seqlab.render import fmt_compact, fmt_sig, metrics_table


def render(table) -> tuple[str, list]:
    con = Console(file=io.StringIO(), width=100, color_system="truecolor", record=True)
    lines = con.render_lines(table, con.options, pad=False)
    body = "\n".join("".join(s.text for s in line) for line in lines)
    return body, [seg for line in lines for seg in line]


ROWS = {
    "model val": {"mae": 1.23456, "rmse": 2.5, "mape": math.nan},
    "persistence val": {"mae": 1.5, "rmse": 2.1, "mape": 3.2},
    "model test": {"mae": 0.000123456, "rmse": 12345.6, "mape": 4.0},
}


def test_formatting_and_nan() -> None:
    body, _ = render(metrics_table(ROWS, title="metrics"))
    assert "metrics" in body
    for expected in ("1.235", "2.500", "—", "0.0001235", "12,346", "3.200"):
        assert expected in body, expected
    header = body.splitlines()[1]
    assert header.split() == ["mae", "rmse", "mape"]
    assert "nan" not in body.lower()


def plain(style) -> bool:
    return style is None or style.color is None


def test_better_of_model_and_baseline_highlighted() -> None:
    _, segs = render(metrics_table(ROWS))
    styled = {seg.text.strip(): seg.style for seg in segs if seg.text.strip()}
    assert styled["1.235"].color.name == "green" and styled["1.235"].bold  # model mae wins
    assert styled["2.100"].color.name == "green"  # baseline rmse wins
    assert plain(styled["2.500"])
    assert plain(styled["1.500"])
    assert plain(styled["3.200"])  # model mape is NaN: nothing to compare
    assert plain(styled["12,346"])  # no baseline for test


def test_no_highlight_without_baseline() -> None:
    body, segs = render(metrics_table({"model val": {"loss": 0.5}}))
    assert all(not (seg.style and seg.style.color) for seg in segs)
    assert "better" not in body


def test_accuracy_higher_is_better() -> None:
    rows = {"model val": {"acc": 0.4}, "unigram val": {"acc": 0.6}}
    _, segs = render(metrics_table(rows))
    styled = {seg.text.strip(): seg.style for seg in segs if seg.text.strip()}
    assert styled["0.6000"].color.name == "green"


def test_number_formatters() -> None:
    assert fmt_sig(float("nan")) == "—"
    assert fmt_sig(0.0) == "0"
    assert fmt_sig(123456789.0) == "123,456,789"
    assert fmt_sig(1.5e-7) == "1.500e-7"
    assert fmt_compact(12345.0) == "12345"
    assert fmt_compact(123456.0) == "123k"
    assert fmt_compact(0.5) == "0.5"
    assert fmt_compact(1.2e-5) == "1.2e-5"


def test_grouped_rows_sit_under_their_split_with_full_names() -> None:
    rows = {"model val": {"mae": 38.4, "mase": 1.29}, "persistence val": {"mae": 38.5},
            "seasonal naive val": {"mae": 24.3, "mase": 0.819},
            "model test": {"mae": 46.2}, "seasonal naive test": {"mae": 49.9}}
    body, segs = render(metrics_table(rows, digits=3, grouped=True))
    lines = [line.split() for line in body.splitlines()]
    assert lines[:7] == [["val", "mae", "mase"], ["model", "38.4", "1.29"],
                     ["persistence", "38.5", "—"], ["seasonal", "naive", "24.3", "0.819"],
                     ["test"], ["model", "46.2", "—"], ["seasonal", "naive", "49.9", "—"]]
    # the baseline names and the split are the whole name cell: two spaces before a number
    assert "seasonal naive  24.3" in body
    # highlighting still compares within a split: the test model beats seasonal naive
    styled = {seg.text.strip(): seg.style for seg in segs if seg.text.strip()}
    assert styled["46.2"].color.name == "green" and plain(styled["49.9"])
    # all five rows with their three metrics fit the lab's 35-cell metrics panel
    assert max(len(line) for line in body.splitlines()[:7]) <= 35


def test_baseline_names_are_spelled_out() -> None:
    from seqlab.render.report import metrics_rows
    from seqlab.render.table import baseline_name

    assert baseline_name("baseline") == "persistence"
    assert baseline_name("snaive") == "seasonal naive"
    summary = {"val": {"mae": 1.0}, "baseline_val": {"mae": 2.0}, "snaive_val": {"mae": 3.0}}
    assert list(metrics_rows(summary)) == ["model val", "persistence val", "seasonal naive val"]


def test_model_marked_better_only_when_it_beats_every_baseline() -> None:
    rows = {"model val": {"mae": 38.4, "rmse": 20.0},
            "persistence val": {"mae": 38.5, "rmse": 30.0},
            "seasonal naive val": {"mae": 24.3, "rmse": math.nan}}
    _, segs = render(metrics_table(rows))
    styled = {seg.text.strip(): seg.style for seg in segs if seg.text.strip()}
    # MAE: the model beats persistence but loses to seasonal naive, which beats the model
    assert plain(styled["38.40"]) and plain(styled["38.50"])
    assert styled["24.30"].color.name == "green"
    # RMSE: seasonal naive has none, so beating persistence is beating every baseline
    assert styled["20.00"].color.name == "green" and plain(styled["30.00"])
