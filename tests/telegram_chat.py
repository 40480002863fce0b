"""Drive conversations through the real aiogram adapter against the fake Bot API server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.app import App
from bot.channels.telegram import RetryMiddleware, TelegramChannel, build_bot
from tests.fakes.telegram_api import FakeTelegramAPI


@dataclass
class TelegramChat:
    """One Telegram user in a private chat with the bot."""

    fake: FakeTelegramAPI
    app: App
    chat_id: int = 700001

    @property
    def last(self) -> str:
        messages = self.fake.messages(self.chat_id)
        return messages[-1].text if messages else ""

    def buttons(self) -> list[str]:
        messages = self.fake.messages(self.chat_id)
        if not messages:
            return []
        return [label for row in messages[-1].buttons for label, _ in row]

    def _sent_since(self, start: int) -> int:
        return sum(
            1
            for call in self.fake.calls[start:]
            if call.method == "sendMessage"
            and not call.failed
            and str(call.params.get("chat_id")) == str(self.chat_id)
        )

    async def say(self, text: str) -> str:
        start = len(self.fake.calls)
        self.fake.user_sends(self.chat_id, text, user_id=self.chat_id)
        await self.fake.wait_idle(timeout=20)
        assert self._sent_since(start) <= 1, "more than one reply message to one user message"
        return self.last

    async def press(self, label: str) -> str:
        """Press the button whose label contains ``label`` on the bot's newest message."""
        message = self.fake.messages(self.chat_id)[-1]
        data = message.callback_data(label)
        start = len(self.fake.calls)
        self.fake.user_presses(self.chat_id, data, message_id=message.message_id)
        await self.fake.wait_idle(timeout=20)
        assert self._sent_since(start) <= 1, "more than one reply message to one button press"
        return self.last


@asynccontextmanager
async def running_bot(
    app: App, *, token: str = "123456:TEST-TOKEN", first_update_id: int = 100_001
) -> AsyncIterator[tuple[FakeTelegramAPI, TelegramChannel]]:
    """The bot polling the fake Bot API, as ``kpps-bot run`` does with a token."""
    async with FakeTelegramAPI(token, first_update_id=first_update_id) as fake:
        bot = build_bot(fake.token, fake.base_url, retry=RetryMiddleware(base_delay=0.05))
        channel = TelegramChannel(app.engine, bot)
        task = asyncio.create_task(channel.run(handle_signals=False))
        try:
            await fake.wait_for_call("getUpdates", timeout=10)
            yield fake, channel
        finally:
            await channel.stop()
            await asyncio.wait_for(task, timeout=10)
