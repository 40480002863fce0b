"""WhatsApp Cloud API layout of a channel-neutral ``Reply``: pure, no network, no client.

``layout(reply)`` returns the JSON bodies to POST, in order, to ``/{phone-number-id}/messages``
(WhatsApp Business Messaging API v23.0, ``../shared/specs/whatsapp-business-messaging-v23.0.yaml``
beside the checkout); ``violations(bodies)`` lists every limit of that API a body breaks.

How a reply is laid out:

* ``notice`` (a toast on Telegram; WhatsApp has none) becomes a text message first.
* each file becomes a ``document`` message. The media id only exists after an upload to
  ``/{phone-number-id}/media``, so ``document.id`` is the placeholder ``<upload:{i}>`` where
  ``i`` is the file's index in ``reply.files``; the channel uploads ``reply.files[i]`` and puts
  the returned id there. A caption over 1,024 characters is sent as text after the document.
* no options: the text as text messages of at most 4,096 characters, split at paragraph or
  line ends.
* up to three options, none with a description and all labels distinct: reply buttons
  (titles ≤ 20). Reply buttons cannot show a description, so options that carry one (a label
  shortened by ``Option``, the full text kept as its description) go into a list instead.
* otherwise up to ten options: a list with one section (no section title: optional for a single
  section) whose rows are the options (title ≤ 24, description ≤ 72).
* more than ten options: the list shows one page, selected by ``reply.page``: page 1 holds
  nine options and a "▶ 2" row, a middle page "◀ n-1", eight options and "▶ n+1", the last page
  "◀ n-1" and up to nine options. A paging row's id is ``~page:{n}:{reply.signature()}``, the
  same control the Telegram channel sends; the engine answers it with ``reply.page = n``.
* the body of an interactive message holds at most 1,024 characters. A longer text goes first
  as text messages and the interactive message carries only its last paragraph, when that fits,
  else ``BODY_FALLBACK``. No sentence is made up here: user-facing text lives in ``locales/``,
  so the layout only reuses the reply's own text and language-neutral symbols.

Limits are the spec's (``maxLength``/``maxItems``) and Meta's interactive-message guides. The
recipient is the placeholder ``to`` (``RECIPIENT``); the channel sets the real number.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.channels import common
from bot.channels.common import page_id
from handlers.messages import Option, Reply

Body = dict[str, Any]

RECIPIENT = "<to>"
UPLOAD_PREFIX = "<upload:"  # document.id placeholder: f"<upload:{index in reply.files}>"

TEXT_MAX = 4096  # text.body
BODY_MAX = 1024  # interactive.body.text
HEADER_MAX = 60  # interactive.header.text
FOOTER_MAX = 60  # interactive.footer.text
CAPTION_MAX = 1024  # document.caption
BUTTONS_MAX = 3  # action.buttons
BUTTON_TITLE_MAX = 20  # action.buttons[].reply.title
BUTTON_ID_MAX = 256  # action.buttons[].reply.id
LIST_BUTTON_MAX = 20  # action.button: the control that opens the list
SECTIONS_MAX = 10  # action.sections
SECTION_TITLE_MAX = 24  # action.sections[].title
ROWS_MAX = 10  # rows of all sections together
ROW_TITLE_MAX = 24  # action.sections[].rows[].title
ROW_ID_MAX = 200  # action.sections[].rows[].id
ROW_DESCRIPTION_MAX = 72  # action.sections[].rows[].description

PAGE_FIRST = ROWS_MAX - 1  # options on the first page: one row for "next"
PAGE_MIDDLE = ROWS_MAX - 2  # options on a middle page: "previous" and "next"
BODY_FALLBACK = "⬇️"  # body of an interactive message whose text went before it
LIST_BUTTON = "☰"  # opens the list; "☰ 2/3" on a paged list


def layout(reply: Reply, *, to: str = RECIPIENT) -> list[Body]:
    """The message bodies that show ``reply`` on WhatsApp, in sending order."""
    bodies: list[Body] = []
    if reply.notice:
        bodies += [_text(part, to) for part in split_text(reply.notice)]
    for index, outgoing in enumerate(reply.files):
        document: dict[str, str] = {"id": f"{UPLOAD_PREFIX}{index}>", "filename": outgoing.name}
        caption = outgoing.caption.strip()
        if caption and len(caption) <= CAPTION_MAX:
            document["caption"] = caption
        bodies.append(_envelope(to, "document", document))
        if len(caption) > CAPTION_MAX:
            bodies += [_text(part, to) for part in split_text(caption)]
    text = reply.text.strip()
    if not reply.options:
        if text:
            bodies += [_text(part, to) for part in split_text(text)]
        return bodies
    before, body = _interactive_body(text)
    bodies += [_text(part, to) for part in before]
    bodies.append(_envelope(to, "interactive", _interactive(reply, body)))
    return bodies


def split_text(text: str, limit: int = TEXT_MAX) -> list[str]:
    return common.split_text(text, limit)


def pages(count: int) -> list[tuple[int, int]]:
    """The ``(start, end)`` slice of the options on each page of a list of ``count``."""
    if count <= ROWS_MAX:
        return [(0, count)]
    bounds = [(0, PAGE_FIRST)]
    start = PAGE_FIRST
    while count - start > ROWS_MAX - 1:  # more than fit next to a "previous" row
        bounds.append((start, start + PAGE_MIDDLE))
        start += PAGE_MIDDLE
    bounds.append((start, count))
    return bounds


def _envelope(to: str, kind: str, content: Body) -> Body:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": kind,
        kind: content,
    }


def _text(body: str, to: str) -> Body:
    return _envelope(to, "text", {"body": body, "preview_url": False})


def _interactive_body(text: str) -> tuple[list[str], str]:
    """The text messages sent before the interactive one, and the interactive body."""
    if not text:
        return [], BODY_FALLBACK
    if len(text) <= BODY_MAX:
        return [], text
    head, _, last = text.rpartition("\n\n")
    last = last.strip()
    if head.strip() and last and len(last) <= BODY_MAX:
        return split_text(head.rstrip()), last
    return split_text(text), BODY_FALLBACK


def _as_buttons(options: list[Option]) -> bool:
    labels = [o.label for o in options]
    return (
        len(options) <= BUTTONS_MAX
        and not any(o.description for o in options)
        and len(set(labels)) == len(labels)
    )


def _interactive(reply: Reply, body: str) -> Body:
    options = reply.options
    if _as_buttons(options):
        buttons = [{"type": "reply", "reply": {"id": o.id, "title": o.label}} for o in options]
        return {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}}
    bounds = pages(len(options))
    page = min(max(reply.page, 1), len(bounds))
    start, end = bounds[page - 1]
    rows: list[Body] = [_row(o) for o in options[start:end]]
    button = LIST_BUTTON
    if len(bounds) > 1:
        signature = reply.signature()
        if page > 1:
            rows.append({"id": page_id(page - 1, signature), "title": f"◀ {page - 1}"})
        if page < len(bounds):
            rows.append({"id": page_id(page + 1, signature), "title": f"▶ {page + 1}"})
        button = f"{LIST_BUTTON} {page}/{len(bounds)}"
    return {
        "type": "list",
        "body": {"text": body},
        "action": {"button": button, "sections": [{"rows": rows}]},
    }


def _row(option: Option) -> Body:
    row: Body = {"id": option.id, "title": option.label}
    if option.description:
        row["description"] = option.description
    return row


# --- checking ----------------------------------------------------------------------------


def violations(bodies: list[Body]) -> list[str]:
    """Every WhatsApp Cloud API limit the bodies break, as readable sentences (developer
    diagnostics, not user-facing); empty when all of them can be sent."""
    problems: list[str] = []
    for number, body in enumerate(bodies, 1):
        kind = body.get("type")
        where = f"message {number} ({kind})"
        problems += [f"{where}: {problem}" for problem in _check(body)]
    return problems


def _too_long(what: str, value: Any, limit: int, *, required: bool = True) -> list[str]:
    if value is None and not required:
        return []
    if not isinstance(value, str):
        return [f"{what} is missing"] if value is None else [f"{what} is not a string"]
    if required and not value.strip():
        return [f"{what} is empty"]
    if len(value) > limit:
        return [f"{what} has {len(value)} characters, more than {limit}: {value[:40]!r}…"]
    return []


def _check(body: Body) -> list[str]:
    problems: list[str] = []
    if body.get("messaging_product") != "whatsapp":
        problems.append("messaging_product is not 'whatsapp'")
    if not body.get("to"):
        problems.append("'to' is missing")
    kind = body.get("type")
    content = body.get(kind) if isinstance(kind, str) else None
    if not isinstance(content, dict):
        return [*problems, f"no {kind!r} object"]
    if kind == "text":
        problems += _too_long("text body", content.get("body"), TEXT_MAX)
    elif kind == "document":
        if not content.get("id") and not content.get("link"):
            problems.append("document has neither id nor link")
        problems += _too_long("caption", content.get("caption"), CAPTION_MAX, required=False)
    elif kind == "interactive":
        problems += _check_interactive(content)
    else:
        problems.append(f"unexpected message type {kind!r}")
    return problems


def _check_interactive(interactive: Body) -> list[str]:
    problems: list[str] = []
    body = interactive.get("body")
    problems += _too_long("body", body.get("text") if isinstance(body, dict) else None, BODY_MAX)
    header = interactive.get("header")
    if isinstance(header, dict) and header.get("type") == "text":
        problems += _too_long("header", header.get("text"), HEADER_MAX)
    footer = interactive.get("footer")
    if footer is not None:
        text = footer.get("text") if isinstance(footer, dict) else None
        problems += _too_long("footer", text, FOOTER_MAX)
    action = interactive.get("action")
    if not isinstance(action, dict):
        return [*problems, "no action"]
    kind = interactive.get("type")
    if kind == "button":
        problems += _check_buttons(action.get("buttons"))
    elif kind == "list":
        problems += _check_list(action)
    else:
        problems.append(f"unexpected interactive type {kind!r}")
    return problems


def _check_buttons(buttons: Any) -> list[str]:
    if not isinstance(buttons, list) or not buttons:
        return ["no buttons"]
    problems: list[str] = []
    if len(buttons) > BUTTONS_MAX:
        problems.append(f"{len(buttons)} buttons, more than {BUTTONS_MAX}")
    ids: list[str] = []
    titles: list[str] = []
    for number, button in enumerate(buttons, 1):
        reply = button.get("reply") if isinstance(button, dict) else None
        if not isinstance(reply, dict) or button.get("type") != "reply":
            problems.append(f"button {number} is not a reply button")
            continue
        button_id, title = reply.get("id"), reply.get("title")
        problems += _too_long(f"button {number} id", button_id, BUTTON_ID_MAX)
        if isinstance(button_id, str) and button_id != button_id.strip():
            problems.append(f"button {number} id {button_id!r} has leading or trailing spaces")
        problems += _too_long(f"button {number} title", title, BUTTON_TITLE_MAX)
        ids.append(str(button_id))
        titles.append(str(title))
    problems += _duplicates("button id", ids) + _duplicates("button title", titles)
    return problems


def _check_list(action: Body) -> list[str]:
    problems = _too_long("list button", action.get("button"), LIST_BUTTON_MAX)
    sections = action.get("sections")
    if not isinstance(sections, list) or not sections:
        return [*problems, "no sections"]
    if len(sections) > SECTIONS_MAX:
        problems.append(f"{len(sections)} sections, more than {SECTIONS_MAX}")
    ids: list[str] = []
    total = 0
    for number, section in enumerate(sections, 1):
        if not isinstance(section, dict):
            problems.append(f"section {number} is not an object")
            continue
        title = section.get("title")
        problems += _too_long(
            f"section {number} title", title, SECTION_TITLE_MAX, required=len(sections) > 1
        )
        rows = section.get("rows")
        if not isinstance(rows, list) or not rows:
            problems.append(f"section {number} has no rows")
            continue
        for row in rows:
            total += 1
            if not isinstance(row, dict):
                problems.append(f"row {total} is not an object")
                continue
            problems += _too_long(f"row {total} id", row.get("id"), ROW_ID_MAX)
            problems += _too_long(f"row {total} title", row.get("title"), ROW_TITLE_MAX)
            problems += _too_long(
                f"row {total} description",
                row.get("description"),
                ROW_DESCRIPTION_MAX,
                required=False,
            )
            ids.append(str(row.get("id")))
    if total > ROWS_MAX:
        problems.append(f"{total} rows, more than {ROWS_MAX}")
    return problems + _duplicates("row id", ids)


def _duplicates(what: str, values: list[str]) -> list[str]:
    counts = Counter(values)
    return [f"{what} {value!r} is used {n} times" for value, n in counts.items() if n > 1]
