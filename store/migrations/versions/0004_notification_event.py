"""notification.event_id

An inbox entry names the case event it tells of, so the inbox can say who took which step and
when without copying those facts into the notification.

Revision ID: 0004
Revises: 0003
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_notification_event_id_case_event', 'case_event', ['event_id'], ['id']
        )


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint('fk_notification_event_id_case_event', type_='foreignkey')
        batch_op.drop_column('event_id')
