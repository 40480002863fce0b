"""officers: invites, audit log, decisions, seats, publications, public responses, PAW offers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Officers (PPS, PPK, KPU admin) join with a one-time invite (``officer_invites``, only a keyed
hash of the code). Every decision goes to ``audit_log``. Applications get a ``version`` (two
officers acting at once are noticed) and their seat after selection; the results of a
kelurahan are published once (``publications``); the public's responses are recorded in
``public_responses``; a seat left by a member is offered to a reserve (``seat_offers``).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from storage.models import UTCDateTime


revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('seat', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('seat_tps_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reserve_rank', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_applications_seat_tps_id_tps'), 'tps', ['seat_tps_id'], ['id'])
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.alter_column('version', server_default=None)
    op.create_table(
        'officer_invites',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('scope', sa.String(length=13), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('used_at', UTCDateTime(), nullable=True),
        sa.Column('used_by', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_officer_invites')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_officer_invites_code_hash')),
    )
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('actor_person_id', sa.Integer(), nullable=True),
        sa.Column('actor_label', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('subject', sa.String(length=48), nullable=False),
        sa.Column('area', sa.String(length=13), nullable=True),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    )
    op.create_index(op.f('ix_audit_log_area'), 'audit_log', ['area'])
    op.create_table(
        'public_responses',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('recorded_by', sa.Integer(), nullable=True),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('text_enc', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                                name=op.f('fk_public_responses_application_id_applications'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_public_responses')),
    )
    op.create_index(op.f('ix_public_responses_application_id'), 'public_responses',
                    ['application_id'])
    op.create_table(
        'publications',
        sa.Column('period_code', sa.String(length=64), nullable=False),
        sa.Column('kelurahan_code', sa.String(length=13), nullable=False),
        sa.Column('published_at', UTCDateTime(), nullable=False),
        sa.Column('published_by', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('period_code', 'kelurahan_code', name=op.f('pk_publications')),
    )
    op.create_table(
        'seat_offers',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('replaces_id', sa.Integer(), nullable=True),
        sa.Column('tps_id', sa.Integer(), nullable=False),
        sa.Column('seat', sa.String(length=12), nullable=False),
        sa.Column('offered_at', UTCDateTime(), nullable=False),
        sa.Column('answered_at', UTCDateTime(), nullable=True),
        sa.Column('answer', sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                                name=op.f('fk_seat_offers_application_id_applications'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tps_id'], ['tps.id'], name=op.f('fk_seat_offers_tps_id_tps')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_seat_offers')),
    )
    op.create_index(op.f('ix_seat_offers_application_id'), 'seat_offers', ['application_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_seat_offers_application_id'), table_name='seat_offers')
    op.drop_table('seat_offers')
    op.drop_table('publications')
    op.drop_index(op.f('ix_public_responses_application_id'), table_name='public_responses')
    op.drop_table('public_responses')
    op.drop_index(op.f('ix_audit_log_area'), table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_table('officer_invites')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_applications_seat_tps_id_tps'), type_='foreignkey')
        batch_op.drop_column('reserve_rank')
        batch_op.drop_column('seat_tps_id')
        batch_op.drop_column('seat')
        batch_op.drop_column('version')
