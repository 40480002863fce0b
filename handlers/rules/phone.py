"""Indonesian mobile numbers, normalised to E.164 with phonenumbers."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from handlers.errors import InvalidAnswer
from handlers.i18n import N_

REGION = "ID"
INDONESIA = 62  # country calling code
_ALLOWED = re.compile(r"^[+\d\s().\-]+$")
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def parse_phone(text: str) -> str:
    """Return the number in E.164 (+628...); raise InvalidAnswer if it is not a mobile number."""
    raw = text.strip()
    if not raw or not _ALLOWED.match(raw):
        raise InvalidAnswer(
            N_(
                "A phone number may contain only digits (and +, spaces or dashes). "
                "Please type your mobile number, for example 0812 3456 7890."
            )
        )
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("62") and not raw.startswith("+"):
        raw = "+" + digits
    try:
        number = phonenumbers.parse(raw, REGION)
    except NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidAnswer(
            N_(
                "{number} is not a valid phone number. Please type your mobile number, "
                "for example 0812 3456 7890."
            ),
            number=text.strip()[:20],
        )
    if number.country_code != INDONESIA:
        raise InvalidAnswer(
            N_(
                "This is not an Indonesian number (+{code}). Please give an Indonesian mobile "
                "number (HP), for example 0812 3456 7890."
            ),
            code=number.country_code,
        )
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidAnswer(
            N_(
                "That looks like a landline number. Please give a mobile number (HP) so the "
                "PPS can reach you by phone or WhatsApp."
            )
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
