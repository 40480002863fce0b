"""The fake Cloud API answers like the real one: it refuses what Meta refuses, with Graph's
error object, and records the refusals."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.fakes.whatsapp_api import FakeWhatsAppAPI


def text(body: str, **extra: Any) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "text",
        "text": {"body": body, "preview_url": False},
        **extra,
    }


def buttons(*titles: str) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Pilih"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": f"b:{i}", "title": t}}
                    for i, t in enumerate(titles)
                ]
            },
        },
    }


async def post(fake: FakeWhatsAppAPI, body: Any, token: str | None = None) -> tuple[int, Any]:
    url = f"{fake.base_url}/{fake.version}/{fake.phone_number_id}/messages"
    headers = {"Authorization": f"Bearer {token or fake.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body, headers=headers) as response,
    ):
        return response.status, await response.json()


async def test_a_valid_message_is_accepted_with_the_real_response_shape() -> None:
    async with FakeWhatsAppAPI() as fake:
        status, answer = await post(fake, text("Halo"))
        assert status == 200
        assert answer["messaging_product"] == "whatsapp"
        assert answer["contacts"] == [{"input": "6281234567890", "wa_id": "6281234567890"}]
        assert answer["messages"][0]["id"].startswith("wamid.")
        assert fake.invalid == [] and [m.text for m in fake.sent] == ["Halo"]


@pytest.mark.parametrize(
    "body",
    [
        text("t" * 4097),
        text("Halo", surprise=True),  # a property the spec does not declare
        {**text("Halo"), "type": "telepathy"},
        buttons("a", "b", "c", "d"),
        buttons("a" * 21),
        buttons("Ya", "Ya"),
        {k: v for k, v in text("Halo").items() if k != "to"},
    ],
)
async def test_an_invalid_message_is_refused_and_recorded(body: dict[str, Any]) -> None:
    async with FakeWhatsAppAPI() as fake:
        status, answer = await post(fake, body)
        assert status == 400
        assert set(answer["error"]) == {"message", "type", "code", "error_subcode", "fbtrace_id"}
        assert answer["error"]["code"] == 131009
        assert len(fake.invalid) == 1 and fake.invalid[0].problems
        assert fake.sent == []


async def test_every_call_needs_the_bearer_token() -> None:
    async with FakeWhatsAppAPI() as fake:
        status, answer = await post(fake, text("Halo"), token="wrong")
        assert status == 401 and answer["error"]["code"] == 190
        media_id = fake.add_media(b"%PDF-1.4", "application/pdf")
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{fake.base_url}/download/{media_id}") as response:
                assert response.status == 401
            headers = {"Authorization": f"Bearer {fake.token}"}
            async with session.get(
                f"{fake.base_url}/{fake.version}/{media_id}", headers=headers
            ) as response:
                info = await response.json()
            assert info["file_size"] == 8 and info["mime_type"] == "application/pdf"
            async with session.get(info["url"], headers=headers) as response:
                assert await response.read() == b"%PDF-1.4"
        assert fake.downloads == [media_id]
