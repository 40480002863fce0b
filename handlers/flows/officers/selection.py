"""/seleksi: the seats of one TPS — one ketua, six anggota and an ordered cadangan.

The rules (``handlers.rules.selection``) propose; the officer changes the proposal (who is
ketua, who takes a seat instead of whom) and confirms it. Nothing is stored before the
confirmation; the draft lives in the officer's conversation. A confirmation made while
another officer changed one of these applicants stores nothing and shows the new proposal.
"""

from __future__ import annotations

from typing import Any

from handlers.context import Ctx
from handlers.flows.base import Command, Flow, stale
from handlers.flows.officers import common
from handlers.flows.officers.common import DECIDERS, SEAT_LABELS, audit, state_of
from handlers.i18n import N_
from handlers.messages import Option, Reply
from handlers.rules.selection import propose
from storage.domain import (
    KPPS_SIZE,
    ApplicationInfo,
    ApplicationStatus,
    Seat,
    TpsInfo,
)
from storage.repositories import ConcurrencyConflict

NAME = "selection"
CANDIDATES = frozenset(
    {ApplicationStatus.QUALIFIED, ApplicationStatus.SELECTED, ApplicationStatus.RESERVE}
)


def _name(a: ApplicationInfo) -> str:
    return f"{a.details.name} ({a.reg_number})"


