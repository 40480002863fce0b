"""Registration of a calon anggota KPPS, as a table of questions.

Each question has a prompt (``ask``), a parser/validator (``take``) and a summary renderer
(``show``). The next step is always the first question, in table order, that has no answer
yet (or that the user asked to redo from the summary), then the summary. So a deep link that
preselects the kelurahan, a correction from the summary and a restart all follow one rule.
See docs/registration-flow.md for the diagram.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from rapidfuzz import fuzz, process

from handlers.context import Ctx
from handlers.errors import InvalidAnswer
from handlers.flows import documents
from handlers.flows.common import is_no, is_yes, match_label, normalise, paged
from handlers.i18n import N_, NC_
from handlers.messages import Button, Kind, Reply
from handlers.period import STAGE_NAMES, Stage
from handlers.rules.dates import age_on, parse_date
from handlers.rules.nik import Nik, Sex, parse_nik
from handlers.rules.phone import parse_phone
from storage.repositories import DuplicateNik, RegionInfo

FLOW = "registration"
CONSENT_PURPOSE = "registration"


class Step(StrEnum):
    CONSENT = "consent"
    NIK = "nik"
    NAME = "name"
    BIRTH_DATE = "birth_date"
    SEX = "sex"
    PHONE = "phone"
    ADDRESS = "address"
    RT_RW = "rt_rw"
    KECAMATAN = "kecamatan"
    KELURAHAN = "kelurahan"
    TPS = "tps"
    EDUCATION = "education"
    OCCUPATION = "occupation"
    EMPLOYMENT = "employment"
    PRIOR_SERVICE = "prior_service"
    SMARTPHONE = "smartphone"
    DECL_LOYALTY = "decl_loyalty"
    DECL_PARTY = "decl_party"
    DECL_CAMPAIGN = "decl_campaign"
    DECL_HEALTH = "decl_health"
    DECL_CRIMINAL = "decl_criminal"
    DECL_DISMISSAL = "decl_dismissal"
    DECL_MARRIAGE = "decl_marriage"
    DECL_SKILLS = "decl_skills"
    SUMMARY = "summary"
    BLOCKED = "blocked"
    CANCEL = "cancel"


class Group(StrEnum):
    PERSONAL = "personal"
    CONTACT = "contact"
    PLACE = "place"
    BACKGROUND = "background"
    DECLARATIONS = "declarations"


GROUP_BUTTONS = {
    Group.PERSONAL: NC_("button", "Edit personal data"),
    Group.CONTACT: NC_("button", "Edit contact"),
    Group.PLACE: NC_("button", "Edit TPS"),
    Group.BACKGROUND: NC_("button", "Edit background"),
    Group.DECLARATIONS: NC_("button", "Edit statements"),
}
GROUP_TITLES = {
    Group.PERSONAL: N_("Personal data"),
    Group.CONTACT: N_("Contact and address"),
    Group.PLACE: N_("Polling station"),
    Group.BACKGROUND: N_("Education and work"),
    Group.DECLARATIONS: N_("Statements"),
}

MAX_TEXT = 1000


@dataclass(frozen=True)
class Answer:
    text: str
    choice: str | None
    kind: Kind


@dataclass(frozen=True)
class Taken:
    value: Any
    notes: tuple[tuple[str, dict[str, Any]], ...] = ()


@dataclass(frozen=True)
class Block:
    """A statutory requirement is not met: explain, and offer to fix ``fix`` or stop."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    fix: Step = Step.NIK


@dataclass(frozen=True)
class Goto:
    """Go straight to another question (redoing it), with a short note."""

    step: Step
    msgid: str


AskFn = Callable[[Ctx, int], Awaitable[Reply]]
TakeFn = Callable[[Ctx, Answer], Awaitable["Taken | Block | Goto"]]
ShowFn = Callable[[Ctx, Any], Awaitable[str]]
OptionsFn = Callable[[Ctx], Awaitable[list[Button]]]


@dataclass(frozen=True)
class Question:
    step: Step
    group: Group
    label: str
    ask: AskFn
    take: TakeFn
    show: ShowFn
    options: OptionsFn | None = None
    invalidates: tuple[Step, ...] = ()
    free: bool = False  # any text can be an answer, so a question is looked for first


# -- building blocks ------------------------------------------------------------------------


async def _show_text(ctx: Ctx, value: Any) -> str:
    return str(value)


def _prompt(ctx: Ctx, step: Step, text: str, buttons: list[list[Button]] | None = None) -> Reply:
    """A question with its progress line, and a "keep" button when redoing a known answer."""
    number = ORDER.index(step) + 1
    header = ctx.t._("Question {n} of {total}", n=number, total=len(ORDER))
    rows = list(buttons or [])
    if step.value in ctx.conv.data.get("redo", []) and step.value in ctx.answers:
        rows.append([Button(f"{step}:keep", ctx.t.C_("button", "Keep the answer"))])
    return Reply(text=f"{header}\n{text}", buttons=rows)


def free_text(
    step: Step,
    group: Group,
    label: str,
    question: str,
    validate: Callable[[Ctx, str], Any],
) -> Question:
    async def ask(ctx: Ctx, page: int) -> Reply:
        return _prompt(ctx, step, ctx.t._(question))

    async def take(ctx: Ctx, answer: Answer) -> Taken | Block:
        if answer.kind not in (Kind.TEXT, Kind.CONTACT) or answer.choice is not None:
            raise InvalidAnswer(N_("Please type your answer as text."))
        return Taken(validate(ctx, answer.text))

    return Question(step, group, label, ask, take, _show_text, free=True)


def choice(
    step: Step,
    group: Group,
    label: str,
    question: str | tuple[str, ...],
    options: Sequence[tuple[str, str]],
    *,
    columns: int = 2,
    blocks: dict[str, Block] | None = None,
    notes: dict[str, str] | None = None,
) -> Question:
    """A question answered by one of fixed options (buttons, or the typed label)."""

    def buttons(ctx: Ctx) -> list[Button]:
        return [Button(f"{step}:{value}", ctx.t.C_("button", text)) for value, text in options]

    async def all_options(ctx: Ctx) -> list[Button]:
        return buttons(ctx)

    numeric = all(value.isdigit() for value, _ in options)

    async def ask(ctx: Ctx, page: int) -> Reply:
        opts = buttons(ctx)
        rows = [opts[i : i + columns] for i in range(0, len(opts), columns)]
        parts = (question,) if isinstance(question, str) else question
        reply = _prompt(ctx, step, "\n\n".join(ctx.t._(part) for part in parts), rows)
        reply.numbers_are_answers = numeric
        return reply

    async def take(ctx: Ctx, answer: Answer) -> Taken | Block:
        value = answer.choice
        values = [v for v, _ in options]
        if value is None and numeric and answer.text.strip().isdigit():
            typed = int(answer.text.strip())
            value = str(min(typed, int(values[-1])))  # "5 times" is "3 times or more"
        if value is None and len(values) == 2 and {"yes", "no"} <= set(values):
            if is_yes(ctx.t, answer.text):
                value = "yes"
            elif is_no(ctx.t, answer.text):
                value = "no"
        if value not in values:
            raise InvalidAnswer(N_("Please choose one of the buttons below."))
        if blocks and value in blocks:
            return blocks[value]
        note = (notes or {}).get(value)
        return Taken(value, ((note, {}),) if note else ())

    async def show(ctx: Ctx, value: Any) -> str:
        text = dict(options).get(value)
        return ctx.t.C_("button", text) if text else str(value)

    return Question(step, group, label, ask, take, show, options=all_options)


