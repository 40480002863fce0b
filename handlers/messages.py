"""Channel-neutral message types exchanged between adapters and the engine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum


class Kind(StrEnum):
    """What the user sent. Anything but TEXT, COMMAND and BUTTON is "not readable here"."""

    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"
    CONTACT = "contact"
    PHOTO = "photo"
    DOCUMENT = "document"
    STICKER = "sticker"
    VOICE = "voice"
    VIDEO = "video"
    LOCATION = "location"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file the user sent. ``fetch`` downloads it; ``size`` is what the platform declared,
    so an oversize file is refused without downloading it. ``limit`` is the most the channel
    can download (Telegram bots: 20 MB)."""

    fetch: Callable[[], Awaitable[bytes]]
    name: str | None = None
    mime: str | None = None
    size: int | None = None
    file_id: str | None = None
    limit: int | None = None
    group: str | None = None


@dataclass(frozen=True, slots=True)
class Incoming:
    """One user action, already translated out of the platform's format.

    ``update_id`` is the platform's id of the delivery (Telegram update_id, WhatsApp
    message id); the engine drops a second delivery with the same id.
    """

    channel: str
    chat_id: str
    kind: Kind
    update_id: str | None = None
    text: str = ""
    command: str = ""
    payload: str = ""
    button_id: str = ""
    private: bool = True
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Button:
    """A choice. ``id`` is what comes back when it is chosen; labels are never matched by id."""

    id: str
    label: str


@dataclass(frozen=True, slots=True)
class OutgoingFile:
    """A file the bot sends (a generated form)."""

    name: str
    data: bytes
    caption: str = ""
    mime: str = "application/pdf"


@dataclass(slots=True)
class Reply:
    """Everything the bot answers to one incoming message, as one platform message.

    ``chosen`` is the label of the button that was accepted (Telegram edits the question to
    show it); ``notice`` is a short transient note (a callback toast where the platform has
    one); ``replace`` asks the adapter to replace the message that carried the pressed
    button instead of sending a new one (paging through a list).
    """

    text: str = ""
    buttons: list[list[Button]] = field(default_factory=list)
    chosen: str | None = None
    notice: str | None = None
    replace: bool = False
    files: list[OutgoingFile] = field(default_factory=list)
    # The question takes a number as a typed answer (a TPS number, how many times), so a
    # channel that numbers its options must not read a typed number as an option.
    numbers_are_answers: bool = False

    @property
    def flat_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]

    def prefixed(self, *parts: str) -> Reply:
        """A copy with ``parts`` (paragraphs) before the text; buttons and hints kept."""
        text = "\n\n".join([part for part in parts if part] + ([self.text] if self.text else []))
        return replace(self, text=text)
