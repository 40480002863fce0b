"""Telegram adapter on aiogram 3: long polling, inline keyboards, sends within the limits.

Every message sent passes the bot's ``FloodGate`` (``bot/channels/flood.py``: 30/s per bot,
1/s per chat by default, direct replies first). aiogram raises on 429 (flood control) and on
network or 5xx errors without retrying, so the session gets a request middleware that, for a
direct reply, tells the gate about a 429 (the gate then delays every send, this one's retry
too) and backs off on transient errors; a bulk (outbox) send is not retried inside the
request: the error reaches the sender, which reschedules the message.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteWebhook,
    EditMessageText,
    GetFile,
    GetMe,
    GetUpdates,
    SendDocument,
    SendMessage,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from bot.channels import common
from bot.channels.common import (
    PermanentFailure,
    RateLimited,
    TransientFailure,
    Unreachable,
    page_id,
    parse_page_id,
)
from bot.channels.flood import FloodGate, is_bulk
from handlers.engine import Engine
from handlers.messages import Attachment, Incoming, Kind, Option, Reply
from storage.domain import Role

CHANNEL = "telegram"
MAX_TEXT = 4096
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile serves files up to 20 MB to bots
ALBUM_WAIT = 1.0  # seconds of quiet after the last part of an album (media_group_id)
log = logging.getLogger(__name__)


# Methods that send a message to a chat: they pass the flood gate.
SENDS = frozenset({SendMessage.__api_method__, SendDocument.__api_method__})


class FloodGateMiddleware(BaseRequestMiddleware):
    """Wait for the bot's and the chat's slot before every message sent."""

    def __init__(self, gate: FloodGate) -> None:
        self.gate = gate

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if method.__api_method__ in SENDS:
            await self.gate.acquire(str(getattr(method, "chat_id", "")))
        return await make_request(bot, method)


class RetryMiddleware(BaseRequestMiddleware):
    """Resend a direct reply refused with 429 (after the gate's penalty, or ``retry_after``
    without a gate); back off on network/5xx errors. Bulk sends are not retried here."""

    def __init__(
        self,
        *,
        max_attempts: int = 8,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        gate: FloodGate | None = None,
    ) -> None:
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.gate = gate

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if method.__api_method__ == GetUpdates.__api_method__:
            return await make_request(bot, method)  # the dispatcher has its own polling backoff
        attempt = 0
        while True:
            attempt += 1
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if self.gate is not None and method.__api_method__ in SENDS and not is_bulk():
                    self.gate.penalise(error.retry_after)  # every send waits, not just this one
                if attempt >= self.max_attempts or is_bulk():
                    raise
                log.warning(
                    "telegram flood control on %s, retry in %ss",
                    method.__api_method__,
                    error.retry_after,
                )
                if self.gate is None or method.__api_method__ not in SENDS:
                    await asyncio.sleep(error.retry_after)
            except (TelegramNetworkError, TelegramServerError) as error:
                if attempt >= self.max_attempts or is_bulk():
                    raise
                delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
                delay *= random.uniform(0.8, 1.2)
                log.warning(
                    "telegram %s failed (%s), retry in %.1fs",
                    method.__api_method__,
                    type(error).__name__,
                    delay,
                )
                await asyncio.sleep(delay)


# The API methods the adapter calls. aiogram validates each answer with the pydantic model
# Response[<method's result type>], built on demand; pydantic keeps such models only in a
# WeakValueDictionary, so after every garbage collection the next call built the model again
# (about 4 ms, 13 % of the CPU of a loaded bot). The session holds them, so they stay cached.
USED_METHODS = (
    GetUpdates,
    SendMessage,
    EditMessageText,
    AnswerCallbackQuery,
    SendDocument,
    SetMyCommands,
    DeleteWebhook,
    GetMe,
    GetFile,
)


class Session(AiohttpSession):
    def __init__(self, api: TelegramAPIServer) -> None:
        super().__init__(api=api)
        returning: list[Any] = [m.__returning__ for m in USED_METHODS]
        self.response_models = [Response[result] for result in returning]  # type: ignore[valid-type]


def build_bot(
    token: str,
    api_base: str,
    *,
    retry: RetryMiddleware | None = None,
    gate: FloodGate | None = None,
) -> Bot:
    """A bot whose requests are retried (the outer middleware) and whose sends pass ``gate``
    (the inner one, so a retry waits for a slot too)."""
    session = Session(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
    session.middleware(retry or RetryMiddleware(gate=gate))
    if gate is not None:
        session.middleware(FloodGateMiddleware(gate))
    return Bot(token, session=session)


def _kind(message: Message) -> Kind:
    if message.text is not None:
        return Kind.COMMAND if message.text.startswith("/") else Kind.TEXT
    for attribute, kind in (
        ("contact", Kind.CONTACT),
        ("photo", Kind.PHOTO),
        ("document", Kind.DOCUMENT),
        ("sticker", Kind.STICKER),
        ("voice", Kind.VOICE),
        ("audio", Kind.VOICE),
        ("video", Kind.VIDEO),
        ("video_note", Kind.VIDEO),
        ("animation", Kind.VIDEO),
        ("location", Kind.LOCATION),
        ("venue", Kind.LOCATION),
    ):
        if getattr(message, attribute, None):
            return kind
    return Kind.OTHER


def delivery_id(bot_id: int, update_id: int | None) -> str | None:
    """Update ids are only unique per bot: key the duplicate check by both."""
    return None if update_id is None else f"{bot_id}:{update_id}"


def _fetcher(bot: Bot, file_id: str) -> Any:
    async def fetch() -> bytes:
        buffer = await bot.download(file_id)
        assert buffer is not None
        return buffer.read()

    return fetch


def attachments_of(bot: Bot, message: Message) -> tuple[Attachment, ...]:
    """The file of a photo (its largest size) or document message, downloaded on demand."""
    if message.photo:
        largest = message.photo[-1]
        return (
            Attachment(
                fetch=_fetcher(bot, largest.file_id),
                mime="image/jpeg",
                size=largest.file_size,
                file_id=largest.file_id,
                limit=DOWNLOAD_LIMIT,
                group=message.media_group_id,
            ),
        )
    if message.document:
        document = message.document
        return (
            Attachment(
                fetch=_fetcher(bot, document.file_id),
                name=document.file_name,
                mime=document.mime_type,
                size=document.file_size,
                file_id=document.file_id,
                limit=DOWNLOAD_LIMIT,
                group=message.media_group_id,
            ),
        )
    return ()


def message_to_incoming(
    message: Message, update_id: str | None, attachments: tuple[Attachment, ...] = ()
) -> Incoming:
    kind = _kind(message)
    text = message.text or message.caption or ""
    command = payload = ""
    if kind is Kind.COMMAND:
        head, _, payload = text[1:].partition(" ")
        command = head.split("@", 1)[0].lower()
    own_contact = False
    if kind is Kind.CONTACT and message.contact is not None:
        text = message.contact.phone_number
        sender = message.from_user.id if message.from_user else None
        own_contact = sender is not None and message.contact.user_id == sender
    return Incoming(
        channel=CHANNEL,
        chat_id=str(message.chat.id),
        kind=kind,
        update_id=update_id,
        text=text,
        command=command,
        payload=payload.strip(),
        private=message.chat.type == "private",
        attachments=attachments,
        own_contact=own_contact,
    )


def callback_to_incoming(query: CallbackQuery, update_id: str | None) -> Incoming | None:
    if query.message is None or query.data is None:
        return None
    kind, button_id, page = Kind.BUTTON, query.data, 0
    if (requested := parse_page_id(query.data)) is not None:
        kind, page, button_id = Kind.PAGE, *requested
    return Incoming(
        channel=CHANNEL,
        chat_id=str(query.message.chat.id),
        kind=kind,
        update_id=update_id,
        button_id=button_id,
        private=query.message.chat.type == "private",
        page=page,
    )


PAGE_SIZE = 8  # options per page of a long list


def _rows(options: list[Option]) -> list[list[Option]]:
    """Short labels side by side (up to three), long ones on a row of their own."""
    longest = max((len(o.label) for o in options), default=0)
    columns = 3 if longest <= 8 else 2 if longest <= 16 else 1
    return [options[i : i + columns] for i in range(0, len(options), columns)]


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's options as an inline keyboard; a long list one page at a time, with
    previous/next buttons that ask the engine for another page of the same list."""
    if not reply.options:
        return None
    options = reply.options
    nav: list[InlineKeyboardButton] = []
    if reply.long and len(options) > PAGE_SIZE:
        pages = -(-len(options) // PAGE_SIZE)
        page = min(max(reply.page, 1), pages)
        options = options[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        signature = reply.signature()
        if page > 1:
            nav.append(_nav("◀", page - 1, signature))
        if page < pages:
            nav.append(_nav("▶", page + 1, signature))
    rows = [
        [InlineKeyboardButton(text=o.label, callback_data=o.id) for o in row]
        for row in _rows(options)
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows + ([nav] if nav else []))


def _nav(arrow: str, page: int, signature: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=f"{arrow} {page}", callback_data=page_id(page, signature))


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    return common.split_text(text, limit)


class TelegramChannel:
    def __init__(self, engine: Engine, bot: Bot) -> None:
        self.engine = engine
        self.bot = bot
        self.dispatcher = Dispatcher()
        router = Router(name="kpps")
        router.message.register(self.on_message)
        router.callback_query.register(self.on_callback)
        self.dispatcher.include_router(router)
        self._albums: dict[str, list[tuple[Message, str | None]]] = {}
        self._album_timers: dict[str, asyncio.Task[None]] = {}

    async def on_message(self, message: Message, event_update: Update) -> None:
        delivery = delivery_id(self.bot.id, event_update.update_id)
        if message.media_group_id and (message.photo or message.document):
            self._collect_album(message, delivery)
            return
        incoming = message_to_incoming(message, delivery, attachments_of(self.bot, message))
        reply = await self.engine.handle(incoming)
        if reply is not None:
            await self.send(message.chat.id, reply)

    def _collect_album(self, message: Message, delivery: str | None) -> None:
        """Parts of an album arrive as separate messages: answer them once, together."""
        key = f"{message.chat.id}:{message.media_group_id}"
        self._albums.setdefault(key, []).append((message, delivery))
        timer = self._album_timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        self._album_timers[key] = asyncio.create_task(self._flush_album(key))

    async def _flush_album(self, key: str, *, wait: bool = True) -> None:
        if wait:
            await asyncio.sleep(ALBUM_WAIT)
        self._album_timers.pop(key, None)
        parts = sorted(self._albums.pop(key, []), key=lambda part: part[0].message_id)
        if not parts:
            return
        first, delivery = parts[0]
        attachments = tuple(a for message, _ in parts for a in attachments_of(self.bot, message))
        try:
            reply = await self.engine.handle(message_to_incoming(first, delivery, attachments))
            if reply is not None:
                await self.send(first.chat.id, reply)
        except Exception:
            log.exception("album reply failed")

    async def on_callback(self, query: CallbackQuery, event_update: Update) -> None:
        incoming = callback_to_incoming(query, delivery_id(self.bot.id, event_update.update_id))
        reply = await self.engine.handle(incoming) if incoming else None
        try:
            await query.answer(text=reply.notice if reply else None)
        except TelegramBadRequest as error:  # e.g. "query is too old": the reply still goes
            log.info("callback answer refused: %s", error.message)
        if reply is None or query.message is None:
            return
        chat_id = query.message.chat.id
        message = query.message if isinstance(query.message, Message) else None
        if message is not None and reply.replace and reply.text:
            await self._edit(message, reply.text, keyboard(reply))
            return
        if message is not None and reply.chosen and message.text:
            await self._edit(message, f"{message.text}\n\n✅ {reply.chosen}", None)
        if reply.text or reply.files:
            await self.send(chat_id, reply)  # also for a message too old to edit (48 h)

    async def _edit(self, message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
        try:
            await self.bot.edit_message_text(
                chat_id=message.chat.id,
                message_id=message.message_id,
                text=text[:MAX_TEXT],
                reply_markup=markup,
            )
        except TelegramBadRequest as error:  # e.g. "message is not modified"
            log.info("edit refused: %s", error.message)

    async def send(self, chat_id: int, reply: Reply) -> None:
        if reply.menu_role:
            try:
                await self.set_chat_commands(chat_id, Role(reply.menu_role))
            except TelegramBadRequest as error:
                log.info("chat commands refused: %s", error.message)
        for outgoing in reply.files:
            await self.bot.send_document(
                chat_id=chat_id,
                document=BufferedInputFile(outgoing.data, filename=outgoing.name),
                caption=outgoing.caption[:1024] or None,
            )
        if not reply.text:
            return
        parts = split_text(reply.text)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await self.bot.send_message(
                chat_id=chat_id, text=part, reply_markup=keyboard(reply) if last else None
            )

    async def deliver(self, address: str, reply: Reply) -> str:
        """Send a message the bot sends on its own; the platform's message id. Errors become
        the channel-neutral ``DeliveryFailed`` kinds the sender acts on."""
        try:
            chat_id = int(address)
        except ValueError as error:
            raise PermanentFailure("Bad Request: chat not found") from error
        try:
            parts = split_text(reply.text)
            sent: Message | None = None
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                sent = await self.bot.send_message(
                    chat_id=chat_id, text=part, reply_markup=keyboard(reply) if last else None
                )
        except TelegramRetryAfter as error:
            raise RateLimited(float(error.retry_after), error.message) from error
        except TelegramForbiddenError as error:  # blocked by the user, user deactivated
            raise Unreachable(error.message) from error
        except TelegramBadRequest as error:  # chat not found, and other refusals
            raise PermanentFailure(error.message) from error
        except (TelegramNetworkError, TelegramServerError) as error:
            raise TransientFailure(str(error)) from error
        if sent is None:
            raise PermanentFailure("nothing to send")
        return str(sent.message_id)

    async def register_commands(self) -> None:
        for locale in ("id", "en"):
            commands = [
                BotCommand(command=name, description=description[:256])
                for name, description in self.engine.command_menu(locale)
            ]
            kwargs: dict[str, Any] = {"language_code": "en"} if locale == "en" else {}
            await self.bot.set_my_commands(commands, **kwargs)

    async def set_chat_commands(self, chat_id: int, role: Role, locale: str = "id") -> None:
        """The command menu of one chat, for a role other than applicant (an officer)."""
        commands = [
            BotCommand(command=name, description=description[:256])
            for name, description in self.engine.command_menu(locale, role)
        ]
        await self.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=chat_id))

    async def run(self, *, handle_signals: bool = True) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        await self.register_commands()
        await self.dispatcher.start_polling(
            self.bot,
            allowed_updates=["message", "callback_query"],
            handle_signals=handle_signals,
            close_bot_session=True,
        )

    async def stop(self) -> None:
        for key, timer in list(self._album_timers.items()):  # answer albums being collected
            timer.cancel()
            await self._flush_album(key, wait=False)
        await self.dispatcher.stop_polling()
