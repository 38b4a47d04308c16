"""attachment files and evidence_blob: evidence the desk keeps, by SHA-256

An attachment was a reference and a free checksum; now the desk keeps the file itself, in the
evidence folder by its SHA-256 or, when small, in `evidence_blob`, and records its hash, size,
media type, the name it came with and where it is kept (`storage`: "file", "inline", or ""
for the references written before this revision). The hash is in the `attach` event too, so
`deskapp audit verify` can tell a changed file or row from the one attached.

Revision ID: 0016
Revises: 0015
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), ''),
    ('size', sa.BigInteger(), '0'),
    ('media_type', sqlmodel.sql.sqltypes.AutoString(length=100), ''),
    ('file_name', sqlmodel.sql.sqltypes.AutoString(length=255), ''),
    ('storage', sqlmodel.sql.sqltypes.AutoString(length=8), ''),
)


def upgrade() -> None:
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        for name, type_, default in _COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=False, server_default=default))
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        for name, _type, _default in _COLUMNS:
            batch_op.alter_column(name, server_default=None)
        batch_op.create_index(batch_op.f('ix_attachment_sha256'), ['sha256'], unique=False)

    op.create_table('evidence_blob',
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )


def downgrade() -> None:
    op.drop_table('evidence_blob')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_sha256'))
        for name, _type, _default in reversed(_COLUMNS):
            batch_op.drop_column(name)
