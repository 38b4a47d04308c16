"""complaint.source and complaint.external_id: imported cases are imported once

`deskapp import` records where each case came from (a mapping's source name) and its id
there; the partial unique index makes a second import of the same file add nothing, also when
two imports run at once. Cases registered on the desk keep both empty and are not indexed.

Revision ID: 0009
Revises: 0008
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default='')
        )
        batch_op.add_column(
            sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False, server_default='')
        )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.alter_column('source', server_default=None)
        batch_op.alter_column('external_id', server_default=None)
    op.create_index(
        'uq_complaint_source_external',
        'complaint',
        ['source', 'external_id'],
        unique=True,
        sqlite_where=sa.text("external_id <> ''"),
        postgresql_where=sa.text("external_id <> ''"),
    )


def downgrade() -> None:
    op.drop_index(
        'uq_complaint_source_external',
        table_name='complaint',
        sqlite_where=sa.text("external_id <> ''"),
        postgresql_where=sa.text("external_id <> ''"),
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_column('external_id')
        batch_op.drop_column('source')
