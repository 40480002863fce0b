"""Drive whole conversations through the console adapter, as a person would type them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.app import App
from bot.channels.console import ConsoleChannel
from handlers.i18n import Translator
from tests.factories import make_nik, years_before

BUTTON = re.compile(r"^  \[(#?\d+)\] (.*)$", re.MULTILINE)


QUESTIONS = 25  # asked of someone who lives at their KTP-el address, born as the NIK says


def question_header(t: Translator, n: int, total: int = QUESTIONS) -> str:
    """The header of question ``n`` of the registration, as the applicant sees it."""
    return t._("Question {n} of {total}", n=n, total=total)


@dataclass
class Person:
    """A fictitious applicant."""

    name: str = "Budi Santoso"
    birth_place: str = "Kendari"
    birth: date = date(1990, 8, 17)
    female: bool = False
    serial: int = 1
    phone: str = "0812 3456 7890"
    address: str = "Jl. Sao-Sao No. 12"
    rt_rw: str = "003/002"
    kecamatan: str = "Mandonga"
    kelurahan: str = "Korumba"
    tps: str = "2"
    education: str = "SMA"
    occupation: str = "wiraswasta"
    employment: str = "None of these"  # the button's msgid
    prior_service: str = "Never"  # the button's msgid
    real_birth: date | None = None  # a date of birth other than the NIK's
    ktp_area: str | None = None  # with lives_at: not living at the KTP-el address
    lives_at: str | None = None

    @property
    def nik(self) -> str:
        return make_nik(self.birth, female=self.female, serial=self.serial)

    @property
    def birth_text(self) -> str:
        return self.birth.strftime("%d-%m-%Y")


def person_aged(app: App, years: int, *, days: int = 0, **kwargs: object) -> Person:
    """Someone who is ``years`` old on polling day (``days`` after that birthday)."""
    birth = years_before(app.period.polling_day, years, days=days)
    return Person(birth=birth, **kwargs)  # type: ignore[arg-type]


@dataclass
class ConsoleChat:
    app: App
    chat_id: str = "warga-1"
    transcript: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.channel = ConsoleChannel(
            self.app.engine,
            chat_id=self.chat_id,
            download_dir=self.app.settings.data_dir / "console-files",
        )

    @property
    def last(self) -> str:
        return self.transcript[-1][1] if self.transcript else ""

    def buttons(self) -> list[str]:
        return [label for _, label in BUTTON.findall(self.last)]

    async def say(self, text: str) -> str:
        out = await self.channel.send(text)
        self.transcript.append((text, out))
        return out

    async def press(self, label: str) -> str:
        """Press the button whose label contains ``label`` (case-insensitive)."""
        for number, text in BUTTON.findall(self.last):
            if label.casefold() in text.casefold():
                return await self.say(number)
        raise AssertionError(f"no button {label!r} in:\n{self.last}")

    async def script(self, steps: Sequence[tuple[str, str | Sequence[str]]]) -> None:
        await run_script(self, steps)


Script = Sequence[tuple[str, str | Sequence[str]]]


async def run_script(chat: Any, steps: Script) -> None:
    """[(user says, expected fragment(s) of the answer)]; '#label' presses a button."""
    for said, expected in steps:
        out = await (chat.press(said[1:]) if said.startswith("#") else chat.say(said))
        for fragment in [expected] if isinstance(expected, str) else expected:
            assert fragment in out, f"after {said[:40]!r} expected {fragment!r} in:\n{out}"


def bad_input_script(t: Translator, person: Person) -> list[tuple[str, str | list[str]]]:
    """Every question gets bad input first (and the same question again), then a good answer."""

    def q(n: int) -> str:
        return question_header(t, n)

    yes = "#" + t.C_("button", "Yes, that's right")
    return [
        ("747101170890000", ["15", q(1)]),
        ("7471 0117 0890 00011", ["17", q(1)]),
        ("0071011708900001", ["00", q(1)]),
        ("7471013102900001", ["310290", q(1)]),
        ("7471011708900000", ["0001", q(1)]),
        ("x" * 5000, ["5000", q(1)]),
        (person.nik, [q(2), "17 Agustus 1990"]),
        ("mungkin", q(2)),
        ("tidak", q(2)),
        (yes, q(3)),
        ("Budi 123", q(3)),
        ("B", q(3)),
        (person.name, q(4)),
        ("Kendari 99", q(4)),
        (person.birth_place, q(5)),
        ("12345", q(5)),
        ("0401 3121234", q(5)),
        ("+62 812-3456-7890", q(6)),
        ("Jl", q(6)),
        (person.address, q(7)),
        ("tiga", q(7)),
        ("RT 3 RW 2", q(8)),
        ("mungkin", q(8)),
        ("ya", q(9)),
        ("Gotham", q(9)),
        ("mandong", q(10)),
        ("Atlantis", q(10)),
        ("korumba", q(11)),
        ("99", ["99", q(11)]),
        ("TPS 2", q(12)),
        ("sarjana muda", q(12)),
        ("S1", q(13)),
        ("x", q(13)),
        (person.occupation, q(14)),
        ("mungkin", q(14)),
        ("#" + t.C_("button", "None of these"), q(15)),
        ("banyak", q(15)),
        ("#" + t.C_("button", "Never"), q(16)),
        ("entahlah", q(16)),
        ("ya", q(17)),
        ("hmm", q(17)),
        ("ya", q(18)),
        ("kadang", q(18)),
        ("ya", q(19)),
        ("kadang", q(19)),
        ("#" + t.C_("button", "Never a member"), q(20)),
        *[(yes, q(n + 1)) for n in range(20, 25)],
        (yes, t._("Please check your answers:")),
    ]


def summary_fragments(person: Person) -> list[str]:
    return [
        f"{person.nik[:4]}********{person.nik[-4:]}",
        person.name,
        "+6281234567890",
        "003/002",
        "Mandonga",
        "Korumba",
        "TPS 002",
    ]


async def fill_registration(chat: Any, person: Person, *, submit: bool = True) -> str:
    """Go through the whole registration with valid answers; return the last reply."""
    t = chat.app.i18n.get("id")
    await chat.say("/daftar")
    await chat.press(t.C_("button", "I agree"))
    await chat.say(person.nik)
    if person.real_birth is None:
        await chat.press(t.C_("button", "Yes, that's right"))
    else:
        await chat.press(t.C_("button", "My date is different"))
        await chat.say(person.real_birth.strftime("%d-%m-%Y"))
    await chat.say(person.name)
    await chat.say(person.birth_place)
    await chat.say(person.phone)
    await chat.say(person.address)
    await chat.say(person.rt_rw)
    if person.lives_at is None:
        await chat.press(t.C_("button", "Yes, I live there"))
    else:
        await chat.press(t.C_("button", "No, elsewhere"))
        await chat.say(person.ktp_area or "")
        await chat.say(person.lives_at)
    await chat.say(person.kecamatan)
    kelurahan_question = t._(
        "In which kelurahan/desa of Kecamatan {kecamatan} do you live? Choose below or type "
        "its name.",
        kecamatan="",
    ).split("  ")[0]
    if kelurahan_question in chat.last:
        await chat.say(person.kelurahan)
    await chat.say(person.tps)
    await chat.say(person.education)
    await chat.say(person.occupation)
    await chat.press(t.C_("button", person.employment))
    await chat.press(t.C_("button", person.prior_service))
    await chat.press(t.C_("button", "Yes"))
    for _ in range(10):
        if t._("Please check your answers:") in chat.last:
            break
        await chat.press(chat.buttons()[0])
    assert t._("Please check your answers:") in chat.last, chat.last
    if submit:
        return await chat.press(t.C_("button", "Submit"))
    return chat.last


q = question_header