def declaration(step: Step, label: str, statement: str, reason: str, refusal: str) -> Question:
    """A statement of the surat pernyataan: yes, or an explanation and a way back."""
    return choice(
        step,
        Group.DECLARATIONS,
        label,
        (statement, reason),
        [("yes", NC_("button", "Yes, that's right")), ("no", NC_("button", "No"))],
        blocks={"no": Block(refusal, fix=step)},
    )


# -- personal data --------------------------------------------------------------------------


async def _ask_nik(ctx: Ctx, page: int) -> Reply:
    return _prompt(
        ctx,
        Step.NIK,
        ctx.t._(
            "Please type your NIK (Nomor Induk Kependudukan): the 16 digits on your KTP-el. "
            "Spaces and dots are fine."
        ),
    )


async def _take_nik(ctx: Ctx, answer: Answer) -> Taken | Block:
    nik = parse_nik(answer.text)
    if await ctx.store.nik_registered(ctx.period.code, nik.value):
        raise InvalidAnswer(NIK_TAKEN, contact=ctx.period.contact)
    notes: list[tuple[str, dict[str, Any]]] = []
    if not await _nik_region_plausible(ctx, nik):
        notes.append(
            (
                N_(
                    "Note: the region digits of this NIK ({code}) are not in our region list. "
                    "That can happen after a region was split, so we continue; the PPS may "
                    "check it."
                ),
                {"code": nik.kecamatan_code},
            )
        )
    return Taken(nik.value, tuple(notes))


NIK_TAKEN = N_(
    "This NIK is already registered for this recruitment. Each NIK can register only once. "
    "If you did not register it yourself, please contact {contact} and bring your KTP-el."
)


async def _nik_region_plausible(ctx: Ctx, nik: Nik) -> bool:
    """False only when the region list covers the province but lacks the NIK's codes."""
    for parent, code in (
        (nik.province, nik.kabkota_code),
        (nik.kabkota_code, nik.kecamatan_code),
    ):
        children = await ctx.store.children(parent)
        if not children:
            return True
        if code not in {child.code for child in children}:
            return False
    return True


async def _show_nik(ctx: Ctx, value: Any) -> str:
    text = str(value)
    return f"{text[:4]}********{text[-4:]}"


def _nik(ctx: Ctx) -> Nik:
    return parse_nik(ctx.answers[Step.NIK.value])


def _validate_name(ctx: Ctx, text: str) -> str:
    name = _bounded(
        text,
        2,
        100,
        N_("Please type your full name (2 to 100 letters), as written on your KTP-el."),
    )
    if not re.fullmatch(r"[^\W\d_]+(?:[ .,'\-][^\W\d_]*)*\.?", name):
        raise InvalidAnswer(
            N_(
                "A name may contain letters, spaces and the signs . , ' - only (no digits or "
                "emoji). Please type your full name as written on your KTP-el."
            )
        )
    return name


async def _ask_birth_date(ctx: Ctx, page: int) -> Reply:
    return _prompt(
        ctx,
        Step.BIRTH_DATE,
        ctx.t._(
            "What is your date of birth, as on your KTP-el? For example 17-08-1990 or "
            "17 Agustus 1990."
        ),
        [[Button(f"{Step.BIRTH_DATE}:fix_nik", ctx.t.C_("button", "Fix my NIK"))]],
    )


async def _take_birth_date(ctx: Ctx, answer: Answer) -> Taken | Block | Goto:
    if answer.choice == "fix_nik":
        return Goto(Step.NIK, N_("Let's correct your NIK first."))
    birth = parse_date(answer.text, today=ctx.today)
    nik = _nik(ctx)
    if not nik.matches_birth_date(birth):
        raise InvalidAnswer(
            N_(
                "The date {date} does not match your NIK, whose digits 7-12 say {nik_date} "
                "(DDMMYY; for women the day is increased by 40). Please check the date, or "
                "press \u201cFix my NIK\u201d if the NIK was mistyped."
            ),
            date=ctx.date(birth),
            nik_date=nik.value[6:12],
        )
    age = age_on(birth, ctx.period.polling_day)
    if age < ctx.period.age_min:
        return Block(
            N_(
                "On polling day ({polling_day}) you will be {age} years old. A KPPS member "
                "must be at least {minimum} years old on polling day (PKPU 8/2022), so we "
                "cannot accept this registration. If the NIK or date was mistyped, you can "
                "correct it."
            ),
            {
                "polling_day": ctx.date(ctx.period.polling_day),
                "age": age,
                "minimum": ctx.period.age_min,
            },
            fix=Step.NIK,
        )
    notes: tuple[tuple[str, dict[str, Any]], ...] = ()
    if age > ctx.period.age_preferred_max:
        notes = (
            (
                N_(
                    "Note: you will be {age} on polling day. The KPU prefers KPPS members of "
                    "at most {maximum}, so the PPS will weigh this, but you can register."
                ),
                {"age": age, "maximum": ctx.period.age_preferred_max},
            ),
        )
    return Taken(birth.isoformat(), notes)


async def _show_date(ctx: Ctx, value: Any) -> str:
    return ctx.date(date.fromisoformat(value))


SEX_LABELS = {Sex.MALE.value: N_("Male"), Sex.FEMALE.value: N_("Female")}


async def _ask_sex(ctx: Ctx, page: int) -> Reply:
    sex = ctx.t._(SEX_LABELS[_nik(ctx).sex.value])
    return _prompt(
        ctx,
        Step.SEX,
        ctx.t._("According to your NIK, your sex is: {sex}. Is that right?", sex=sex),
        [
            [
                Button(f"{Step.SEX}:yes", ctx.t.C_("button", "Yes, that's right")),
                Button(f"{Step.SEX}:no", ctx.t.C_("button", "No")),
            ]
        ],
    )


