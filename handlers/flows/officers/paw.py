"""Replacement of a member who leaves (pergantian antarwaktu, PAW).

/paw: the officer marks a member as leaving with the reason (meninggal, berhalangan tetap,
mengundurkan diri, diberhentikan); the seat is offered by chat to the next cadangan of that
TPS, who accepts or declines with the buttons or by typing /terima or /tolak. A decline
offers it to the next one; with no cadangan left the PPS is told to appoint directly. The
PPS hears every answer through the outbox; every step goes to the audit log.
"""

from __future__ import annotations

from dataclasses import replace

from handlers.choices import normalise
from handlers.context import Ctx
from handlers.flows.base import EVERYONE, Command, Flow, stale
from handlers.flows.officers import common
from handlers.flows.officers.common import DECIDERS, SEAT_LABELS, audit, state_of
from handlers.i18n import N_, NC_
from handlers.messages import Option, Reply
from storage.domain import ApplicationInfo, ApplicationStatus, OutgoingMessage, Seat

REASONS = {
    "meninggal": NC_("button", "Meninggal dunia"),
    "berhalangan": NC_("button", "Berhalangan tetap"),
    "mundur": NC_("button", "Mengundurkan diri"),
    "diberhentikan": NC_("button", "Diberhentikan"),
}
OFFER = N_(
    "A seat in KPPS TPS {tps}, {area}, has become free, and you are the next reserve "
    "(cadangan). Do you accept the seat as {seat}? Answer with the buttons, or type terima "
    "to accept or tolak to decline."
)
ACCEPTED = N_("{name} ({number}) accepted the seat in TPS {tps}.")
DECLINED = N_("{name} ({number}) declined the seat in TPS {tps}.")
NONE_LEFT = N_(
    "No cadangan is left for TPS {tps}: please appoint a replacement directly (penunjukan "
    "langsung) and record it in the berita acara."
)


class PawFlow(Flow):
    name = "paw"
    namespace = "paw"
    commands = (Command("paw", N_("Replace a member who leaves"), rank=23),)
    roles = DECIDERS

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        code = await common.kelurahan_of(ctx, payload, name)
        if isinstance(code, Reply):
            return code
        members = await ctx.repos.decisions.in_area(
            ctx.period.code, code, statuses=frozenset({ApplicationStatus.SELECTED})
        )
        if not members:
            return Reply(
                text=ctx.t._(
                    "No selected members in {area} yet.", area=await common.area_name(ctx, code)
                )
            )
        options = [
            Option(
                f"paw:m:{a.id}",
                a.details.name,
                description=f"{await common.tps_label(ctx, a.seat_tps_id)} · {a.reg_number}",
            )
            for a in members
        ]
        return Reply(text=ctx.t._("Which member leaves?"), options=options, long=True)

    async def button(self, ctx: Ctx, value: str) -> Reply:
        parts = value.split(":")
        if parts[0] == "m" and len(parts) == 2:
            a = await common.application(ctx, parts[1])
            if a is None or a.status is not ApplicationStatus.SELECTED:
                return stale(ctx)
            options = [
                Option(f"paw:r:{a.id}:{key}:{a.version}", ctx.t.C_("button", label))
                for key, label in REASONS.items()
            ]
            return Reply(
                text=ctx.t._("Why does {name} leave?", name=a.details.name), options=options
            )
        if parts[0] == "r" and len(parts) == 4 and parts[2] in REASONS:
            a = await common.application(ctx, parts[1])
            if a is None or a.status is not ApplicationStatus.SELECTED:
                return stale(ctx)
            if str(a.version) != parts[3]:
                return Reply(
                    text=ctx.t._(
                        "Another officer changed this member meanwhile; nothing was saved. "
                        "Send /paw to see the current members."
                    )
                )
            return await self._leave(ctx, a, parts[2])
        return stale(ctx)

    async def _leave(self, ctx: Ctx, a: ApplicationInfo, reason: str) -> Reply:
        assert a.seat is not None and a.seat_tps_id is not None
        seat, tps_id = a.seat, a.seat_tps_id
        if not await ctx.repos.decisions.change(
            a,
            actor_person_id=ctx.actor.person_id,
            status=ApplicationStatus.WITHDRAWN,
            reason=reason,
            seat=None,
            seat_tps_id=None,
            reserve_rank=None,
        ):
            return stale(ctx)
        after = replace(a, status=ApplicationStatus.WITHDRAWN, seat=None, seat_tps_id=None)
        await audit(
            ctx,
            "left",
            f"application:{a.id}",
            a.kelurahan_code,
            before=state_of(a),
            after=state_of(after) | {"version": a.version + 1},
            reason=reason,
        )
        label = ctx.t.C_("button", REASONS[reason])
        offered = await offer_next(ctx, a.kelurahan_code, tps_id, seat, replaces=a.id)
        tps = await common.tps_label(ctx, tps_id)
        text = ctx.t._(
            "{name} is recorded as leaving ({reason}).", name=a.details.name, reason=label
        )
        if offered is not None:
            text += "\n" + ctx.t._(
                "The seat is offered to cadangan {rank}, {name}; you will be told the answer.",
                rank=offered.reserve_rank or 0,
                name=offered.details.name,
            )
        else:
            text += "\n" + ctx.t._(NONE_LEFT, tps=tps.removeprefix("TPS "))
        return Reply(text=text, chosen=label)


