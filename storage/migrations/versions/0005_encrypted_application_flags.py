"""application flags encrypted

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09

The eligibility flags of an application (past party membership, ASN status, age) are
personal data: they move from the clear JSON column ``flags`` to ``flags_enc``, encrypted
like the other answers. Rows are carried over, so the migration needs the encryption key when
there are applications (``storage.migrate.upgrade(db, crypto=...)`` hands it in).

Stored files get keyed names at start, not here (the migration does not know the file
store): see ``storage.maintenance.adopt_keyed_file_names``.
"""
from typing import Any, Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _crypto(purpose: str) -> Any:
    config = op.get_context().config
    crypto = config.attributes.get("crypto") if config is not None else None
    if crypto is None:
        raise RuntimeError(f"migration 0005 {purpose} and needs the encryption key")
    return crypto


def upgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flags_enc', sa.LargeBinary(), nullable=True))

    bind = op.get_bind()
    applications = sa.table('applications', sa.column('id'), sa.column('flags', sa.JSON()),
                            sa.column('flags_enc', sa.LargeBinary()))
    rows = bind.execute(sa.select(applications.c.id, applications.c.flags)).all()
    if rows:
        crypto = _crypto("encrypts the flags of existing applications")
        for row in rows:
            flags = [str(flag) for flag in (row.flags or [])]
            bind.execute(sa.update(applications).where(applications.c.id == row.id).values(
                flags_enc=crypto.encrypt_json(flags)))

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('flags')
        batch_op.alter_column('flags_enc', existing_type=sa.LargeBinary(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flags', sa.JSON(), nullable=True))

    bind = op.get_bind()
    applications = sa.table('applications', sa.column('id'), sa.column('flags', sa.JSON()),
                            sa.column('flags_enc', sa.LargeBinary()))
    rows = bind.execute(sa.select(applications.c.id, applications.c.flags_enc)).all()
    if rows:
        crypto = _crypto("decrypts the flags of existing applications")
        for row in rows:
            bind.execute(sa.update(applications).where(applications.c.id == row.id).values(
                flags=crypto.decrypt_json(row.flags_enc)))

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('flags_enc')
        batch_op.alter_column('flags', existing_type=sa.JSON(), nullable=False)
