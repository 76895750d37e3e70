"""Reading CSVs and their time columns, checked by hand from what a user sees.

Each test writes a tiny CSV and checks the table read (values, column kinds, notes), the time
column chosen (its labels, order, kind and spacing, the season it implies) or the exact one-line
message for a file seqlab refuses. Expected values are worked out by hand from the file's text.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqlab.data.csvio import Table, read_table
from seqlab.data.timecol import (
    TIME_HINTS,
    mixed_formats,
    name_hints_time,
    parse_numeric_time,
    parse_text_time,
    season_of,
)
from seqlab.errors import DataError


def _write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _refusal(path: Path, **kwargs: object) -> str:
    with pytest.raises(DataError) as info:
        read_table(path, **kwargs)  # type: ignore[arg-type]
    return str(info.value)


def _row_width_message(path: Path, line: int, fields: int, header: int, delim: str) -> str:
    """The refusal of a row whose field count differs from the header's, word for word."""
    return (f"{path} line {line} has {fields} field(s) but the header has {header} "
            f"({delim}-separated); fix that row (a stray delimiter or a missing field) and try "
            "again.")


# ---- file lines for messages ---------------------------------------------------------------


def _table(lines: np.ndarray | None, n: int = 3) -> Table:
    return Table(path="x.csv", frame=pd.DataFrame({"v": np.arange(n, dtype=float)}),
                 time_column=None, time_labels=[str(i) for i in range(n)], numeric_columns=["v"],
                 column_kinds={"v": "numeric"}, delimiter=",", encoding="utf-8",
                 line_numbers=lines)


def test_a_row_s_file_line_is_its_recorded_line_or_header_plus_row() -> None:
    # Recorded lines (a blank line 3 skipped): rows 0, 1, 2 sit on lines 2, 4, 5.
    t = _table(np.array([2, 4, 5]))
    assert [t.line_of(r) for r in range(3)] == [2, 4, 5]
    # Past the recorded rows, and with no record at all, row r is line r + 2 (header = line 1).
    assert t.line_of(3) == 5
    assert t.line_of(7) == 9
    assert _table(None).line_of(0) == 2
    assert _table(None).line_of(4) == 6


# ---- short rows, unclosed quotes and blank lines --------------------------------------------


@pytest.mark.parametrize("delim, name", [(";", "semicolon"), ("\t", "tab"), (",", "comma")])
def test_a_short_row_is_named_with_its_line_and_the_delimiter(
        tmp_path: Path, delim: str, name: str) -> None:
    text = "\n".join(delim.join(r) for r in (["a", "b", "c"], ["1", "2", "3"], ["4", "5"],
                                             ["6", "7", "8"])) + "\n"
    path = _write(tmp_path, text)
    assert _refusal(path) == _row_width_message(path, 3, 2, 3, name)


def test_a_short_row_that_starts_with_an_empty_field_is_still_short(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,b,c\n1,2,3\n,5\n7,8,9\n")
    assert _refusal(path) == _row_width_message(path, 3, 2, 3, "comma")


def test_an_unclosed_quote_after_a_blank_line_is_placed_at_its_own_line(tmp_path: Path) -> None:
    # line 1 header, 2 data, 3 blank, 4 the row whose quote never closes
    path = _write(tmp_path, 'a,b,c\n1,2,3\n\n4,"5,6\n7,8,9\n')
    assert _refusal(path) == (
        f'{path} has an unclosed quote (") near line 4; close or remove it and try again.')


@pytest.mark.parametrize("blank", ["   ", "\t", " \t "])
def test_a_line_of_spaces_is_a_blank_line_not_a_short_row(tmp_path: Path, blank: str) -> None:
    # The missing value on line 5 makes the reader look for short rows; line 3 holds only
    # spaces or tabs, a blank line: the rows after it keep their own file lines.
    t = read_table(_write(tmp_path, f"a,b,c\n1,2,3\n{blank}\n7,8,9\n4,,6\n"))
    assert t.frame["a"].tolist() == [1, 7, 4]
    assert t.frame["b"].isna().tolist() == [False, False, True]
    assert t.line_numbers is not None and t.line_numbers.tolist() == [2, 4, 5]
    assert [t.line_of(r) for r in range(3)] == [2, 4, 5]


def test_in_a_tab_separated_file_a_line_of_tabs_is_a_row_of_missing_values(
        tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, "a\tb\n1\t2\n\t\n   \n3\t4\n"))
    assert t.frame["a"].isna().tolist() == [False, True, False]
    assert t.line_numbers is not None and t.line_numbers.tolist() == [2, 3, 5]


def test_a_quoted_field_after_a_space_is_one_field(tmp_path: Path) -> None:
    # "a,b" follows ", " and holds a comma; the empty value on line 3 is a missing value,
    # not a short row.
    t = read_table(_write(tmp_path, 'date, label, value\n2020-01-01, "a,b", 1\n'
                                    '2020-01-02, "c,d", \n2020-01-03, "e,f", 3\n'))
    assert t.frame["label"].tolist() == ["a,b", "c,d", "e,f"]
    assert t.frame["value"].iloc[[0, 2]].tolist() == [1.0, 3.0]
    assert np.isnan(t.frame["value"].iloc[1])
    assert t.column_kinds == {"date": "time", "label": "text", "value": "numeric"}


# ---- numbers written with commas -------------------------------------------------------------


def test_decimal_commas_mixed_with_decimal_points_in_a_semicolon_file(tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, "a;b\n1,5;1\n2.5;2\n;3\n3,25;4\n"))
    assert t.frame["a"].iloc[[0, 1, 3]].tolist() == [1.5, 2.5, 3.25]
    assert np.isnan(t.frame["a"].iloc[2])
    assert t.frame["a"].dtype == np.float64
    assert t.numeric_columns == ["a", "b"]
    assert t.notes == ["read numbers with a decimal comma (e.g. 1,5 = 1.5)"]


