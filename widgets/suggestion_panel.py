"""Triage suggestions with their reasons, and which of them the form now differs from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widgets import Static

from deskapp.display import one_line
from deskapp.domain import Category, ClaimType, RiskFlag, Severity
from deskapp.i18n import enum_label, field_label
from deskapp.triage import Suggestions
from deskapp.triage_review import Choice

Translate = Callable[..., str]
_ENUMS: dict[str, type[Category] | type[Severity] | type[ClaimType]] = {
    "category": Category,
    "severity": Severity,
    "claim_type": ClaimType,
}


@dataclass(frozen=True)
class SuggestionLine:
    label: str
    value: str
    reasons: str
    #: The form's value when it differs from the suggestion, else None.
    overridden_by: str | None = None


class SuggestionPanel(Static):
    DEFAULT_CSS = """
    SuggestionPanel { height: auto; border: round $warning; padding: 0 1; }
    """

    def show(self, lines: list[SuggestionLine], footer: str) -> None:
        text = Text()
        for line in lines:  # reasons quote the customer's words: made visible
            text.append(f"{line.label}: ", style="bold")
            style = "bold strike" if line.overridden_by else "bold green"
            text.append(one_line(line.value), style=style)
            if line.overridden_by:
                text.append(f" → {one_line(line.overridden_by)}", style="bold yellow")
            text.append("\n")
            if line.reasons:
                text.append(f"  {one_line(line.reasons)}\n", style="dim")
        text.append(footer, style="italic")
        self.update(text)

    def show_found(
        self,
        found: Suggestions,
        shown: Choice,
        *,
        departments: Mapping[str, str],
        lang: str,
        t: Translate,
        footer: str,
    ) -> None:
        """The rules' judgement field by field, with its first reasons, each struck through
        and followed by the form's value where the form differs."""
        chosen, suggested = shown.as_strings(), Choice.suggested(found).as_strings()
        sep = "；" if lang == "zh" else "; "

        def show(key: str, value: str) -> str:
            """A form value (as `Choice.as_strings` holds it) as the person reads it."""
            if key == "department":
                return departments.get(value, t("common.none"))
            if key == "flags":
                names = " ".join(enum_label(RiskFlag(f), lang) for f in value.split())
                return names or t("common.none")
            return enum_label(_ENUMS[key](value), lang) if value else ""

        reasons = {
            "category": found.category.reasons,
            "severity": found.severity.reasons,
            "department": found.department.reasons,
            "flags": found.flags.reasons,
            "claim_type": found.claim_type.reasons,
        }
        lines = []
        for key, why in reasons.items():
            because = sep.join(first_reasons([r.text(lang) for r in why], t))
            lines.append(
                SuggestionLine(
                    field_label("primary_dept_id" if key == "department" else key, lang),
                    show(key, suggested[key]),
                    t("intake.suggest.because", reasons=because) if because else "",
                    show(key, chosen[key]) if chosen[key] != suggested[key] else None,
                )
            )
        self.show(lines, footer)

    def show_empty(self, message: str) -> None:
        self.update(Text(message, style="dim italic"))


def first_reasons(texts: list[str], t: Any, most: int = 2) -> list[str]:
    """The first distinct reasons, and how many more: enough to trust, short enough to read."""
    distinct = list(dict.fromkeys(texts))
    if len(distinct) <= most:
        return distinct
    return [*distinct[:most], t("intake.suggest.more", count=len(distinct) - most)]
