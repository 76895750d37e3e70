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
