"""The unit-root test behind ``--difference auto`` and the long-format handling, checked against
computations made here independently of the implementation (see docs/mutation.md)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from seqlab.config import DataConfig
from seqlab.data.csvio import Table, read_table
from seqlab.data.longformat import arrange, detect
from seqlab.data.stationarity import adf_test, critical_value_5pct
from seqlab.errors import DataError

# --- the augmented Dickey-Fuller test --------------------------------------------------------


def _adf_regression(y: np.ndarray, p: int, first: int) -> tuple[float, float, int, int]:
    """Δy_t = a + g·y_{t-1} + Σ_{i=1..p} b_i Δy_{t-i} for t = first..n-1, fit by least squares:
    (t statistic of g, residual sum of squares, rows, coefficients)."""
    n = len(y)
    t = np.arange(first, n)
    d = np.diff(y, prepend=np.nan)  # d[t] = y[t] - y[t-1]
    X = np.column_stack([np.ones(len(t)), y[t - 1]] + [d[t - i] for i in range(1, p + 1)])
    dep = d[t]
    beta, *_ = np.linalg.lstsq(X, dep, rcond=None)
    resid = dep - X @ beta
    rss = float(resid @ resid)
    m, k = X.shape
    q, r = np.linalg.qr(X)
    r_inv = np.linalg.solve(r, np.eye(k))
    var_g = rss / (m - k) * float((r_inv @ r_inv.T)[1, 1])
    return float(beta[1] / math.sqrt(var_g)), rss, m, k


def _schwert(n: int) -> int:
    """The largest lag considered: Schwert's 12 (n/100)^(1/4), at most (n - 11) // 3 so that
    the longest regression keeps ten rows more than three per lag."""
    return min(math.ceil(12 * (n / 100) ** 0.25), (n - 11) // 3)


def _aic_lag(y: np.ndarray) -> int:
    """The lag with the smallest AIC, m log(RSS/m) + 2k, every lag fit on the same rows."""
    top = _schwert(len(y))
    aics = []
    for p in range(top + 1):
        _, rss, m, k = _adf_regression(y, p, top + 1)
        aics.append(m * math.log(rss / m) + 2 * k)
    return int(np.argmin(aics))


def _series() -> list[np.ndarray]:
    rng = np.random.default_rng(12)
    out = []
    for _ in range(4):
        out.append(np.cumsum(rng.normal(size=150)) + 40)  # random walks
        out.append(rng.normal(size=120) * 5 - 3)  # white noise
        e = rng.normal(size=260)
        ar = np.zeros(260)
        for t in range(1, 260):
            ar[t] = 0.7 * ar[t - 1] + e[t]
        out.append(ar[60:])  # AR(1), 0.7
        d = rng.normal(size=230)
        for t in range(3, 230):
            d[t] += 0.6 * d[t - 3]
        out.append(np.cumsum(d[30:]))  # changes that depend on the changes 3 rows back
    return out


def test_adf_statistic_lags_and_critical_value_match_a_regression_built_by_hand() -> None:
    for y in _series():
        r = adf_test(y)
        p = _aic_lag(y)
        assert r.lags == p
        stat, _, m, _ = _adf_regression(y, p, p + 1)  # the chosen lag refit on every usable row
        assert r.stat == pytest.approx(stat, rel=1e-9)
        assert r.nobs == m == len(y) - 1 - p
        assert r.critical == pytest.approx(critical_value_5pct(m), abs=1e-12)
        assert r.stationary is (stat < r.critical) and r.difference is not r.stationary
        if r.stationary:
            assert r.why == (f"ADF {stat:.2f} < {r.critical:.2f} (5 %, {p} lags): the training "
                             "rows look stationary around one mean")
        else:
            assert r.why == (f"ADF {stat:.2f} >= {r.critical:.2f} (5 %, {p} lags): the training "
                             "rows do not stay around one mean (trend, unit root or level shift)")


def test_the_statistic_does_not_depend_on_units_or_the_input_dtype() -> None:
    rng = np.random.default_rng(5)
    y = np.cumsum(rng.normal(size=90)) + rng.normal(size=90)
    base = adf_test(y)
    assert math.isfinite(base.stat)
    for scaled in (y * 1e-9 + 5.0, y * 1e6 - 3e7):  # nano-units, mega-units
        assert adf_test(scaled).stat == pytest.approx(base.stat, rel=1e-6)
    y32 = y.astype(np.float32)
    assert adf_test(y32).stat == pytest.approx(adf_test(y32.astype(np.float64)).stat, rel=1e-12)


@pytest.mark.parametrize(("n", "top"), [(30, 6), (41, 10), (245, 16)])
def test_the_lag_reaches_schwert_s_bound_and_never_passes_it(n: int, top: int) -> None:
    # n = 30: 12 (0.3)^(1/4) = 8.9 -> 9, capped at (30 - 11) // 3 = 6; n = 41: 9.6 -> 10, cap
    # 10; n = 245: 15.01 -> 16 (cap 78)
    assert _schwert(n) == top
    rng = np.random.default_rng(n)
    for lag, expect in ((top, top), (top + 1, None)):
        # the changes repeat themselves `lag` rows later: only a regression reaching that lag
        # explains them
        d = rng.normal(size=n - 1 + 200)
        for t in range(lag, len(d)):
            d[t] = 0.9 * d[t - lag] + 0.2 * d[t]
        y = np.concatenate([[0.0], np.cumsum(d[200:])])
        r = adf_test(y)
        if expect is None:
            assert r.lags <= top  # a lag beyond the bound would fit better; it is not tried
        else:
            assert r.lags == expect


def test_clear_random_walks_are_differenced_and_stationary_series_are_not() -> None:
    rng = np.random.default_rng(7)
    t = np.arange(300)
    walk = 100 + np.cumsum(rng.normal(size=300))
    trend = 0.2 * t + rng.normal(size=300)
    shift = np.where(t < 150, 0.0, 8.0) + rng.normal(size=300)
    e = rng.normal(size=300)
    ar = np.zeros(300)
    for i in range(1, 300):
        ar[i] = 0.5 * ar[i - 1] + e[i]
    for y in (walk, trend, shift):
        assert adf_test(y).difference
    for y in (ar + 20, rng.normal(size=300)):
        assert not adf_test(y).difference


def test_twenty_rows_are_tested_and_nineteen_are_too_few() -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(size=20)
    r = adf_test(y)
    assert math.isfinite(r.stat) and r.nobs == 19 - r.lags and r.why.startswith("ADF ")
    short = adf_test(y[:19])
    assert (math.isnan(short.stat), math.isnan(short.critical), short.lags, short.nobs,
            short.stationary) == (True, True, 0, 19, True)
    assert short.why == "only 19 training rows, too few for a unit-root test"
    # missing values are not rows
    assert adf_test(np.concatenate([y[:19], [np.nan, np.inf]])).nobs == 19


def test_a_constant_series_is_not_tested() -> None:
    r = adf_test(np.full(30, 4.2))
    assert (math.isnan(r.stat), math.isnan(r.critical), r.lags, r.nobs, r.stationary,
            r.difference, r.why) == (True, True, 0, 30, True, False,
                                     "constant over the training rows")


def test_exact_fits_decide_by_the_better_naive_forecast() -> None:
    # a noiseless alternation around 10.5 is explained exactly; the mean forecasts it better
    # (off by 0.5) than the last value (off by 1)
    flip = adf_test(np.tile([10.0, 11.0], 20))
    assert math.isnan(flip.stat) and flip.stationary is True and not flip.difference
    assert flip.nobs == 39 - flip.lags
    assert flip.critical == pytest.approx(critical_value_5pct(flip.nobs), abs=1e-12)
    assert flip.why == "exact fit around a constant mean"
    # a straight line: the last value is off by one step, the mean by a quarter of the line
    line = adf_test(np.arange(100.0) * 3 + 5)
    assert math.isnan(line.stat) and line.stationary is False and line.difference
    assert line.nobs == 99 - line.lags
    assert line.critical == pytest.approx(critical_value_5pct(line.nobs), abs=1e-12)
    assert line.why == ("exact fit: the last value predicts the training rows better than the "
                        "mean")


@pytest.mark.parametrize("n", [24, 36])
def test_a_noiseless_repeating_pattern_is_modelled_as_a_level(n: int) -> None:
    # 0, 0, 0, 2, 3, 1 repeated: explained exactly by its own past; the mean forecasts it as
    # well as the last value does (both off by 1 on average), so the level is kept
    r = adf_test(np.resize([0.0, 0.0, 0.0, 2.0, 3.0, 1.0], n))
    assert not r.difference and r.why == "exact fit around a constant mean"


@pytest.mark.parametrize("n", [23, 30, 65])
def test_a_series_flat_until_a_jump_at_its_last_row_is_differenced(n: int) -> None:
    # the lagged level is constant over the regression's rows (collinear with the constant)
    assert adf_test(np.concatenate([np.zeros(n - 1), [1.0]])).difference


def test_the_critical_value_is_mackinnon_s_and_near_the_published_tables() -> None:
    # MacKinnon (2010), 5 %, constant, no trend: asymptotically -2.86154 (-2.86 in the tables)
    assert critical_value_5pct(10**9) == pytest.approx(-2.86154, abs=1e-6)
    assert critical_value_5pct(10**9) > critical_value_5pct(1000) > critical_value_5pct(30)
    # Fuller's (1976) simulated table by sample size; MacKinnon's surface differs from it by at
    # most 0.014 (at 25 rows: -2.986)
    for rows, published in ((25, -3.00), (50, -2.93), (100, -2.89), (250, -2.88),
                            (500, -2.87)):
        assert critical_value_5pct(rows) == pytest.approx(published, abs=0.015)


# --- long-format files -----------------------------------------------------------------------


def _table(tmp_path: Path, text: str, name: str = "long.csv") -> Table:
    p = tmp_path / name
    p.write_text(text)
    return read_table(p)


def test_series_keep_their_first_appearance_order_and_their_file_lines(tmp_path: Path) -> None:
    # B appears first; line 1 is the header
    table = _table(tmp_path, "date,store,sales\n2021-01-01,B,1\n2021-01-01,A,2\n"
                             "2021-01-02,B,3\n2021-01-02,A,4\n2021-01-03,A,6\n2021-01-03,B,5\n")
    new, ids, names, _ = arrange(DataConfig(series_id="store"), table)
    assert names == ["B", "A"]
    assert ids.tolist() == [0, 0, 0, 1, 1, 1] and ids.dtype == np.int64
    assert new.frame["sales"].tolist() == [1, 3, 5, 2, 4, 6]
    assert [new.line_of(i) for i in range(6)] == [2, 4, 7, 3, 5, 6]
    assert list(new.frame.columns) == ["date", "store", "sales"]
    assert new.frame.index.tolist() == list(range(6))
    # a table without line numbers keeps none
    bare = dataclasses.replace(table, line_numbers=None)
    assert arrange(DataConfig(series_id="store"), bare)[0].line_numbers is None


def test_a_numeric_series_id_is_a_label_not_a_value(tmp_path: Path) -> None:
    table = _table(tmp_path, "date,store,sales\n2021-01-01,7,1\n2021-01-01,9,2\n"
                             "2021-01-02,7,3\n2021-01-02,9,4\n")
    assert table.numeric_columns == ["store", "sales"]
    new, ids, names, _ = arrange(DataConfig(series_id="store"), table)
    assert new.numeric_columns == ["sales"] and names == ["7", "9"]


def test_series_id_without_a_time_column_keeps_file_order_within_a_series(
        tmp_path: Path) -> None:
    table = _table(tmp_path, "store,sales\nA,1\nB,2\nA,3\nB,4\nA,5\n")
    assert table.time_column is None
    new, ids, names, _ = arrange(DataConfig(series_id="store"), table)
    assert new.frame["sales"].tolist() == [1, 3, 5, 2, 4] and new.time_key is None
    assert ids.tolist() == [0, 0, 0, 1, 1]


def test_a_repeated_timestamp_in_a_later_series_is_found(tmp_path: Path) -> None:
    table = _table(tmp_path, "date,store,sales\n2021-01-01,A,1\n2021-01-01,B,2\n"
                             "2021-01-02,A,3\n2021-01-02,B,4\n2021-01-02,B,5\n")
    with pytest.raises(DataError) as err:
        arrange(DataConfig(series_id="store"), table)
    assert str(err.value) == (
        "series 'B' has the timestamp 2021-01-02 more than once (line 6): 'store' does not "
        "tell the series apart on its own; choose another --series-id or --aggregate.")


def test_bad_series_id_columns_are_named(tmp_path: Path) -> None:
    table = _table(tmp_path, "date,store,sales\n2021-01-01,A,1\n2021-01-01,B,2\n"
                             "2021-01-02,A,3\n2021-01-02,,4\n")
    with pytest.raises(DataError) as err:
        arrange(DataConfig(series_id="shop"), table)
    assert str(err.value) == ("unknown series-id column 'shop': available columns are date, "
                              "store, sales.")
    with pytest.raises(DataError) as err:
        arrange(DataConfig(series_id="date"), table)
    assert str(err.value) == ("'date' is the time column; --series-id names the column that "
                              "tells the series apart (a store, a sensor, a region).")
    with pytest.raises(DataError) as err:
        arrange(DataConfig(series_id="store"), table)
    assert str(err.value) == "series-id column 'store' has empty cells; fill them in."


@pytest.mark.parametrize("how", ["sum", "mean"])
def test_aggregate_by_hand_with_a_timestamp_only_one_series_has(tmp_path: Path,
                                                                how: str) -> None:
    table = _table(tmp_path, "date,store,sales,units\n2021-01-01,A,1,10\n2021-01-01,B,2,20\n"
                             "2021-01-02,A,4,40\n2021-01-03,A,5,50\n2021-01-03,B,7,70\n")
    new, _, _, notes = arrange(DataConfig(aggregate=how), table)
    # 1 + 2, 4 alone, 5 + 7; means 1.5, 4, 6
    assert new.frame["sales"].tolist() == ([3.0, 4.0, 12.0] if how == "sum" else [1.5, 4.0, 6.0])
    assert new.frame["units"].tolist() == ([30.0, 40.0, 120.0] if how == "sum"
                                           else [15.0, 40.0, 60.0])
    assert list(new.frame.columns) == ["date", "sales", "units"]
    assert new.column_kinds == {"date": "time", "sales": "numeric", "units": "numeric"}
    assert new.time_labels == ["2021-01-01", "2021-01-02", "2021-01-03"]
    assert [new.line_of(i) for i in range(3)] == [2, 4, 5]
    assert notes[-1] == (
        "long format: the 5 rows summed up by 'date' into 3 timestamps (sum of sales, units)"
        if how == "sum" else
        "long format: the 5 rows averaged by 'date' into 3 timestamps (mean of sales, units)")
    bare = dataclasses.replace(table, line_numbers=None)
    assert arrange(DataConfig(aggregate=how), bare)[0].line_numbers is None


def test_notes_about_time_order_go_and_other_notes_stay(tmp_path: Path) -> None:
    # rows out of time order and a trailing empty column: read_table notes both
    text = ("date,store,sales,\n2021-01-02,A,3,\n2021-01-01,A,1,\n2021-01-01,B,2,\n"
            "2021-01-02,B,4,\n")
    table = _table(tmp_path, text)
    assert any("not in time order" in n for n in table.notes)
    assert any("empty unnamed column" in n for n in table.notes)
    for cfg in (DataConfig(series_id="store"), DataConfig(aggregate="sum")):
        notes = arrange(cfg, table)[3]
        assert not any("not in time order" in n or "duplicated timestamps" in n for n in notes)
        assert any("empty unnamed column" in n for n in notes)


def _days(rows_per_day: list[list[str]], head: str) -> str:
    return head + "\n" + "".join(f"2021-01-{d + 1:02d},{r}\n"
                                 for d, rows in enumerate(rows_per_day) for r in rows)


def test_long_format_is_detected_from_repeated_timestamps(tmp_path: Path) -> None:
    # two rows, one timestamp; three rows for two timestamps (1.5 a timestamp: long format)
    two = detect(_table(tmp_path, _days([["A,1.5", "B,2.5"]], "date,store,sales"), "two.csv"))
    assert two is not None and (two.rows, two.times, two.candidates) == (2, 1, ["store"])
    three = detect(_table(tmp_path, _days([["A,1", "B,2"], ["A,3"]], "date,store,sales"),
                          "three.csv"))
    assert three is not None and (three.rows, three.times) == (3, 2)
    assert detect(_table(tmp_path, _days([["A,1", "B,2"], ["A,3"], ["A,4"]],
                                         "date,store,sales"), "plain.csv")) is None
    # columns before the label: a text column with an empty cell, a measured value with few
    # distinct values, a region shared by stores (repeats within a timestamp); then the
    # integer store number that tells the series apart
    # (and a dose of 0 or 1e-9: a measured value, not an integer label)
    rows = [[f",0.5,N,0,{s}", f"x,1.5,N,1e-09,{s + 1}"] for s in (7, 7, 7)]
    rows[0][0] = "y" + rows[0][0]
    found = detect(_table(tmp_path, _days(rows, "date,note,temp,region,dose,store"),
                          "labels.csv"))
    assert found is not None and found.candidates == ["store"]


@pytest.mark.parametrize(("distinct", "label"), [(6, True), (7, False)])
def test_an_integer_column_is_a_label_up_to_three_values_per_row_of_a_timestamp(
        tmp_path: Path, distinct: int, label: bool) -> None:
    # six timestamps with two rows each: up to 3 x 2 = 6 distinct integers can be labels
    pairs = ([(1, 2), (3, 4), (5, 6)] * 2 if distinct == 6 else
             [(1, 2), (3, 4), (5, 6), (7, 1), (2, 3), (4, 5)])
    rows = [[f"{a},{d}.5", f"{b},{d}.25"] for d, (a, b) in enumerate(pairs)]
    found = detect(_table(tmp_path, _days(rows, "date,code,y"), f"c{distinct}.csv"))
    assert found is not None and ("code" in found.candidates) is label


def test_aggregate_needs_a_time_column(tmp_path: Path) -> None:
    table = _table(tmp_path, "store,sales\nA,1\nB,2\nA,3\n")
    with pytest.raises(DataError) as err:
        arrange(DataConfig(aggregate="sum"), table)
    assert str(err.value) == "--aggregate needs a time column to group by; this file has none."


# --- prepare: the differencing decision and the y scaler, from the training rows only ---------

from seqlab.data.prepare import Y_AUTO_LIMIT, _decide_difference, _fit_y  # noqa: E402
from seqlab.data.scaling import Scaler  # noqa: E402


def _three_quarters(length: int) -> int:
    """Training rows of a series of ``length`` rows in these tests."""
    return length * 3 // 4


def _walk(seed: int, n: int) -> np.ndarray:
    return np.cumsum(np.random.default_rng(seed).normal(size=n))


def _noise(seed: int, n: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=n)


def test_difference_yes_and_no_are_taken_as_asked() -> None:
    cols = {"y": np.arange(8.0), "x": np.arange(8.0)}
    yes = DataConfig(difference="yes")
    no = DataConfig(difference="no")
    assert _decide_difference(yes, cols, "y", ["y", "x"], [(0, 8)], _three_quarters) == (
        True, ["y"], "asked for (--difference yes)")
    assert _decide_difference(yes, cols, "y", ["x"], [(0, 8)], _three_quarters) == (
        True, [], "asked for (--difference yes)")
    assert _decide_difference(no, cols, "y", ["y", "x"], [(0, 8)], _three_quarters) == (
        False, [], "asked for (--difference no)")


def test_a_straight_line_over_the_training_rows_of_every_series_is_not_differenced() -> None:
    # two series of 12 rows, 9 training rows each: a straight line there, then a jump that only
    # the validation and test rows see
    one = np.r_[np.arange(9.0) * 2, 50.0, -3.0, 7.0]
    two = np.r_[5.0 - np.arange(9.0), 90.0, 1.0, 40.0]
    cols = {"y": np.r_[one, two]}
    got = _decide_difference(DataConfig(), cols, "y", ["y"], [(0, 12), (12, 24)],
                             _three_quarters)
    assert got == (False, [],
                   "its changes are constant over the training rows (a straight line)")
    # changes that step by exactly 1 are not a straight line
    bumpy = np.r_[0.0, 1.0, 3.0, 4.0, 6.0, 7.0, 9.0, 10.0, 12.0, 13.0, 15.0, 16.0]
    reason = _decide_difference(DataConfig(), {"y": bumpy}, "y", ["y"], [(0, 12)],
                                _three_quarters)[2]
    assert "straight line" not in reason


def test_one_series_is_decided_by_the_adf_test_on_its_training_rows() -> None:
    # 80 rows, 60 training rows: a random walk there (clearly a unit root), white noise after
    walk = np.r_[_walk(1, 60) * 5, _noise(2, 20)]
    noise = _noise(3, 80)
    cols = {"y": walk, "w": _walk(4, 80) * 5, "s": noise}
    assert adf_test(walk[:60]).difference and not adf_test(noise[:60]).difference
    assert adf_test(cols["w"][:60]).difference
    diff, inputs, why = _decide_difference(DataConfig(), cols, "y", ["s", "y", "w"], [(0, 80)],
                                           _three_quarters)
    assert (diff, inputs, why) == (True, ["y", "w"], adf_test(walk[:60]).why)
    # a stationary target in the inputs is read as a level, the walking input as changes
    cols["y"] = noise
    assert _decide_difference(DataConfig(), cols, "y", ["s", "y", "w"], [(0, 80)],
                              _three_quarters) == (False, ["w"], adf_test(noise[:60]).why)


def _series_of(kinds: str, n: int = 40) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Series of n rows each, 30 training rows: 'w' a random walk there, 's' white noise; the
    last 10 rows of every series climb steeply, which only rows past the training rows show."""
    parts, bounds = [], []
    for i, k in enumerate(kinds):
        head = _walk(10 + i, 30) * 5 if k == "w" else _noise(i, 30)
        parts.append(np.r_[head, head[-1] + 40.0 * np.arange(1, 11)])
        bounds.append((i * n, (i + 1) * n))
    return np.concatenate(parts), bounds