def test_decimal_points_in_a_semicolon_file_are_not_reported_as_decimal_commas(
        tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, "a;b\n1.5;1\n2.5;2\n3.25;3\n"))
    assert t.frame["a"].tolist() == [1.5, 2.5, 3.25]
    assert t.notes == []


def test_thousands_separators_in_a_comma_file_even_for_one_value(tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, 'a,b\n"1,234",5\n'))
    assert t.frame["a"].tolist() == [1234.0]
    assert t.frame["a"].dtype == np.float64
    assert t.column_kinds == {"a": "numeric", "b": "numeric"}
    t = read_table(_write(tmp_path, 'a,b\n"1,234.5",1\n,2\n"12,000",3\n'))
    assert t.frame["a"].iloc[[0, 2]].tolist() == [1234.5, 12000.0]
    assert np.isnan(t.frame["a"].iloc[1])
    assert t.notes == []


def test_in_a_semicolon_file_a_comma_is_the_decimal_mark_not_a_thousands_separator(
        tmp_path: Path) -> None:
    # 1,234.5 cannot be a decimal-comma number; seqlab does not guess that the comma groups
    # thousands in a file whose numbers use decimal commas, and keeps the column as text.
    t = read_table(_write(tmp_path, 'a;b\n"1,234.5";1\n"2,000.25";2\n'))
    assert t.column_kinds["a"] == "text"
    assert t.numeric_columns == ["b"]
    assert t.text_examples["a"] == ("1,234.5", 2)


# ---- time order -----------------------------------------------------------------------------


def test_rows_in_time_order_with_a_repeated_timestamp_are_not_reported_as_sorted(
        tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, "t,v\n2020-01-01,1\n2020-01-02,2\n2020-01-02,3\n"
                                    "2020-01-03,4\n"))
    assert t.frame["v"].tolist() == [1, 2, 3, 4]
    assert t.notes == ["1 duplicated timestamps (first at line 4, 2020-01-02)"]


def test_sorting_keeps_the_file_order_of_rows_sharing_a_timestamp(tmp_path: Path) -> None:
    # Ten days written from the last to the first, each four times; v numbers the file's rows.
    days = [f"2020-01-{d:02d}" for d in range(10, 0, -1)]
    rows = [(day, 4 * i + k) for i, day in enumerate(days) for k in range(4)]
    t = read_table(_write(tmp_path, "day,v\n" + "".join(f"{d},{v}\n" for d, v in rows)))
    expected = [v for day in sorted(days) for (d, v) in rows if d == day]
    assert t.frame["v"].tolist() == expected
    assert t.time_labels == [day for day in sorted(days) for _ in range(4)]
    assert t.line_numbers is not None
    assert t.line_numbers.tolist() == [v + 2 for v in expected]
    assert t.notes[0] == ("rows were not in time order; sorted them by 'day' (rows sharing a "
                          "timestamp keep their file order)")


# ---- numbers too long for a float, and columns with no numbers --------------------------------


def test_an_integer_too_long_for_a_float_reads_as_infinite_like_1e400(tmp_path: Path) -> None:
    huge = "1" + "0" * 400  # more digits than a float64 holds (its largest is about 1.8e308)
    t = read_table(_write(tmp_path, f"a,b,c\n{huge},-{huge},1e400\n2,3,4\n"))
    assert t.frame["a"].tolist() == [np.inf, 2.0]
    assert t.frame["b"].tolist() == [-np.inf, 3.0]
    assert t.frame["c"].tolist() == [np.inf, 4.0]
    assert t.numeric_columns == ["a", "b", "c"]
    t = read_table(_write(tmp_path, f"a;b\n{huge};1\n2,5;2\n3.5;3\n"))
    assert t.frame["a"].tolist() == [np.inf, 2.5, 3.5]
    t = read_table(_write(tmp_path, f'a,b\n"1,{huge[1:]}",1\n"2,000",2\n'))
    assert t.frame["a"].tolist() == [np.inf, 2000.0]


def test_a_file_without_numbers_names_its_columns_and_a_non_number(tmp_path: Path) -> None:
    path = _write(tmp_path, "name,city\nann,seoul\nbo,busan\n")
    assert _refusal(path) == (
        f"{path} has no numeric column (columns: name (text), city (text)); seqlab needs at "
        "least one column of numbers to forecast. Column 'name' has the non-number 'ann' at "
        "line 2.")


def test_the_time_column_s_dates_are_not_named_as_non_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,name\n2020-01-02,ann\n2020-01-01,bo\n")
    # rows are sorted by date, but the example keeps its own file line
    assert _refusal(path) == (
        f"{path} has no numeric column (columns: date (time), name (text)); seqlab needs at "
        "least one column of numbers to forecast. Column 'name' has the non-number 'ann' at "
        "line 2.")
    path = _write(tmp_path, "date\n2020-01-01\n2020-01-02\n")
    assert _refusal(path) == (
        f"{path} has no numeric column (columns: date (time)); seqlab needs at least one column "
        "of numbers to forecast.")


# ---- which line each row came from --------------------------------------------------------------


def test_rows_keep_their_file_lines_across_blank_lines(tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, "a,b\n1,2\n\n3,4\n\n\n5,6\n"))
    assert t.line_numbers is not None
    assert t.line_numbers.tolist() == [2, 4, 7]
    assert t.line_numbers.dtype.kind == "i"


def test_one_column_files_count_empty_lines_as_rows_after_their_header(tmp_path: Path) -> None:
    # Lines 1-2 blank, header on line 3; in one column an empty line is a missing value.
    t = read_table(_write(tmp_path, "\n\nvalue\n1\n\n3\n\n"))
    assert t.frame["value"].isna().tolist() == [False, True, False]
    assert t.line_numbers is not None and t.line_numbers.tolist() == [4, 5, 6]


