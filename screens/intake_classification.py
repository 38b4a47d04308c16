"""The intake form's classification controls in the triage rules' terms (`Choice`), and the
rules applied to them: every field the agent has not set by hand follows the rules' judgement
(`deskapp.triage_review.follow`); F5 takes the whole judgement back.

The controls stay the form's (they are composed and laid out by `IntakeScreen`); this holds
only what the form last filled in and how a `Choice` is read from and written to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from textual.widget import Widget
from textual.widgets import Select, SelectionList

from deskapp import triage
from deskapp.cases import DepartmentInfo
from deskapp.triage_review import Choice, follow


class ClassificationFields:
    def __init__(self, filled: Choice) -> None:
        #: What the rules last filled in (a field that differs from it was set by hand).
        self.filled = filled
        self.departments: list[DepartmentInfo] = []
        self._controls: Mapping[str, Widget] = {}

    def attach(self, controls: Mapping[str, Widget]) -> None:
        self._controls = controls

    def _value(self, name: str) -> Any:
        value = self._controls[name].value  # type: ignore[attr-defined]
        return None if value is Select.NULL else value

    def _flags(self) -> SelectionList[str]:
        flags = self._controls["flags"]
        assert isinstance(flags, SelectionList)
        return flags

    def shown(self) -> Choice:
        """The form's classification now."""
        dept = self._value("primary_dept_id")
        return Choice(
            category=self._value("category") or "",
            claim_type=self._value("claim_type") or "",
            severity=self._value("severity") or "",
            department=next((d.code for d in self.departments if d.id == dept), ""),
            flags=frozenset(self._flags().selected),
        )

    def show(self, choice: Choice, shown: Choice) -> None:
        """Set the controls that differ (each set posts one Changed, nothing else)."""
        for name in ("category", "claim_type", "severity"):
            if getattr(choice, name) != getattr(shown, name):
                self._controls[name].value = getattr(choice, name)  # type: ignore[attr-defined]
        if choice.department != shown.department:
            dept = next((d.id for d in self.departments if d.code == choice.department), None)
            select = self._controls["primary_dept_id"]
            assert isinstance(select, Select)
            if dept is not None:
                select.value = dept
            elif not choice.department:
                select.clear()
        flags = self._flags()
        for flag in choice.flags - shown.flags:
            flags.select(flag)
        for flag in shown.flags - choice.flags:
            flags.deselect(flag)

    def follow(self, found: triage.Suggestions) -> Choice:
        """New judgement from the rules: fill every field the agent has not set by hand."""
        shown = self.shown()
        if not self.departments:  # the list has not loaded: leave the department for later
            found = replace(found, department=triage.Suggestion(shown.department or None, ()))
        after = follow(found, shown, self.filled)
        self.filled = after.filled
        self.show(after.shown, shown)
        return after.shown

    def accept(self, found: triage.Suggestions) -> Choice:
        """The rules' judgement on every field; the agent's own choices are dropped."""
        shown = self.shown()
        wanted = Choice.suggested(found)
        if not self.departments:
            wanted = replace(wanted, department=shown.department)
        self.filled = wanted
        self.show(wanted, shown)
        return wanted