@pytest.mark.parametrize(("kinds", "expect", "bad"),
                         [("ws", False, 1), ("sw", False, 1), ("wws", True, 2), ("sws", False, 1),
                          ("sss", False, 0)])
def test_several_series_difference_when_most_fail_on_their_training_rows(
        kinds: str, expect: bool, bad: int) -> None:
    v, bounds = _series_of(kinds)
    for (a, _), k in zip(bounds, kinds, strict=True):
        assert adf_test(v[a: a + 30]).difference == (k == "w")
    got = _decide_difference(DataConfig(), {"y": v}, "y", ["y"], bounds, _three_quarters)
    assert got == (expect, ["y"] if expect else [],
                   f"{bad} of {len(kinds)} series fail the ADF unit-root test on their "
                   "training rows")


def test_y_is_left_alone_up_to_the_limit_and_scaled_past_it() -> None:
    notes: list[str] = []
    at = np.array([-3.0, Y_AUTO_LIMIT, 2.0])
    assert _fit_y(DataConfig(), None, at, "y", ["y"], notes, False) is None  # type: ignore[arg-type]
    assert notes == ["target 'y' not scaled: max |y| over training rows is 10 (<= 10, "
                     "--scale-y auto)"]
    notes.clear()
    assert _fit_y(DataConfig(), None, np.array([]), "y", ["y"], notes, True) is None  # type: ignore[arg-type]
    assert notes == ["differenced target not scaled: max |y| over training rows is 0 (<= 10, "
                     "--scale-y auto)"]
    notes.clear()
    past = np.array([-12.0, 4.0, 8.0])
    s = _fit_y(DataConfig(), None, past, "y", ["y"], notes, False)  # type: ignore[arg-type]
    assert (s.kind, s.offset.tolist(), s.scale.tolist()) == ("minmax", [-12.0], [20.0])
    assert notes == ["target 'y' scaled with minmax: max |y| over training rows is 12 "
                     "(> 10, --scale-y auto)"]


