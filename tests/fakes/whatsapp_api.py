"""A local fake of the WhatsApp Cloud API (Graph API v23.0) for tests, and of Meta's webhook.

A real aiohttp server on 127.0.0.1 with a random free port; point the bot's ``GraphClient``
at ``fake.base_url``. It answers

* ``POST /{version}/{phone-number-id}/messages``: every body is validated against the spec's
  ``Message`` schema (``shared/specs/whatsapp-business-messaging-v23.0.yaml``; the
  ``allOf[Base, {additionalProperties: false}]`` of each message type is read as the union of
  both branches' properties, see the spec's README) and against the limits Meta documents and
  the schema lacks (text ≤ 4096, caption ≤ 1024, ≤ 10 list rows in all, unique titles and
  ids). An invalid body is answered 400 with Graph's error object and listed in
  ``fake.invalid``, so a test can end with ``assert fake.invalid == []``;
  A ``template`` must be one of ``fake.approved`` (``fake.approve(bodies)`` with the bodies of
  Meta's template-creation API), with as many body parameters (all ``text``, one line each)
  and quick-reply payloads as the approved template has: Meta's own checks, which the schema
  leaves out. A number in ``fake.closed_windows`` is outside its 24-hour window: anything but a
  ``template`` to it is refused with Graph code 131047, like Meta refuses it;
* ``POST /{version}/{phone-number-id}/media`` (multipart upload) → ``{"id": …}``;
* ``GET /{version}/{media-id}`` → the media metadata with a short-lived ``url``;
* ``GET /download/{media-id}`` → the bytes (the bearer token is required here too).

Every call needs ``Authorization: Bearer <token>`` (else 401, Graph code 190). Errors look like
the real ones: ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``.

The webhook side: ``fake.connect(url, app_secret)`` and then ``await fake.user_sends(...)`` (and
the other ``user_*`` helpers) POST a payload shaped like Meta's, signed with
``X-Hub-Signature-256`` like Meta signs it (``sign=False`` or a wrong secret to test refusals).
"""

from __future__ import annotations

import asyncio
import copy
import functools
import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

SPEC = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "specs"
    / "whatsapp-business-messaging-v23.0.yaml"
)
BUSINESS_ACCOUNT = "102290129340398"
DISPLAY_NUMBER = "15550783881"

# Limits of Meta's docs that the schema does not state.
TEXT_MAX = 4096
CAPTION_MAX = 1024
ROWS_TOTAL_MAX = 10


# ---------------------------------------------------------------------------- the schema


