"""The registration questions, as a table: one section per screen of the summary.

Each section lists its questions in order; the prompts, parsers and summary renderers of the
questions that need more than a builder are next to their section. Parsers of free text live
in ``handlers/rules/``. See docs/registration-flow.md for the diagram.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers.context import Ctx
from handlers.errors import InvalidAnswer
from handlers.flows.registration.questions import (
    Answer,
    Block,
    Draft,
    Goto,
    Group,
    Question,
    Step,
    Taken,
    answered,
    button_id,
    choice,
    declaration,
    free_text,
    show_text,
)
from handlers.i18n import N_, NC_
from handlers.messages import Expect, Kind, Option, Reply
from handlers.rules import eligibility as rules
from handlers.rules.dates import parse_date
from handlers.rules.nik import Nik, Sex, parse_nik
from handlers.rules.phone import parse_phone
from handlers.rules.places import fuzzy, tps_number
from handlers.rules.text import (
    parse_address,
    parse_area,
    parse_name,
    parse_occupation,
    parse_place,
    parse_rt_rw,
)
from storage.domain import RegionInfo

NIK_TAKEN = N_(
    "This NIK is already registered for this recruitment. Each NIK can register only once. "
    "If you did not register it yourself, please contact {contact} and bring your KTP-el."
)


def answers(ctx: Ctx) -> dict[str, Any]:
    return Draft(ctx).answers


# -- personal data --------------------------------------------------------------------------


async def _ask_nik(ctx: Ctx) -> Reply:
    return Reply(
        text=ctx.t._(
            "Please type your NIK (Nomor Induk Kependudukan): the 16 digits on your KTP-el. "
            "Spaces and dots are fine."
        ),
        expects=Expect.TEXT,
    )


async def _take_nik(ctx: Ctx, answer: Answer) -> Taken | Block:
    nik = parse_nik(answer.text)
    if nik.value != answers(ctx).get(Step.NIK.value):  # another NIK than the one given
        owners = [f"p{await ctx.person_id()}"]  # the person: every chat of theirs
        await ctx.nik_tries.check(ctx.repos.counters, owners, ctx.now, contact=ctx.period.contact)
    if await ctx.repos.applications.nik_registered(ctx.period.code, nik.value):
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


async def _nik_region_plausible(ctx: Ctx, nik: Nik) -> bool:
    """False only when the region list covers the province but lacks the NIK's codes."""
    for parent, code in (
        (nik.province, nik.kabkota_code),
        (nik.kabkota_code, nik.kecamatan_code),
    ):
        children = await ctx.repos.wilayah.children(parent)
        if not children:
            return True
        if code not in {child.code for child in children}:
            return False
    return True


async def _show_nik(ctx: Ctx, value: Any, a: dict[str, Any]) -> str:
    text = str(value)
    return f"{text[:4]}********{text[-4:]}"


def _nik(ctx: Ctx) -> Nik:
    return parse_nik(answers(ctx)[Step.NIK.value])


def nik_birth_date(ctx: Ctx, nik: Nik) -> date:
    """The date of birth the NIK encodes (the plausible century; a NIK whose every reading
    lies in the future reads as the earliest, which the age rule then refuses)."""
    return nik.birth_date(ctx.today) or min(nik.birth_date_candidates())


def stated_birth_date(ctx: Ctx, a: dict[str, Any]) -> date | None:
    """The applicant's date of birth: the NIK's, or the one typed when it differs."""
    confirm = a.get(Step.BIRTH_CONFIRM.value)
    if confirm == "yes" and Step.NIK.value in a:
        return nik_birth_date(ctx, parse_nik(a[Step.NIK.value]))
    if confirm == "differs" and Step.BIRTH_DATE.value in a:
        return date.fromisoformat(a[Step.BIRTH_DATE.value])
    return None


SEX_LABELS = {Sex.MALE.value: N_("male"), Sex.FEMALE.value: N_("female")}
TOO_YOUNG = N_(
    "On polling day ({polling_day}) you will be {age} years old. A KPPS member must be at "
    "least {minimum} years old on polling day (PKPU 8/2022), so we cannot accept this "
    "registration."
)


def _too_young(ctx: Ctx, age: rules.Age) -> dict[str, Any]:
    return {
        "polling_day": ctx.date(ctx.period.polling_day),
        "age": age.years,
        "minimum": ctx.period.age_min,
    }


