"""Logging with a filter that redacts NIKs and phone numbers (UU 27/2022)."""

from __future__ import annotations

import logging
import re

_NIK = re.compile(r"(?<!\d)\d(?:[\s.\-]?\d){15}(?!\d)")
_PHONE = re.compile(r"(?<![\w+])(?:\+?62|0)[\s.\-]?8(?:[\s.\-]?\d){7,12}(?!\d)")


def redact(text: str) -> str:
    return _PHONE.sub("[phone]", _NIK.sub("[nik]", text))


class RedactingFilter(logging.Filter):
    """Rewrites every record's message so no NIK or phone number reaches a log handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted record, tracebacks included (the filter above runs before
    the traceback text exists)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
