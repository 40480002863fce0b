"""Pure rules: NIK, dates, phone numbers — examples and properties (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.errors import InvalidAnswer
from handlers.rules.dates import age_on, parse_date
from handlers.rules.nik import PROVINCE_CODES, Sex, parse_nik
from handlers.rules.phone import parse_phone
from tests.factories import make_nik

TODAY = date(2026, 11, 23)

births = st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31))
provinces = st.sampled_from(sorted(PROVINCE_CODES))
serials = st.integers(min_value=1, max_value=9999)


# -- NIK ------------------------------------------------------------------------------------


def test_nik_with_separators_is_normalised() -> None:
    nik = parse_nik(" 7471.0117-0890 0001 ")
    assert nik.value == "7471011708900001"
    assert nik.sex is Sex.MALE
    assert (nik.birth_day, nik.birth_month, nik.birth_yy) == (17, 8, 90)
    assert nik.kecamatan_code == "74.71.01"


def test_female_nik_has_day_plus_40() -> None:
    nik = parse_nik("7471015708900001")
    assert nik.sex is Sex.FEMALE
    assert nik.birth_day == 17
    assert nik.matches_birth_date(date(1990, 8, 17))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("747101170890000", "16"),  # 15 digits
        ("74710117089000011", "16"),  # 17 digits
        ("7471O11708900001", "digits"),  # letter O
        ("0071011708900001", "province"),  # unknown province 00
        ("5471011708900001", "province"),  # 54 (Timor Timur) is not a code
        ("7471013102900001", "real date"),  # 31 February
        ("7471017213900001", "real date"),  # day 72 - 40 = 32
        ("7471011713900001", "real date"),  # month 13
        ("7471011708900000", "0001"),  # serial 0000
        ("", "digits"),
    ],
)
def test_bad_niks_are_rejected_with_a_reason(text: str, fragment: str) -> None:
    with pytest.raises(InvalidAnswer) as error:
        parse_nik(text)
    message = error.value.msgid.format(**error.value.params)
    assert fragment in message


def test_29_february_needs_a_leap_year_in_some_century() -> None:
    assert parse_nik("7471012902000001").birth_date_candidates() == [date(2000, 2, 29)]
    with pytest.raises(InvalidAnswer):
        parse_nik("7471012902010001")  # 1901 and 2001: neither is a leap year


@given(birth=births, female=st.booleans(), province=provinces, serial=serials)
def test_every_well_formed_nik_round_trips(
    birth: date, female: bool, province: str, serial: int
) -> None:
    text = make_nik(birth, female=female, region=f"{province}0101", serial=serial)
    nik = parse_nik(text)
    assert nik.value == text
    assert nik.sex is (Sex.FEMALE if female else Sex.MALE)
    assert nik.matches_birth_date(birth)
    assert birth in nik.birth_date_candidates()


@given(digits=st.text(alphabet="0123456789", min_size=0, max_size=30))
def test_only_16_digit_strings_can_pass(digits: str) -> None:
    try:
        nik = parse_nik(digits)
    except InvalidAnswer:
        return
    assert len(nik.value) == 16 and nik.value == digits
    assert nik.value[:2] in PROVINCE_CODES and nik.value[12:] != "0000"


@given(birth=births, female=st.booleans(), sep=st.sampled_from([" ", ".", "-", "  "]))
def test_separators_never_change_the_result(birth: date, female: bool, sep: str) -> None:
    text = make_nik(birth, female=female)
    spaced = sep.join([text[:4], text[4:8], text[8:12], text[12:]])
    assert parse_nik(spaced) == parse_nik(text)


# -- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "17-08-1990",
        "17/08/1990",
        "17.08.1990",
        "17 Agustus 1990",
        "17 agustus 1990",
        "17 Agt 1990",
        "17-Agu-1990",
        "17 August 1990",
        "1990-08-17",
        " 17 / 8 / 1990 ",
    ],
)
def test_date_formats(text: str) -> None:
    assert parse_date(text, today=TODAY) == date(1990, 8, 17)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("31/02/1990", "28 days"),
        ("29/02/1991", "28 days"),
        ("31/04/1990", "30 days"),
        ("17/13/1990", "1 to 12"),
        ("17/08/90", "four digits"),
        ("17 Agustusan 1990", "month"),
        ("kemarin", "could not read"),
        ("01/01/2030", "future"),
        ("01/01/1800", "too long ago"),
    ],
)
def test_bad_dates_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(InvalidAnswer) as error:
        parse_date(text, today=TODAY)
    assert fragment in error.value.msgid.format(**error.value.params)


@given(day=st.dates(min_value=date(1907, 1, 1), max_value=TODAY))
def test_every_real_date_parses_in_every_numeric_format(day: date) -> None:
    for text in (
        f"{day.day}-{day.month}-{day.year}",
        f"{day.day:02d}/{day.month:02d}/{day.year}",
        day.isoformat(),
    ):
        assert parse_date(text, today=TODAY) == day


@given(birth=births, days=st.integers(min_value=0, max_value=40000))
def test_age_grows_by_one_on_each_birthday(birth: date, days: int) -> None:
    later = birth + timedelta(days=days)
    age = age_on(birth, later)
    assert 0 <= age <= days // 365
    try:
        birthday = birth.replace(year=birth.year + age)
    except ValueError:  # 29 February
        birthday = date(birth.year + age, 3, 1)
    assert birthday <= later


def test_age_on_the_day_before_the_17th_birthday() -> None:
    assert age_on(date(2010, 2, 1), date(2027, 1, 31)) == 16
    assert age_on(date(2010, 2, 1), date(2027, 2, 1)) == 17


# -- phone ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["081234567890", "0812-3456-7890", "0812 3456 7890", "+62 812 3456 7890", "6281234567890"],
)
def test_mobile_numbers_become_e164(text: str) -> None:
    assert parse_phone(text) == "+6281234567890"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("12345", "not a valid"), ("0401 3121234", "landline"), ("nomor saya", "only digits")],
)
def test_bad_phone_numbers(text: str, fragment: str) -> None:
    with pytest.raises(InvalidAnswer) as error:
        parse_phone(text)
    assert fragment in error.value.msgid.format(**error.value.params)


@given(subscriber=st.integers(min_value=10_000_000, max_value=99_999_999))
def test_telkomsel_numbers_in_any_notation(subscriber: int) -> None:
    expected = f"+62812{subscriber}"
    for text in (f"0812{subscriber}", f"+62812{subscriber}", f"62812{subscriber}"):
        assert parse_phone(text) == expected