def _older_note(ctx: Ctx, age: rules.Age) -> tuple[tuple[str, dict[str, Any]], ...]:
    if not age.over_preferred:
        return ()
    return (
        (
            N_(
                "Note: you will be {age} on polling day. The KPU prefers KPPS members of "
                "at most {maximum}, so the PPS will weigh this, but you can register."
            ),
            {"age": age.years, "maximum": ctx.period.age_preferred_max},
        ),
    )


async def _ask_birth_confirm(ctx: Ctx) -> Reply:
    nik = _nik(ctx)
    birth = nik_birth_date(ctx, nik)
    age = rules.age_check(birth, ctx.period)
    fix = Option(button_id(Step.BIRTH_CONFIRM, "fix_nik"), ctx.t.C_("button", "Fix my NIK"))
    differs = Option(
        button_id(Step.BIRTH_CONFIRM, "differs"), ctx.t.C_("button", "My date is different")
    )
    if age.too_young:
        text = "\n\n".join(
            [
                ctx.t._("According to your NIK you were born on {date}.", date=ctx.date(birth)),
                ctx.t._(TOO_YOUNG, **_too_young(ctx, age)),
                ctx.t._(
                    "If the NIK was mistyped, please correct it. If your real date of birth "
                    "differs from the one in your NIK (a NIK does not change when a date of "
                    "birth is corrected), choose \u201cMy date is different\u201d."
                ),
            ]
        )
        stop = Option(button_id(Step.BIRTH_CONFIRM, "stop"), ctx.t.C_("button", "Stop registering"))
        return Reply(text=text, options=[fix, differs, stop])
    text = ctx.t._(
        "According to your NIK you were born on {date} and are {sex}. Is that right?\n\n"
        "If the sex is wrong, the NIK was probably mistyped: choose \u201cFix my NIK\u201d.",
        date=ctx.date(birth),
        sex=ctx.t._(SEX_LABELS[nik.sex.value]),
    )
    yes = Option(
        button_id(Step.BIRTH_CONFIRM, "yes"), ctx.t.C_("button", "Yes, that's right"), means="yes"
    )
    return Reply(text=text, options=[yes, differs, fix])


async def _take_birth_confirm(ctx: Ctx, answer: Answer) -> Taken | Block | Goto:
    nik = _nik(ctx)
    age = rules.age_check(nik_birth_date(ctx, nik), ctx.period)
    if answer.choice == "fix_nik":
        return Goto(Step.NIK, N_("Let's correct your NIK first."))
    if answer.choice == "stop":
        return Goto(Step.CANCEL, "")
    if answer.choice == "differs":
        return Taken("differs")
    if answer.choice == "yes" and not age.too_young:
        return Taken("yes", _older_note(ctx, age))
    if age.too_young:
        raise InvalidAnswer(TOO_YOUNG, **_too_young(ctx, age))
    raise InvalidAnswer(
        N_(
            "Please choose one of the buttons below: is your date of birth different from "
            "the NIK, or was the NIK mistyped?"
        )
    )


async def _show_birth_confirm(ctx: Ctx, value: Any, a: dict[str, Any]) -> str:
    nik = parse_nik(a[Step.NIK.value])
    sex = ctx.t._(SEX_LABELS[nik.sex.value])
    if value == "differs":
        return ctx.t._(
            "{sex}; the NIK says born {date}, which is not the real date",
            sex=sex,
            date=ctx.date(nik_birth_date(ctx, nik)),
        )
    return ctx.t._(
        "{date}, {sex} (as in the NIK)", date=ctx.date(nik_birth_date(ctx, nik)), sex=sex
    )


async def _ask_birth_date(ctx: Ctx) -> Reply:
    return Reply(
        text=ctx.t._(
            "What is your real date of birth, as on your KTP-el or birth certificate? For "
            "example 17-08-1990 or 17 Agustus 1990. A NIK keeps the date it was issued with, "
            "so this is not a reason to refuse; the PPS will see both dates."
        ),
        options=[Option(button_id(Step.BIRTH_DATE, "fix_nik"), ctx.t.C_("button", "Fix my NIK"))],
        expects=Expect.TEXT,
    )


