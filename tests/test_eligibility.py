"""Cek syarat: rule-by-rule self-check that stores nothing personal.

A statutory requirement answered the failing way gives "not eligible" with its reason and no
"Register now"; the points the PPS weighs give a ⚠ with the explanation.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import select

from bot.app import App
from handlers.flows.eligibility import ABILITY, CONDUCT, Statement
from handlers.i18n import Translator
from handlers.messages import Incoming, Kind
from storage.models import Application, Consent, Conversation
from storage.repositories import Repos
from tests.dialog import ConsoleChat, person_aged
from tests.factories import make_nik

APPEAR_TO_MEET = "You appear to meet the requirements:"
NOT_ELIGIBLE = "You do not appear to meet every requirement:"
NOT_CHECKED = (
    "The other requirements were not checked, because this one alone rules out serving as a "
    "KPPS member."
)
DOCUMENTS = "Documents you will need:"
PERMISSION = (
    "Work: as an ASN, PPPK, village official or honorer you are allowed to serve, with a "
    "letter of permission from your superior (surat izin atasan)."
)
ALL_TRUE, NOT_ALL = "Yes, all true", "No, not all"
# Every answer the good way: WNI, domicile, party, the two groups of statements, education,
# employment (the date of birth comes first).
GOOD = ["Yes", "Yes", "Never a member", ALL_TRUE, ALL_TRUE, "SMA or higher", "None of them"]
QUESTIONS = [
    "Are you an Indonesian citizen (WNI)?",
    "Is your KTP-el address, or the place where you actually live, in {region}?",
    "Are you, or have you been, a member of a political party?",
    "Every KPPS member signs a statement (surat pernyataan) with these points:",
    "The statement (surat pernyataan) also says:",
    "What is your highest education?",
    "Are you an ASN (PNS), PPPK, village official (perangkat desa) or honorer?",
]
REASONS = {  # the ❌ line of each statement of the surat pernyataan answered "no"
    "loyalty": (
        "Loyalty and integrity: loyalty to Pancasila, the UUD 1945 and the NKRI, and "
        "integrity, are requirements for every KPPS member."
    ),
    "campaign": "Campaign team or witness in the last 5 years: you cannot serve.",
    "criminal": "Criminal record: a sentence for a crime punishable by 5+ years excludes you.",
    "dismissal": (
        "Dismissal: people permanently dismissed by a KPU Kabupaten/Kota or the DKPP cannot serve."
    ),
    "marriage": "Marriage: people married to an election official cannot serve.",
    "health": (
        "Health: KPPS members must be physically and mentally healthy, have no comorbidity "
        "and be free of narcotics abuse."
    ),
    "literacy": "Reading, writing and counting: every KPPS member must be able to do all three.",
    "it": "IT devices: every KPPS member must be able to operate information technology devices.",
}


async def stored_blobs(app: App) -> str:
    async with app.db.transaction() as session:
        rows = []
        for model in (Conversation, Consent, Application):
            for row in (await session.execute(select(model))).scalars():
                rows.append(repr({c.key: getattr(row, c.key) for c in model.__table__.columns}))
    return "\n".join(rows)


async def slot_of(app: App, chat_id: str) -> dict[str, object]:
    async with app.db.transaction() as session:
        repos = Repos(session, app.crypto, app.settings.wilayah_edition)
        _, state = await repos.conversations.open("console", chat_id)
    return state.data


async def check(chat: ConsoleChat, t: Translator, birth: str, labels: Sequence[str]) -> str:
    """/ceksyarat, the date of birth (or NIK), then press each button label (msgids)."""
    await chat.say("/ceksyarat")
    out = await chat.say(birth)
    for label in labels:
        out = await chat.press(t.C_("button", label))
    return out


def failing(statement: Statement) -> list[str]:
    """The labels that answer every statement "yes" but ``statement``."""
    group, before = (CONDUCT, GOOD[:3]) if statement in CONDUCT else (ABILITY, GOOD[:4])
    return [*before, NOT_ALL, *["Yes"] * group.index(statement), "No"]


def assert_not_eligible(t: Translator, out: str, reason: str) -> None:
    assert t._(NOT_ELIGIBLE) in out
    assert t._(APPEAR_TO_MEET) not in out
    assert "❌ " + reason in out
    assert t.C_("button", "Register now") not in out
    assert t.C_("button", "Check again") in out
    assert t._(DOCUMENTS) not in out  # nothing to prepare for an application that cannot be


async def test_all_good_answers(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    person = person_aged(app, 30)
    out = await check(chat, t, person.nik, GOOD)
    asked = [reply for _, reply in chat.transcript[1:-1]]
    for reply, question in zip(asked, QUESTIONS, strict=True):  # one question each, in order
        assert t._(question, region="Kota Kendari") in reply
    assert t._(APPEAR_TO_MEET) in out and t._(NOT_ELIGIBLE) not in out
    assert "❌" not in out and "⚠️" not in out
    for line in (
        t._("Age: you will be {age} on polling day.", age=30),
        t._("Citizenship: Indonesian citizen (WNI)."),
        t._("Domicile: you live in {region}.", region="Kota Kendari"),
        t._("Political party: never a member."),
        t._("Statements on loyalty, integrity and independence: all true."),
        t._("Statements on health and skills: all true."),
        t._("Education: at least SMA or equivalent."),
        t._("Work: not an ASN, PPPK, village official or honorer."),
    ):
        assert "✅ " + line in out
    for spec in app.period.documents:
        assert (spec.name in out) == (spec.required == "always"), spec.kind
    assert t.C_("button", "Register now") in out
    blobs = await stored_blobs(app)
    assert person.nik not in blobs
    async with app.db.transaction() as session:
        conversations = (await session.execute(select(Conversation))).scalars().all()
    assert all(c.data_enc is None and c.flow is None for c in conversations)


async def test_every_statement_is_shown_in_its_group(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await check(chat, t, person_aged(app, 30).birth_text, GOOD[:3])
    for statement in CONDUCT:
        assert "• " + t._(statement.text) in chat.last
    await chat.press(t.C_("button", ALL_TRUE))
    for statement in ABILITY:
        assert "• " + t._(statement.text) in chat.last
    assert len(CONDUCT) + len(ABILITY) == len(REASONS)


async def test_only_the_age_and_option_values_are_kept(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    person = person_aged(app, 30)
    await check(chat, t, person.nik, GOOD[:4])
    assert await slot_of(app, chat.chat_id) == {
        "eligibility": {
            "answers": {
                "age": 30,
                "citizen": "yes",
                "domicile": "yes",
                "party": "never",
                "conduct": "yes",
            }
        }
    }


KNOCK_OUTS = [  # (the buttons pressed after the age, the reason shown)
    (["No"], "Citizenship: only Indonesian citizens (WNI) can be KPPS members."),
    (
        ["Yes", "No"],
        "Domicile: KPPS members are recruited from residents of the area, so your KTP-el "
        "address or the place where you live must be in {region}.",
    ),
]


@pytest.mark.parametrize(
    ("labels", "reason"),
    [
        *KNOCK_OUTS,
        (
            ["Yes", "Yes", "Member, or left <5y"],
            "Political party: members, and those who left less than 5 years ago, cannot serve.",
        ),
    ],
    ids=["citizen", "domicile", "party"],
)
async def test_a_hard_rule_answered_no_is_not_eligible(
    app: App, t: Translator, labels: list[str], reason: str
) -> None:
    chat = ConsoleChat(app)
    out = await check(chat, t, person_aged(app, 30).birth_text, labels)
    assert_not_eligible(t, out, t._(reason, region="Kota Kendari"))
    assert t._(NOT_CHECKED) in out  # it stopped there: nothing after it can change the verdict


@pytest.mark.parametrize("statement", [*CONDUCT, *ABILITY], ids=lambda s: s.step.value)
async def test_each_statement_answered_no_is_not_eligible(
    app: App, t: Translator, statement: Statement
) -> None:
    chat = ConsoleChat(app)
    labels = failing(statement)
    await check(chat, t, person_aged(app, 30).birth_text, labels[:-1])
    assert t._(statement.text) in chat.last and t._("Is this true for you?") in chat.last
    out = await chat.press(t.C_("button", labels[-1]))
    assert_not_eligible(t, out, t._(REASONS[statement.step]))
    assert t._(NOT_CHECKED) in out
    others = [s for s in (*CONDUCT, *ABILITY) if s is not statement]
    assert not any(t._(REASONS[s.step]) in out for s in others)


async def test_a_no_to_a_group_asks_each_statement(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await check(chat, t, person_aged(app, 30).birth_text, GOOD[:3])
    out = await chat.press(t.C_("button", NOT_ALL))
    assert t._("Let's go through them one at a time.") in out
    for statement in CONDUCT:
        assert t._(statement.text) in chat.last
        out = await chat.press(t.C_("button", "Yes"))
    assert t._(QUESTIONS[4]) in out  # every point true after all: on to the next group
    for label in GOOD[4:]:
        out = await chat.press(t.C_("button", label))
    assert t._(APPEAR_TO_MEET) in out
    assert "✅ " + t._("Statements on loyalty, integrity and independence: all true.") in out
    assert t.C_("button", "Register now") in out


async def test_too_young_stops_after_the_age(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    out = await check(chat, t, person_aged(app, 16).birth_text, [])
    reason = t._(
        "Age: you will be {age} on polling day; the minimum is {minimum}.", age=16, minimum=17
    )
    assert_not_eligible(t, out, reason)
    assert t._(NOT_CHECKED) in out


async def test_soft_points_are_flags_not_rejections(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    labels = ["Yes", "Yes", "Left 5+ years ago", ALL_TRUE, ALL_TRUE, "Below SMA", "Honorer"]
    out = await check(chat, t, person_aged(app, 60).birth_text, labels)
    assert t._(APPEAR_TO_MEET) in out and "❌" not in out
    for line in (
        t._(
            "Age: you will be {age} on polling day; the KPU prefers at most {maximum}, so the "
            "PPS will weigh it.",
            age=60,
            maximum=55,
        ),
        t._(
            "Political party: allowed, with a letter from the party that you left at least 5 "
            "years ago."
        ),
        t._(
            "Education: the requirement is SMA or equivalent; the PPS may accept people who can "
            "read, write and count when there are too few applicants."
        ),
        t._(PERMISSION),
    ):
        assert "⚠️ " + line in out
    documents = out.split(t._(DOCUMENTS))[1]
    for spec in app.period.documents:  # the party letter and the surat izin atasan too
        assert spec.name in documents, spec.kind
    assert t.C_("button", "Register now") in out


@pytest.mark.parametrize(
    ("label", "needs_permission"),
    [
        ("None of them", False),
        ("ASN (PNS)", True),
        ("PPPK", True),
        ("Village official", True),
        ("Honorer", True),
    ],
)
async def test_employment_and_the_surat_izin_atasan(
    app: App, t: Translator, label: str, needs_permission: bool
) -> None:
    chat = ConsoleChat(app)
    out = await check(chat, t, person_aged(app, 30).birth_text, [*GOOD[:-1], label])
    assert t._(APPEAR_TO_MEET) in out
    assert (("⚠️ " + t._(PERMISSION)) in out) is needs_permission
    (letter,) = [s for s in app.period.documents if s.required == "needs_permission"]
    assert (letter.name in out.split(t._(DOCUMENTS))[1]) is needs_permission
    assert t.C_("button", "Register now") in out


async def test_typed_answers_work_like_buttons(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await chat.say("/ceksyarat")
    await chat.say(make_nik(person_aged(app, 30).birth))
    for typed in (
        "ya",  # WNI: a yes word
        "1",  # domicile: the number shown
        t.C_("button", "Never a member").upper(),  # party: the label
        "iya",  # the first group
        "2",  # the second group: "no, not all"
        "ya",
        "ya",
        t.C_("button", "Yes"),
        t.C_("button", "SMA or higher").lower(),
    ):
        out = await chat.say(typed)
        assert t._("Please choose one of the buttons below.") not in out, typed
    out = await chat.say("PNS")
    assert t._(APPEAR_TO_MEET) in out and "⚠️ " + t._(PERMISSION) in out


@pytest.mark.parametrize("typed", ["tidak", "2", "TIDAK", "no"])
async def test_typed_no_is_not_eligible(app: App, t: Translator, typed: str) -> None:
    chat = ConsoleChat(app)
    await chat.say("/ceksyarat")
    await chat.say(person_aged(app, 30).birth_text)
    out = await chat.say(typed)
    assert_not_eligible(
        t, out, t._("Citizenship: only Indonesian citizens (WNI) can be KPPS members.")
    )


async def test_typed_no_to_employment_means_none(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await check(chat, t, person_aged(app, 30).birth_text, GOOD[:-1])
    out = await chat.say("tidak")
    assert "✅ " + t._("Work: not an ASN, PPPK, village official or honorer.") in out


async def test_bad_input_repeats_the_question(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await chat.say("/ceksyarat")
    out = await chat.say("kemarin sore")
    assert (
        t._(
            "I could not read that as a date. Please write the date as day, month and year, "
            "for example 17-08-1990, 17/08/1990 or 17 Agustus 1990."
        )[:30]
        in out
    )
    await chat.say(make_nik(person_aged(app, 40).birth))
    out = await chat.say("mungkin")
    assert t._(QUESTIONS[0]) in out
    out = await chat.say("iya")
    assert "Kota Kendari" in out


async def test_a_button_of_an_earlier_question_is_stale(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await check(chat, t, person_aged(app, 30).birth_text, ["Yes"])
    old = Incoming("console", chat.chat_id, Kind.BUTTON, button_id="eligibility:citizen:no")
    reply = await app.engine.handle(old)
    assert reply is not None and reply.notice == t._("That button belongs to an earlier question.")
    out = await chat.press(t.C_("button", "Yes"))  # still at the domicile question
    assert t._(QUESTIONS[2]) in out


async def test_register_from_the_verdict(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await check(chat, t, person_aged(app, 30).birth_text, GOOD)
    out = await chat.press(t.C_("button", "Register now"))
    assert t.C_("button", "I agree") in out


async def test_check_again_after_a_failure(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await check(chat, t, person_aged(app, 30).birth_text, ["No"])
    out = await chat.press(t.C_("button", "Check again"))
    assert (
        t._(
            "What is your date of birth (for example 17-08-1990)? You may also type your NIK; "
            "it is only used to compute your age and is not stored."
        )
        in out
    )


async def test_batal_and_start_leave_the_self_check(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await chat.say("/ceksyarat")
    out = await chat.say("/batal")
    assert t._("Stopped. Send /start to see the menu.") in out
    out = await chat.say("berapa honor anggota kpps?")
    assert "Rp" in out  # answered as a question, no hidden date-of-birth step any more
    await chat.say("/ceksyarat")
    await chat.say("/start")
    out = await chat.say("berapa honor anggota kpps?")
    assert "Rp" in out
