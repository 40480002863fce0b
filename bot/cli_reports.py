"""Reports from the command line, for the KPU admin at the terminal:

    kpps-bot export --area 74.71.01 --format xlsx --out mandonga.xlsx [--full-nik]

The export is written as it is read (``handlers.reports.export``); the NIK is masked (last four
digits) unless ``--full-nik`` is given. Mounted on the main CLI by ``register(cli)``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from bot.app import App
from bot.cli_common import _run, _settings, _t, _with_app, console
from handlers.reports.export import Format, export
from storage.repositories import Repos


def register(cli: typer.Typer) -> None:
    """Add the report commands to the main CLI (``bot/cli.py``)."""
    cli.command("export")(export_command)


def export_command(
    area: Annotated[str, typer.Option(help="Region code: 74.71, 74.71.01, 74.71.01.1006, …")],
    out: Annotated[Path, typer.Option(dir_okay=False, writable=True, help="File to write.")],
    fmt: Annotated[Format, typer.Option("--format", help="xlsx or csv.")] = Format.XLSX,
    full_nik: Annotated[
        bool, typer.Option("--full-nik", help="The NIK in full (otherwise its last 4 digits).")
    ] = False,
) -> None:
    """Export the applicants of a kab/kota, kecamatan or kelurahan as XLSX or CSV."""
    settings = _settings()
    t = _t()

    async def body(app: App) -> None:
        async with app.db.transaction() as session:
            repos = Repos(session, app.crypto, settings.wilayah_edition)
            region = await repos.wilayah.region(area)
            if region is None:
                console.print(t._("There is no region {code}.", code=area), markup=False)
                raise typer.Exit(1)
            count = await export(repos, app.period, t, area, fmt, out, full_nik=full_nik)
            details = {"format": fmt.value, "rows": count, "full_nik": full_nik}
            await repos.reports.log_export(
                actor_person_id=None, actor_label="cli:admin", area=area, details=details
            )
        os.chmod(out, 0o600)  # personal data
        console.print(
            t.n_(
                "{n} applicant of {area} written to {path}.",
                "{n} applicants of {area} written to {path}.",
                count,
                area=f"{region.name} ({region.code})",
                path=str(out),
            ),
            markup=False,
            highlight=False,
        )

    _run(_with_app(settings, body))
