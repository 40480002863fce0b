"""WhatsApp adapter: the Cloud API webhook on the bot's own aiohttp server, and a thin client.

The webhook (``WEBHOOK_PATH``):

* ``GET`` is Meta's verification: ``hub.mode=subscribe`` with our verify token gets the
  ``hub.challenge`` back (200), anything else 403.
* ``POST`` carries updates. ``X-Hub-Signature-256`` (``sha256=`` HMAC-SHA256 of the raw body
  with the app secret) is checked with ``hmac.compare_digest`` before anything is read:
  missing → 401, wrong → 403, nothing processed. A signed body is recorded (encrypted) in
  ``whatsapp_inbox`` *before* the 200, then processed in a background task and deleted;
  bodies still recorded at start (a crash) are processed then. A message id already handled
  is dropped by the engine's delivery table (``processed_updates``), so Meta's redeliveries
  and a body processed twice after a crash are answered once.

A person is identified by their business-scoped user id (``contacts[].user_id``) when the
payload has one, else by their number (``wa_id`` / ``from``). The number is what the Cloud
API sends to (``to``; v23.0 declares nothing else), so the number seen with a user id is kept
(``whatsapp_contacts``). ``system`` messages re-point an identity: ``user_changed_number``
(new number in ``system.wa_id``) and ``user_changed_user_id`` (new id in
``system.user_id``). Status webhooks (sent, delivered, read, failed) of the messages the
outbox sent are recorded on their outbox row, never moving backwards.

Why our own client and not pywa (``pywa_async``): pywa has no setting for the Graph API base
URL (only an ``httpx.AsyncClient`` can be given), parses updates into its own types and
silently drops what it cannot parse (a new payload field or message type would vanish without
a trace), keeps duplicates in memory only and needs the current payload shape with
``contacts[].user_id``. What we need of the Cloud API is four calls (send, upload, media
metadata, media download) and one error shape; aiohttp is already a dependency (it also
serves the webhook), so the client is a page of code and the payload is read as plain JSON
where a missing field is a decision of ours, not of a library.

The customer service window: every message a person sends is recorded
(``whatsapp_windows``, by the identity's keyed hash, at the message's own timestamp). The
channel is ``Windowed`` for the outbox sender: ``window_open`` says whether a free-form
message may still go (24 hours after the person last wrote, less a safety margin),
``template_for`` / ``deliver_template`` send the approved template of a message
(``bot/data/whatsapp-templates.yaml``, see ``whatsapp_templates``) outside it. A free-form
message Meta accepted and then reported ``failed`` with 131047 (status webhook) is queued
again, and the person's window forgotten, so the sender sends its template once.

Errors are classified by Graph code into the channel-neutral ``DeliveryFailed`` kinds of
``bot.channels.common`` (see ``classify``). Nothing logged names a number, user id or token.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels import whatsapp_layout
from bot.channels.common import (
    ChannelMisconfigured,
    DeliveryFailed,
    OutsideReplyWindow,
    PermanentFailure,
    RateLimited,
    TransientFailure,
    Unreachable,
    parse_page_id,
)
from bot.channels.flood import FloodGate, is_bulk
from bot.channels.whatsapp_templates import Templates
from handlers.engine import Engine
from handlers.messages import Attachment, Incoming, Kind, OutgoingFile, Reply
from storage.domain import OutgoingMessage
from storage.models import utcnow
from storage.repositories import Repos

CHANNEL = "whatsapp"
WEBHOOK_PATH = "/webhook"
SIGNATURE_HEADER = "X-Hub-Signature-256"
DOWNLOAD_LIMIT = 100 * 1024 * 1024  # the Cloud API's largest media file (documents)
RATE = 80.0  # messages per second per business phone number (Cloud API default throughput)
PAIR_INTERVAL = 6.0  # seconds between bulk messages to one person (Meta's pair rate limit)
WINDOW = timedelta(hours=24)  # the customer service window after a person's message
WINDOW_MARGIN = timedelta(minutes=10)  # a message must arrive before the window closes
MAX_BODY = 3 * 1024 * 1024  # a webhook body is small; more is refused by the server
log = logging.getLogger(__name__)

# Graph error codes (Meta's "Error codes" reference) and what they mean to the sender.
WINDOW_CLOSED = frozenset({131047})  # more than 24 h since the person wrote: a template only
RATE_LIMITS = {  # code → seconds to wait (the Cloud API sends no Retry-After)
    130429: 60.0,  # throughput of the phone number reached
    131056: 6.0,  # pair rate limit: too many messages to one person
    80007: 60.0,  # the WhatsApp Business Account's rate limit
    131048: 300.0,  # spam rate limit
}
PAIR_LIMITS = frozenset({131056})  # one person's limit: only their chat slows down
UNREACHABLE = frozenset({131026, 131049, 131050})  # not on WhatsApp / not delivered / opted out
AUTH = frozenset({190})  # the access token is invalid or expired
TRANSIENT = frozenset({1, 2, 131000, 131016, 133004})  # unknown / service / temporarily down


class GraphError(Exception):
    """The Graph API's error object ``{"error": {message, type, code, error_subcode,
    fbtrace_id}}`` with the HTTP status."""

    def __init__(
        self,
        status: int,
        code: int | None,
        message: str,
        *,
        subcode: int | None = None,
        kind: str = "",
        trace: str = "",
    ) -> None:
        super().__init__(f"{status} (#{code}) {message}")
        self.status = status
        self.code = code
        self.message = message
        self.subcode = subcode
        self.kind = kind
        self.trace = trace

    @classmethod
    def from_body(cls, status: int, body: Any) -> GraphError:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return cls(status, None, f"HTTP {status}")
        code = error.get("code")
        subcode = error.get("error_subcode")
        return cls(
            status,
            code if isinstance(code, int) else None,
            str(error.get("message", ""))[:300],
            subcode=subcode if isinstance(subcode, int) else None,
            kind=str(error.get("type", "")),
            trace=str(error.get("fbtrace_id", "")),
        )


def classify(error: GraphError | aiohttp.ClientError | TimeoutError) -> Exception:
    """The channel-neutral failure a Cloud API error means (``ChannelMisconfigured`` for a
    bad token: no message is at fault, so none is marked failed for it)."""
    if not isinstance(error, GraphError):
        return TransientFailure(f"network: {type(error).__name__}")
    reason = f"whatsapp #{error.code}: {error.message}"[:300]
    code = error.code
    if code in AUTH or error.status == 401:
        return ChannelMisconfigured(
            "the WhatsApp access token is invalid or expired (Graph code 190): "
            "set a valid KPPS_WHATSAPP_ACCESS_TOKEN"
        )
    if code in WINDOW_CLOSED:
        return OutsideReplyWindow(reason)
    if code in RATE_LIMITS:
        return RateLimited(RATE_LIMITS[code], reason)
    if error.status == 429:
        return RateLimited(60.0, reason)
    if code in UNREACHABLE:
        return Unreachable(reason)
    if code in TRANSIENT or error.status >= 500:
        return TransientFailure(reason)
    return PermanentFailure(reason)


@dataclass(frozen=True)
class MediaInfo:
    url: str
    mime: str | None
    size: int | None


class GraphClient:
    """The four Cloud API calls the bot makes, over one aiohttp session."""

    def __init__(
        self,
        *,
        token: str,
        phone_number_id: str,
        api_base: str = "https://graph.facebook.com",
        version: str = "v23.0",
        timeout: float = 30.0,
    ) -> None:
        self._token = token
        self.phone_number_id = phone_number_id
        self.root = f"{api_base.rstrip('/')}/{version.strip('/')}"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, headers={"Authorization": f"Bearer {self._token}"}
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _json(self, response: aiohttp.ClientResponse) -> Any:
        try:
            body = await response.json(content_type=None)
        except (json.JSONDecodeError, aiohttp.ContentTypeError, UnicodeDecodeError):
            body = None
        if response.status >= 400 or not isinstance(body, dict):
            raise GraphError.from_body(response.status, body)
        return body

    async def send(self, body: dict[str, Any]) -> str:
        """POST one message; the ``wamid`` of the message sent."""
        url = f"{self.root}/{self.phone_number_id}/messages"
        async with self.session.post(url, json=body) as response:
            answer = await self._json(response)
        messages = answer.get("messages") or [{}]
        return str(messages[0].get("id", ""))

    async def upload(self, data: bytes, *, name: str, mime: str) -> str:
        """Upload a file to send (multipart); its media id."""
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime)
        form.add_field("file", data, filename=name, content_type=mime)
        url = f"{self.root}/{self.phone_number_id}/media"
        async with self.session.post(url, data=form) as response:
            answer = await self._json(response)
        return str(answer["id"])

    async def media_info(self, media_id: str) -> MediaInfo:
        """The short-lived download URL, type and size of a media file a person sent."""
        async with self.session.get(f"{self.root}/{media_id}") as response:
            answer = await self._json(response)
        size = answer.get("file_size")
        try:
            declared = int(size) if size is not None else None  # a string in the spec
        except (TypeError, ValueError):
            declared = None
        return MediaInfo(str(answer["url"]), answer.get("mime_type"), declared)

    async def download(self, url: str, *, limit: int = DOWNLOAD_LIMIT) -> bytes:
        """The bytes behind a media URL (the bearer token is required there too); never more
        than ``limit``."""
        async with self.session.get(url) as response:
            if response.status >= 400:
                raise GraphError.from_body(response.status, None)
            data = await response.content.read(limit + 1)
        if len(data) > limit:
            raise GraphError(413, None, "media file larger than the download limit")
        return data


# -- incoming -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sender:
    """Who wrote: the identity the engine knows them by, and the number to answer to."""

    chat_id: str
    number: str | None
    user_id: str | None


def sender_of(message: dict[str, Any], contacts: list[dict[str, Any]]) -> Sender | None:
    number = message.get("from") or None
    user_id = message.get("from_user_id") or None
    contact = next(
        (c for c in contacts if number and c.get("wa_id") == number),
        contacts[0] if len(contacts) == 1 else None,
    )
    if isinstance(contact, dict):
        user_id = user_id or contact.get("user_id") or None
        number = number or contact.get("wa_id") or None
    chat_id = user_id or number
    if not chat_id:
        return None
    return Sender(str(chat_id), str(number) if number else None, str(user_id) if user_id else None)


Fetcher = Callable[[], Awaitable[bytes]]


def _failing(reason: str) -> Fetcher:
    async def fetch() -> bytes:
        raise GraphError(404, None, reason)

    return fetch


KINDS = {
    "image": Kind.PHOTO,
    "document": Kind.DOCUMENT,
    "sticker": Kind.STICKER,
    "audio": Kind.VOICE,
    "video": Kind.VIDEO,
    "location": Kind.LOCATION,
    "contacts": Kind.CONTACT,
}
IGNORED = frozenset({"reaction", "system", "request_welcome"})  # nothing to answer


def message_to_incoming(
    message: dict[str, Any], sender: Sender, attachments: tuple[Attachment, ...] = ()
) -> Incoming | None:
    """One webhook message as an ``Incoming``; None for one that needs no answer."""
    kind_name = str(message.get("type", ""))
    if kind_name in IGNORED:
        return None
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "chat_id": sender.chat_id,
        "update_id": str(message["id"]) if message.get("id") else None,
        "sender_phone": f"+{sender.number.lstrip('+')}" if sender.number else None,
    }
    if kind_name == "text":
        text = str((message.get("text") or {}).get("body", ""))
        if text.startswith("/"):
            head, _, payload = text[1:].partition(" ")
            command, payload = head.lower(), payload.strip()
            return Incoming(
                kind=Kind.COMMAND, text=text, command=command, payload=payload, **common
            )
        return Incoming(kind=Kind.TEXT, text=text, **common)
    if kind_name in ("interactive", "button"):
        chosen = _chosen_id(message)
        if chosen is None:
            return Incoming(kind=Kind.OTHER, **common)
        if (requested := parse_page_id(chosen)) is not None:
            page, signature = requested
            return Incoming(kind=Kind.PAGE, button_id=signature, page=page, **common)
        return Incoming(kind=Kind.BUTTON, button_id=chosen, **common)
    kind = KINDS.get(kind_name, Kind.OTHER)
    if kind is Kind.CONTACT:
        return _contact(message, sender, common)
    found = message.get(kind_name)
    content: dict[str, Any] = found if isinstance(found, dict) else {}
    caption = str(content.get("caption", "")) if kind in (Kind.PHOTO, Kind.DOCUMENT) else ""
    return Incoming(kind=kind, text=caption, attachments=attachments, **common)


def _chosen_id(message: dict[str, Any]) -> str | None:
    if message.get("type") == "button":  # a template's quick reply
        payload = (message.get("button") or {}).get("payload")
        return str(payload) if payload else None
    interactive = message.get("interactive") or {}
    reply = interactive.get(interactive.get("type", ""))
    chosen = reply.get("id") if isinstance(reply, dict) else None
    return str(chosen) if chosen else None


def _contact(message: dict[str, Any], sender: Sender, common: dict[str, Any]) -> Incoming:
    """A shared contact card: its first number, and whether it is the sender's own."""
    cards = message.get("contacts") or []
    phones = [p for card in cards for p in (card.get("phones") or []) if isinstance(p, dict)]
    first = phones[0] if phones else {}
    own = bool(sender.number) and any(p.get("wa_id") == sender.number for p in phones)
    return Incoming(kind=Kind.CONTACT, text=str(first.get("phone", "")), own_contact=own, **common)


