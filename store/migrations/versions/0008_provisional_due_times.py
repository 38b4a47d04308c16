"""milestone.provisional: a due time that reaches past its calendar's holiday data

Past the last day a business calendar knows holidays for, the desk still gives due times, from
the calendar's weekly hours alone; this marks them so that the queue and the case screen can
say so ("~2d 03h") and the desk can work them out again once the year's holidays are added.

Revision ID: 0008
Revises: 0007
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('provisional', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.alter_column('provisional', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_column('provisional')