async def _take_sex(ctx: Ctx, answer: Answer) -> Taken | Block:
    value = answer.choice
    if value is None:
        value = "yes" if is_yes(ctx.t, answer.text) else "no" if is_no(ctx.t, answer.text) else None
    if value == "yes":
        return Taken(_nik(ctx).sex.value)
    if value == "no":
        return Block(
            N_(
                "Your sex is written in your NIK: for women, 40 is added to the day of birth "
                "(digits 7-8). If the sex shown is wrong, the NIK was probably mistyped. "
                "Please check it."
            ),
            fix=Step.NIK,
        )
    raise InvalidAnswer(N_("Please choose one of the buttons below."))


async def _show_sex(ctx: Ctx, value: Any) -> str:
    return ctx.t._(SEX_LABELS[value])


# -- contact --------------------------------------------------------------------------------


async def _ask_phone(ctx: Ctx, page: int) -> Reply:
    return _prompt(
        ctx,
        Step.PHONE,
        ctx.t._(
            "What is your mobile number (HP/WhatsApp)? For example 0812 3456 7890. The PPS "
            "will use it to contact you."
        ),
    )


async def _take_phone(ctx: Ctx, answer: Answer) -> Taken | Block:
    return Taken(parse_phone(answer.text))


def _bounded(text: str, shortest: int, longest: int, msgid: str) -> str:
    """Whitespace collapsed; InvalidAnswer(msgid) unless the length is within the bounds."""
    value = " ".join(text.split())
    if not shortest <= len(value) <= longest:
        raise InvalidAnswer(msgid)
    return value


def _validate_address(ctx: Ctx, text: str) -> str:
    return _bounded(
        text,
        5,
        200,
        N_(
            "Please type your street address (5 to 200 characters), for example Jl. Sao-Sao No. 12."
        ),
    )


_RT_RW = re.compile(r"^(?:rt\.?\s*)?(\d{1,3})\s*(?:[/\s,\-]|\s*rw\.?)\s*(?:rw\.?\s*)?(\d{1,3})$")


def _validate_rt_rw(ctx: Ctx, text: str) -> str:
    match = _RT_RW.match(normalise(text.replace("/", " / ")).replace(" / ", "/"))
    if not match or int(match.group(1)) == 0 or int(match.group(2)) == 0:
        raise InvalidAnswer(
            N_("Please type your RT and RW as two numbers, for example 003/002 or RT 3 RW 2.")
        )
    return f"{int(match.group(1)):03d}/{int(match.group(2)):03d}"


# -- place: kecamatan, kelurahan, TPS -------------------------------------------------------


async def _kecamatan_buttons(ctx: Ctx) -> list[Button]:
    return [
        Button(f"{Step.KECAMATAN}:{r.code}", r.name)
        for r in await ctx.store.children(ctx.period.region_code)
    ]


async def _kelurahan_buttons(ctx: Ctx) -> list[Button]:
    kecamatan = ctx.answers.get(Step.KECAMATAN.value)
    if not kecamatan:
        return []
    return [
        Button(f"{Step.KELURAHAN}:{r.code}", r.name) for r in await ctx.store.children(kecamatan)
    ]


def _fuzzy(text: str, names: dict[str, str]) -> list[str]:
    """Codes whose names match the typed text well, best first (at most three)."""
    query = normalise(text)
    if not query:
        return []
    choices = {code: normalise(name) for code, name in names.items()}
    exact = [code for code, name in choices.items() if name == query]
    if exact:
        return exact
    found = process.extract(query, choices, scorer=fuzz.WRatio, limit=3, score_cutoff=80)
    return [code for _, _, code in found]


async def _ask_kecamatan(ctx: Ctx, page: int) -> Reply:
    return _prompt(
        ctx,
        Step.KECAMATAN,
        ctx.t._(
            "In which kecamatan do you live? Choose below or type its name (you can also type "
            "the name of your kelurahan)."
        ),
        paged(ctx.t, Step.KECAMATAN, await _kecamatan_buttons(ctx), page),
    )


async def _take_kecamatan(ctx: Ctx, answer: Answer) -> Taken | Block:
    kecamatan = await ctx.store.children(ctx.period.region_code)
    codes = {r.code: r for r in kecamatan}
    if answer.choice in codes:
        return Taken(answer.choice)
    found = _fuzzy(answer.text, {r.code: r.name for r in kecamatan})
    if len(found) == 1:
        return Taken(found[0])
    # A kelurahan name typed here sets both answers.
    kelurahan: dict[str, RegionInfo] = {}
    for kec in kecamatan:
        kelurahan.update({r.code: r for r in await ctx.store.children(kec.code)})
    found_kel = _fuzzy(answer.text, {code: r.name for code, r in kelurahan.items()})
    if len(found_kel) == 1:
        chosen = kelurahan[found_kel[0]]
        ctx.answers[Step.KELURAHAN.value] = chosen.code
        return Taken(chosen.parent_code)
    candidates = [codes[c].name for c in found] + [kelurahan[c].name for c in found_kel]
    if candidates:
        raise InvalidAnswer(
            N_("Did you mean one of these: {names}? Please choose below."),
            names=", ".join(candidates),
        )
    raise InvalidAnswer(
        N_("I could not find a kecamatan called \u201c{text}\u201d. Please choose below."),
        text=answer.text[:40],
    )


async def _ask_kelurahan(ctx: Ctx, page: int) -> Reply:
    kecamatan = await ctx.store.region(ctx.answers[Step.KECAMATAN.value])
    return _prompt(
        ctx,
        Step.KELURAHAN,
        ctx.t._(
            "In which kelurahan/desa of Kecamatan {kecamatan} do you live? Choose below or "
            "type its name.",
            kecamatan=kecamatan.name if kecamatan else "",
        ),
        paged(ctx.t, Step.KELURAHAN, await _kelurahan_buttons(ctx), page),
    )


async def _take_kelurahan(ctx: Ctx, answer: Answer) -> Taken | Block:
    options = {b.id.split(":", 1)[1]: b.label for b in await _kelurahan_buttons(ctx)}
    if answer.choice in options:
        return Taken(answer.choice)
    found = _fuzzy(answer.text, options)
    if len(found) == 1:
        return Taken(found[0])
    if found:
        raise InvalidAnswer(
            N_("Did you mean one of these: {names}? Please choose below."),
            names=", ".join(options[c] for c in found),
        )
    raise InvalidAnswer(
        N_(
            "I could not find a kelurahan called \u201c{text}\u201d in this kecamatan. Please "
            "choose below, or press \u201cEdit TPS\u201d later in the summary to change the "
            "kecamatan."
        ),
        text=answer.text[:40],
    )


async def _show_region(ctx: Ctx, value: Any) -> str:
    region = await ctx.store.region(value)
    return region.name if region else str(value)


def _tps_label(ctx: Ctx, number: int) -> str:
    return ctx.t._("TPS {number:03d}", number=number)


