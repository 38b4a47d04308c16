"""escalation, escalation_due: the ladder that reaches people exactly once

`escalation` records each rung reached (a milestone at risk, breached, still breached; an alert
a case raises by what it is; a person's escalate step) under a unique key, so two desks that
sweep at once cannot both reach the same people. `escalation_due` holds, for each running
milestone, the next rung and when it is due: the sweep reads what is due from one index.
`deskapp db upgrade` fills `escalation_due` for the milestones already open (deskapp.upkeep).

Revision ID: 0013
Revises: 0012
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('escalation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('cause', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('due_at', store.types.UTCDateTime(), nullable=False),
    sa.Column('at', store.types.UTCDateTime(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ),
    sa.ForeignKeyConstraint(['event_id'], ['case_event.id'], ),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalation_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('escalation_due',
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('reached', sa.Integer(), nullable=False),
    sa.Column('due_at', store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], ),
    sa.PrimaryKeyConstraint('milestone_id')
    )
    with op.batch_alter_table('escalation_due', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalation_due_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalation_due_due_at'), ['due_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('escalation_due', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalation_due_due_at'))
        batch_op.drop_index(batch_op.f('ix_escalation_due_complaint_id'))

    op.drop_table('escalation_due')
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalation_complaint_id'))

    op.drop_table('escalation')