async def _take_birth_date(ctx: Ctx, answer: Answer) -> Taken | Block | Goto:
    if answer.choice == "fix_nik":
        return Goto(Step.NIK, N_("Let's correct your NIK first."))
    birth = parse_date(answer.text, today=ctx.today)
    age = rules.age_check(birth, ctx.period)
    if age.too_young:
        return Block(
            N_(
                "On polling day ({polling_day}) you will be {age} years old. A KPPS member "
                "must be at least {minimum} years old on polling day (PKPU 8/2022), so we "
                "cannot accept this registration. If the NIK or date was mistyped, you can "
                "correct it."
            ),
            _too_young(ctx, age),
            fix=Step.BIRTH_DATE,
        )
    notes = _older_note(ctx, age)
    if not _nik(ctx).matches_birth_date(birth):
        notes += (
            (
                N_(
                    "Noted: your date of birth differs from the one in your NIK. The PPS will "
                    "check it against your KTP-el."
                ),
                {},
            ),
        )
    return Taken(birth.isoformat(), notes)


async def _show_date(ctx: Ctx, value: Any, a: dict[str, Any]) -> str:
    return ctx.date(date.fromisoformat(value))


PERSONAL: list[Question] = [
    Question(
        Step.NIK,
        Group.PERSONAL,
        N_("NIK"),
        _ask_nik,
        _take_nik,
        _show_nik,
        invalidates=(Step.BIRTH_CONFIRM, Step.BIRTH_DATE),
    ),
    Question(
        Step.BIRTH_CONFIRM,
        Group.PERSONAL,
        N_("Date of birth and sex"),
        _ask_birth_confirm,
        _take_birth_confirm,
        _show_birth_confirm,
        invalidates=(Step.BIRTH_DATE,),
    ),
    Question(
        Step.BIRTH_DATE,
        Group.PERSONAL,
        N_("Real date of birth"),
        _ask_birth_date,
        _take_birth_date,
        _show_date,
        applies=answered(Step.BIRTH_CONFIRM, "differs"),
    ),
    free_text(
        Step.NAME,
        Group.PERSONAL,
        N_("Full name"),
        N_("What is your full name, exactly as written on your KTP-el?"),
        parse_name,
    ),
    free_text(
        Step.BIRTH_PLACE,
        Group.PERSONAL,
        N_("Place of birth"),
        N_("Where were you born (tempat lahir), as written on your KTP-el? For example: Kendari."),
        parse_place,
    ),
]


# -- contact --------------------------------------------------------------------------------


OWN_NUMBER = "offered_phone"  # the draft's copy of the number the platform told


async def _ask_phone(ctx: Ctx) -> Reply:
    text = ctx.t._(
        "What is your mobile number (HP/WhatsApp)? For example 0812 3456 7890. The PPS "
        "will use it to contact you."
    )
    own = _own_number(ctx)
    if own is None:
        return Reply(text=text, expects=Expect.TEXT)
    Draft(ctx).set(OWN_NUMBER, own)
    offer = ctx.t._(
        "Is it the number you are writing from, {number}? Press the button to use it, or "
        "type another number.",
        number=own,
    )
    return Reply(
        text=f"{text}\n\n{offer}",
        options=[Option("reg:phone:own", ctx.t.C_("button", "Use this number"))],
        expects=Expect.TEXT,
    )


def _own_number(ctx: Ctx) -> str | None:
    """The sender's own number (WhatsApp tells it), if it is an Indonesian mobile number."""
    if not ctx.incoming.sender_phone:
        return None
    try:
        return parse_phone(ctx.incoming.sender_phone)
    except InvalidAnswer:
        return None


async def _take_phone(ctx: Ctx, answer: Answer) -> Taken | Block:
    if answer.choice == "own":
        offered = Draft(ctx).get(OWN_NUMBER)
        Draft(ctx).set(OWN_NUMBER, None)
        if offered is None:  # a forged or stale button: ask again
            raise InvalidAnswer(N_("Please type your mobile number, for example 0812 3456 7890."))
        return Taken(offered)
    Draft(ctx).set(OWN_NUMBER, None)
    if answer.kind is Kind.CONTACT and not ctx.incoming.own_contact:
        raise InvalidAnswer(
            N_(
                "This contact card is someone else's number. Please share your own contact, "
                "or type your own mobile number."
            )
        )
    return Taken(parse_phone(answer.text))


