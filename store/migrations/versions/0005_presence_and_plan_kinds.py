"""case presence; remedy types and root-cause category on the complaint

The case screen shows who else has a case open (a row stamped every few seconds). A plan names
its kinds of remedy and the root cause its category, so monthly analysis can count them.

Revision ID: 0005
Revises: 0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'case_presence',
        sa.Column('complaint_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('seen_at', store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id']),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id']),
        sa.PrimaryKeyConstraint('complaint_id', 'staff_id'),
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remedy_types', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('root_cause_category', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False, server_default=''))
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.alter_column('remedy_types', server_default=None)
        batch_op.alter_column('root_cause_category', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_column('root_cause_category')
        batch_op.drop_column('remedy_types')
    op.drop_table('case_presence')
