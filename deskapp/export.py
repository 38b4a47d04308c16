"""Exports: the cases as CSV or JSON lines, and the audit chain as JSON lines that anyone can
verify without the desk.

Cases are exported with the customer's name, phone and email masked as the desk shows them to
a role without need-to-know; unmasked only for an admin account (`--as`), and that export is
itself an event in the chain (who, when, which period, how many cases). Rows stream in id
order, a batch at a time, so a desk of a million cases exports in constant memory.

The audit export carries each event with the instant exactly as hashed, so its chain can be
checked line by line (`verify_lines`, and the procedure in docs/audit-export.md):

    prev = "0" * 64
    for each line e:
        body = JSON of {actor_id, at, complaint_id, id, kind, payload} with sorted keys,
               separators "," and ":", non-ASCII kept as is (UTF-8)
        check e.prev_hash == prev and sha256(prev + body) == e.hash;  prev = e.hash
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from deskapp import audit
from deskapp.masking import mask_name, mask_phone
from store.engine import read_session
from store.models import CaseEvent, Complaint, Customer, Department, Staff

#: The columns of a case export, in order.
CASE_COLUMNS = (
    "number",
    "received_at",
    "channel",
    "status",
    "category",
    "claim_type",
    "severity",
    "flags",
    "department",
    "first_owner",
    "assignee",
    "customer_name",
    "customer_phone",
    "customer_email",
    "subject",
    "description",
    "demand",
    "order_ref",
    "product_ref",
    "root_cause_category",
    "root_cause",
    "remedy_types",
    "remedy",
    "compensation_amount",
    "satisfaction",
    "satisfaction_comment",
    "escalation_level",
    "reopen_count",
    "source",
    "external_id",
)
BATCH = 2000
#: The event an unmasked export leaves in the chain.
UNMASKED_EVENT = "export_unmasked"


def mask_email(email: str) -> str:
    """`wang.xm@example.com` → `w***@example.com`."""
    local, at, domain = email.strip().partition("@")
    if not at:
        return mask_name(email) if email else ""
    return f"{local[:1]}***@{domain}"


def cases(
    engine: Engine,
    since: datetime | None,
    until: datetime | None,
    *,
    unmasked: bool,
    tz: Any,
) -> Iterator[dict[str, Any]]:
    """The cases received in [since, until), oldest first, one dict per case."""
    with read_session(engine) as s:
        depts = {d.id: d.code for d in s.exec(select(Department)).all()}
        logins = {st.id: st.login for st in s.exec(select(Staff)).all()}
    after = 0
    while True:
        with read_session(engine) as s:
            query = (
                select(Complaint, Customer)
                .join(Customer, col(Customer.id) == col(Complaint.customer_id))
                .where(col(Complaint.id) > after)
            )
            if since is not None:
                query = query.where(col(Complaint.created_at) >= since)
            if until is not None:
                query = query.where(col(Complaint.created_at) < until)
            rows = s.exec(query.order_by(col(Complaint.id)).limit(BATCH)).all()
        if not rows:
            return
        for c, customer in rows:
            after = c.id or after
            yield _case(c, customer, depts, logins, unmasked, tz)


def _case(
    c: Complaint,
    customer: Customer,
    depts: dict[int | None, str],
    logins: dict[int | None, str],
    unmasked: bool,
    tz: Any,
) -> dict[str, Any]:
    name, phone, email = customer.name, customer.phone, customer.email
    if not unmasked:
        name, phone, email = mask_name(name), mask_phone(phone), mask_email(email)
    return {
        "number": c.number,
        "received_at": c.created_at.astimezone(tz).isoformat(timespec="seconds"),
        "channel": c.channel,
        "status": c.status,
        "category": c.category,
        "claim_type": c.claim_type,
        "severity": c.severity,
        "flags": c.flags,
        "department": depts.get(c.primary_dept_id, ""),
        "first_owner": logins.get(c.first_owner_id, ""),
        "assignee": logins.get(c.assignee_id, ""),
        "customer_name": name,
        "customer_phone": phone,
        "customer_email": email,
        "subject": c.subject,
        "description": c.description,
        "demand": c.demand,
        "order_ref": c.order_ref,
        "product_ref": c.product_ref,
        "root_cause_category": c.root_cause_category,
        "root_cause": c.root_cause,
        "remedy_types": c.remedy_types,
        "remedy": c.remedy,
        "compensation_amount": "" if c.compensation_amount is None else str(c.compensation_amount),
        "satisfaction": "" if c.satisfaction is None else c.satisfaction,
        "satisfaction_comment": c.satisfaction_comment,
        "escalation_level": c.escalation_level,
        "reopen_count": c.reopen_count,
        "source": c.source,
        "external_id": c.external_id,
    }


def as_csv(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV text, a header then a line per case (a spreadsheet opens it as UTF-8 with the BOM
    the caller writes first, if it wants one)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CASE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()


def as_jsonl(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"


def record_unmasked(
    engine: Engine, admin_id: int, os_user: str, since: str, until: str, count: int, fmt: str
) -> None:
    """An unmasked export is evidence too: who took the customers' details, when, how many."""
    from store.engine import write_session

    with write_session(engine) as s:
        audit.append(
            s,
            kind=UNMASKED_EVENT,
            actor_id=admin_id,
            payload={
                "os_user": os_user,
                "since": since,
                "until": until,
                "cases": count,
                "format": fmt,
            },
        )


def audit_lines(engine: Engine) -> Iterator[str]:
    """Every event, in chain order, as one JSON line each (see the module docstring)."""
    after = 0
    while True:
        with read_session(engine) as s:
            events = s.exec(
                select(CaseEvent)
                .where(col(CaseEvent.id) > after)
                .order_by(col(CaseEvent.id))
                .limit(BATCH)
            ).all()
        if not events:
            return
        for e in events:
            after = e.id or after
            line = {
                "id": e.id,
                "complaint_id": e.complaint_id,
                "actor_id": e.actor_id,
                "at": audit.instant_text(e.at),
                "kind": e.kind,
                "payload": json.loads(e.payload),
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            yield json.dumps(line, ensure_ascii=False) + "\n"


def verify_lines(lines: Iterable[str]) -> tuple[int, str | None]:
    """(events checked, the first problem or None): the documented procedure, with nothing of
    the desk but Python's json and hashlib, so an auditor can read it and run it."""
    prev = "0" * 64
    checked = 0
    for n, text in enumerate(lines, start=1):
        e = json.loads(text)
        body = json.dumps(
            {k: e[k] for k in ("actor_id", "at", "complaint_id", "id", "kind", "payload")},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        if e["prev_hash"] != prev:
            return checked, f"line {n} (event {e['id']}): does not follow the line before it"
        if hashlib.sha256((prev + body).encode("utf-8")).hexdigest() != e["hash"]:
            return checked, f"line {n} (event {e['id']}): its hash does not match what it says"
        prev = e["hash"]
        checked += 1
    return checked, None
