"""Repositories by aggregate over one session. They never commit: the caller (the engine, an
importer, the CLI) owns the transaction. ORM rows never leave this package: callers get the
plain dataclasses of ``storage.domain``.

``Repos`` bundles the repositories of one unit of work (one incoming message).
"""

from __future__ import annotations

from storage.crypto import Crypto
from storage.db import Session
from storage.repositories.applications import Applications, DuplicateNik
from storage.repositories.attendance import Attendance
from storage.repositories.audience import Audience
from storage.repositories.base import ConcurrencyConflict
from storage.repositories.conversations import Conversations
from storage.repositories.counters import Counters
from storage.repositories.decisions import Decisions
from storage.repositories.deliveries import Deliveries
from storage.repositories.documents import Documents
from storage.repositories.meta import MetaRepo
from storage.repositories.officers import Audit, Invites, Officers
from storage.repositories.outbox import Outbox, SenderLeases
from storage.repositories.people import Consents, People
from storage.repositories.reports import Reports
from storage.repositories.whatsapp import WhatsAppStore
from storage.repositories.wilayah import Wilayah

__all__ = [
    "Applications",
    "Attendance",
    "Audience",
    "Audit",
    "ConcurrencyConflict",
    "Consents",
    "Conversations",
    "Counters",
    "Decisions",
    "Deliveries",
    "Documents",
    "DuplicateNik",
    "Invites",
    "MetaRepo",
    "Officers",
    "Outbox",
    "People",
    "Reports",
    "Repos",
    "SenderLeases",
    "WhatsAppStore",
    "Wilayah",
]


class Repos:
    """The repositories of one unit of work, sharing one session."""

    def __init__(self, session: Session, crypto: Crypto, edition: str) -> None:
        self.session = session
        self.deliveries = Deliveries(session)
        self.people = People(session, crypto)
        self.consents = Consents(session)
        self.conversations = Conversations(session, crypto)
        self.documents = Documents(session)
        self.applications = Applications(session, crypto, self.documents)
        self.wilayah = Wilayah(session, edition)
        self.meta = MetaRepo(session)
        self.counters = Counters(session)
        self.outbox = Outbox(session, crypto)
        self.sender_leases = SenderLeases(session)
        self.audience = Audience(session)
        self.attendance = Attendance(session)
        self.invites = Invites(session, crypto)
        self.officers = Officers(session)
        self.audit = Audit(session)
        self.decisions = Decisions(session, crypto)
        self.whatsapp = WhatsAppStore(session, crypto)
        self.reports = Reports(session, crypto, edition)
