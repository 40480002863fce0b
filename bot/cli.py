"""Command line: run the bot, the console chat, migrations, the KPU admin importers, key
rotation and the orphan file sweep."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bot import cli_reports
from bot.app import (
    App,
    delete_application,
    file_store,
    open_storage,
    rotate_encryption_key,
    sweep_files,
)
from bot.cli_common import _run, _settings, _t, _with_app, console
from bot.tier import WINDOW_NOTE
from handlers.faq import KnowledgeError, load_knowledge
from storage.crypto import generate_key
from storage.domain import SCOPE_LEVEL, Role, area_within
from storage.importers import ImportFailed, ImportResult, import_tps, import_wilayah
from storage.maintenance import adopt_keyed_file_names
from storage.repositories import Repos

cli = typer.Typer(help="kpps-bot: recruit KPPS members by chat.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema.")
wilayah_cli = typer.Typer(help="Kemendagri region codes.")
tps_cli = typer.Typer(help="Polling stations (TPS).")
cli.add_typer(db_cli, name="db")
cli.add_typer(wilayah_cli, name="wilayah")
cli.add_typer(tps_cli, name="tps")
application_cli = typer.Typer(help="Applications.")
cli.add_typer(application_cli, name="application")
faq_cli = typer.Typer(help="The FAQ knowledge base (reloaded by a running bot when it changes).")
cli.add_typer(faq_cli, name="faq")
key_cli = typer.Typer(help="The encryption key.")
cli.add_typer(key_cli, name="key")
files_cli = typer.Typer(help="Stored document files.")
cli.add_typer(files_cli, name="files")


@cli.command()
def run() -> None:
    """Run the bot: Telegram long polling if KPPS_TELEGRAM_TOKEN is set, the WhatsApp webhook
    server if WhatsApp is configured (both if both are), else the console chat."""
    settings = _settings()

    async def body(app: App) -> None:
        if settings.telegram_token is None and not settings.whatsapp_enabled:
            console.print(
                _t()._("No Telegram token is set: starting the console chat (Ctrl-D quits).")
            )
            await _console(app, "local")
            return
        await _serve_channels(app)

    _run(_with_app(settings, body))


async def _serve_channels(app: App) -> None:
    """Every configured channel with its outbox sender, until one of them stops."""
    from bot.app import telegram_with_sender, whatsapp_with_sender

    settings = app.settings
    whatsapp = whatsapp_with_sender(app) if settings.whatsapp_enabled else None  # refuses early
    runs: list[Coroutine[Any, Any, None]] = []
    senders = []
    stops: list[Callable[[], Any]] = []
    if settings.telegram_token is not None:
        telegram, telegram_sender = telegram_with_sender(app)
        runs.append(telegram.run())
        senders.append(telegram_sender)
        stops.append(telegram.stop)
    if whatsapp is not None:
        channel, whatsapp_sender = whatsapp
        runs.append(channel.run(settings.whatsapp_host, settings.whatsapp_port))
        senders.append(whatsapp_sender)
        stops.append(channel.stop)
    sending = [asyncio.create_task(s.run()) for s in senders]
    serving = [asyncio.create_task(r) for r in runs]
    try:
        await asyncio.wait(serving, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for stop, task in zip(stops, serving, strict=True):
            if not task.done():
                result = stop()
                if asyncio.iscoroutine(result):
                    await result
        await asyncio.gather(*serving, return_exceptions=True)
        for outbox_sender in senders:
            outbox_sender.stop()
        await asyncio.gather(*sending, return_exceptions=True)
        for task in serving:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]


@cli.command()
def sender() -> None:
    """Send the outbox (results, reminders, broadcasts) without answering chats: for a
    deployment that runs it apart from `kpps-bot run` (one sender per bot token or WhatsApp
    number); every configured channel's."""
    settings = _settings()
    if settings.telegram_token is None and not settings.whatsapp_enabled:
        raise typer.BadParameter(_t()._("KPPS_TELEGRAM_TOKEN is not set."))

    async def body(app: App) -> None:
        from bot.app import telegram_with_sender, whatsapp_with_sender

        senders: list[Any] = []
        closes: list[Callable[[], Awaitable[None]]] = []
        if settings.whatsapp_enabled:
            whatsapp, whatsapp_sender = whatsapp_with_sender(app, alone=True)
            senders.append(whatsapp_sender)
            closes.append(whatsapp.client.close)
        if settings.telegram_token is not None:
            telegram, telegram_sender = telegram_with_sender(app, alone=True)
            senders.append(telegram_sender)
            closes.append(telegram.bot.session.close)
        try:
            await asyncio.gather(*(s.run() for s in senders))
        finally:
            for close in closes:
                await close()

    _run(_with_app(settings, body))