# -- the channel --------------------------------------------------------------------------


def signature_ok(secret: bytes, body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


class WhatsAppChannel:
    def __init__(
        self,
        engine: Engine,
        client: GraphClient,
        *,
        app_secret: str,
        verify_token: str,
        gate: FloodGate | None = None,
        max_attempts: int = 4,
        base_delay: float = 0.5,
        templates: Templates | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if not app_secret or not verify_token:
            raise ValueError("the WhatsApp webhook needs the app secret and the verify token")
        self.engine = engine
        self.client = client
        self._secret = app_secret.encode()
        self._verify = verify_token
        self.gate = gate or FloodGate(RATE, 0.0, bulk_chat_interval=PAIR_INTERVAL)
        self.templates = templates if templates is not None else Templates.load()
        self.clock = clock
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self._tasks: set[asyncio.Task[None]] = set()
        self._last: dict[str, asyncio.Task[None]] = {}  # sender → their newest body's task
        self._numbers: dict[str, str] = {}  # user id → number already stored (a cache)
        self._runner: web.AppRunner | None = None
        self._stopped = asyncio.Event()
        self.port: int | None = None

    # -- storage through the engine's database ---------------------------------------------

    async def _run(self, work: Callable[[Repos], Awaitable[Any]]) -> Any:
        engine = self.engine

        async def unit(session: Any) -> Any:
            return await work(Repos(session, engine.crypto, engine.edition))

        return await engine.db.run(unit)

    # -- the web server ----------------------------------------------------------------------

    def web_app(self) -> web.Application:
        application = web.Application(client_max_size=MAX_BODY)
        application.router.add_get(WEBHOOK_PATH, self.on_verify)
        application.router.add_post(WEBHOOK_PATH, self.on_update)
        return application

    async def start(self, host: str, port: int) -> None:
        """Process what a crash left in the inbox, then serve the webhook."""
        await self.recover()
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        log.info("whatsapp webhook listening on port %s", self.port)

    async def run(self, host: str, port: int) -> None:
        await self.start(host, port)
        try:
            await self._stopped.wait()
        finally:
            await self.close()

    def stop(self) -> None:
        self._stopped.set()

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.idle()
        await self.client.close()

    async def idle(self) -> None:
        """Wait until every recorded body has been processed."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def on_verify(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        token = query.get("hub.verify_token", "")
        if query.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), self._verify.encode()
        ):
            return web.Response(text=query.get("hub.challenge", ""))
        return web.Response(status=403, text="Forbidden")

    async def on_update(self, request: web.Request) -> web.StreamResponse:
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            return web.Response(status=401, text="missing signature")
        body = await request.read()
        if not signature_ok(self._secret, body, header):
            log.warning("whatsapp webhook with a wrong signature refused")
            return web.Response(status=403, text="bad signature")
        row_id: int = await self._run(lambda repos: repos.whatsapp.record(body))
        self._spawn(row_id, body)
        return web.Response(text="OK")

    def _spawn(self, row_id: int, body: bytes) -> None:
        """Process a body in the background, after the earlier bodies of the same sender (a
        file's download must not let the text sent after it overtake it)."""
        key = _sender_key(body)
        before = self._last.get(key)
        task = asyncio.create_task(self._after(before, row_id, body))
        self._last[key] = task
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            if self._last.get(key) is finished:
                del self._last[key]

        task.add_done_callback(done)

    async def _after(self, before: asyncio.Task[None] | None, row_id: int, body: bytes) -> None:
        if before is not None:
            await asyncio.gather(before, return_exceptions=True)
        await self._process(row_id, body)

    async def recover(self) -> int:
        """Process the bodies recorded before a crash (oldest first); how many."""
        pending: list[tuple[int, bytes]] = await self._run(lambda repos: repos.whatsapp.pending())
        for row_id, body in pending:
            await self._process(row_id, body)
        if pending:
            log.info("whatsapp: %d recorded webhook bodies processed at start", len(pending))
        return len(pending)

    async def _process(self, row_id: int, body: bytes) -> None:
        """Handle every message of one body, then forget the body. A failure leaves it
        recorded (processed again at the next start; handled messages are dropped then)."""
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            log.warning("whatsapp webhook body is not JSON: dropped")
            payload = None
        try:
            for value in _values(payload, self.client.phone_number_id):
                contacts = [c for c in value.get("contacts") or [] if isinstance(c, dict)]
                for message in value.get("messages") or []:
                    if isinstance(message, dict):
                        await self._message(message, contacts)
                statuses = [s for s in value.get("statuses") or [] if isinstance(s, dict)]
                if statuses:
                    await self._statuses(statuses)
        except Exception:
            log.exception("whatsapp webhook body %s not processed; kept for the next start", row_id)
            return
        await self._run(lambda repos: repos.whatsapp.processed(row_id))

    async def _message(self, message: dict[str, Any], contacts: list[dict[str, Any]]) -> None:
        if message.get("type") == "system":
            await self._system(message)
            return
        sender = sender_of(message, contacts)
        if sender is None:
            log.warning("whatsapp message without a sender dropped")
            return
        await self._wrote(sender.chat_id, message)
        incoming = message_to_incoming(message, sender, await self._attachments(message))
        if incoming is None:
            return
        reply = await self.engine.handle(incoming)
        await self._remember(sender)
        if reply is not None:
            await self.send(sender.number, reply)

    async def _wrote(self, chat_id: str, message: dict[str, Any]) -> None:
        """The person wrote: their customer service window runs from the message's time."""
        at = self.clock()
        stamp = message.get("timestamp")
        if isinstance(stamp, (str, int)) and str(stamp).isdigit():
            at = min(at, datetime.fromtimestamp(int(stamp), UTC))
        await self._run(lambda repos: repos.whatsapp.wrote(chat_id, at))

    async def _remember(self, sender: Sender) -> None:
        """Keep the number seen with a user id (where to send to), once per change."""
        if sender.user_id is None or sender.number is None:
            return
        if self._numbers.get(sender.user_id) == sender.number:
            return
        user_id, number = sender.user_id, sender.number
        if await self._run(lambda repos: repos.whatsapp.remember_number(user_id, number)):
            self._numbers[user_id] = number

    async def _system(self, message: dict[str, Any]) -> None:
        """A changed number or user id: the identity follows it (once per message id)."""
        system = message.get("system") or {}
        change = system.get("type")
        old: str | None
        new: str | None
        if change == "user_changed_number":
            old, new = message.get("from"), system.get("wa_id")
        elif change == "user_changed_user_id":
            old = message.get("from_user_id") or system.get("previous_user_id")
            new = system.get("user_id")
        else:
            return
        user_id = message.get("from_user_id") if change == "user_changed_number" else None
        message_id = message.get("id")

        async def repoint(repos: Repos) -> bool:
            if message_id and not await repos.deliveries.claim(CHANNEL, str(message_id)):
                return False
            moved = bool(old and new) and await repos.whatsapp.repoint(str(old), str(new))
            if user_id and new:  # the person is known by user id: only the number changed
                await repos.whatsapp.remember_number(str(user_id), str(new))
            return moved

        moved = await self._run(repoint)
        self._numbers.clear()
        log.info("whatsapp %s: identity %s", change, "re-pointed" if moved else "unchanged")

    async def _statuses(self, statuses: list[dict[str, Any]]) -> None:
        """Sent / delivered / read / failed of the messages the outbox sent, never moving
        backwards (statuses may arrive out of order)."""

        async def record(repos: Repos) -> None:
            for status in statuses:
                message_id, state = status.get("id"), status.get("status")
                if not (isinstance(message_id, str) and isinstance(state, str)):
                    continue
                errors = status.get("errors") or [{}]
                first = errors[0] if isinstance(errors[0], dict) else {}
                code = first.get("code")
                error = (
                    f"{code} {first.get('title') or first.get('message') or ''}".strip()
                    if state == "failed"
                    else None
                )
                if state == "failed" and code in WINDOW_CLOSED:  # accepted, then refused
                    again = await repos.outbox.resend_as_template(
                        CHANNEL, message_id, now=self.clock(), error=error or ""
                    )
                    if again is not None:  # once more, as its template (see bot.sender)
                        await repos.whatsapp.window_closed(again)
                        continue
                gone = state == "failed" and code in UNREACHABLE
                person = await repos.outbox.platform_status(
                    CHANNEL, message_id, state, error=error, unreachable=gone
                )
                if gone and person is not None:  # nothing more is sent there until they write
                    await repos.people.mark_unreachable(person, CHANNEL, datetime.now(UTC))

        await self._run(record)

    async def _attachments(self, message: dict[str, Any]) -> tuple[Attachment, ...]:
        """The file of an image or document message: its size from the media metadata (so an
        oversize file is refused before the download), downloaded on demand."""
        kind = message.get("type")
        if kind not in ("image", "document"):
            return ()
        content = message.get(kind) or {}
        media_id = str(content.get("id", ""))
        name = content.get("filename") if kind == "document" else None
        mime = content.get("mime_type")
        try:
            info = await self.client.media_info(media_id)
        except (TimeoutError, GraphError, aiohttp.ClientError, KeyError) as error:
            log.warning("whatsapp media metadata not available (%s)", type(error).__name__)
            fetch: Fetcher = _failing("media metadata not available")
            size = None
        else:
            url, size = info.url, info.size
            mime = mime or info.mime

            async def fetch() -> bytes:
                return await self.client.download(url)

        return (
            Attachment(
                fetch=fetch,
                name=name,
                mime=mime,
                size=size,
                file_id=media_id or None,
                limit=DOWNLOAD_LIMIT,
            ),
        )

    # -- outgoing ------------------------------------------------------------------------------

    async def send(self, number: str | None, reply: Reply) -> str | None:
        """A direct reply; the id of the last message sent (None if nothing could go)."""
        if number is None:
            log.warning("whatsapp reply not sent: no number to send to")
            return None
        try:
            return await self._send(number, reply)
        except (DeliveryFailed, ChannelMisconfigured) as failure:
            log.error("whatsapp reply not sent: %s", failure)
            return None

    async def _send(self, number: str, reply: Reply) -> str | None:
        sent: str | None = None
        uploads: dict[str, str] = {}
        for body in whatsapp_layout.layout(reply, to=number):
            document = body.get("document")
            if isinstance(document, dict) and document.get("id", "").startswith(
                whatsapp_layout.UPLOAD_PREFIX
            ):
                placeholder = document["id"]
                if placeholder not in uploads:
                    index = int(placeholder[len(whatsapp_layout.UPLOAD_PREFIX) : -1])
                    uploads[placeholder] = await self._call(
                        number, partial(self._upload, reply.files[index]), gated=False
                    )
                document["id"] = uploads[placeholder]
            sent = await self._call(number, partial(self.client.send, body))
        return sent

    async def _upload(self, outgoing: OutgoingFile) -> str:
        return await self.client.upload(outgoing.data, name=outgoing.name, mime=outgoing.mime)

    async def _call(
        self, number: str, call: Callable[[], Awaitable[str]], *, gated: bool = True
    ) -> str:
        """One Cloud API call through the flood gate; a direct reply's transient failure or
        rate limit is retried with backoff, a bulk one raised for the sender to reschedule."""
        attempt = 0
        while True:
            attempt += 1
            if gated:
                await self.gate.acquire(number)
            try:
                return await call()
            except (TimeoutError, GraphError, aiohttp.ClientError) as error:
                failure = classify(error)
                pair = isinstance(error, GraphError) and error.code in PAIR_LIMITS
            if isinstance(failure, RateLimited) and not is_bulk():
                self.gate.penalise(failure.retry_after, number if pair else None)
            retry = isinstance(failure, (TransientFailure, RateLimited))
            if not retry or is_bulk() or attempt >= self.max_attempts:
                raise failure
            delay = self.base_delay * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
            log.warning("whatsapp call failed (%s), retry in %.1fs", type(failure).__name__, delay)
            if not isinstance(failure, RateLimited):
                await asyncio.sleep(delay)
            elif not gated:  # no gate to hold it back
                await asyncio.sleep(failure.retry_after)

    async def _number(self, address: str) -> str:
        """Where to send to the identity ``address`` (a number, or a user id whose number is
        known)."""
        number: str | None = address
        if not address.isdigit():  # a business-scoped user id ("ID.1502…")
            number = await self._run(lambda repos: repos.whatsapp.number_of(address))
        if not number:
            raise PermanentFailure("no WhatsApp number known for this person")
        return number

    async def deliver(self, address: str, reply: Reply) -> str:
        """Send a message the bot sends on its own to the identity ``address``; the wamid.
        Errors are ``DeliveryFailed`` kinds."""
        sent = await self._send(await self._number(address), reply)
        if not sent:
            raise PermanentFailure("nothing to send")
        return sent

    async def window_open(self, address: str) -> bool:
        """Whether a free-form message to ``address`` still arrives inside the 24 hours after
        the person last wrote."""
        last = await self._run(lambda repos: repos.whatsapp.last_wrote(address))
        return last is not None and self.clock() < last + WINDOW - WINDOW_MARGIN

    def template_for(self, message: OutgoingMessage) -> str | None:
        template = self.templates.for_message(message)
        return template.name if template else None

    async def deliver_template(self, address: str, message: OutgoingMessage) -> str:
        """Send ``message`` as its approved template; the wamid."""
        template = self.templates.for_message(message)
        if template is None:
            raise PermanentFailure("no template for this message")
        number = await self._number(address)
        body = template.message_body(number, message)
        return await self._call(number, partial(self.client.send, body))


def _sender_key(body: bytes) -> str:
    """Who sent the body's first message (a hash: it stays in memory only), "" if unknown."""
    try:
        payload = json.loads(body)
        value = payload["entry"][0]["changes"][0]["value"]
        message = (value.get("messages") or [{}])[0]
        sender = message.get("from_user_id") or message.get("from") or ""
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return ""
    return hashlib.sha256(str(sender).encode()).hexdigest()[:16] if sender else ""


def _values(payload: Any, phone_number_id: str) -> list[dict[str, Any]]:
    """The ``value`` of every ``messages`` change for our phone number."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return []
    values = []
    for entry in payload.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value")
            if (change or {}).get("field") != "messages" or not isinstance(value, dict):
                continue
            ours = (value.get("metadata") or {}).get("phone_number_id")
            if ours is not None and str(ours) != phone_number_id:
                log.warning("whatsapp update for another phone number id ignored")
                continue
            values.append(value)
    return values
