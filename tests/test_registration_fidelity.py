"""What the official forms and rules expect of a registration (issue 9, points 1-4, 6, 7):
the date of birth and sex read from the NIK and confirmed, tempat lahir, a domicile other than
the KTP-el address, earlier KPPS service on the riwayat hidup, honorer and the surat izin
atasan, the statements as signed, the consent text and the demo period's stages. Through the
console adapter and the Telegram adapter against the local fake Bot API."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from babel.dates import format_date
from pypdf import PdfReader
from sqlalchemy import select

from bot.app import App
from handlers.forms import SURAT_PERNYATAAN_ITEMS
from handlers.i18n import Translator
from handlers.messages import Incoming, Kind
from handlers.period import Stage
from storage.models import Application
from storage.repositories import Repos
from tests.dialog import ConsoleChat, Person, fill_registration, person_aged, q
from tests.factories import years_before
from tests.telegram_chat import TelegramChat, running_bot


async def submitted(app: App) -> tuple[Any, list[str]]:
    """The one application's details and flags, decrypted."""
    async with app.db.transaction() as session:
        row = (await session.execute(select(Application))).scalar_one()
    application = await app_application(app, row.id)
    return application.details, app.crypto.decrypt_json(row.flags_enc)


async def app_application(app: App, application_id: int) -> Any:
    async with app.db.transaction() as session:
        repos = Repos(session, app.crypto, app.settings.wilayah_edition)
        return await repos.applications.get(application_id)


def pdf_text(paths_or_bytes: list[Any]) -> str:
    texts = []
    for item in paths_or_bytes:
        source = io.BytesIO(item) if isinstance(item, bytes) else item
        texts.extend(page.extract_text() for page in PdfReader(source).pages)
    return " ".join(" ".join(texts).split())


async def console_forms(chat: ConsoleChat, t: Translator) -> str:
    await chat.say("/dokumen")
    out = await chat.press(t.C_("button", "Get the forms"))
    paths = [line.split("] ", 1)[1].split(" — ")[0] for line in out.splitlines() if "[PDF]" in line]
    assert len(paths) == 3, out
    return pdf_text([Path(p) for p in paths])


async def at_birth_confirmation(chat: Any, t: Translator, person: Person) -> str:
    await chat.say("/daftar")
    await chat.press(t.C_("button", "I agree"))
    return await chat.say(person.nik)


# -- 1. the date of birth and sex come from the NIK --------------------------------------------