async def _console(app: App, user: str) -> None:
    from bot.channels.console import ConsoleChannel

    download_dir = app.settings.data_dir / "console-files"
    await ConsoleChannel(app.engine, chat_id=user, download_dir=download_dir).run()


@cli.command()
def chat(
    user: Annotated[str, typer.Option("--as", help="Console chat id (one per person).")] = "local",
) -> None:
    """Chat with the bot in this terminal; buttons are numbered options."""
    settings = _settings()
    _run(_with_app(settings, lambda app: _console(app, user)))


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations."""
    settings = _settings()

    async def body() -> None:
        db, _ = await open_storage(settings)
        await db.dispose()

    _run(body())
    console.print(_t()._("The database is up to date."))


def _import(
    label: str,
    path: Path,
    importer: Callable[..., Awaitable[ImportResult]],
    **kwargs: Any,
) -> ImportResult:
    settings = _settings()

    async def body() -> ImportResult:
        db, _ = await open_storage(settings)
        try:
            with Progress(
                TextColumn(label),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
            ) as progress:
                task = progress.add_task(label, total=None)

                def report(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                return await importer(
                    db, path, edition=settings.wilayah_edition, progress=report, **kwargs
                )
        finally:
            await db.dispose()

    try:
        return _run(body())
    except ImportFailed as failure:
        t = _t()
        for error in failure.errors:
            console.print(error.format(t._), markup=False, highlight=False)
        console.print(
            t._("Nothing was imported: {count} rows have errors.", count=len(failure.errors))
        )
        raise typer.Exit(1) from None


@wilayah_cli.command("import")
def wilayah_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Import Kemendagri region codes from a CSV file with columns kode,nama."""
    result = _import("wilayah", file, import_wilayah)
    levels = result.by_level
    console.print(
        _t()._(
            "Imported {rows} region codes: {provinces} provinces, {regencies} kabupaten/kota, "
            "{districts} kecamatan, {villages} kelurahan/desa.",
            rows=result.rows,
            provinces=levels.get(1, 0),
            regencies=levels.get(2, 0),
            districts=levels.get(3, 0),
            villages=levels.get(4, 0),
        )
    )


@tps_cli.command("import")
def tps_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Import TPS from a CSV file with columns kelurahan_kode,nomor,alamat."""
    result = _import("TPS", file, import_tps)
    console.print(_t()._("Imported {rows} TPS.", rows=result.rows))


@application_cli.command("delete")
def application_delete(
    reg_number: Annotated[str, typer.Argument(help="Registration number, e.g. KPPS-7471-000123")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete an application and its documents (e.g. on the applicant's request)."""
    settings = _settings()
    if not yes:
        typer.confirm(
            _t()._("Delete {number} and all its documents?", number=reg_number), abort=True
        )

    async def body(app: App) -> None:
        if not await delete_application(app, reg_number):
            console.print(_t()._("There is no application {number}.", number=reg_number))
            raise typer.Exit(1)
        console.print(
            _t()._("Application {number} and its documents were deleted.", number=reg_number)
        )

    _run(_with_app(settings, body))


