"""one stored form per phone number, unique per customer; the desk's own identity

Phone numbers are normalised (store.phones) and duplicates that this reveals are merged into
the oldest customer row: complaints move to it, it keeps any e-mail and name it lacked, and each
merge is kept in `customer_merge`; `deskapp db upgrade` then records each as an audit event
(a migration cannot: the hash chain belongs to the rules above the store).
A partial unique index keeps one customer per number from now on ("" stays allowed: imported
customers may have no phone).

`desk_info` holds a random id for this database, so drafts typed on one desk are never offered
on another.

Revision ID: 0006
Revises: 0005
"""
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from store.phones import normal_phone

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NONEMPTY = sa.text("phone <> ''")


def upgrade() -> None:
    op.create_table(
        'desk_info',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('desk_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'customer_merge',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kept_id', sa.Integer(), nullable=False),
        sa.Column('merged_id', sa.Integer(), nullable=False),
        sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('merged_phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('merged_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('merged_email', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('complaints_moved', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['kept_id'], ['customer.id']),
        sa.ForeignKeyConstraint(['event_id'], ['case_event.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    bind = op.get_bind()
    bind.execute(
        sa.text("INSERT INTO desk_info (id, desk_id) VALUES (1, :d)"), {"d": uuid.uuid4().hex}
    )
    _merge_duplicates(bind)
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_phone')
        batch_op.create_index(
            'uq_customer_phone', ['phone'], unique=True,
            sqlite_where=_NONEMPTY, postgresql_where=_NONEMPTY,
        )


def _merge_duplicates(bind: sa.Connection) -> None:
    rows = bind.execute(
        sa.text("SELECT id, name, phone, other_phones, email, tier FROM customer ORDER BY id")
    ).mappings().all()
    kept: dict[str, dict[str, object]] = {}
    for row in rows:
        phone = normal_phone(str(row["phone"]))
        first = kept.get(phone) if phone else None
        if first is None:
            if phone:
                kept[phone] = dict(row)
            if phone != row["phone"]:
                bind.execute(
                    sa.text("UPDATE customer SET phone = :p WHERE id = :id"),
                    {"p": phone, "id": row["id"]},
                )
            continue
        moved = bind.execute(
            sa.text("UPDATE complaint SET customer_id = :k WHERE customer_id = :m"),
            {"k": first["id"], "m": row["id"]},
        ).rowcount
        others = [p for p in str(first["other_phones"]).split() if p]
        if row["phone"] not in others and row["phone"] != phone:
            others.append(str(row["phone"]))
        first["other_phones"] = " ".join(others)[:200]
        first["email"] = first["email"] or row["email"]
        first["name"] = first["name"] or row["name"]
        if row["tier"] == "vip":
            first["tier"] = "vip"
        bind.execute(
            sa.text(
                "UPDATE customer SET other_phones = :o, email = :e, name = :n, tier = :t"
                " WHERE id = :id"
            ),
            {
                "o": first["other_phones"], "e": first["email"], "n": first["name"],
                "t": first["tier"], "id": first["id"],
            },
        )
        bind.execute(
            sa.text(
                "INSERT INTO customer_merge (kept_id, merged_id, phone, merged_phone, merged_name,"
                " merged_email, complaints_moved) VALUES (:k, :m, :p, :mp, :mn, :me, :c)"
            ),
            {
                "k": first["id"], "m": row["id"], "p": phone, "mp": row["phone"],
                "mn": row["name"], "me": row["email"], "c": moved,
            },
        )
        bind.execute(sa.text("DELETE FROM customer WHERE id = :id"), {"id": row["id"]})


def downgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('uq_customer_phone')
        batch_op.create_index('ix_customer_phone', ['phone'], unique=False)
    op.drop_table('customer_merge')
    op.drop_table('desk_info')