async def offer_next(
    ctx: Ctx, kelurahan: str, tps_id: int, seat: Seat, *, replaces: int | None
) -> ApplicationInfo | None:
    """Offer a free seat to the first cadangan of the TPS who has no open offer."""
    reserves = await ctx.repos.decisions.in_area(
        ctx.period.code, kelurahan, statuses=frozenset({ApplicationStatus.RESERVE})
    )
    queue = sorted(
        (r for r in reserves if r.seat_tps_id == tps_id), key=lambda r: r.reserve_rank or 0
    )
    for candidate in queue:
        if candidate.person_id is None or await ctx.repos.decisions.open_offer_of(candidate.id):
            continue
        offer = await ctx.repos.decisions.offer(
            candidate.id, replaces_id=replaces, tps_id=tps_id, seat=seat, now=ctx.now
        )
        tps = await common.tps_label(ctx, tps_id)
        channel = await ctx.repos.decisions.channel_of(candidate.id) or ctx.actor.channel
        await ctx.repos.outbox.enqueue(
            person_id=candidate.person_id,
            channel=channel,
            kind="paw_offer",
            message=OutgoingMessage(
                OFFER,
                {
                    "tps": tps.removeprefix("TPS "),
                    "area": await common.area_name(ctx, kelurahan),
                    "seat": ctx.t._(SEAT_LABELS[seat]),
                },
                options=(
                    (f"seat:{offer.id}:yes", "Accept the seat"),
                    (f"seat:{offer.id}:no", "Decline"),
                ),
            ),
            key=f"paw:offer:{offer.id}",
            now=ctx.now,
            priority=2,
        )
        await audit(
            ctx,
            "seat_offered",
            f"application:{candidate.id}",
            kelurahan,
            after={"tps_id": tps_id, "seat": seat.value, "offer": offer.id},
        )
        return candidate
    return None


ACCEPT_LABEL = NC_("button", "Accept the seat")
DECLINE_LABEL = NC_("button", "Decline")


