"""Apply Alembic migrations from code (at start, in tests and from the CLI). Maintenance
that changes stored data with the key (fingerprint, keyed file names, the orphan sweep, key
rotation) is in ``storage.maintenance``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from storage.crypto import Crypto
from storage.db import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(db: Database, revision: str = "head", *, crypto: Crypto | None = None) -> None:
    """Bring the schema to ``revision`` on the database's own engine. ``crypto`` is needed by
    migrations that re-encrypt existing rows (0004, 0005); on an empty database it may be None.

    On SQLite, Alembic's batch mode changes a table by copying it and dropping the original;
    with foreign keys enforced, dropping a parent table would cascade-delete its children
    (documents of applications). So foreign keys are switched off for the migration (this
    must happen outside a transaction) and checked again afterwards.
    """
    config = alembic_config(db.url)

    def _upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        config.attributes["crypto"] = crypto
        command.upgrade(config, revision)

    async with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            raw = await connection.get_raw_connection()
            await raw.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            async with connection.begin():
                await connection.run_sync(_upgrade)
                if sqlite:
                    problems = (
                        await connection.exec_driver_sql("PRAGMA foreign_key_check")
                    ).fetchall()
                    if problems:
                        raise RuntimeError(f"migration broke foreign keys: {problems[:5]}")
        finally:
            if sqlite:
                await raw.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
