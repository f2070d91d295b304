import re

from django.core.exceptions import ValidationError


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def validate_npi(value: str) -> None:
    """An NPI is 10 digits whose last is a Luhn check digit over '80840' + the first nine."""
    if not re.fullmatch(r"\d{10}", value or ""):
        raise ValidationError("An NPI is exactly 10 digits.", code="npi_format")
    if not luhn_valid("80840" + value):
        raise ValidationError(
            "This NPI fails its check digit; please re-check the number.", code="npi_check_digit"
        )


def npi_check_digit(first_nine: str) -> str:
    """The tenth digit that makes `first_nine` a valid NPI (used by demo data and tests)."""
    for digit in "0123456789":
        if luhn_valid("80840" + first_nine + digit):
            return digit
    raise AssertionError("unreachable: some digit always satisfies Luhn")


def validate_phone(value: str) -> None:
    digits = re.sub(r"\D", "", value or "")
    if value and not (10 <= len(digits) <= 15):
        raise ValidationError("Enter a phone number with area code, e.g. 555-201-3344.")


def validate_ein(value: str) -> None:
    if value and not re.fullmatch(r"\d{2}-?\d{7}", value):
        raise ValidationError("An EIN looks like 12-3456789.")


def validate_postal_code(value: str) -> None:
    if value and not re.fullmatch(r"\d{5}(-?\d{4})?", value):
        raise ValidationError("Enter a 5-digit ZIP code or ZIP+4.")
