"""The project's vocabulary, defined once and used by every layer: roles, statuses and the
typed records that repositories return (plain dataclasses: ORM rows never leave storage/)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """What a person is to the bot. Officers' scope is a wilayah code (kelurahan for a PPS,
    kecamatan for a PPK, kab/kota for a KPU admin)."""

    APPLICANT = "applicant"
    PPS = "pps"
    PPK = "ppk"
    KPU_ADMIN = "kpu_admin"


OFFICERS = frozenset({Role.PPS, Role.PPK, Role.KPU_ADMIN})

# The wilayah level of each officer role's scope (Kemendagri code levels: 2 kab/kota,
# 3 kecamatan, 4 kelurahan/desa).
SCOPE_LEVEL = {Role.PPS: 4, Role.PPK: 3, Role.KPU_ADMIN: 2}


def area_within(code: str | None, scope: str | None) -> bool:
    """Whether wilayah ``code`` lies inside ``scope`` (the same code or one below it)."""
    if not code or not scope:
        return False
    return code == scope or code.startswith(scope + ".")


class Seat(StrEnum):
    """A seat in a KPPS after selection."""

    KETUA = "ketua"
    ANGGOTA = "anggota"


KPPS_SIZE = 7  # one ketua and six anggota per TPS


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"  # waiting for the PPS administrative check
    QUALIFIED = "qualified"  # Memenuhi Syarat (MS)
    NOT_QUALIFIED = "not_qualified"  # Tidak Memenuhi Syarat (TMS)
    SELECTED = "selected"
    RESERVE = "reserve"  # cadangan
    NOT_SELECTED = "not_selected"
    WITHDRAWN = "withdrawn"


class DocumentStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    NEEDS_FIX = "needs_fix"
    REJECTED = "rejected"


DOCUMENT_COUNTS_AS_IN = frozenset({DocumentStatus.PENDING, DocumentStatus.ACCEPTED})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who sent the message being handled. ``person_id`` is None until something about the
    person is stored (a first /start stores nothing)."""

    channel: str
    external_id: str
    person_id: int | None = None
    identity_id: int | None = None
    role: Role = Role.APPLICANT
    scope: str | None = None


@dataclass(slots=True)
class ConversationState:
    """Where one chat is. ``data`` holds one slot per flow (encrypted at rest); ``choices``
    are the options of the last question shown, so typed input can be matched to them."""

    identity_id: int | None = None
    locale: str | None = None
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    choices: dict[str, Any] | None = None
    id: int | None = None
    version: int = 0
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class RegionInfo:
    code: str
    name: str
    level: int
    parent_code: str | None


@dataclass(frozen=True, slots=True)
class TpsInfo:
    id: int
    kelurahan_code: str
    number: int
    address: str
    is_demo: bool


@dataclass(frozen=True, slots=True)
class Consent:
    """Proof of consent (UU 27/2022 Pasal 22-24)."""

    version: str
    at: datetime
    locale: str
    channel: str


