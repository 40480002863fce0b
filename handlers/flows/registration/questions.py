"""What a registration question is, the builders the table is written with, and the draft.

A question has a prompt (``ask``: its text and options), a parser/validator (``take``) and a
summary renderer (``show``). ``take`` returns what was answered (``Taken``), a statutory
requirement that is not met (``Block``) or a jump to another question (``Goto``); a bad
answer raises ``InvalidAnswer`` and the question is asked again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from handlers.context import Ctx
from handlers.errors import InvalidAnswer
from handlers.i18n import N_, NC_
from handlers.messages import Expect, Kind, Option, Reply

NAME = "registration"
NAMESPACE = "reg"


class Step(StrEnum):
    CONSENT = "consent"
    NIK = "nik"
    BIRTH_CONFIRM = "birth_confirm"  # the date of birth and sex the NIK encodes: right?
    BIRTH_DATE = "birth_date"  # asked only when the real date differs from the NIK's
    NAME = "name"
    BIRTH_PLACE = "birth_place"
    PHONE = "phone"
    ADDRESS = "address"  # as on the KTP-el
    RT_RW = "rt_rw"
    DOMICILE_SAME = "domicile_same"  # living at the KTP-el address?
    KTP_AREA = "ktp_area"  # only when not: the kelurahan and kab/kota of the KTP-el address
    DOMICILE_ADDRESS = "domicile_address"  # only when not: where the applicant lives
    KECAMATAN = "kecamatan"
    KELURAHAN = "kelurahan"
    TPS = "tps"
    EDUCATION = "education"
    OCCUPATION = "occupation"
    EMPLOYMENT = "employment"
    PRIOR_SERVICE = "prior_service"
    SMARTPHONE = "smartphone"
    DECL_CITIZEN = "decl_citizen"
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
    PRESET = "preset"  # a PPS link would replace the kelurahan already answered: ask first


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


def button_id(step: Step, value: str) -> str:
    return f"{NAMESPACE}:{step}:{value}"


def yes_no(step: Step, yes: str, no: str, ctx: Ctx) -> list[Option]:
    return [
        Option(button_id(step, "yes"), ctx.t.C_("button", yes), means="yes"),
        Option(button_id(step, "no"), ctx.t.C_("button", no), means="no"),
    ]


class Draft:
    """The registration's state between messages (its slot of the conversation)."""

    def __init__(self, ctx: Ctx) -> None:
        self.slot = ctx.slot(NAME)

    @property
    def answers(self) -> dict[str, Any]:
        return self.slot.setdefault("answers", {})

    @property
    def redo(self) -> list[str]:
        return list(self.slot.get("redo", []))

    @redo.setter
    def redo(self, steps: list[str]) -> None:
        if steps:
            self.slot["redo"] = steps
        else:
            self.slot.pop("redo", None)

    def get(self, key: str) -> Any:
        return self.slot.get(key)

    def set(self, key: str, value: Any) -> None:
        if value is None:
            self.slot.pop(key, None)
        else:
            self.slot[key] = value


@dataclass(frozen=True)
class Answer:
    text: str
    choice: str | None  # the value of the option chosen (after "reg:<step>:"), if any
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
    """Go straight to another question (redoing it), with a short note; ``Step.CANCEL`` asks
    whether to stop registering."""

    step: Step
    msgid: str


AskFn = Callable[[Ctx], Awaitable[Reply]]
TakeFn = Callable[[Ctx, Answer], Awaitable["Taken | Block | Goto"]]
ShowFn = Callable[[Ctx, Any, dict[str, Any]], Awaitable[str]]  # value, all the answers
AppliesFn = Callable[[dict[str, Any]], bool]


def always(answers: dict[str, Any]) -> bool:
    return True


def answered(step: Step, value: str) -> AppliesFn:
    """A question asked only when ``step`` was answered ``value``."""

    def applies(answers: dict[str, Any]) -> bool:
        return answers.get(step.value) == value

    return applies


@dataclass(frozen=True)
class Question:
    step: Step
    group: Group
    label: str
    ask: AskFn
    take: TakeFn
    show: ShowFn
    invalidates: tuple[Step, ...] = ()
    free: bool = False  # any text can be an answer, so a question is looked for first
    applies: AppliesFn = always  # asked (and shown, and submitted) only when this holds


async def show_text(ctx: Ctx, value: Any, a: dict[str, Any]) -> str:
    return str(value)


def free_text(
    step: Step,
    group: Group,
    label: str,
    question: str,
    parse: Callable[[str], Any],
    *,
    applies: AppliesFn = always,
) -> Question:
    async def ask(ctx: Ctx) -> Reply:
        return Reply(text=ctx.t._(question), expects=Expect.TEXT)

    async def take(ctx: Ctx, answer: Answer) -> Taken | Block:
        if answer.kind is not Kind.TEXT or answer.choice is not None:
            raise InvalidAnswer(N_("Please type your answer as text."))
        return Taken(parse(answer.text))

    return Question(step, group, label, ask, take, show_text, free=True, applies=applies)


def choice(
    step: Step,
    group: Group,
    label: str,
    question: str | tuple[str, ...],
    options: Sequence[tuple[str, str]],
    *,
    blocks: dict[str, Block] | None = None,
    notes: dict[str, str] | None = None,
    invalidates: tuple[Step, ...] = (),
) -> Question:
    """A question answered by one of fixed options (tapped, or typed: label, number, yes/no).
    With numeric option values a typed number is the answer itself ("5" → "3 or more")."""
    values = [value for value, _ in options]
    numeric = all(value.isdigit() for value in values)
    means = {"yes": "yes", "no": "no"}

    async def ask(ctx: Ctx) -> Reply:
        parts = (question,) if isinstance(question, str) else question
        return Reply(
            text="\n\n".join(ctx.t._(part) for part in parts),
            options=[
                Option(button_id(step, value), ctx.t.C_("button", text), means=means.get(value))
                for value, text in options
            ],
            expects=Expect.NUMBER if numeric else Expect.CHOICE,
        )

    async def take(ctx: Ctx, answer: Answer) -> Taken | Block:
        value = answer.choice
        typed = answer.text.strip()
        if value is None and numeric and typed.isdigit() and len(typed) <= 3:
            value = str(min(int(typed), int(values[-1])))
        if value not in values:
            raise InvalidAnswer(N_("Please choose one of the buttons below."))
        if blocks and value in blocks:
            return blocks[value]
        note = (notes or {}).get(value)
        return Taken(value, ((note, {}),) if note else ())

    async def show(ctx: Ctx, value: Any, a: dict[str, Any]) -> str:
        text = dict(options).get(value)
        return ctx.t.C_("button", text) if text else str(value)

    return Question(step, group, label, ask, take, show, invalidates=invalidates)


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
