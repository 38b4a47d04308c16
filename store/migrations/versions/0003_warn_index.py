"""the at-risk index

Alerts find the cases that turned at risk since the last poll by a range on `next_warn_at`
across the desk (a few rows), instead of re-reading every open case of the person each poll.

Revision ID: 0003
Revises: 0002
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_complaint_open_next_warn', 'complaint', ['is_open', 'next_warn_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_complaint_open_next_warn', table_name='complaint')
