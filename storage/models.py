"""SQLAlchemy 2 models. Portable column types only (SQLite and PostgreSQL).

Personal data lives only in encrypted columns (``*_enc``); look-ups go through keyed hashes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        bytes: LargeBinary,
    }


class Region(Base):
    """A Kemendagri region code of one edition: province, kab/kota, kecamatan, kelurahan/desa."""

    __tablename__ = "regions"

    edition: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[int] = mapped_column(Integer)
    parent_code: Mapped[str | None] = mapped_column(String(13))

    __table_args__ = (Index("ix_regions_parent", "edition", "parent_code"),)


class Tps(Base):
    """A polling station (TPS) of a kelurahan/desa."""

    __tablename__ = "tps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    edition: Mapped[str] = mapped_column(String(32))
    kelurahan_code: Mapped[str] = mapped_column(String(13), index=True)
    number: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(200), default="")
    is_demo: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (UniqueConstraint("edition", "kelurahan_code", "number"),)


class Person(Base):
    """An applicant, officer or admin, reachable on one or more channels (identities)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    role: Mapped[str] = mapped_column(String(16), default="applicant")
    scope: Mapped[str | None] = mapped_column(String(13))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # /berhenti: no reminders or optional broadcasts from then on (/lanjut clears it)
    quiet_since: Mapped[datetime | None] = mapped_column()


class Identity(Base):
    """A person's account on one channel. The external id (Telegram chat id, WhatsApp
    number) is stored as a keyed hash for look-up and encrypted for sending."""

    __tablename__ = "identities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_hash: Mapped[str] = mapped_column(String(64))
    external_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the platform said the person blocked the bot or left: nothing is sent here any more
    # (cleared when they write again)
    unreachable_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (UniqueConstraint("channel", "external_hash"),)


class Conversation(Base):
    """Where one chat is in its flow. ``data_enc`` holds the flows' state, encrypted;
    ``choices`` the options of the last question shown (no personal data)."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    identity_id: Mapped[int] = mapped_column(
        ForeignKey("identities.id", ondelete="CASCADE"), unique=True
    )
    locale: Mapped[str | None] = mapped_column(String(8))
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(48))
    data_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    choices: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessedUpdate(Base):
    """Every platform delivery handled, so a redelivery is applied once."""

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Consent(Base):
    """Proof of consent (UU 27/2022 Pasal 22-24): which text version, when, where."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(8))
    granted: Mapped[bool] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))


class Application(Base):
    """A submitted application. One per NIK per recruitment period."""

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    period_code: Mapped[str] = mapped_column(String(64))
    reg_number: Mapped[str] = mapped_column(String(32))
    nik_hash: Mapped[str] = mapped_column(String(64))
    nik_enc: Mapped[bytes] = mapped_column(LargeBinary)
    data_enc: Mapped[bytes] = mapped_column(LargeBinary)
    kelurahan_code: Mapped[str] = mapped_column(String(13), index=True)
    tps_id: Mapped[int | None] = mapped_column(ForeignKey("tps.id"))
    status: Mapped[str] = mapped_column(String(24), default="submitted")
    flags_enc: Mapped[bytes] = mapped_column(LargeBinary)  # eligibility flags, encrypted JSON
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    consent_version: Mapped[str] = mapped_column(String(32))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped by every officer decision: a decision names the version it was made on, so two
    # officers acting at once cannot overwrite each other silently.
    version: Mapped[int] = mapped_column(Integer, default=0)
    # The seat after selection: "ketua" / "anggota" at seat_tps_id (which may be a
    # neighbouring TPS of the same kelurahan), or a reserve (cadangan) with its rank.
    seat: Mapped[str | None] = mapped_column(String(12))
    seat_tps_id: Mapped[int | None] = mapped_column(ForeignKey("tps.id"))
    reserve_rank: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("period_code", "nik_hash"),
        UniqueConstraint("period_code", "reg_number", name="uq_applications_period_reg_number"),
    )


class Document(Base):
    """The current file of one document kind of an application (content in the file store)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    file_key: Mapped[str] = mapped_column(String(64), index=True)
    encrypted: Mapped[bool] = mapped_column()
    mime: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)
    channel_file_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    status_reason: Mapped[str | None] = mapped_column(String(500))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("application_id", "kind"),)


class StatusChange(Base):
    """The status history of applications and their documents: who, when, from, to, why."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[int | None] = mapped_column(Integer)
    actor_person_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(String(500))