async def _tps_buttons(ctx: Ctx) -> list[Button]:
    kelurahan = ctx.answers.get(Step.KELURAHAN.value)
    if not kelurahan:
        return []
    return [
        Button(f"{Step.TPS}:{tps.id}", _tps_label(ctx, tps.number))
        for tps in await ctx.store.tps_of(kelurahan)
    ]


async def _ask_tps(ctx: Ctx, page: int) -> Reply:
    kelurahan = await ctx.store.region(ctx.answers[Step.KELURAHAN.value])
    options = await _tps_buttons(ctx)
    text = ctx.t._(
        "At which TPS (polling station) of Kelurahan {kelurahan} would you like to serve? "
        "Usually it is the TPS where you vote. Choose below or type its number.",
        kelurahan=kelurahan.name if kelurahan else "",
    )
    if not options:
        text = ctx.t._(
            "There is no TPS list for Kelurahan {kelurahan} yet. Press \u201cNo TPS yet\u201d "
            "and the PPS will place you.",
            kelurahan=kelurahan.name if kelurahan else "",
        )
    rows = paged(ctx.t, Step.TPS, options, page, columns=3)
    rows.append([Button(f"{Step.TPS}:any", ctx.t.C_("button", "No TPS yet"))])
    reply = _prompt(ctx, Step.TPS, text, rows)
    reply.numbers_are_answers = True
    return reply


async def _take_tps(ctx: Ctx, answer: Answer) -> Taken | Block:
    stations = await ctx.store.tps_of(ctx.answers[Step.KELURAHAN.value])
    by_id = {str(tps.id): tps for tps in stations}
    if answer.choice == "any":
        return Taken(None)
    if answer.choice in by_id:
        return Taken(by_id[answer.choice].id)
    match = re.fullmatch(r"(?:tps\s*)?0*(\d{1,3})", normalise(answer.text))
    if match:
        number = int(match.group(1))
        for tps in stations:
            if tps.number == number:
                return Taken(tps.id)
        raise InvalidAnswer(
            N_("This kelurahan has no TPS number {number}. Please choose one below."),
            number=number,
        )
    raise InvalidAnswer(N_("Please choose a TPS below or type its number, for example 5."))


async def _show_tps(ctx: Ctx, value: Any) -> str:
    if value is None:
        return ctx.t._("to be decided by the PPS")
    tps = await ctx.store.tps(int(value))
    return _tps_label(ctx, tps.number) if tps else "?"


# -- background -----------------------------------------------------------------------------


def _validate_occupation(ctx: Ctx, text: str) -> str:
    return _bounded(
        text,
        2,
        100,
        N_(
            "Please type your occupation in a few words (2 to 100 characters), for "
            "example: wiraswasta, guru, mahasiswa, ibu rumah tangga, belum bekerja."
        ),
    )


EDUCATION = [
    ("sd", NC_("button", "SD")),
    ("smp", NC_("button", "SMP")),
    ("sma", NC_("button", "SMA/equivalent")),
    ("diploma", NC_("button", "D1-D3")),
    ("s1", NC_("button", "S1/D4")),
    ("s2", NC_("button", "S2")),
    ("s3", NC_("button", "S3")),
]
BELOW_SMA = {"sd", "smp"}

EMPLOYMENT = [
    ("none", NC_("button", "None of these")),
    ("asn", NC_("button", "ASN (PNS)")),
    ("pppk", NC_("button", "PPPK")),
    ("perangkat_desa", NC_("button", "Village official")),
]
NEEDS_PERMISSION = {"asn", "pppk", "perangkat_desa"}

PRIOR_SERVICE = [
    ("0", NC_("button", "Never")),
    ("1", NC_("button", "Once")),
    ("2", NC_("button", "Twice")),
    ("3", NC_("button", "3 times or more")),
]


# -- the table ------------------------------------------------------------------------------

