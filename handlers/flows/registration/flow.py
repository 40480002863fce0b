"""Running the registration: consent, the questions of the table, the summary, submission.

The next step is always the first question, in table order, that has no answer yet (or that
the user asked to redo from the summary), then the summary. So a deep link that preselects
the kelurahan, a correction from the summary and a restart all follow one rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from handlers.context import Ctx
from handlers.errors import InvalidAnswer
from handlers.flows import documents
from handlers.flows.base import STALE_BUTTON, Command, Flow
from handlers.flows.registration.questions import (
    GROUP_BUTTONS,
    GROUP_TITLES,
    NAME,
    NAMESPACE,
    Answer,
    Block,
    Draft,
    Goto,
    Group,
    Question,
    Step,
    Taken,
    button_id,
    yes_no,
)
from handlers.flows.registration.table import BY_STEP, GROUPS, NIK_TAKEN, ORDER
from handlers.i18n import N_, NC_
from handlers.messages import Kind, Option, Reply
from handlers.period import STAGE_NAMES, Stage
from handlers.rules import eligibility as rules
from handlers.rules.nik import parse_nik
from storage.domain import ApplicantDetails, ApplicationInfo, Consent
from storage.repositories import DuplicateNik

CONSENT_PURPOSE = "registration"
MAX_TEXT = 1000
STATEMENT_STEPS = {f"decl_{key}": key for key in rules.STATEMENTS}


# -- where the draft is ---------------------------------------------------------------------


def next_step(ctx: Ctx) -> Step:
    draft = Draft(ctx)
    redo, answers = draft.redo, draft.answers
    for step in ORDER:
        if step.value in redo or step.value not in answers:
            return step
    return Step.SUMMARY


def _redo(ctx: Ctx, steps: Sequence[Step], *, keep_pending: bool = False) -> None:
    """Ask ``steps`` again (with a keep option); other pending redos stay if asked to."""
    draft = Draft(ctx)
    pending = draft.redo if keep_pending else []
    draft.redo = [*pending, *(s.value for s in steps if s.value not in pending)]
    ctx.conv.step = next_step(ctx).value


def is_complete(ctx: Ctx) -> bool:
    answers = Draft(ctx).answers
    return all(step.value in answers for step in ORDER)


def draft_answers(ctx: Ctx) -> dict[str, Any]:
    """The answers of a registration in progress (empty when there is none)."""
    if ctx.conv.flow != NAME:
        return {}
    return dict(ctx.conv.data.get(NAME, {}).get("answers", {}))


def progress(ctx: Ctx) -> tuple[int, int] | None:
    """(questions answered, questions) of a registration in progress, else None."""
    if ctx.conv.flow != NAME or not ctx.conv.step:
        return None
    answers = Draft(ctx).answers
    return sum(1 for step in ORDER if step.value in answers), len(ORDER)


def preset(ctx: Ctx) -> str | None:
    """The kelurahan a PPS link preselected, if any."""
    return ctx.conv.data.get(NAME, {}).get("preset")


async def preselect(ctx: Ctx, payload: str) -> None:
    """A PPS deep link (?start=7471011005) preselects that kelurahan."""
    digits = "".join(ch for ch in payload if ch.isdigit())[:10]
    if len(digits) != 10:
        return
    code = f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}.{digits[6:]}"
    region = await ctx.repos.wilayah.region(code)
    if region is None or not code.startswith(ctx.period.region_code + "."):
        return
    if await ctx.application() is not None:
        return
    draft = Draft(ctx)
    answers = draft.answers
    if answers.get(Step.KELURAHAN.value) != region.code:
        answers.pop(Step.TPS.value, None)  # a TPS of another kelurahan
    answers[Step.KECAMATAN.value] = region.parent_code
    answers[Step.KELURAHAN.value] = region.code
    draft.set("preset", region.code)


# -- prompts --------------------------------------------------------------------------------


async def prompt(ctx: Ctx) -> Reply:
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
            options=yes_no(
                Step.CANCEL, NC_("button", "Yes, delete it"), NC_("button", "No, continue"), ctx
            ),
        )
    question = BY_STEP.get(step or "")
    if question is None:  # a step from an older version of the flow
        ctx.conv.step = next_step(ctx).value
        return await prompt(ctx)
    reply = await question.ask(ctx)
    header = ctx.t._("Question {n} of {total}", n=ORDER.index(question.step) + 1, total=len(ORDER))
    reply.text = f"{header}\n{reply.text}"
    if question.step.value in Draft(ctx).redo and question.step.value in Draft(ctx).answers:
        keep = Option(button_id(question.step, "keep"), ctx.t.C_("button", "Keep the answer"))
        reply.options = [*reply.options, keep]
    return reply


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
        options=yes_no(
            Step.CONSENT, NC_("button", "I agree"), NC_("button", "I do not agree"), ctx
        ),
    )


def _blocked_prompt(ctx: Ctx) -> Reply:
    block = Draft(ctx).get("block") or {}
    text = ctx.t._(block.get("msgid", ""), **block.get("params", {}))
    return Reply(
        text=text,
        options=[
            Option(button_id(Step.BLOCKED, "fix"), ctx.t.C_("button", "Correct my answer")),
            Option(button_id(Step.BLOCKED, "stop"), ctx.t.C_("button", "Stop registering")),
        ],
    )


async def answers_text(ctx: Ctx, answers: dict[str, Any] | None = None) -> str:
    """Every answer, by group, as the applicant gave it (the NIK masked)."""
    answers = Draft(ctx).answers if answers is None else answers
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
    text = ctx.t._("Please check your answers:") + "\n" + await answers_text(ctx)
    options = [
        Option(button_id(Step.SUMMARY, f"edit:{group}"), ctx.t.C_("button", GROUP_BUTTONS[group]))
        for group in GROUPS
    ]
    if is_complete(ctx):
        text += "\n\n" + ctx.t._(
            "If everything is right, press \u201cSubmit\u201d. You can change a part first."
        )
        options.insert(0, Option(button_id(Step.SUMMARY, "submit"), ctx.t.C_("button", "Submit")))
    else:
        text += "\n\n" + ctx.t._("Some answers are still missing (—).")
        first = Option(button_id(Step.SUMMARY, "continue"), ctx.t.C_("button", "Continue"))
        options.insert(0, first)
    return Reply(text=text, options=options)


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


# -- answers --------------------------------------------------------------------------------

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


def _notes(ctx: Ctx, notes: Sequence[tuple[str, dict[str, Any]]]) -> list[str]:
    return [ctx.t._(msgid, **params) for msgid, params in notes]


async def _next(ctx: Ctx, *parts: str, chosen: str | None = None) -> Reply:
    """The (new) current question, with ``parts`` before it."""
    return replace((await prompt(ctx)).prefixed(*parts), chosen=chosen)


async def _again(ctx: Ctx, note: str) -> Reply:
    """The same question again, after a note on what was wrong."""
    return (await prompt(ctx)).prefixed(note)


async def _choose_below(ctx: Ctx) -> Reply:
    if ctx.incoming.kind is Kind.TEXT and (faq := ctx.answer_question(ctx.incoming.text)):
        return await _again(ctx, faq)
    return await _again(ctx, ctx.t._("Please choose one of the buttons below."))


class RegistrationFlow(Flow):
    name = NAME
    namespace = NAMESPACE
    commands = (
        Command("daftar", N_("Register as a KPPS member"), rank=1),
        Command("ubah", N_("Review and change your answers"), rank=6),
    )
    holds = True

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        if name == "ubah":
            return await self._change(ctx)
        return await self._start(ctx)

    async def _start(self, ctx: Ctx) -> Reply:
        """/daftar: begin (or resume) a registration."""
        application = await ctx.application()
        if application is not None:
            return Reply(
                text=ctx.t._(
                    "You are already registered with number {number}. Send /status to see "
                    "where your application is.",
                    number=application.reg_number,
                )
            )
        if ctx.conv.flow == NAME and ctx.conv.step:
            return await prompt(ctx)
        state = ctx.period.registration_state(ctx.now)
        if state != "open":
            return Reply(text=_window_text(ctx, state))
        ctx.enter(self)
        ctx.conv.step = Step.CONSENT.value
        return await prompt(ctx)

    async def _change(self, ctx: Ctx) -> Reply:
        """/ubah: the summary, to change any part."""
        if ctx.conv.flow == NAME and ctx.conv.step not in (None, Step.CONSENT):
            draft = Draft(ctx)
            draft.redo = []
            draft.set("block", None)
            ctx.conv.step = Step.SUMMARY.value
            return await prompt(ctx)
        if await ctx.application() is not None:
            return Reply(
                text=ctx.t._(
                    "Your registration has been submitted, so it can no longer be "
                    "changed here. To correct something, please contact {contact}.",
                    contact=ctx.period.contact,
                )
            )
        return Reply(text=ctx.t._("There is nothing to change yet. Send /daftar to begin."))

    async def prompt(self, ctx: Ctx) -> Reply | None:
        return await prompt(ctx) if ctx.conv.step else None

    async def cancel(self, ctx: Ctx) -> Reply:
        """/batal inside the flow: ask for confirmation."""
        if not ctx.conv.step:
            self.leave(ctx)
            return Reply(
                text=ctx.t._("You have no registration in progress, so there is nothing to cancel.")
            )
        if ctx.conv.step != Step.CANCEL:
            Draft(ctx).set("return_to", ctx.conv.step)
            ctx.conv.step = Step.CANCEL.value
        return await prompt(ctx)

    async def button(self, ctx: Ctx, value: str) -> Reply:
        owner = value.partition(":")[0]
        if ctx.conv.flow != NAME or owner != (ctx.conv.step or ""):
            return Reply(
                notice=ctx.t._(
                    "That button belongs to an earlier question. Please answer the last question."
                )
            )
        return await self.handle(ctx)

    async def handle(self, ctx: Ctx) -> Reply:
        """A text or option from a user who is inside the registration flow."""
        incoming = ctx.incoming
        step = ctx.conv.step or ""
        value: str | None = None
        if incoming.kind is Kind.BUTTON:
            owner, _, value = incoming.button_id.removeprefix(f"{NAMESPACE}:").partition(":")
            if owner != step:
                return Reply(notice=ctx.t._(STALE_BUTTON))
        elif incoming.kind not in (Kind.TEXT, Kind.CONTACT):
            return await _again(
                ctx,
                ctx.t._(
                    "I cannot use {what} as an answer here. Please answer the question below "
                    "with text or a button.",
                    what=ctx.t._(KIND_NAMES.get(incoming.kind, KIND_NAMES[Kind.OTHER])),
                ),
            )
        text = incoming.text.strip()
        if len(text) > MAX_TEXT:
            return await _again(
                ctx,
                ctx.t._(
                    "Your message is too long ({count} characters). Please answer in at most "
                    "{maximum} characters.",
                    count=len(text),
                    maximum=MAX_TEXT,
                ),
            )
        chosen = ctx.choice.label if ctx.choice and value is not None else None
        if step == Step.CONSENT:
            return await self._on_consent(ctx, value, chosen)
        if step == Step.SUMMARY:
            return await self._on_summary(ctx, value, chosen)
        if step == Step.BLOCKED:
            return await self._on_blocked(ctx, value, chosen)
        if step == Step.CANCEL:
            return await self._on_cancel(ctx, value, chosen)
        question = BY_STEP.get(step)
        if question is None:
            return await _again(ctx, "")
        return await self._on_question(ctx, question, Answer(text, value, incoming.kind), chosen)

    async def _on_consent(self, ctx: Ctx, value: str | None, chosen: str | None) -> Reply:
        if value == "yes":
            await ctx.repos.consents.record(
                person_id=await ctx.person_id(),
                channel=ctx.actor.channel,
                purpose=CONSENT_PURPOSE,
                version=ctx.period.consent_version,
                locale=ctx.t.locale,
                granted=True,
                at=ctx.now,
            )
            Draft(ctx).set(
                "consent", {"version": ctx.period.consent_version, "at": ctx.now.isoformat()}
            )
            ctx.conv.step = next_step(ctx).value
            return await _next(ctx, ctx.t._("Thank you. Let's begin."), chosen=chosen)
        if value == "no":
            await _forget_draft(ctx)
            return Reply(
                text=ctx.t._(
                    "That is all right. We have not stored any of your data. If you change "
                    "your mind, send /daftar to start again."
                ),
                chosen=chosen,
            )
        return await _choose_below(ctx)

    async def _on_question(
        self, ctx: Ctx, question: Question, answer: Answer, chosen: str | None
    ) -> Reply:
        step = question.step.value
        draft = Draft(ctx)
        answers = draft.answers
        if answer.choice == "keep" and step in answers:
            draft.redo = [s for s in draft.redo if s != step]
            ctx.conv.step = next_step(ctx).value
            return await _next(ctx, chosen=chosen)
        if question.free and answer.choice is None and (faq := ctx.answer_question(answer.text)):
            return await _again(ctx, faq)
        try:
            outcome = await question.take(ctx, answer)
        except InvalidAnswer as error:
            if answer.choice is None and (faq := ctx.answer_question(answer.text)):
                return await _again(ctx, faq)
            return await _again(ctx, ctx.error(error))
        if isinstance(outcome, Goto):
            _redo(ctx, [outcome.step], keep_pending=True)
            return await _next(ctx, ctx.t._(outcome.msgid), chosen=chosen)
        if isinstance(outcome, Block):
            draft.set(
                "block",
                {
                    "msgid": outcome.msgid,
                    "params": outcome.params,
                    "fix": outcome.fix.value,
                    "from": step,
                },
            )
            # A failed requirement leaves no answer behind: the step must be answered again
            # before the summary can be submitted.
            answers.pop(step, None)
            if outcome.fix is not question.step:
                answers.pop(outcome.fix.value, None)
                for dependent in BY_STEP[outcome.fix.value].invalidates:
                    answers.pop(dependent.value, None)
            ctx.conv.step = Step.BLOCKED.value
            return await _next(ctx, chosen=chosen)
        assert isinstance(outcome, Taken)
        old = answers.get(step, ...)
        answers[step] = outcome.value
        if old is not ... and old != outcome.value:
            for dependent in question.invalidates:
                answers.pop(dependent.value, None)
        draft.redo = [s for s in draft.redo if s != step]
        ctx.conv.step = next_step(ctx).value
        return await _next(ctx, *_notes(ctx, outcome.notes), chosen=chosen)

    async def _on_blocked(self, ctx: Ctx, value: str | None, chosen: str | None) -> Reply:
        draft = Draft(ctx)
        block = draft.get("block") or {}
        if value == "fix":
            draft.set("block", None)
            _redo(ctx, [Step(block.get("fix", Step.NIK.value))], keep_pending=True)
            return await _next(ctx, chosen=chosen)
        if value == "stop":
            draft.set("return_to", Step.BLOCKED.value)
            ctx.conv.step = Step.CANCEL.value
            return await _next(ctx, chosen=chosen)
        return await _choose_below(ctx)

    async def _on_cancel(self, ctx: Ctx, value: str | None, chosen: str | None) -> Reply:
        if value == "yes":
            await _forget_draft(ctx)
            return Reply(
                text=ctx.t._(
                    "Your registration draft has been deleted. Send /daftar whenever you want "
                    "to start again."
                ),
                chosen=chosen,
            )
        if value == "no":
            draft = Draft(ctx)
            ctx.conv.step = draft.get("return_to") or next_step(ctx).value
            draft.set("return_to", None)
            return await _next(ctx, ctx.t._("Good, let's continue."), chosen=chosen)
        return await _choose_below(ctx)

    async def _on_summary(self, ctx: Ctx, value: str | None, chosen: str | None) -> Reply:
        if value == "submit" and is_complete(ctx):
            return await _submit(ctx, chosen)
        if value == "continue" or (value == "submit" and not is_complete(ctx)):
            ctx.conv.step = next_step(ctx).value
            return await _next(ctx, chosen=chosen)
        if value and value.startswith("edit:") and value[5:] in {g.value for g in Group}:
            _redo(ctx, GROUPS[Group(value[5:])])
            return await _next(ctx, chosen=chosen)
        return await _choose_below(ctx)


FLOW = RegistrationFlow()


async def _forget_draft(ctx: Ctx) -> None:
    """Drop the draft; a person who has given nothing else is forgotten too."""
    FLOW.leave(ctx)
    if await ctx.application() is None and ctx.actor.person_id is not None:
        await ctx.repos.conversations.delete(ctx.conv)
        await ctx.repos.people.delete(ctx.actor.person_id)


# -- submission -----------------------------------------------------------------------------


async def inconsistent(ctx: Ctx) -> list[Step]:
    """Answers that cannot be submitted together (each re-checked, whatever happened before):
    a failed statement, a date of birth or sex that does not match the NIK, an age under the
    minimum, a kelurahan outside its kecamatan or a TPS outside its kelurahan."""
    a = Draft(ctx).answers
    wrong = [Step(step) for step in STATEMENT_STEPS if a.get(step) != "yes"]
    if not rules.party_allowed(a.get(Step.DECL_PARTY.value)):
        wrong.append(Step.DECL_PARTY)
    nik = parse_nik(a[Step.NIK.value])
    birth = date.fromisoformat(a[Step.BIRTH_DATE.value])
    if not nik.matches_birth_date(birth) or rules.age_check(birth, ctx.period).too_young:
        wrong.append(Step.BIRTH_DATE)
    if a.get(Step.SEX.value) != nik.sex.value:
        wrong.append(Step.SEX)
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
    return ApplicantDetails(
        name=a[Step.NAME.value],
        birth_date=date.fromisoformat(a[Step.BIRTH_DATE.value]),
        sex=a[Step.SEX.value],
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


def answers_of(application: ApplicationInfo, nik: str) -> dict[str, Any]:
    """An application as registration answers, to show it as the applicant gave it."""
    d = application.details
    answers: dict[str, Any] = {
        Step.NIK.value: nik,
        Step.NAME.value: d.name,
        Step.BIRTH_DATE.value: d.birth_date.isoformat(),
        Step.SEX.value: d.sex,
        Step.PHONE.value: d.phone,
        Step.ADDRESS.value: d.address,
        Step.RT_RW.value: d.rt_rw,
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


async def _submit(ctx: Ctx, chosen: str | None) -> Reply:
    state = ctx.period.registration_state(ctx.now)
    if state != "open":
        return await _again(ctx, _window_text(ctx, state))
    answers = Draft(ctx).answers
    wrong = await inconsistent(ctx)
    if wrong:
        for step in wrong:
            answers.pop(step.value, None)
        ctx.conv.step = next_step(ctx).value
        return await _next(
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
            ),
            person_id=await ctx.person_id(),
            channel=ctx.actor.channel,
            consent_version=details.consent.version
            if details.consent
            else ctx.period.consent_version,
        )
    except DuplicateNik:
        return await _nik_taken(ctx)
    FLOW.leave(ctx)
    ctx.set_application(application)
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
    _redo(ctx, [Step.NIK])
    return await _next(ctx, ctx.t._(NIK_TAKEN, contact=ctx.period.contact))
