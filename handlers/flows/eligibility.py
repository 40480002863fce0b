"""Cek syarat: a short self-check, rule by rule, that stores nothing personal.

Only what the verdict needs is kept between messages (an age in years, yes/no answers), never
the NIK or the date of birth typed to compute it, and all of it is dropped with the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
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


class Step(StrEnum):
    AGE = "age"
    DOMICILE = "domicile"
    EDUCATION = "education"
    PARTY = "party"
    CAMPAIGN = "campaign"
    HEALTH = "health"
    CRIMINAL = "criminal"
    MARRIAGE = "marriage"


YES_NO = [("yes", NC_("button", "Yes")), ("no", NC_("button", "No"))]


@dataclass(frozen=True)
class Check:
    step: Step
    question: str
    options: list[tuple[str, str]]


CHECKS = [
    Check(
        Step.DOMICILE,
        N_("Do you live (by the address on your KTP-el) in {region}?"),
        YES_NO,
    ),
    Check(
        Step.EDUCATION,
        N_("What is your highest education?"),
        [
            ("sma_up", NC_("button", "SMA or higher")),
            ("below", NC_("button", "Below SMA")),
        ],
    ),
    Check(
        Step.PARTY,
        N_("Are you, or have you been, a member of a political party?"),
        [
            ("never", NC_("button", "Never a member")),
            ("left_5y", NC_("button", "Left 5+ years ago")),
            ("member", NC_("button", "Member, or left <5y")),
        ],
    ),
    Check(
        Step.CAMPAIGN,
        N_(
            "In the last 5 years, were you on a campaign team (tim kampanye/pemenangan/sukses) "
            "or a witness (saksi) for an election participant?"
        ),
        YES_NO,
    ),
    Check(
        Step.HEALTH,
        N_("Are you physically and mentally healthy and free of narcotics abuse?"),
        YES_NO,
    ),
    Check(
        Step.CRIMINAL,
        N_(
            "Have you ever been sentenced to prison, by a final decision, for a crime "
            "punishable by 5 years or more?"
        ),
        YES_NO,
    ),
    Check(
        Step.MARRIAGE,
        N_("Are you married to an election official (for example a PPS, PPK or KPU member)?"),
        YES_NO,
    ),
]
BY_STEP = {check.step.value: check for check in CHECKS}


def _answers(ctx: Ctx) -> dict[str, object]:
    return ctx.slot(NAME).setdefault("answers", {})


def _age_question(ctx: Ctx) -> str:
    return ctx.t._(
        "What is your date of birth (for example 17-08-1990)? You may also type your NIK; it "
        "is only used to compute your age and is not stored."
    )


async def _region(ctx: Ctx) -> str:
    names = await ctx.repos.wilayah.names([ctx.period.region_code])
    return names.get(ctx.period.region_code, ctx.period.region_code)


def _age(ctx: Ctx, text: str) -> int:
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 15 and not any(ch.isalpha() for ch in text):
        nik = parse_nik(text)
        candidates = [d for d in nik.birth_date_candidates() if d <= ctx.today]
        if not candidates:
            raise InvalidAnswer(N_("I could not read a date of birth from that NIK."))
        return age_on(max(candidates), ctx.period.polling_day)
    return rules.age_check(parse_date(text, today=ctx.today), ctx.period).years


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
        return Reply(text=f"{intro}\n\n{_age_question(ctx)}", expects=Expect.TEXT)

    async def prompt(self, ctx: Ctx) -> Reply:
        step = ctx.conv.step or Step.AGE.value
        if step == Step.AGE:
            return Reply(text=_age_question(ctx), expects=Expect.TEXT)
        check = BY_STEP[step]
        options = [
            Option(f"{NAME}:{value}", ctx.t.C_("button", label), means=_means(value))
            for value, label in check.options
        ]
        text = (
            ctx.t._(check.question, region=await _region(ctx))
            if "{region}" in check.question
            else ctx.t._(check.question)
        )
        return Reply(text=text, options=options)

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
            value = incoming.button_id.partition(":")[2]
        elif incoming.kind is not Kind.TEXT:
            return await self._again(ctx, ctx.t._("Please answer with text or a button."))
        text = incoming.text.strip()
        if step == Step.AGE:
            if value is not None:
                return Reply(notice=ctx.t._(STALE_BUTTON))
            try:
                answers["age"] = _age(ctx, text)
            except InvalidAnswer as error:
                return await self._again(ctx, ctx.answer_question(text) or ctx.error(error))
            ctx.conv.step = CHECKS[0].step.value
            return await self.prompt(ctx)
        check = BY_STEP[step]
        if value not in {v for v, _ in check.options}:
            said = ctx.answer_question(text) if value is None else None
            return await self._again(
                ctx, said or ctx.t._("Please choose one of the buttons below.")
            )
        answers[step] = value
        index = CHECKS.index(check)
        if index + 1 < len(CHECKS):
            ctx.conv.step = CHECKS[index + 1].step.value
            reply = await self.prompt(ctx)
        else:
            reply = await _verdict(ctx, answers)
        reply.chosen = ctx.choice.label if ctx.choice else None
        return reply

    async def _again(self, ctx: Ctx, note: str) -> Reply:
        return (await self.prompt(ctx)).prefixed(note)


def _means(value: str) -> str | None:
    return value if value in ("yes", "no") else None


async def _verdict(ctx: Ctx, answers: dict[str, object]) -> Reply:
    t = ctx.t
    age = rules.age_verdict(int(str(answers["age"])), ctx.period)
    lines: list[tuple[str, str]] = []  # (icon, text)

    def add(ok: str, text: str) -> None:
        lines.append((ok, text))

    if age.too_young:
        add(
            "❌",
            t._(
                "Age: you will be {age} on polling day; the minimum is {minimum}.",
                age=age.years,
                minimum=ctx.period.age_min,
            ),
        )
    elif age.over_preferred:
        add(
            "⚠️",
            t._(
                "Age: you will be {age} on polling day; the KPU prefers at most {maximum}, "
                "so the PPS will weigh it.",
                age=age.years,
                maximum=ctx.period.age_preferred_max,
            ),
        )
    else:
        add("✅", t._("Age: you will be {age} on polling day.", age=age.years))
    region = await _region(ctx)
    if answers.get(Step.DOMICILE) == "yes":
        add("✅", t._("Domicile: you live in {region}.", region=region))
    else:
        add(
            "⚠️",
            t._(
                "Domicile: KPPS members are recruited from residents around the TPS, so "
                "you can only register where you live (by your KTP-el)."
            ),
        )
    if answers.get(Step.EDUCATION) == "sma_up":
        add("✅", t._("Education: at least SMA or equivalent."))
    else:
        add(
            "⚠️",
            t._(
                "Education: the requirement is SMA or equivalent; the PPS may accept "
                "people who can read, write and count when there are too few applicants."
            ),
        )
    party = str(answers.get(Step.PARTY))
    if not rules.party_allowed(party):
        add(
            "❌",
            t._(
                "Political party: members, and those who left less than 5 years ago, cannot serve."
            ),
        )
    elif rules.needs_party_letter(party):
        add(
            "⚠️",
            t._(
                "Political party: allowed, with a letter from the party that you left at "
                "least 5 years ago."
            ),
        )
    else:
        add("✅", t._("Political party: never a member."))
    for step, fail, ok in (
        (
            Step.CAMPAIGN,
            "yes",
            (
                N_("Campaign team or witness: none in the last 5 years."),
                N_("Campaign team or witness in the last 5 years: you cannot serve."),
            ),
        ),
        (
            Step.HEALTH,
            "no",
            (
                N_("Health: physically and mentally healthy, free of narcotics."),
                N_("Health: KPPS members must be healthy and free of narcotics."),
            ),
        ),
        (
            Step.CRIMINAL,
            "yes",
            (
                N_("Criminal record: no prison sentence for a crime punishable by 5+ years."),
                N_("Criminal record: a sentence for a crime punishable by 5+ years excludes you."),
            ),
        ),
        (
            Step.MARRIAGE,
            "yes",
            (
                N_("Marriage: not married to an election official."),
                N_("Marriage: people married to an election official cannot serve."),
            ),
        ),
    ):
        failed = answers.get(step) == fail
        add("❌" if failed else "✅", t._(ok[1] if failed else ok[0]))
    blocked = any(icon == "❌" for icon, _ in lines)
    verdict = (
        t._("You do not appear to meet every requirement:")
        if blocked
        else t._("You appear to meet the requirements:")
    )
    documents = [
        f"• {spec.name}"
        for spec in ctx.period.documents
        if rules.document_required(spec.required, party=str(party), employment=None)
    ]
    parts = [
        verdict,
        "\n".join(f"{icon} {text}" for icon, text in lines),
        t._("Documents you will need:") + "\n" + "\n".join(documents),
        t._("This check is only a guide: the PPS decides. Nothing you answered was stored."),
    ]
    FLOW.leave(ctx)
    options = [] if blocked else [Option("/daftar", t.C_("button", "Register now"))]
    return Reply(text="\n\n".join(parts), options=options)


FLOW = EligibilityFlow()
