"""Time columns checked by hand: which values read as times, their labels and spacing, the
season they imply, and when a text column is reported as dates written in mixed formats.

Expected values are worked out by hand from the values written (a day is 86400 s).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqlab.data.csvio import read_table
from seqlab.data.timecol import mixed_formats, parse_numeric_time, parse_text_time, season_of

_D = 86400.0


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _mixed(values: list[str]) -> tuple[int, int] | None:
    return mixed_formats(pd.Series(values, dtype=object))


# ---- text times ----------------------------------------------------------------------------------


def _months(n: int) -> list[str]:
    return [f"{1900 + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


@pytest.mark.parametrize("padded", [0, 150, 200, 250])
def test_one_padded_month_anywhere_leaves_the_column_months(padded: int) -> None:
    # 300 months; one of them carries a trailing space, as a CSV field "1912-07 " does.
    values = _months(300)
    values[padded] = values[padded] + " "
    info = parse_text_time(pd.Series(values, dtype=object))
    assert info is not None
    assert info.kind == "month"
    assert list(info.labels) == _months(300)
    assert np.diff(info.key).tolist() == [1] * 299


def test_a_file_with_a_trailing_space_after_its_250th_month_keeps_monthly_labels(
        tmp_path: Path) -> None:
    rows = [f"{m},{k}" for k, m in enumerate(_months(300))]
    rows[250] = rows[250].replace(",", " ,")
    t = read_table(_write(tmp_path, "month,v\n" + "\n".join(rows) + "\n"))
    assert t.time_kind == "month"
    assert t.time_labels == _months(300)
    assert season_of(t.time_kind, t.time_step_s) == (12, "monthly")


@pytest.mark.parametrize("text, labels", [
    ("q,v\n1959Q3,1\n", ["1959Q3"]),
    ("q,v\nQ3 1959,1\n", ["1959Q3"]),
    ("m,v\n1949-07,1\n", ["1949-07"]),
])
def test_a_single_quarter_or_month_row_is_a_time_column(
        tmp_path: Path, text: str, labels: list[str]) -> None:
    t = read_table(_write(tmp_path, text))
    assert t.time_labels == labels
    assert t.time_kind in ("quarter", "month")


def test_times_with_two_offsets_written_with_t_or_a_space_are_one_clock() -> None:
    info = parse_text_time(pd.Series(["2020-01-01T00:00+01:00", "2020-01-01 05:00+02:00"],
                                     dtype=object))
    assert info is not None
    assert list(info.labels) == ["2019-12-31 23:00", "2020-01-01 03:00"]
    assert info.step_s == 4 * 3600.0


# ---- dates written in mixed formats ----------------------------------------------------------------


def test_exactly_half_in_one_format_is_enough_for_the_note() -> None:
    # two ISO dates, one US date, one word: half the values share a format
    assert _mixed(["2020-01-01", "2020-01-02", "01/02/2020", "up"]) == (0, 2)


def test_in_a_tie_the_iso_dates_are_the_main_format() -> None:
    assert _mixed(["2020-01-01", "2020-01-02", "01/02/2020", "01/03/2020"]) == (0, 2)


def test_an_iso_date_among_dates_written_another_way_is_named() -> None:
    assert _mixed(["01/02/2020", "01/03/2020", "2020-01-04"]) == (0, 2)
    assert _mixed(["02.01.2020", "03.01.2020", "04.01.2020", "2020-01-05T10:00"]) == (0, 3)


@pytest.mark.parametrize("stray", ["1a", "junk", "5"])
def test_a_stray_word_among_dates_is_not_a_date_in_another_format(stray: str) -> None:
    assert _mixed(["2020-01-01", "2020-01-02", stray]) is None


def test_dates_with_two_utc_offsets_do_not_hide_the_other_formats() -> None:
    # ISO 8601 cannot read this column at once (two offsets); the US dates are the main
    # format and the first date written otherwise is the first value.
    values = ["2020-01-01T00:00+01:00", "2020-01-02T00:00+02:00", "01/02/2020", "01/03/2020",
              "01/04/2020", "2020/01/05"]
    assert _mixed(values) == (2, 0)


def test_only_the_first_thousand_values_are_read_for_the_note() -> None:
    days = [str(d.date()) for d in pd.date_range("2000-01-01", periods=1000, freq="D")]
    assert _mixed(days[:999] + ["01/02/2020"]) == (0, 999)
    assert _mixed(days + ["01/02/2020"]) is None


def test_a_file_whose_dates_are_mostly_us_and_once_iso_gets_the_note(tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, "date,v\n01/02/2020,1\n01/03/2020,2\n2020-01-04,3\n"))
    assert t.time_column is None
    assert t.notes == [
        "column 'date' looks like dates in mixed formats ('01/02/2020' at line 2, '2020-01-04' "
        "at line 4), so it is not used as time: rows stay in file order; write every date one "
        "way (e.g. 2020-01-31) to order and label rows by it"]


# ---- numeric times ----------------------------------------------------------------------------------


def _num(name: str, values: list[float], forced: bool = False
         ) -> tuple[str, list[str]] | None:
    info = parse_numeric_time(name, pd.Series(values, dtype=np.float64), forced=forced)
    return None if info is None else (info.kind, list(info.labels))


def test_years_end_at_2300() -> None:
    assert _num("x", [2299, 2300, 2301]) is None
    assert _num("x", [2298, 2299, 2300]) == ("year", ["2298", "2299", "2300"])


def test_a_single_row_under_a_year_name_is_a_year(tmp_path: Path) -> None:
    assert _num("year", [1990]) == ("year", ["1990"])
    assert _num("x", [1990], forced=True) == ("year", ["1990"])
    t = read_table(_write(tmp_path, "year,v\n1990,5\n"))
    assert (t.time_column, t.time_kind, t.time_labels) == ("year", "year", ["1990"])


def test_seven_digit_numbers_under_a_date_name_are_an_index_not_days() -> None:
    # 2020011 could be cut as 2020-01-1, but a YYYYMMDD day has eight digits
    assert _num("date", [2020011, 2020012, 2020013]) == (
        "index", ["2020011", "2020012", "2020013"])


def test_a_billionth_is_not_a_whole_number() -> None:
    assert _num("x", [1e-9, 1, 2], forced=True) == ("index", ["1e-09", "1", "2"])