class SeatOfferFlow(Flow):
    """The reserve's answer to an offered seat: the buttons of the offer, /terima or /tolak.
    Only the person the seat was offered to can answer (checked on the server)."""

    name = "seat"
    namespace = "seat"
    commands = (
        Command("terima", N_("Accept an offered KPPS seat"), menu=False),
        Command("tolak", N_("Decline an offered KPPS seat"), menu=False),
    )
    roles = EVERYONE

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        application = await ctx.application()
        offer = await ctx.repos.decisions.open_offer_of(application.id) if application else None
        if offer is None:
            text = ctx.t._("There is no seat offered to you at the moment.")
            return await ctx.resume(text) or Reply(text=text)
        return await self._answer(ctx, offer.id, name == "terima")

    async def at_menu(self, ctx: Ctx, text: str) -> Reply | None:
        """ "terima" / "tolak" typed at the menu by someone with an open offer."""
        word = normalise(text)
        if word not in {"terima", "tolak"}:
            return None
        application = await ctx.application()
        offer = await ctx.repos.decisions.open_offer_of(application.id) if application else None
        return await self._answer(ctx, offer.id, word == "terima") if offer else None

    async def button(self, ctx: Ctx, value: str) -> Reply:
        raw, _, answer = value.partition(":")
        if not raw.isdigit() or answer not in {"yes", "no"}:
            return stale(ctx)
        return await self._answer(ctx, int(raw), answer == "yes")

    async def _answer(self, ctx: Ctx, offer_id: int, accept: bool) -> Reply:
        offer = await ctx.repos.decisions.get_offer(offer_id)
        application = await ctx.application()
        if (
            offer is None
            or application is None
            or offer.application_id != application.id
            or application.status is not ApplicationStatus.RESERVE
            or not await ctx.repos.decisions.answer_offer(
                offer.id, "accepted" if accept else "declined", ctx.now
            )
        ):
            return stale(ctx)
        a = application
        if accept:
            changed = await ctx.repos.decisions.change(
                a,
                actor_person_id=a.person_id,
                status=ApplicationStatus.SELECTED,
                seat=offer.seat,
                seat_tps_id=offer.tps_id,
                reserve_rank=None,
                reason="paw",
            )
        else:
            changed = await ctx.repos.decisions.change(
                a,
                actor_person_id=a.person_id,
                status=ApplicationStatus.NOT_SELECTED,
                seat=None,
                seat_tps_id=None,
                reserve_rank=None,
                reason="paw ditolak",
            )
        if not changed:
            return stale(ctx)
        await ctx.repos.audit.record(
            actor_person_id=a.person_id,
            action="seat_accepted" if accept else "seat_declined",
            subject=f"application:{a.id}",
            area=a.kelurahan_code,
            now=ctx.now,
            before=state_of(a),
            after={"version": a.version + 1},
        )
        tps = (await common.tps_label(ctx, offer.tps_id)).removeprefix("TPS ")
        params = {"name": a.details.name, "number": a.reg_number, "tps": tps}
        notices = [OutgoingMessage(ACCEPTED if accept else DECLINED, params)]
        if not accept:
            nxt = await offer_next(
                ctx, a.kelurahan_code, offer.tps_id, offer.seat, replaces=offer.replaces_id
            )
            if nxt is None:
                notices.append(OutgoingMessage(NONE_LEFT, {"tps": tps}))
        for officer in await ctx.repos.officers.of_area(a.kelurahan_code):
            channel = await ctx.repos.officers.channel_of(officer)
            for n, message in enumerate(notices):
                if channel:
                    await ctx.repos.outbox.enqueue(
                        person_id=officer,
                        channel=channel,
                        kind="officer_notice",
                        message=message,
                        key=f"paw:answer:{offer.id}:{officer}:{n}",
                        now=ctx.now,
                        priority=3,
                    )
        if accept:
            text = ctx.t._(
                "Thank you! You now hold the seat as {seat} of KPPS TPS {tps}. The PPS will "
                "contact you about the inauguration and the bimtek.",
                seat=ctx.t._(SEAT_LABELS[offer.seat]),
                tps=tps,
            )
            label = ctx.t.C_("button", ACCEPT_LABEL)
        else:
            text = ctx.t._("Thank you for your answer. The seat will be offered to someone else.")
            label = ctx.t.C_("button", DECLINE_LABEL)
        return await ctx.resume(text, chosen=label) or Reply(text=text, chosen=label)


FLOW = PawFlow()
SEAT = SeatOfferFlow()
