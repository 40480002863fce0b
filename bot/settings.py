"""All settings, from the environment (prefix ``KPPS_``) or a ``.env`` file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_DIR = Path(__file__).resolve().parent / "demo"
DATA_DIR = Path(__file__).resolve().parent / "data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KPPS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("data")
    database_url: str | None = None
    encryption_key: SecretStr | None = None
    period_file: Path = DEMO_DIR / "period-demo.toml"
    faq_file: Path = DATA_DIR / "faq.yaml"
    wilayah_edition: str = "kemendagri-2025"
    load_demo_data: bool = True
    telegram_token: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"
    # Telegram's limits: about 30 messages a second per bot (more with paid broadcasts) and
    # one a second per chat. A sender run apart from the bot (`kpps-bot sender`) and the bot
    # split the rate (``sender_share``).
    telegram_rate: float = Field(default=30.0, gt=0, le=1000)
    telegram_chat_interval: float = Field(default=1.0, ge=0, le=60)
    # The part of a bot's rate limit a `kpps-bot sender` run apart from `kpps-bot run` uses;
    # the bot then answers chats at the rest (and at the whole rate while its own sender
    # sends), so together they stay within the platform's limit.
    sender_share: float = Field(default=0.5, gt=0, lt=1)
    # WhatsApp Cloud API: the webhook server runs when any of the four secrets/ids is set,
    # and refuses to start unless all of them are (see ``whatsapp_missing``).
    whatsapp_access_token: SecretStr | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_api_base: str = "https://graph.facebook.com"
    whatsapp_api_version: str = "v23.0"
    whatsapp_host: str = "0.0.0.0"
    whatsapp_port: int = Field(default=8080, ge=1, le=65535)
    # WhatsApp's limits (Meta's docs): throughput 80 messages a second per business number
    # (up to 1,000 after an upgrade by Meta); the pair rate, about one message every 6
    # seconds to the same person (bulk messages are spaced so, direct replies are not held);
    # and the messaging tier: how many different people may be sent a template (outside
    # their 24-hour window) in a rolling 24 hours, per business portfolio: 250 for a new
    # portfolio, then 2000, 10000, 100000 or "unlimited". Set the tier Meta shows for the
    # portfolio (WhatsApp Manager → Insights); with several numbers in one portfolio, give
    # each bot its share.
    whatsapp_rate: float = Field(default=80.0, gt=0, le=1000)
    whatsapp_pair_interval: float = Field(default=6.0, ge=0, le=60)
    whatsapp_tier: int | None = 250
    log_level: str = "INFO"
    # Stored files no document references are removed at start (and by `kpps-bot files
    # sweep`) once they are older than this: an upload's file is written before its row is
    # committed, so this must be longer than any unit of work, in any process.
    orphan_file_grace_seconds: int = Field(default=3600, ge=60)
    nik_tries_per_hour: int = Field(default=5, ge=1)
    nik_tries_per_day: int = Field(default=10, ge=1)
    # A PPS hears of its first applicant at once, then of new ones in a digest at most this
    # often (minutes).
    officer_digest_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # How candidates are ordered in a selection proposal (handlers/rules/selection.py).
    selection_order: str = "age_preference,prior_service,registration_time"

    @field_validator("whatsapp_tier", mode="before")
    @classmethod
    def _tier(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("unlimited", "none", ""):
            return None
        if value is not None and int(value) not in (250, 2000, 10000, 100000):
            raise ValueError("KPPS_WHATSAPP_TIER is 250, 2000, 10000, 100000 or unlimited")
        return value

    @model_validator(mode="after")
    def _production_needs_secrets(self) -> Settings:
        if self.environment == "production":
            if self.encryption_key is None:
                raise ValueError("KPPS_ENCRYPTION_KEY must be set in production")
            if self.database_url is None:
                raise ValueError("KPPS_DATABASE_URL must be set in production")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'kpps.sqlite3').resolve()}"

    @property
    def whatsapp_enabled(self) -> bool:
        """Any WhatsApp secret or id set: the webhook server is meant to run."""
        return any(
            value is not None
            for value in (
                self.whatsapp_access_token,
                self.whatsapp_app_secret,
                self.whatsapp_verify_token,
                self.whatsapp_phone_number_id,
            )
        )

    def whatsapp_missing(self) -> list[str]:
        """The WhatsApp settings the webhook server needs and that are not set (or empty)."""
        values = {
            "KPPS_WHATSAPP_ACCESS_TOKEN": self.whatsapp_access_token,
            "KPPS_WHATSAPP_APP_SECRET": self.whatsapp_app_secret,
            "KPPS_WHATSAPP_VERIFY_TOKEN": self.whatsapp_verify_token,
            "KPPS_WHATSAPP_PHONE_NUMBER_ID": self.whatsapp_phone_number_id,
        }
        missing = []
        for name, value in values.items():
            text = value.get_secret_value() if isinstance(value, SecretStr) else value
            if not (text or "").strip():
                missing.append(name)
        return missing

    @property
    def key_file(self) -> Path:
        return self.data_dir / "encryption.key"


def get_settings(**overrides: Any) -> Settings:
    """Build the settings (never at import time); keyword overrides win over the environment."""
    return Settings(**overrides)
