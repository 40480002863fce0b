"""Command line: run the bot, the console chat, migrations and the KPU admin importers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bot.app import App, build_app, delete_application, make_crypto, open_database
from bot.logging_setup import setup_logging
from bot.settings import Settings, get_settings
from handlers.faq import KnowledgeError, load_knowledge
from handlers.i18n import I18n, Translator
from storage.importers import ImportFailed, ImportResult, import_tps, import_wilayah

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
console = Console(stderr=True)


def _t() -> Translator:
    """Messages for the KPU admin at the terminal, in the default language (Indonesian)."""
    return I18n.load().get(None)


def _settings() -> Settings:
    settings = get_settings()
    setup_logging(settings.log_level)
    return settings


async def _with_app(settings: Settings, body: Callable[[App], Awaitable[None]]) -> None:
    app = await build_app(settings)
    try:
        await body(app)
    finally:
        await app.close()


@cli.command()
def run() -> None:
    """Run the bot: Telegram long polling if KPPS_TELEGRAM_TOKEN is set, else the console chat."""
    settings = _settings()

    async def body(app: App) -> None:
        if settings.telegram_token is None:
            console.print(
                _t()._("No Telegram token is set: starting the console chat (Ctrl-D quits).")
            )
            await _console(app, "local")
            return
        from bot.channels.telegram import TelegramChannel, build_bot

        bot = build_bot(settings.telegram_token.get_secret_value(), settings.telegram_api_base)
        await TelegramChannel(app.engine, bot).run()

    asyncio.run(_with_app(settings, body))


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
    asyncio.run(_with_app(settings, lambda app: _console(app, user)))


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations."""
    settings = _settings()

    async def body() -> None:
        db = await open_database(settings, make_crypto(settings))
        await db.dispose()

    asyncio.run(body())
    console.print(_t()._("The database is up to date."))


def _import(
    label: str,
    path: Path,
    importer: Callable[..., Awaitable[ImportResult]],
    **kwargs: Any,
) -> ImportResult:
    settings = _settings()

    async def body() -> ImportResult:
        db = await open_database(settings, make_crypto(settings))
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
        return asyncio.run(body())
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

    asyncio.run(_with_app(settings, body))


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


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