QUESTIONS: list[Question] = [
    Question(
        Step.NIK,
        Group.PERSONAL,
        N_("NIK"),
        _ask_nik,
        _take_nik,
        _show_nik,
        invalidates=(Step.BIRTH_DATE, Step.SEX),
    ),
    free_text(
        Step.NAME,
        Group.PERSONAL,
        N_("Full name"),
        N_("What is your full name, exactly as written on your KTP-el?"),
        _validate_name,
    ),
    Question(
        Step.BIRTH_DATE,
        Group.PERSONAL,
        N_("Date of birth"),
        _ask_birth_date,
        _take_birth_date,
        _show_date,
    ),
    Question(Step.SEX, Group.PERSONAL, N_("Sex"), _ask_sex, _take_sex, _show_sex),
    Question(Step.PHONE, Group.CONTACT, N_("Mobile number"), _ask_phone, _take_phone, _show_text),
    free_text(
        Step.ADDRESS,
        Group.CONTACT,
        N_("Address"),
        N_("What is your street address (jalan, house number)? RT/RW comes next."),
        _validate_address,
    ),
    free_text(
        Step.RT_RW,
        Group.CONTACT,
        N_("RT/RW"),
        N_("What are your RT and RW? For example 003/002."),
        _validate_rt_rw,
    ),
    Question(
        Step.KECAMATAN,
        Group.PLACE,
        N_("Kecamatan"),
        _ask_kecamatan,
        _take_kecamatan,
        _show_region,
        options=_kecamatan_buttons,
        invalidates=(Step.KELURAHAN, Step.TPS),
    ),
    Question(
        Step.KELURAHAN,
        Group.PLACE,
        N_("Kelurahan/desa"),
        _ask_kelurahan,
        _take_kelurahan,
        _show_region,
        options=_kelurahan_buttons,
        invalidates=(Step.TPS,),
    ),
    Question(
        Step.TPS, Group.PLACE, N_("TPS"), _ask_tps, _take_tps, _show_tps, options=_tps_buttons
    ),
    choice(
        Step.EDUCATION,
        Group.BACKGROUND,
        N_("Education"),
        N_("What is your highest education (last diploma)?"),
        EDUCATION,
        columns=3,
        notes={
            value: N_(
                "Note: the requirement is at least SMA or equivalent. You can still "
                "register: where there are not enough applicants with SMA, the PPS may "
                "accept people who can read, write and count."
            )
            for value in BELOW_SMA
        },
    ),
    free_text(
        Step.OCCUPATION,
        Group.BACKGROUND,
        N_("Occupation"),
        N_("What is your occupation now? For example: wiraswasta, guru, mahasiswa."),
        _validate_occupation,
    ),
    choice(
        Step.EMPLOYMENT,
        Group.BACKGROUND,
        N_("ASN/PPPK/village official"),
        N_(
            "Are you an ASN (PNS), PPPK or village official (perangkat desa)? They may "
            "serve, but need permission from their superior (izin atasan)."
        ),
        EMPLOYMENT,
        notes={
            value: N_(
                "Note: you will need a letter of permission from your superior (izin "
                "atasan). Please prepare it; the PPS will ask for it."
            )
            for value in NEEDS_PERMISSION
        },
    ),
    choice(
        Step.PRIOR_SERVICE,
        Group.BACKGROUND,
        N_("Served as KPPS before"),
        N_("How many times have you served as a KPPS member before?"),
        PRIOR_SERVICE,
    ),
    choice(
        Step.SMARTPHONE,
        Group.BACKGROUND,
        N_("Can use a smartphone"),
        N_(
            "Can you use a smartphone (for example to take photos of the result forms and "
            "upload them to Sirekap)?"
        ),
        [("yes", NC_("button", "Yes")), ("no", NC_("button", "No"))],
    ),
    declaration(
        Step.DECL_LOYALTY,
        N_("Loyal to Pancasila; integrity"),
        N_(
            "Statement 1: I am loyal to Pancasila, the 1945 Constitution, the NKRI, Bhinneka "
            "Tunggal Ika and the ideals of the Proclamation, and I have integrity and am "
            "honest and fair."
        ),
        N_("Why we ask: these are requirements for every KPPS member (PKPU 8/2022 Pasal 35)."),
        N_(
            "Loyalty to Pancasila and the Constitution and personal integrity are statutory "
            "requirements for KPPS members, so we cannot accept the registration without "
            "this statement."
        ),
    ),
    choice(
        Step.DECL_PARTY,
        Group.DECLARATIONS,
        N_("Political party membership"),
        N_(
            "Statement 2: Are you, or have you been, a member of a political party?\n\n"
            "Why we ask: KPPS members must not be party members, or must have left the party "
            "at least 5 years ago (PKPU 8/2022 Pasal 35)."
        ),
        [
            ("never", NC_("button", "Never a member")),
            ("left_5y", NC_("button", "Left 5+ years ago")),
            ("member", NC_("button", "Member, or left <5y")),
        ],
        columns=1,
        blocks={
            "member": Block(
                N_(
                    "A KPPS member must not be a member of a political party, or must have "
                    "left it at least 5 years ago. If you chose this by mistake, you can "
                    "correct it."
                ),
                fix=Step.DECL_PARTY,
            )
        },
        notes={
            "left_5y": N_(
                "Note: please ask your former party for a letter that you are no longer a "
                "member (surat keterangan dari pengurus partai). The PPS will need it."
            )
        },
    ),
    declaration(
        Step.DECL_CAMPAIGN,
        N_("Not a campaign team or witness"),
        N_(
            "Statement 3: In the last 5 years I have not been on a campaign team (tim "
            "kampanye, tim pemenangan or tim sukses) or a witness (saksi) of an election "
            "participant."
        ),
        N_("Why we ask: KPPS members must be independent of every candidate and party."),
        N_(
            "People who were on a campaign team or a witness for a participant in the last 5 "
            "years cannot serve as KPPS members. If you chose this by mistake, you can "
            "correct it."
        ),
    ),
    declaration(
        Step.DECL_HEALTH,
        N_("Healthy, free of narcotics"),
        N_(
            "Statement 4: I am physically and mentally healthy, have no comorbidity that "
            "stops me from the work, and do not abuse narcotics."
        ),
        N_(
            "Why we ask: KPPS work on polling day is long and tiring; you will also need a "
            "health letter (surat keterangan kesehatan) from a puskesmas, hospital or clinic."
        ),
        N_(
            "Physical and mental health and freedom from narcotics are requirements for KPPS "
            "members, because the work on polling day is long and heavy. If you chose this by "
            "mistake, you can correct it."
        ),
    ),
    declaration(
        Step.DECL_CRIMINAL,
        N_("No prison sentence of 5+ years"),
        N_(
            "Statement 5: I have never been sentenced by a final court decision to prison for "
            "a crime punishable by 5 years or more."
        ),
        N_("Why we ask: this is a requirement of PKPU 8/2022 Pasal 35."),
        N_(
            "People sentenced for a crime punishable by 5 years or more cannot serve as KPPS "
            "members. If you chose this by mistake, you can correct it."
        ),
    ),
    declaration(
        Step.DECL_DISMISSAL,
        N_("Never dismissed by KPU/DKPP"),
        N_(
            "Statement 6: I have never been permanently dismissed (pemberhentian tetap) by a "
            "KPU or by the DKPP."
        ),
        N_("Why we ask: people dismissed for an ethics violation cannot serve again."),
        N_(
            "People permanently dismissed by a KPU or the DKPP cannot serve as KPPS members. "
            "If you chose this by mistake, you can correct it."
        ),
    ),
    declaration(
        Step.DECL_MARRIAGE,
        N_("Not married to an election official"),
        N_(
            "Statement 7: I am not married to another election official (for example a "
            "member of the PPS, PPK or KPU)."
        ),
        N_("Why we ask: it keeps election bodies independent of each other."),
        N_(
            "People married to another election official cannot serve as KPPS members. If you "
            "chose this by mistake, you can correct it."
        ),
    ),
    declaration(
        Step.DECL_SKILLS,
        N_("Can read, write, count; use IT"),
        N_(
            "Statement 8: I can read, write and count, and I can operate information "
            "technology devices."
        ),
        N_("Why we ask: KPPS members fill in forms and report results through Sirekap."),
        N_(
            "Reading, writing, counting and using IT devices are required of KPPS members. If "
            "you chose this by mistake, you can correct it."
        ),
    ),
]

ORDER: list[Step] = [q.step for q in QUESTIONS]
BY_STEP: dict[str, Question] = {q.step.value: q for q in QUESTIONS}
GROUPS: dict[Group, list[Step]] = {}
for _question in QUESTIONS:
    GROUPS.setdefault(_question.group, []).append(_question.step)


# -- running the flow -----------------------------------------------------------------------


def next_step(ctx: Ctx) -> Step:
    redo = ctx.conv.data.get("redo", [])
    for step in ORDER:
        if step.value in redo or step.value not in ctx.answers:
            return step
    return Step.SUMMARY


def _redo(ctx: Ctx, steps: Sequence[Step], *, keep_pending: bool = False) -> None:
    """Ask ``steps`` again (with a keep button); other pending redos stay if asked to."""
    pending = ctx.conv.data.get("redo", []) if keep_pending else []
    ctx.conv.data["redo"] = [*pending, *(s.value for s in steps if s.value not in pending)]
    ctx.conv.step = next_step(ctx).value


def is_complete(ctx: Ctx) -> bool:
    return all(step.value in ctx.answers for step in ORDER)