async def test_the_nik_date_and_sex_are_confirmed_with_one_answer(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    woman = Person(female=True, birth=date(1994, 3, 5), name="Siti Aminah")
    out = await at_birth_confirmation(chat, t, woman)
    assert q(t, 2) in out and "5 Maret 1994" in out and t._("female") in out
    out = await chat.say("iya benar")
    assert q(t, 3) in out  # the name: the date of birth is not typed
    await chat.say("/ubah")
    assert "5 Maret 1994" in chat.last and t._("female") in chat.last


async def test_a_nik_under_the_minimum_age_is_explained_at_the_nik_step(
    app: App, t: Translator
) -> None:
    young = person_aged(app, 16)
    chat = ConsoleChat(app)
    out = await at_birth_confirmation(chat, t, young)
    expected = t._(
        "On polling day ({polling_day}) you will be {age} years old. A KPPS member must be at "
        "least {minimum} years old on polling day (PKPU 8/2022), so we cannot accept this "
        "registration.",
        polling_day=format_date(app.period.polling_day, format="long", locale="id"),
        age=16,
        minimum=17,
    )
    assert expected in out
    assert t.C_("button", "Yes, that's right") not in out
    forged = Incoming("console", chat.chat_id, Kind.BUTTON, button_id="reg:birth_confirm:yes")
    reply = await app.engine.handle(forged)  # a "yes" the prompt never offered
    assert reply is not None and expected in reply.text and q(t, 2) in reply.text
    out = await chat.press(t.C_("button", "Stop registering"))
    assert t.C_("button", "Yes, delete it") in out


async def test_a_different_real_date_is_recorded_and_used_for_the_age(
    app: App, t: Translator
) -> None:
    """The NIK says 16 on polling day, the real date 20: not refused, flagged for the PPS."""
    nik_birth = years_before(app.period.polling_day, 16)
    real = years_before(app.period.polling_day, 20)
    person = Person(birth=nik_birth, real_birth=real)
    chat = ConsoleChat(app)
    await at_birth_confirmation(chat, t, person)
    out = await chat.press(t.C_("button", "My date is different"))
    assert q(t, 3, total=26) in out
    out = await chat.say(real.strftime("%d/%m/%Y"))
    assert (
        t._(
            "Noted: your date of birth differs from the one in your NIK. The PPS will check it "
            "against your KTP-el."
        )
        in out
    )
    assert q(t, 4, total=26) in out
    await chat.say("/batal")
    await chat.press(t.C_("button", "Yes, delete it"))
    out = await fill_registration(ConsoleChat(app, "again"), person)
    assert "KPPS-7471-000001" in out
    details, flags = await submitted(app)
    assert details.birth_date == real
    assert "birth_date_differs_from_nik" in flags


async def test_a_real_date_under_the_minimum_is_refused(app: App, t: Translator) -> None:
    person = Person(real_birth=years_before(app.period.polling_day, 16))
    chat = ConsoleChat(app)
    await at_birth_confirmation(chat, t, person)
    await chat.press(t.C_("button", "My date is different"))
    out = await chat.say(person.real_birth.strftime("%d-%m-%Y"))  # type: ignore[union-attr]
    assert "16" in out and t.C_("button", "Correct my answer") in out
    await chat.say("/ubah")
    assert t.C_("button", "Submit") not in chat.last


# -- 2. tempat lahir, domicile, experience -----------------------------------------------------


async def test_place_of_birth_domicile_and_experience_reach_the_forms(
    app: App, t: Translator
) -> None:
    person = Person(
        birth_place="Raha",
        ktp_area="Kelurahan Laende, Kabupaten Muna",
        lives_at="Jl. Bunga Kolosua No. 3, RT 004/RW 001",
        prior_service="Twice",
    )
    chat = ConsoleChat(app)
    await fill_registration(chat, person, submit=False)
    summary = chat.last
    assert q(t, 1, total=27) not in summary  # the summary, not a question
    for fragment in ("Raha", "Kabupaten Muna", "Bunga Kolosua", t.C_("button", "Twice")):
        assert fragment in summary
    await chat.press(t.C_("button", "Submit"))
    details, flags = await submitted(app)
    assert details.birth_place == "Raha" and details.ktp_area == person.ktp_area
    assert details.domicile_address == person.lives_at
    assert "domicile_differs_from_ktp" in flags
    text = await console_forms(chat, t)
    assert "Raha, 17 Agustus 1990" in text
    assert "....................," not in text  # no dotted blank for the place of birth
    assert "Jl. Sao-Sao No. 12, RT/RW 003/002, Kelurahan Laende, Kabupaten Muna" in text
    assert "Alamat domisili" in text and "Bunga Kolosua" in text and "Korumba" in text
    assert len(re.findall(r"\d\. Anggota KPPS", text)) == 2


async def test_living_at_the_ktp_address_asks_no_more(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await fill_registration(chat, Person())
    text = await console_forms(chat, t)
    assert "Alamat domisili" not in text
    assert "Jl. Sao-Sao No. 12, RT/RW 003/002, Kelurahan Korumba, Kecamatan Mandonga" in text
    assert "Belum pernah" in text
    _, flags = await submitted(app)
    assert "domicile_differs_from_ktp" not in flags


# -- 3. honorer and the surat izin atasan ------------------------------------------------------


async def test_honorer_needs_the_surat_izin_atasan_to_be_complete(
    app: App, t: Translator, tmp_path: Path
) -> None:
    from tests.test_documents_flow import jpeg, pdf_bytes

    chat = ConsoleChat(app)
    out = await fill_registration(chat, Person(employment="Honorer"))
    permission = next(spec for spec in app.period.documents if spec.kind == "surat_izin_atasan")
    assert permission.name in out
    _, flags = await submitted(app)
    assert "needs_superior_permission" in flags
    for number, spec in enumerate(app.period.documents):
        if spec.required == "always":
            path = tmp_path / f"{spec.kind}.jpg"
            path.write_bytes(jpeg(seed=number + 3))
            await chat.press(spec.short)
            await chat.say(str(path))
    out = await chat.say("/status")
    assert t._("Documents: complete (lengkap).") not in out
    path = tmp_path / "izin.pdf"
    path.write_bytes(pdf_bytes())
    await chat.say("/dokumen")
    await chat.press(permission.short)
    await chat.say(str(path))
    out = await chat.say("/status")
    assert t._("Documents: complete (lengkap).") in out
    text = await console_forms(chat, t)
    assert "surat izin dari atasan langsung/pimpinan instansi." in text


async def test_without_permission_the_letter_lists_no_izin_atasan(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    out = await fill_registration(chat, Person())
    permission = next(spec for spec in app.period.documents if spec.kind == "surat_izin_atasan")
    assert permission.name not in out
    text = await console_forms(chat, t)
    assert "atasan" not in text and "surat keterangan kesehatan jasmani dan rohani." in text


# -- 4. the statements say what is signed ------------------------------------------------------


def _clause(item: str) -> str:
    return re.sub(r"(; dan|;|\.)$", "", item).strip()


async def test_the_chat_statements_match_the_signed_surat_pernyataan(
    app: App, t: Translator
) -> None:
    chat = ConsoleChat(app)
    await fill_registration(chat, Person(), submit=False)
    said = " ".join(out for _, out in chat.transcript)
    assert statements_signed(said) == []
    assert "menghalangi" not in said


async def test_not_a_citizen_is_refused_with_the_reason(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await fill_registration(chat, Person(), submit=False)
    await chat.press(t.C_("button", "Edit statements"))
    out = await chat.say("tidak")  # statement 1: WNI
    assert "WNI" in out and t.C_("button", "Correct my answer") in out
    await chat.say("/ubah")
    assert t.C_("button", "Submit") not in chat.last


# -- 6. consent --------------------------------------------------------------------------------


def consent_fragments(app: App) -> list[str]:
    return [
        "KTP-el",
        "ijazah",
        "surat keterangan kesehatan",
        "data pribadi spesifik",
        "riwayat pidana",
        f"{app.period.retention_months} bulan setelah masa kerja KPPS berakhir",
        "/datasaya",
        "/hapus",
        app.period.consent_version,
    ]


def statements_signed(said: str) -> list[str]:
    """The clauses of the signed surat pernyataan missing from what the chat said."""
    said = " ".join(said.split()).casefold()
    return [
        _clause(item)
        for number, item in enumerate(SURAT_PERNYATAAN_ITEMS, start=1)
        if number != 3  # the party item is asked as a question with three answers
        and _clause(item).casefold() not in said
    ]


async def test_consent_names_documents_special_data_retention_and_rights(
    app: App, t: Translator
) -> None:
    chat = ConsoleChat(app)
    out = await chat.say("/daftar")
    for fragment in consent_fragments(app):
        assert fragment in out, fragment


# -- 7. the demo period ------------------------------------------------------------------------


def test_demo_stages_follow_the_national_calendar(app: App) -> None:
    period = app.period
    inauguration = period.stage(Stage.INAUGURATION)
    term = period.stage(Stage.TERM)
    bimtek = period.stage(Stage.BIMTEK)
    assert inauguration is not None and term is not None and bimtek is not None
    assert inauguration.start == period.polling_day - timedelta(days=20)
    assert term.start == inauguration.start
    assert term.end > period.polling_day + timedelta(days=7)  # after the recapitulation
    assert inauguration.end < bimtek.start < period.polling_day
    result = period.stage(Stage.SELECTION_RESULT)
    assert result is not None and result.end < inauguration.start


# -- the same over Telegram --------------------------------------------------------------------


async def test_fidelity_over_telegram(app: App, t: Translator) -> None:
    person = Person(
        real_birth=date(1989, 12, 30),
        birth_place="Kolaka",
        ktp_area="Desa Lamokato, Kabupaten Kolaka",
        lives_at="Jl. Ahmad Yani No. 8, RT 002/RW 003",
        employment="Village official",
        prior_service="Once",
    )
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        out = await chat.say("/daftar")
        assert all(fragment in out for fragment in consent_fragments(app))
        await chat.press(t.C_("button", "I agree"))
        out = await chat.say(person.nik)
        assert "17 Agustus 1990" in out and t._("male") in out
        await chat.say("/batal")
        await chat.press(t.C_("button", "Yes, delete it"))
        out = await fill_registration(chat, person)
        assert "KPPS-7471-000001" in out
        assert statements_signed(" ".join(m.text for m in fake.messages(chat.chat_id))) == []
        permission = next(s for s in app.period.documents if s.kind == "surat_izin_atasan")
        assert permission.name in out
        await chat.press(t.C_("button", "Get the forms"))
        uploads = [c.params["document"].data for c in fake.calls_of("sendDocument")]
        text = pdf_text(uploads)
        assert "Kolaka, 30 Desember 1989" in text and "Alamat domisili" in text
        assert "surat izin dari atasan" in text
        assert len(re.findall(r"\d\. Anggota KPPS", text)) == 1
        assert fake.errors == []
    details, flags = await submitted(app)
    assert details.birth_date == date(1989, 12, 30) and details.employment == "perangkat_desa"
    assert {"birth_date_differs_from_nik", "domicile_differs_from_ktp"} <= set(flags)