def test_y_scaled_when_asked_and_a_differenced_target_only_divided() -> None:
    notes: list[str] = []
    s = _fit_y(DataConfig(scale_y="yes"), None, np.array([1.0, 3.0]), "y", ["y"], notes,  # type: ignore[arg-type]
               False)
    assert (s.kind, s.offset.tolist(), s.scale.tolist()) == ("minmax", [1.0], [2.0])
    assert notes == ["target 'y' scaled with minmax: --scale-y yes"]
    notes.clear()
    cfg = DataConfig(scale_y="yes", scale_x="standard")
    s = _fit_y(cfg, None, np.array([-2.0, 4.0]), "y", ["y"], notes, True)  # type: ignore[arg-type]
    assert isinstance(s, Scaler)
    assert (s.kind, s.offset.tolist(), s.scale.tolist()) == ("standard", [0.0], [3.0])
    assert notes == ["differenced target scaled with standard: --scale-y yes; divided by its "
                     "spread only, so 0 stays 'no change'"]


def test_a_constant_large_y_is_left_alone_on_auto_and_refused_when_asked() -> None:
    notes: list[str] = []
    flat = np.array([50.0, 50.0, 50.0])
    assert _fit_y(DataConfig(), None, flat, "y", ["y"], notes, False) is None  # type: ignore[arg-type]
    assert notes == ["target 'y' not scaled: it is constant over the training rows"]
    with pytest.raises(DataError, match=r"^target column 'y' is constant in the training rows "
                                        r"\(value 50\), so the minmax scaler"):
        _fit_y(DataConfig(scale_y="yes"), None, flat, "y", ["y"], [], False)  # type: ignore[arg-type]