def test_a_quoted_line_break_falls_back_to_header_plus_row(tmp_path: Path) -> None:
    # Three lines hold two rows; the rows are then numbered as if each took one line.
    t = read_table(_write(tmp_path, 'a,b\n"x\ny",1\nz,2\n'))
    assert t.frame["a"].tolist() == ["x\ny", "z"]
    assert t.line_numbers is not None
    assert t.line_numbers.tolist() == [2, 3]
    assert t.line_numbers.dtype.kind == "i"


# ---- choosing and refusing a time column --------------------------------------------------------


def test_a_forced_text_time_column_is_used_even_when_another_would_be_found(
        tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, "a,b,v\n2020-01-01,2021-05-03,1\n2020-01-02,2021-05-01,2\n"),
                   time_column="b")
    assert t.time_column == "b"
    assert t.time_labels == ["2021-05-01", "2021-05-03"]
    assert t.frame["v"].tolist() == [2, 1]
    assert t.column_kinds["a"] == "text"


def test_an_unknown_or_unreadable_forced_time_column_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,name\n1,ann\n2,bo\n")
    assert _refusal(path, time_column="c") == (
        "unknown time column 'c': available columns are a, name.")
    assert _refusal(path, time_column="name") == (
        "column 'name' cannot be read as times (dates like 2020-03-05, months like 1949-01, "
        "quarters like 1959Q1, or numbers); choose another --time-column.")


@pytest.mark.parametrize("forced", [None, "date"])
def test_an_empty_time_value_is_refused_with_its_line(tmp_path: Path, forced: str | None) -> None:
    path = _write(tmp_path, "date,v\n2020-01-01,1\n,2\n2020-01-03,3\n\n,4\n")
    assert _refusal(path, time_column=forced) == (
        "time column 'date' has 2 empty value(s) (first at line 3); fill them in or delete those "
        "rows.")


def test_a_single_dated_row_still_has_its_time_column(tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, "date,v\n2020-01-01,1\n"))
    assert t.time_column == "date"
    assert t.time_labels == ["2020-01-01"]
    assert t.notes == []


def test_dates_in_mixed_formats_are_named_with_their_lines(tmp_path: Path) -> None:
    # line 2 has no date; the first two dates in different formats are on lines 3 and 4
    t = read_table(_write(tmp_path, "date,v\n,0\n2020-01-01,1\n01/02/2020,2\n2020-01-03,3\n"
                                    "2020-01-04,4\n"))
    assert t.time_column is None
    assert t.column_kinds["date"] == "text"
    assert t.frame["v"].tolist() == [0, 1, 2, 3, 4]
    assert t.notes == [
        "column 'date' looks like dates in mixed formats ('2020-01-01' at line 3, '01/02/2020' "
        "at line 4), so it is not used as time: rows stay in file order; write every date one "
        "way (e.g. 2020-01-31) to order and label rows by it"]


# ---- notes on duplicated timestamps and gaps ----------------------------------------------------


def _days(tmp_path: Path, days: list[int]) -> Table:
    return read_table(_write(tmp_path, "date,v\n" + "".join(
        f"2020-01-{d:02d},{k}\n" for k, d in enumerate(days))))


def test_two_rows_with_one_timestamp_are_a_duplicate(tmp_path: Path) -> None:
    assert _days(tmp_path, [1, 1]).notes == [
        "1 duplicated timestamps (first at line 3, 2020-01-01)"]


def test_the_duplicate_named_is_the_first_in_the_file(tmp_path: Path) -> None:
    # file lines 2..5: Jan 3, Jan 3, Jan 1, Jan 1; the repeat first met in the file is line 3
    t = _days(tmp_path, [3, 3, 1, 1])
    assert t.notes[1:] == ["2 duplicated timestamps (first at line 3, 2020-01-03)"]


@pytest.mark.parametrize("days, note", [
    ([1, 5, 6, 7, 8], "irregular spacing: 1 gaps larger than the usual step (first after "
                      "2020-01-01)"),
    ([1, 2, 3, 5, 6], "irregular spacing: 1 gaps larger than the usual step (first after "
                      "2020-01-03)"),
    ([1, 2, 12], "irregular spacing: 1 gaps larger than the usual step (first after 2020-01-02)"),
    ([1, 3, 5, 8, 10], None),  # a gap of 1.5 usual steps is not yet irregular
    ([1, 2], None),
])
def test_gaps_over_one_and_a_half_usual_steps_are_noted(
        tmp_path: Path, days: list[int], note: str | None) -> None:
    assert _days(tmp_path, days).notes == ([note] if note else [])


def test_gaps_are_measured_between_distinct_timestamps(tmp_path: Path) -> None:
    # Jan 2 four times: the usual step is still a day, and only the jump to Jan 5 is a gap.
    assert _days(tmp_path, [1, 2, 2, 2, 2, 3, 5]).notes == [
        "3 duplicated timestamps (first at line 4, 2020-01-02)",
        "irregular spacing: 1 gaps larger than the usual step (first after 2020-01-03)"]


def test_a_missing_year_is_a_gap(tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, "year,v\n2000,1\n2001,2\n2002,3\n2004,4\n2005,5\n"))
    assert t.notes == ["irregular spacing: 1 gaps larger than the usual step (first after 2002)"]


# ---- timecol: names that hint at time -----------------------------------------------------------

_HINTS = ["year", "yr", "years", "date", "time", "month", "period", "ds", "datetime", "timestamp",
          "day", "week", "quarter", "qtr", "t", "dt", "step", "timestep", "hour", "minute",
          "날짜", "일자", "연도", "년도", "시간", "기간", "월", "년"]


