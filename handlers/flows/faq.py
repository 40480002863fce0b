"""Questions and answers: /tanya, a menu by category, and free text recognised as a question.

Stateless: the options carry what they mean (``faq:cat:<category>``, ``faq:q:<entry id>``), so
a question can be asked from anywhere, also in the middle of another flow, which then resumes.
"""

from __future__ import annotations

from handlers.context import Ctx
from handlers.faq import CATEGORIES, FaqEntry, FaqMatch, KnowledgeStore, render_answer
from handlers.flows.base import Command, Flow
from handlers.i18n import N_, NC_
from handlers.messages import Option, Reply

CATEGORY_LABELS = {
    "syarat": NC_("button", "Requirements"),
    "dokumen": NC_("button", "Documents"),
    "jadwal": NC_("button", "Schedule"),
    "honor": NC_("button", "Pay and term"),
    "seleksi": NC_("button", "Selection"),
    "data": NC_("button", "Personal data"),
}


def menu(ctx: Ctx) -> Reply:
    return Reply(
        text=ctx.t._("Choose a topic, or simply type your question in your own words."),
        options=[
            Option(f"faq:cat:{c}", ctx.t.C_("button", CATEGORY_LABELS[c])) for c in CATEGORIES
        ],
    )


def category(ctx: Ctx, knowledge: KnowledgeStore, name: str) -> Reply:
    entries = knowledge.get().by_category(name)
    options = [Option(f"faq:q:{e.id}", e.label.get(ctx.t.locale)) for e in entries]
    options.append(Option("faq:menu", ctx.t.C_("button", "Other topics")))
    return Reply(
        text=ctx.t._("Questions about {topic}:", topic=ctx.t.C_("button", CATEGORY_LABELS[name])),
        options=options,
    )


def answer(ctx: Ctx, entry: FaqEntry) -> Reply:
    text = render_answer(entry, ctx.t, ctx.period, today=ctx.today)
    return Reply(text=text, options=[Option("faq:menu", ctx.t.C_("button", "Other questions"))])


def not_understood(ctx: Ctx, match: FaqMatch) -> Reply:
    if not match.candidates:
        return menu(ctx).prefixed(
            ctx.t._(
                "Sorry, I may not have understood your question. I can answer questions about "
                "KPPS registration; for anything else please contact {contact}.",
                contact=ctx.period.contact,
            )
        )
    options = [
        Option(f"faq:q:{entry.id}", entry.label.get(ctx.t.locale)) for entry, _ in match.candidates
    ]
    options.append(Option("faq:menu", ctx.t.C_("button", "Other topics")))
    return Reply(
        text=ctx.t._(
            "Sorry, I may not have understood. Did you mean one of these questions? If not, "
            "please contact {contact}.",
            contact=ctx.period.contact,
        ),
        options=options,
    )


def ask(ctx: Ctx, knowledge: KnowledgeStore, text: str) -> tuple[Reply, bool]:
    """Answer a typed question (True), or say plainly that it was not understood (False)."""
    match = knowledge.matcher().match(text, ctx.t.locale)
    if match.confident and match.entry is not None:
        return answer(ctx, match.entry), True
    return not_understood(ctx, match), False


def back_to_flow(ctx: Ctx, answer_text: str) -> str:
    """An answer given in the middle of a flow, announcing that the flow's question follows."""
    note = ctx.t._("Now, back to where we were:")
    return f"{answer_text}\n\n{note}"


async def resumed(ctx: Ctx, reply: Reply) -> Reply:
    """After an answer given in the middle of a flow, the flow's question again."""
    again = await ctx.resume(back_to_flow(ctx, reply.text), chosen=reply.chosen)
    return again or reply


#: At most this many options in one reply: a WhatsApp list message holds 10 rows.
MAX_OPTIONS = 10


def suggestions(ctx: Ctx, match: FaqMatch, menu: list[Option]) -> Reply:
    """Text at the menu that is neither a question nor a close match: the closest questions,
    then the menu (not the long welcome again)."""
    options = [
        Option(f"faq:q:{entry.id}", entry.label.get(ctx.t.locale)) for entry, _ in match.candidates
    ]
    shown = {option.id for option in options}
    options += [option for option in menu if option.id not in shown]
    return Reply(
        text=ctx.t._(
            "I am not sure what you mean. Maybe one of these questions? Or choose from the menu:"
        ),
        options=options[:MAX_OPTIONS],
    )


def idle_answer(ctx: Ctx, text: str, menu: list[Option] | None = None) -> Reply | None:
    """Text typed outside every flow: a question's answer (or "not understood" with
    suggestions); for other text a confident match's answer, else, when ``menu`` is given,
    the closest questions followed by ``menu``. None when nothing comes close (a greeting, a
    name, "test")."""
    if ctx.knowledge is None:
        return None
    text = text.strip()[:1000]
    matcher = ctx.knowledge.matcher()
    if matcher.is_question(text):
        return ask(ctx, ctx.knowledge, text)[0]
    match = matcher.match(text, ctx.t.locale)
    if match.confident and match.entry is not None:
        return answer(ctx, match.entry)
    if menu is not None and match.candidates:
        return suggestions(ctx, match, menu)
    return None


class FaqFlow(Flow):
    name = "faq"
    namespace = "faq"
    commands = (Command("tanya", N_("Ask a question about KPPS"), rank=4),)

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        if ctx.knowledge is None:
            return await ctx.flows.home.command(ctx, "bantuan", "")
        if payload:
            reply, answered = ask(ctx, ctx.knowledge, payload)
            # an answer resumes the flow; "did you mean …" keeps its suggestion options
            return await resumed(ctx, reply) if answered else reply
        return menu(ctx)

    async def button(self, ctx: Ctx, value: str) -> Reply:
        if ctx.knowledge is None:
            return menu(ctx)
        kind, _, key = value.partition(":")
        if kind == "cat" and key in CATEGORIES:
            return category(ctx, ctx.knowledge, key)
        if kind == "q" and (entry := ctx.knowledge.get().get(key)) is not None:
            reply = answer(ctx, entry)
            reply.chosen = entry.label.get(ctx.t.locale)
            return await resumed(ctx, reply)
        return menu(ctx)

    def side_answer(self, ctx: Ctx, text: str) -> str | None:
        """A question typed where a flow expected an answer: the answer, or None."""
        if ctx.knowledge is None:
            return None
        matcher = ctx.knowledge.matcher()
        if not matcher.is_question(text):
            return None
        match = matcher.match(text, ctx.t.locale)
        if not (match.confident and match.entry is not None):
            return None
        entry = match.entry
        return back_to_flow(ctx, render_answer(entry, ctx.t, ctx.period, today=ctx.today))


FLOW = FaqFlow()
