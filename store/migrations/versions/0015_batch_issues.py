"""batch_key, batch_issue, batch_member: batch issues (批量问题) found as complaints arrive

Each complaint's keys (its product, order batch, category and keyword) are recorded so that one
index range counts a key's complaints within the window; a batch issue opens when enough share
one, and later ones join it. Complaints registered before this revision have no keys: batches
form from the complaints registered after it.

Revision ID: 0015
Revises: 0014
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('batch_key',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('at', store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ),
    sa.PrimaryKeyConstraint('key', 'complaint_id')
    )
    with op.batch_alter_table('batch_key', schema=None) as batch_op:
        batch_op.create_index('ix_batch_key_key_at', ['key', 'at'], unique=False)

    op.create_table('batch_issue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('opened_at', store.types.UTCDateTime(), nullable=False),
    sa.Column('last_at', store.types.UTCDateTime(), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['case_event.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('batch_issue', schema=None) as batch_op:
        batch_op.create_index('ix_batch_issue_key_last', ['key', 'last_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_batch_issue_last_at'), ['last_at'], unique=False)

    op.create_table('batch_member',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch_issue.id'], ),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ),
    sa.PrimaryKeyConstraint('batch_id', 'complaint_id')
    )
    with op.batch_alter_table('batch_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_batch_member_complaint_id'), ['complaint_id'], unique=False)

    # The monthly analysis reads promises by when they came due and rungs by when they came.
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.create_index('ix_milestone_due_at', ['due_at'], unique=False)
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.create_index('ix_escalation_at', ['at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_index('ix_escalation_at')
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_index('ix_milestone_due_at')
    with op.batch_alter_table('batch_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_batch_member_complaint_id'))

    op.drop_table('batch_member')
    with op.batch_alter_table('batch_issue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_batch_issue_last_at'))
        batch_op.drop_index('ix_batch_issue_key_last')

    op.drop_table('batch_issue')
    with op.batch_alter_table('batch_key', schema=None) as batch_op:
        batch_op.drop_index('ix_batch_key_key_at')

    op.drop_table('batch_key')