CONTACT: list[Question] = [
    Question(Step.PHONE, Group.CONTACT, N_("Mobile number"), _ask_phone, _take_phone, show_text),
    free_text(
        Step.ADDRESS,
        Group.CONTACT,
        N_("Address on the KTP-el"),
        N_("What is the street address on your KTP-el (jalan, house number)? RT/RW comes next."),
        parse_address,
    ),
    free_text(
        Step.RT_RW,
        Group.CONTACT,
        N_("RT/RW"),
        N_("What are the RT and RW on your KTP-el? For example 003/002."),
        parse_rt_rw,
    ),
    choice(
        Step.DOMICILE_SAME,
        Group.CONTACT,
        N_("Living at that address"),
        N_(
            "Do you live at this address now? KPPS members are recruited from the residents "
            "around the TPS, so the PPS needs to know where you actually live."
        ),
        [("yes", NC_("button", "Yes, I live there")), ("no", NC_("button", "No, elsewhere"))],
        notes={
            "no": N_(
                "Note: the PPS may ask for proof that you live where you say, for example a "
                "surat keterangan domisili from your kelurahan."
            )
        },
        invalidates=(Step.KTP_AREA, Step.DOMICILE_ADDRESS),
    ),
    free_text(
        Step.KTP_AREA,
        Group.CONTACT,
        N_("Kelurahan and kab/kota on the KTP-el"),
        N_(
            "In which kelurahan/desa and kabupaten/kota is the address on your KTP-el? For "
            "example: Kelurahan Lalolara, Kota Kendari."
        ),
        parse_area,
        applies=answered(Step.DOMICILE_SAME, "no"),
    ),
    free_text(
        Step.DOMICILE_ADDRESS,
        Group.CONTACT,
        N_("Where you live"),
        N_(
            "Where do you live now? Please type the street, house number and RT/RW; the "
            "kecamatan and kelurahan come next."
        ),
        parse_address,
        applies=answered(Step.DOMICILE_SAME, "no"),
    ),
]


# -- place: kecamatan, kelurahan, TPS -------------------------------------------------------


async def _kecamatan(ctx: Ctx) -> list[RegionInfo]:
    return await ctx.repos.wilayah.children(ctx.period.region_code)


async def _kelurahan(ctx: Ctx) -> list[RegionInfo]:
    kecamatan = answers(ctx).get(Step.KECAMATAN.value)
    return await ctx.repos.wilayah.children(kecamatan) if kecamatan else []


def _region_options(step: Step, regions: list[RegionInfo]) -> list[Option]:
    return [Option(button_id(step, r.code), r.name) for r in regions]


async def _ask_kecamatan(ctx: Ctx) -> Reply:
    return Reply(
        text=ctx.t._(
            "In which kecamatan do you live? Choose below or type its name (you can also type "
            "the name of your kelurahan)."
        ),
        options=_region_options(Step.KECAMATAN, await _kecamatan(ctx)),
        long=True,
    )


async def _take_kecamatan(ctx: Ctx, answer: Answer) -> Taken | Block:
    kecamatan = await _kecamatan(ctx)
    codes = {r.code: r for r in kecamatan}
    if answer.choice in codes:
        return Taken(answer.choice)
    found = fuzzy(answer.text, {r.code: r.name for r in kecamatan})
    if len(found) == 1:
        return Taken(found[0])
    # A kelurahan name typed here sets both answers (one query for the whole kab/kota).
    kelurahan = {r.code: r for r in await ctx.repos.wilayah.descendants(ctx.period.region_code, 4)}
    found_kel = fuzzy(answer.text, {code: r.name for code, r in kelurahan.items()})
    if len(found_kel) == 1:
        chosen = kelurahan[found_kel[0]]
        answers(ctx)[Step.KELURAHAN.value] = chosen.code
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


async def _ask_kelurahan(ctx: Ctx) -> Reply:
    kecamatan = await ctx.repos.wilayah.region(answers(ctx)[Step.KECAMATAN.value])
    return Reply(
        text=ctx.t._(
            "In which kelurahan/desa of Kecamatan {kecamatan} do you live? Choose below or "
            "type its name.",
            kecamatan=kecamatan.name if kecamatan else "",
        ),
        options=_region_options(Step.KELURAHAN, await _kelurahan(ctx)),
        long=True,
    )


async def _take_kelurahan(ctx: Ctx, answer: Answer) -> Taken | Block:
    options = {r.code: r.name for r in await _kelurahan(ctx)}
    if answer.choice in options:
        return Taken(answer.choice)
    found = fuzzy(answer.text, options)
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


