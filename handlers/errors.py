"""Errors that become a translated reply instead of a traceback."""

from __future__ import annotations

from typing import Any


class UserFacingError(Exception):
    """An error whose message is a msgid to translate and show to the user."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


class InvalidAnswer(UserFacingError):
    """The answer to the current question is not acceptable; the question is asked again."""
