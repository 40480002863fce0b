"""A local fake of the Telegram Bot API HTTP server for tests.

The fake is a real aiohttp server on 127.0.0.1 with a random free port. Point aiogram at it with
``AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))``. Every call is checked against
the scraped official spec (``shared/specs/telegram-bot-api.json``); contract violations are
answered with 400 and listed in ``fake.errors`` so a test can end with ``assert fake.errors == []``.

    async with FakeTelegramAPI() as fake:
        session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
        bot = Bot(fake.token, session=session)
        ...  # start polling in a task
        fake.user_sends(chat_id, "/start")
        await fake.wait_idle()
        assert "Selamat" in fake.last_message(chat_id).text
        await bot.session.close()

Flood control is off by default. ``FakeTelegramAPI(flood_limits=FloodLimits())`` enforces the
real server's limits on message sends (about 30 per second per bot, 1 per second per private
chat, 20 per minute per group): a send over a limit is answered 429 ``Too Many Requests: retry
after N`` and not delivered. ``clock=ManualClock()`` makes the limits testable without waiting.
``fake.block_chat(chat_id, reason)`` makes a chat answer 403/400 to every call, like a user who
blocked the bot, a deleted account or an unknown chat.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import html
import itertools
import json
import math
import os
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiohttp import BodyPartReader, web

__all__ = [
    "SEND_METHODS",
    "BlockReason",
    "Call",
    "CallbackAnswer",
    "FakeTelegramAPI",
    "FloodLimits",
    "ManualClock",
    "SentMessage",
    "StoredFile",
    "Upload",
    "load_spec",
]

_SPEC_CANDIDATES = (
    Path(__file__).resolve().parents[3] / "shared" / "specs" / "telegram-bot-api.json",
)
_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_CHAT_ACTIONS = frozenset(
    {
        *("typing", "upload_photo", "record_video", "upload_video", "record_voice"),
        *("upload_voice", "upload_document", "choose_sticker", "find_location"),
        *("record_video_note", "upload_video_note"),
    }
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_TAG_RE = re.compile(r"<[^>]+>")
_HANDLER_TASKS = ("Dispatcher._process_update", "Dispatcher._process_with_semaphore")

# Methods that post new messages into a chat: these count against the flood limits. Edits,
# deletions, answerCallbackQuery, sendChatAction and draft streaming do not (Telegram's limits
# are on messages sent; edits have their own, much looser, undocumented limits).
SEND_METHODS = frozenset(
    {
        *("sendMessage", "sendPhoto", "sendLivePhoto", "sendAudio", "sendDocument"),
        *("sendVideo", "sendAnimation", "sendVoice", "sendVideoNote", "sendPaidMedia"),
        *("sendMediaGroup", "sendLocation", "sendVenue", "sendContact", "sendPoll"),
        *("sendChecklist", "sendDice", "sendSticker", "sendInvoice", "sendGame"),
        *("sendRichMessage", "copyMessage", "copyMessages", "forwardMessage", "forwardMessages"),
    }
)
BlockReason = Literal["blocked", "deactivated", "not_found"]
_BLOCK_ERRORS: dict[str, tuple[int, str]] = {
    "blocked": (403, "Forbidden: bot was blocked by the user"),
    "deactivated": (403, "Forbidden: user is deactivated"),
    "not_found": (400, "Bad Request: chat not found"),
}


# ---------------------------------------------------------------------------- spec


@dataclass(frozen=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]


@functools.cache
def load_spec() -> dict[str, MethodSpec]:
    """Methods of the Bot API keyed by lower-case name (method names are case-insensitive)."""
    env = os.environ.get("KPPS_TELEGRAM_SPEC")
    paths = [Path(env)] if env else list(_SPEC_CANDIDATES)
    path = next((p for p in paths if p.is_file()), None)
    if path is None:
        raise FileNotFoundError(f"Telegram Bot API spec not found in {paths}")
    raw = json.loads(path.read_text(encoding="utf-8"))
    methods: dict[str, MethodSpec] = {}
    for name, body in raw["methods"].items():
        fields = {
            f["name"]: FieldSpec(f["name"], tuple(f["types"]), bool(f["required"]))
            for f in body.get("fields", [])
        }
        methods[name.lower()] = MethodSpec(name, fields, tuple(body.get("returns", [])))
    return methods


def _coerce(value: Any, types: tuple[str, ...]) -> Any:
    """Decode a form/query string the way the Bot API does, guided by the field's types."""
    if not isinstance(value, str):
        return value
    if "Integer" in types:
        try:
            return int(value)
        except ValueError:
            if "String" in types:
                return value
            raise
    if "Float" in types:
        return float(value)
    if "Boolean" in types:
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise ValueError(f"not a boolean: {value!r}")
    if "String" in types or "InputFile" in types:
        return value
    return json.loads(value)  # objects and arrays are JSON-serialized


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _text_content(text: str) -> dict[str, Any]:
    """A user's text; commands get a bot_command entity, as the real API adds."""
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
    return content


