"""staff.language: the language a person's desk speaks once they have signed in

Empty means: follow the terminal (`run --lang`, the config, the locale). Set with
`deskapp user add|set --lang zh|en`.

Revision ID: 0010
Revises: 0009
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default='')
        )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.alter_column('language', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('language')