async def start(ctx: Ctx) -> Reply:
    """/daftar: begin (or resume) a registration."""
    if ctx.conv.application_id is not None:
        application = await ctx.store.get_application(ctx.conv.application_id)
        if application is not None:
            return Reply(
                text=ctx.t._(
                    "You are already registered with number {number}. Send /status to see "
                    "where your application is.",
                    number=application.reg_number,
                )
            )
    if ctx.conv.flow == FLOW and ctx.conv.step:
        return await prompt(ctx)
    state = ctx.period.registration_state(ctx.now)
    if state != "open":
        return Reply(text=_window_text(ctx, state))
    ctx.conv.flow = FLOW
    ctx.conv.step = Step.CONSENT.value
    return await prompt(ctx)


def _window_text(ctx: Ctx, state: str) -> str:
    params = {
        "name": ctx.period.name,
        "start": ctx.date(ctx.period.registration_open),
        "end": ctx.date(ctx.period.registration_close),
    }
    if state == "not_open":
        return ctx.t._(
            "Registration for {name} is not open yet. It runs from {start} to {end}.", **params
        )
    return ctx.t._("Registration for {name} closed on {end}.", **params)


async def prompt(ctx: Ctx, page: int = 1) -> Reply:
    """The question of the current step."""
    step = ctx.conv.step
    if step == Step.CONSENT:
        return _consent_prompt(ctx)
    if step == Step.SUMMARY:
        return await _summary_prompt(ctx)
    if step == Step.BLOCKED:
        return _blocked_prompt(ctx)
    if step == Step.CANCEL:
        return Reply(
            text=ctx.t._(
                "Do you want to cancel your registration? Everything you have filled in will "
                "be deleted."
            ),
            buttons=[
                [
                    Button(f"{Step.CANCEL}:yes", ctx.t.C_("button", "Yes, delete it")),
                    Button(f"{Step.CANCEL}:no", ctx.t.C_("button", "No, continue")),
                ]
            ],
        )
    question = BY_STEP.get(step or "")
    if question is None:  # a step from an older version of the flow
        ctx.conv.step = next_step(ctx).value
        return await prompt(ctx)
    return await question.ask(ctx, page)


def _consent_prompt(ctx: Ctx) -> Reply:
    text = ctx.t._(
        "Before we start: your personal data\n\n"
        "{controller} processes the data you give here (NIK, name, date of birth, address, "
        "phone number and your statements) only to select KPPS members for {period}, under "
        "PKPU 8/2022 and UU 27/2022 on Personal Data Protection. Your NIK is stored "
        "encrypted; only the PPS and KPU officers who select KPPS members see your data.\n\n"
        "Your data is kept for {months} months after the KPPS term and then deleted. You "
        "may at any time see your data, have it corrected, have it deleted, or withdraw "
        "this consent, by contacting {contact}.\n\n"
        "Do you agree to this processing? (consent text version {version})",
        controller=ctx.period.controller,
        period=ctx.period.name,
        months=ctx.period.retention_months,
        contact=ctx.period.contact,
        version=ctx.period.consent_version,
    )
    return Reply(
        text=text,
        buttons=[
            [
                Button(f"{Step.CONSENT}:yes", ctx.t.C_("button", "I agree")),
                Button(f"{Step.CONSENT}:no", ctx.t.C_("button", "I do not agree")),
            ]
        ],
    )


def _blocked_prompt(ctx: Ctx) -> Reply:
    block = ctx.conv.data.get("block", {})
    text = ctx.t._(block.get("msgid", ""), **block.get("params", {}))
    return Reply(
        text=text,
        buttons=[
            [
                Button(f"{Step.BLOCKED}:fix", ctx.t.C_("button", "Correct my answer")),
                Button(f"{Step.BLOCKED}:stop", ctx.t.C_("button", "Stop registering")),
            ]
        ],
    )


async def summary_text(ctx: Ctx, answers: dict[str, Any] | None = None) -> str:
    return ctx.t._("Please check your answers:") + "\n" + await answers_text(ctx, answers)


async def answers_text(ctx: Ctx, answers: dict[str, Any] | None = None) -> str:
    """Every answer, by group, as the applicant gave it (the NIK masked)."""
    answers = ctx.answers if answers is None else answers
    lines = []
    for group, steps in GROUPS.items():
        lines.append("")
        lines.append(ctx.t._(GROUP_TITLES[group]))
        for step in steps:
            question = BY_STEP[step.value]
            value = answers.get(step.value, ...)
            shown = "—" if value is ... else await question.show(ctx, value)
            lines.append(f"• {ctx.t._(question.label)}: {shown}")
    return "\n".join(lines)


async def _summary_prompt(ctx: Ctx) -> Reply:
    text = await summary_text(ctx)
    edit = [
        Button(f"{Step.SUMMARY}:edit:{group}", ctx.t.C_("button", GROUP_BUTTONS[group]))
        for group in GROUPS
    ]
    rows = [edit[i : i + 2] for i in range(0, len(edit), 2)]
    if is_complete(ctx):
        text += "\n\n" + ctx.t._(
            "If everything is right, press \u201cSubmit\u201d. You can change a part first."
        )
        rows.insert(0, [Button(f"{Step.SUMMARY}:submit", ctx.t.C_("button", "Submit"))])
    else:
        text += "\n\n" + ctx.t._("Some answers are still missing (—).")
        rows.insert(0, [Button(f"{Step.SUMMARY}:continue", ctx.t.C_("button", "Continue"))])
    return Reply(text=text, buttons=rows)


def _notes(ctx: Ctx, notes: Sequence[tuple[str, dict[str, Any]]]) -> list[str]:
    return [ctx.t._(msgid, **params) for msgid, params in notes]


def _with(parts: Sequence[str], reply: Reply, chosen: str | None = None) -> Reply:
    return replace(reply.prefixed(*parts), chosen=chosen)


async def handle(ctx: Ctx) -> Reply:
    """A text or button from a user who is inside the registration flow."""
    incoming = ctx.incoming
    step = ctx.conv.step or ""
    question = BY_STEP.get(step)
    current = await prompt(ctx)
    chosen: str | None = None
    value: str | None = None
    if incoming.kind is Kind.BUTTON:
        owner, _, value = incoming.button_id.partition(":")
        if owner != step:
            return Reply(
                notice=ctx.t._(
                    "That button belongs to an earlier question. Please answer the last question."
                )
            )
        if value.startswith("page:"):
            page = int(value.split(":", 1)[1]) if value[5:].isdigit() else 1
            reply = await prompt(ctx, page)
            reply.replace = True
            return reply
        chosen = next((b.label for b in current.flat_buttons if b.id == incoming.button_id), None)
    elif incoming.kind not in (Kind.TEXT, Kind.CONTACT):
        return _with([_unreadable(ctx, incoming.kind)], current)
    text = incoming.text.strip()
    if len(text) > MAX_TEXT:
        return _with(
            [
                ctx.t._(
                    "Your message is too long ({count} characters). Please answer in at most "
                    "{maximum} characters.",
                    count=len(text),
                    maximum=MAX_TEXT,
                )
            ],
            current,
        )
    if value is None and text:
        options = list(current.flat_buttons)
        if question and question.options:
            options += await question.options(ctx)
        button = match_label(text, options)
        if button is not None:
            value = button.id.partition(":")[2]
    if step == Step.CONSENT:
        return await _on_consent(ctx, value, current, chosen)
    if step == Step.SUMMARY:
        return await _on_summary(ctx, value, current, chosen)
    if step == Step.BLOCKED:
        return await _on_blocked(ctx, value, current, chosen)
    if step == Step.CANCEL:
        return await _on_cancel(ctx, value, current, chosen)
    assert question is not None
    return await _on_question(ctx, question, Answer(text, value, incoming.kind), current, chosen)


