"""What channel adapters share: splitting long texts and the page-request control that asks
the engine for another page of a long list (the same on Telegram and WhatsApp)."""

from __future__ import annotations

PAGE_PREFIX = "~page"  # no flow namespace starts with "~"


def split_text(text: str, limit: int) -> list[str]:
    """Split a long text at paragraph or line ends so each part fits one message."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n\n", 0, limit)
        if cut <= 0:
            cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts


def page_id(page: int, signature: str) -> str:
    """The id of a control that asks for page ``page`` of the list with ``signature``."""
    return f"{PAGE_PREFIX}:{page}:{signature}"


def parse_page_id(control_id: str) -> tuple[int, str] | None:
    """``(page, signature)`` of a page control's id; None for any other id."""
    parts = control_id.split(":")
    if len(parts) == 3 and parts[0] == PAGE_PREFIX and parts[1].isdigit():
        return int(parts[1]), parts[2]
    return None


class DeliveryFailed(Exception):
    """A message the bot sent on its own was not delivered; the kind says what to do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimited(DeliveryFailed):
    """The platform's flood control (429): try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: float, reason: str) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Unreachable(DeliveryFailed):
    """The person blocked the bot or left the platform: send them nothing more here."""


class PermanentFailure(DeliveryFailed):
    """Refused for good (e.g. the chat does not exist): do not retry."""


class TransientFailure(DeliveryFailed):
    """A network error or a 5xx: retry later, a bounded number of times."""


class OutsideReplyWindow(PermanentFailure):
    """Too long since the person last wrote (WhatsApp: 24 hours): only a pre-approved
    template may be sent. The outbox sender then sends the message's template once
    (``bot.sender.Windowed``); a message without one is failed."""


class ChannelMisconfigured(Exception):
    """The channel itself cannot send (e.g. an invalid or expired access token): no message is
    at fault, so none is settled as failed; the operator must fix the setting."""