def test_the_time_hints_are_the_documented_words() -> None:
    assert set(TIME_HINTS) == set(_HINTS)


@pytest.mark.parametrize("name", _HINTS)
def test_a_column_named_by_a_hint_is_time_when_its_numbers_increase(
        tmp_path: Path, name: str) -> None:
    # 1, 2, 3, 5: not years, not evenly spaced: only the name makes it a time column
    t = read_table(_write(tmp_path, f"{name},v\n1,10\n2,20\n3,30\n5,50\n"))
    assert t.time_column == name
    assert t.time_kind == "index"
    assert t.time_labels == ["1", "2", "3", "5"]


@pytest.mark.parametrize("name, hints", [
    ("Year ", True), ("DATE", True), ("sale_date", True), ("order-dt", True), ("week no", True),
    ("기준_날짜", True), ("t", True), ("월", True),
    ("t_value", False), ("월_매출", False), ("판매날짜", False), ("value", False), ("dates", False),
    ("", False), ("_", False),
])
def test_name_hints_time_by_whole_name_or_a_word_of_two_letters_or_more(
        name: str, hints: bool) -> None:
    assert name_hints_time(name) is hints


# ---- timecol: text times ---------------------------------------------------------------------------


def _text(values: list[str]) -> tuple[str, list[str], list[int], float] | None:
    info = parse_text_time(pd.Series(values, dtype=object))
    if info is None:
        return None
    assert info.key.dtype == np.int64
    return info.kind, list(info.labels), [int(k) for k in info.key], info.step_s


def _ranks(keys: list[int]) -> list[int]:
    return [sorted(keys).index(k) for k in keys]


def test_quarters_in_every_written_form_label_and_order_alike() -> None:
    fwd = _text(["1960Q1", "1959 Q4", "1959-q2", "1959/Q3", "1959 - Q1"])
    rev = _text(["Q1 1960", "q4-1959", "Q2/1959", "Q3 1959", "Q1 - 1959"])
    assert fwd is not None and rev is not None
    assert fwd[0] == rev[0] == "quarter"
    assert fwd[1] == rev[1] == ["1960Q1", "1959Q4", "1959Q2", "1959Q3", "1959Q1"]
    assert fwd[2] == rev[2]
    assert _ranks(fwd[2]) == [4, 3, 1, 2, 0]
    assert np.diff(sorted(fwd[2])).tolist() == [1, 1, 1, 1]  # consecutive quarters, one apart
    assert math.isnan(fwd[3])


def test_quarters_written_both_ways_in_one_column_or_quarter_5_are_not_times() -> None:
    assert _text(["1959Q1", "Q2 1959"]) is None
    assert _text(["Q1 1959", "1959Q2"]) is None
    assert _text(["1959Q5", "1959Q1"]) is None
    assert _text(["1959Q1", "1959Q5"]) is None


def test_months_in_every_written_form() -> None:
    got = _text(["1949-01", "1949/2", "1949.3", "1949.04.", "1948-12"])
    assert got is not None
    kind, labels, keys, step = got
    assert kind == "month"
    assert labels == ["1949-01", "1949-02", "1949-03", "1949-04", "1948-12"]
    assert _ranks(keys) == [1, 2, 3, 4, 0]
    assert sorted(keys)[1] - sorted(keys)[0] == 1  # December to January: one month
    assert math.isnan(step)


@pytest.mark.parametrize("values", [["1949-13", "1949-01"], ["1949-01", "1949-00"],
                                    ["1949-01", "1949-1x"]])
def test_month_13_month_0_or_a_stray_character_is_not_a_month(values: list[str]) -> None:
    assert _text(values) is None


@pytest.mark.parametrize("values", [
    ["2020-01-02", "2020-01-03"], ["2020/01/02", "2020/01/03"], ["2020.01.02", "2020.01.03"],
    ["2020.01.02.", "2020.01.03."], ["02.01.2020", "03.01.2020"], ["01/02/2020", "01/03/2020"],
    ["20200102", "20200103"], [" 2020-01-02", "2020-01-03 "],
])
def test_dates_in_each_format_read_as_the_same_days(values: list[str]) -> None:
    assert _text(values) == ("date", ["2020-01-02", "2020-01-03"],
                             [1577923200 * 10**6, 1578009600 * 10**6], 86400.0)


def test_day_first_dates_are_read_day_first_when_a_day_passes_12() -> None:
    got = _text(["01/02/2020", "13/02/2020"])
    assert got is not None and got[1] == ["2020-02-01", "2020-02-13"]


@pytest.mark.parametrize("values, labels, step", [
    (["2020/01/02 10:30", "2020/01/02 11:30", "2020/01/02 12:30"],
     ["2020-01-02 10:30", "2020-01-02 11:30", "2020-01-02 12:30"], 3600.0),
    (["02.01.2020 10:30:15", "02.01.2020 10:30:16"],
     ["2020-01-02 10:30:15", "2020-01-02 10:30:16"], 1.0),
    (["2020-01-02T00:00", "2020-01-02T00:00", "2020-01-04T00:00"],
     ["2020-01-02", "2020-01-02", "2020-01-04"], 172800.0),
])
def test_times_of_day_are_labelled_to_the_minute_or_second_they_need(
        values: list[str], labels: list[str], step: float) -> None:
    got = _text(values)
    assert got is not None
    assert got[0] == "date" and got[1] == labels and got[3] == step


