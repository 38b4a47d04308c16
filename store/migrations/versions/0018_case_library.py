"""case_library: closed cases, searchable without word segmentation (案例库)

One row per closed case with its subject, root cause, remedy and satisfaction, and `body`, the
searchable text in `store.library.search_text`'s form. The index is the backend's own: on
SQLite an FTS5 table with the trigram tokenizer over `body` (external content, kept by
triggers), on PostgreSQL a pg_trgm GIN index. The cases closed before this revision are
entered here.

Revision ID: 0018
Revises: 0017
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types


revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: SQLite's search index and the triggers that keep it in step with `case_library`.
SQLITE_INDEX = (
    "CREATE VIRTUAL TABLE case_library_fts USING fts5("
    "body, content='case_library', content_rowid='complaint_id', tokenize='trigram')",
    "CREATE TRIGGER case_library_ai AFTER INSERT ON case_library BEGIN "
    "INSERT INTO case_library_fts(rowid, body) VALUES (new.complaint_id, new.body); END",
    "CREATE TRIGGER case_library_ad AFTER DELETE ON case_library BEGIN "
    "INSERT INTO case_library_fts(case_library_fts, rowid, body) "
    "VALUES ('delete', old.complaint_id, old.body); END",
    "CREATE TRIGGER case_library_au AFTER UPDATE ON case_library BEGIN "
    "INSERT INTO case_library_fts(case_library_fts, rowid, body) "
    "VALUES ('delete', old.complaint_id, old.body); "
    "INSERT INTO case_library_fts(rowid, body) VALUES (new.complaint_id, new.body); END",
)
POSTGRES_INDEX = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_case_library_body_trgm ON case_library USING gin (body gin_trgm_ops)",
)


def upgrade() -> None:
    op.create_table('case_library',
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('closed_at', store.types.UTCDateTime(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('root_cause_category', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('root_cause', sa.Text(), nullable=False),
    sa.Column('remedy', sa.Text(), nullable=False),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ),
    sa.PrimaryKeyConstraint('complaint_id')
    )
    with op.batch_alter_table('case_library', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_library_closed_at'), ['closed_at'], unique=False)
    bind = op.get_bind()
    for statement in SQLITE_INDEX if bind.dialect.name == "sqlite" else POSTGRES_INDEX:
        op.execute(statement)

    from sqlmodel import Session

    from store import library

    with Session(bind=bind) as session:
        library.rebuild(session)
        session.flush()


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("case_library_ai", "case_library_ad", "case_library_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS case_library_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_case_library_body_trgm")
    with op.batch_alter_table('case_library', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_library_closed_at'))
    op.drop_table('case_library')