class SelectionFlow(Flow):
    name = NAME
    namespace = "sel"
    commands = (Command("seleksi", N_("Choose the KPPS members of each TPS"), rank=21),)
    roles = DECIDERS

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        code = await common.kelurahan_of(ctx, payload, name)
        if isinstance(code, Reply):
            return code
        ctx.enter(self)
        ctx.conv.data[NAME] = {"kel": code}
        return await self._tps_list(ctx)

    async def prompt(self, ctx: Ctx) -> Reply | None:
        slot = ctx.slot(NAME)
        if slot.get("draft"):
            return await self._show(ctx)
        return await self._tps_list(ctx) if slot.get("kel") else None

    async def handle(self, ctx: Ctx) -> Reply:
        reply = await self.prompt(ctx)
        assert reply is not None
        return reply.prefixed(ctx.t._("Please choose with the buttons."))

    async def button(self, ctx: Ctx, value: str) -> Reply:
        slot = ctx.slot(NAME)
        if ctx.conv.flow != NAME or not slot.get("kel"):
            return stale(ctx)
        action, _, arg = value.partition(":")
        if action == "tps":
            tps = await common.tps(ctx, arg)
            if tps is None or tps.kelurahan_code != slot["kel"]:
                return stale(ctx)
            slot["draft"] = await self._proposal(ctx, tps)
            return await self._show(ctx)
        if action == "list":
            slot.pop("draft", None)
            return await self._tps_list(ctx)
        draft: dict[str, Any] | None = slot.get("draft")
        if draft is None:
            return stale(ctx)
        seats: list[int] = draft["seats"]
        if action == "ketua":
            return await self._pick(ctx, seats, "k", N_("Who is the ketua?"))
        if action == "k" and arg.isdigit() and int(arg) in seats:
            seats.remove(int(arg))
            seats.insert(0, int(arg))
            return await self._show(ctx)
        if action == "swap":
            return await self._pick(ctx, seats, "out", N_("Who gives up their seat?"))
        if action == "out" and arg.isdigit() and int(arg) in seats:
            draft["out"] = int(arg)
            pool = draft["reserve"] + draft["movable"]
            return await self._pick(ctx, pool, "in", N_("Who takes the seat?"))
        if action == "add":
            pool = draft["reserve"] + draft["movable"]
            return await self._pick(ctx, pool, "in", N_("Who takes the empty seat?"))
        if action == "in" and arg.isdigit():
            return await self._swap_in(ctx, draft, int(arg))
        if action == "confirm":
            return await self._confirm(ctx, draft)
        return stale(ctx)

    # screens

    async def _tps_list(self, ctx: Ctx) -> Reply:
        code = ctx.slot(NAME)["kel"]
        ctx.slot(NAME).pop("draft", None)
        counts = await ctx.repos.decisions.seats_by_tps(ctx.period.code, code, CANDIDATES)
        options = []
        for tps in await ctx.repos.wilayah.tps_of(code):
            ms, seated = counts.get(tps.id, (0, 0))
            mark = "✅" if seated >= KPPS_SIZE else ("⚠️" if ms < KPPS_SIZE else "")
            options.append(
                Option(
                    f"sel:tps:{tps.id}",
                    f"TPS {tps.number:03d} {mark}".strip(),
                    description=ctx.t._("{ms} MS, {seated} seats confirmed", ms=ms, seated=seated),
                )
            )
        text = ctx.t._(
            "Selection in {area}: choose a TPS. ✅ all 7 seats confirmed, ⚠️ fewer than 7 MS "
            "applicants.",
            area=await common.area_name(ctx, code),
        )
        return Reply(text=text, options=options, long=True)

    async def _proposal(self, ctx: Ctx, tps: TpsInfo) -> dict[str, Any]:
        everyone = await ctx.repos.decisions.in_area(
            ctx.period.code, tps.kelurahan_code, statuses=CANDIDATES
        )
        confirmed = [a for a in everyone if a.seat_tps_id == tps.id]
        if confirmed:  # what was confirmed before, to change
            seats = sorted(
                (a for a in confirmed if a.seat), key=lambda a: (a.seat is not Seat.KETUA, a.id)
            )
            reserve = sorted(
                (a for a in confirmed if not a.seat), key=lambda a: a.reserve_rank or 0
            )
            free = [a for a in everyone if a.seat_tps_id is None]
            draft_seats = [a.id for a in seats]
            draft_reserve = [a.id for a in reserve]
            movable = [a.id for a in free if a.tps_id != tps.id]
            draft_reserve += [a.id for a in free if a.tps_id == tps.id]
        else:
            free = [a for a in everyone if a.seat_tps_id is None]
            own = [a for a in free if a.tps_id == tps.id]
            others: dict[int, list[ApplicationInfo]] = {}
            for a in free:
                if a.tps_id is not None and a.tps_id != tps.id:
                    others.setdefault(a.tps_id, []).append(a)
            proposal = propose(own, others, ctx.period, ctx.policy.order)
            draft_seats, draft_reserve, movable = (
                proposal.seats,
                proposal.reserve,
                proposal.movable,
            )
        versions = {str(a.id): a.version for a in everyone}
        return {
            "tps": tps.id,
            "seats": draft_seats,
            "reserve": draft_reserve,
            "movable": movable,
            "v": versions,
        }

    async def _people(self, ctx: Ctx, ids: list[int]) -> dict[int, ApplicationInfo]:
        found = await ctx.repos.decisions.get_many(ids)
        return {i: a for i, a in found.items() if common.in_scope(ctx, a.kelurahan_code)}

    async def _show(self, ctx: Ctx, note: str = "") -> Reply:
        draft = ctx.slot(NAME)["draft"]
        ids = draft["seats"] + draft["reserve"] + draft["movable"]
        people = await self._people(ctx, ids)
        tps = await ctx.repos.wilayah.tps(draft["tps"])
        assert tps is not None
        lines = [
            ctx.t._(
                "TPS {tps:03d} — proposal (nothing is final until you confirm):", tps=tps.number
            )
        ]
        for index, i in enumerate(draft["seats"]):
            label = SEAT_LABELS[Seat.KETUA if index == 0 else Seat.ANGGOTA]
            moved = " ↪" if people[i].tps_id != tps.id else ""
            lines.append(f"{index + 1}. {ctx.t._(label)}: {_name(people[i])}{moved}")
        if draft["reserve"]:
            lines.append(ctx.t._("Cadangan:"))
            lines += [f"  {k}. {_name(people[i])}" for k, i in enumerate(draft["reserve"], 1)]
        short = KPPS_SIZE - len(draft["seats"])
        if short > 0:
            lines.append(ctx.t._("⚠️ {n} seats are still empty.", n=short))
            if draft["movable"]:
                lines.append(ctx.t._("Could move here from another TPS of this kelurahan:"))
                for i in draft["movable"]:
                    lines.append(
                        f"  • {_name(people[i])} ({await common.tps_label(ctx, people[i].tps_id)})"
                    )
        if any(people[i].tps_id != tps.id for i in draft["seats"]):
            lines.append(ctx.t._("↪ registered at another TPS of this kelurahan"))
        options = []
        if draft["seats"]:
            options.append(Option("sel:ketua", ctx.t.C_("button", "Choose ketua")))
            if draft["reserve"] or draft["movable"]:
                options.append(Option("sel:swap", ctx.t.C_("button", "Swap a member")))
        if short > 0 and (draft["reserve"] or draft["movable"]):
            options.append(Option("sel:add", ctx.t.C_("button", "Fill a seat")))
        options.append(Option("sel:confirm", ctx.t.C_("button", "Confirm")))
        options.append(Option("sel:list", ctx.t.C_("button", "Other TPS")))
        return Reply(text="\n".join(lines), options=options).prefixed(note)

    async def _pick(self, ctx: Ctx, ids: list[int], action: str, question: str) -> Reply:
        people = await self._people(ctx, ids)
        options = [
            Option(f"sel:{action}:{i}", people[i].details.name, description=people[i].reg_number)
            for i in ids
            if i in people
        ]
        options.append(
            Option("sel:tps:" + str(ctx.slot(NAME)["draft"]["tps"]), ctx.t.C_("button", "Back"))
        )
        return Reply(text=ctx.t._(question), options=options, long=True)

    async def _swap_in(self, ctx: Ctx, draft: dict[str, Any], new: int) -> Reply:
        seats, reserve, movable = draft["seats"], draft["reserve"], draft["movable"]
        if new not in reserve and new not in movable:
            return stale(ctx)
        (reserve if new in reserve else movable).remove(new)
        out = draft.pop("out", None)
        if out in seats:
            seats[seats.index(out)] = new
            reserve.insert(0, out)
        elif len(seats) < KPPS_SIZE:
            seats.append(new)
        return await self._show(ctx)

    async def _confirm(self, ctx: Ctx, draft: dict[str, Any]) -> Reply:
        tps_id = draft["tps"]
        tps = await common.tps(ctx, tps_id)
        if tps is None:
            return stale(ctx)
        everyone = await ctx.repos.decisions.in_area(
            ctx.period.code, tps.kelurahan_code, statuses=CANDIDATES
        )
        current = {a.id: a for a in everyone}
        wanted = draft["seats"] + draft["reserve"]
        changed = [
            i for i in wanted if i not in current or current[i].version != draft["v"].get(str(i))
        ]
        if changed:
            return await self._redo(ctx, tps)
        plan: dict[int, tuple[ApplicationStatus, Seat | None, int | None, int | None]] = {}
        for index, i in enumerate(draft["seats"]):
            seat = Seat.KETUA if index == 0 else Seat.ANGGOTA
            plan[i] = (ApplicationStatus.SELECTED, seat, tps_id, None)
        for position, i in enumerate(draft["reserve"], 1):
            plan[i] = (ApplicationStatus.RESERVE, None, tps_id, position)
        for a in everyone:  # seated here before, not now
            if a.seat_tps_id == tps_id and a.id not in plan:
                plan[a.id] = (ApplicationStatus.QUALIFIED, None, None, None)
        for i, (status, new_seat, seat_tps, rank) in plan.items():
            a = current[i]
            if (a.status, a.seat, a.seat_tps_id, a.reserve_rank) == (
                status,
                new_seat,
                seat_tps,
                rank,
            ):
                continue
            ok = await ctx.repos.decisions.change(
                a,
                actor_person_id=ctx.actor.person_id,
                status=status,
                seat=new_seat,
                seat_tps_id=seat_tps,
                reserve_rank=rank,
                reason="seleksi",
            )
            if not ok:  # changed since read in this unit of work: it is run again
                raise ConcurrencyConflict
            after = {
                "status": status.value,
                "seat": new_seat.value if new_seat else None,
                "tps_id": seat_tps,
                "reserve_rank": rank,
                "version": a.version + 1,
            }
            await audit(
                ctx, "seat", f"application:{i}", a.kelurahan_code, before=state_of(a), after=after
            )
        ctx.slot(NAME).pop("draft", None)
        done = ctx.t._(
            "TPS {tps:03d} is confirmed: {seats} seats and {reserve} cadangan. The applicants "
            "are told when you publish the results with /umumkan.",
            tps=tps.number,
            seats=len(draft["seats"]),
            reserve=len(draft["reserve"]),
        )
        return (await self._tps_list(ctx)).prefixed(done)

    async def _redo(self, ctx: Ctx, tps: TpsInfo) -> Reply:
        ctx.slot(NAME)["draft"] = await self._proposal(ctx, tps)
        return await self._show(
            ctx,
            note=ctx.t._(
                "Another officer changed some of these applicants meanwhile, so nothing was "
                "saved. Here is the proposal again with their current state."
            ),
        )


FLOW = SelectionFlow()
