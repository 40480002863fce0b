"""Questions and answers: /tanya, a menu by category, and free text recognised as a question.

Stateless: the buttons carry what they mean (``faq:cat:<category>``, ``faq:q:<entry id>``), so
a question can be asked from anywhere, also in the middle of another flow, which then resumes.
"""

from __future__ import annotations

from handlers.context import Ctx
from handlers.faq import CATEGORIES, FaqEntry, FaqMatch, KnowledgeStore, render_answer
from handlers.i18n import NC_
from handlers.messages import Button, Reply

CATEGORY_LABELS = {
    "syarat": NC_("button", "Requirements"),
    "dokumen": NC_("button", "Documents"),
    "jadwal": NC_("button", "Schedule"),
    "honor": NC_("button", "Pay and term"),
    "seleksi": NC_("button", "Selection"),
    "data": NC_("button", "Personal data"),
}


def _rows(buttons: list[Button], columns: int = 2) -> list[list[Button]]:
    return [buttons[i : i + columns] for i in range(0, len(buttons), columns)]


def menu(ctx: Ctx) -> Reply:
    buttons = [Button(f"faq:cat:{c}", ctx.t.C_("button", CATEGORY_LABELS[c])) for c in CATEGORIES]
    return Reply(
        text=ctx.t._("Choose a topic, or simply type your question in your own words."),
        buttons=_rows(buttons),
    )


def category(ctx: Ctx, knowledge: KnowledgeStore, name: str) -> Reply:
    entries = knowledge.get().by_category(name)
    buttons = [Button(f"faq:q:{e.id}", e.label.get(ctx.t.locale)) for e in entries]
    buttons.append(Button("faq:menu", ctx.t.C_("button", "Other topics")))
    return Reply(
        text=ctx.t._("Questions about {topic}:", topic=ctx.t.C_("button", CATEGORY_LABELS[name])),
        buttons=_rows(buttons),
    )


def answer(ctx: Ctx, entry: FaqEntry) -> Reply:
    text = render_answer(entry, ctx.t.locale, ctx.period, today=ctx.today)
    return Reply(text=text, buttons=[[Button("faq:menu", ctx.t.C_("button", "Other questions"))]])


def not_understood(ctx: Ctx, match: FaqMatch) -> Reply:
    if not match.candidates:
        reply = menu(ctx)
        reply.text = (
            ctx.t._(
                "Sorry, I may not have understood your question. I can answer questions about "
                "KPPS registration; for anything else please contact {contact}.",
                contact=ctx.period.contact,
            )
            + "\n\n"
            + reply.text
        )
        return reply
    buttons = [
        Button(f"faq:q:{entry.id}", entry.label.get(ctx.t.locale)) for entry, _ in match.candidates
    ]
    buttons.append(Button("faq:menu", ctx.t.C_("button", "Other topics")))
    return Reply(
        text=ctx.t._(
            "Sorry, I may not have understood. Did you mean one of these questions? If not, "
            "please contact {contact}.",
            contact=ctx.period.contact,
        ),
        buttons=_rows(buttons, 1),
    )


def on_button(ctx: Ctx, knowledge: KnowledgeStore, value: str) -> Reply:
    kind, _, key = value.partition(":")
    if kind == "cat" and key in CATEGORIES:
        return category(ctx, knowledge, key)
    if kind == "q" and (entry := knowledge.get().get(key)) is not None:
        reply = answer(ctx, entry)
        reply.chosen = entry.label.get(ctx.t.locale)
        return reply
    return menu(ctx)


def ask(ctx: Ctx, knowledge: KnowledgeStore, text: str) -> tuple[Reply, bool]:
    """Answer a typed question (True), or say plainly that it was not understood (False)."""
    match = knowledge.matcher().match(text, ctx.t.locale)
    if match.confident and match.entry is not None:
        return answer(ctx, match.entry), True
    return not_understood(ctx, match), False


def back_to_flow(ctx: Ctx, answer_text: str) -> str:
    """An answer given in the middle of a flow, announcing that the flow's question follows."""
    return f"{answer_text}\n\n{ctx.t._('Now, back to where we were:')}"


def interrupt(ctx: Ctx, knowledge: KnowledgeStore, text: str) -> str | None:
    """A question typed where a flow expected an answer: the answer, or None to carry on."""
    matcher = knowledge.matcher()
    if not matcher.is_question(text):
        return None
    match = matcher.match(text, ctx.t.locale)
    if not (match.confident and match.entry is not None):
        return None
    return back_to_flow(ctx, render_answer(match.entry, ctx.t.locale, ctx.period, today=ctx.today))
