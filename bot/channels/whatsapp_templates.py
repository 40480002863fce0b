"""WhatsApp message templates: what the outbox sends outside the 24-hour window.

The templates are data (``bot/data/whatsapp-templates.yaml``, documented there): a name, a
language, a category, the Indonesian body Meta approves with ``{{1}}``… parameters, which
outbox messages (msgid constants in ``handlers/``) each stands in for, and which of the
message's parameters fills each template parameter. ``Templates.for_message`` finds the
template of a message, ``Template.message_body`` is the Cloud API send body
(``type: template``) and ``Template.creation`` the body of Meta's template-creation API.
Templates are WhatsApp knowledge: nothing in ``handlers/`` knows them.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from storage.domain import OutgoingMessage

TEMPLATES_FILE = Path(__file__).resolve().parents[1] / "data" / "whatsapp-templates.yaml"
NAME = re.compile(r"^[a-z0-9_]{1,512}$")
PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")
BODY_MAX = 1024  # Meta's limit of a template body
PARAM_MAX = 300  # a generous bound on one filled value (the whole body stays readable)
BUTTON_TEXT_MAX = 25  # Meta's limit of a quick-reply button's text
EMPTY = "-"  # Meta refuses an empty parameter


class TemplateError(ValueError):
    """The templates file breaks a rule Meta or the bot relies on."""


def _flat(value: object) -> str:
    """A parameter value as Meta takes it: one line, no tab, no run of spaces, not empty."""
    text = " ".join(str(value).split())[:PARAM_MAX]
    return text or EMPTY


def resolve(reference: str) -> str:
    """The msgid a ``module:CONSTANT`` reference names."""
    module, _, constant = reference.partition(":")
    value = getattr(importlib.import_module(module), constant, None)
    if not isinstance(value, str):
        raise TemplateError(f"{reference} is not a message constant")
    return value


@dataclass(frozen=True)
class Template:
    name: str
    language: str
    category: str
    body: str
    params: tuple[str, ...]  # the message parameter of {{1}}, {{2}}, …
    messages: tuple[str, ...]  # the msgids it stands in for
    examples: tuple[str, ...] = ()
    buttons: tuple[str, ...] = ()  # quick-reply texts

    def check(self) -> None:
        if not NAME.match(self.name):
            raise TemplateError(f"{self.name!r}: a name is lower case letters, digits and _")
        numbers = [int(n) for n in PLACEHOLDER.findall(self.body)]
        if numbers != list(range(1, len(self.params) + 1)):
            raise TemplateError(f"{self.name}: {{{{1}}}}… must follow each other, one per param")
        if len(self.examples) != len(self.params):
            raise TemplateError(f"{self.name}: one example per parameter")
        stripped = self.body.strip()
        if PLACEHOLDER.match(stripped) or re.search(r"\{\{\d+\}\}$", stripped):
            raise TemplateError(f"{self.name}: the body may not start or end with a parameter")
        if len(self.body) > BODY_MAX:
            raise TemplateError(f"{self.name}: the body is longer than {BODY_MAX}")
        if any(len(b) > BUTTON_TEXT_MAX or not b.strip() for b in self.buttons):
            raise TemplateError(f"{self.name}: a button text is empty or too long")

    def values(self, message: OutgoingMessage) -> list[str]:
        return [_flat(message.params.get(name, EMPTY)) for name in self.params]

    def message_body(self, to: str, message: OutgoingMessage) -> dict[str, Any]:
        """The Cloud API body that sends this template to ``to``, filled from ``message``
        (its parameters; its options' ids as the buttons' payloads)."""
        components: list[dict[str, Any]] = []
        if self.params:
            components.append(
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": v} for v in self.values(message)],
                }
            )
        for index, (option_id, _label) in enumerate(message.options[: len(self.buttons)]):
            components.append(
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": str(index),
                    "parameters": [{"type": "payload", "payload": option_id}],
                }
            )
        template: dict[str, Any] = {
            "name": self.name,
            "language": {"policy": "deterministic", "code": self.language},
        }
        if components:
            template["components"] = components
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "template",
            "template": template,
        }

    def creation(self) -> dict[str, Any]:
        """The body of Meta's template-creation API (``POST /<WABA-ID>/message_templates``)."""
        body: dict[str, Any] = {"type": "BODY", "text": self.body}
        if self.params:
            body["example"] = {"body_text": [list(self.examples)]}
        components: list[dict[str, Any]] = [body]
        if self.buttons:
            components.append(
                {
                    "type": "BUTTONS",
                    "buttons": [{"type": "QUICK_REPLY", "text": text} for text in self.buttons],
                }
            )
        return {
            "name": self.name,
            "language": self.language,
            "category": self.category,
            "components": components,
        }


class Templates:
    def __init__(self, templates: list[Template]) -> None:
        self.all = templates
        self._by_msgid: dict[str, Template] = {}
        for template in templates:
            template.check()
            for msgid in template.messages:
                if msgid in self._by_msgid:
                    raise TemplateError(f"a message has two templates: {template.name}")
                self._by_msgid[msgid] = template

    def for_message(self, message: OutgoingMessage) -> Template | None:
        return self._by_msgid.get(message.msgid)

    @classmethod
    def load(cls, path: Path = TEMPLATES_FILE) -> Templates:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        templates = []
        for entry in data.get("templates") or []:
            templates.append(
                Template(
                    name=str(entry["name"]),
                    language=str(entry.get("language", "id")),
                    category=str(entry.get("category", "UTILITY")),
                    body=" ".join(str(entry["body"]).split()),
                    params=tuple(str(p) for p in entry.get("params") or ()),
                    messages=tuple(resolve(str(r)) for r in entry.get("messages") or ()),
                    examples=tuple(str(e) for e in entry.get("examples") or ()),
                    buttons=tuple(str(b) for b in entry.get("buttons") or ()),
                )
            )
        return cls(templates)
