"""people with channel identities, typed application records, status history

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

A chat used to be ``(channel, chat_id)`` stored in clear in three tables. Now a person has
identities whose external ids are stored as a keyed hash (look-up) and encrypted (sending);
conversations, consents and applications point at people. Application data becomes a typed
record (field names of its own, not registration step names); conversation state gets one
slot per flow. Rows are carried over, so the migration needs the encryption key when there
are rows (``storage.migrate.upgrade(db, crypto=...)`` hands it in).
"""
from typing import Any, Sequence, Union

from alembic import op
import sqlalchemy as sa

import storage.models


revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STATEMENTS = ("loyalty", "campaign", "health", "criminal", "dismissal", "marriage", "skills")


def _details(old: dict[str, Any], channel: str) -> dict[str, Any]:
    """A step-keyed application dict (0001-0003) as the typed record of storage.domain."""
    consent = old.get("consent") or None
    return {
        "schema": 1,
        "name": old.get("name", ""),
        "birth_date": old["birth_date"],
        "sex": old.get("sex", "M"),
        "phone": old.get("phone", ""),
        "address": old.get("address", ""),
        "rt_rw": old.get("rt_rw", ""),
        "kecamatan_code": old.get("kecamatan", ""),
        "education": old.get("education", ""),
        "occupation": old.get("occupation", ""),
        "employment": old.get("employment", "none"),
        "prior_service": int(old.get("prior_service") or 0),
        "smartphone": old.get("smartphone") == "yes",
        "party": old.get("decl_party", "never"),
        "statements": {key: old.get(f"decl_{key}") == "yes" for key in STATEMENTS},
        "locale": old.get("locale", "id"),
        "consent": {
            "version": consent.get("version", ""),
            "at": consent.get("at"),
            "locale": old.get("locale", "id"),
            "channel": channel,
        }
        if consent and consent.get("at")
        else None,
    }


REGISTRATION_KEYS = {"a": "answers", "redo": "redo", "block": "block", "return_to": "return_to",
                     "consent": "consent", "preset": "preset"}


def _slots(old: dict[str, Any]) -> dict[str, Any]:
    """Flat conversation data (0001-0003) as one slot per flow."""
    new: dict[str, Any] = {}
    registration = {new_key: old[key] for key, new_key in REGISTRATION_KEYS.items() if key in old}
    if registration:
        new["registration"] = registration
    if "doc_kind" in old:
        new["documents"] = {"kind": old["doc_kind"]}
    if "check" in old:
        new["eligibility"] = {"answers": old["check"]}
    return new


