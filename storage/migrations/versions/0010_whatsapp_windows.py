"""whatsapp customer service windows and template sends

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

``whatsapp_windows`` keeps, per WhatsApp identity (its keyed hash), when the person last
wrote: free-form messages may go for 24 hours after that, an approved template afterwards.
``outbox.template`` is the template a message was sent as; the rows sent as templates in the
last 24 hours are what the messaging tier counts (index ``ix_outbox_sent``).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from storage.models import UTCDateTime


revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_outbox_sent', ['channel', 'sent_at'], unique=False)
    op.create_table(
        'whatsapp_windows',
        sa.Column('external_hash', sa.String(length=64), nullable=False),
        sa.Column('last_inbound_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('external_hash', name=op.f('pk_whatsapp_windows')),
    )


def downgrade() -> None:
    op.drop_table('whatsapp_windows')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_sent')
        batch_op.drop_column('template')
