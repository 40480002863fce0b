"""whatsapp inbox and contacts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

Every WhatsApp webhook POST body is recorded (encrypted) in ``whatsapp_inbox`` before it is
acknowledged and deleted once processed, so a crash loses no message. ``whatsapp_contacts``
keeps the phone number (encrypted) of an identity keyed by its business-scoped user id: the
number is where the Cloud API sends to. ``outbox.platform_status`` is what the platform
reported about a message after it was sent (WhatsApp status webhooks).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from storage.models import UTCDateTime


revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform_status', sa.String(length=12), nullable=True))
    op.create_table(
        'whatsapp_inbox',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('body_enc', sa.LargeBinary(), nullable=False),
        sa.Column('received_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_whatsapp_inbox')),
    )
    op.create_table(
        'whatsapp_contacts',
        sa.Column('identity_id', sa.Integer(), nullable=False),
        sa.Column('number_enc', sa.LargeBinary(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['identity_id'], ['identities.id'],
                                name=op.f('fk_whatsapp_contacts_identity_id_identities'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('identity_id', name=op.f('pk_whatsapp_contacts')),
    )


def downgrade() -> None:
    op.drop_table('whatsapp_contacts')
    op.drop_table('whatsapp_inbox')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('platform_status')