def upgrade() -> None:
    op.create_table('people',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.String(length=13), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people'))
    )
    op.create_table('identities',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('external_hash', sa.String(length=64), nullable=False),
    sa.Column('external_enc', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_identities_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identities')),
    sa.UniqueConstraint('channel', 'external_hash', name=op.f('uq_identities_channel'))
    )
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identities_person_id'), ['person_id'], unique=False)
    op.create_table('status_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('actor_person_id', sa.Integer(), nullable=True),
    sa.Column('at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('from_status', sa.String(length=24), nullable=True),
    sa.Column('to_status', sa.String(length=24), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_status_changes_application_id_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_changes'))
    )
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_changes_application_id'), ['application_id'], unique=False)

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('choices', sa.JSON(), nullable=True))
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))

    _carry_over()

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_constraint('uq_conversations_channel', type_='unique')
        batch_op.drop_constraint('fk_conversations_application_id_applications', type_='foreignkey')
        batch_op.drop_column('application_id')
        batch_op.drop_column('chat_id')
        batch_op.drop_column('channel')
        batch_op.alter_column('identity_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_conversations_identity_id'), ['identity_id'])
        batch_op.create_foreign_key(batch_op.f('fk_conversations_identity_id_identities'), 'identities', ['identity_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index('ix_consents_chat_id')
        batch_op.drop_column('chat_id')
        batch_op.alter_column('person_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_consents_person_id'), ['person_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_consents_person_id_people'), 'people', ['person_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('chat_id')
        batch_op.create_index(batch_op.f('ix_applications_person_id'), ['person_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_applications_person_id_people'), 'people', ['person_id'], ['id'])


def _carry_over() -> None:
    bind = op.get_bind()
    conversations = sa.table('conversations', sa.column('id'), sa.column('channel'), sa.column('chat_id'),
                             sa.column('data_enc', sa.LargeBinary), sa.column('identity_id'),
                             sa.column('application_id'))
    consents = sa.table('consents', sa.column('id'), sa.column('channel'), sa.column('chat_id'),
                        sa.column('person_id'))
    applications = sa.table('applications', sa.column('id'), sa.column('channel'), sa.column('chat_id'),
                            sa.column('data_enc', sa.LargeBinary), sa.column('person_id'),
                            sa.column('status'), sa.column('submitted_at', storage.models.UTCDateTime()))
    people = sa.table('people', sa.column('id'), sa.column('role'), sa.column('created_at', storage.models.UTCDateTime()))
    identities = sa.table('identities', sa.column('id'), sa.column('person_id'), sa.column('channel'),
                          sa.column('external_hash'), sa.column('external_enc', sa.LargeBinary),
                          sa.column('created_at', storage.models.UTCDateTime()))
    status_changes = sa.table('status_changes', sa.column('application_id'), sa.column('actor_person_id'),
                              sa.column('at', storage.models.UTCDateTime()), sa.column('from_status'),
                              sa.column('to_status'))
    chats: set[tuple[str, str]] = set()
    for table in (conversations, consents, applications):
        chats.update((row.channel, row.chat_id) for row in bind.execute(sa.select(table.c.channel, table.c.chat_id)))
    if not chats:
        return
    config = op.get_context().config
    crypto = config.attributes.get("crypto") if config is not None else None
    if crypto is None:
        raise RuntimeError("migration 0004 carries existing rows over and needs the encryption key")
    now = storage.models.utcnow()
    person_of: dict[tuple[str, str], tuple[int, int]] = {}
    for channel, chat_id in sorted(chats):
        person_id = bind.execute(
            sa.insert(people).values(role="applicant", created_at=now).returning(people.c.id)
        ).scalar_one()
        identity_id = bind.execute(
            sa.insert(identities).values(
                person_id=person_id, channel=channel,
                external_hash=crypto.lookup_hash(f"identity:{channel}:{chat_id}"),  # as storage.repositories.people
                external_enc=crypto.encrypt(chat_id.encode()), created_at=now,
            ).returning(identities.c.id)
        ).scalar_one()
        person_of[(channel, chat_id)] = (person_id, identity_id)
    for row in bind.execute(sa.select(conversations)).all():
        data = crypto.decrypt_json(row.data_enc) if row.data_enc else {}
        bind.execute(sa.update(conversations).where(conversations.c.id == row.id).values(
            identity_id=person_of[(row.channel, row.chat_id)][1],
            data_enc=crypto.encrypt_json(_slots(data)) if data else None,
        ))
    for row in bind.execute(sa.select(consents.c.id, consents.c.channel, consents.c.chat_id)).all():
        bind.execute(sa.update(consents).where(consents.c.id == row.id).values(
            person_id=person_of[(row.channel, row.chat_id)][0]))
    for row in bind.execute(sa.select(applications)).all():
        person_id = person_of[(row.channel, row.chat_id)][0]
        details = _details(crypto.decrypt_json(row.data_enc), row.channel)
        bind.execute(sa.update(applications).where(applications.c.id == row.id).values(
            person_id=person_id, data_enc=crypto.encrypt_json(details)))
        bind.execute(sa.insert(status_changes).values(
            application_id=row.id, actor_person_id=person_id, at=row.submitted_at,
            from_status=None, to_status=row.status))


def downgrade() -> None:
    raise NotImplementedError("0004 cannot be undone: chat ids are no longer stored in clear")
