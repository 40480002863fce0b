"""Submitting a registration: every answer re-checked, the typed application record, the
registration number, then the document checklist."""

from __future__ import annotations

from typing import Any

from handlers.context import Ctx
from handlers.flows import documents
from handlers.flows.officers import notify
from handlers.flows.registration.questions import Draft, Step
from handlers.flows.registration.reminders import unfinished_key
from handlers.flows.registration.screens import (
    again,
    next_question,
    next_step,
    redo,
    stage_lines,
    window_text,
)
from handlers.flows.registration.table import NIK_TAKEN, nik_birth_date, stated_birth_date
from handlers.messages import Reply
from handlers.rules import eligibility as rules
from handlers.rules.nik import parse_nik
from storage.domain import ApplicantDetails, ApplicationInfo, Consent
from storage.repositories import DuplicateNik

STATEMENT_STEPS = {f"decl_{key}": key for key in rules.STATEMENTS}


async def inconsistent(ctx: Ctx) -> list[Step]:
    """Answers that cannot be submitted together (each re-checked, whatever happened before):
    a failed statement, a date of birth that is neither the NIK's nor stated, an age under the
    minimum (on the stated date), a kelurahan outside its kecamatan or a TPS outside its
    kelurahan."""
    a = Draft(ctx).answers
    wrong = [Step(step) for step in STATEMENT_STEPS if a.get(step) != "yes"]
    if not rules.party_allowed(a.get(Step.DECL_PARTY.value)):
        wrong.append(Step.DECL_PARTY)
    birth = stated_birth_date(ctx, a)
    if birth is None or rules.age_check(birth, ctx.period).too_young:
        differs = a.get(Step.BIRTH_CONFIRM.value) == "differs"
        wrong.append(Step.BIRTH_DATE if differs else Step.BIRTH_CONFIRM)
    kelurahan = await ctx.repos.wilayah.region(a[Step.KELURAHAN.value])
    if kelurahan is None or kelurahan.parent_code != a[Step.KECAMATAN.value]:
        wrong.append(Step.KELURAHAN)
    tps_id = a.get(Step.TPS.value)
    if tps_id is not None:
        tps = await ctx.repos.wilayah.tps(int(tps_id))
        if tps is None or tps.kelurahan_code != a[Step.KELURAHAN.value]:
            wrong.append(Step.TPS)
    return wrong


def details_of(ctx: Ctx) -> ApplicantDetails:
    """The draft's answers as the typed record of the application."""
    draft = Draft(ctx)
    a = draft.answers
    consent = draft.get("consent")
    birth = stated_birth_date(ctx, a)
    assert birth is not None  # checked by inconsistent()
    elsewhere = a.get(Step.DOMICILE_SAME.value) == "no"
    return ApplicantDetails(
        name=a[Step.NAME.value],
        birth_date=birth,
        sex=parse_nik(a[Step.NIK.value]).sex.value,
        birth_place=a[Step.BIRTH_PLACE.value],
        phone=a[Step.PHONE.value],
        address=a[Step.ADDRESS.value],
        rt_rw=a[Step.RT_RW.value],
        kecamatan_code=a[Step.KECAMATAN.value],
        education=a[Step.EDUCATION.value],
        occupation=a[Step.OCCUPATION.value],
        employment=a[Step.EMPLOYMENT.value],
        prior_service=int(a[Step.PRIOR_SERVICE.value]),
        smartphone=a[Step.SMARTPHONE.value] == "yes",
        party=a[Step.DECL_PARTY.value],
        statements={key: a.get(step) == "yes" for step, key in STATEMENT_STEPS.items()},
        ktp_area=a[Step.KTP_AREA.value] if elsewhere else None,
        domicile_address=a[Step.DOMICILE_ADDRESS.value] if elsewhere else None,
        locale=ctx.t.locale,
        consent=Consent(
            version=consent["version"],
            at=ctx.now.fromisoformat(consent["at"]),
            locale=ctx.t.locale,
            channel=ctx.actor.channel,
        )
        if consent
        else None,
    )


