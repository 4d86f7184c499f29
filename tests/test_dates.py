"""French dates as news sites print them."""

from __future__ import annotations

import pytest

from search.extract.dates import find_dates, normalize_date, parse_date, parse_day_month, precision_of


@pytest.mark.parametrize("text,expected", [
    ("Publié le mercredi 2 aout 2023", ("2023-08-02", "day")),
    ("Publié le 16 mars 2022", ("2022-03-16", "day")),
    ("lundi 15 juin 2020 à 16h40", ("2020-06-15", "day")),
    ("AFP, publié le lundi 15 juin 2020 à 16h40", ("2020-06-15", "day")),
    ("le 1er août 2014", ("2014-08-01", "day")),
    ("le 1er aout 2014", ("2014-08-01", "day")),
    ("17 Octobre 2019", ("2019-10-17", "day")),
    ("25 DÉCEMBRE 2019", ("2019-12-25", "day")),
    ("3 févr. 2021", ("2021-02-03", "day")),
    ("15/06/2020", ("2020-06-15", "day")),
    ("15-06-2020", ("2020-06-15", "day")),
    ("15.06.2020", ("2020-06-15", "day")),
    ("Publié le : 15/06/20 - 16:40", ("2020-06-15", "day")),
    ("2020-06-15", ("2020-06-15", "day")),
    ("2020-06-15T16:40:00+02:00", ("2020-06-15", "day")),
    ("June 15, 2020", ("2020-06-15", "day")),
    ("en juin 2021", ("2021-06", "month")),
    (" date 2023-08 Mali-Russie", ("2023-08", "month")),
])
def test_printed_dates_parse_to_iso_with_precision(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["31/02/2020", "le 32 mars 2020", "version 1.2.3", "Article 15", "", "mai", "2020"])
def test_impossible_or_absent_dates_give_nothing(text):
    assert parse_date(text) == (None, None)


def test_all_dates_of_a_story_are_found_in_order():
    text = "Mardi 16 juin 2021, l'ambassadeur... Depuis le 25 juin 2019... le 17 Octobre 2019."
    assert [d[1] for d in find_dates(text)] == ["2021-06-16", "2019-06-25", "2019-10-17"]


@pytest.mark.parametrize("text,expected", [("publié le 14 mai", (14, 5)), ("le 1er août", (1, 8)),
                                           ("le 14 mai 2020", None), ("rien", None)])
def test_day_and_month_without_a_year_are_recognised(text, expected):
    assert parse_day_month(text) == expected


@pytest.mark.parametrize("value,expected", [
    ("2023", ("2023", "year")), (2023, ("2023", "year")), ("2023-8", ("2023-08", "month")),
    ("2023-08-02", ("2023-08-02", "day")), ("0001-01-01", (None, None)), (True, (None, None)),
    ({"y": 1}, (None, None)), ("9999-12-31", (None, None)), ("2023-02-30", (None, None)), (99999, (None, None)),
    (10**400, (None, None)), (2023.0, (None, None)), (float("nan"), (None, None)), ("1799", (None, None)),
])
def test_metadata_dates_are_normalised(value, expected):
    assert normalize_date(value) == expected


@pytest.mark.parametrize("iso,precision", [("2023-08-02", "day"), ("2023-08", "month"), ("2023", "year"),
                                           (None, None), ("", None)])
def test_precision_follows_the_shape_of_the_iso_date(iso, precision):
    assert precision_of(iso) == precision


@pytest.mark.parametrize("value", ["le " + "très " * 50 + "15 juin 2020", "15 juin 2020 " + "x" * 5_000_000])
def test_a_metadata_value_too_long_to_be_a_date_is_not_read(value):
    assert normalize_date(value) == (None, None)
