"""desk_info.seals_began_event: where the row seals begin

From this revision every transaction that writes a complaint, customer, note, milestone,
staff member, department, attachment or assisting department seals the rows in the audit
chain (deskapp.seals). The rows already there are sealed once by a baseline that
`deskapp db upgrade` writes after the migrations (it needs the audit chain, which lives above
the store); this column says that the baseline has been written, and where.

Revision ID: 0011
Revises: 0010
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('desk_info', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seals_began_event', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('desk_info', schema=None) as batch_op:
        batch_op.drop_column('seals_began_event')
