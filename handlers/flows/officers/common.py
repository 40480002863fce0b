"""What the officers' flows share: who may do what, where, checked on the server.

Every id a client sends (an application, a document, a TPS, an area code) is looked up and
checked against the officer's scope before anything is shown or changed. Something outside
the scope is answered exactly like something that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping

from handlers.context import Ctx
from handlers.i18n import N_
from handlers.messages import Reply
from storage.domain import (
    OFFICERS,
    SCOPE_LEVEL,
    ApplicationInfo,
    ApplicationStatus,
    DocumentInfo,
    Role,
    Seat,
    TpsInfo,
    area_within,
)

# PPK monitor (read only); PPS and KPU admin decide.
DECIDERS = frozenset({Role.PPS, Role.KPU_ADMIN})
READERS = OFFICERS

NOT_FOUND = N_("That applicant or item was not found in your area.")
READ_ONLY = N_("Your role can view this but not change it.")

STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: N_("waiting for review"),
    ApplicationStatus.QUALIFIED: N_("Memenuhi Syarat (MS)"),
    ApplicationStatus.NOT_QUALIFIED: N_("Tidak Memenuhi Syarat (TMS)"),
    ApplicationStatus.SELECTED: N_("selected"),
    ApplicationStatus.RESERVE: N_("reserve (cadangan)"),
    ApplicationStatus.NOT_SELECTED: N_("not selected"),
    ApplicationStatus.WITHDRAWN: N_("left"),
}
SEAT_LABELS = {Seat.KETUA: N_("Ketua"), Seat.ANGGOTA: N_("Anggota")}
FLAG_LABELS = {
    "age_over_preferred_max": N_("older than the preferred maximum age"),
    "education_below_sma": N_("no SMA/sederajat diploma"),
    "needs_superior_permission": N_("ASN/PPPK/perangkat desa/honorer: needs a permission letter"),
    "former_party_member": N_("former party member: needs the party's letter"),
    "no_smartphone": N_("no smartphone"),
    "tps_to_be_assigned": N_("no TPS chosen"),
    "birth_date_differs_from_nik": N_("birth date differs from the NIK"),
    "domicile_differs_from_ktp": N_("lives elsewhere than the KTP-el address"),
    "nik_outside_kabkota": N_("NIK issued outside this kab/kota"),
    "permission_letter_missing": N_("permission letter not sent"),
}


def is_officer(ctx: Ctx) -> bool:
    return ctx.actor.role in OFFICERS and bool(ctx.actor.scope)


def may_decide(ctx: Ctx) -> bool:
    return ctx.actor.role in DECIDERS and bool(ctx.actor.scope)


def in_scope(ctx: Ctx, code: str | None) -> bool:
    return is_officer(ctx) and area_within(code, ctx.actor.scope)


async def application(ctx: Ctx, raw_id: str | int) -> ApplicationInfo | None:
    """The application with this id if it is of this period and in the officer's area."""
    try:
        application_id = int(raw_id)
    except (TypeError, ValueError):
        return None
    found = await ctx.repos.applications.get(application_id)
    if found is None or found.period_code != ctx.period.code:
        return None
    return found if in_scope(ctx, found.kelurahan_code) else None


async def document(ctx: Ctx, raw_id: str) -> tuple[ApplicationInfo, DocumentInfo] | None:
    """A document and its application, if the application is in the officer's area."""
    try:
        document_id = int(raw_id)
    except ValueError:
        return None
    owner = await ctx.repos.documents.application_of(document_id)
    found = await application(ctx, owner) if owner is not None else None
    if found is None:
        return None
    docs = [d for d in await ctx.repos.documents.of(found.id) if d.id == document_id]
    return (found, docs[0]) if docs else None


async def tps(ctx: Ctx, raw_id: str | int) -> TpsInfo | None:
    try:
        tps_id = int(raw_id)
    except (TypeError, ValueError):
        return None
    found = await ctx.repos.wilayah.tps(tps_id)
    return found if found and in_scope(ctx, found.kelurahan_code) else None


def mask_nik(nik: str | None) -> str:
    """A NIK with all but its last four digits hidden."""
    if not nik:
        return "–"
    return "•" * (len(nik) - 4) + nik[-4:]


def status_label(ctx: Ctx, application: ApplicationInfo) -> str:
    text = ctx.t._(STATUS_LABELS[application.status])
    if application.status is ApplicationStatus.RESERVE and application.reserve_rank:
        text += f" {application.reserve_rank}"
    if application.seat is not None:
        text = ctx.t._(SEAT_LABELS[application.seat])
    return text


async def tps_label(ctx: Ctx, tps_id: int | None) -> str:
    found = await ctx.repos.wilayah.tps(tps_id) if tps_id else None
    return f"TPS {found.number:03d}" if found else ctx.t._("no TPS")


async def area_name(ctx: Ctx, code: str) -> str:
    region = await ctx.repos.wilayah.region(code)
    return region.name if region else code


async def audit(
    ctx: Ctx,
    action: str,
    subject: str,
    area: str | None,
    *,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
    reason: str | None = None,
) -> None:
    await ctx.repos.audit.record(
        actor_person_id=ctx.actor.person_id,
        action=action,
        subject=subject,
        area=area,
        now=ctx.now,
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
        reason=reason,
    )


def state_of(application: ApplicationInfo) -> dict[str, object]:
    """An application's decision state for the audit log (no personal data)."""
    return {
        "status": application.status.value,
        "seat": application.seat.value if application.seat else None,
        "tps_id": application.seat_tps_id,
        "reserve_rank": application.reserve_rank,
    }


WHICH_KELURAHAN = N_(
    "Which kelurahan/desa? Send the command with its code, e.g. /{command} 74.71.01.1005."
)


async def kelurahan_of(ctx: Ctx, payload: str, command: str) -> str | Reply:
    """The kelurahan an officer works on: their own (PPS), or one they name within scope."""
    code = payload.strip() or (ctx.actor.scope if ctx.actor.role is Role.PPS else "") or ""
    region = await ctx.repos.wilayah.region(code) if code else None
    if region is None or region.level != SCOPE_LEVEL[Role.PPS] or not in_scope(ctx, code):
        note = ctx.t._(NOT_FOUND) if payload.strip() else ""
        return Reply(text=ctx.t._(WHICH_KELURAHAN, command=command)).prefixed(note)
    return code
