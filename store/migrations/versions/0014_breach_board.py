"""breach board: open and paused cases per tile, and indexes that count the rest

`board_tally` holds the open and paused cases per department × severity, kept by the use
cases in the same transaction as each change and filled here from the cases already there.
The cases at risk and breached depend on the time, so they are counted per tile from two
covering indexes (the at-risk one replaces the alerts' narrower index on the same prefix); two
milestone indexes serve today's on-time rate and the oldest unacknowledged case.

Revision ID: 0014
Revises: 0013
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('board_tally',
    sa.Column('dept_id', sa.Integer(), nullable=False),
    sa.Column('severity', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.Column('paused', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('dept_id', 'severity')
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_open_next_warn'))
        batch_op.create_index('ix_complaint_board_due', ['is_open', 'next_due_at', 'primary_dept_id', 'severity', 'status'], unique=False)
        batch_op.create_index('ix_complaint_board_warn', ['is_open', 'next_warn_at', 'primary_dept_id', 'severity', 'status'], unique=False)

    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.create_index('ix_milestone_kind_open_due', ['kind', 'is_open', 'due_at'], unique=False)
        batch_op.create_index('ix_milestone_met_at', ['met_at'], unique=False)

    op.execute(
        "INSERT INTO board_tally (dept_id, severity, open, paused) "
        "SELECT coalesce(primary_dept_id, 0), severity, "
        "sum(CASE WHEN is_open THEN 1 ELSE 0 END), "
        "sum(CASE WHEN is_open AND status = 'pending_customer' THEN 1 ELSE 0 END) "
        "FROM complaint GROUP BY coalesce(primary_dept_id, 0), severity "
        "HAVING sum(CASE WHEN is_open THEN 1 ELSE 0 END) > 0"
    )


def downgrade() -> None:
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_index('ix_milestone_met_at')
        batch_op.drop_index('ix_milestone_kind_open_due')

    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_board_warn')
        batch_op.drop_index('ix_complaint_board_due')
        batch_op.create_index(batch_op.f('ix_complaint_open_next_warn'), ['is_open', 'next_warn_at'], unique=False)

    op.drop_table('board_tally')
