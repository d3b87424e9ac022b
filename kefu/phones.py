"""Phone numbers in one canonical form (E.164), so a caller's number finds a file.

The rules come from `phonenumbers` (Google's libphonenumber metadata, maintained upstream) rather
than a normaliser of ours: numbering plans change, and a home-grown one got `+86 010 12345678`
(trunk 0 kept after the country code) and full-width digits wrong. The domain imports only the
standard library, so this module stands beside it: commands normalise what they are given (the
customer file only checks the canonical form), and lookups normalise what they search for.

A number written without `+`/`00` is read in the home region (mainland China by default). Short
service numbers valid in that region (95555, 12315) stay as their digits.

Parsing is slow (50-150 µs a number) and the same numbers come back: a file's phones are keyed
and indexed again at each of its events, a regular caller's number at each call. The two
functions that succeed on a number remember their answers (plain strings, so sharing them is
safe); numbering plans change only with a new `phonenumbers`, that is with a restart.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

HOME_REGION = "CN"
_FULL_WIDTH_PLUS = "\uff0b"
_LONGEST = 40  # longer text is no phone number; parsing it would be wasted work
_REMEMBERED = 8_192  # numbers remembered by each function (about 4 MB in all)


class InvalidPhone(ValueError):
    """The text is not a phone number (or not a valid one)."""


@lru_cache(maxsize=_REMEMBERED)
def normalise_phone(text: str, region: str = HOME_REGION) -> str:
    """`138 0013 8000`, `+86-138-0013-8000`, the same in full-width
    digits (as a Chinese input method types them) → `+8613800138000`;
    `+86 010 12345678`, `010-12345678` → `+861012345678`; `95555` → `95555`."""
    number = _parsed(text, region)
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if _written_nationally(text) and phonenumbers.is_valid_short_number_for_region(number, region):
        return phonenumbers.national_significant_number(number)
    raise InvalidPhone(f"{text!r} is not a phone number in use")


def lookup_key(stored: str, region: str = HOME_REGION) -> str:
    """The form a stored number is looked up by: normalised again with today's rules.

    Numbers recorded before this normaliser (or before a numbering-plan update) may be stored in
    an older form, e.g. `+8601012345678`; events are never rewritten, so the lookup side keys them
    by their current normal form and a rebuild of the customer view re-keys every file.
    """
    try:
        return normalise_phone(stored, region)
    except InvalidPhone:
        return stored


@lru_cache(maxsize=_REMEMBERED)
def written_forms(stored: str, region: str = HOME_REGION) -> tuple[str, ...]:
    """The forms people type a stored number in, for text search: as stored, E.164 and the
    national digits (`+8613800138000`, `13800138000`; `+861012345678`, `01012345678`)."""
    key = lookup_key(stored, region)
    try:
        number = _parsed(key, region)
    except InvalidPhone:
        return tuple(dict.fromkeys((stored, key)))
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return tuple(dict.fromkeys((stored, key, phonenumbers.normalize_digits_only(national))))


def _parsed(text: str, region: str) -> phonenumbers.PhoneNumber:
    if len(text) > _LONGEST:
        raise InvalidPhone(f"{text[:_LONGEST]!r}… is not a phone number")
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(f"{text!r} is not a phone number") from None


def _written_nationally(text: str) -> bool:
    stripped = text.strip()
    international = stripped.startswith(("+", _FULL_WIDTH_PLUS))
    return not (international or phonenumbers.normalize_digits_only(text).startswith("00"))
