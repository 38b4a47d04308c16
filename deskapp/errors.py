"""Errors the use cases raise; each message is written for the person at the desk."""

from __future__ import annotations

from dataclasses import dataclass, field


class DeskError(Exception):
    """Base of every refusal a use case can give."""


class NotFound(DeskError):
    pass


class PermissionDenied(DeskError):
    pass


class TransitionError(DeskError):
    """The action is not possible in the case's state, or a guard refused it."""


class InvalidInput(DeskError):
    """Fields that fail validation, keyed by field name, so a form can mark each in place."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {why}" for name, why in problems.items()))


@dataclass(frozen=True)
class Change:
    version: int
    actor: str
    kind: str
    fields: tuple[str, ...] = field(default_factory=tuple)


class ConflictError(DeskError):
    """Somebody saved the case after this writer read it; nothing was written."""

    def __init__(self, number: str, expected: int, current: int, changes: list[Change]) -> None:
        self.number, self.expected, self.current, self.changes = number, expected, current, changes
        who = ", ".join(
            f"{c.actor} ({c.kind}{': ' + ', '.join(c.fields) if c.fields else ''})" for c in changes
        )
        super().__init__(
            f"{number} was changed by {who or 'someone else'} after you opened it "
            f"(version {expected} → {current}); your change was not saved."
        )


def describe(error: BaseException, limit: int = 200) -> str:
    """An error in one line for the status bar: its first non-blank line, else its kind.

    Exceptions can carry an empty message (`RuntimeError()`, many driver errors), a traceback-
    like block, or text from the customer; the person at the desk gets one readable line.
    """
    for line in str(error).splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return type(error).__name__
