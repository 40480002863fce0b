"""Cek syarat: a short self-check, rule by rule, that stores nothing personal.

Only what the verdict needs is kept between messages (an age in years and the option values
chosen), never the NIK or the date of birth typed to compute it, and all of it is dropped with
the verdict.

The knock-out questions a person can answer at once come first (age, citizenship, domicile,
party); the statements of the surat pernyataan follow in two groups, each asked as "is every
point true?", and only when the answer is "no" one by one, so a "no" always names its reason.
The check ends at the first statutory requirement that is not met (nothing after it can change
the verdict); the points the PPS weighs (education, employment) come last.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from handlers.context import Ctx
from handlers.errors import InvalidAnswer
from handlers.flows.base import STALE_BUTTON, Command, Flow
from handlers.i18n import N_, NC_
from handlers.messages import Expect, Kind, Option, Reply
from handlers.rules import eligibility as rules
from handlers.rules.dates import age_on, parse_date
from handlers.rules.nik import parse_nik

NAME = "eligibility"

OK, WARN, FAIL = "✅", "⚠️", "❌"


class Step(StrEnum):
    AGE = "age"
    CITIZEN = "citizen"
    DOMICILE = "domicile"
    PARTY = "party"
    CONDUCT = "conduct"  # statements on loyalty, integrity and independence, as a group
    LOYALTY = "loyalty"
    CAMPAIGN = "campaign"
    CRIMINAL = "criminal"
    DISMISSAL = "dismissal"
    MARRIAGE = "marriage"
    ABILITY = "ability"  # statements on health and skills, as a group
    HEALTH = "health"
    LITERACY = "literacy"
    IT = "it"
    EDUCATION = "education"
    EMPLOYMENT = "employment"


Options = tuple[tuple[str, str], ...]
YES_NO: Options = (("yes", NC_("button", "Yes")), ("no", NC_("button", "No")))
ALL_TRUE: Options = (
    ("yes", NC_("button", "Yes, all true")),
    ("no", NC_("button", "No, not all")),
)
IS_IT_TRUE = N_("Is this true for you?")
ONE_BY_ONE = N_("Let's go through them one at a time.")


@dataclass(frozen=True)
class Statement:
    """A point of the surat pernyataan: a "no" to it means the person cannot serve."""

    step: Step
    text: str  # the statement, in the first person
    reason: str  # the ❌ line when it is not true


@dataclass(frozen=True)
class Question:
    """One question: paragraphs (msgids, ``{region}`` filled in), the options, and the
    verdict line each answer gives (an answer without a line adds none)."""

    step: Step
    text: tuple[str, ...]
    options: Options
    lines: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # value: (icon, msgid)
    statements: tuple[Statement, ...] = ()  # a group: every point listed, "is each true?"
    group: Step | None = None  # a statement asked only when its group was answered "no"


PARTY: Options = (
    ("never", NC_("button", "Never a member")),
    ("left_5y", NC_("button", "Left 5+ years ago")),
    ("member", NC_("button", "Member, or left <5y")),
)
PARTY_LINES = {
    "never": N_("Political party: never a member."),
    "left_5y": N_(
        "Political party: allowed, with a letter from the party that you left at least 5 years ago."
    ),
    "member": N_(
        "Political party: members, and those who left less than 5 years ago, cannot serve."
    ),
}
EMPLOYMENT: Options = (
    ("none", NC_("button", "None of them")),
    ("asn", NC_("button", "ASN (PNS)")),
    ("pppk", NC_("button", "PPPK")),
    ("perangkat_desa", NC_("button", "Village official")),
    ("honorer", NC_("button", "Honorer")),
)
EMPLOYMENT_OK = N_("Work: not an ASN, PPPK, village official or honorer.")
EMPLOYMENT_PERMISSION = N_(
    "Work: as an ASN, PPPK, village official or honorer you are allowed to serve, with a "
    "letter of permission from your superior (surat izin atasan)."
)


def _party_icon(value: str) -> str:
    if not rules.party_allowed(value):
        return FAIL
    return WARN if rules.needs_party_letter(value) else OK


CONDUCT = (
    Statement(
        Step.LOYALTY,
        N_(
            "I am loyal to Pancasila, the UUD 1945, the NKRI, Bhinneka Tunggal Ika and the "
            "ideals of the Proclamation of 17 August 1945, and I have integrity and a strong "
            "personality and am honest and fair."
        ),
        N_(
            "Loyalty and integrity: loyalty to Pancasila, the UUD 1945 and the NKRI, and "
            "integrity, are requirements for every KPPS member."
        ),
    ),
    Statement(
        Step.CAMPAIGN,
        N_(
            "In the last 5 years I have not been on a campaign team (tim kampanye, pemenangan "
            "or sukses) or a witness (saksi) for a participant in the Pemilu or Pemilihan."
        ),
        N_("Campaign team or witness in the last 5 years: you cannot serve."),
    ),
    Statement(
        Step.CRIMINAL,
        N_(
            "I have never been sentenced to prison, by a final court decision, for a crime "
            "punishable by 5 years or more."
        ),
        N_("Criminal record: a sentence for a crime punishable by 5+ years excludes you."),
    ),
    Statement(
        Step.DISMISSAL,
        N_(
            "I have never been permanently dismissed (pemberhentian tetap) by a KPU "
            "Kabupaten/Kota or the DKPP."
        ),
        N_(
            "Dismissal: people permanently dismissed by a KPU Kabupaten/Kota or the DKPP "
            "cannot serve."
        ),
    ),
    Statement(
        Step.MARRIAGE,
        N_(
            "I am not married to another election official (for example a member of the PPS, "
            "PPK or KPU)."
        ),
        N_("Marriage: people married to an election official cannot serve."),
    ),
)
ABILITY = (
    Statement(
        Step.HEALTH,
        N_(
            "I am physically and mentally healthy (sehat jasmani dan rohani), I have no "
            "comorbidity (penyakit penyerta) and I am free of narcotics abuse."
        ),
        N_(
            "Health: KPPS members must be physically and mentally healthy, have no comorbidity "
            "and be free of narcotics abuse."
        ),
    ),
    Statement(
        Step.LITERACY,
        N_("I can read, write and count."),
        N_("Reading, writing and counting: every KPPS member must be able to do all three."),
    ),
    Statement(
        Step.IT,
        N_("I can operate information technology devices (for example a smartphone)."),
        N_("IT devices: every KPPS member must be able to operate information technology devices."),
    ),
)


def _group(step: Step, intro: str, ok: str, statements: tuple[Statement, ...]) -> list[Question]:
    """The group question, then each statement (asked only after a "no" to the group)."""
    return [
        Question(
            step,
            (intro, N_("Is every point true for you?")),
            ALL_TRUE,
            {"yes": (OK, ok)},
            statements=statements,
        ),
        *(
            Question(s.step, (s.text, IS_IT_TRUE), YES_NO, {"no": (FAIL, s.reason)}, group=step)
            for s in statements
        ),
    ]


QUESTIONS = [
    Question(
        Step.CITIZEN,
        (N_("Are you an Indonesian citizen (WNI)?"),),
        YES_NO,
        {
            "yes": (OK, N_("Citizenship: Indonesian citizen (WNI).")),
            "no": (FAIL, N_("Citizenship: only Indonesian citizens (WNI) can be KPPS members.")),
        },
    ),
    Question(
        Step.DOMICILE,
        (N_("Is your KTP-el address, or the place where you actually live, in {region}?"),),
        YES_NO,
        {
            "yes": (OK, N_("Domicile: you live in {region}.")),
            "no": (
                FAIL,
                N_(
                    "Domicile: KPPS members are recruited from residents of the area, so your "
                    "KTP-el address or the place where you live must be in {region}."
                ),
            ),
        },
    ),
    Question(
        Step.PARTY,
        (N_("Are you, or have you been, a member of a political party?"),),
        PARTY,
        {value: (_party_icon(value), PARTY_LINES[value]) for value, _ in PARTY},
    ),
    *_group(
        Step.CONDUCT,
        N_("Every KPPS member signs a statement (surat pernyataan) with these points:"),
        N_("Statements on loyalty, integrity and independence: all true."),
        CONDUCT,
    ),
    *_group(
        Step.ABILITY,
        N_("The statement (surat pernyataan) also says:"),
        N_("Statements on health and skills: all true."),
        ABILITY,
    ),
    Question(
        Step.EDUCATION,
        (N_("What is your highest education?"),),
        (("sma_up", NC_("button", "SMA or higher")), ("below", NC_("button", "Below SMA"))),
        {
            "sma_up": (OK, N_("Education: at least SMA or equivalent.")),
            "below": (
                WARN,
                N_(
                    "Education: the requirement is SMA or equivalent; the PPS may accept "
                    "people who can read, write and count when there are too few applicants."
                ),
            ),
        },
    ),
    Question(
        Step.EMPLOYMENT,
        (N_("Are you an ASN (PNS), PPPK, village official (perangkat desa) or honorer?"),),
        EMPLOYMENT,
        {
            value: (WARN, EMPLOYMENT_PERMISSION)
            if rules.needs_permission(value)
            else (OK, EMPLOYMENT_OK)
            for value, _ in EMPLOYMENT
        },
    ),
]
BY_STEP = {question.step.value: question for question in QUESTIONS}
ORDER = [Step.AGE.value, *BY_STEP]


def _answers(ctx: Ctx) -> dict[str, object]:
    return ctx.slot(NAME).setdefault("answers", {})


def _applies(question: Question, answers: Mapping[str, object]) -> bool:
    return question.group is None or answers.get(question.group) == "no"


def _next_step(step: str, answers: Mapping[str, object]) -> str | None:
    """The question after ``step`` that applies, None after the last."""
    for later in ORDER[ORDER.index(step) + 1 :]:
        if _applies(BY_STEP[later], answers):
            return later
    return None


def _age_question(ctx: Ctx) -> str:
    return ctx.t._(
        "What is your date of birth (for example 17-08-1990)? You may also type your NIK; it "
        "is only used to compute your age and is not stored."
    )


async def _region(ctx: Ctx) -> str:
    names = await ctx.repos.wilayah.names([ctx.period.region_code])
    return names.get(ctx.period.region_code, ctx.period.region_code)


async def _text(ctx: Ctx, msgid: str) -> str:
    if "{region}" in msgid:
        return ctx.t._(msgid, region=await _region(ctx))
    return ctx.t._(msgid)


def _age(ctx: Ctx, text: str) -> int:
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 15 and not any(ch.isalpha() for ch in text):
        nik = parse_nik(text)
        candidates = [d for d in nik.birth_date_candidates() if d <= ctx.today]
        if not candidates:
            raise InvalidAnswer(N_("I could not read a date of birth from that NIK."))
        return age_on(max(candidates), ctx.period.polling_day)
    return rules.age_check(parse_date(text, today=ctx.today), ctx.period).years


def _means(step: Step, value: str) -> str | None:
    """Which typed yes/no word picks the option: "tidak" is "none of them" for employment."""
    if value in ("yes", "no"):
        return value
    return "no" if step is Step.EMPLOYMENT and not rules.needs_permission(value) else None


class EligibilityFlow(Flow):
    name = NAME
    namespace = NAME
    commands = (Command("ceksyarat", N_("Check whether you meet the requirements"), rank=5),)

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        current = ctx.flow
        if current is not None and current.holds:
            again = await ctx.resume(ctx.t._("You are already registering. Let's continue."))
            if again is not None:
                return again
        ctx.enter(self)
        ctx.conv.step = Step.AGE.value
        ctx.conv.data[NAME] = {"answers": {}}
        intro = ctx.t._(
            "Let's check whether you appear to meet the KPPS requirements. Nothing you answer "
            "here is stored. The final decision is always made by the PPS."
        )
        return Reply(text="\n\n".join([intro, _age_question(ctx)]), expects=Expect.TEXT)

    async def prompt(self, ctx: Ctx) -> Reply:
        step = ctx.conv.step or Step.AGE.value
        if step == Step.AGE:
            return Reply(text=_age_question(ctx), expects=Expect.TEXT)
        question = BY_STEP[step]
        paragraphs = [await _text(ctx, question.text[0])]
        if question.statements:
            points = [f"• {ctx.t._(s.text)}" for s in question.statements]
            paragraphs.append("\n".join(points))
        paragraphs += [await _text(ctx, msgid) for msgid in question.text[1:]]
        options = [
            Option(
                f"{NAME}:{step}:{value}",
                ctx.t.C_("button", label),
                means=_means(question.step, value),
            )
            for value, label in question.options
        ]
        return Reply(text="\n\n".join(paragraphs), options=options)

    async def button(self, ctx: Ctx, value: str) -> Reply:
        if ctx.conv.flow != NAME:
            return Reply(notice=ctx.t._(STALE_BUTTON))
        return await self.handle(ctx)

    async def handle(self, ctx: Ctx) -> Reply:
        incoming = ctx.incoming
        step = ctx.conv.step or Step.AGE.value
        answers = _answers(ctx)
        value: str | None = None
        if incoming.kind is Kind.BUTTON:
            asked, _, value = incoming.button_id.partition(":")[2].partition(":")
            if asked != step:  # a button of an earlier question (or of an older version)
                return Reply(notice=ctx.t._(STALE_BUTTON))
        elif incoming.kind is not Kind.TEXT:
            return await self._again(ctx, ctx.t._("Please answer with text or a button."))
        text = incoming.text.strip()
        if step == Step.AGE:
            try:
                years = _age(ctx, text)
            except InvalidAnswer as error:
                return await self._again(ctx, ctx.answer_question(text) or ctx.error(error))
            answers["age"] = years
            if rules.age_verdict(years, ctx.period).too_young:
                return await _verdict(ctx, answers, stopped=True)
            return await self._advance(ctx, step, answers, "")
        question = BY_STEP[step]
        if value not in {v for v, _ in question.options}:
            said = ctx.answer_question(text) if value is None else None
            return await self._again(
                ctx, said or ctx.t._("Please choose one of the buttons below.")
            )
        answers[step] = value
        icon = question.lines.get(value, ("", ""))[0]
        note = ctx.t._(ONE_BY_ONE) if question.statements and value == "no" else ""
        if icon == FAIL:  # a statutory requirement is not met: nothing after it can help
            reply = await _verdict(ctx, answers, stopped=_next_step(step, answers) is not None)
        else:
            reply = await self._advance(ctx, step, answers, note)
        reply.chosen = ctx.choice.label if ctx.choice else None
        return reply

    async def _advance(self, ctx: Ctx, step: str, answers: dict[str, object], note: str) -> Reply:
        following = _next_step(step, answers)
        if following is None:
            return await _verdict(ctx, answers, stopped=False)
        ctx.conv.step = following
        return (await self.prompt(ctx)).prefixed(note)

    async def _again(self, ctx: Ctx, note: str) -> Reply:
        return (await self.prompt(ctx)).prefixed(note)


async def _verdict(ctx: Ctx, answers: dict[str, object], *, stopped: bool) -> Reply:
    t = ctx.t
    age = rules.age_verdict(int(str(answers["age"])), ctx.period)
    lines: list[tuple[str, str]] = []  # (icon, text)
    if age.too_young:
        lines.append(
            (
                FAIL,
                t._(
                    "Age: you will be {age} on polling day; the minimum is {minimum}.",
                    age=age.years,
                    minimum=ctx.period.age_min,
                ),
            )
        )
    elif age.over_preferred:
        lines.append(
            (
                WARN,
                t._(
                    "Age: you will be {age} on polling day; the KPU prefers at most {maximum}, "
                    "so the PPS will weigh it.",
                    age=age.years,
                    maximum=ctx.period.age_preferred_max,
                ),
            )
        )
    else:
        lines.append((OK, t._("Age: you will be {age} on polling day.", age=age.years)))
    for question in QUESTIONS:
        value = str(answers.get(question.step, ""))
        line = question.lines.get(value)
        if question.statements and value == "no":  # gone through one by one: all true?
            answered = [answers.get(s.step) for s in question.statements]
            line = question.lines["yes"] if answered == ["yes"] * len(answered) else None
        if line is not None:
            lines.append((line[0], await _text(ctx, line[1])))
    blocked = any(icon == FAIL for icon, _ in lines)
    parts = [
        t._("You do not appear to meet every requirement:")
        if blocked
        else t._("You appear to meet the requirements:"),
        "\n".join(f"{icon} {text}" for icon, text in lines),
    ]
    if stopped:
        parts.append(
            t._(
                "The other requirements were not checked, because this one alone rules out "
                "serving as a KPPS member."
            )
        )
    if not blocked:
        party = answers.get(Step.PARTY)
        employment = answers.get(Step.EMPLOYMENT)
        documents = [
            f"• {spec.name}"
            for spec in ctx.period.documents
            if rules.document_required(
                spec.required,
                party=str(party) if party else None,
                employment=str(employment) if employment else None,
            )
        ]
        parts.append("\n".join([t._("Documents you will need:"), *documents]))
    parts.append(
        t._("This check is only a guide: the PPS decides. Nothing you answered was stored.")
    )
    FLOW.leave(ctx)
    options = (
        [Option("/ceksyarat", t.C_("button", "Check again"))]
        if blocked
        else [Option("/daftar", t.C_("button", "Register now"))]
    )
    return Reply(text="\n\n".join(parts), options=options)


FLOW = EligibilityFlow()