def test_dates_with_different_utc_offsets_are_put_on_one_clock() -> None:
    got = _text(["2020-01-01T00:00:00+01:00", "2020-01-01T00:00:00+02:00",
                 "2020-01-01T03:00:00+02:00", "2020-01-01T02:00:00+02:00"])
    assert got is not None
    kind, labels, keys, step = got
    assert labels == ["2019-12-31 23:00", "2019-12-31 22:00", "2020-01-01 01:00",
                      "2020-01-01 00:00"]
    assert _ranks(keys) == [1, 0, 3, 2]
    assert step == 3600.0
    same = _text(["2020-01-01T00:00:00+01:00", "2020-01-01T05:00:00+01:00"])
    assert same is not None and same[1] == ["2020-01-01 00:00", "2020-01-01 05:00"]


@pytest.mark.parametrize("values", [["12345", "23456"], ["1/2/20", "1/3/20"], ["up", "down"],
                                    ["2020-01-01", "soon"], []])
def test_text_that_is_not_all_times_is_not_a_time_column(values: list[str]) -> None:
    assert _text(values) is None


# ---- timecol: a date column written in mixed formats --------------------------------------------


@pytest.mark.parametrize("values, found", [
    (["2020-01-01", "01/02/2020", "2020-01-03"], (0, 1)),
    (["x", "2020-01-02", "2020-01-03", "02.01.2020"], None),  # the first value has no digit
    (["2020-01-01", "junk", "2020-01-03"], None),  # a stray word, not a date
    (["2020-01-01", "2020-01-02", "May"], None),  # a month's name is no date in any format
    (["2020-01-01", "01/02/2020"], (0, 1)),  # two values, one in each format
    (["2020/01/01", "02.01.2020", "03.01.2020"], (1, 0)),  # most parse day-first
    (["2020-01-01", "2020-01-02", "2020-01-03"], None),  # one format: not mixed
    (["01/02/2020", "2020-01-01", "up", "down"], None),  # half parse in one format
    (["2020-01-01"], None),
    (["up", "down"], None),
])
def test_mixed_formats_names_a_value_of_the_main_format_and_one_of_another(
        values: list[str], found: tuple[int, int] | None) -> None:
    assert mixed_formats(pd.Series(values, dtype=object)) == found


# ---- timecol: numeric times -----------------------------------------------------------------------


def _num(name: str, values: list[float], forced: bool = False
         ) -> tuple[str, list[str], list[float]] | None:
    info = parse_numeric_time(name, pd.Series(values, dtype=np.float64), forced=forced)
    return None if info is None else (info.kind, list(info.labels), [float(k) for k in info.key])


@pytest.mark.parametrize("values, name, forced, expect", [
    ([1990, 1991, 1992], "x", False, "year"),  # evenly increasing years need no hint
    ([1000, 1001, 1002], "x", False, "year"),
    ([2298, 2299, 2300], "x", False, "year"),
    ([999, 1000, 1001], "x", False, None),
    ([2300, 2301, 2302], "x", False, None),
    ([2299, 2300, 2301], "x", False, None),
    ([1990, 1992, 1991], "x", False, None),  # not increasing
    ([1990, 1991, 1993], "x", False, None),  # not evenly spaced
    ([1990, 1991], "x", False, None),  # two values are too few to call even
    ([1992, 1991, 1990], "x", False, None),  # evenly spaced, but going back
    ([1990, 1990, 1990], "x", False, None),
    ([1990.5, 1991.5, 1992.5], "x", False, None),
    ([1990, 1991, 1992], "year", False, "year"),
    ([1992, 1990, 1991], "year", False, "year"),  # a hint takes any distinct years
    ([1990, 1990, 1991], "year", False, None),  # ... but not repeated ones
    ([1990, 1990, 1991], "x", True, "year"),  # asked for: any years
    ([1990, 1991], "x", True, "year"),
])
def test_years(values: list[float], name: str, forced: bool, expect: str | None) -> None:
    got = _num(name, values, forced)
    if expect is None:
        assert got is None
    else:
        assert got == (expect, [str(int(v)) for v in values], [float(v) for v in values])


def test_year_fractions_within_a_billionth_are_whole_years() -> None:
    assert _num("x", [1990.0000000001, 1991, 1992]) == (
        "year", ["1990", "1991", "1992"], [1990.0000000001, 1991.0, 1992.0])
    assert _num("x", [1990.00001, 1991.00001, 1992.00001]) is None


def test_yyyymmdd_numbers_under_a_time_name_are_dates() -> None:
    info = parse_numeric_time("date", pd.Series([20200101.0, 20200102.0, 20200103.0,
                                                 20200105.0]))
    assert info is not None
    assert info.kind == "date"
    assert list(info.labels) == ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-05"]
    assert info.step_s == 86400.0  # the median of the distinct gaps: 1, 1 and 2 days
    for lo_hi in ([10000101.0, 10000102.0], [23001230.0, 23001231.0]):
        got = parse_numeric_time("day", pd.Series(lo_hi))
        assert got is not None and got.kind == "date"
    # not under a time name, or not real days: no dates
    assert parse_numeric_time("x", pd.Series([20200101.0, 20200102.0, 20200103.0])) is None
    bad = parse_numeric_time("date", pd.Series([20201301.0, 20201302.0]))  # month 13
    assert bad is not None and bad.kind == "index"
    assert list(bad.labels) == ["20201301", "20201302"]
    early = parse_numeric_time("date", pd.Series([10000100.0, 10000101.0]))
    assert early is not None and early.kind == "index"
    late = parse_numeric_time("date", pd.Series([23001231.0, 23001232.0]))
    assert late is not None and late.kind == "index"
    later = parse_numeric_time("date", pd.Series([23010101.0, 23010102.0]))  # past 2300
    assert later is not None and later.kind == "index"


