"""link codes: a person links a second channel's chat with a one-time code

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

A person with an application makes a short-lived code in one chat (``/tautkan``) and sends it
from a chat on another channel; that chat's identity then belongs to the same person. Only a
keyed hash of the code is stored.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from storage.models import UTCDateTime


revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'link_codes',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('used_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'],
                                name=op.f('fk_link_codes_person_id_people'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_link_codes')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_link_codes_code_hash')),
    )
    op.create_index(op.f('ix_link_codes_person_id'), 'link_codes', ['person_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_link_codes_person_id'), table_name='link_codes')
    op.drop_table('link_codes')