@dataclass(frozen=True, slots=True)
class ApplicantDetails:
    """What an applicant told about themselves, as fields (stored encrypted). Field names are
    this record's own: renaming a question of the registration flow changes nothing here."""

    name: str
    birth_date: date
    sex: str  # "M" / "F", as encoded in the NIK
    phone: str  # E.164
    address: str  # street and number, as on the KTP-el
    rt_rw: str
    kecamatan_code: str
    education: str
    occupation: str
    employment: str
    prior_service: int
    smartphone: bool
    party: str  # "never" / "left_5y"
    statements: dict[str, bool]  # each statement of the surat pernyataan, by its key
    locale: str = "id"
    consent: Consent | None = None
    birth_place: str = ""  # tempat lahir ("" in records of schema 1)
    ktp_area: str | None = None  # kelurahan and kab/kota of the KTP-el address, if not lived at
    domicile_address: str | None = None  # where the applicant lives, if not at the KTP address

    SCHEMA = 2

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["birth_date"] = self.birth_date.isoformat()
        if self.consent is not None:
            data["consent"]["at"] = self.consent.at.isoformat()
        data["schema"] = self.SCHEMA
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ApplicantDetails:
        consent = data.get("consent")
        return cls(
            name=data["name"],
            birth_date=date.fromisoformat(data["birth_date"]),
            sex=data["sex"],
            phone=data["phone"],
            address=data["address"],
            rt_rw=data["rt_rw"],
            kecamatan_code=data["kecamatan_code"],
            education=data["education"],
            occupation=data["occupation"],
            employment=data["employment"],
            prior_service=int(data["prior_service"]),
            smartphone=bool(data["smartphone"]),
            party=data["party"],
            statements={key: bool(value) for key, value in data["statements"].items()},
            locale=data.get("locale", "id"),
            birth_place=data.get("birth_place", ""),
            ktp_area=data.get("ktp_area"),
            domicile_address=data.get("domicile_address"),
            consent=Consent(
                version=consent["version"],
                at=datetime.fromisoformat(consent["at"]),
                locale=consent.get("locale", "id"),
                channel=consent.get("channel", ""),
            )
            if consent
            else None,
        )


@dataclass(frozen=True, slots=True)
class ApplicationInfo:
    id: int
    reg_number: str
    period_code: str
    person_id: int | None
    kelurahan_code: str
    tps_id: int | None
    status: ApplicationStatus
    flags: list[str]
    submitted_at: datetime
    details: ApplicantDetails
    version: int = 0  # bumped by every officer decision
    seat: Seat | None = None  # after selection (confirmed by the PPS)
    seat_tps_id: int | None = None
    reserve_rank: int | None = None  # cadangan number, 1 first


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    id: int
    kind: str
    file_key: str
    encrypted: bool
    mime: str
    size: int
    width: int | None
    height: int | None
    pages: int | None
    status: DocumentStatus
    status_reason: str | None
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One entry of an application's (or a document's) status history."""

    application_id: int
    document_id: int | None
    actor_person_id: int | None
    at: datetime
    from_status: str | None
    to_status: str
    reason: str | None


class OutboxStatus(StrEnum):
    QUEUED = "queued"  # waiting for its not-before time and a sender
    SENDING = "sending"  # claimed by a sender under a lease; retried when the lease expires
    SENT = "sent"  # the platform confirmed it (its message id is kept)
    FAILED = "failed"  # gave up: a permanent error, or too many attempts (the reason is kept)
    UNREACHABLE = "unreachable"  # the person blocked the bot or left the platform
    CANCELLED = "cancelled"  # no longer to be sent (opt-out, a replaced schedule)


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """What to send, language-neutral: a message key and its parameters (rendered in the
    recipient's language when sent), and options as (id, label key) pairs."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    options: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"msgid": self.msgid, "params": self.params, "options": list(self.options)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutgoingMessage:
        options = tuple((str(a), str(b)) for a, b in data.get("options", []))
        return cls(str(data["msgid"]), dict(data.get("params", {})), options)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A claimed outbox row, for the sender."""

    id: int
    person_id: int
    channel: str
    kind: str
    priority: int
    message: OutgoingMessage
    attempts: int
    lease_owner: str
    essential: bool = True  # False: not sent to a person who asked for quiet (/berhenti)


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where and how to reach a person on one channel."""

    address: str  # the channel's id, in clear (never for logs or listings)
    locale: str | None
    quiet: bool  # asked for no non-essential messages
    unreachable: bool  # blocked the bot or left the platform, and has not written since


BROADCAST_PREFIX = "broadcast:"


def broadcast_key(code: str, person_id: int) -> str:
    """The outbox idempotency key of a broadcast's message to one person."""
    return f"{BROADCAST_PREFIX}{code}:{person_id}"
