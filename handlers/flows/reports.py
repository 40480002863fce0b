"""Reports for officers: /ekspor (the applicants as XLSX or CSV) and /rekap (the recruitment
summary below an area, as a text table and a bar chart).

Only PPS, PPK and KPU admins may use them; to anyone else they are unknown commands. Every
request names an area (the officer's own scope by default, or a code after the command or in
a button) and is checked here, on the server, against the officer's scope whatever the client
sends: a code outside it, or one that does not exist, gets the same refusal, which reveals
nothing. The full NIK is exported to the KPU admin only; everyone else sees its last four
digits.

Stateless: a format button carries the format and the area (``report:xlsx:74.71.01``).
"""

from __future__ import annotations

import re

from handlers.context import Ctx
from handlers.flows.base import Command, Flow, stale
from handlers.i18n import N_, NC_
from handlers.messages import Option, OutgoingFile, Reply
from handlers.reports import rekap
from handlers.reports.export import MIME, Format, export_bytes, file_name
from storage.domain import OFFICERS, SCOPE_LEVEL, RegionInfo, Role, area_within

NAMESPACE = "report"
CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
FORMAT_LABELS = {Format.XLSX: NC_("button", "XLSX (Excel)"), Format.CSV: NC_("button", "CSV")}
# A bigger area is exported from the command line (kpps-bot export): a chat export is made
# while the message is handled, and on SQLite that holds the database for every other chat.
CHAT_EXPORT_MAX = 20_000
REFUSED = N_(
    "That area is not in your area of work, or it does not exist. You can ask for {scope} "
    "or an area inside it."
)


def level_of(code: str) -> int:
    """Kemendagri code level: 1 province … 4 kelurahan/desa."""
    return code.count(".") + 1


async def allowed_area(ctx: Ctx, code: str | None) -> RegionInfo | None:
    """The region ``code`` (the officer's scope when None) if the officer may see it: inside
    the scope, at or below the scope's level for the role, and existing."""
    role, scope = ctx.actor.role, ctx.actor.scope
    if role not in OFFICERS or not scope:
        return None
    code = code or scope
    if not area_within(code, scope) or level_of(code) < SCOPE_LEVEL[role]:
        return None
    return await ctx.repos.wilayah.region(code)


class ReportsFlow(Flow):
    name = "reports"
    namespace = NAMESPACE
    roles = OFFICERS
    commands = (
        Command("ekspor", N_("Export the applicants (XLSX or CSV)"), rank=40),
        Command("rekap", N_("Recruitment summary of your area"), rank=41),
    )

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        words = payload.split()
        formats = [Format(w.casefold()) for w in words if w.casefold() in set(Format)]
        codes = [w for w in words if CODE.fullmatch(w)]
        if len(words) != len(formats) + len(codes) or len(formats) > 1 or len(codes) > 1:
            return Reply(text=self._usage(ctx, name))
        if name == "rekap" and formats:
            return Reply(text=self._usage(ctx, name))
        region = await allowed_area(ctx, codes[0] if codes else None)
        if region is None:
            return self._refused(ctx)
        if name == "rekap":
            return await self._rekap(ctx, region)
        if formats:
            return await self._export(ctx, region, formats[0])
        return Reply(
            text=ctx.t._(
                "Export the applicants of {area} ({code}). Which format?",
                area=region.name,
                code=region.code,
            ),
            options=[
                Option(f"{NAMESPACE}:{fmt.value}:{region.code}", ctx.t.C_("button", label))
                for fmt, label in FORMAT_LABELS.items()
            ],
        )

    async def button(self, ctx: Ctx, value: str) -> Reply:
        fmt, _, code = value.partition(":")
        if fmt not in set(Format) or not CODE.fullmatch(code):
            return stale(ctx)
        region = await allowed_area(ctx, code)  # checked again: a button can be forged
        if region is None:
            return self._refused(ctx)
        return await self._export(ctx, region, Format(fmt))

    def _usage(self, ctx: Ctx, name: str) -> str:
        if name == "rekap":
            return ctx.t._(
                "Send /rekap for your whole area, or /rekap with a region code inside it, "
                "for example /rekap {scope}.",
                scope=ctx.actor.scope or "",
            )
        return ctx.t._(
            "Send /ekspor, or /ekspor with a format (xlsx or csv) and a region code inside "
            "your area, for example /ekspor xlsx {scope}.",
            scope=ctx.actor.scope or "",
        )

    def _refused(self, ctx: Ctx) -> Reply:
        return Reply(text=ctx.t._(REFUSED, scope=ctx.actor.scope or "-"))

    async def _export(self, ctx: Ctx, region: RegionInfo, fmt: Format) -> Reply:
        full = ctx.actor.role is Role.KPU_ADMIN
        size = await ctx.repos.reports.count(ctx.period.code, region.code)
        if size > CHAT_EXPORT_MAX:
            return Reply(
                text=ctx.t._(
                    "{area} has {n} applicants, too many to export in a chat (at most {max}). "
                    "Please export a smaller area, or ask the KPU admin to export it with "
                    "kpps-bot export.",
                    area=region.name,
                    n=size,
                    max=CHAT_EXPORT_MAX,
                )
            )
        data, count = await export_bytes(
            ctx.repos, ctx.period, ctx.t, region.code, fmt, full_nik=full
        )
        text = ctx.t.n_(
            "Export of {area} ({code}): {n} applicant.",
            "Export of {area} ({code}): {n} applicants.",
            count,
            area=region.name,
            code=region.code,
        )
        note = (
            ctx.t._("It holds the full NIK: keep the file safe and do not share it.")
            if full
            else ctx.t._("The NIK shows only its last four digits.")
        )
        await ctx.repos.reports.log_export(
            actor_person_id=ctx.actor.person_id,
            actor_label=f"person:{ctx.actor.person_id}",
            area=region.code,
            details={"format": fmt.value, "rows": count, "full_nik": full},
        )
        label = ctx.t.C_("button", FORMAT_LABELS[fmt])
        outgoing = OutgoingFile(
            name=file_name(region.code, fmt, ctx.period), data=data, caption=text, mime=MIME[fmt]
        )
        return Reply(text=f"{text} {note}", files=[outgoing], chosen=label)

    async def _rekap(self, ctx: Ctx, region: RegionInfo) -> Reply:
        summary = await rekap.summary(ctx.repos, ctx.period, region)
        text = rekap.text(ctx.t, summary)
        chart = await rekap.chart_png(ctx.t, summary)
        outgoing = OutgoingFile(
            name=f"rekap-{region.code.replace('.', '')}.png",
            data=chart,
            caption=rekap.title(ctx.t, summary),
            mime="image/png",
        )
        return Reply(text=text, files=[outgoing])


FLOW = ReportsFlow()