async def _show_region(ctx: Ctx, value: Any, a: dict[str, Any]) -> str:
    region = await ctx.repos.wilayah.region(value)
    return region.name if region else str(value)


def tps_label(ctx: Ctx, number: int) -> str:
    return ctx.t._("TPS {number:03d}", number=number)


async def _ask_tps(ctx: Ctx) -> Reply:
    kelurahan = await ctx.repos.wilayah.region(answers(ctx)[Step.KELURAHAN.value])
    stations = await ctx.repos.wilayah.tps_of(answers(ctx)[Step.KELURAHAN.value])
    text = ctx.t._(
        "At which TPS (polling station) of Kelurahan {kelurahan} would you like to serve? "
        "Usually it is the TPS where you vote. Choose below or type its number.",
        kelurahan=kelurahan.name if kelurahan else "",
    )
    if not stations:
        text = ctx.t._(
            "There is no TPS list for Kelurahan {kelurahan} yet. Press \u201cNo TPS yet\u201d "
            "and the PPS will place you.",
            kelurahan=kelurahan.name if kelurahan else "",
        )
    options = [Option(button_id(Step.TPS, str(s.id)), tps_label(ctx, s.number)) for s in stations]
    options.append(Option(button_id(Step.TPS, "any"), ctx.t.C_("button", "No TPS yet")))
    return Reply(text=text, options=options, long=True, expects=Expect.NUMBER)


async def _take_tps(ctx: Ctx, answer: Answer) -> Taken | Block:
    if answer.choice == "any":
        return Taken(None)
    stations = await ctx.repos.wilayah.tps_of(answers(ctx)[Step.KELURAHAN.value])
    by_id = {str(tps.id): tps for tps in stations}
    if answer.choice in by_id:
        return Taken(by_id[answer.choice].id)
    number = tps_number(answer.text)
    if number is not None:
        for tps in stations:
            if tps.number == number:
                return Taken(tps.id)
        raise InvalidAnswer(
            N_("This kelurahan has no TPS number {number}. Please choose one below."),
            number=number,
        )
    raise InvalidAnswer(N_("Please choose a TPS below or type its number, for example 5."))


async def _show_tps(ctx: Ctx, value: Any, a: dict[str, Any]) -> str:
    if value is None:
        return ctx.t._("to be decided by the PPS")
    tps = await ctx.repos.wilayah.tps(int(value))
    return tps_label(ctx, tps.number) if tps else "?"


PLACE: list[Question] = [
    Question(
        Step.KECAMATAN,
        Group.PLACE,
        N_("Kecamatan"),
        _ask_kecamatan,
        _take_kecamatan,
        _show_region,
        invalidates=(Step.KELURAHAN, Step.TPS),
    ),
    Question(
        Step.KELURAHAN,
        Group.PLACE,
        N_("Kelurahan/desa"),
        _ask_kelurahan,
        _take_kelurahan,
        _show_region,
        invalidates=(Step.TPS,),
    ),
    Question(Step.TPS, Group.PLACE, N_("TPS"), _ask_tps, _take_tps, _show_tps),
]


# -- background -----------------------------------------------------------------------------

EDUCATION = [
    ("sd", NC_("button", "SD")),
    ("smp", NC_("button", "SMP")),
    ("sma", NC_("button", "SMA/equivalent")),
    ("diploma", NC_("button", "D1-D3")),
    ("s1", NC_("button", "S1/D4")),
    ("s2", NC_("button", "S2")),
    ("s3", NC_("button", "S3")),
]

EMPLOYMENT = [
    ("none", NC_("button", "None of these")),
    ("asn", NC_("button", "ASN (PNS)")),
    ("pppk", NC_("button", "PPPK")),
    ("perangkat_desa", NC_("button", "Village official")),
    ("honorer", NC_("button", "Honorer")),
]

PRIOR_SERVICE = [
    ("0", NC_("button", "Never")),
    ("1", NC_("button", "Once")),
    ("2", NC_("button", "Twice")),
    ("3", NC_("button", "3 times or more")),
]

