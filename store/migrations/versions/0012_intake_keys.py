"""intake_key: one case per registration, however often it is tried

The intake form names each registration with a random key (kept in its draft); the intake use
case records the key with the case it made, and a second try with the same key (the server's
answer lost on the way back, the desk restarted with the draft) returns that case instead of
making another.

Revision ID: 0012
Revises: 0011
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'intake_key',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('complaint_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id']),
        sa.PrimaryKeyConstraint('key'),
    )
    with op.batch_alter_table('intake_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_key_complaint_id'), ['complaint_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('intake_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_key_complaint_id'))
    op.drop_table('intake_key')