def answers_of(ctx: Ctx, application: ApplicationInfo, nik: str) -> dict[str, Any]:
    """An application as registration answers, to show it as the applicant gave it."""
    d = application.details
    as_in_nik = nik_birth_date(ctx, parse_nik(nik)) == d.birth_date
    answers: dict[str, Any] = {
        Step.NIK.value: nik,
        Step.BIRTH_CONFIRM.value: "yes" if as_in_nik else "differs",
        Step.BIRTH_DATE.value: d.birth_date.isoformat(),
        Step.NAME.value: d.name,
        Step.BIRTH_PLACE.value: d.birth_place or "—",
        Step.PHONE.value: d.phone,
        Step.ADDRESS.value: d.address,
        Step.RT_RW.value: d.rt_rw,
        Step.DOMICILE_SAME.value: "no" if d.domicile_address else "yes",
        Step.KTP_AREA.value: d.ktp_area or "",
        Step.DOMICILE_ADDRESS.value: d.domicile_address or "",
        Step.KECAMATAN.value: d.kecamatan_code,
        Step.KELURAHAN.value: application.kelurahan_code,
        Step.TPS.value: application.tps_id,
        Step.EDUCATION.value: d.education,
        Step.OCCUPATION.value: d.occupation,
        Step.EMPLOYMENT.value: d.employment,
        Step.PRIOR_SERVICE.value: str(d.prior_service),
        Step.SMARTPHONE.value: "yes" if d.smartphone else "no",
        Step.DECL_PARTY.value: d.party,
    }
    for step, key in STATEMENT_STEPS.items():
        answers[step] = "yes" if d.statements.get(key) else "no"
    return answers


async def submit(ctx: Ctx, chosen: str | None) -> Reply:
    state = ctx.period.registration_state(ctx.now)
    if state != "open":
        return await again(ctx, window_text(ctx, state))
    answers = Draft(ctx).answers
    wrong = await inconsistent(ctx)
    if wrong:
        for step in wrong:
            answers.pop(step.value, None)
        ctx.conv.step = next_step(ctx).value
        return await next_question(
            ctx, ctx.t._("Some answers must be given again before the registration can be sent.")
        )
    nik = answers[Step.NIK.value]
    if await ctx.repos.applications.nik_registered(ctx.period.code, nik):
        return await _nik_taken(ctx)
    region = ctx.period.region_code
    sequence = await ctx.repos.applications.next_sequence(f"reg:{ctx.period.code}:{region}")
    number = f"KPPS-{region.replace('.', '')}-{sequence:06d}"
    details = details_of(ctx)
    age = rules.age_check(details.birth_date, ctx.period)
    try:
        application = await ctx.repos.applications.create(
            period_code=ctx.period.code,
            reg_number=number,
            nik=nik,
            details=details,
            kelurahan_code=answers[Step.KELURAHAN.value],
            tps_id=answers.get(Step.TPS.value),
            flags=rules.flags(
                age=age,
                education=details.education,
                employment=details.employment,
                party=details.party,
                smartphone=details.smartphone,
                tps_chosen=answers.get(Step.TPS.value) is not None,
                birth_date_differs=not parse_nik(nik).matches_birth_date(details.birth_date),
                domicile_differs=details.domicile_address is not None,
            ),
            person_id=await ctx.person_id(),
            channel=ctx.actor.channel,
            consent_version=details.consent.version
            if details.consent
            else ctx.period.consent_version,
        )
    except DuplicateNik:
        return await _nik_taken(ctx)
    ctx.set_application(application)  # documents.start leaves this flow
    await ctx.repos.outbox.cancel(application.person_id or 0, keys=[unfinished_key(ctx)])
    await notify.applicant_submitted(ctx, application)
    text = ctx.t._(
        "Your registration has been received. Your registration number is:\n\n{number}\n\n"
        "Please keep this number. What happens next:",
        number=number,
    )
    intro = "\n\n".join(
        [
            text + "\n" + stage_lines(ctx),
            ctx.t._(
                "The PPS will check your application and you will be told the result in this "
                "chat. Send /status at any time to see where your application is."
            ),
            ctx.t._("Now please send your documents:"),
        ]
    )
    reply = await documents.start(ctx, intro=intro)
    reply.chosen = chosen
    return reply


async def _nik_taken(ctx: Ctx) -> Reply:
    redo(ctx, [Step.NIK])
    return await next_question(ctx, ctx.t._(NIK_TAKEN, contact=ctx.period.contact))