BACKGROUND: list[Question] = [
    choice(
        Step.EDUCATION,
        Group.BACKGROUND,
        N_("Education"),
        N_("What is your highest education (last diploma)?"),
        EDUCATION,
        notes={
            value: N_(
                "Note: the requirement is at least SMA or equivalent. You can still "
                "register: where there are not enough applicants with SMA, the PPS may "
                "accept people who can read, write and count."
            )
            for value in rules.BELOW_SMA
        },
    ),
    free_text(
        Step.OCCUPATION,
        Group.BACKGROUND,
        N_("Occupation"),
        N_("What is your occupation now? For example: wiraswasta, guru, mahasiswa."),
        parse_occupation,
    ),
    choice(
        Step.EMPLOYMENT,
        Group.BACKGROUND,
        N_("ASN/PPPK/village official/honorer"),
        N_(
            "Are you an ASN (PNS), PPPK, village official (perangkat desa) or honorer? They "
            "may serve, but need a letter of permission from their superior (surat izin "
            "atasan)."
        ),
        EMPLOYMENT,
        notes={
            value: N_(
                "Note: you will need a letter of permission from your superior (surat izin "
                "atasan). It is on your document list: without it your documents are not "
                "complete."
            )
            for value in rules.NEEDS_PERMISSION
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
]


# -- the statements of the surat pernyataan -------------------------------------------------

DECLARATIONS: list[Question] = [
    declaration(
        Step.DECL_CITIZEN,
        N_("Indonesian citizen (WNI)"),
        N_("Statement 1: I am an Indonesian citizen (Warga Negara Indonesia, WNI)."),
        N_(
            "Why we ask: only Indonesian citizens can be KPPS members (PKPU 8/2022 Pasal 35); "
            "your KTP-el is the proof."
        ),
        N_(
            "Only Indonesian citizens (WNI) can serve as KPPS members, so we cannot accept the "
            "registration. If you chose this by mistake, you can correct it."
        ),
    ),
    declaration(
        Step.DECL_LOYALTY,
        N_("Loyal to Pancasila; integrity"),
        N_(
            "Statement 2: I am loyal to Pancasila, the 1945 Constitution, the NKRI, Bhinneka "
            "Tunggal Ika and the ideals of the Proclamation of 17 August 1945, and I have "
            "integrity and a strong personality and am honest and fair."
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
            "Statement 3: Are you, or have you been, a member of a political party?\n\n"
            "Why we ask: KPPS members must not be party members, or must have left the party "
            "at least 5 years ago (PKPU 8/2022 Pasal 35)."
        ),
        [
            ("never", NC_("button", "Never a member")),
            ("left_5y", NC_("button", "Left 5+ years ago")),
            ("member", NC_("button", "Member, or left <5y")),
        ],
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
            "Statement 4: In the last 5 years I have not been on a campaign team or winning "
            "team (tim kampanye, tim pemenangan) or a witness (saksi) of a participant in the "
            "Pemilu or Pemilihan."
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
        N_("No comorbidity; no narcotics"),
        N_(
            "Statement 5: I have no comorbidity (penyakit penyerta), I am mentally healthy "
            "(sehat rohani), and I am free of narcotics abuse."
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
            "Statement 6: I have never been sentenced by a final court decision to prison for "
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
            "Statement 7: I have never been given a permanent dismissal (pemberhentian tetap) "
            "by a KPU Kabupaten/Kota or by the DKPP."
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
            "Statement 8: I am not married to another election official (for example a "
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
            "Statement 9: I can read, write and count, and I can operate information "
            "technology devices."
        ),
        N_("Why we ask: KPPS members fill in forms and report results through Sirekap."),
        N_(
            "Reading, writing, counting and using IT devices are required of KPPS members. If "
            "you chose this by mistake, you can correct it."
        ),
    ),
]


# -- the table ------------------------------------------------------------------------------

QUESTIONS: list[Question] = [*PERSONAL, *CONTACT, *PLACE, *BACKGROUND, *DECLARATIONS]
ORDER: list[Step] = [q.step for q in QUESTIONS]


def applicable(a: dict[str, Any]) -> list[Step]:
    """The questions this applicant is asked, in order (a conditional one only when its
    condition holds for the answers so far)."""
    return [q.step for q in QUESTIONS if q.applies(a)]


BY_STEP: dict[str, Question] = {q.step.value: q for q in QUESTIONS}
GROUPS: dict[Group, list[Step]] = {
    group: [q.step for q in QUESTIONS if q.group is group] for group in Group
}
