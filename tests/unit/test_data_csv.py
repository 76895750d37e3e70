"""CSV loading: encodings, delimiters, decimal comma, time columns, and one-line DataErrors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from seqlab.config import DataConfig
from seqlab.data import prepare, read_table
from seqlab.errors import DataError


def write(tmp_path: Path, content: str | bytes, name: str = "data.csv") -> Path:
    p = tmp_path / name
    if isinstance(content, str):
        p.write_text(content, encoding="utf-8", newline="")
    else:
        p.write_bytes(content)
    return p


def series_csv(n: int = 60, sep: str = ",", header: str = "date,value") -> str:
    """A yearly series under a column named date (years, so the time column is numeric)."""
    rows = [header.replace(",", sep)]
    for i in range(n):
        rows.append(f"{2000 + i}{sep}{(i * 7) % 13 + 0.5}")
    return "\n".join(rows) + "\n"


def expect_error(fn, *words: str) -> str:
    with pytest.raises(DataError) as info:
        fn()
    msg = str(info.value)
    assert "\n" not in msg
    for w in words:
        assert w.lower() in msg.lower(), (w, msg)
    return msg


# ---------------------------------------------------------------- delimiters and encodings


def test_comma_utf8(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "a,b,c\n1,2,3\n4,5,6\n"))
    assert t.delimiter == ","
    assert t.encoding == "utf-8"
    assert t.numeric_columns == ["a", "b", "c"]
    assert t.time_column is None
    assert t.time_labels == ["0", "1"]
    assert t.column_kinds == {"a": "numeric", "b": "numeric", "c": "numeric"}


def test_semicolon_decimal_comma(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "date;price;volume\n2020-01-01;1,5;10\n2020-01-02;2,25;-3,5\n"))
    assert t.delimiter == ";"
    assert t.frame["price"].tolist() == [1.5, 2.25]
    assert t.frame["volume"].tolist() == [10.0, -3.5]
    assert t.time_column == "date"


def test_semicolon_with_dot_decimals(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "a;b\n1.5;2\n3.25;4\n"))
    assert t.frame["a"].tolist() == [1.5, 3.25]
    assert t.numeric_columns == ["a", "b"]


def test_single_column_decimal_comma(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "value\n1,5\n2,5\n3\n"))
    assert t.frame["value"].tolist() == [1.5, 2.5, 3.0]


def test_tab_delimiter(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "year\tvalue\n2001\t1.5\n2002\t2.5\n2003\t3\n"))
    assert t.delimiter == "\t"
    assert t.time_column == "year"
    assert t.frame["value"].tolist() == [1.5, 2.5, 3.0]


def test_crlf_line_ends(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, b"date,value\r\n2020-01-01,1\r\n2020-01-02,2\r\n"))
    assert t.frame["value"].tolist() == [1, 2]
    assert t.time_labels == ["2020-01-01", "2020-01-02"]
    assert list(t.frame.columns) == ["date", "value"]


def test_utf8_bom(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "\ufeffdate,value\n2020-01-01,1\n2020-01-02,2\n".encode()))
    assert t.encoding == "utf-8-sig"
    assert t.time_column == "date"  # no BOM glued to the first column name
    assert list(t.frame.columns) == ["date", "value"]


@pytest.mark.parametrize("codec", ["cp949", "euc-kr"])
def test_korean_encodings(tmp_path: Path, codec: str) -> None:
    text = "날짜,판매량,지역\n2020-01-01,10,서울\n2020-01-02,12,부산\n2020-01-03,9,서울\n"
    t = read_table(write(tmp_path, text.encode(codec)))
    assert t.encoding == "cp949"
    assert t.time_column == "날짜"
    assert t.numeric_columns == ["판매량"]
    assert t.column_kinds["지역"] == "text"
    assert t.frame["지역"].tolist() == ["서울", "부산", "서울"]


def test_utf16_with_bom(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "a\tb\n1\t2\n3\t4\n".encode("utf-16")))
    assert t.encoding == "utf-16"
    assert t.frame["b"].tolist() == [2, 4]


def test_quoted_thousands_in_comma_file(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, 'a,b\n"1,234",1\n"12",2\n'))
    assert t.frame["a"].tolist() == [1234.0, 12.0]


def test_empty_unnamed_trailing_column_ignored(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "a,b,\n1,2,\n3,4,\n"))
    assert list(t.frame.columns) == ["a", "b"]
    assert any("empty unnamed" in n for n in t.notes)


# ---------------------------------------------------------------- time columns


def test_iso_dates(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "ds,y\n2020-03-05,1\n2020-03-06,2\n2020-03-07,3\n"))
    assert t.time_column == "ds"
    assert t.time_labels == ["2020-03-05", "2020-03-06", "2020-03-07"]
    assert t.numeric_columns == ["y"]
    assert t.column_kinds["ds"] == "time"


def test_iso_datetimes(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "timestamp,y\n2020-03-05 10:00:00,1\n2020-03-05T11:00,2\n"))
    assert t.time_labels == ["2020-03-05 10:00", "2020-03-05 11:00"]
    t = read_table(write(tmp_path, "when,y\n2020-03-05 10:00:30,1\n2020-03-05 10:00:31,2\n"))
    assert t.time_column == "when"
    assert t.time_labels == ["2020-03-05 10:00:30", "2020-03-05 10:00:31"]


def test_year_month(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "Month,Passengers\n1949-01,112\n1949-02,118\n1949-03,132\n"))
    assert t.time_column == "Month"
    assert t.time_labels == ["1949-01", "1949-02", "1949-03"]


def test_quarters(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "period,gdp\n1959Q1,1\n1959Q2,2\n1959Q3,3\n1959Q4,4\n1960Q1,5\n"))
    assert t.time_column == "period"
    assert t.time_labels == ["1959Q1", "1959Q2", "1959Q3", "1959Q4", "1960Q1"]
    t = read_table(write(tmp_path, "q,gdp\n1959 Q2,1\n1959-Q1,2\n"))
    assert t.time_labels == ["1959Q1", "1959Q2"]
    assert t.frame["gdp"].tolist() == [2, 1]


def test_float_years(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "YEAR,SUNACTIVITY\n1700.0,5.0\n1701.0,11.0\n1702.0,16.0\n"))
    assert t.time_column == "YEAR"
    assert t.time_labels == ["1700", "1701", "1702"]
    assert t.numeric_columns == ["SUNACTIVITY"]


def test_int_year_with_hint(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "yr,v\n1990,1\n1992,2\n1991,3\n"))
    assert t.time_column == "yr"
    assert t.time_labels == ["1990", "1991", "1992"]


def test_year_like_column_without_hint_only_when_evenly_increasing(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "a,v\n1990,1\n1991,2\n1992,3\n1993,4\n"))
    assert t.time_column == "a"
    # Values in the year range but not an even, increasing sequence: a plain feature.
    t = read_table(write(tmp_path, "price,v\n1500,1\n1720,2\n1610,3\n1650,4\n"))
    assert t.time_column is None
    assert t.numeric_columns == ["price", "v"]


def test_forced_time_column(tmp_path: Path) -> None:
    p = write(tmp_path, "step,v\n3,1\n1,2\n2,3\n")
    assert read_table(p).time_column is None
    t = read_table(p, time_column="step")
    assert t.time_column == "step"
    assert t.time_labels == ["1", "2", "3"]
    assert t.frame["v"].tolist() == [2, 3, 1]


def test_unsorted_rows_are_sorted_with_note(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "date,v\n2020-01-03,3\n2020-01-01,1\n2020-01-02,2\n"))
    assert t.frame["v"].tolist() == [1, 2, 3]
    assert t.time_labels == ["2020-01-01", "2020-01-02", "2020-01-03"]
    assert any("sorted" in n for n in t.notes)
    assert t.line_of(0) == 3  # row 0 came from file line 3


def test_duplicated_timestamps_noted(tmp_path: Path) -> None:
    rows = ["date,v"] + [f"2020-01-{d:02d},{d}" for d in range(1, 13)]
    rows.insert(5, "2020-01-04,99")
    rows.insert(9, "2020-01-07,98")
    t = read_table(write(tmp_path, "\n".join(rows) + "\n"))
    note = next(n for n in t.notes if "duplicated" in n)
    assert note.startswith("2 duplicated timestamps")
    assert "line 6" in note


def test_irregular_spacing_noted(tmp_path: Path) -> None:
    days = [1, 2, 3, 4, 8, 9, 10, 15, 16, 17]
    t = read_table(write(tmp_path, "date,v\n" + "".join(f"2020-01-{d:02d},{d}\n" for d in days)))
    assert any("irregular spacing: 2 gaps" in n for n in t.notes)
    regular = read_table(write(tmp_path, "date,v\n" + "".join(
        f"2020-{m:02d}-01,{m}\n" for m in range(1, 13))))
    assert not any("irregular" in n for n in regular.notes)


def test_text_column_kept_as_text(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "v,label\n1,up\n2,down\n"))
    assert t.column_kinds == {"v": "numeric", "label": "text"}
    assert t.numeric_columns == ["v"]


# ---------------------------------------------------------------- bad input -> one-line errors


def test_missing_file(tmp_path: Path) -> None:
    expect_error(lambda: read_table(tmp_path / "nope.csv"), "not found", "nope.csv")


def test_directory(tmp_path: Path) -> None:
    expect_error(lambda: read_table(tmp_path), "folder")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable(tmp_path: Path) -> None:
    p = write(tmp_path, "a\n1\n")
    p.chmod(0)
    try:
        expect_error(lambda: read_table(p), "permission")
    finally:
        p.chmod(0o644)


def test_binary_nul(tmp_path: Path) -> None:
    expect_error(lambda: read_table(write(tmp_path, b"PK\x03\x04\x00\x00binary")), "binary")


def test_undecodable(tmp_path: Path) -> None:
    expect_error(lambda: read_table(write(tmp_path, b"a,b\n\x80\x80\xff,1\n")), "utf-8", "cp949")


@pytest.mark.parametrize("header", ["t,Umsätze", "t,Größe"])
def test_a_latin1_file_is_refused_naming_the_byte_and_line(tmp_path: Path, header: str) -> None:
    """'ät' is no CP949 at all; 'öß' pairs into a valid CP949 hanja ('Gr秤e'), which would
    pass a garbled column name on: both are refused with the byte, its line and the remedy."""
    rows = "".join(f"{i},{100 + i}\n" for i in range(40))
    raw = (header + "\n").encode("latin-1") + rows.encode()
    msg = expect_error(lambda: read_table(write(tmp_path, raw)), "not readable text",
                       "line 1", "Latin-1", "re-save it as CSV (UTF-8)")
    bad = next(b for b in (header + "\n").encode("latin-1") if b > 0x7F)
    assert f"byte 0x{bad:02X}" in msg and "binary" not in msg


def test_korean_cp949_with_symbols_but_no_hangul_still_reads(tmp_path: Path) -> None:
    t = read_table(write(tmp_path, "t,온도\n1,2\n2,3\n".encode("cp949")))
    assert t.encoding == "cp949" and t.numeric_columns == ["온도"]
    t = read_table(write(tmp_path, "t,temp ℃\n1,2\n2,3\n".encode("cp949")))
    assert t.encoding == "cp949" and t.numeric_columns == ["temp ℃"]


def test_mostly_undecodable_bytes_read_as_binary(tmp_path: Path) -> None:
    raw = bytes(range(0x80, 0x100)) * 8  # no NUL, no valid UTF-8, hardly any text
    expect_error(lambda: read_table(write(tmp_path, raw)), "not readable text", "binary",
                 "save it as CSV (UTF-8)")


def test_empty_file(tmp_path: Path) -> None:
    expect_error(lambda: read_table(write(tmp_path, "")), "empty")
    expect_error(lambda: read_table(write(tmp_path, "\n  \n")), "empty")


def test_header_only(tmp_path: Path) -> None:
    expect_error(lambda: read_table(write(tmp_path, "date,value\n")), "header", "no data rows")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a,b\n1,2\n3,4\n5,6,7\n8,9\n", 4),  # too many fields later on
        ("a,b\n1,2\n3\n5,6\n", 3),  # too few fields
        ("a,b\n1,2,3\n4,5\n", 2),  # first data row too long (pandas would make an index)
    ],
)
def test_ragged_rows(tmp_path: Path, text: str, line: int) -> None:
    expect_error(lambda: read_table(write(tmp_path, text)), f"line {line}", "field", "header")


def test_unclosed_quote(tmp_path: Path) -> None:
    expect_error(lambda: read_table(write(tmp_path, 'a,b\n1,2\n"3,4\n5,6\n')),
                 "unclosed quote", "line 3")


def test_no_numeric_column(tmp_path: Path) -> None:
    expect_error(lambda: read_table(write(tmp_path, "name,city\nann,seoul\nbo,busan\n")),
                 "no numeric column", "name", "city")


def test_unknown_columns(tmp_path: Path) -> None:
    p = write(tmp_path, series_csv())
    expect_error(lambda: prepare(DataConfig(difference="no", path=str(p), target="nope", window=3)),
                 "unknown", "nope", "date", "value")
    expect_error(lambda: prepare(DataConfig(difference="no", path=str(p), features=["zzz"], window=3)),
                 "unknown", "zzz", "--features", "value")
    expect_error(lambda: read_table(p, time_column="when"), "unknown time column", "date")


def test_non_numeric_target_and_feature(tmp_path: Path) -> None:
    rows = ["v,w,label"] + [f"{i},{i * 2},{'x' if i % 2 else 'y'}" for i in range(40)]
    p = write(tmp_path, "\n".join(rows) + "\n")
    expect_error(lambda: prepare(DataConfig(difference="no", path=str(p), target="label", window=3)),
                 "target", "label", "not numeric", "line 2")
    expect_error(lambda: prepare(DataConfig(difference="no", path=str(p), target="v", features=["v", "label"],
                                            window=3)),
                 "feature", "label", "not numeric", "--features")


def test_mostly_numeric_column_with_junk_is_text(tmp_path: Path) -> None:
    rows = ["v"] + [str(i) for i in range(30)] + ["?"] + [str(i) for i in range(30)]
    p = write(tmp_path, "\n".join(rows) + "\n")
    expect_error(lambda: read_table(p), "no numeric column", "'?'", "line 32")


def test_time_column_as_target(tmp_path: Path) -> None:
    p = write(tmp_path, series_csv())
    expect_error(lambda: prepare(DataConfig(difference="no", path=str(p), target="date", window=3)),
                 "time column", "value")


def test_several_numeric_columns_need_target(tmp_path: Path) -> None:
    p = write(tmp_path, "a,b\n" + "".join(f"{i},{i % 5}\n" for i in range(50)))
    expect_error(lambda: prepare(DataConfig(difference="no", path=str(p), window=3)), "--target", "a, b")


def test_inf_values(tmp_path: Path) -> None:
    rows = ["a"] + [str(i % 7) for i in range(50)]
    rows[10] = "inf"
    p = write(tmp_path, "\n".join(rows) + "\n")
    expect_error(lambda: prepare(DataConfig(difference="no", path=str(p), window=3)), "infinite", "'a'",
                 "line 11")


def test_constant_feature(tmp_path: Path) -> None:
    p = write(tmp_path, "y,flat\n" + "".join(f"{i % 7},3\n" for i in range(50)))
    msg = expect_error(lambda: prepare(DataConfig(difference="no", path=str(p), target="y", window=3)),
                       "'flat'", "constant", "--features y", "divide by zero", "minmax")
    assert "scaler" in msg
    expect_error(lambda: prepare(DataConfig(difference="no", path=str(p), target="y", window=3,
                                            scale_x="standard")), "standard", "flat")
    # Without scaling the constant column is usable.
    prep = prepare(DataConfig(difference="no", path=str(p), target="y", window=3, scale_x="none"))
    assert prep.n_features == 2


def test_constant_target(tmp_path: Path) -> None:
    p = write(tmp_path, "y\n" + "5\n" * 50)
    expect_error(lambda: prepare(DataConfig(difference="no", path=str(p), window=3)), "'y'", "constant",
                 "--target")


def test_too_few_rows(tmp_path: Path) -> None:
    p = write(tmp_path, "y\n" + "".join(f"{i % 5}\n" for i in range(30)))
    msg = expect_error(lambda: prepare(DataConfig(difference="no", path=str(p), window=24)), "too few rows",
                       "30", "window 24", "horizon 1", "at least")
    need = int(msg.split("at least ")[1].split()[0])
    ok = write(tmp_path, "y\n" + "".join(f"{i % 5}\n" for i in range(need)), "ok.csv")
    prepare(DataConfig(difference="no", path=str(ok), window=24))
    short = write(tmp_path, "y\n" + "".join(f"{i % 5}\n" for i in range(need - 1)), "s.csv")
    expect_error(lambda: prepare(DataConfig(difference="no", path=str(short), window=24)), "too few rows")


def test_missing_values_error_by_default(tmp_path: Path) -> None:
    rows = ["date,a,b"] + [f"2020-01-{d:02d},{d},{d * 2}" for d in range(1, 29)]
    rows[4] = "2020-01-04,,8"
    rows[9] = "2020-01-09,9,"
    rows[12] = "2020-01-12,,"
    p = write(tmp_path, "\n".join(rows) + "\n")
    msg = expect_error(lambda: prepare(DataConfig(difference="no", path=str(p), target="a", window=3)),
                       "4 missing", "3 row", "'a' (2)", "'b' (2)", "line(s) 5, 10, 13",
                       "--missing drop|ffill|interpolate")
    assert "ragged" not in msg


def test_missing_time_value(tmp_path: Path) -> None:
    p = write(tmp_path, "date,v\n2020-01-01,1\n,2\n2020-01-03,3\n")
    expect_error(lambda: read_table(p), "time column", "'date'", "line 3")


@pytest.mark.parametrize("policy", ["drop", "ffill", "interpolate"])
def test_missing_policies(tmp_path: Path, policy: str) -> None:
    vals = [str(float(i)) for i in range(40)]
    vals[0] = ""
    vals[10] = ""
    vals[11] = ""
    p = write(tmp_path, "v\n" + "\n".join(vals) + "\n")
    prep = prepare(DataConfig(difference="no", path=str(p), window=3, missing=policy, scale_x="none"))
    series = np.asarray(prep.target_values)
    if policy == "drop":
        assert len(series) == 37
        assert 10.0 not in series and 11.0 not in series
    elif policy == "ffill":
        assert len(series) == 39  # the leading NaN has nothing to carry forward
        assert list(series[8:12]) == [9.0, 9.0, 9.0, 12.0]
    else:
        assert len(series) == 39
        np.testing.assert_allclose(series[8:12], [9.0, 10.0, 11.0, 12.0])
    assert len(prep.time_labels) == len(series) == prep.scaled_x.shape[0]
    assert any(policy in n for n in prep.notes)


def test_step_counter_is_the_time_column_not_a_feature(tmp_path: Path) -> None:
    p = tmp_path / "steps.csv"
    p.write_text("step,signal,target\n" + "".join(f"{i},{i % 3},{i % 5}\n" for i in range(60)))
    table = read_table(p)
    assert table.time_column == "step"
    assert "step" not in table.numeric_columns