class Counter(Base):
    """Named sequences (registration numbers per period and kab/kota)."""

    __tablename__ = "counters"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Meta(Base):
    """Small key/value facts about the installation (e.g. demo data loaded)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class OutboxMessage(Base):
    """A message the bot sends on its own (a result, a correction request, a reminder, a
    broadcast), written in the same transaction as the change that causes it and sent later
    by the one sender of the bot. The recipient is a person; the chat is looked up when
    sending. ``payload_enc`` (a message key and its parameters, rendered in the recipient's
    language when sent) is encrypted: parameters may name the person or their TPS."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(24))
    priority: Mapped[int] = mapped_column(Integer, default=5)  # lower is sooner
    essential: Mapped[bool] = mapped_column(Boolean, default=True)  # False: /berhenti stops it
    payload_enc: Mapped[bytes] = mapped_column(LargeBinary)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(300))
    platform_message_id: Mapped[str | None] = mapped_column(String(64))
    # what the platform reported after the send (WhatsApp: sent, delivered, read, failed),
    # never moving backwards
    platform_status: Mapped[str | None] = mapped_column(String(12))
    # the approved template the message went as (WhatsApp, outside the 24-hour window):
    # these rows are what the messaging tier counts
    template: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        Index("ix_outbox_due", "status", "priority", "not_before"),
        Index("ix_outbox_sent", "channel", "sent_at"),
    )


class SenderLease(Base):
    """Who sends for one bot (channel and token fingerprint), until when: one sender per bot."""

    __tablename__ = "sender_leases"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime] = mapped_column()


class Attendance(Base):
    """An answer to a schedule broadcast ("Hadir" / "Berhalangan"), one per person."""

    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    broadcast_code: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    answer: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("broadcast_code", "person_id"),)


class OfficerInvite(Base):
    """A one-time code a KPU admin made for an officer: role and wilayah, expiring, single
    use. Only a keyed hash of the code is stored."""

    __tablename__ = "officer_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(13))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    used_by: Mapped[int | None] = mapped_column(Integer)


class AuditEntry(Base):
    """Every officer decision and every change of an officer's role: who, what, when,
    before/after (statuses and seats, no personal data), why. ``area`` is the wilayah code
    of what was acted on, so an audit listing can be scoped like everything else."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_person_id: Mapped[int | None] = mapped_column(Integer)
    actor_label: Mapped[str] = mapped_column(String(64))  # "person:12" or "cli:admin"
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(48))  # "application:12", "person:3", …
    area: Mapped[str | None] = mapped_column(String(13), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(String(500))


class PublicResponse(Base):
    """A response of the public (tanggapan masyarakat) about an applicant, recorded by the
    PPS during the response period after the announcement. The text is encrypted."""

    __tablename__ = "public_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    recorded_by: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    text_enc: Mapped[bytes] = mapped_column(LargeBinary)


class Publication(Base):
    """The results of one kelurahan were published (once per period)."""

    __tablename__ = "publications"

    period_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    kelurahan_code: Mapped[str] = mapped_column(String(13), primary_key=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[int | None] = mapped_column(Integer)


class SeatOffer(Base):
    """A seat left by a member (PAW) offered to the next reserve, who accepts or declines."""

    __tablename__ = "seat_offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    replaces_id: Mapped[int | None] = mapped_column(Integer)
    tps_id: Mapped[int] = mapped_column(ForeignKey("tps.id"))
    seat: Mapped[str] = mapped_column(String(12))
    offered_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column()
    answer: Mapped[str | None] = mapped_column(String(12))  # "accepted" / "declined"


class WhatsAppInbox(Base):
    """A WhatsApp webhook POST body, recorded (encrypted: it names the sender) before the
    webhook is answered and deleted once it has been processed; what is left at start was not
    processed yet (a crash) and is processed then."""

    __tablename__ = "whatsapp_inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    body_enc: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class WhatsAppContact(Base):
    """The phone number of a WhatsApp identity keyed by its business-scoped user id (the
    number is where the Cloud API sends to), encrypted; updated from every message."""

    __tablename__ = "whatsapp_contacts"

    identity_id: Mapped[int] = mapped_column(
        ForeignKey("identities.id", ondelete="CASCADE"), primary_key=True
    )
    number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkCode(Base):
    """A one-time code a person makes in one chat to link another channel's chat to them
    (their application becomes that chat's too). Only a keyed hash of the code is stored."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()


class WhatsAppWindow(Base):
    """When a WhatsApp identity (its keyed hash) last wrote: free-form messages may go to it
    for 24 hours after that (Meta's customer service window), templates only afterwards."""

    __tablename__ = "whatsapp_windows"

    external_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_inbound_at: Mapped[datetime] = mapped_column()