KIND_NAMES = {
    Kind.PHOTO: N_("a photo"),
    Kind.DOCUMENT: N_("a file"),
    Kind.STICKER: N_("a sticker"),
    Kind.VOICE: N_("a voice message"),
    Kind.VIDEO: N_("a video"),
    Kind.LOCATION: N_("a location"),
    Kind.CONTACT: N_("a contact"),
    Kind.OTHER: N_("this kind of message"),
}


def _unreadable(ctx: Ctx, kind: Kind) -> str:
    return ctx.t._(
        "I cannot use {what} as an answer here. Please answer the question below with text "
        "or a button.",
        what=ctx.t._(KIND_NAMES.get(kind, KIND_NAMES[Kind.OTHER])),
    )


def _choose_below(ctx: Ctx, current: Reply) -> Reply:
    if ctx.incoming.kind is Kind.TEXT and (faq := ctx.answer_question(ctx.incoming.text)):
        return _with([faq], current)
    return _with([ctx.t._("Please choose one of the buttons below.")], current)


async def _on_consent(ctx: Ctx, value: str | None, current: Reply, chosen: str | None) -> Reply:
    if value == "yes" or (value is None and is_yes(ctx.t, ctx.incoming.text)):
        await ctx.store.record_consent(
            channel=ctx.conv.channel,
            chat_id=ctx.conv.chat_id,
            purpose=CONSENT_PURPOSE,
            version=ctx.period.consent_version,
            locale=ctx.t.locale,
            granted=True,
            at=ctx.now,
        )
        ctx.conv.data["consent"] = {
            "version": ctx.period.consent_version,
            "at": ctx.now.isoformat(),
        }
        ctx.conv.step = next_step(ctx).value
        return _with([ctx.t._("Thank you. Let's begin.")], await prompt(ctx), chosen)
    if value == "no" or (value is None and is_no(ctx.t, ctx.incoming.text)):
        await ctx.store.delete_conversation(ctx.conv)
        ctx.conv.flow = ctx.conv.step = None
        ctx.conv.data = {"deleted": True}
        return Reply(
            text=ctx.t._(
                "That is all right. We have not stored any of your data. If you change your "
                "mind, send /daftar to start again."
            ),
            chosen=chosen,
        )
    return _choose_below(ctx, current)


async def _on_question(
    ctx: Ctx, question: Question, answer: Answer, current: Reply, chosen: str | None
) -> Reply:
    step = question.step.value
    redo: list[str] = ctx.conv.data.get("redo", [])
    if answer.choice == "keep" and step in ctx.answers:
        ctx.conv.data["redo"] = [s for s in redo if s != step]
        ctx.conv.step = next_step(ctx).value
        return _with([], await prompt(ctx), chosen)
    if question.free and answer.choice is None and (faq := ctx.answer_question(answer.text)):
        return _with([faq], current)
    try:
        outcome = await question.take(ctx, answer)
    except InvalidAnswer as error:
        if answer.choice is None and (faq := ctx.answer_question(answer.text)):
            return _with([faq], current)
        return _with([ctx.t._(error.msgid, **error.params)], current)
    if isinstance(outcome, Goto):
        _redo(ctx, [outcome.step], keep_pending=True)
        return _with([ctx.t._(outcome.msgid)], await prompt(ctx), chosen)
    if isinstance(outcome, Block):
        ctx.conv.data["block"] = {
            "msgid": outcome.msgid,
            "params": outcome.params,
            "fix": outcome.fix.value,
            "from": step,
        }
        # A failed requirement leaves no answer behind: the step must be answered again
        # before the summary can be submitted.
        ctx.answers.pop(step, None)
        if outcome.fix is not question.step:
            ctx.answers.pop(outcome.fix.value, None)
            for dependent in BY_STEP[outcome.fix.value].invalidates:
                ctx.answers.pop(dependent.value, None)
        ctx.conv.step = Step.BLOCKED.value
        return _with([], await prompt(ctx), chosen)
    assert isinstance(outcome, Taken)
    old = ctx.answers.get(step, ...)
    ctx.answers[step] = outcome.value
    if old is not ... and old != outcome.value:
        for dependent in question.invalidates:
            ctx.answers.pop(dependent.value, None)
    ctx.conv.data["redo"] = [s for s in redo if s != step]
    if not ctx.conv.data["redo"]:
        ctx.conv.data.pop("redo")
    ctx.conv.step = next_step(ctx).value
    return _with(_notes(ctx, outcome.notes), await prompt(ctx), chosen)


async def _on_blocked(ctx: Ctx, value: str | None, current: Reply, chosen: str | None) -> Reply:
    block = ctx.conv.data.get("block", {})
    if value == "fix":
        ctx.conv.data.pop("block", None)
        _redo(ctx, [Step(block.get("fix", Step.NIK.value))], keep_pending=True)
        return _with([], await prompt(ctx), chosen)
    if value == "stop":
        ctx.conv.data["return_to"] = Step.BLOCKED.value
        ctx.conv.step = Step.CANCEL.value
        return _with([], await prompt(ctx), chosen)
    return _choose_below(ctx, current)


async def _on_cancel(ctx: Ctx, value: str | None, current: Reply, chosen: str | None) -> Reply:
    if value == "yes" or (value is None and is_yes(ctx.t, ctx.incoming.text)):
        await ctx.store.delete_conversation(ctx.conv)
        locale = ctx.conv.locale
        ctx.conv.flow = ctx.conv.step = None
        ctx.conv.data = {"deleted": True}
        ctx.conv.locale = locale
        return Reply(
            text=ctx.t._(
                "Your registration draft has been deleted. Send /daftar whenever you want to "
                "start again."
            ),
            chosen=chosen,
        )
    if value == "no" or (value is None and is_no(ctx.t, ctx.incoming.text)):
        ctx.conv.step = ctx.conv.data.pop("return_to", None) or next_step(ctx).value
        return _with([ctx.t._("Good, let's continue.")], await prompt(ctx), chosen)
    return _choose_below(ctx, current)