def _visible_text(text: str, parse_mode: str | None) -> str:
    if parse_mode and parse_mode.lower() == "html":
        return html.unescape(_TAG_RE.sub("", text))
    return text


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's flood limits, for ``FakeTelegramAPI(flood_limits=...)``.

    At most ``per_bot`` messages in any ``window`` seconds over all chats, ``per_chat`` in any
    ``window`` seconds to one private chat (positive chat_id) and ``per_group`` in any
    ``group_window`` seconds to one group or channel (negative or @username chat_id). A
    sendMediaGroup counts one message per item, copyMessages/forwardMessages one per message_id.
    """

    per_bot: int = 30
    per_chat: int = 1
    window: float = 1.0
    per_group: int = 20
    group_window: float = 60.0
    methods: frozenset[str] = SEND_METHODS

    def __post_init__(self) -> None:
        if min(self.per_bot, self.per_chat, self.per_group) < 1:
            raise ValueError("flood limits must allow at least one message per window")
        if min(self.window, self.group_window) <= 0:
            raise ValueError("flood windows must be positive")


class ManualClock:
    """A monotonic clock that only moves when told to: ``FakeTelegramAPI(clock=ManualClock())``."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a monotonic clock does not go back")
        self.now += seconds


class _SlidingWindow:
    """A sliding-window log: the times of the sends accepted in the last ``window`` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.times: deque[float] = deque()

    def wait(self, now: float, cost: int) -> float:
        """Seconds until ``cost`` more sends fit in the window (0: they fit now)."""
        while self.times and self.times[0] <= now - self.window:
            self.times.popleft()
        excess = len(self.times) + min(cost, self.limit) - self.limit
        if excess <= 0:
            return 0.0
        return self.times[excess - 1] + self.window - now  # when enough old sends expire

    def record(self, now: float, cost: int) -> None:
        self.times.extend([now] * min(cost, self.limit))


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass
class Call:
    """One API call as received (params JSON-decoded, uploads as :class:`Upload`)."""

    method: str
    params: dict[str, Any]
    failed: bool = False
    status: int = 200
    at: float = field(default_factory=time.monotonic)


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes = field(repr=False)
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    def as_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc


@dataclass
class SentMessage:
    """A bot message as it looks now (edits applied)."""

    message_id: int
    chat_id: int
    date: int
    text: str | None = None  # visible text (HTML tags stripped)
    raw_text: str | None = None  # as sent
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    document: StoredFile | None = None
    caption: str | None = None
    edit_date: int | None = None

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [[(b.get("text", ""), b.get("callback_data")) for b in row] for row in rows]

    @property
    def keyboard(self) -> list[list[str]]:
        """Labels of a reply (non-inline) keyboard, if any."""
        rows = (self.reply_markup or {}).get("keyboard", [])
        return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in rows]

    def callback_data(self, label: str) -> str:
        """The callback_data of the first inline button whose label contains ``label``."""
        for row in self.buttons:
            for text, data in row:
                if label in text and data is not None:
                    return data
        raise AssertionError(f"no button {label!r} in message {self.message_id}: {self.buttons}")


@dataclass
class CallbackAnswer:
    callback_query_id: str
    text: str | None = None
    show_alert: bool = False
    url: str | None = None


@dataclass
class _Queued:
    update: dict[str, Any]
    forced: bool = False  # redelivered: returned whatever the offset
    fetched: bool = False


class _ApiError(Exception):
    def __init__(self, status: int, description: str, *, contract: bool = True) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.contract = contract  # a bug of the caller: goes into fake.errors


def _bad(description: str, *, contract: bool = True) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}", contract=contract)


# ---------------------------------------------------------------------------- the fake


class FakeTelegramAPI:
    """Fake Bot API server; use as ``async with FakeTelegramAPI() as fake:``."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        quiet: float = 0.05,
        first_update_id: int = 100_001,
        flood_limits: FloodLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``flood_limits``: enforce Telegram's send limits (off when None, the default).

        ``clock``: monotonic seconds used for ``Call.at`` and for the flood limits.
        """
        self.token = token
        bot_id = int(token.split(":", 1)[0])
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "KPPS Demo",
            "username": "kpps_demo_bot",
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.base_url = ""
        self.quiet = quiet
        self.calls: list[Call] = []
        self.errors: list[str] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.commands_by_scope: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.dropped_updates: list[dict[str, Any]] = []  # filtered out or dropped
        self.files: dict[str, StoredFile] = {}
        self._transcripts: dict[int, dict[int, SentMessage]] = {}
        self._user_messages: set[tuple[int, int]] = set()
        self._chats: dict[int, dict[str, Any]] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._ids = itertools.count(1)
        self._next_update_id = first_update_id
        self._updates: dict[int, dict[str, Any]] = {}
        self._queue: list[_Queued] = []
        self._confirmed = 0
        self._callbacks: dict[str, int] = {}  # callback_query id -> times answered
        self._failures: dict[str, list[tuple[int, int, str | None]]] = {}
        self.flood_limits = flood_limits
        self.clock = clock
        self.flood_rejections = 0  # 429s the flood limits answered (not fail_next ones)
        self.flood_rejections_by_chat: Counter[int | str] = Counter()
        self._bot_window: _SlidingWindow | None = None
        self._chat_windows: dict[int | str, _SlidingWindow] = {}
        self._blocked: dict[int | str, BlockReason] = {}
        self._waiters: set[asyncio.Future[None]] = set()
        self._poll_generation = 0
        self._awaiting_poll = False
        self._inflight = 0
        self._last_activity = 0.0
        self._closing = False
        self._runner: web.AppRunner | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        load_spec()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        self._touch()

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegramAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- test-facing inspection --------------------------------------------------------------

    @property
    def commands(self) -> list[dict[str, Any]]:
        """Commands set for the default scope without a language code."""
        return self.commands_by_scope.get(("default", ""), [])

    def messages(self, chat_id: int) -> list[SentMessage]:
        """The bot's messages in the chat as they look now (snapshots, oldest first)."""
        return [copy.copy(m) for m in self._transcripts.get(chat_id, {}).values()]

    def last_message(self, chat_id: int) -> SentMessage:
        msgs = self.messages(chat_id)
        if not msgs:
            raise AssertionError(f"the bot has no message in chat {chat_id}\n{self.dump()}")
        return msgs[-1]

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def unanswered_callbacks(self) -> list[str]:
        return [cid for cid, n in self._callbacks.items() if n == 0]

    def add_file(
        self,
        data: bytes,
        *,
        file_unique_id: str | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        file_path: str | None = None,
    ) -> str:
        """Register a file the bot can getFile/download; returns its file_id."""
        n = next(self._ids)
        file_id = f"FILE{n:06d}-{file_unique_id or n}"
        suffix = Path(file_name).suffix if file_name else ""
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=file_unique_id or f"U{n:06d}",
            data=bytes(data),
            file_path=file_path or f"documents/file_{n}{suffix}",
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[file_id] = stored
        return file_id

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Fail the next ``times`` valid calls of ``method`` (status 0 = drop the connection)."""
        self._failures.setdefault(method.lower(), []).extend(
            [(status, retry_after, description)] * times
        )

    def block_chat(self, chat_id: int | str, reason: BlockReason = "blocked") -> None:
        """Answer every later call with this chat_id like the real API does, until unblocked.

        ``blocked``: 403 "Forbidden: bot was blocked by the user"; ``deactivated``: 403
        "Forbidden: user is deactivated"; ``not_found``: 400 "Bad Request: chat not found".
        These calls are failed (``Call.failed``) but not contract errors, and take no flood slot.
        """
        if reason not in _BLOCK_ERRORS:
            raise ValueError(f"unknown block reason {reason!r}; use one of {sorted(_BLOCK_ERRORS)}")
        self._blocked[chat_id] = reason

    def unblock_chat(self, chat_id: int | str) -> None:
        self._blocked.pop(chat_id, None)

    def accepted_sends(self, chat_id: int | str | None = None) -> list[Call]:
        """Message sends that were delivered (``Call.at`` is when), optionally to one chat."""
        methods = self.flood_limits.methods if self.flood_limits else SEND_METHODS
        return [
            c
            for c in self.calls
            if c.method in methods
            and not c.failed
            and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    def dump(self, last: int = 25) -> str:
        lines = [f"recent calls ({len(self.calls)} in total):"]
        for i, c in enumerate(self.calls[-last:], start=max(0, len(self.calls) - last)):
            flag = f" FAILED {c.status}" if c.failed else ""
            lines.append(f"  #{i} {c.method}{flag} {json.dumps(c.params, default=repr)[:300]}")
        pending = [q.update["update_id"] for q in self._queue if not q.fetched]
        lines.append(f"unfetched updates: {pending}; errors: {self.errors}")
        return "\n".join(lines)

    # -- waiting -----------------------------------------------------------------------------

    async def wait_for_call(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
        predicate: Callable[[Call], bool] | None = None,
        *,
        since: int = 0,
    ) -> list[Call]:
        """Wait until ``count`` calls of ``method`` (from ``calls[since:]``) match."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [
                c
                for c in self.calls[since:]
                if c.method.lower() == method.lower() and (predicate is None or predicate(c))
            ]
            if len(found) >= count:
                return found
            if loop.time() >= deadline:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {count} {method} call(s), "
                    f"got {len(found)}\n{self.dump()}"
                )
            await asyncio.sleep(0.005)

    async def wait_idle(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109
        quiet: float | None = None,
    ) -> None:
        """Wait until the bot has handled everything that was enqueued.

        Idle means: every enqueued update was fetched by getUpdates, the bot came back to
        getUpdates after the last non-empty batch, no API request is being served, no aiogram
        handler task (``Dispatcher._process_update``) of this event loop is running, and no API
        call happened for ``quiet`` seconds (default ``self.quiet``, 50 ms).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        quiet = self.quiet if quiet is None else quiet
        while True:
            reason = self._busy_reason(loop.time(), quiet)
            if reason is None:
                return
            if loop.time() >= deadline:
                raise AssertionError(
                    f"wait_idle timed out after {timeout}s: {reason}\n{self.dump()}"
                )
            await asyncio.sleep(0.005)

    def _busy_reason(self, now: float, quiet: float) -> str | None:
        if any(not q.fetched for q in self._queue):
            return "updates not fetched by getUpdates yet"
        if self._inflight:
            return f"{self._inflight} API request(s) in flight"
        if self._awaiting_poll:
            return "the bot has not come back to getUpdates after the last batch"
        for task in asyncio.all_tasks():
            coro = task.get_coro()
            if not task.done() and getattr(coro, "__qualname__", "") in _HANDLER_TASKS:
                return "an aiogram handler task is still running"
        if now - self._last_activity < quiet:
            return "the bot made an API call during the quiet period"
        return None

    def _touch(self) -> None:
        self._last_activity = asyncio.get_running_loop().time()

    # -- user actions (enqueue updates) ------------------------------------------------------

    def push_update(self, raw: dict[str, Any]) -> int:
        """Deliver an arbitrary update (an update_id is assigned if missing)."""
        update = copy.deepcopy(raw)
        update.setdefault("update_id", self._next_update_id)
        update_id = int(update["update_id"])
        self._next_update_id = max(self._next_update_id, update_id + 1)
        self._updates[update_id] = update
        if "callback_query" in update:
            self._callbacks.setdefault(str(update["callback_query"]["id"]), 0)
        forced = update_id < self._confirmed
        self._queue.append(_Queued(copy.deepcopy(update), forced=forced))
        self._notify()
        return update_id

    def redeliver(self, update_id: int) -> int:
        """Put an already-delivered update back in the queue unchanged (same update_id)."""
        if update_id not in self._updates:
            raise AssertionError(f"unknown update_id {update_id}")
        self._queue.append(_Queued(copy.deepcopy(self._updates[update_id]), forced=True))
        self._notify()
        return update_id

    def user_sends(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Warga",
        language_code: str = "id",
    ) -> int:
        content = _text_content(text)
        return self._user_message(chat_id, content, user_id, first_name, language_code)

    def user_sends_sticker(self, chat_id: int, *, user_id: int | None = None) -> int:
        n = next(self._ids)
        sticker = {
            "file_id": f"STICKER{n}",
            "file_unique_id": f"S{n}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "\U0001f44d",
            "file_size": 24_000,
        }
        return self._user_message(chat_id, {"sticker": sticker}, user_id)

    def user_sends_photo(
        self,
        chat_id: int,
        *,
        file_id: str | None = None,
        sizes: Sequence[tuple[int, int]] = ((90, 67), (320, 240), (1280, 960)),
        caption: str | None = None,
        user_id: int | None = None,
        media_group_id: str | None = None,
    ) -> int:
        """A photo; ``file_id`` is used for the largest size (the last one)."""
        n = next(self._ids)
        photo = [
            {
                "file_id": f"PHOTO{n}-{i}" if file_id is None or i < len(sizes) - 1 else file_id,
                "file_unique_id": f"P{n}-{i}",
                "width": w,
                "height": h,
                "file_size": w * h // 8,
            }
            for i, (w, h) in enumerate(sizes)
        ]
        if file_id in self.files:
            photo[-1]["file_size"] = len(self.files[file_id].data)
        content: dict[str, Any] = {"photo": photo}
        if caption:
            content["caption"] = caption
        if media_group_id:
            content["media_group_id"] = media_group_id
        return self._user_message(chat_id, content, user_id)

    def user_sends_document(
        self,
        chat_id: int,
        file_id: str,
        file_name: str,
        mime_type: str,
        file_size: int | None = None,
        *,
        caption: str | None = None,
        user_id: int | None = None,
    ) -> int:
        stored = self.files.get(file_id)
        size = file_size if file_size is not None else len(stored.data) if stored else 0
        document = {
            "file_id": file_id,
            "file_unique_id": stored.file_unique_id if stored else f"D{next(self._ids)}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": size,
        }
        content: dict[str, Any] = {"document": document}
        if caption:
            content["caption"] = caption
        return self._user_message(chat_id, content, user_id)

    def user_sends_contact(
        self,
        chat_id: int,
        phone_number: str,
        *,
        user_id: int | None = None,
        first_name: str = "Warga",
        contact_user_id: int | None = None,
    ) -> int:
        """Share a contact; by default the user's own (contact.user_id == from.id)."""
        uid = chat_id if user_id is None else user_id
        contact = {
            "phone_number": phone_number,
            "first_name": first_name,
            "user_id": uid if contact_user_id is None else contact_user_id,
        }
        return self._user_message(chat_id, {"contact": contact}, user_id, first_name)

    def user_sends_group_message(
        self, chat_id: int, text: str, *, user_id: int = 424242, first_name: str = "Warga"
    ) -> int:
        self._chats[chat_id] = {"id": chat_id, "type": "group", "title": "Grup Uji"}
        return self._user_message(chat_id, _text_content(text), user_id, first_name)

    def user_presses(self, chat_id: int, callback_data: str, message_id: int | None = None) -> int:
        """Press an inline button of a current bot message; returns the update_id."""
        msgs = self.messages(chat_id)
        if message_id is not None:
            msgs = [m for m in msgs if m.message_id == message_id]
        holder = next(
            (m for m in reversed(msgs) if any(d == callback_data for r in m.buttons for _, d in r)),
            None,
        )
        if holder is None:
            current = {m.message_id: m.buttons for m in self.messages(chat_id)}
            raise AssertionError(
                f"no current bot message in chat {chat_id} has a button with callback_data "
                f"{callback_data!r} (message_id={message_id}); buttons now: {current}"
            )
        query_id = f"{chat_id}{next(self._ids):08d}"
        query = {
            "id": query_id,
            "from": self._user(chat_id, chat_id),
            "message": self._message_obj(holder),
            "chat_instance": f"-{abs(chat_id) * 7919 % 10**12}",
            "data": callback_data,
        }
        return self.push_update({"callback_query": query})

    def _user(
        self, chat_id: int, user_id: int | None, first_name: str | None = None
    ) -> dict[str, Any]:
        uid = chat_id if user_id is None else user_id
        chat = self._chats.get(chat_id, {})
        name = first_name or (chat.get("first_name") if chat.get("type") == "private" else None)
        return {"id": uid, "is_bot": False, "first_name": name or "Warga", "language_code": "id"}

    def _user_message(
        self,
        chat_id: int,
        content: dict[str, Any],
        user_id: int | None,
        first_name: str | None = None,
        language_code: str = "id",
    ) -> int:
        chat = self._chat(chat_id, first_name)
        if chat["type"] == "private" and first_name:
            chat["first_name"] = first_name
        user = self._user(chat_id, user_id, first_name)
        user["language_code"] = language_code
        message_id = self._next_message_id(chat_id)
        self._user_messages.add((chat_id, message_id))
        message = {
            "message_id": message_id,
            "from": user,
            "chat": dict(chat),
            "date": int(time.time()),
            **content,
        }
        return self.push_update({"message": message})

    def _chat(self, chat_id: int, first_name: str | None = None) -> dict[str, Any]:
        if chat_id not in self._chats:
            self._chats[chat_id] = {
                "id": chat_id,
                "type": "private",
                "first_name": first_name or "Warga",
            }
        return self._chats[chat_id]

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _notify(self) -> None:
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)
        self._waiters.clear()

    # -- HTTP layer --------------------------------------------------------------------------

    @staticmethod
    def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        self._touch()
        path = request.match_info["path"]
        stored = next((f for f in self.files.values() if f.file_path == path), None)
        if request.match_info["token"] != self.token or stored is None:
            return self._error(404, "Not Found")
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        self._inflight += 1
        self._touch()
        try:
            return await self._serve(request)
        finally:
            self._inflight = max(0, self._inflight - 1)
            self._touch()

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        spec = load_spec().get(name.lower())
        if request.match_info["token"] != self.token:
            self.errors.append(f"{name}: called with a wrong token")
            return self._error(401, "Unauthorized")
        if spec is None:
            self.calls.append(Call(name, {}, failed=True, status=404))
            return self._error(404, "Not Found")
        body_error: _ApiError | None = None
        try:
            raw, uploads = await self._read_body(request)
        except ValueError as exc:  # includes json.JSONDecodeError
            raw, uploads, body_error = {}, {}, _bad(f"can't parse the request body: {exc}")
        call = Call(spec.name, {}, at=self.clock())
        self.calls.append(call)  # from here on no await: the call is handled atomically
        try:
            if body_error is not None:
                raise body_error
            call.params = self._decode(spec, raw, uploads)
            self._check_limits(spec.name, call.params)
        except _ApiError as err:
            return self._reject(call, err)
        if failure := self._take_failure(spec.name):
            return self._inject(call, request, *failure)
        if (reason := self._blocked.get(call.params.get("chat_id", ""))) is not None:
            return self._reject(call, _ApiError(*_BLOCK_ERRORS[reason], contract=False))
        flood = self._flood_windows(call)
        if flood and (retry_after := self._flood_retry_after(call, flood)) is not None:
            return self._flood_reject(call, retry_after)
        if spec.name == "getUpdates":
            self._inflight -= 1  # a long poll is not the bot being busy
            try:
                return web.json_response({"ok": True, "result": await self._get_updates(call)})
            finally:
                self._inflight += 1
        try:
            result = self._perform(spec, call.params)
        except _ApiError as err:
            return self._reject(call, err)
        for window, cost in flood:
            window.record(call.at, cost)  # only a delivered send takes a slot
        return web.json_response({"ok": True, "result": result})

    # -- flood control -----------------------------------------------------------------------

    def _flood_windows(self, call: Call) -> list[tuple[_SlidingWindow, int]]:
        """The windows a call counts in, with its cost in messages; [] if not limited."""
        limits = self.flood_limits
        if limits is None or call.method not in limits.methods:
            return []
        p = call.params
        items = p.get("media") if call.method == "sendMediaGroup" else p.get("message_ids")
        cost = max(1, len(items)) if isinstance(items, list) else 1
        if self._bot_window is None:
            self._bot_window = _SlidingWindow(limits.per_bot, limits.window)
        windows = [(self._bot_window, cost)]
        chat_id = p.get("chat_id")
        if isinstance(chat_id, int | str):
            if chat_id not in self._chat_windows:
                # a known chat by its type, else by its id: users are positive, groups negative
                known = self._chats.get(chat_id) if isinstance(chat_id, int) else None
                private = (
                    known["type"] == "private"
                    if known
                    else isinstance(chat_id, int) and chat_id > 0
                )
                self._chat_windows[chat_id] = (
                    _SlidingWindow(limits.per_chat, limits.window)
                    if private
                    else _SlidingWindow(limits.per_group, limits.group_window)
                )
            windows.append((self._chat_windows[chat_id], cost))
        return windows

    @staticmethod
    def _flood_retry_after(call: Call, windows: list[tuple[_SlidingWindow, int]]) -> int | None:
        """Whole seconds (>= 1) until every window has room for the call; None if it fits."""
        wait = max(window.wait(call.at, cost) for window, cost in windows)
        if wait <= 0:
            return None
        return max(1, math.ceil(round(wait, 6)))  # round: float noise must not add a second

    def _flood_reject(self, call: Call, retry_after: int) -> web.Response:
        call.failed, call.status = True, 429
        self.flood_rejections += 1
        chat_id = call.params.get("chat_id")
        if isinstance(chat_id, int | str):
            self.flood_rejections_by_chat[chat_id] += 1
        return self._error(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def _reject(self, call: Call, err: _ApiError) -> web.Response:
        call.failed, call.status = True, err.status
        if err.contract:
            self.errors.append(f"{call.method}: {err.description}")
        return self._error(err.status, err.description)

    def _take_failure(self, method: str) -> tuple[int, int, str | None] | None:
        pending = self._failures.get(method.lower())
        return pending.pop(0) if pending else None

    def _inject(
        self, call: Call, request: web.Request, status: int, retry_after: int, desc: str | None
    ) -> web.StreamResponse:
        call.failed, call.status = True, status
        if status == 0:
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPServiceUnavailable()  # never reaches the client: connection is gone
        if status == 429:
            return self._error(
                429, desc or f"Too Many Requests: retry after {retry_after}", retry_after
            )
        return self._error(status, desc or _DESCRIPTIONS.get(status, "Internal Server Error"))

    @staticmethod
    async def _read_body(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
        raw: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.method != "POST" or not request.can_read_body:
            return raw, uploads
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("the JSON body must be an object")
            raw.update(body)
        elif request.content_type == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    ctype = part.headers.get("Content-Type", "application/octet-stream")
                    uploads[part.name] = Upload(part.filename, ctype, bytes(await part.read()))
                else:
                    raw[part.name] = await part.text()
        else:
            raw.update((k, v) for k, v in (await request.post()).items() if isinstance(v, str))
        return raw, uploads

    @staticmethod
    def _decode(
        spec: MethodSpec, raw: dict[str, Any], uploads: dict[str, Upload]
    ) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for key, value in raw.items():
            fspec = spec.fields.get(key)
            if fspec is None:
                raise _bad(f"unknown parameter {key!r} for {spec.name}")
            if isinstance(value, str) and value.startswith("attach://"):
                if value[9:] not in uploads:
                    raise _bad(f"file {value!r} of {key!r} was not uploaded")
                params[key] = uploads[value[9:]]
                continue
            try:
                params[key] = _coerce(value, fspec.types)
            except ValueError as exc:
                raise _bad(f"can't parse {key!r} as {'/'.join(fspec.types)}: {exc}") from None
        for key, upload in uploads.items():
            if key in spec.fields and key not in params:
                params[key] = upload
        missing = [f.name for f in spec.fields.values() if f.required and f.name not in params]
        if missing:
            raise _bad(f"required parameter(s) {', '.join(missing)} missing for {spec.name}")
        return params

    @staticmethod
    def _check_limits(method: str, params: dict[str, Any]) -> None:
        if "text" in params and method in ("sendMessage", "editMessageText"):
            text = _visible_text(str(params["text"]), params.get("parse_mode"))
            if not text.strip():
                raise _bad("message text is empty")
            if _utf16_len(text) > 4096:
                raise _bad(f"message is too long ({_utf16_len(text)} > 4096 characters)")
        caption = params.get("caption")
        if isinstance(caption, str) and _utf16_len(caption) > 1024:
            raise _bad("message caption is too long")
        if method == "answerCallbackQuery" and len(params.get("text") or "") > 200:
            raise _bad("callback answer text is longer than 200 characters")
        markup = params.get("reply_markup")
        if markup is not None and not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if not str(button.get("text", "")).strip():
                    raise _bad("inline keyboard button text must be non-empty")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise _bad(
                        f"BUTTON_DATA_INVALID: callback_data {data!r} is "
                        f"{len(str(data).encode())} bytes (1..64 allowed)"
                    )
        if method == "setMyCommands":
            for cmd in params.get("commands") or []:
                desc = str(cmd.get("description", ""))
                if not _COMMAND_RE.match(str(cmd.get("command", ""))) or not 1 <= len(desc) <= 256:
                    raise _bad(f"BOT_COMMAND_INVALID: {cmd!r}")

    # -- methods -----------------------------------------------------------------------------

    def _perform(self, spec: MethodSpec, p: dict[str, Any]) -> Any:
        handler = getattr(self, f"_m_{spec.name}", None)
        if handler is not None:
            return handler(p)
        if spec.returns == ("Boolean",):
            return True  # close, logOut and harmless setters (setMyDescription, ...)
        raise _ApiError(501, f"Not Implemented: the fake does not support {spec.name}")

    def _m_getMe(self, p: dict[str, Any]) -> Any:
        return self.bot_user

    def _m_deleteWebhook(self, p: dict[str, Any]) -> Any:
        if p.get("drop_pending_updates"):
            self.dropped_updates.extend(q.update for q in self._queue)
            self._queue = []
        return True

    def _m_setMyCommands(self, p: dict[str, Any]) -> Any:
        key = ((p.get("scope") or {}).get("type", "default"), p.get("language_code") or "")
        self.commands_by_scope[key] = list(p["commands"])
        return True

    def _m_getMyCommands(self, p: dict[str, Any]) -> Any:
        key = ((p.get("scope") or {}).get("type", "default"), p.get("language_code") or "")
        return self.commands_by_scope.get(key, self.commands_by_scope.get(("default", ""), []))

    def _m_sendMessage(self, p: dict[str, Any]) -> Any:
        msg = self._new_message(p)
        msg.raw_text, msg.parse_mode = p["text"], p.get("parse_mode")
        msg.text = _visible_text(p["text"], msg.parse_mode)
        return self._message_obj(msg)

    def _m_sendDocument(self, p: dict[str, Any]) -> Any:
        doc = p["document"]
        if isinstance(doc, Upload):
            file_id = self.add_file(doc.data, file_name=doc.filename, mime_type=doc.content_type)
        elif doc in self.files:
            file_id = doc
        elif doc.startswith(("http://", "https://")):
            file_id = self.add_file(b"", file_name=doc.rsplit("/", 1)[-1])
        else:
            raise _bad("wrong file identifier/HTTP URL specified")
        msg = self._new_message(p)
        msg.document = self.files[file_id]
        msg.caption = p.get("caption")
        return self._message_obj(msg)

    def _m_editMessageText(self, p: dict[str, Any]) -> Any:
        msg = self._find_message(p, "edit")
        if "text" not in p:
            raise _bad("text is required to edit a message text")
        if msg.text is None:
            raise _bad("there is no text in the message to edit")
        visible = _visible_text(p["text"], p.get("parse_mode"))
        markup = p.get("reply_markup")
        if visible == msg.text and markup == msg.reply_markup:
            raise _bad(
                "message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message",
                contract=False,
            )
        msg.text, msg.raw_text, msg.parse_mode = visible, p["text"], p.get("parse_mode")
        msg.reply_markup = markup
        msg.edit_date = int(time.time())
        return self._message_obj(msg)

    def _m_editMessageReplyMarkup(self, p: dict[str, Any]) -> Any:
        msg = self._find_message(p, "edit")
        if p.get("reply_markup") == msg.reply_markup:
            raise _bad("message is not modified", contract=False)
        msg.reply_markup = p.get("reply_markup")
        msg.edit_date = int(time.time())
        return self._message_obj(msg)

    def _m_deleteMessage(self, p: dict[str, Any]) -> Any:
        chat_id, message_id = p["chat_id"], p["message_id"]
        if (chat_id, message_id) in self._user_messages:
            self._user_messages.discard((chat_id, message_id))
            return True
        self._find_message(p, "delete")
        del self._transcripts[chat_id][message_id]
        return True

    def _m_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        query_id = p["callback_query_id"]
        if self._callbacks.get(query_id, 1) >= 1:
            raise _bad(
                "query is too old and response timeout expired or query ID is invalid "
                f"({query_id!r} unknown or already answered)"
            )
        self._callbacks[query_id] += 1
        self.callback_answers.append(
            CallbackAnswer(query_id, p.get("text"), bool(p.get("show_alert")), p.get("url"))
        )
        return True

    def _m_sendChatAction(self, p: dict[str, Any]) -> Any:
        if p["action"] not in _CHAT_ACTIONS:
            raise _bad(f"wrong parameter action in request: {p['action']!r}")
        return True

    def _m_getFile(self, p: dict[str, Any]) -> Any:
        stored = self.files.get(p["file_id"])
        if stored is None:
            raise _bad(f"invalid file_id {p['file_id']!r}")
        result = stored.as_document()
        result.pop("file_name", None)
        result.pop("mime_type", None)
        return {**result, "file_path": stored.file_path}

    def _new_message(self, p: dict[str, Any]) -> SentMessage:
        chat_id = p["chat_id"]
        if not isinstance(chat_id, int):
            raise _bad("chat not found")
        markup = p.get("reply_markup")
        msg = SentMessage(
            message_id=self._next_message_id(chat_id),
            chat_id=chat_id,
            date=int(time.time()),
            reply_markup=markup,
        )
        self._chat(chat_id)
        self._transcripts.setdefault(chat_id, {})[msg.message_id] = msg
        return msg

    def _find_message(self, p: dict[str, Any], action: str) -> SentMessage:
        if "inline_message_id" in p:
            raise _bad("inline messages are not supported by the fake")
        if "chat_id" not in p or "message_id" not in p:
            raise _bad("chat_id and message_id are required")
        msg = self._transcripts.get(p["chat_id"], {}).get(p["message_id"])
        if msg is None:
            raise _bad(f"message to {action} not found")
        return msg

    def _message_obj(self, msg: SentMessage) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": self.bot_user,
            "chat": dict(self._chat(msg.chat_id)),
            "date": msg.date,
        }
        if msg.edit_date is not None:
            obj["edit_date"] = msg.edit_date
        if msg.text is not None:
            obj["text"] = msg.text
        if msg.document is not None:
            obj["document"] = msg.document.as_document()
        if msg.caption:
            obj["caption"] = msg.caption
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            obj["reply_markup"] = msg.reply_markup
        return obj

    # -- getUpdates --------------------------------------------------------------------------

    async def _get_updates(self, call: Call) -> list[dict[str, Any]]:
        p = call.params
        self._poll_generation += 1
        generation = self._poll_generation
        self._awaiting_poll = False
        self._notify()  # an older long poll is superseded and answers []
        self._confirm(p.get("offset"))
        allowed = set(p.get("allowed_updates") or [])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0, int(p.get("timeout") or 0))
        while True:
            if self._closing or generation != self._poll_generation:
                return []
            batch = self._select(int(p.get("limit") or 100), allowed)
            if batch or loop.time() >= deadline:
                break
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.add(fut)
            try:
                await asyncio.wait_for(fut, deadline - loop.time())
            except TimeoutError:
                pass
            finally:
                self._waiters.discard(fut)
        self._awaiting_poll = bool(batch)
        self._touch()
        return batch

    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self._queue = self._queue[offset:]
            return
        self._confirmed = max(self._confirmed, offset)
        self._queue = [q for q in self._queue if q.forced or q.update["update_id"] >= offset]

    def _select(self, limit: int, allowed: set[str]) -> list[dict[str, Any]]:
        if allowed:
            for q in [q for q in self._queue if not allowed & q.update.keys()]:
                self._queue.remove(q)
                self.dropped_updates.append(q.update)
        chosen = self._queue[: max(1, min(limit, 100))]
        for q in chosen:
            q.fetched = True
        self._queue = [q for q in self._queue if not (q.forced and q.fetched)]
        return [copy.deepcopy(q.update) for q in chosen]