@pytest.mark.parametrize("name, values, forced, expect", [
    ("step", [1, 2, 3], False, ("index", ["1", "2", "3"])),
    ("step", [1, 2], False, ("index", ["1", "2"])),
    ("step", [5], False, None),  # one value: nothing increases
    ("step", [1, 3, 2], False, None),
    ("step", [1, 1, 2], False, None),
    ("step", [0.5, 1.5, 2.25], False, ("index", ["0.5", "1.5", "2.25"])),
    ("x", [1, 2, 3], False, None),
    ("x", [3, 1, 2], True, ("index", ["3", "1", "2"])),
    ("x", [5], True, ("index", ["5"])),
    ("x", [1e-9, 1, 2], True, ("index", ["1e-09", "1", "2"])),  # a billionth is not whole
    ("x", [0.5, 1e-7, 2.5], True, ("index", ["0.5", "1e-07", "2.5"])),
])
def test_an_index_needs_a_time_name_and_increasing_values_unless_asked_for(
        name: str, values: list[float], forced: bool, expect: tuple | None) -> None:
    got = _num(name, values, forced)
    assert got == (None if expect is None else (*expect, [float(v) for v in values]))


@pytest.mark.parametrize("values", [[], [1.0, np.nan, 3.0], [1.0, np.inf, 3.0]])
def test_empty_missing_or_infinite_numbers_are_never_times(values: list[float]) -> None:
    assert _num("step", values, forced=True) is None


# ---- timecol: the season each frequency implies -----------------------------------------------------

_D = 86400.0


@pytest.mark.parametrize("kind, step, expect", [
    ("month", math.nan, (12, "monthly")),
    ("quarter", math.nan, (4, "quarterly")),
    ("year", math.nan, (1, "yearly")),
    ("index", 1.0, (1, "no calendar frequency")),
    ("", math.nan, (1, "no calendar frequency")),
    ("date", math.nan, (1, "no calendar frequency")),
    ("date", 0.0, (1, "no calendar frequency")),
    ("date", -_D, (1, "no calendar frequency")),
    ("date", math.inf, (1, "no calendar frequency")),
    ("date", 3600.0, (24, "hourly")),
    ("date", 3300.0, (24, "hourly")),
    ("date", 3900.0, (24, "hourly")),
    ("date", 3299.0, (1, "irregular or other spacing")),
    ("date", 3901.0, (1, "irregular or other spacing")),
    ("date", _D, (7, "daily")),
    ("date", 0.9 * _D, (7, "daily")),
    ("date", 1.1 * _D, (7, "daily")),
    ("date", 0.9 * _D - 1, (1, "irregular or other spacing")),
    ("date", 1.1 * _D + 1, (1, "irregular or other spacing")),
    ("date", 7 * _D, (52, "weekly")),
    ("date", 6.5 * _D, (52, "weekly")),
    ("date", 7.5 * _D, (52, "weekly")),
    ("date", 6.5 * _D - 1, (1, "irregular or other spacing")),
    ("date", 7.5 * _D + 1, (1, "irregular or other spacing")),
    ("date", 30 * _D, (12, "monthly")),
    ("date", 27 * _D, (12, "monthly")),
    ("date", 32 * _D, (12, "monthly")),
    ("date", 27 * _D - 1, (1, "irregular or other spacing")),
    ("date", 32 * _D + 1, (1, "irregular or other spacing")),
    ("date", 91 * _D, (4, "quarterly")),
    ("date", 88 * _D, (4, "quarterly")),
    ("date", 93 * _D, (4, "quarterly")),
    ("date", 88 * _D - 1, (1, "irregular or other spacing")),
    ("date", 93 * _D + 1, (1, "irregular or other spacing")),
    ("date", 60.0, (1, "irregular or other spacing")),
    ("date", 0.5, (1, "irregular or other spacing")),
])
def test_season_of_each_spacing(kind: str, step: float, expect: tuple[int, str]) -> None:
    assert season_of(kind, step) == expect


def test_season_of_a_kind_without_spacing_is_the_calendar_s() -> None:
    assert season_of("month") == (12, "monthly")
    assert season_of("date") == (1, "no calendar frequency")


@pytest.mark.parametrize("text, kind, step, season", [
    ("h,v\n" + "".join(f"2020-01-01 {h:02d}:00,{h}\n" for h in range(5)), "date", 3600.0,
     (24, "hourly")),
    ("d,v\n" + "".join(f"2020-01-{d:02d},{d}\n" for d in (1, 2, 3, 5)), "date", _D,
     (7, "daily")),
    # gaps of 31, 29, 31, 30, 31 and 30 days: the median is 30.5 days
    ("d,v\n" + "".join(f"2020-{m:02d}-01,{m}\n" for m in range(1, 8)), "date", 30.5 * _D,
     (12, "monthly")),
    ("m,v\n1949-01,1\n1949-02,2\n", "month", math.nan, (12, "monthly")),
])
def test_a_file_s_time_column_gives_its_spacing_and_season(
        tmp_path: Path, text: str, kind: str, step: float, season: tuple[int, str]) -> None:
    t = read_table(_write(tmp_path, text))
    assert t.time_kind == kind
    assert t.time_step_s == step or (math.isnan(step) and math.isnan(t.time_step_s))
    assert season_of(t.time_kind, t.time_step_s) == season


# ---- files seqlab refuses, each with its one line -------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n  \n", "\r\n\r\n"])
def test_an_empty_file(tmp_path: Path, text: str) -> None:
    path = _write(tmp_path, text)
    assert _refusal(path) == f"{path} is empty; give a CSV with a header row and data rows."


@pytest.mark.parametrize("text", ["date,value\n", "value\n\n\n", "date;value\n\n"])
def test_a_header_without_rows(tmp_path: Path, text: str) -> None:
    path = _write(tmp_path, text)
    assert _refusal(path) == (
        f"{path} has a header but no data rows; add rows of data below the header.")


