"""drop script_template: scripts are TOML files (shipped, overridden from the config directory)

The table was created for deployment overrides of the scripts but nothing ever read or wrote
it; the overrides live in `<config>/scripts/*.toml`, where an admin edits them with the same
checks as the shipped ones (`deskapp.scripts`). A table nobody reads is a second place to look.

Revision ID: 0007
Revises: 0006
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('script_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_script_template_stage'))
    op.drop_table('script_template')


def downgrade() -> None:
    op.create_table(
        'script_template',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('severity', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('script_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_script_template_stage'), ['stage'], unique=False)