def _too_few(monkeypatch: pytest.MonkeyPatch | None, n: int, file_rows: int, **kw: object) -> str:
    from types import SimpleNamespace

    from seqlab.data.prepare import _check_enough_rows

    cfg = DataConfig(split=(0.5, 0.25, 0.25), stride=1, **kw)  # type: ignore[arg-type]
    with pytest.raises(DataError) as e:
        _check_enough_rows(cfg, n, SimpleNamespace(n_rows=file_rows))  # type: ignore[arg-type]
    return str(e.value)


def test_too_few_rows_names_the_empty_splits_the_rows_needed_and_only_real_remedies(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # 3 usable rows of 5 (window 1, horizon 1): train 1 row, val 0, test 2, so only the test
    # split has a window (rows 1 -> 2); 4 rows (2/1/1) give each split one window, and the 2 rows
    # lost before must come on top: 6 in the file; window and horizon cannot shrink below 1
    assert _too_few(monkeypatch, 3, 5, window=1, horizon=1) == (
        "too few rows: 3 usable rows (of 5 in the file, after missing-value handling/"
        "differencing) give no train or val windows for window 1, horizon 1, stride 1 and split "
        "0.5/0.25/0.25; this needs at least 6 rows in the file: use more data.")
    # 5 rows (2/1/2), window 2, horizon 1: train needs 3 rows; 6 rows (3/1/2) suffice
    assert _too_few(monkeypatch, 5, 5, window=2, horizon=1) == (
        "too few rows: 5 usable rows give no train windows for window 2, horizon 1, stride 1 "
        "and split 0.5/0.25/0.25; this needs at least 6 rows in the file: use a smaller "
        "--window, or more data.")
    # 6 rows (3/1/2), window 2, horizon 2: train needs 4 rows, val 1 row past the train rows
    # with the window before it: 8 rows (4/2/2) are the fewest
    assert _too_few(monkeypatch, 6, 6, window=2, horizon=2) == (
        "too few rows: 6 usable rows give no train or val windows for window 2, horizon 2, "
        "stride 1 and split 0.5/0.25/0.25; this needs at least 8 rows in the file: use a "
        "smaller --window or --horizon, or more data.")
    # past the search limit no count is named
    import sys

    monkeypatch.setattr(sys.modules["seqlab.data.prepare"], "min_rows_needed",
                        lambda *a, **k: None)
    assert "; this needs more rows: use more data." in _too_few(monkeypatch, 3, 5, window=1,
                                                                horizon=1)


@pytest.mark.parametrize("season", [2, 3])
def test_windows_of_two_series_with_a_stride_by_hand(season: int) -> None:
    from seqlab.data.prepare import _windows

    # two series of 8 rows (rows 0-7 and 8-15), each 4 train / 2 val / 2 test rows; window 2,
    # horizon 1, stride 2: one window per split and series, starting at a series' row 0, 2, 4
    level = 10.0 * np.arange(16)
    y_series = np.arange(16, dtype=np.float32) + 0.5
    x = (np.arange(16, dtype=np.float32) + 100)[:, None]
    cfg = DataConfig(window=2, horizon=1, stride=2)
    out = _windows(cfg, [(0, 8), (8, 16)], [(4, 2, 2), (4, 2, 2)], x, y_series, level, season)
    for name, first in (("train", 0), ("val", 2), ("test", 4)):
        s = out[name]
        starts = [first, 8 + first]
        assert s.starts.tolist() == starts and s.series.tolist() == [0, 1]
        assert s.X[:, :, 0].tolist() == [[100 + r, 101 + r] for r in starts]
        assert s.y.tolist() == [[r + 2.5] for r in starts]  # the row after the window
        assert s.y_true.tolist() == [[10.0 * (r + 2)] for r in starts]
        assert s.anchor.tolist() == [10.0 * (r + 1) for r in starts]  # the window's last row
        # seasonal naive: the value `season` rows before the target row, if that row is in the
        # same series (row 0 of a series counts), else the window's last value
        want = [[10.0 * (r + 2 - season)] if r + 2 - season >= (r // 8) * 8
                else [10.0 * (r + 1)] for r in starts]
        assert s.snaive.dtype == np.float64 and s.snaive.tolist() == want
    # the boundary cases the two seasons reach: a season-old row at a series' first row, and
    # (season 3) none inside the series, where the other series' last row must not be used
    assert out["train"].snaive.tolist() == ([[0.0], [80.0]] if season == 2 else [[10.0], [90.0]])


def _missing(tmp_path: Path, text: str) -> tuple[Table, dict[str, np.ndarray]]:
    table = _table(tmp_path, text, "gaps.csv")
    return table, {c: table.frame[c].to_numpy(dtype=np.float64) for c in ("y", "x")}


def test_missing_values_are_counted_and_located_by_file_line(tmp_path: Path) -> None:
    from seqlab.data.prepare import _handle_missing

    # data rows 0-5 are file lines 2-7; y lacks rows 1 and 3, x rows 0, 3 and 5: 5 cells, 4 rows
    def refused(text: str) -> str:
        table, cols = _missing(tmp_path, text)
        with pytest.raises(DataError) as e:
            _handle_missing(DataConfig(missing="error"), table, cols, [])
        return str(e.value)

    assert refused("y,x\n1,\n,2\n3,4\n,\n5,6\n7,\n") == ("5 missing value(s) in 4 row(s), in column(s) 'y' (2), 'x' (3), "
                            "first at line(s) 2, 3, 5, ...; fill them in or choose "
                            "--missing drop|ffill|interpolate.")
    table, cols = _missing(tmp_path, "y,x\n1,\n,2\n3,4\n,\n5,6\n7,\n")
    notes: list[str] = []
    out, keep = _handle_missing(DataConfig(missing="drop"), table, cols, notes)
    assert keep.tolist() == [2, 4] and out["y"].tolist() == [3.0, 5.0]
    assert notes == ["dropped 4 row(s) with missing values (--missing drop)"]
    # exactly three rows: all named, no ellipsis
    assert refused("y,x\n1,\n,2\n3,4\n5,\n") == ("3 missing value(s) in 3 row(s), in column(s) 'y' (1), 'x' (2), "
                            "first at line(s) 2, 3, 5; fill them in or choose "
                            "--missing drop|ffill|interpolate.")


def test_an_inner_gap_far_from_the_split_boundaries_is_interpolated(tmp_path: Path) -> None:
    from seqlab.data.prepare import _handle_missing

    rows = "".join(f"{v},{v}\n" for v in range(4, 21))
    table, cols = _missing(tmp_path, "y,x\n1,1\n,2\n3,3\n" + rows)
    notes: list[str] = []
    out, keep = _handle_missing(DataConfig(missing="interpolate"), table, cols, notes)
    assert keep is None and out["y"][:3].tolist() == [1.0, 2.0, 3.0]
    assert notes == ["1 missing value(s) linearly interpolated (--missing interpolate)"]


def test_series_too_short_for_a_window_in_every_split_are_left_out_by_name() -> None:
    from seqlab.data.prepare import _drop_short

    # split 1/2, 1/4, 1/4 with window 1 and horizon 1: 4 rows (2/1/1) give each split exactly one
    # window, 3 rows (1/0/2) give train none
    cfg = DataConfig(split=(0.5, 0.25, 0.25), window=1, horizon=1, stride=1)
    got = _drop_short(cfg, [(0, 4), (4, 7), (7, 11)], None, 11, ["a", "b", "c"], None)  # type: ignore[arg-type]
    assert got == ([(0, 4), (7, 11)], ["a", "c"], ["b"])
    with pytest.raises(DataError) as e:
        _drop_short(cfg, [(0, 3), (3, 6)], None, 6, ["a", "b"], None)  # type: ignore[arg-type]
    assert str(e.value) == ("no series has enough rows for window 1, horizon 1 and the split: use "
                            "a smaller --window or --horizon, or --aggregate to make one longer "
                            "series.")
    # a fold holding out 1 validation and 1 test row: 2 training rows give one train window
    # (row 0 -> 1), 1 training row none
    got = _drop_short(cfg, [(0, 4), (4, 7), (7, 11)], None, 11, ["a", "b", "c"], (1, 1))  # type: ignore[arg-type]
    assert got == ([(0, 4), (7, 11)], ["a", "c"], ["b"])
    # with stride 2 the one validation row (even training count) or the one test row (odd) sits
    # at an odd row offset no window starts at: no series of any length qualifies
    strided = dataclasses.replace(cfg, stride=2)
    with pytest.raises(DataError, match="^no series has enough rows"):
        _drop_short(strided, [(0, 6), (6, 13)], None, 13, ["a", "b"], (1, 1))  # type: ignore[arg-type]


@pytest.mark.parametrize("rows", [3, 4])
def test_a_fold_of_one_series_without_training_windows_is_refused(rows: int) -> None:
    from seqlab.data.prepare import _drop_short

    # 1 validation and 2 test rows held out leave 0 or 1 training rows: no train window
    cfg = DataConfig(window=2, horizon=1, stride=1)
    with pytest.raises(DataError) as e:
        _drop_short(cfg, [(0, rows)], None, rows, [], (1, 2))  # type: ignore[arg-type]
    assert str(e.value) == ("too few rows before this fold's 2 test rows for window 2 and "
                            "horizon 1: use fewer --folds or a smaller --window.")


def test_a_series_emptied_by_missing_drop_does_not_pass_its_name_on(tmp_path: Path) -> None:
    from seqlab.data.prepare import prepare

    # series b has no target value at all: --missing drop removes all its rows, and c (values
    # 101-120) must keep its own name, not take b's
    lines = ["id,y"] + [f"a,{v}" for v in range(1, 21)] + ["b,"] * 20 + [
        f"c,{v}" for v in range(101, 121)]
    table = _table(tmp_path, "\n".join(lines) + "\n")
    cfg = DataConfig(path=str(table.path), series_id="id", target="y", missing="drop", window=2,
                     horizon=1, difference="no")
    p = prepare(cfg, table)
    assert p.series_names == ["a", "c"]
    # and the series that is gone is named, not silently missing from the count
    assert "series left out, every row having a missing value (--missing drop): b" in p.notes
    test = p.test
    for i, name in enumerate(p.series_names):
        values = test.y_true[test.series == i].ravel()
        assert len(values) and all((v > 100) == (name == "c") for v in values)


@pytest.mark.parametrize("level", [[5.0], [5.0, 5.0, 5.0]])
def test_a_constant_target_and_values_past_float32_are_refused_in_words(
        level: list[float]) -> None:
    from seqlab.data.prepare import _check_constant_target, _check_float32

    with pytest.raises(DataError) as e:
        _check_constant_target(None, "y", np.array(level))  # type: ignore[arg-type]
    assert str(e.value) == ("target column 'y' is constant (every value is 5); there is nothing "
                            "to forecast: choose another --target.")
    with pytest.raises(DataError) as e:
        _check_float32(np.array([1.0, np.inf]), "inputs", "x", "--scale-x minmax")
    assert str(e.value) == ("the inputs (x) as the model sees them exceed float32's range "
                            "(~3.4e38); scale them (--scale-x minmax) or divide the column by a "
                            "power of 10.")


def test_the_trend_warning_by_hand() -> None:
    from seqlab.data.prepare import _trend_note

    def note(train: list[float], later: list[float]) -> str | None:
        return _trend_note(False, np.array(train + later), np.arange(len(train)), "y")

    # later values 0.05 past a range of 1: within a tenth of it, no warning
    assert note([0.0, 1.0], [1.05] * 4) is None
    assert note([0.0, 0.5], [1.0, 1.5]) == (
        "warning: 100% of 'y' after the training rows lies outside the training range 0..0.5 "
        "(up to 200% of it beyond); a model fit on that range extrapolates badly: for a trending "
        "series try --difference yes")
    # values equal to an end of the range are inside it: one of four outside
    for later, lo, hi in (([10.0, 10.0, 10.0, 20.0], 0, 10), ([0.0, 0.0, 0.0, -10.0], 0, 10)):
        assert note([0.0, 10.0], later) == (
            f"warning: 25% of 'y' after the training rows lies outside the training range "
            f"{lo}..{hi} (up to 100% of it beyond); a model fit on that range extrapolates badly: "
            "for a trending series try --difference yes")