def test_a_field_too_big_for_the_csv_reader(tmp_path: Path) -> None:
    path = _write(tmp_path, 'a,b\n"' + "x" * 140_000 + '",1\n')
    assert _refusal(path) == (
        f"cannot read {path} as CSV (field larger than field limit (131072)); check its quotes "
        "and delimiters (a huge field usually means an unclosed quote).")


def test_an_unclosed_quote_pandas_cannot_parse_is_named_in_one_line(tmp_path: Path) -> None:
    # the quote swallows the rest of the file, yet the row still has the header's two fields
    path = _write(tmp_path, 'a,b\n1,"2\n3,4\n')
    msg = _refusal(path)
    head, tail = f"cannot read {path} as CSV (", "); check its quotes and delimiters."
    assert msg.startswith(head) and msg.endswith(tail)
    assert "EOF inside string" in msg[len(head):-len(tail)]
    assert "\n" not in msg


def test_nul_bytes_past_the_first_check_still_mean_binary(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 3000 + b"\x00")  # the NUL sits past byte 8192
    assert _refusal(path) == (
        f"{path} looks like a binary file, not a CSV (it contains NUL bytes); export or save it "
        "as CSV (UTF-8) and try again.")


def test_a_utf16_file_cut_mid_character_is_binary(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes("a,b\n1,2\n".encode("utf-16") + b"\x00")  # an odd number of bytes
    assert _refusal(path) == (
        f"{path} looks like a binary file, not a CSV (it contains NUL bytes); export or save it "
        "as CSV (UTF-8) and try again.")


@pytest.mark.parametrize("raw, encoding", [
    ("a,b\n1,2\n".encode("utf-16-le"), None),
    (b"\xff\xfe" + "a,b\n1,2\n".encode("utf-16-le"), "utf-16"),
    (b"\xfe\xff" + "a,b\n1,2\n".encode("utf-16-be"), "utf-16"),
    ("\ufeffa,b\n1,2\n".encode(), "utf-8-sig"),
    (b"a,b\n1,2\n", "utf-8"),
    ("a,온도\n1,2\n".encode(), "utf-8"),
    ("a,온도\n1,2\n".encode("cp949"), "cp949"),
])
def test_the_encoding_read(tmp_path: Path, raw: bytes, encoding: str | None) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(raw)
    if encoding is None:  # UTF-16 without its byte-order mark: NUL bytes, refused as binary
        assert "looks like a binary file" in _refusal(path)
        return
    t = read_table(path)
    assert t.encoding == encoding
    assert t.frame.iloc[0].tolist() == [1, 2]


@pytest.mark.parametrize("exc, tail", [
    (FileNotFoundError(2, "No such file or directory"),
     "data file {p} not found; check the path (relative paths start in the current folder)."),
    (IsADirectoryError(21, "Is a directory"),
     "{p} is a folder, not a CSV file; pass the path of a .csv file."),
    (PermissionError(13, "Permission denied"),
     "cannot read {p}: permission denied; check the file's permissions or copy it somewhere "
     "readable."),
    (OSError(5, "Input/output error"), "cannot read {p}: Input/output error; check the file."),
    (OSError("disk gone"), "cannot read {p}: disk gone; check the file."),
])
def test_a_file_that_fails_between_its_check_and_its_reading(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: OSError, tail: str) -> None:
    import seqlab.data.csvio as csvio

    path = _write(tmp_path, "a\n1\n")

    def failing_open(*args: object, **kwargs: object) -> None:
        raise exc

    monkeypatch.setattr(csvio, "open", failing_open, raising=False)
    assert _refusal(path) == tail.format(p=path)


# ---- what a readable file gives -------------------------------------------------------------------


def test_old_mac_line_ends_and_padded_names(tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, " a , b \r1,2\r3,4\r"))
    assert list(t.frame.columns) == ["a", "b"]
    assert t.frame["b"].tolist() == [2, 4]
    assert t.line_numbers is not None and t.line_numbers.tolist() == [2, 3]


def test_only_empty_unnamed_columns_are_dropped(tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, "a,b,,\n1,2,,\n3,4,,\n"))
    assert list(t.frame.columns) == ["a", "b"]
    assert t.notes == ["ignored 2 empty unnamed column(s) (trailing delimiters)"]
    t = read_table(_write(tmp_path, "a,,c,d\n1,5,,\n3,6,,\n"))
    assert list(t.frame.columns) == ["a", "Unnamed: 1", "c", "d"]  # named or not empty: kept
    assert t.notes == []


def test_true_and_false_are_ones_and_zeros(tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, "a,b\nTrue,1\nFalse,2\n"))
    assert t.frame["a"].tolist() == [1.0, 0.0]
    assert t.frame["a"].dtype == np.float64
    assert t.column_kinds == {"a": "numeric", "b": "numeric"}
    assert t.numeric_columns == ["a", "b"]


def test_a_table_without_a_time_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "a;b\n1;x\n2;y\n3;z\n")
    t = read_table(path)
    assert t.path == str(path)
    assert (t.delimiter, t.encoding, t.time_column, t.time_kind) == (";", "utf-8", None, "")
    assert t.time_labels == ["0", "1", "2"]
    assert math.isnan(t.time_step_s)
    assert t.time_key is None
    assert t.column_kinds == {"a": "numeric", "b": "text"}
    assert t.text_examples == {"b": ("x", 2)}
    assert t.n_rows == 3


def test_a_table_with_a_time_column(tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, "v\tday\n3\t2020-01-03\n1\t2020-01-01\n2\t2020-01-02\n"))
    assert (t.delimiter, t.time_column, t.time_kind, t.time_step_s) == (
        "\t", "day", "date", 86400.0)
    assert t.column_kinds == {"v": "numeric", "day": "time"}
    assert t.numeric_columns == ["v"]
    assert t.frame["v"].tolist() == [1, 2, 3]
    assert t.time_key is not None
    assert np.diff(t.time_key).tolist() == [86400 * 10**6] * 2  # one day apart, in microseconds