async def cancel(ctx: Ctx) -> Reply | None:
    """/batal inside the flow: ask for confirmation. None if there is no draft."""
    if ctx.conv.flow != FLOW or not ctx.conv.step:
        return None
    if ctx.conv.step != Step.CANCEL:
        ctx.conv.data["return_to"] = ctx.conv.step
        ctx.conv.step = Step.CANCEL.value
    return await prompt(ctx)


async def go_to_summary(ctx: Ctx) -> Reply:
    ctx.conv.data.pop("redo", None)
    ctx.conv.data.pop("block", None)
    ctx.conv.step = Step.SUMMARY.value
    return await prompt(ctx)


async def _on_summary(ctx: Ctx, value: str | None, current: Reply, chosen: str | None) -> Reply:
    if value == "submit" and is_complete(ctx):
        return await _submit(ctx, chosen)
    if value == "continue" or (value == "submit" and not is_complete(ctx)):
        ctx.conv.step = next_step(ctx).value
        return _with([], await prompt(ctx), chosen)
    if value and value.startswith("edit:") and value[5:] in {g.value for g in Group}:
        _redo(ctx, GROUPS[Group(value[5:])])
        return _with([], await prompt(ctx), chosen)
    return _choose_below(ctx, current)


def flags(ctx: Ctx) -> list[str]:
    """Points for the PPS to weigh (never a rejection: officers decide)."""
    a = ctx.answers
    result = []
    birth = date.fromisoformat(a[Step.BIRTH_DATE.value])
    if age_on(birth, ctx.period.polling_day) > ctx.period.age_preferred_max:
        result.append("age_over_preferred_max")
    if a.get(Step.EDUCATION.value) in BELOW_SMA:
        result.append("education_below_sma")
    if a.get(Step.EMPLOYMENT.value) in NEEDS_PERMISSION:
        result.append("needs_superior_permission")
    if a.get(Step.DECL_PARTY.value) == "left_5y":
        result.append("former_party_member")
    if a.get(Step.SMARTPHONE.value) == "no":
        result.append("no_smartphone")
    if a.get(Step.TPS.value) is None:
        result.append("tps_to_be_assigned")
    return result


ACCEPTED = {
    **{step.value: {"yes"} for step in ORDER if step.value.startswith("decl_")},
    Step.DECL_PARTY.value: {"never", "left_5y"},
}


async def inconsistent(ctx: Ctx) -> list[Step]:
    """Answers that cannot be submitted together (each re-checked, whatever happened before):
    a failed statement, a date of birth or sex that does not match the NIK, an age under the
    minimum, a kelurahan outside its kecamatan or a TPS outside its kelurahan."""
    a = ctx.answers
    wrong: list[Step] = [
        Step(step) for step, allowed in ACCEPTED.items() if a.get(step) not in allowed
    ]
    nik = parse_nik(a[Step.NIK.value])
    birth = date.fromisoformat(a[Step.BIRTH_DATE.value])
    if not nik.matches_birth_date(birth) or age_on(birth, ctx.period.polling_day) < (
        ctx.period.age_min
    ):
        wrong.append(Step.BIRTH_DATE)
    if a.get(Step.SEX.value) != nik.sex.value:
        wrong.append(Step.SEX)
    kelurahan = await ctx.store.region(a[Step.KELURAHAN.value])
    if kelurahan is None or kelurahan.parent_code != a[Step.KECAMATAN.value]:
        wrong.append(Step.KELURAHAN)
    tps_id = a.get(Step.TPS.value)
    if tps_id is not None:
        tps = await ctx.store.tps(int(tps_id))
        if tps is None or tps.kelurahan_code != a[Step.KELURAHAN.value]:
            wrong.append(Step.TPS)
    return wrong


async def _submit(ctx: Ctx, chosen: str | None) -> Reply:
    state = ctx.period.registration_state(ctx.now)
    if state != "open":
        return _with([_window_text(ctx, state)], await prompt(ctx))
    wrong = await inconsistent(ctx)
    if wrong:
        for step in wrong:
            ctx.answers.pop(step.value, None)
        ctx.conv.step = next_step(ctx).value
        return _with(
            [ctx.t._("Some answers must be given again before the registration can be sent.")],
            await prompt(ctx),
        )
    nik = ctx.answers[Step.NIK.value]
    if await ctx.store.nik_registered(ctx.period.code, nik):
        return await _nik_taken(ctx)
    region = ctx.period.region_code
    sequence = await ctx.store.next_sequence(f"reg:{ctx.period.code}:{region}")
    number = f"KPPS-{region.replace('.', '')}-{sequence:06d}"
    data = {k: v for k, v in ctx.answers.items() if k != Step.NIK.value}
    data["consent"] = ctx.conv.data.get("consent")
    data["locale"] = ctx.t.locale
    try:
        application = await ctx.store.create_application(
            period_code=ctx.period.code,
            reg_number=number,
            nik=nik,
            data=data,
            kelurahan_code=ctx.answers[Step.KELURAHAN.value],
            tps_id=ctx.answers.get(Step.TPS.value),
            flags=flags(ctx),
            channel=ctx.conv.channel,
            chat_id=ctx.conv.chat_id,
            consent_version=(ctx.conv.data.get("consent") or {}).get(
                "version", ctx.period.consent_version
            ),
        )
    except DuplicateNik:
        return await _nik_taken(ctx)
    ctx.conv.flow = None
    ctx.conv.step = None
    ctx.conv.data = {}
    ctx.conv.application_id = application.id
    text = ctx.t._(
        "Your registration has been received. Your registration number is:\n\n{number}\n\n"
        "Please keep this number. What happens next:",
        number=number,
    )
    intro = "\n\n".join(
        [
            text + "\n" + stage_lines(ctx),
            _after_submit(ctx),
            ctx.t._("Now please send your documents:"),
        ]
    )
    reply = await documents.start(ctx, intro=intro)
    reply.chosen = chosen
    return reply


def _after_submit(ctx: Ctx) -> str:
    return ctx.t._(
        "The PPS will check your application and you will be told the result in this chat. "
        "Send /status at any time to see where your application is."
    )


async def _nik_taken(ctx: Ctx) -> Reply:
    _redo(ctx, [Step.NIK])
    return _with([ctx.t._(NIK_TAKEN, contact=ctx.period.contact)], await prompt(ctx))


def stage_lines(ctx: Ctx) -> str:
    lines = []
    for stage in (
        Stage.ADMIN_RESEARCH,
        Stage.ADMIN_RESULT,
        Stage.SELECTION_RESULT,
        Stage.INAUGURATION,
    ):
        dates = ctx.period.stage(stage)
        if dates is None:
            continue
        when = (
            ctx.date(dates.start)
            if dates.start == dates.end
            else f"{ctx.date(dates.start)} – {ctx.date(dates.end)}"
        )
        lines.append(f"• {ctx.t._(STAGE_NAMES[stage])}: {when}")
    return "\n".join(lines)