@functools.cache
def load_schemas() -> dict[str, Any]:
    with SPEC.open(encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    schemas: dict[str, Any] = spec["components"]["schemas"]
    return schemas


def _resolve(schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = load_schemas()[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _merge(parts: list[Any]) -> dict[str, Any]:
    """The branches of an ``allOf`` as one schema: properties and required united, and
    ``additionalProperties: false`` of any branch applying to the union."""
    merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    closed = False
    for part in parts:
        part = _resolve(part)
        if "allOf" in part:
            part = _merge(part["allOf"])
        for name, sub in (part.get("properties") or {}).items():
            merged["properties"].setdefault(name, []).append(sub)
        merged["required"] += part.get("required", [])
        closed = closed or part.get("additionalProperties") is False
    merged["additionalProperties"] = not closed
    return merged


_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
}


def validate(schema: Any, value: Any, path: str = "$") -> list[str]:
    """The ways ``value`` breaks ``schema`` (the keywords the messages schema uses)."""
    schema = _resolve(schema)
    if not isinstance(schema, dict):
        return []
    if "allOf" in schema:
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        return _validate_merged(_merge([*schema["allOf"], rest]), value, path)
    problems: list[str] = []
    if "oneOf" in schema:
        discriminator = schema.get("discriminator")
        if discriminator and isinstance(value, dict):
            chosen = discriminator["mapping"].get(value.get(discriminator["propertyName"]))
            if chosen is None:
                return [f"{path}: unknown {discriminator['propertyName']} {value.get('type')!r}"]
            problems += validate({"$ref": chosen}, value, path)
        else:
            matching = [b for b in schema["oneOf"] if not validate(b, value, path)]
            if len(matching) != 1:
                problems.append(f"{path}: matches {len(matching)} of the oneOf branches, not 1")
    expected = schema.get("type")
    if isinstance(expected, str) and expected in _TYPES:
        wanted = _TYPES[expected]
        if not isinstance(value, wanted) or (expected != "boolean" and isinstance(value, bool)):
            return [*problems, f"{path}: not a {expected}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} not one of {schema['enum']}")
    if isinstance(value, str) and len(value) > schema.get("maxLength", len(value)):
        problems.append(f"{path}: {len(value)} characters, more than {schema['maxLength']}")
    if isinstance(value, list):
        if len(value) > schema.get("maxItems", len(value)):
            problems.append(f"{path}: {len(value)} items, more than {schema['maxItems']}")
        if len(value) < schema.get("minItems", 0):
            problems.append(f"{path}: {len(value)} items, fewer than {schema['minItems']}")
        if "items" in schema:
            for index, item in enumerate(value):
                problems += validate(schema["items"], item, f"{path}[{index}]")
    if isinstance(value, dict) and ("properties" in schema or "required" in schema):
        merged = {
            "properties": {k: [v] for k, v in (schema.get("properties") or {}).items()},
            "required": schema.get("required", []),
            "additionalProperties": schema.get("additionalProperties") is not False,
        }
        problems += _validate_merged(merged, value, path)
    return problems


def _validate_merged(merged: dict[str, Any], value: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: not an object"]
    problems = [f"{path}: {name!r} is required" for name in merged["required"] if name not in value]
    for name, item in value.items():
        subs = merged["properties"].get(name)
        if subs is None:
            if not merged["additionalProperties"]:
                problems.append(f"{path}: unknown property {name!r}")
            continue
        for sub in subs:
            problems += validate(sub, item, f"{path}.{name}")
    return problems


def limits(body: dict[str, Any]) -> list[str]:
    """Meta's documented limits the schema leaves out."""
    problems: list[str] = []
    kind = body.get("type")
    content = body.get(kind) if isinstance(kind, str) else None
    if not isinstance(content, dict):
        return problems
    if kind == "text":
        text = content.get("body")
        if not isinstance(text, str) or not text.strip():
            problems.append("text.body is empty")
        elif len(text) > TEXT_MAX:
            problems.append(f"text.body has {len(text)} characters, more than {TEXT_MAX}")
    if kind == "document" and len(str(content.get("caption", ""))) > CAPTION_MAX:
        problems.append(f"document.caption is longer than {CAPTION_MAX}")
    if kind == "interactive":
        body_text = (content.get("body") or {}).get("text", "")
        if not str(body_text).strip():
            problems.append("interactive.body.text is empty")
        action = content.get("action") or {}
        buttons = [b.get("reply", {}) for b in action.get("buttons") or []]
        rows = [r for s in action.get("sections") or [] for r in s.get("rows") or []]
        if len(rows) > ROWS_TOTAL_MAX:
            problems.append(f"{len(rows)} list rows, more than {ROWS_TOTAL_MAX}")
        if len(action.get("sections") or []) > 1 and any(
            not s.get("title") for s in action["sections"]
        ):
            problems.append("a section without a title in a list of several sections")
        for what, items in (("button", buttons), ("row", rows)):
            for key in ("id", "title"):
                values = [str(item.get(key, "")) for item in items]
                if any(not v.strip() for v in values):
                    problems.append(f"an empty {what} {key}")
                repeated = [v for v, n in Counter(values).items() if n > 1]
                if repeated:
                    problems.append(f"{what} {key}s repeated: {repeated}")
        if action.get("button") is not None and not str(action["button"]).strip():
            problems.append("the list button is empty")
    return problems


# ---------------------------------------------------------------------------- records


@dataclass
class Sent:
    """A message the bot sent (accepted by the fake)."""

    id: str
    to: str
    body: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.body.get("type"))

    @property
    def text(self) -> str:
        """What the person reads: the text, the interactive body, a document's caption."""
        if self.type == "text":
            return str(self.body["text"]["body"])
        if self.type == "interactive":
            return str(self.body["interactive"]["body"]["text"])
        if self.type == "document":
            return str(self.body["document"].get("caption", ""))
        if self.type == "template":
            return str(self.body["template"]["name"])
        return ""

    def choices(self) -> list[tuple[str, str]]:
        """(id, title) of the reply buttons or list rows."""
        if self.type != "interactive":
            return []
        action = self.body["interactive"]["action"]
        buttons = [(b["reply"]["id"], b["reply"]["title"]) for b in action.get("buttons", [])]
        rows = [(r["id"], r["title"]) for s in action.get("sections", []) for r in s["rows"]]
        return buttons + rows


@dataclass
class Rejected:
    path: str
    body: Any
    problems: list[str]


@dataclass
class Media:
    data: bytes
    mime: str
    name: str | None = None
    declared_size: int | None = None  # what the metadata says (default: the real size)
    fail_metadata: bool = False
    fail_download: bool = False
    delay: float = 0.0  # seconds before the download answers (a slow network)


@dataclass
class Call:
    method: str
    path: str
    status: int


def _error(
    status: int, code: int, message: str, *, subcode: int | None = None, kind: str = ""
) -> web.Response:
    error: dict[str, Any] = {
        "message": message,
        "type": kind or "OAuthException",
        "code": code,
        "fbtrace_id": "A" + secrets.token_hex(10),
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return web.json_response({"error": error}, status=status)


@dataclass
class FakeWhatsAppAPI:
    token: str = "EAAtest-token"
    phone_number_id: str = "106540352242922"
    version: str = "v23.0"
    sent: list[Sent] = field(default_factory=list)
    invalid: list[Rejected] = field(default_factory=list)
    uploads: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)
    media: dict[str, Media] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    webhook_url: str | None = None
    app_secret: str | None = None
    closed_windows: set[str] = field(default_factory=set)  # numbers outside their 24 hours
    # (name, language) → (body parameters, quick-reply buttons) of the approved templates
    approved: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._failures: list[tuple[str | None, int, int, str]] = []  # to, status, code, text
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.webhook_statuses: list[int] = []

    # -- server ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FakeWhatsAppAPI:
        app = web.Application(client_max_size=200 * 1024 * 1024)
        app.router.add_post("/{version}/{phone}/messages", self._messages)
        app.router.add_post("/{version}/{phone}/media", self._upload)
        app.router.add_get("/download/{media}", self._download)
        app.router.add_get("/{version}/{media}", self._metadata)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server: Any = site._server
        self.port = server.sockets[0].getsockname()[1]
        self._client = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    def _unauthorised(self) -> web.Response:
        return _error(
            401,
            190,
            "Invalid OAuth access token - Cannot parse access token",
            kind="OAuthException",
        )

    def _record(self, request: web.Request, status: int) -> None:
        self.calls.append(Call(request.method, request.path, status))

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        response = await self._answer_message(request)
        self._record(request, response.status)
        return response

    async def _answer_message(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._unauthorised()
        if request.match_info["version"] != self.version or (
            request.match_info["phone"] != self.phone_number_id
        ):
            return _error(400, 100, "Unsupported post request. Object does not exist", subcode=33)
        try:
            body = json.loads(await request.read())
        except json.JSONDecodeError:
            return _error(400, 100, "(#100) The parameter messaging_product is required.")
        problems = (
            validate({"$ref": "#/components/schemas/Message"}, body)
            if isinstance(body, dict)
            else ["the body is not an object"]
        )
        if isinstance(body, dict):
            problems += limits(body)
            to = str(body.get("to", ""))
            if not to.lstrip("+").isdigit():
                problems.append(f"'to' is not a phone number: {to[:3]}…")
            if body.get("type") == "template":
                problems += self._template_problems(body.get("template"))
            document = body.get("document")
            if isinstance(document, dict) and document.get("id") not in self.uploads:
                problems.append("document.id is not an uploaded media id")
        if problems:
            self.invalid.append(Rejected(request.path, body, problems))
            return _error(
                400,
                131009,
                "(#131009) Parameter value is not valid",
                subcode=2494010,
            )
        to = str(body["to"])
        if to in self.closed_windows and body.get("type") != "template":
            return _error(
                400,
                131047,
                "(#131047) Re-engagement message: more than 24 hours have passed since the "
                "recipient last replied",
            )
        for index, (who, status, code, text) in enumerate(self._failures):
            if who is None or who == to:
                if who is None:
                    del self._failures[index]
                return _error(status, code, text)
        message_id = f"wamid.{secrets.token_hex(12)}"
        self.sent.append(Sent(message_id, to, copy.deepcopy(body)))
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
                "messages": [{"id": message_id}],
            }
        )

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        if not self._authorised(request):
            self._record(request, 401)
            return self._unauthorised()
        fields: dict[str, Any] = {}
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            assert isinstance(part, aiohttp.BodyPartReader)
            if part.name == "file":
                mime = part.headers.get("Content-Type")
                fields["file"] = (await part.read(), part.filename, mime)
            elif part.name:
                fields[part.name] = await part.text()
        if fields.get("messaging_product") != "whatsapp" or "file" not in fields:
            self._record(request, 400)
            return _error(400, 100, "(#100) The parameter messaging_product is required.")
        data, name, mime = fields["file"]
        media_id = str(10**15 + next(self._ids))
        self.uploads[media_id] = (data, name or "", mime or "")
        self._record(request, 200)
        return web.json_response({"id": media_id})

    async def _metadata(self, request: web.Request) -> web.StreamResponse:
        if not self._authorised(request):
            self._record(request, 401)
            return self._unauthorised()
        media_id = request.match_info["media"]
        media = self.media.get(media_id)
        if media is None or media.fail_metadata:
            self._record(request, 400)
            return _error(
                400,
                100,
                f"Unsupported get request. Object with ID '{media_id}' does not exist",
                subcode=33,
            )
        self._record(request, 200)
        size = len(media.data) if media.declared_size is None else media.declared_size
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": f"{self.base_url}/download/{media_id}?ext={int(time.time())}",
                "mime_type": media.mime,
                "sha256": hashlib.sha256(media.data).hexdigest(),
                "file_size": size,
                "id": media_id,
            }
        )

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if not self._authorised(request):
            self._record(request, 401)
            return web.Response(status=401)
        media = self.media.get(request.match_info["media"])
        if media is None or media.fail_download:
            self._record(request, 404)
            return web.Response(status=404)
        self.downloads.append(request.match_info["media"])
        await asyncio.sleep(media.delay)
        self._record(request, 200)
        return web.Response(body=media.data, content_type=media.mime)

    # -- what tests set up -------------------------------------------------------------------

    def add_media(self, data: bytes, mime: str, *, name: str | None = None, **options: Any) -> str:
        """A file a person sends; its media id."""
        media_id = str(2 * 10**15 + next(self._ids))
        self.media[media_id] = Media(data, mime, name, **options)
        return media_id

    def approve(self, templates: list[dict[str, Any]]) -> None:
        """Templates Meta approved, given as the bodies they were created with."""
        for template in templates:
            components = template.get("components") or []
            text = " ".join(c.get("text", "") for c in components if c.get("type") == "BODY")
            params = len(set(re.findall(r"\{\{(\d+)\}\}", text)))
            buttons = [
                b
                for c in components
                if c.get("type") == "BUTTONS"
                for b in c.get("buttons") or []
                if b.get("type") == "QUICK_REPLY"
            ]
            self.approved[(template["name"], template["language"])] = (params, len(buttons))

    def _template_problems(self, template: Any) -> list[str]:
        if not isinstance(template, dict):
            return ["template is not an object"]
        key = (str(template.get("name")), str((template.get("language") or {}).get("code")))
        if key not in self.approved:
            return [f"template {key} is not approved"]
        params, buttons = self.approved[key]
        problems: list[str] = []
        components = template.get("components") or []
        texts = [
            p for c in components if c.get("type") == "body" for p in c.get("parameters") or []
        ]
        if len(texts) != params:
            problems.append(f"{len(texts)} body parameters, the template has {params}")
        for parameter in texts:
            value = parameter.get("text")
            if parameter.get("type") != "text" or not isinstance(value, str) or not value.strip():
                problems.append("a body parameter is not a non-empty text")
            elif "\n" in value or "\t" in value or "     " in value:
                problems.append("a body parameter has a line break, a tab or 5 spaces")
        pressed = [c for c in components if c.get("type") == "button"]
        for component in pressed:
            index = str(component.get("index", ""))
            if component.get("sub_type") != "quick_reply" or not index.isdigit():
                problems.append("a button component that is not a quick reply with an index")
            elif int(index) >= buttons:
                problems.append(f"button index {index}, the template has {buttons} buttons")
            payloads = component.get("parameters") or []
            if [p.get("type") for p in payloads] != ["payload"]:
                problems.append("a quick-reply button needs one payload parameter")
        unknown = {c.get("type") for c in components} - {"body", "button"}
        if unknown:
            problems.append(f"components {sorted(map(str, unknown))} the template does not have")
        return problems

    def fail_next(self, code: int, *, status: int = 400, message: str = "") -> None:
        """The next message send is refused with this Graph error."""
        self._failures.append((None, status, code, message or f"(#{code}) error"))

    def fail_for(self, number: str, code: int, *, status: int = 400, message: str = "") -> None:
        """Every send to ``number`` is refused with this Graph error."""
        self._failures.append((number, status, code, message or f"(#{code}) error"))

    def messages_to(self, number: str) -> list[Sent]:
        return [m for m in self.sent if m.to == number]

    # -- the webhook (Meta's side) -----------------------------------------------------------

    def connect(self, url: str, app_secret: str) -> None:
        self.webhook_url = url
        self.app_secret = app_secret

    def signature(self, body: bytes, secret: str | None = None) -> str:
        key = (secret or self.app_secret or "").encode()
        return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()

    async def post_webhook(
        self, payload: Any, *, sign: bool = True, secret: str | None = None
    ) -> int:
        """POST a webhook body like Meta (signed unless ``sign=False``); the HTTP status."""
        assert self.webhook_url, "connect() the bot's webhook first"
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if sign:
            headers["X-Hub-Signature-256"] = self.signature(raw, secret)
        async with self._client.post(self.webhook_url, data=raw, headers=headers) as response:
            self.webhook_statuses.append(response.status)
            return response.status

    async def verify(self, mode: str, token: str, challenge: str) -> tuple[int, str]:
        assert self.webhook_url
        query = {"hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge}
        async with self._client.get(self.webhook_url, params=query) as response:
            return response.status, await response.text()

    def envelope(
        self,
        messages: list[dict[str, Any]],
        *,
        number: str | None,
        user_id: str | None = None,
        name: str = "Budi",
        contacts: bool = True,
    ) -> dict[str, Any]:
        value: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": DISPLAY_NUMBER,
                "phone_number_id": self.phone_number_id,
            },
        }
        if contacts:
            contact: dict[str, Any] = {"profile": {"name": name}}
            if number is not None:
                contact["wa_id"] = number
            if user_id is not None:
                contact["user_id"] = user_id
            value["contacts"] = [contact]
        value["messages"] = messages
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": BUSINESS_ACCOUNT, "changes": [{"field": "messages", "value": value}]}],
        }

    def message(
        self, number: str | None, kind: str, content: Any, *, user_id: str | None = None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": f"wamid.{secrets.token_hex(16)}",
            "timestamp": str(int(time.time())),
            "type": kind,
            kind: content,
        }
        if number is not None:
            message["from"] = number
        if user_id is not None:
            message["from_user_id"] = user_id
        return message

    async def user_sends(
        self, number: str | None, text: str, *, user_id: str | None = None
    ) -> dict[str, Any]:
        message = self.message(number, "text", {"body": text}, user_id=user_id)
        await self._post(message, number, user_id)
        return message

    async def user_chooses(
        self, number: str | None, choice_id: str, title: str, *, user_id: str | None = None
    ) -> dict[str, Any]:
        """Tap a reply button or a list row (which one follows from the bot's message)."""
        last = next((m for m in reversed(self.sent) if m.type == "interactive"), None)
        kind = "button_reply"
        if last is not None and last.body["interactive"]["type"] == "list":
            kind = "list_reply"
        interactive = {"type": kind, kind: {"id": choice_id, "title": title}}
        message = self.message(number, "interactive", interactive, user_id=user_id)
        message["context"] = {"from": DISPLAY_NUMBER, "id": last.id if last else "wamid.x"}
        await self._post(message, number, user_id)
        return message

    async def user_sends_document(
        self,
        number: str | None,
        media_id: str,
        *,
        filename: str,
        mime: str = "application/pdf",
        user_id: str | None = None,
    ) -> dict[str, Any]:
        content = {"id": media_id, "mime_type": mime, "sha256": "x", "filename": filename}
        message = self.message(number, "document", content, user_id=user_id)
        await self._post(message, number, user_id)
        return message

    async def user_sends_image(
        self, number: str | None, media_id: str, *, user_id: str | None = None
    ) -> dict[str, Any]:
        content = {"id": media_id, "mime_type": "image/jpeg", "sha256": "x"}
        message = self.message(number, "image", content, user_id=user_id)
        await self._post(message, number, user_id)
        return message

    async def user_sends_kind(self, number: str, kind: str, content: Any) -> dict[str, Any]:
        message = self.message(number, kind, content)
        await self._post(message, number, None)
        return message

    async def system_change(
        self,
        number: str,
        change: str,
        *,
        new_number: str | None = None,
        user_id: str | None = None,
        new_user_id: str | None = None,
    ) -> int:
        """A ``system`` message: the person changed their number or user id (no contacts)."""
        system: dict[str, Any] = {"type": change, "body": "User Budi changed"}
        if new_number is not None:
            system["wa_id"] = new_number
        if new_user_id is not None:
            system["user_id"] = new_user_id
        message = self.message(number, "system", system, user_id=user_id)
        return await self.post_webhook(self.envelope([message], number=number, contacts=False))

    async def statuses(self, *updates: tuple[str, ...]) -> int:
        """Status webhooks (message id, recipient number, status[, error code of a failure]),
        in this order."""
        value = {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": DISPLAY_NUMBER,
                "phone_number_id": self.phone_number_id,
            },
            "statuses": [_status(*update) for update in updates],
        }
        change = {"field": "messages", "value": value}
        payload = {
            "object": "whatsapp_business_account",
            "entry": [{"id": BUSINESS_ACCOUNT, "changes": [change]}],
        }
        return await self.post_webhook(payload)

    async def _post(self, message: dict[str, Any], number: str | None, user: str | None) -> None:
        status = await self.post_webhook(self.envelope([message], number=number, user_id=user))
        assert status == 200, f"the bot answered the webhook with {status}"


ERROR_TITLES = {131026: "Message undeliverable", 131049: "Meta chose not to deliver"}


def _status(message_id: str, number: str, status: str, code: str | int | None = None) -> Any:
    """One entry of a status webhook, as Meta sends it (a failure with its ``errors``)."""
    entry: dict[str, Any] = {
        "id": message_id,
        "status": status,
        "timestamp": str(int(time.time())),
        "recipient_id": number,
    }
    if code is not None:
        title = ERROR_TITLES.get(int(code), "Failure")
        entry["errors"] = [
            {"code": int(code), "title": title, "message": title, "error_data": {"details": title}}
        ]
    return entry
