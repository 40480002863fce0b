"""Cek syarat: a short self-check, rule by rule, that stores nothing personal.

Only what the verdict needs is kept between messages (an age in years, yes/no answers), never
the NIK or the date of birth typed to compute it, and all of it is dropped with the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from handlers.context import Ctx
from handlers.errors import InvalidAnswer
from handlers.flows.common import is_no, is_yes, match_label
from handlers.i18n import N_, NC_
from handlers.messages import Button, Kind, Reply
from handlers.rules.dates import age_on, parse_date
from handlers.rules.nik import parse_nik

FLOW = "eligibility"


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


def leave(ctx: Ctx) -> None:
    """Drop the self-check (another flow starts)."""
    ctx.conv.flow = ctx.conv.step = None
    ctx.conv.data.pop("check", None)


async def start(ctx: Ctx) -> Reply:
    ctx.conv.flow = FLOW
    ctx.conv.step = Step.AGE.value
    ctx.conv.data["check"] = {}
    intro = ctx.t._(
        "Let's check whether you appear to meet the KPPS requirements. Nothing you answer "
        "here is stored. The final decision is always made by the PPS."
    )
    return Reply(text=f"{intro}\n\n{_age_question(ctx)}")


def _age_question(ctx: Ctx) -> str:
    return ctx.t._(
        "What is your date of birth (for example 17-08-1990)? You may also type your NIK; it "
        "is only used to compute your age and is not stored."
    )


async def _region(ctx: Ctx) -> str:
    names = await ctx.store.region_names([ctx.period.region_code])
    return names.get(ctx.period.region_code, ctx.period.region_code)


async def prompt(ctx: Ctx) -> Reply:
    step = ctx.conv.step or Step.AGE.value
    if step == Step.AGE:
        return Reply(text=_age_question(ctx))
    check = BY_STEP[step]
    buttons = [
        Button(f"{FLOW}:{value}", ctx.t.C_("button", label)) for value, label in check.options
    ]
    text = (
        ctx.t._(check.question, region=await _region(ctx))
        if "{region}" in check.question
        else ctx.t._(check.question)
    )
    return Reply(text=text, buttons=[buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def _age(ctx: Ctx, text: str) -> int:
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 15 and not any(ch.isalpha() for ch in text):
        nik = parse_nik(text)
        candidates = [d for d in nik.birth_date_candidates() if d <= ctx.today]
        if not candidates:
            raise InvalidAnswer(N_("I could not read a date of birth from that NIK."))
        return age_on(max(candidates), ctx.period.polling_day)
    return age_on(parse_date(text, today=ctx.today), ctx.period.polling_day)


async def handle(ctx: Ctx) -> Reply:
    incoming = ctx.incoming
    step = ctx.conv.step or Step.AGE.value
    answers: dict[str, object] = ctx.conv.data.setdefault("check", {})
    current = await prompt(ctx)
    value: str | None = None
    if incoming.kind is Kind.BUTTON:
        owner, _, value = incoming.button_id.partition(":")
        if owner != FLOW:
            return Reply(notice=ctx.t._("That button belongs to an earlier question."))
    elif incoming.kind is not Kind.TEXT:
        return current.prefixed(ctx.t._("Please answer with text or a button."))
    text = incoming.text.strip()
    if step == Step.AGE:
        try:
            answers["age"] = _age(ctx, text)
        except InvalidAnswer as error:
            if faq := ctx.answer_question(text):
                return current.prefixed(faq)
            return current.prefixed(ctx.t._(error.msgid, **error.params))
        return await _advance(ctx, CHECKS[0].step)
    check = BY_STEP[step]
    if value is None:
        button = match_label(text, current.flat_buttons)
        if button is not None:
            value = button.id.partition(":")[2]
        elif {v for v, _ in check.options} == {"yes", "no"}:
            value = "yes" if is_yes(ctx.t, text) else "no" if is_no(ctx.t, text) else None
    if value not in {v for v, _ in check.options}:
        if faq := ctx.answer_question(text):
            return current.prefixed(faq)
        return current.prefixed(ctx.t._("Please choose one of the buttons below."))
    answers[step] = value
    index = CHECKS.index(check)
    if index + 1 < len(CHECKS):
        reply = await _advance(ctx, CHECKS[index + 1].step)
    else:
        reply = await _verdict(ctx, answers)
    reply.chosen = next((b.label for b in current.flat_buttons if b.id.endswith(f":{value}")), None)
    return reply


async def _advance(ctx: Ctx, step: Step) -> Reply:
    ctx.conv.step = step.value
    return await prompt(ctx)


async def _verdict(ctx: Ctx, answers: dict[str, object]) -> Reply:
    t = ctx.t
    age = int(str(answers["age"]))
    lines: list[tuple[str, str]] = []  # (icon, text)

    def add(ok: str, text: str) -> None:
        lines.append((ok, text))

    if age < ctx.period.age_min:
        add(
            "❌",
            t._(
                "Age: you will be {age} on polling day; the minimum is {minimum}.",
                age=age,
                minimum=ctx.period.age_min,
            ),
        )
    elif age > ctx.period.age_preferred_max:
        add(
            "⚠️",
            t._(
                "Age: you will be {age} on polling day; the KPU prefers at most {maximum}, "
                "so the PPS will weigh it.",
                age=age,
                maximum=ctx.period.age_preferred_max,
            ),
        )
    else:
        add("✅", t._("Age: you will be {age} on polling day.", age=age))
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
    party = answers.get(Step.PARTY)
    if party == "never":
        add("✅", t._("Political party: never a member."))
    elif party == "left_5y":
        add(
            "⚠️",
            t._(
                "Political party: allowed, with a letter from the party that you left at "
                "least 5 years ago."
            ),
        )
    else:
        add(
            "❌",
            t._(
                "Political party: members, and those who left less than 5 years ago, cannot serve."
            ),
        )
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
        if spec.required == "always"
        or (spec.required == "former_party_member" and party == "left_5y")
    ]
    parts = [
        verdict,
        "\n".join(f"{icon} {text}" for icon, text in lines),
        t._("Documents you will need:") + "\n" + "\n".join(documents),
        t._("This check is only a guide: the PPS decides. Nothing you answered was stored."),
    ]
    ctx.conv.flow = ctx.conv.step = None
    ctx.conv.data.pop("check", None)
    buttons = [] if blocked else [[Button("menu:daftar", t.C_("button", "Register now"))]]
    return Reply(text="\n\n".join(parts), buttons=buttons)
