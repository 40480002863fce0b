"""Where a registration draft is, and what the applicant sees: the next step, the current
question (with its number and a keep option when redoing), consent, the summary, the block."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from handlers.context import Ctx
from handlers.flows.registration.questions import (
    GROUP_BUTTONS,
    GROUP_TITLES,
    NAME,
    Draft,
    Step,
    button_id,
    yes_no,
)
from handlers.flows.registration.table import BY_STEP, GROUPS, applicable
from handlers.i18n import NC_
from handlers.messages import Kind, Option, Reply
from handlers.period import STAGE_NAMES, Stage
from storage.domain import RegionInfo


def next_step(ctx: Ctx) -> Step:
    draft = Draft(ctx)
    redo, answers = draft.redo, draft.answers
    for step in applicable(answers):
        if step.value in redo or step.value not in answers:
            return step
    return Step.SUMMARY


def redo(ctx: Ctx, steps: Sequence[Step], *, keep_pending: bool = False) -> None:
    """Ask ``steps`` again (with a keep option); other pending redos stay if asked to."""
    draft = Draft(ctx)
    pending = draft.redo if keep_pending else []
    draft.redo = [*pending, *(s.value for s in steps if s.value not in pending)]
    ctx.conv.step = next_step(ctx).value


def is_complete(ctx: Ctx) -> bool:
    answers = Draft(ctx).answers
    return all(step.value in answers for step in applicable(answers))


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
    steps = applicable(answers)
    return sum(1 for step in steps if step.value in answers), len(steps)


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
    answered = draft.answers.get(Step.KELURAHAN.value)
    if answered and answered != region.code and ctx.conv.flow == NAME and ctx.conv.step:
        # An answer given by the applicant is not replaced without asking.
        draft.set("preset_pending", region.code)
        if ctx.conv.step != Step.PRESET:
            draft.set("return_to", ctx.conv.step)
        ctx.conv.step = Step.PRESET.value
        return
    apply_preset(ctx, region)


def apply_preset(ctx: Ctx, region: RegionInfo) -> None:
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
    if step == Step.PRESET:
        return await _preset_prompt(ctx)
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
    steps = applicable(Draft(ctx).answers)
    n = steps.index(question.step) + 1 if question.step in steps else len(steps)
    header = ctx.t._("Question {n} of {total}", n=n, total=len(steps))
    reply.text = f"{header}\n{reply.text}"
    if question.step.value in Draft(ctx).redo and question.step.value in Draft(ctx).answers:
        keep = Option(button_id(question.step, "keep"), ctx.t.C_("button", "Keep the answer"))
        reply.options = [*reply.options, keep]
    return reply


async def _preset_prompt(ctx: Ctx) -> Reply:
    draft = Draft(ctx)
    new, old = draft.get("preset_pending"), draft.answers.get(Step.KELURAHAN.value)
    names = await ctx.repos.wilayah.names([code for code in (new, old) if code])
    return Reply(
        text=ctx.t._(
            "You opened the link of Kelurahan {new}, but your registration says Kelurahan "
            "{old}. Do you want to change it to {new}? (The TPS is then chosen again.)",
            new=names.get(new or "", new or ""),
            old=names.get(old or "", old or ""),
        ),
        options=yes_no(
            Step.PRESET, NC_("button", "Yes, change it"), NC_("button", "No, keep mine"), ctx
        ),
    )


def _consent_prompt(ctx: Ctx) -> Reply:
    text = ctx.t._(
        "Before we start: your personal data\n\n"
        "{controller} processes what you give here only to select KPPS members for {period}, "
        "under PKPU 8/2022 and UU 27/2022 on Personal Data Protection:\n"
        "• your NIK, name, place and date of birth, sex, addresses, phone number, education "
        "and work, and your answers to the statements;\n"
        "• the documents you send: KTP-el, ijazah, pas foto, the signed forms, and the health "
        "letter (surat keterangan kesehatan) and the statement about criminal record in the "
        "surat pernyataan. Health and criminal-record data are specific personal data (data "
        "pribadi spesifik, UU 27/2022 Pasal 4), kept with extra care.\n\n"
        "Your NIK and documents are stored encrypted; only the PPS and KPU officers who "
        "select KPPS members see them. Everything is kept until {months} months after the "
        "KPPS term (masa kerja) ends, for replacements and audits, and then deleted.\n\n"
        "Your rights: send /datasaya to see your data, /hapus to delete it and withdraw this "
        "consent; for a correction or any question, contact {contact}.\n\n"
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
    asked = set(applicable(answers))
    lines = []
    for group, steps in GROUPS.items():
        lines.append("")
        lines.append(ctx.t._(GROUP_TITLES[group]))
        for step in steps:
            if step not in asked:
                continue
            question = BY_STEP[step.value]
            value = answers.get(step.value, ...)
            shown = "—" if value is ... else await question.show(ctx, value, answers)
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


def window_text(ctx: Ctx, state: str) -> str:
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


async def next_question(ctx: Ctx, *parts: str, chosen: str | None = None) -> Reply:
    """The (new) current question, with ``parts`` before it."""
    return replace((await prompt(ctx)).prefixed(*parts), chosen=chosen)


async def again(ctx: Ctx, note: str) -> Reply:
    """The same question again, after a note on what was wrong."""
    return (await prompt(ctx)).prefixed(note)


async def choose_below(ctx: Ctx) -> Reply:
    if ctx.incoming.kind is Kind.TEXT and (faq := ctx.answer_question(ctx.incoming.text)):
        return await again(ctx, faq)
    return await again(ctx, ctx.t._("Please choose one of the buttons below."))
