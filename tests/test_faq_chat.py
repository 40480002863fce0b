"""FAQ in conversations: the menu, free-text questions in and outside a flow, period changes
and a reloaded knowledge base — through the console and Telegram adapters."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from bot.app import App, build_app
from handlers.i18n import Translator
from tests.dialog import ConsoleChat, Person, q
from tests.telegram_chat import TelegramChat, running_bot


async def test_menu_by_category(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    out = await chat.say("/tanya")
    for label in ("Requirements", "Documents", "Schedule", "Pay and term", "Selection"):
        assert t.C_("button", label) in out
    out = await chat.press(t.C_("button", "Pay and term"))
    entry = app.knowledge.get().by_category("honor")[0]
    assert entry.label.get("id") in out
    out = await chat.press(entry.label.get("id"))
    assert t.C_("button", "Other questions") in out


async def test_free_text_question_outside_a_flow(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    out = await chat.say("honor kpps brp sih?")
    assert "Rp" in out and "900" in out
    out = await chat.say("siapa presiden indonesia sekarang?")
    assert app.period.contact in out


async def test_question_in_the_middle_of_registration_resumes_the_step(
    app: App, t: Translator
) -> None:
    person = Person()
    chat = ConsoleChat(app)
    await chat.say("/daftar")
    await chat.press(t.C_("button", "I agree"))
    await chat.say(person.nik)
    out = await chat.say("umur maksimal brp ya?")  # at the name step: a question, not a name
    assert "55" in out and q(t, 2) in out
    out = await chat.say(person.name)  # the answer that fits the step is still taken
    assert q(t, 3) in out
    await chat.say(person.birth_text)
    await chat.press(t.C_("button", "Yes, that's right"))
    await chat.say(person.phone)
    out = await chat.say("berkas apa aja yg harus disiapin?")  # at the address step
    assert "KTP" in out and q(t, 6) in out
    out = await chat.say("/ubah")
    assert person.name in out and "+6281234567890" in out  # nothing lost


async def test_period_change_is_reflected_in_answers(
    app: App, settings_factory: Any, tmp_path: Path
) -> None:
    chat = ConsoleChat(app)
    out = await chat.say("berapa honor anggota kpps?")
    assert "850.000" in out
    period = tmp_path / "period.toml"
    text = app.settings.period_file.read_text(encoding="utf-8")
    period.write_text(text.replace("honorarium_anggota = 850000", "honorarium_anggota = 1100000"))
    await app.close()
    changed = await build_app(settings_factory(period_file=period))
    try:
        out = await ConsoleChat(changed, "other").say("berapa honor anggota kpps?")
        assert "1.100.000" in out and "850.000" not in out
    finally:
        await changed.close()


async def test_edited_knowledge_base_is_reloaded_on_change(
    settings_factory: Any, tmp_path: Path
) -> None:
    from bot.settings import DATA_DIR

    kb_dir = tmp_path / "kb"
    kb_dir.mkdir()
    for name in ("faq.yaml", "slang.yaml"):
        shutil.copy(DATA_DIR / name, kb_dir / name)
    app = await build_app(settings_factory(faq_file=kb_dir / "faq.yaml"))
    try:
        app.knowledge.check_interval = 0
        chat = ConsoleChat(app)
        out = await chat.say("berapa honor anggota kpps?")
        assert "Rp" in out
        data = yaml.safe_load((kb_dir / "faq.yaml").read_text(encoding="utf-8"))
        for entry in data["entries"]:
            if entry["category"] == "honor" and "honorarium_anggota" in entry["answer"]["id"]:
                entry["answer"]["id"] = "Jawaban baru dari KPU: {honorarium_anggota} per bulan."
        path = kb_dir / "faq.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        import os

        os.utime(path, (path.stat().st_atime + 5, path.stat().st_mtime + 5))
        out = await chat.say("berapa honor anggota kpps?")
        assert "Jawaban baru dari KPU" in out
    finally:
        await app.close()


async def test_faq_over_telegram_mid_registration(app: App, t: Translator) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        await chat.say("/daftar")
        await chat.press(t.C_("button", "I agree"))
        out = await chat.say("kapan pengumuman hasil seleksi?")
        assert q(t, 1) in out
        await chat.say("/tanya")
        await chat.press(t.C_("button", "Requirements"))
        entry = app.knowledge.get().by_category("syarat")[0]
        out = await chat.press(entry.label.get("id"))
        assert q(t, 1) in out  # the answer, then back to the NIK question
        assert fake.errors == [] and fake.unanswered_callbacks() == []


def test_faq_check_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bot.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["faq", "check"])
    assert result.exit_code == 0, result.output
    broken = tmp_path / "faq.yaml"
    broken.write_text("entries: [{id: x}]\n", encoding="utf-8")
    result = runner.invoke(cli, ["faq", "check", str(broken)])
    assert result.exit_code == 1
