"""FAQ in conversations: the menu, free-text questions in and outside a flow, period changes
and a reloaded knowledge base — through the console and Telegram adapters."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from babel.dates import format_date

from bot.app import App, build_app
from handlers.faq import render_answer
from handlers.i18n import Translator
from tests.dialog import ConsoleChat, Person, fill_registration, q
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
    await chat.press(t.C_("button", "Yes, that's right"))  # the birth date read from the NIK
    out = await chat.say("umur maksimal brp ya?")  # at the name step: a question, not a name
    assert "55" in out and q(t, 3) in out
    out = await chat.say(person.name)  # the answer that fits the step is still taken
    assert q(t, 4) in out
    await chat.say(person.birth_place)
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


# -- issue 9: new entries, regional words, out-of-scope redirects, text at the menu ----------

#: A text of the long welcome (in both languages); text at the menu must not repeat it.
WELCOME_MARK = "KPPS (Kelompok Penyelenggara Pemungutan Suara) are"
WELCOME_MARK_ID = "Kelompok Penyelenggara Pemungutan Suara) adalah 7 orang"
NOT_SURE = "I am not sure what you mean. Maybe one of these questions? Or choose from the menu:"
MENU = ("Register now", "Check requirements", "Ask a question", "My status", "Help")


def assert_no_welcome(out: str) -> None:
    assert WELCOME_MARK not in out and WELCOME_MARK_ID not in out, out


async def test_new_entries_are_answered(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    out = await chat.say("pernah dipenjara, boleh daftar kpps?")
    assert "inkracht" in out and "5 tahun atau lebih" in out and "surat pernyataan" in out
    out = await chat.say("harus tes urine narkoba ga?")
    assert "bebas penyalahgunaan narkotika" in out and "KPU OKI" in out
    out = await chat.say("saya tenaga honorer, boleh jadi kpps?")
    assert "surat izin atasan" in out and "perangkat desa" in out
    out = await chat.say("data saya disimpan berapa lama?")
    months = app.period.retention_months
    assert f"{months} bulan setelah masa kerja KPPS berakhir" in out
    assert "/datasaya" in out and "/hapus" in out and "data pribadi spesifik" in out


async def test_regional_and_slang_questions_are_answered(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    out = await chat.say("gajine kpps piro?")
    assert "Rp900.000" in out and "Rp850.000" in out
    out = await chat.say("kudu lulus sma ora?")
    assert "ijazah terakhir" in out
    out = await chat.say("piye carane daftar kpps neng kene")
    assert "/daftar" in out and "NIK" in out
    out = await chat.say("tarikh tutup pendaftaran kpps")
    assert format_date(app.period.registration_close, format="long", locale="id") in out


async def test_out_of_scope_question_gets_a_redirect(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    out = await chat.say("cara cek dpt online")
    assert "cekdptonline.kpu.go.id" in out and "di luar layanan ini" in out
    assert "Rp" not in out and t.C_("button", "Other questions") in out
    out = await chat.say("daftar cpns kapan dibuka")
    assert "sscasn.bkn.go.id" in out


async def test_text_at_the_menu_gets_the_closest_questions_and_the_menu(
    app: App, t: Translator
) -> None:
    chat = ConsoleChat(app)
    await chat.say("/start")
    out = await chat.say("tps")  # neither a question nor a command, no confident match
    assert t._(NOT_SURE) in out
    assert_no_welcome(out)
    buttons = chat.buttons()
    assert buttons[3:] == [t.C_("button", label) for label in MENU]
    candidates = app.knowledge.matcher().match("tps").candidates
    assert buttons[:3] == [entry.label.get("id") for entry, _ in candidates]
    out = await chat.press(buttons[0])  # a suggested question: its answer
    today = app.period.local_today(datetime.now(UTC))
    assert render_answer(candidates[0][0], t, app.period, today=today)[:80] in out

    out = await chat.say("halo")  # nothing close: a short greeting and the menu
    assert out.startswith(t._("Hello! Choose what you want to do:"))
    assert_no_welcome(out)
    assert chat.buttons() == [t.C_("button", label) for label in MENU]


async def test_registered_person_at_the_menu_keeps_getting_the_status(
    app: App, t: Translator
) -> None:
    chat = ConsoleChat(app)
    await fill_registration(chat, Person())
    if t.C_("button", "Done for now") in chat.last:  # the documents step after submitting
        await chat.press(t.C_("button", "Done for now"))
    out = await chat.say("halo")
    assert t._("What happens next:") in out
    out = await chat.say("tps")
    assert t._(NOT_SURE) in out and t.C_("button", "My status") in out


async def test_menu_text_and_redirect_over_telegram(app: App, t: Translator) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        out = await chat.say("tps")
        assert t._(NOT_SURE) in out
        assert_no_welcome(out)
        buttons = chat.buttons()
        assert 3 < len(buttons) <= 10 and all(len(label) <= 20 for label in buttons)
        assert buttons[-len(MENU) :] == [t.C_("button", label) for label in MENU]
        out = await chat.say("tps saya buat nyoblos dimana?")
        assert "cekdptonline.kpu.go.id" in out
        out = await chat.say("halo")
        assert t._("Hello! Choose what you want to do:") in out
        assert_no_welcome(out)
        out = await chat.say("syarate dadi kpps opo wae")
        assert "Warga negara Indonesia" in out
        assert fake.errors == [] and fake.unanswered_callbacks() == []
