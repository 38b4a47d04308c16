"""One event hash: the body a bulk writer puts together from parts it already has is the
canonical JSON of the event, so the chain it writes verifies like the use cases' own."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from deskapp import audit
from store.models import CaseEvent

ids = st.none() | st.integers(min_value=0, max_value=2**53)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
payloads = st.dictionaries(st.text(), json_values, max_size=5)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
)


@given(ids, ids, ids, instants, st.text(min_size=1), payloads)
def test_the_body_is_the_canonical_json_of_the_event(
    event_id: int | None,
    complaint_id: int | None,
    actor_id: int | None,
    at: datetime,
    kind: str,
    payload: dict[str, Any],
) -> None:
    body = audit.event_body(
        event_id, complaint_id, actor_id, audit.instant_text(at), kind, audit.dumps(payload)
    )
    whole = {
        "id": event_id,
        "complaint_id": complaint_id,
        "actor_id": actor_id,
        "at": at.isoformat(timespec="microseconds"),
        "kind": kind,
        "payload": payload,
    }
    assert body == audit.dumps(whole)
    assert audit.payload_text(body) == audit.dumps(payload)


@given(payloads)
def test_the_fast_encoder_writes_what_dumps_writes(payload: dict[str, Any]) -> None:
    assert audit.canonical_encoder()(payload) == audit.dumps(payload)


def test_a_stored_event_hashes_as_its_parts() -> None:
    at = datetime(2026, 11, 23, 2, 0, tzinfo=UTC) + timedelta(microseconds=7)
    payload = {"note": "客户来电 ☎", "n": 1}
    event = CaseEvent(
        id=9,
        complaint_id=3,
        actor_id=None,
        at=at,
        kind="note",
        payload=json.dumps(payload),  # not canonical as stored: the hash re-encodes it
        prev_hash=audit.GENESIS,
        hash="",
    )
    body = audit.event_body(9, 3, None, audit.instant_text(at), "note", audit.dumps(payload))
    assert audit.event_hash(event) == audit.chain_hash(audit.GENESIS, body)
    assert audit.event_hash(event) != audit.chain_hash("1" * 64, body)
