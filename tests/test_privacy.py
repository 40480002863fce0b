"""The applicant's own data: /datasaya shows it, /hapus deletes it (rows and files)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from bot.app import App
from handlers.i18n import Translator
from storage.models import Application, Consent, Conversation, Document
from tests.dialog import ConsoleChat, Person, fill_registration


def photo(path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1000), (10, 120, 200)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


async def rows(app: App) -> dict[str, int]:
    async with app.db.transaction() as session:
        return {
            model.__name__: int(
                (await session.execute(select(func.count()).select_from(model))).scalar_one()
            )
            for model in (Application, Document, Consent, Conversation)
        }


def files(app: App) -> list[Path]:
    root = app.settings.data_dir / "files"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def test_see_then_delete_my_data(app: App, t: Translator, tmp_path: Path) -> None:
    person = Person(name="Wa Ode Sitti")
    chat = ConsoleChat(app)
    await fill_registration(chat, person)
    await chat.press("KTP")
    await chat.say(str(photo(tmp_path / "ktp.jpg")))
    out = await chat.say("/datasaya")
    assert "KPPS-7471-000001" in out and person.name in out and "7471********0001" in out
    assert "KTP-el" in out and app.period.consent_version in out
    out = await chat.say("/hapus")
    out = await chat.press(t.C_("button", "No, keep it"))
    assert (await rows(app))["Application"] == 1 and len(files(app)) == 1
    await chat.say("/hapus")
    out = await chat.press(t.C_("button", "Yes, delete my data"))
    assert "/daftar" in out
    assert await rows(app) == {"Application": 0, "Document": 0, "Consent": 0, "Conversation": 0}
    assert files(app) == []
    out = await chat.say("/datasaya")
    assert t._("We do not hold any personal data from this chat.") in out
    out = await fill_registration(chat, person)  # the same NIK may register again
    assert "KPPS-7471-000002" in out


async def test_delete_a_draft(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await chat.say("/daftar")
    await chat.press(t.C_("button", "I agree"))
    await chat.say(Person().nik)
    out = await chat.say("/datasaya")
    assert "7471********0001" in out
    await chat.say("/hapus")
    await chat.press(t.C_("button", "Yes, delete my data"))
    assert await rows(app) == {"Application": 0, "Document": 0, "Consent": 0, "Conversation": 0}
