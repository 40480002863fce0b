"""Wiring: settings → database (migrated, demo data loaded once) → engine."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from bot.settings import DEMO_DIR, Settings
from handlers.engine import Engine
from handlers.faq import KnowledgeStore
from handlers.i18n import I18n
from handlers.period import Period, load_period
from storage.crypto import Crypto, load_or_create_key_file
from storage.db import Database
from storage.files import FileStore, LocalFileStore
from storage.importers import import_tps, import_wilayah
from storage.migrate import upgrade
from storage.repositories import MetaRepo, Repos

log = logging.getLogger(__name__)

DEMO_WILAYAH = DEMO_DIR / "wilayah-kendari.csv"
DEMO_TPS = DEMO_DIR / "tps-kendari-demo.csv"
DEMO_MARK = "demo_data_loaded"


@dataclass
class App:
    settings: Settings
    db: Database
    crypto: Crypto
    i18n: I18n
    period: Period
    engine: Engine
    files: FileStore
    knowledge: KnowledgeStore

    async def close(self) -> None:
        await self.db.dispose()


def make_crypto(settings: Settings) -> Crypto:
    if settings.encryption_key is not None:
        return Crypto(settings.encryption_key.get_secret_value())
    return Crypto(load_or_create_key_file(settings.key_file))


async def open_database(settings: Settings, crypto: Crypto) -> Database:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    await upgrade(db, crypto=crypto)
    return db


async def load_demo_data(db: Database, settings: Settings, crypto: Crypto) -> bool:
    """Load the Kota Kendari demo wilayah and TPS once, through the admin importers."""
    async with db.transaction() as session:
        if await MetaRepo(session).get(DEMO_MARK):
            return False
    await import_wilayah(db, DEMO_WILAYAH, edition=settings.wilayah_edition)
    await import_tps(db, DEMO_TPS, edition=settings.wilayah_edition)
    async with db.transaction() as session:
        await MetaRepo(session).set(DEMO_MARK, "1")
    log.info("demo data for Kota Kendari loaded")
    return True


async def delete_application(app: App, reg_number: str) -> bool:
    """Delete an application with its documents (rows, then files no longer referenced), e.g.
    on the applicant's request (UU 27/2022 Pasal 8). False if there is no such application."""
    async with app.db.transaction() as session:
        repos = Repos(session, app.crypto, app.settings.wilayah_edition)
        application_id = await repos.applications.id_by_number(app.period.code, reg_number)
        if application_id is None:
            return False
        orphaned = await repos.applications.delete(application_id)
    for key in orphaned:
        await app.files.delete(key)
    log.info("application %s deleted with %d files", reg_number, len(orphaned))
    return True


async def build_app(settings: Settings, *, today: date | None = None) -> App:
    crypto = make_crypto(settings)
    db = await open_database(settings, crypto)
    if settings.load_demo_data:
        await load_demo_data(db, settings, crypto)
    period = load_period(settings.period_file, today or date.today())
    i18n = I18n.load()
    files = LocalFileStore.in_data_dir(settings.data_dir, crypto)
    knowledge = KnowledgeStore(settings.faq_file)
    engine = Engine(
        db,
        crypto,
        i18n,
        period,
        edition=settings.wilayah_edition,
        files=files,
        knowledge=knowledge,
    )
    return App(settings, db, crypto, i18n, period, engine, files, knowledge)
