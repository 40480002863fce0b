"""Running the registration: consent, the questions of the table, the summary, submission.

The next step is always the first question, in table order, that has no answer yet (or that
the user asked to redo from the summary), then the summary. So a deep link that preselects
the kelurahan, a correction from the summary and a restart all follow one rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers.context import Ctx
from handlers.errors import InvalidAnswer
from handlers.flows.base import STALE_BUTTON, Command, Flow
from handlers.flows.registration.questions import (
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
)
from handlers.flows.registration.reminders import remind_unfinished, unfinished_key
from handlers.flows.registration.screens import (
    again,
    apply_preset,
    choose_below,
    is_complete,
    next_question,
    next_step,
    prompt,
    redo,
    window_text,
)
from handlers.flows.registration.submit import submit
from handlers.flows.registration.table import BY_STEP, GROUPS
from handlers.i18n import N_
from handlers.messages import Kind, Reply

CONSENT_PURPOSE = "registration"
MAX_TEXT = 1000


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
            return Reply(text=window_text(ctx, state))
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
        elif incoming.kind is not Kind.TEXT and not (
            incoming.kind is Kind.CONTACT and step == Step.PHONE
        ):  # a contact card is an answer only where the phone number is asked
            return await again(
                ctx,
                ctx.t._(
                    "I cannot use {what} as an answer here. Please answer the question below "
                    "with text or a button.",
                    what=ctx.t._(KIND_NAMES.get(incoming.kind, KIND_NAMES[Kind.OTHER])),
                ),
            )
        text = incoming.text.strip()
        if len(text) > MAX_TEXT:
            return await again(
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
        if step == Step.PRESET:
            return await self._on_preset(ctx, value, chosen)
        question = BY_STEP.get(step)
        if question is None:
            return await again(ctx, "")
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
            await remind_unfinished(ctx)
            ctx.conv.step = next_step(ctx).value
            return await next_question(ctx, ctx.t._("Thank you. Let's begin."), chosen=chosen)
        if value == "no":
            await _forget_draft(ctx)
            return Reply(
                text=ctx.t._(
                    "That is all right. We have not stored any of your data. If you change "
                    "your mind, send /daftar to start again."
                ),
                chosen=chosen,
            )
        return await choose_below(ctx)

    async def _on_question(
        self, ctx: Ctx, question: Question, answer: Answer, chosen: str | None
    ) -> Reply:
        step = question.step.value
        draft = Draft(ctx)
        answers = draft.answers
        if answer.choice == "keep" and step in answers:
            draft.redo = [s for s in draft.redo if s != step]
            ctx.conv.step = next_step(ctx).value
            return await next_question(ctx, chosen=chosen)
        if question.free and answer.choice is None and (faq := ctx.answer_question(answer.text)):
            return await again(ctx, faq)
        try:
            outcome = await question.take(ctx, answer)
        except InvalidAnswer as error:
            if answer.choice is None and (faq := ctx.answer_question(answer.text)):
                return await again(ctx, faq)
            return await again(ctx, ctx.error(error))
        if isinstance(outcome, Goto) and outcome.step is Step.CANCEL:
            draft.set("return_to", step)
            ctx.conv.step = Step.CANCEL.value
            return await next_question(ctx, chosen=chosen)
        if isinstance(outcome, Goto):
            redo(ctx, [outcome.step], keep_pending=True)
            return await next_question(ctx, ctx.t._(outcome.msgid), chosen=chosen)
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
            return await next_question(ctx, chosen=chosen)
        assert isinstance(outcome, Taken)
        old = answers.get(step, ...)
        answers[step] = outcome.value
        if old is not ... and old != outcome.value:
            for dependent in question.invalidates:
                answers.pop(dependent.value, None)
        draft.redo = [s for s in draft.redo if s != step]
        ctx.conv.step = next_step(ctx).value
        return await next_question(ctx, *_notes(ctx, outcome.notes), chosen=chosen)

    async def _on_blocked(self, ctx: Ctx, value: str | None, chosen: str | None) -> Reply:
        draft = Draft(ctx)
        block = draft.get("block") or {}
        if value == "fix":
            draft.set("block", None)
            redo(ctx, [Step(block.get("fix", Step.NIK.value))], keep_pending=True)
            return await next_question(ctx, chosen=chosen)
        if value == "stop":
            draft.set("return_to", Step.BLOCKED.value)
            ctx.conv.step = Step.CANCEL.value
            return await next_question(ctx, chosen=chosen)
        return await choose_below(ctx)

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
            return await next_question(ctx, ctx.t._("Good, let's continue."), chosen=chosen)
        return await choose_below(ctx)

    async def _on_preset(self, ctx: Ctx, value: str | None, chosen: str | None) -> Reply:
        if value not in ("yes", "no"):
            return await choose_below(ctx)
        draft = Draft(ctx)
        pending = draft.get("preset_pending")
        draft.set("preset_pending", None)
        region = await ctx.repos.wilayah.region(pending) if value == "yes" and pending else None
        if region is not None:
            apply_preset(ctx, region)
        back = draft.get("return_to")
        draft.set("return_to", None)
        keep = back in (Step.BLOCKED, Step.CANCEL, Step.SUMMARY) and region is None
        ctx.conv.step = back if keep else next_step(ctx).value
        return await next_question(ctx, chosen=chosen)

    async def _on_summary(self, ctx: Ctx, value: str | None, chosen: str | None) -> Reply:
        if value == "submit" and is_complete(ctx):
            return await submit(ctx, chosen)
        if value == "continue" or (value == "submit" and not is_complete(ctx)):
            ctx.conv.step = next_step(ctx).value
            return await next_question(ctx, chosen=chosen)
        if value and value.startswith("edit:") and value[5:] in {g.value for g in Group}:
            redo(ctx, GROUPS[Group(value[5:])])
            return await next_question(ctx, chosen=chosen)
        return await choose_below(ctx)


FLOW = RegistrationFlow()


async def _forget_draft(ctx: Ctx) -> None:
    """Drop the draft; a person who has given nothing else is forgotten too."""
    FLOW.leave(ctx)
    if ctx.actor.person_id is not None:
        await ctx.repos.outbox.cancel(ctx.actor.person_id, keys=[unfinished_key(ctx)])
    if await ctx.application() is None and ctx.actor.person_id is not None:
        await ctx.repos.conversations.delete(ctx.conv)
        await ctx.repos.people.delete(ctx.actor.person_id)
