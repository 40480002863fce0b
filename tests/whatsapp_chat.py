"""Drive conversations through the real WhatsApp adapter and its webhook server against the
fake Cloud API (and Meta's side of the webhook)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.app import App
from bot.channels.common import parse_page_id
from bot.channels.whatsapp import WEBHOOK_PATH, GraphClient, WhatsAppChannel
from tests.fakes.whatsapp_api import FakeWhatsAppAPI, Sent

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"


def make_channel(app: App, fake: FakeWhatsAppAPI) -> WhatsAppChannel:
    client = GraphClient(
        token=fake.token,
        phone_number_id=fake.phone_number_id,
        api_base=fake.base_url,
        version=fake.version,
    )
    return WhatsAppChannel(
        app.engine, client, app_secret=APP_SECRET, verify_token=VERIFY_TOKEN, base_delay=0.01
    )


@asynccontextmanager
async def serving(app: App, fake: FakeWhatsAppAPI) -> AsyncIterator[WhatsAppChannel]:
    """The bot's webhook server on a free port, connected to the fake."""
    channel = make_channel(app, fake)
    await channel.start("127.0.0.1", 0)
    fake.connect(f"http://127.0.0.1:{channel.port}{WEBHOOK_PATH}", APP_SECRET)
    try:
        yield channel
    finally:
        await channel.close()


@asynccontextmanager
async def running_whatsapp(
    app: App,
) -> AsyncIterator[tuple[FakeWhatsAppAPI, WhatsAppChannel]]:
    async with FakeWhatsAppAPI() as fake, serving(app, fake) as channel:
        # the templates were submitted (`kpps-bot whatsapp templates`) and approved
        fake.approve([template.creation() for template in channel.templates.all])
        yield fake, channel


@dataclass
class WhatsAppChat:
    """One WhatsApp user writing to the bot."""

    fake: FakeWhatsAppAPI
    channel: WhatsAppChannel
    app: App
    number: str = "6281234567890"
    user_id: str | None = None
    replies: tuple[Sent, ...] = ()

    @property
    def last(self) -> str:
        """Everything the bot sent in answer to the last message, as one text."""
        return "\n\n".join(m.text for m in self.replies if m.text)

    def _interactive(self) -> Sent | None:
        return next((m for m in reversed(self.replies) if m.type == "interactive"), None)

    def buttons(self) -> list[str]:
        """The titles of the choices of the last answer (not the paging rows)."""
        message = self._interactive()
        if message is None:
            return []
        return [title for key, title in message.choices() if parse_page_id(key) is None]

    async def _answered(self, before: int) -> str:
        await self.channel.idle()
        self.replies = tuple(self.fake.messages_to(self.number)[before:])
        return self.last

    async def say(self, text: str) -> str:
        before = len(self.fake.messages_to(self.number))
        await self.fake.user_sends(self.number, text, user_id=self.user_id)
        return await self._answered(before)

    async def press(self, label: str) -> str:
        """Tap the button or list row whose title contains ``label`` (case-insensitive)."""
        message = self._interactive()
        assert message is not None, f"no buttons in:\n{self.last}"
        for key, title in message.choices():
            if label.casefold() in title.casefold():
                before = len(self.fake.messages_to(self.number))
                await self.fake.user_chooses(self.number, key, title, user_id=self.user_id)
                return await self._answered(before)
        raise AssertionError(f"no choice {label!r} in {message.choices()}")

    async def send_document(self, media_id: str, filename: str, mime: str) -> str:
        before = len(self.fake.messages_to(self.number))
        await self.fake.user_sends_document(
            self.number, media_id, filename=filename, mime=mime, user_id=self.user_id
        )
        return await self._answered(before)

    async def send_image(self, media_id: str) -> str:
        before = len(self.fake.messages_to(self.number))
        await self.fake.user_sends_image(self.number, media_id, user_id=self.user_id)
        return await self._answered(before)
