"""queue head columns and the owner index

The queue reads one row per case; the head promise's kind, calendar and at-risk instant live
beside `next_due_at` so state filters (at risk, breached) are plain range conditions. Existing
open cases get their kind and calendar here; their at-risk instant needs the business calendars,
which the store cannot read, so `deskapp db upgrade` fills it right after (milestones.backfill).

Revision ID: 0002
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('next_calendar', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('next_warn_at', store.types.UTCDateTime(), nullable=True))
        batch_op.drop_index('ix_complaint_first_owner_id')
        batch_op.create_index('ix_complaint_owner_open', ['first_owner_id', 'is_open', 'next_due_at'], unique=False)
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.alter_column('next_kind', server_default=None)
        batch_op.alter_column('next_calendar', server_default=None)
    for column in ('kind', 'calendar'):
        op.execute(
            f"UPDATE complaint SET next_{column} = COALESCE(("
            f" SELECT m.{column} FROM milestone m WHERE m.complaint_id = complaint.id"
            " AND m.is_open AND m.due_at = complaint.next_due_at ORDER BY m.id LIMIT 1), '')"
            " WHERE complaint.is_open AND complaint.next_due_at IS NOT NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_owner_open')
        batch_op.create_index('ix_complaint_first_owner_id', ['first_owner_id'], unique=False)
        batch_op.drop_column('next_warn_at')
        batch_op.drop_column('next_calendar')
        batch_op.drop_column('next_kind')
