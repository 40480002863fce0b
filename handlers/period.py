"""The recruitment period: data, not code (loaded from a TOML file at start).

Dates may be ISO dates (``2024-11-27``) or relative to the day the file is loaded
(``today``, ``today+60``, ``today-3``), which keeps the demo period always open.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from handlers.i18n import N_
from handlers.rules.documents import DocKind

_RELATIVE = re.compile(r"^today\s*(?:([+-])\s*(\d+))?$")


class Stage(StrEnum):
    """Stages of KPPS formation (Kep. KPU 1669/2023, 475/2024), in order."""

    ANNOUNCEMENT = "announcement"
    REGISTRATION = "registration"
    ADMIN_RESEARCH = "admin_research"
    ADMIN_RESULT = "admin_result"
    PUBLIC_RESPONSE = "public_response"
    SELECTION_RESULT = "selection_result"
    APPOINTMENT = "appointment"
    INAUGURATION = "inauguration"
    BIMTEK = "bimtek"
    TERM = "term"


STAGE_NAMES = {
    Stage.ANNOUNCEMENT: N_("Announcement of registration"),
    Stage.REGISTRATION: N_("Registration"),
    Stage.ADMIN_RESEARCH: N_("Administrative check"),
    Stage.ADMIN_RESULT: N_("Announcement of the administrative check"),
    Stage.PUBLIC_RESPONSE: N_("Public response and input"),
    Stage.SELECTION_RESULT: N_("Announcement of the selection result"),
    Stage.APPOINTMENT: N_("Appointment"),
    Stage.INAUGURATION: N_("Inauguration"),
    Stage.BIMTEK: N_("Technical training (bimtek)"),
    Stage.TERM: N_("Term of office"),
}


def resolve_date(value: Any, today: date) -> Any:
    if isinstance(value, str) and (match := _RELATIVE.match(value.strip().lower())):
        sign, days = match.groups()
        offset = int(days or 0) * (-1 if sign == "-" else 1)
        return today + timedelta(days=offset)
    return value


class StageDates(BaseModel):
    stage: Stage
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> StageDates:
        if self.end < self.start:
            raise ValueError(f"stage {self.stage}: end is before start")
        return self


class DocumentSpec(BaseModel):
    """One document of the application (domain.md §2), as the period asks for it."""

    kind: DocKind
    name: str = Field(min_length=2, max_length=120)
    short: str = Field(min_length=2, max_length=20)  # a button label (WhatsApp: 20)
    required: Literal["always", "former_party_member", "needs_permission", "optional"] = "always"
    accept: list[Literal["image", "pdf"]] = Field(default=["image", "pdf"], min_length=1)
    max_mb: int = Field(10, ge=1, le=20)


class Period(BaseModel):
    """One recruitment period of one KPU kabupaten/kota."""

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name: str
    region_code: str = Field(pattern=r"^\d{2}\.\d{2}$")
    timezone: str = "Asia/Jakarta"
    polling_day: date
    registration_open: date
    registration_close: date
    age_min: int = Field(17, ge=17, le=30)
    age_preferred_max: int = Field(55, ge=30, le=100)
    consent_version: str
    controller: str
    contact: str
    retention_months: int = Field(12, ge=1, le=120)
    # Optional facts used by the FAQ answers (handlers/faq); an answer that needs a missing one
    # says that it has not been entered and points to the contact.
    kabkota_name: str | None = None  # e.g. "Kota Kendari"
    honorarium_ketua: int | None = Field(None, ge=0)  # rupiah per person per month
    honorarium_anggota: int | None = Field(None, ge=0)
    honorarium_satlinmas: int | None = Field(None, ge=0)
    kpps_needed: int | None = Field(None, ge=0)
    tps_count: int | None = Field(None, ge=0)
    kelurahan_count: int | None = Field(None, ge=0)
    kecamatan_count: int | None = Field(None, ge=0)
    stages: list[StageDates] = []
    documents: list[DocumentSpec] = []
    meterai: bool = False

    @field_validator("documents")
    @classmethod
    def _one_per_kind(cls, value: list[DocumentSpec]) -> list[DocumentSpec]:
        kinds = [spec.kind for spec in value]
        if len(kinds) != len(set(kinds)):
            raise ValueError("each document kind may be listed once")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @field_validator("registration_close")
    @classmethod
    def _window(cls, value: date, info: ValidationInfo) -> date:
        opened = info.data.get("registration_open")
        if opened and value < opened:
            raise ValueError("registration_close is before registration_open")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_today(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()

    def registration_state(self, now: datetime) -> str:
        today = self.local_today(now)
        if today < self.registration_open:
            return "not_open"
        if today > self.registration_close:
            return "closed"
        return "open"

    def stage(self, stage: Stage) -> StageDates | None:
        return next((s for s in self.stages if s.stage is stage), None)


def load_period(path: Path, today: date) -> Period:
    """Read a period file; relative dates are resolved against ``today``."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    for key in ("polling_day", "registration_open", "registration_close"):
        raw[key] = resolve_date(raw.get(key), today)
    for stage in raw.get("stages", []):
        stage["start"] = resolve_date(stage.get("start"), today)
        stage["end"] = resolve_date(stage.get("end"), today)
    return Period.model_validate(raw)
