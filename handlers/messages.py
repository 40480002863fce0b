"""Channel-neutral message types exchanged between adapters and the engine.

Handlers say *what* the choices are (``Option``: id, label, description); each channel lays
them out within its own limits (Telegram inline keyboards, WhatsApp reply buttons or lists,
numbered lines on the console) and pages long lists.
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

LABEL_MAX = 20  # WhatsApp reply-button titles; also the longest label we show anywhere
DESCRIPTION_MAX = 72  # WhatsApp list-row descriptions


class Kind(StrEnum):
    """What the user sent. Anything but TEXT, COMMAND and BUTTON is "not readable here"."""

    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"
    PAGE = "page"  # "show page n of this list": a channel's own paging control
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
    message id); the engine drops a second delivery with the same id. A PAGE asks for page
    ``page`` of the list whose ``signature`` is in ``button_id``.
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
    page: int = 0
    # A shared contact card (kind CONTACT, its number in ``text``): the sender's own number?
    own_contact: bool = False
    # The sender's own number, when the platform tells it with every message (WhatsApp):
    # offered at the phone question, to be confirmed.
    sender_phone: str | None = None


@dataclass(frozen=True, slots=True)
class Option:
    """A choice. ``id`` is what comes back when it is chosen (never matched by label); an id
    starting with ``/`` runs that command. ``means`` ("yes"/"no") lets typed yes/no words pick
    it. A label longer than LABEL_MAX is shortened, the whole text kept as the description."""

    id: str
    label: str
    description: str = ""
    means: str | None = None

    def __post_init__(self) -> None:
        if len(self.label) > LABEL_MAX:
            if not self.description:
                object.__setattr__(self, "description", self.label[:DESCRIPTION_MAX])
            object.__setattr__(self, "label", self.label[: LABEL_MAX - 1].rstrip() + "…")
        if len(self.description) > DESCRIPTION_MAX:
            cut = self.description[: DESCRIPTION_MAX - 1].rstrip() + "…"
            object.__setattr__(self, "description", cut)


class Expect(StrEnum):
    """What a typed answer to the question is."""

    CHOICE = "choice"  # one of the options: a label, its number, yes/no words, a short phrase
    NUMBER = "number"  # a number is the answer itself (a TPS number); "#n" picks option n
    TEXT = "text"  # free text is the answer; only a whole label or a number picks an option


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

    ``options`` in order; ``long`` marks a long list (kecamatan, kelurahan, TPS) that a
    channel pages; ``page`` is the page to show (a channel's page request). ``chosen`` is the
    label of the option that was accepted (Telegram edits the question to show it);
    ``notice`` is a short transient note (a callback toast where the platform has one);
    ``replace`` asks the channel to replace the message that carried the pressed control
    (paging) instead of sending a new one.
    """

    text: str = ""
    options: list[Option] = field(default_factory=list)
    long: bool = False
    expects: Expect = Expect.CHOICE
    chosen: str | None = None
    notice: str | None = None
    replace: bool = False
    page: int = 1
    files: list[OutgoingFile] = field(default_factory=list)
    # Everything stored about the person was deleted: a channel drops what it keeps of the
    # chat too (the console's generated forms).
    forget: bool = False
    # The person's role changed (an officer joined or left): a channel with per-chat command
    # menus shows this role's commands from now on.
    menu_role: str | None = None

    def prefixed(self, *parts: str) -> Reply:
        """A copy with ``parts`` (paragraphs) before the text; options and hints kept."""
        text = "\n\n".join([part for part in parts if part] + ([self.text] if self.text else []))
        return replace(self, text=text)

    def signature(self) -> str:
        """A short fingerprint of the options, so a page request of an old list is noticed."""
        return options_signature(self.options)


def options_signature(options: list[Option]) -> str:
    return f"{zlib.crc32('|'.join(o.id for o in options).encode()):08x}"
