"""The admin CLI, the settings and the key file."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from bot.app import DEMO_TPS, DEMO_WILAYAH, build_app
from bot.cli import cli
from bot.logging_setup import redact
from bot.settings import get_settings

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "KPPS_DATA_DIR": str(tmp_path / "data"),
        "KPPS_DATABASE_URL": database_url,
        "KPPS_LOAD_DEMO_DATA": "false",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    return values


def test_wilayah_then_tps_import(env: dict[str, str]) -> None:
    result = runner.invoke(cli, ["wilayah", "import", str(DEMO_WILAYAH)])
    assert result.exit_code == 0, result.output
    assert "78" in result.output and "kecamatan" in result.output
    result = runner.invoke(cli, ["tps", "import", str(DEMO_TPS)])
    assert result.exit_code == 0, result.output
    assert "525" in result.output


def test_bad_tps_file_reports_every_row_in_indonesian(env: dict[str, str], tmp_path: Path) -> None:
    assert runner.invoke(cli, ["wilayah", "import", str(DEMO_WILAYAH)]).exit_code == 0
    bad = tmp_path / "tps.csv"
    bad.write_text(
        "kelurahan_kode,nomor,alamat\n"
        "74.71.01.1005,1,Jl. Satu\n"
        "74.71.01.9999,2,Jl. Dua\n"
        "74.71.01.1005,abc,Jl. Tiga\n"
        "74.71.01.1005,1,Jl. Empat\n",
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["tps", "import", str(bad)])
    assert result.exit_code == 1
    for line in ("3", "4", "5"):
        assert line in result.output
    assert "Tidak ada" in result.output or "tidak" in result.output.lower()


def test_key_file_is_private(settings_factory: Any, tmp_path: Path) -> None:
    import asyncio

    settings = settings_factory(encryption_key=None, data_dir=tmp_path / "k")

    async def build() -> None:
        app = await build_app(settings)
        await app.close()

    asyncio.run(build())
    mode = stat.S_IMODE(os.stat(settings.key_file).st_mode)
    assert mode == 0o600


def test_production_refuses_to_start_without_secrets() -> None:
    with pytest.raises(ValidationError):
        get_settings(environment="production", encryption_key=None)


def test_redaction_of_niks_and_phones() -> None:
    line = "nik 7471 0117 0890 0001 phone +62 812-3456-7890 and 081234567890 id 42"
    cleaned = redact(line)
    assert "0001" not in cleaned and "3456" not in cleaned and "4567890" not in cleaned
    assert "id 42" in cleaned


def test_run_without_token_opens_the_console_chat(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KPPS_LOAD_DEMO_DATA", "true")
    monkeypatch.delenv("KPPS_TELEGRAM_TOKEN", raising=False)
    result = runner.invoke(cli, ["run"], input="1\n1\n7471011708900001\n")
    assert result.exit_code == 0, result.output
    assert "Selamat datang" in result.output
    assert "Pertanyaan 2 dari 25" in result.output  # the NIK was accepted
    result = runner.invoke(cli, ["chat"], input="/status\n")
    assert "Pertanyaan 2 dari 25" in result.output  # same chat, same step, after a restart


def test_tracebacks_are_redacted_too() -> None:
    import io
    import logging

    from bot.logging_setup import RedactingFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(message)s"))
    logger = logging.getLogger("redaction-test")
    logger.addHandler(handler)
    try:
        raise ValueError("bad NIK 7471011208900001 phone 081234567890")
    except ValueError:
        logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "ValueError" in text and "7471011208900001" not in text and "081234567890" not in text


def test_the_sender_needs_a_token(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KPPS_TELEGRAM_TOKEN", raising=False)
    result = runner.invoke(cli, ["sender"])
    assert result.exit_code != 0 and "KPPS_TELEGRAM_TOKEN" in result.output


async def test_the_bot_and_its_sender_share_one_flood_gate(settings_factory: Any) -> None:
    from pydantic import SecretStr

    from bot.app import telegram_with_sender

    app = await build_app(
        settings_factory(telegram_token=SecretStr("123456:TEST"), telegram_rate=25)
    )
    try:
        channel, sender = telegram_with_sender(app)
        middlewares = list(channel.bot.session.middleware._middlewares)
        gates = {id(getattr(m, "gate", None)) for m in middlewares} - {id(None)}
        assert gates == {id(sender.gate)} and sender.gate.spacing == 1 / 25
        assert (
            sender.config.lease_name.startswith("telegram:")
            and "TEST" not in sender.config.lease_name
        )
        await channel.bot.session.close()
    finally:
        await app.close()
