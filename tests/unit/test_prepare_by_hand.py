"""``prepare`` checked from what a user sees: the prepared arrays and fields, the notes, the chosen
columns and the refused inputs with their whole message, each worked out by hand on a few rows
of a CSV written here (see docs/mutation.md, "`prepare.py`, this pass")."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pytest

from seqlab.config import DataConfig
from seqlab.data.csvio import read_table
from seqlab.data.prepare import Prepared, prepare
from seqlab.data.stationarity import adf_test
from seqlab.errors import DataError


def _csv(tmp_path: Path, lines: list[str], name: str = "data.csv") -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _prep(path: str, holdout: tuple[int, int] | None = None, **kw: object) -> Prepared:
    kw.setdefault("window", 2)
    kw.setdefault("difference", "no")
    return prepare(DataConfig(path=path, **kw), holdout=holdout)  # type: ignore[arg-type]


def _refused(path: str, holdout: tuple[int, int] | None = None, **kw: object) -> str:
    with pytest.raises(DataError) as e:
        _prep(path, holdout, **kw)
    return str(e.value)


def _note(p: Prepared, start: str) -> str:
    found = [n for n in p.notes if n.startswith(start)]
    assert len(found) == 1, (start, p.notes)
    return found[0]


# --- the table, the columns ------------------------------------------------------------------


def test_the_time_column_asked_for_is_used_whether_or_not_a_table_is_given(
        tmp_path: Path) -> None:
    # two date columns: read on its own the file orders and labels rows by the first, 'a'
    lines = ["a,b,y"] + [f"2000-01-{d:02d},2010-03-{d:02d},{d * d % 7}" for d in range(1, 21)]
    path = _csv(tmp_path, lines)
    auto = read_table(path)
    assert auto.time_column == "a"
    want = read_table(path, time_column="b").time_labels
    assert want != auto.time_labels and want[0].startswith("2010-03-01")
    for table in (None, auto):
        p = prepare(DataConfig(path=path, time_column="b", window=2, difference="no"), table)
        assert p.time_column == "b" and p.time_labels == want


def test_unknown_and_ambiguous_columns_are_refused_naming_the_flag(tmp_path: Path) -> None:
    lines = ["t,a,b"] + [f"{i},{i % 3},{i % 5}" for i in range(20)]
    path = _csv(tmp_path, lines)
    assert _refused(path, target="z") == (
        "unknown target column 'z' in --target: available columns are t, a, b.")
    assert _refused(path, target="a", features=["a", "z"]) == (
        "unknown feature column 'z' in --features: available columns are t, a, b.")
    assert _refused(path) == (
        f"{path} has several numeric columns (a, b); choose the one to forecast with --target.")
    assert _refused(path, time_column="t", target="t") == (
        "column 't' is the time column (used for order and labels), not a target; choose from "
        "the numeric columns: a, b.")


def test_a_text_feature_is_refused_with_its_first_non_number_when_known(tmp_path: Path) -> None:
    lines = ["a,b,c"] + [f"{i % 3},{i % 5},{'x' if i == 4 else i}" for i in range(20)]
    path = _csv(tmp_path, lines)
    assert _refused(path, target="a", features=["c"]) == (
        "feature column 'c' is not numeric ('x' at line 6); choose numeric columns with "
        "--features (a, b) or fix the file.")
    # a table made without examples of its text columns: the message names none
    table = dataclasses.replace(read_table(path), text_examples={})
    with pytest.raises(DataError) as e:
        prepare(DataConfig(path=path, target="a", features=["c"], window=2), table)
    assert str(e.value) == ("feature column 'c' is not numeric; choose numeric columns with "
                            "--features (a, b) or fix the file.")


def test_an_empty_target_and_an_infinite_value_are_refused_in_words(tmp_path: Path) -> None:
    path = _csv(tmp_path, ["x,y"] + [f"{i}," for i in range(6)], "empty.csv")
    assert _refused(path, target="y") == (
        "column 'y' has no numbers (all 6 cells are empty or NaN); choose another --target, or "
        "fill it in.")
    # x (whole numbers) comes first and has no infinity to find; y's is on line 4
    path = _csv(tmp_path, ["x,y", "1,1.5", "2,2.5", "3,inf", "4,-inf", "5,3.5"], "inf.csv")
    assert _refused(path, target="y") == (
        "column 'y' has 2 infinite value(s) (first inf at line 4); replace them with real "
        "numbers or leave the cells empty and use --missing.")


# --- missing values ----------------------------------------------------------------------------


def test_ffill_fills_within_a_series_and_from_a_row_s_own_past(tmp_path: Path) -> None:
    # series b's first y is missing: nothing before it in b, so the row goes (never a's last
    # value); a's second y is missing and takes a's first
    lines = (["id,y"] + ["a,1", "a,"] + [f"a,{v}" for v in range(3, 21)]
             + ["b,"] + [f"b,{v}" for v in range(102, 121)])
    p = _prep(_csv(tmp_path, lines), series_id="id", target="y", missing="ffill")
    assert _note(p, "2 missing") == ("2 missing value(s) carried forward (--missing ffill); "
                                     "dropped 1 row(s) at the edges with nothing to fill from")
    assert p.bounds == [(0, 20), (20, 39)]
    assert p.target_values[:3].tolist() == [1.0, 1.0, 3.0]
    assert p.target_values[20:].tolist() == list(range(102, 121))
    # one series: a gap in its second row is filled from its first
    p = _prep(_csv(tmp_path, ["y", "5", ""] + [str(v) for v in range(7, 25)], "one.csv"),
              missing="ffill")
    assert p.target_values[:3].tolist() == [5.0, 5.0, 7.0] and len(p.target_values) == 20


def test_interpolation_in_a_fold_carries_gaps_at_the_fold_s_boundaries(tmp_path: Path) -> None:
    # 40 rows; x lacks row 0 (an edge: dropped) and row 36, y lacks row 10. Held out: 5 val and
    # 5 test rows of the 39 left, so the test rows start at row 35: x's gap next to it is
    # carried forward from row 35. (The 70/15/15 split of 39 rows, 27/5/7, starts validation at
    # row 28 and the test rows at 33, so there the gap is interpolated.) y's gap, far from every
    # boundary, is interpolated.
    x = [float(3 * i + i % 4) for i in range(40)]
    y = [float(i * i % 11) for i in range(40)]
    rows = [f"{'' if i in (0, 36) else x[i]},{'' if i == 10 else y[i]}" for i in range(40)]
    path = _csv(tmp_path, ["x,y", *rows])
    p = _prep(path, holdout=(5, 5), target="y", missing="interpolate", scale_x="none")
    assert _note(p, "3 missing") == (
        "3 missing value(s) linearly interpolated (--missing interpolate); dropped 1 row(s) at "
        "the edges with nothing to fill from; 1 gap(s) at a split boundary carried forward "
        "instead (a filled value never reads a later split)")
    assert p.split_rows == (29, 5, 5)
    xs = p.scaled_x[:, 0]  # rows 1..39 of the file
    assert xs[35 - 1] == x[35] and xs[36 - 1] == x[35]
    assert p.target_values[10 - 1] == (y[9] + y[11]) / 2
    # the same file split 70/15/15: the gap at row 36 is inside the test rows, interpolated
    p = _prep(path, target="y", missing="interpolate", scale_x="none")
    assert _note(p, "3 missing").endswith("dropped 1 row(s) at the edges with nothing to fill "
                                          "from")
    assert p.scaled_x[36 - 1, 0] == np.float32((x[35] + x[37]) / 2)


def test_every_row_dropped_for_missing_values_is_refused_in_one_line(tmp_path: Path) -> None:
    # every row lacks y or x
    lines = ["id,y,x"] + [f"{s},{i}," if i % 2 else f"{s},,{i}" for s in "ab" for i in range(10)]
    assert _refused(_csv(tmp_path, lines), series_id="id", target="y", missing="drop",
                    difference="yes") == (
        "no series has enough rows for window 2, horizon 1 and the split: use a smaller "
        "--window or --horizon, or --aggregate to make one longer series.")


# --- differencing --------------------------------------------------------------------------------


def _two_series(tmp_path: Path) -> str:
    # y: a's squares, b's cubes; x: whole numbers unrelated to y
    a = [(i * i, (7 * i) % 5) for i in range(20)]
    b = [(i ** 3, (3 * i) % 4) for i in range(16)]
    lines = ["id,y,x"] + [f"a,{v},{w}" for v, w in a] + [f"b,{v},{w}" for v, w in b]
    return _csv(tmp_path, lines)


def test_difference_yes_with_the_target_as_an_input(tmp_path: Path) -> None:
    p = _prep(_two_series(tmp_path), series_id="id", target="y", features=["y", "x"],
              difference="yes", scale_x="none", scale_y="no", stride=3)
    # the first row of each series has no change and goes: 19 + 15 rows
    assert p.bounds == [(0, 19), (19, 34)] and p.series_column == "id"
    assert p.series_names == ["a", "b"] and p.stride == 3
    assert p.difference and p.difference_mode == "yes"
    assert p.difference_reason == "asked for (--difference yes)"
    assert p.differenced_inputs == ["y"]  # x is read as it is
    changes = [2 * i + 1 for i in range(19)] + [(i + 1) ** 3 - i ** 3 for i in range(15)]
    assert p.scaled_x[:, 0].tolist() == changes
    assert p.scaled_x[:, 1].tolist() == [(7 * i) % 5 for i in range(1, 20)] + [
        (3 * i) % 4 for i in range(1, 16)]
    assert p.target_values.tolist() == [i * i for i in range(1, 20)] + [
        i ** 3 for i in range(1, 16)]
    assert _note(p, "differencing") == (
        "differencing (yes): the model learns d[t] = y[t] - y[t-1] of 'y' and reads it as an "
        "input; forecasts are re-integrated from the last observed value (first row of each "
        "series dropped), and the model starts from 'no change' (the persistence forecast) and "
        "learns a correction to it, kept only if it beats that start on validation — asked for "
        "(--difference yes)")
    assert not [n for n in p.notes if n.startswith("inputs read as changes")]


def test_difference_yes_with_the_target_not_an_input(tmp_path: Path) -> None:
    p = _prep(_two_series(tmp_path), series_id="id", target="y", features=["x"],
              difference="yes", scale_x="none", scale_y="no")
    assert p.bounds == [(0, 19), (19, 34)] and p.differenced_inputs == []
    # the windows' targets are the changes of y; their first row in b is b's second change
    first_b = int(np.flatnonzero(p.train.series == 1)[0])
    assert p.train.y[0].tolist() == [2 * 2 + 1] and p.train.y[first_b].tolist() == [27 - 8]
    assert p.train.y_true[0].tolist() == [9.0] and p.train.anchor[0] == 4.0
    assert _note(p, "differencing") == (
        "differencing (yes): the model learns d[t] = y[t] - y[t-1] of 'y'; forecasts are "
        "re-integrated from the last observed value (first row of each series dropped), and the "
        "model starts from 'no change' (the persistence forecast) and learns a correction to "
        "it, kept only if it beats that start on validation — asked for (--difference yes)")


def _walk(seed: int, n: int) -> np.ndarray:
    return np.cumsum(np.random.default_rng(seed).normal(size=n)) * 5


def test_walking_inputs_are_read_as_changes_and_a_stationary_target_as_a_level(
        tmp_path: Path) -> None:
    n = 80  # 56 training rows
    y = np.random.default_rng(3).normal(size=n)
    x1, x2 = _walk(4, n), _walk(5, n)
    assert [adf_test(v[:56]).difference for v in (y, x1, x2)] == [False, True, True]
    lines = ["y,x1,x2"] + [f"{float(a)!r},{float(b)!r},{float(c)!r}" for a, b, c in zip(y, x1, x2, strict=True)]
    p = _prep(_csv(tmp_path, lines), target="y", difference="auto", scale_x="none",
              scale_y="no")
    assert not p.difference and p.difference_mode == "auto"
    assert p.difference_reason == adf_test(y[:56]).why
    assert p.differenced_inputs == ["x1", "x2"]
    assert _note(p, "inputs read as changes") == (
        "inputs read as changes (each fails the unit-root test on its training rows): x1, x2")
    # the first row goes everywhere; y stays a level, x1 and x2 become changes
    assert p.target_values.tolist() == y[1:].tolist()
    assert np.array_equal(p.scaled_x[:, 0], y[1:].astype(np.float32))
    assert np.array_equal(p.scaled_x[:, 1], np.diff(x1).astype(np.float32))
    assert np.array_equal(p.scaled_x[:, 2], np.diff(x2).astype(np.float32))


def test_the_unit_root_test_reads_the_training_rows_of_the_split_or_the_fold(
        tmp_path: Path) -> None:
    # 40 rows split 70/15/15: 28 training rows. A straight line over the first 6 rows (as many
    # as the validation rows), noise after: the decision is the ADF test of the 28 rows
    y = np.r_[np.arange(6.0), np.random.default_rng(8).normal(size=34) + 3]
    path = _csv(tmp_path, ["y"] + [repr(float(v)) for v in y])
    p = _prep(path, difference="auto")
    assert p.difference_reason == adf_test(y[:28]).why
    assert "straight line" not in p.difference_reason
    # a fold holding out 2 validation and 4 test rows of 20: 14 training rows, a straight line
    # over the first 13 and a bump at the 14th, so not a straight line; the test then says 14
    z = np.r_[np.arange(13.0), 20.0, np.arange(6.0) * 3]
    path = _csv(tmp_path, ["y"] + [repr(float(v)) for v in z], "fold.csv")
    p = _prep(path, holdout=(2, 4), difference="auto")
    assert p.difference_reason == "only 14 training rows, too few for a unit-root test"


# --- series too short, the training rows, the scalers ----------------------------------------


@pytest.mark.parametrize("short", [5, 6])
def test_series_too_short_are_named_up_to_five(tmp_path: Path, short: int) -> None:
    names = "bcdefg"[:short]
    lines = (["id,y"] + [f"a,{i * i % 13}" for i in range(20)]
             + [f"{s},{i}" for s in names for i in range(3)])
    p = _prep(_csv(tmp_path, lines), series_id="id")
    listed = "b, c, d, e, f" + (", ..." if short > 5 else "")
    assert _note(p, f"{short} series") == (
        f"{short} series too short for window 2 + horizon 1 left out: {listed}")
    assert p.series_names == ["a"] and p.bounds == [(0, 20)]


def test_a_fold_of_one_series_too_short_is_refused_as_a_fold(tmp_path: Path) -> None:
    path = _csv(tmp_path, ["y"] + [str(i * i) for i in range(4)])
    assert _refused(path, holdout=(1, 2)) == (
        "too few rows before this fold's 2 test rows for window 2 and horizon 1: use fewer "
        "--folds or a smaller --window.")


def test_the_x_scaler_is_fit_on_the_training_rows_of_every_series(tmp_path: Path) -> None:
    # two series of 20 rows, 14 training rows each. x: a 0..13 then 500s; b 100..113 then -500s.
    # minmax over the training rows: 0..113
    xa = [*range(14), *[500] * 6]
    xb = [*range(100, 114), *[-500] * 6]
    lines = (["id,y,x"] + [f"a,{i % 7},{v}" for i, v in enumerate(xa)]
             + [f"b,{i % 5},{v}" for i, v in enumerate(xb)])
    p = _prep(_csv(tmp_path, lines), series_id="id", target="y", features=["x"])
    assert p.x_scaler.offset.tolist() == [0.0] and p.x_scaler.scale.tolist() == [113.0]
    assert _note(p, "inputs") == "inputs scaled with minmax (fit on the 28 training rows)"


def test_after_a_first_series_is_left_out_the_scaler_reads_the_next_one(tmp_path: Path) -> None:
    # series a is one row (-1000), too short: left out; b's 14 training rows are 10..23
    lines = ["id,y,x", "a,0,-1000"] + [f"b,{i % 3},{10 + i}" for i in range(20)]
    p = _prep(_csv(tmp_path, lines), series_id="id", target="y", features=["x"])
    assert p.bounds == [(1, 21)] and p.series_names == ["b"]
    assert p.x_scaler.offset.tolist() == [10.0] and p.x_scaler.scale.tolist() == [13.0]
    assert _note(p, "1 series") == "1 series too short for window 2 + horizon 1 left out: a"


def test_unscaled_inputs_say_so(tmp_path: Path) -> None:
    p = _prep(_csv(tmp_path, ["y"] + [str(i % 7) for i in range(20)]), scale_x="none")
    assert _note(p, "inputs") == "inputs not scaled (--scale-x none)"
    assert p.scaled_x[:, 0].tolist() == [i % 7 for i in range(20)]


def test_values_past_float32_are_refused_naming_the_columns_and_the_remedy(
        tmp_path: Path) -> None:
    big = ["y,x1,x2"] + [f"{(i % 5 + 1) * 1e38},{i % 3},{i % 4}" for i in range(20)]
    path = _csv(tmp_path, big, "big_y.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one line, no numpy warning before it
        assert _refused(path, target="y", features=["x1"], scale_y="no") == (
            "the target (y) as the model sees them exceed float32's range (~3.4e38); scale them "
            "(--scale-y auto) or divide the column by a power of 10.")
    big = ["y,x1,x2"] + [f"{i % 3},{(i % 5 + 1) * 1e38},{(i % 4 + 1) * 1e38}" for i in range(20)]
    path = _csv(tmp_path, big, "big_x.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _refused(path, target="y", features=["x1", "x2"], scale_x="none") == (
            "the inputs (x1, x2) as the model sees them exceed float32's range (~3.4e38); scale "
            "them (--scale-x minmax) or divide the column by a power of 10.")


# --- notes: trend, season, rows and windows -----------------------------------------------------


def test_a_trend_past_the_training_range_is_warned_of(tmp_path: Path) -> None:
    # 0..39: training rows 0..27, the 12 later rows all above, up to 12 past a range of 27
    p = _prep(_csv(tmp_path, ["y"] + [str(i) for i in range(40)]), target="y")
    assert _note(p, "warning") == (
        "warning: 100% of 'y' after the training rows lies outside the training range 0..27 "
        "(up to 44% of it beyond); a model fit on that range extrapolates badly: for a "
        "trending series try --difference yes")


def test_the_season_and_the_mase_scale_come_from_the_training_rows(tmp_path: Path) -> None:
    # 20 rows, 14 training rows: 0, 1, 4, 9, 2, ... (i * i % 11)
    y = [i * i % 11 for i in range(20)]
    path = _csv(tmp_path, ["y"] + [str(v) for v in y])
    train = y[:14]
    lag3 = np.mean([abs(train[i] - train[i - 3]) for i in range(3, 14)])
    lag1 = np.mean([abs(train[i] - train[i - 1]) for i in range(1, 14)])
    p = _prep(path, season=3)
    assert p.season == 3 and p.mase_scale == lag3
    assert _note(p, "season") == (f"season 3 (--season 3) for the seasonal-naive baseline; MASE "
                                  f"divides by its in-sample MAE on the training rows "
                                  f"({lag3:.4g})")
    for season in (14, 30):  # as long as the training rows, or longer: lag 1
        p = _prep(path, season=season)
        assert p.season == season and p.mase_scale == lag1
        assert p.season_reason == (f"--season {season}; too few training rows for it, so MASE "
                                   "uses lag 1")
        assert _note(p, "season") == (
            f"season {season} (--season {season}; too few training rows for it, so MASE uses "
            f"lag 1) for the seasonal-naive baseline; MASE divides by its in-sample MAE on the "
            f"training rows ({lag1:.4g})")


def test_the_rows_and_windows_note(tmp_path: Path) -> None:
    path = _csv(tmp_path, ["y"] + [str(i * i % 11) for i in range(20)])
    # 14/3/3 rows; window 2, horizon 1: windows start at rows 0..17, none straddles a boundary
    p = _prep(path)
    assert _note(p, "rows:") == "rows: train 14, val 3, test 3; windows: train 12, val 3, test 3"
    assert p.series_column is None and p.series_names == [] and p.bounds == [(0, 20)]
    # horizon 2: starts 0..16; 11 (targets 13, 14) and 14 (targets 16, 17) straddle
    p = _prep(path, horizon=2)
    assert _note(p, "rows:") == ("rows: train 14, val 3, test 3; windows: train 11, val 2, test 2 "
                                 "(2 straddling a split boundary dropped)")
    # two series of 20 rows
    lines = ["id,y"] + [f"{s},{i * i % 11 + k}" for k, s in enumerate("ab") for i in range(20)]
    p = _prep(_csv(tmp_path, lines, "two.csv"), series_id="id")
    assert _note(p, "rows:") == ("rows: train 28, val 6, test 6; windows: train 24, val 6, test 6"
                                 "; 2 series, windows never cross series")


def test_rows_summed_into_one_series_have_no_series_column(tmp_path: Path) -> None:
    lines = ["t,id,y"] + [f"2000-01-{d:02d},{s},{d * k % 7}" for d in range(1, 21)
                          for k, s in ((1, "a"), (3, "b"))]
    p = _prep(_csv(tmp_path, lines), aggregate="sum", target="y")
    assert p.series_column is None and p.series_names == [] and p.bounds == [(0, 20)]
    assert p.target_values.tolist() == [float(d % 7 + 3 * d % 7) for d in range(1, 21)]
