"""The NIP: 18 digits, the first eight the holder's date of birth (YYYYMMDD)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from org.models import Employee
from org.validators import validate_nip

VALID = "198503152010011001"  # born 15 March 1985, appointed January 2010, male, number 001


def codes(value) -> list[str]:
    with pytest.raises(ValidationError) as error:
        validate_nip(value)
    return [e.code for e in error.value.error_list]


@pytest.mark.parametrize("nip", [VALID, "200002292022212001", "197012312000122999"])
def test_a_valid_nip_passes(nip):
    validate_nip(nip)


def test_a_nip_needs_exactly_18_digits():
    assert codes(VALID[:-1]) == ["nip_format"]
    assert codes(VALID + "1") == ["nip_format"]
    assert codes("") == ["nip_format"]


@pytest.mark.parametrize("nip", ["19850315201001100A", "1985O3152010011001", "abcdefghijklmnopqr"])
def test_letters_are_refused(nip):
    assert codes(nip) == ["nip_format"]


@pytest.mark.parametrize("nip", ["1985-03-15 2010011", "198503152010 11001", " 98503152010011001", "+98503152010011001"])
def test_separators_spaces_and_signs_are_refused(nip):
    assert len(nip) == 18
    assert codes(nip) == ["nip_format"]


def test_a_number_is_refused_even_with_18_digits():
    assert codes(int(VALID)) == ["nip_format"]


@pytest.mark.parametrize(
    "nip",
    [
        "198513152010011001",  # month 13
        "198500152010011001",  # month 0
        "198502302010011001",  # 30 February
        "198502292010011001",  # 29 February in a common year
        "198503002010011001",  # day 0
        "000003152010011001",  # year 0
    ],
)
def test_an_impossible_birth_date_in_the_first_eight_digits_is_refused(nip):
    assert codes(nip) == ["nip_birth_date"]


def test_the_message_says_what_a_nip_is():
    with pytest.raises(ValidationError) as error:
        validate_nip("123")
    assert "18" in error.value.messages[0]


@pytest.mark.parametrize(
    "nip",
    [
        "\u0661\u0669\u0668\u0665\u0660\u0663\u0661\u0665\u0662\u0660\u0661\u0660\u0660\u0661\u0661\u0660\u0660\u0661",
        "\uff11\uff19\uff18\uff15\uff10\uff13\uff11\uff15\uff12\uff10\uff11\uff10\uff10\uff11\uff11\uff10\uff10\uff11",
    ],
    ids=["arabic-indic", "full-width"],
)
def test_a_nip_written_with_non_ascii_digits_is_refused(nip):
    """str.isdigit() and int() take these; the same NIP must not exist twice in two scripts."""
    assert int(nip) == int(VALID)  # the same number as a valid NIP, in other digits
    assert codes(nip) == ["nip_format"]


@pytest.mark.django_db
def test_employee_full_clean_refuses_a_bad_nip():
    employee = Employee(nip="198513152010011001", name="Salah")
    with pytest.raises(ValidationError) as error:
        employee.full_clean()
    assert set(error.value.message_dict) == {"nip"}
    employee.nip = "19850315201001100X"
    with pytest.raises(ValidationError) as error:
        employee.full_clean()
    assert set(error.value.message_dict) == {"nip"}


@pytest.mark.django_db
def test_employee_full_clean_accepts_a_good_nip():
    Employee(nip=VALID, name="Benar").full_clean()