@faq_cli.command("check")
def faq_check(
    file: Annotated[Path | None, typer.Argument(dir_okay=False)] = None,
) -> None:
    """Validate a knowledge base file before a running bot picks it up (it reloads on change)."""
    settings = _settings()
    path = file or settings.faq_file
    try:
        kb = load_knowledge(path)
    except KnowledgeError as error:
        console.print(str(error), markup=False, highlight=False)
        raise typer.Exit(1) from None
    console.print(_t()._("The knowledge base is valid: {count} questions.", count=len(kb)))


@key_cli.command("generate")
def key_generate() -> None:
    """Print a new random key (for KPPS_ENCRYPTION_KEY or --new-key); it is not stored."""
    typer.echo(generate_key())


@key_cli.command("rotate")
def key_rotate(
    new_key: Annotated[
        str | None,
        typer.Option(
            "--new-key",
            envvar="KPPS_NEW_ENCRYPTION_KEY",
            help="The new key (default: a new random key, written to the key file).",
            show_envvar=True,
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Re-encrypt all data and files with a new key, then store the new key (stop the bot
    first)."""
    settings = _settings()
    t = _t()
    if not yes:
        typer.confirm(
            t._(
                "Stop every running bot process first: they would keep using the old key. "
                "Rotate the encryption key now?"
            ),
            abort=True,
        )
    rotation = _run(rotate_encryption_key(settings, new_key))
    result = rotation.result
    console.print(
        t._(
            "The encryption key was rotated: {rows} records and {files} files re-encrypted.",
            rows=result.rows,
            files=result.files,
        )
    )
    if result.unreadable:
        console.print(
            t._(
                "{count} document files could not be read (missing or damaged) and were left "
                "as they were.",
                count=result.unreadable,
            )
        )
    if rotation.key_file is not None:
        console.print(
            t._(
                "The new key is in {path}. Back it up now; backups made before the rotation "
                "still need the old key.",
                path=str(rotation.key_file),
            ),
            markup=False,
            highlight=False,
        )
    else:
        console.print(
            t._(
                "Set KPPS_ENCRYPTION_KEY to the new key before the next start; backups made "
                "before the rotation still need the old key."
            )
        )


@files_cli.command("sweep")
def files_sweep(
    grace: Annotated[
        int | None,
        typer.Option(
            "--grace",
            min=60,
            help="Keep files written less than this many seconds ago "
            "(default: KPPS_ORPHAN_FILE_GRACE_SECONDS).",
        ),
    ] = None,
) -> None:
    """Remove stored files that no document references (left by a crash during an upload)."""
    settings = _settings()
    if grace is not None:
        settings = settings.model_copy(update={"orphan_file_grace_seconds": grace})

    async def body() -> tuple[int, int]:
        db, crypto = await open_storage(settings)
        try:
            files = file_store(settings, crypto)
            await adopt_keyed_file_names(db, files)
            result = await sweep_files(settings, db, files)
        finally:
            await db.dispose()
        return result.removed, result.kept

    removed, kept = _run(body())
    console.print(
        _t()._(
            "Removed {removed} unreferenced files; kept {kept} (in use, or written less than "
            "{minutes} minutes ago).",
            removed=removed,
            kept=kept,
            minutes=settings.orphan_file_grace_seconds // 60,
        )
    )


def main() -> None:
    cli()


if __name__ == "__main__":
    main()


whatsapp_cli = typer.Typer(help="The WhatsApp channel (message templates).")
cli.add_typer(whatsapp_cli, name="whatsapp")


@whatsapp_cli.command("templates")
def whatsapp_templates() -> None:
    """Print the message templates as the bodies of Meta's template-creation API (JSON), to
    submit once per WhatsApp Business Account (POST /<WABA-ID>/message_templates)."""
    from bot.channels.whatsapp_templates import Templates

    bodies = [template.creation() for template in Templates.load().all]
    typer.echo(json.dumps(bodies, ensure_ascii=False, indent=2))


broadcast_cli = typer.Typer(help="Messages to many people at once (bimtek schedules).")
cli.add_typer(broadcast_cli, name="broadcast")


async def _watch(app: App, code: str) -> None:
    """A progress bar until every message of the broadcast is sent, failed or unreachable."""
    from bot import broadcast

    with Progress(
        TextColumn(code), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    ) as bar:
        task = bar.add_task(code, total=None)
        while True:
            counts = await broadcast.progress(app, code)
            total = sum(counts.values())
            settled = total - counts.get("queued", 0) - counts.get("sending", 0)
            bar.update(task, completed=settled, total=total)
            if broadcast.done(counts):
                return
            await asyncio.sleep(1)


async def _print_report(app: App, code: str, unreachable_csv: Path | None) -> None:
    from bot import broadcast

    t = _t()
    result = await broadcast.report(app, code, unreachable_csv)
    statuses = result["statuses"]
    console.print(
        t._(
            "Delivery report of {code}: {sent} sent, {failed} failed, {unreachable} unreachable, "
            "{cancelled} not sent (asked for quiet), {waiting} still waiting.",
            code=code,
            sent=statuses.get("sent", 0),
            failed=statuses.get("failed", 0),
            unreachable=statuses.get("unreachable", 0),
            cancelled=statuses.get("cancelled", 0),
            waiting=statuses.get("queued", 0) + statuses.get("sending", 0),
        )
    )
    for reason, count in result["failures"].items():
        console.print(f"  {count} × {reason}", markup=False, highlight=False)
    if unreachable_csv is not None:
        console.print(
            t._("Unreachable people written to {path}.", path=str(unreachable_csv)),
            markup=False,
        )


@broadcast_cli.command("bimtek")
def broadcast_bimtek(
    code: Annotated[
        str, typer.Option(help="A name for this broadcast (a-z, 0-9, -); run again to resume.")
    ],
    title: Annotated[str, typer.Option()],
    day: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"])],
    at: Annotated[str, typer.Option("--time", help="HH:MM, local time.")],
    place: Annotated[str, typer.Option(help="Place or link.")],
    bring: Annotated[str, typer.Option(help="What to bring.")] = "-",
    to: Annotated[
        list[str],
        typer.Option(help="selected, reserve, applicants, unfinished (repeatable)."),
    ] = ["selected"],  # noqa: B006
    area: Annotated[str | None, typer.Option(help="Region code: 74.71, 74.71.08, …")] = None,
    tps: Annotated[list[int], typer.Option(help="TPS number (repeatable).")] = [],  # noqa: B006
    optional: Annotated[bool, typer.Option(help="Skipped for people who sent /berhenti.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    wait: Annotated[bool, typer.Option(help="Show progress until sent, then the report.")] = False,
    unreachable_csv: Annotated[Path | None, typer.Option(dir_okay=False)] = None,
) -> None:
    """Send a bimtek schedule: preview (recipients per channel, time at the rate limit), then
    confirm. The sender of the running bot (or `kpps-bot sender`) sends it."""
    from bot import broadcast

    settings = _settings()
    t = _t()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", code) or len(code) > broadcast.CODE_MAX:
        raise typer.BadParameter(code, param_hint="--code")
    groups = tuple(to)
    unknown = set(groups) - {"selected", "reserve", "applicants", "unfinished"}
    if unknown:
        raise typer.BadParameter(", ".join(sorted(unknown)), param_hint="--to")
    hours, _, minutes = at.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise typer.BadParameter(at, param_hint="--time")
    bimtek = broadcast.Bimtek(
        code=code,
        title=title,
        day=day.date(),
        at=time(int(hours), int(minutes)),
        place=place,
        bring=bring,
        essential=not optional,
    )
    target = broadcast.Target(groups=groups, area=area, tps_numbers=tuple(tps))

    async def body(app: App) -> None:
        plan = await broadcast.plan(app, target, code)
        channels = ", ".join(f"{name} {count}" for name, count in sorted(plan.per_channel.items()))
        console.print(
            t._(
                "{count} recipients ({channels}); {new} not queued yet, about {minutes} minutes "
                "at {rate} messages a second.",
                count=len(plan.recipients),
                channels=channels or "-",
                new=plan.new,
                minutes=round(plan.seconds / 60, 1),
                rate=settings.telegram_rate,
            ),
            markup=False,
        )
        if plan.outside_window and plan.tier:
            console.print(
                t._(
                    WINDOW_NOTE,
                    count=plan.outside_window,
                    tier=plan.tier,
                    days=plan.days,
                ),
                markup=False,
            )
        if not plan.new:
            console.print(t._("Nothing new to send."))
        elif not yes and not typer.confirm(t._("Send it?")):
            raise typer.Exit(1)
        else:
            added = await broadcast.enqueue(app, bimtek, plan.recipients)
            console.print(t._("{count} messages queued.", count=added))
        if wait:
            await _watch(app, code)
            await _print_report(app, code, unreachable_csv)

    _run(_with_app(settings, body))


@broadcast_cli.command("attendance")
def broadcast_attendance(
    code: str,
    csv_file: Annotated[Path | None, typer.Option("--csv", dir_okay=False)] = None,
) -> None:
    """The answers "Hadir" / "Berhalangan" to a schedule, counted (and as CSV)."""
    from bot import broadcast

    settings = _settings()

    async def body(app: App) -> None:
        counts = await broadcast.attendance(app, code, csv_file)
        console.print(
            _t()._(
                "Answers to {code}: {coming} coming (hadir), {absent} cannot come (berhalangan).",
                code=code,
                coming=counts.get("hadir", 0),
                absent=counts.get("berhalangan", 0),
            ),
            markup=False,
        )

    _run(_with_app(settings, body))


@broadcast_cli.command("report")
def broadcast_report(
    code: str,
    wait: Annotated[bool, typer.Option(help="Show progress until sent first.")] = False,
    unreachable_csv: Annotated[Path | None, typer.Option(dir_okay=False)] = None,
) -> None:
    """Where a broadcast is: sent, failed with reasons, unreachable (optionally as CSV)."""
    settings = _settings()

    async def body(app: App) -> None:
        if wait:
            await _watch(app, code)
        await _print_report(app, code, unreachable_csv)

    _run(_with_app(settings, body))


officer_cli = typer.Typer(help="Officers (PPS, PPK, KPU admin): invites, listing, revocation.")
cli.add_typer(officer_cli, name="officer")
ROLES = {"pps": Role.PPS, "ppk": Role.PPK, "kpu": Role.KPU_ADMIN}


@officer_cli.command("invite")
def officer_invite(
    role: Annotated[str, typer.Option(help="pps (kelurahan), ppk (kecamatan), kpu (kab/kota).")],
    wilayah: Annotated[str, typer.Option(help="The region code of the officer's area.")],
    days: Annotated[int, typer.Option(min=1, max=30, help="Days the code stays valid.")] = 7,
    by: Annotated[str, typer.Option(help="Who makes the invite (for the audit log).")] = "cli",
) -> None:
    """A one-time invite code: the officer sends /petugas CODE to the bot. Printed once,
    stored only as a keyed hash."""
    from handlers.flows.officers.join import new_code

    settings = _settings()
    t = _t()
    if role not in ROLES:
        raise typer.BadParameter(role, param_hint="--role")
    wanted = ROLES[role]

    async def body(app: App) -> None:
        code = new_code()
        now = datetime.now(UTC)
        async with app.db.transaction() as session:
            repos = Repos(session, app.crypto, settings.wilayah_edition)
            region = await repos.wilayah.region(wilayah)
            if (
                region is None
                or region.level != SCOPE_LEVEL[wanted]
                or not area_within(wilayah, app.period.region_code)
            ):
                console.print(
                    t._(
                        "{code} is not a region of level {level} in {region}.",
                        code=wilayah,
                        level=SCOPE_LEVEL[wanted],
                        region=app.period.region_code,
                    ),
                    markup=False,
                )
                raise typer.Exit(1)
            until = now + timedelta(days=days)
            await repos.invites.create(
                code, role=wanted, scope=wilayah, created_by=by[:64], now=now, until=until
            )
            await repos.audit.record(
                actor_person_id=None,
                actor_label=f"cli:{by}"[:64],
                action="invite_created",
                subject=f"invite:{wanted.value}",
                area=wilayah,
                now=now,
                after={"role": wanted.value, "scope": wilayah, "expires": until.isoformat()},
            )
        console.print(
            t._(
                "Invite for {role} of {area} ({code_area}), valid until {until}. The officer "
                "sends this to the bot:",
                role=wanted.value,
                area=region.name,
                code_area=wilayah,
                until=until.strftime("%Y-%m-%d %H:%M UTC"),
            ),
            markup=False,
        )
        typer.echo(f"/petugas {code}")

    _run(_with_app(settings, body))


@officer_cli.command("list")
def officer_list(
    area: Annotated[str | None, typer.Option(help="Only officers in this region.")] = None,
) -> None:
    """The officers: person number, role, area, channels."""
    settings = _settings()

    async def body(app: App) -> None:
        async with app.db.transaction() as session:
            officers = await Repos(session, app.crypto, settings.wilayah_edition).officers.listing(
                area
            )
        for o in officers:
            typer.echo(f"{o.person_id}\t{o.role.value}\t{o.scope}\t{','.join(o.channels)}")
        if not officers:
            console.print(_t()._("No officers."))

    _run(_with_app(settings, body))


@officer_cli.command("revoke")
def officer_revoke(
    person: Annotated[int, typer.Argument(help="The person number (kpps-bot officer list).")],
    reason: Annotated[str, typer.Option(help="Why (for the audit log).")] = "",
    by: Annotated[str, typer.Option(help="Who revokes (for the audit log).")] = "cli",
) -> None:
    """Take an officer's role away: from their next message on they are an applicant."""
    settings = _settings()
    t = _t()

    async def body(app: App) -> None:
        async with app.db.transaction() as session:
            repos = Repos(session, app.crypto, settings.wilayah_edition)
            found = await repos.officers.get(person)
            if found is None:
                console.print(t._("Person {person} is not an officer.", person=person))
                raise typer.Exit(1)
            await repos.people.set_role(person, Role.APPLICANT, None)
            await repos.audit.record(
                actor_person_id=None,
                actor_label=f"cli:{by}"[:64],
                action="officer_revoked",
                subject=f"person:{person}",
                area=found.scope,
                now=datetime.now(UTC),
                before={"role": found.role.value, "scope": found.scope},
                reason=reason or None,
            )
        console.print(t._("Person {person} is no longer an officer.", person=person))

    _run(_with_app(settings, body))


@cli.command("audit")
def audit_log(
    area: Annotated[str | None, typer.Option(help="Only entries in this region.")] = None,
    subject: Annotated[str | None, typer.Option(help="e.g. application:12")] = None,
) -> None:
    """The audit log of officers' decisions: when, who, what, on what, before → after, why."""
    settings = _settings()

    async def body(app: App) -> None:
        async with app.db.transaction() as session:
            entries = await Repos(session, app.crypto, settings.wilayah_edition).audit.entries(
                area=area, subject=subject
            )
        for e in entries:
            typer.echo(
                "\t".join(
                    [
                        e.at.isoformat(timespec="seconds"),
                        e.actor,
                        e.action,
                        e.subject,
                        e.area or "-",
                        json.dumps(e.before, sort_keys=True) if e.before else "-",
                        json.dumps(e.after, sort_keys=True) if e.after else "-",
                        e.reason or "-",
                    ]
                )
            )

    _run(_with_app(settings, body))


cli_reports.register(cli)
