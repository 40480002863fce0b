"""outbox and sender leases

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

Messages the bot sends on its own are written to ``outbox`` in the transaction of the change
that causes them and sent by one sender per bot, which holds a row of ``sender_leases``. A
person may stop non-essential messages (``people.quiet_since``); an identity the platform
says is gone gets ``identities.unreachable_at``. Answers to a schedule broadcast go to
``attendance``.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from storage.models import UTCDateTime


revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiet_since', UTCDateTime(), nullable=True))
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unreachable_at', UTCDateTime(), nullable=True))
    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('essential', sa.Boolean(), nullable=False),
        sa.Column('payload_enc', sa.LargeBinary(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=120), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('not_before', UTCDateTime(), nullable=False),
        sa.Column('lease_owner', sa.String(length=64), nullable=True),
        sa.Column('lease_until', UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.Column('platform_message_id', sa.String(length=64), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'],
                                name=op.f('fk_outbox_person_id_people'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
        sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_idempotency_key')),
    )
    op.create_index('ix_outbox_due', 'outbox', ['status', 'priority', 'not_before'])
    op.create_index(op.f('ix_outbox_person_id'), 'outbox', ['person_id'])
    op.create_table(
        'sender_leases',
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('owner', sa.String(length=64), nullable=False),
        sa.Column('until', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_sender_leases')),
    )
    op.create_table(
        'attendance',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('broadcast_code', sa.String(length=40), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('answer', sa.String(length=12), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'],
                                name=op.f('fk_attendance_person_id_people'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance')),
        sa.UniqueConstraint('broadcast_code', 'person_id',
                            name=op.f('uq_attendance_broadcast_code')),
    )
    op.create_index(op.f('ix_attendance_person_id'), 'attendance', ['person_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_attendance_person_id'), table_name='attendance')
    op.drop_table('attendance')
    op.drop_table('sender_leases')
    op.drop_index(op.f('ix_outbox_person_id'), table_name='outbox')
    op.drop_index('ix_outbox_due', table_name='outbox')
    op.drop_table('outbox')
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.drop_column('unreachable_at')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('quiet_since')