# ---- which delimiter ----------------------------------------------------------------------------


@pytest.mark.parametrize("text, delim", [
    ("a\tb;c,d\n1\t2;3,4\n", "\t"),  # all three split every line alike: tab first
    ("a;b,c\n1;2,3\n", ";"),  # then semicolon
    ("x;y,z\n1;2,3\n4;5,6;7\n", ","),  # the one that splits every line alike wins
    ("x,y;z\n1,2;3\n4,5;6,7\n", ";"),
    ("\n\na;b\n\n1;2\n", ";"),  # blank lines do not count
    ("x;y,z\n1;2;3,4\n5;6,7\n", ","),  # the second line alone is off for semicolons
    ("a;b;c,d\n1;2,3\n4;5,6\n", ","),  # rows agreeing with each other but not the header
    ("value\n1,5\n2,5\n", ";"),  # one column with commas only in its rows: decimal commas
    ("value\n1,5\n", ";"),
    ("value\n1,5\n2\n", ";"),
    ("value\n1\n2\n", ","),
    ("value\n", ","),
    ("val,ue\n1\n2\n", ","),  # a comma in the header: a two-column header
])
def test_the_delimiter_chosen(text: str, delim: str) -> None:
    from seqlab.data.csvio import sniff_delimiter

    assert sniff_delimiter(text) == delim


def test_many_blank_lines_after_the_header(tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, "a;b\n" + "\n" * 199 + "1;2\n3;4\n"))
    assert t.delimiter == ";"
    assert t.frame["b"].tolist() == [2, 4]
    assert t.line_numbers is not None and t.line_numbers.tolist() == [201, 202]


@pytest.mark.parametrize("first", ["1,2,3\n4,5,6", "0,2,3\n1,5,6", "7,2,3\n8,5"])
def test_every_data_row_longer_than_the_header(tmp_path: Path, first: str) -> None:
    # pandas would quietly take the first column as row labels (1, 4 even make a RangeIndex)
    path = _write(tmp_path, f"a,b\n{first}\n")
    assert _refusal(path) == _row_width_message(path, 2, 3, 2, "comma")


def test_a_long_row_later_in_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "a;b\n1;2\n3;4;5\n6;7\n")
    assert _refusal(path) == _row_width_message(path, 3, 3, 2, "semicolon")


def test_a_last_row_of_empty_fields_is_a_row_of_missing_values(tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, "a,b\n1,2\n,\n"))
    assert t.n_rows == 2
    assert t.frame["a"].isna().tolist() == [False, True]
    assert t.line_numbers is not None and t.line_numbers.tolist() == [2, 3]


def test_the_first_of_two_year_columns_is_the_time_column(tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, "a,b,v\n1990,2000,1\n1991,2001,2\n1992,2002,3\n"))
    assert t.time_column == "a"
    assert t.numeric_columns == ["b", "v"]
    # a year column with a gap in it is no time column; the next one is
    t = read_table(_write(tmp_path, "a,b,v\n1990,2000,1\n,2001,2\n1992,2002,3\n"))
    assert t.time_column == "b"


def test_a_year_alone_before_dates_is_not_read_as_a_date() -> None:
    assert _text(["2020", "2020-03-01"]) is None


def test_a_latin1_file_is_refused_with_its_path_byte_and_line(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes("t,v\n1,2\n2,Umsätze\n".encode("latin-1"))
    assert _refusal(path) == (
        f"{path} is not readable text: neither UTF-8 nor CP949/EUC-KR (byte 0xE4 on line 3: "
        "Latin-1 or Windows-1252, perhaps); re-save it as CSV (UTF-8) and try again.")


def test_a_missing_file_is_named_as_the_data_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    assert _refusal(path) == (
        f"data file {path} not found; check the path (relative paths start in the current "
        "folder).")


def test_windows_line_ends_keep_one_line_per_row(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\r\n1,2\r\n\r\n3,4\r\n")
    t = read_table(path)
    assert t.frame["b"].tolist() == [2, 4]
    assert t.line_numbers is not None and t.line_numbers.tolist() == [2, 4]


def test_a_header_with_spaces_in_its_names_is_not_one_column(tmp_path: Path) -> None:
    # "my value,b": not one column, so the blank line is skipped, not a row of missing values
    t = read_table(_write(tmp_path, "my value,b\n1,2\n\n3,4\n"))
    assert list(t.frame.columns) == ["my value", "b"]
    assert t.n_rows == 2
    assert t.line_numbers is not None and t.line_numbers.tolist() == [2, 4]


def test_a_short_iso_month_among_full_dates_is_its_first_day() -> None:
    # ISO 8601 allows a date cut to its month: "2020-3" is read as 1 March
    got = _text(["2020-3", "2020-03-15", "2020-04-01"])
    assert got is not None and got[:2] == ("date", ["2020-03-01", "2020-03-15", "2020-04-01"])


def test_one_timestamp_has_no_spacing_and_gives_no_warning(tmp_path: Path) -> None:
    import warnings

    path = _write(tmp_path, "date,v\n2020-01-01,1\n2020-01-01,2\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. numpy's "Mean of empty slice"
        t = read_table(path)
    assert t.time_kind == "date"
    assert math.isnan(t.time_step_s)
    assert season_of(t.time_kind, t.time_step_s) == (1, "no calendar frequency")


def test_mixed_formats_reads_only_the_first_1000_values() -> None:
    iso = [f"2020-01-01T{h:02d}:{m:02d}" for h in range(24) for m in range(60)][:1000]
    assert mixed_formats(pd.Series([*iso, "01/02/2020"])) is None
    assert mixed_formats(pd.Series([*iso[:999], "01/02/2020"])) == (0, 999)
