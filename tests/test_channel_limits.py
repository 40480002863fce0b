"""The WhatsApp layout of replies, its limit checker, and its bodies against the API spec."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels import telegram
from bot.channels import whatsapp_layout as wa
from bot.channels.common import parse_page_id
from handlers.messages import LABEL_MAX, Option, OutgoingFile, Reply
from tests.fakes.whatsapp_api import validate

SPEC = Path(__file__).resolve().parents[2] / "shared/specs/whatsapp-business-messaging-v23.0.yaml"


def options(count: int, prefix: str = "reg:kec") -> list[Option]:
    return [Option(f"{prefix}:{i}", f"Pilihan {i}") for i in range(1, count + 1)]


def interactive(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    assert bodies[-1]["type"] == "interactive"
    return bodies[-1]["interactive"]


def rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for section in body["action"]["sections"] for row in section["rows"]]


def option_ids(body: dict[str, Any]) -> list[str]:
    return [row["id"] for row in rows(body) if parse_page_id(row["id"]) is None]


def paging(body: dict[str, Any]) -> list[tuple[str, tuple[int, str] | None]]:
    return [(row["title"], parse_page_id(row["id"])) for row in rows(body)[-2:]]


# --- layout ------------------------------------------------------------------------------


def test_text_only_is_one_text_message() -> None:
    bodies = wa.layout(Reply(text="Halo!"))
    assert bodies == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": wa.RECIPIENT,
            "type": "text",
            "text": {"body": "Halo!", "preview_url": False},
        }
    ]
    assert wa.layout(Reply(text="Halo!"), to="6281234567890")[0]["to"] == "6281234567890"
    assert wa.layout(Reply()) == []


def test_two_options_are_reply_buttons() -> None:
    reply = Reply(text="Lanjut?", options=[Option("a:yes", "Ya"), Option("a:no", "Tidak")])
    bodies = wa.layout(reply)
    assert len(bodies) == 1
    body = interactive(bodies)
    assert body["type"] == "button"
    assert body["body"] == {"text": "Lanjut?"}
    assert body["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": "a:yes", "title": "Ya"}},
        {"type": "reply", "reply": {"id": "a:no", "title": "Tidak"}},
    ]
    assert wa.violations(bodies) == []


def test_six_options_are_one_list() -> None:
    reply = Reply(text="Pilih kecamatan", options=options(6))
    body = interactive(wa.layout(reply))
    assert body["type"] == "list"
    assert len(body["action"]["sections"]) == 1
    assert [row["id"] for row in rows(body)] == [o.id for o in reply.options]
    assert [row["title"] for row in rows(body)] == [o.label for o in reply.options]
    assert 0 < len(body["action"]["button"]) <= wa.LIST_BUTTON_MAX
    assert wa.violations(wa.layout(reply)) == []


def test_ten_options_fit_one_list_without_paging() -> None:
    reply = Reply(text="Pilih", options=options(10), long=True)
    body = interactive(wa.layout(reply))
    assert option_ids(body) == [o.id for o in reply.options]
    assert len(rows(body)) == 10


def test_few_options_with_descriptions_are_a_list() -> None:
    """Reply buttons cannot show a description: a shortened label keeps its full text there."""
    reply = Reply(text="Kelurahan?", options=[Option("k:1", "Kelurahan Yang Namanya Panjang")])
    body = interactive(wa.layout(reply))
    assert body["type"] == "list"
    assert rows(body)[0]["description"] == "Kelurahan Yang Namanya Panjang"


def test_few_options_with_equal_labels_are_a_list() -> None:
    reply = Reply(text="TPS?", options=[Option("t:1", "Baruga"), Option("t:2", "Baruga")])
    assert interactive(wa.layout(reply))["type"] == "list"


def test_twenty_five_options_are_paged() -> None:
    reply = Reply(text="Pilih kelurahan", options=options(25), long=True)
    signature = reply.signature()
    assert wa.pages(25) == [(0, 9), (9, 17), (17, 25)]

    first = interactive(wa.layout(reply))
    assert option_ids(first) == [o.id for o in reply.options[:9]]
    assert len(rows(first)) == 10
    assert rows(first)[-1]["title"] == "▶ 2"
    assert parse_page_id(rows(first)[-1]["id"]) == (2, signature)

    middle = interactive(wa.layout(replace(reply, page=2)))
    assert option_ids(middle) == [o.id for o in reply.options[9:17]]
    assert len(rows(middle)) == 10
    assert paging(middle) == [("◀ 1", (1, signature)), ("▶ 3", (3, signature))]

    last = interactive(wa.layout(replace(reply, page=3)))
    assert option_ids(last) == [o.id for o in reply.options[17:]]
    assert rows(last)[-1]["title"] == "◀ 2"
    assert parse_page_id(rows(last)[-1]["id"]) == (2, signature)
    assert not any(row["title"].startswith("▶") for row in rows(last))

    for page in (1, 2, 3):
        assert wa.violations(wa.layout(replace(reply, page=page))) == []
    assert interactive(wa.layout(replace(reply, page=99))) == last  # clamped like Telegram
    assert {first["action"]["button"], last["action"]["button"]} == {"☰ 1/3", "☰ 3/3"}


def test_paging_rows_speak_the_telegram_page_protocol() -> None:
    reply = Reply(text="Pilih", options=options(12), long=True)
    row_id = rows(interactive(wa.layout(reply)))[-1]["id"]
    assert telegram.parse_page_id(row_id) == (2, reply.signature())  # what Telegram reads
    assert parse_page_id("reg:kec:1") is None
    assert parse_page_id("~page:x:abc") is None


def test_long_text_splits_into_two_text_messages() -> None:
    paragraphs = [f"Paragraf {i}: " + "x" * 480 for i in range(10)]
    text = "\n\n".join(paragraphs)
    assert len(text) > 4096
    bodies = wa.layout(Reply(text=text))
    assert [body["type"] for body in bodies] == ["text", "text"]
    assert all(len(body["text"]["body"]) <= wa.TEXT_MAX for body in bodies)
    assert "\n\n".join(body["text"]["body"] for body in bodies) == text
    assert wa.split_text(text) == telegram.split_text(text)

    unbroken = wa.layout(Reply(text="y" * 5000))
    assert [len(body["text"]["body"]) for body in unbroken] == [4096, 904]
    assert wa.violations(bodies + unbroken) == []


def test_long_body_with_options_sends_the_text_first() -> None:
    question = "Pilih salah satu:"
    text = "\n\n".join(["a" * 900, "b" * 900, question])
    reply = Reply(text=text, options=[Option("x:1", "Satu"), Option("x:2", "Dua")])
    bodies = wa.layout(reply)
    assert [body["type"] for body in bodies] == ["text", "interactive"]
    assert bodies[0]["text"]["body"] == "\n\n".join(["a" * 900, "b" * 900])
    assert interactive(bodies)["body"]["text"] == question  # the question stays with buttons
    assert wa.violations(bodies) == []


def test_long_last_paragraph_goes_before_a_neutral_body() -> None:
    text = "Pertanyaan " + "z" * 1100
    bodies = wa.layout(Reply(text=text, options=options(5)))
    assert [body["type"] for body in bodies] == ["text", "interactive"]
    assert bodies[0]["text"]["body"] == text
    body = interactive(bodies)["body"]["text"]
    assert body == wa.BODY_FALLBACK
    assert len(body) <= wa.BODY_MAX
    assert wa.violations(bodies) == []


def test_options_without_text_get_a_neutral_body() -> None:
    body = interactive(wa.layout(Reply(options=options(2))))
    assert body["body"]["text"] == wa.BODY_FALLBACK


def test_a_label_at_the_limit_is_kept() -> None:
    label = "L" * LABEL_MAX
    description = "D" * wa.ROW_DESCRIPTION_MAX
    button = interactive(wa.layout(Reply(text="?", options=[Option("x:1", label)])))
    assert button["action"]["buttons"][0]["reply"]["title"] == label
    listed = interactive(
        wa.layout(Reply(text="?", options=[*options(4), Option("x:1", label, description)]))
    )
    assert rows(listed)[-1] == {"id": "x:1", "title": label, "description": description}
    assert wa.violations(wa.layout(Reply(text="?", options=[Option("x:1", label)]))) == []


def test_files_are_document_messages_with_an_upload_placeholder() -> None:
    files = [
        OutgoingFile("formulir.pdf", b"%PDF", caption="Formulir"),
        OutgoingFile("surat.pdf", b"%PDF", caption="c" * 1500),
    ]
    bodies = wa.layout(Reply(text="Silakan", files=files))
    assert [body["type"] for body in bodies] == ["document", "document", "text", "text"]
    assert bodies[0]["document"] == {
        "id": "<upload:0>",
        "filename": "formulir.pdf",
        "caption": "Formulir",
    }
    assert bodies[1]["document"] == {"id": "<upload:1>", "filename": "surat.pdf"}
    assert bodies[2]["text"]["body"] == "c" * 1500  # too long for a caption: sent as text
    assert bodies[3]["text"]["body"] == "Silakan"
    assert wa.violations(bodies) == []


def test_a_notice_becomes_a_text_message() -> None:
    bodies = wa.layout(Reply(notice="Tombol itu sudah tidak aktif."))
    assert [body["text"]["body"] for body in bodies] == ["Tombol itu sudah tidak aktif."]


@settings(max_examples=80, deadline=None)
@given(
    count=st.integers(0, 60),
    text=st.text(alphabet="ab \n", max_size=6000),
    page=st.integers(0, 12),
)
def test_every_page_of_any_reply_is_valid(count: int, text: str, page: int) -> None:
    reply = Reply(text=text, options=options(count), long=True, page=page)
    assert wa.violations(wa.layout(reply)) == []
    shown = [
        option
        for number in range(1, len(wa.pages(count)) + 1)
        for body in wa.layout(replace(reply, page=number))
        if body["type"] == "interactive" and body["interactive"]["type"] == "list"
        for option in option_ids(body["interactive"])
    ]
    if count > wa.BUTTONS_MAX:
        assert shown == [o.id for o in reply.options]


# --- violations --------------------------------------------------------------------------


def buttons_body(*titles: str, body: str = "?") -> dict[str, Any]:
    buttons = [
        {"type": "reply", "reply": {"id": f"b:{i}", "title": t}} for i, t in enumerate(titles)
    ]
    return {
        "messaging_product": "whatsapp",
        "to": wa.RECIPIENT,
        "type": "interactive",
        "interactive": {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}},
    }


def list_body(count: int, title: str = "Baris", button: str = "☰") -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "to": wa.RECIPIENT,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "?"},
            "action": {
                "button": button,
                "sections": [{"rows": [{"id": f"r:{i}", "title": title} for i in range(count)]}],
            },
        },
    }


def test_violations_flag_an_over_long_title() -> None:
    problems = wa.violations([buttons_body("x" * 21)])
    assert len(problems) == 1
    assert "button 1 title has 21 characters, more than 20" in problems[0]
    assert "row 1 title has 25 characters" in wa.violations([list_body(1, title="t" * 25)])[0]
    assert wa.violations([list_body(1, title="t" * 24)]) == []
    assert "list button has 21 characters" in wa.violations([list_body(1, button="b" * 21)])[0]


def test_violations_flag_four_buttons() -> None:
    problems = wa.violations([buttons_body("a", "b", "c", "d")])
    assert problems == ["message 1 (interactive): 4 buttons, more than 3"]


def test_violations_flag_eleven_rows() -> None:
    problems = wa.violations([list_body(11)])
    assert problems == ["message 1 (interactive): 11 rows, more than 10"]
    two_sections = list_body(6)
    action = two_sections["interactive"]["action"]
    action["sections"].append(
        {"title": "Lagi", "rows": [{"id": f"s:{i}", "title": "x"} for i in range(5)]}
    )
    assert any("11 rows" in p for p in wa.violations([two_sections]))
    assert any("section 1 title is missing" in p for p in wa.violations([two_sections]))


def test_violations_flag_other_limits() -> None:
    long_text = wa.layout(Reply(text="?"))[0]
    long_text["text"]["body"] = "t" * 4097
    duplicated = buttons_body("Ya", "Ya")
    duplicated["interactive"]["action"]["buttons"][1]["reply"]["id"] = "b:0"
    row = list_body(1)
    row["interactive"]["action"]["sections"][0]["rows"][0].update(
        id="i" * 201, description="d" * 73
    )
    problems = wa.violations(
        [long_text, buttons_body("Ya", body="b" * 1025), duplicated, row, buttons_body("")]
    )
    assert problems == [
        f"message 1 (text): text body has 4097 characters, more than 4096: {'t' * 40!r}…",
        f"message 2 (interactive): body has 1025 characters, more than 1024: {'b' * 40!r}…",
        "message 3 (interactive): button id 'b:0' is used 2 times",
        "message 3 (interactive): button title 'Ya' is used 2 times",
        f"message 4 (interactive): row 1 id has 201 characters, more than 200: {'i' * 40!r}…",
        "message 4 (interactive): row 1 description has 73 characters, more than 72: "
        f"{'d' * 40!r}…",
        "message 5 (interactive): button 1 title is empty",
    ]


# --- the bodies against the OpenAPI spec -------------------------------------------------


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    if not SPEC.exists():
        pytest.skip(f"no WhatsApp spec at {SPEC}")
    with SPEC.open(encoding="utf-8") as handle:
        spec = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    result: dict[str, Any] = spec["components"]["schemas"]
    return result


def spec_errors(body: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    """The body against the spec's ``Message`` schema, read as the fake Cloud API reads it
    (``tests/fakes/whatsapp_api.py``: each type's ``allOf`` as one schema)."""
    return validate({"$ref": "#/components/schemas/Message"}, body)


def test_the_bodies_match_the_spec(schemas: dict[str, Any]) -> None:
    long_text = "\n\n".join(["p" * 1500] * 4)
    replies = [
        Reply(text="Halo"),
        Reply(text=long_text),
        Reply(text="Lanjut?", options=[Option("a:yes", "Ya"), Option("a:no", "Tidak")]),
        Reply(text=long_text, options=options(6)),
        Reply(text="Pilih", options=[*options(24), Option("k:x", "Kelurahan Yang Panjang")]),
        Reply(text="Formulir", files=[OutgoingFile("f.pdf", b"%PDF", caption="F")]),
    ]
    bodies = [
        body
        for reply in replies
        for page in (1, 2, 3)
        for body in wa.layout(replace(reply, page=page))
    ]
    assert {b["type"] for b in bodies} == {"text", "interactive", "document"}
    assert [e for body in bodies for e in spec_errors(body, schemas)] == []


def test_the_spec_check_sees_what_violations_see(schemas: dict[str, Any]) -> None:
    for body in (buttons_body("a", "b", "c", "d"), list_body(1, title="t" * 25)):
        body["recipient_type"] = "individual"
        assert wa.violations([body])
        assert spec_errors(body, schemas)


def test_the_limits_are_the_specs(schemas: dict[str, Any]) -> None:
    action = schemas["ActionObject"]["oneOf"]
    buttons = action[1]["properties"]["buttons"]
    row = schemas["SectionObject"]["properties"]["rows"]
    assert buttons["maxItems"] == wa.BUTTONS_MAX
    assert buttons["items"]["properties"]["reply"]["properties"]["title"]["maxLength"] == (
        wa.BUTTON_TITLE_MAX
    )
    assert buttons["items"]["properties"]["reply"]["properties"]["id"]["maxLength"] == (
        wa.BUTTON_ID_MAX
    )
    assert action[0]["properties"]["button"]["maxLength"] == wa.LIST_BUTTON_MAX
    assert action[0]["properties"]["sections"]["maxItems"] == wa.SECTIONS_MAX
    assert row["maxItems"] == wa.ROWS_MAX
    assert {k: v["maxLength"] for k, v in row["items"]["properties"].items()} == {
        "id": wa.ROW_ID_MAX,
        "title": wa.ROW_TITLE_MAX,
        "description": wa.ROW_DESCRIPTION_MAX,
    }
    assert schemas["SectionObject"]["properties"]["title"]["maxLength"] == wa.SECTION_TITLE_MAX
    assert schemas["BodyObject"]["properties"]["text"]["maxLength"] == wa.BODY_MAX
    assert schemas["HeaderObject"]["properties"]["text"]["maxLength"] == wa.HEADER_MAX
    assert schemas["FooterObject"]["properties"]["text"]["maxLength"] == wa.FOOTER_MAX
    assert schemas["TextMessage_1"]["properties"]["body"]["maxLength"] == wa.TEXT_MAX
    caption = schemas["MediaObject_1"]["oneOf"][0]["properties"]["caption"]
    assert caption["maxLength"] == wa.CAPTION_MAX
