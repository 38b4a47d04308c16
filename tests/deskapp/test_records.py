"""Each record copies its table: a column added to the store is either read or named as left
out on purpose, never silently missing from what screens see."""

from __future__ import annotations

from dataclasses import fields

import pytest

from deskapp.records import COPIES


@pytest.mark.parametrize("record", list(COPIES), ids=lambda r: r.__name__)
def test_a_record_has_every_column_of_its_table_but_those_left_out(record: type) -> None:
    table, left_out = COPIES[record]
    columns = set(table.__table__.columns.keys())
    assert {f.name for f in fields(record)} == columns - left_out
    assert left_out <= columns  # nothing named as left out that does not exist
