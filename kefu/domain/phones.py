"""Phone numbers in one canonical form (E.164 where possible), so a caller's number finds a file.

A small normaliser instead of libphonenumber: the desk serves customers in one home country
(mainland China by default), where the rules are few and stable — mobile numbers are 11 digits
starting with 1, landlines carry a trunk 0 before the area code. Numbers written with a `+` or
`00` international prefix are kept as given. Short service numbers (95555) stay as digits.
"""

from __future__ import annotations

import re

HOME_COUNTRY_CODE = "86"
_SEPARATORS = re.compile(r"[\s\-().·/]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0[1-9]\d{8,10}")


class InvalidPhone(ValueError):
    """The text is not a phone number."""


def normalise_phone(text: str, country_code: str = HOME_COUNTRY_CODE) -> str:
    """`138 0013 8000`, `+86-138-0013-8000`, `0086 13800138000` → `+8613800138000`."""
    compact = _SEPARATORS.sub("", text.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    international = compact.startswith("+")
    digits = compact.removeprefix("+")
    if not digits.isdigit() or not 3 <= len(digits) <= 15:
        raise InvalidPhone(f"{text!r} is not a phone number")
    if international:
        return "+" + digits
    return _national(digits, country_code)


def _national(digits: str, country_code: str) -> str:
    if digits.startswith(country_code) and _MOBILE.fullmatch(digits[len(country_code) :]):
        return "+" + digits
    if _MOBILE.fullmatch(digits):
        return f"+{country_code}{digits}"
    if _LANDLINE.fullmatch(digits):
        return f"+{country_code}{digits[1:]}"
    return digits
