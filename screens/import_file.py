"""F8 (supervisors, admins): import complaints from a file, as `deskapp import` does.

The person types the file's path, checks it with a dry run (ctrl+t: counts, the first bad
records, a sample) and imports it (ctrl+r), watching a progress bar. The import runs in a
thread worker through `deskapp.importing.import_as`, which checks the `import` permission
again; the progress it reports reaches the bar through `call_from_thread`. Everything read
from the file is shown as plain text (`one_line`).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Checkbox, ProgressBar, Static

from deskapp.context import DeskContext
from deskapp.display import one_line
from deskapp.domain import Status
from deskapp.i18n import enum_label
from deskapp.importing import ImportFailed, ImportOptions, ImportReport, import_as
from screens.base import DeskScreen
from widgets.safe_input import SafeInput

#: Bad records and sample cases listed on screen.
SHOWN = 5


class ImportScreen(DeskScreen):
    DEFAULT_CSS = """
    ImportScreen #import-body { height: 1fr; padding: 0 1; }
    ImportScreen #import-title { height: 1; background: $boost; padding: 0 1; }
    ImportScreen #import-options { height: auto; layout: horizontal; }
    ImportScreen ProgressBar { margin: 1 0; }
    ImportScreen #import-result { height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+t", "dry_run", "Dry run", id="import.dry_run"),
        Binding("ctrl+r", "run_import", "Import", id="import.run"),
        Binding("escape", "back", "Back", id="import.back"),
    ]

    def __init__(self, ctx: DeskContext, path: str = "") -> None:
        super().__init__(ctx)
        self.initial_path = path
        self.busy = False
        self.report: ImportReport | None = None

    def compose(self) -> ComposeResult:
        t = self.ctx.t
        yield from self.compose_frame()
        yield Static(Text(t("import.title")), id="import-title")
        with Vertical(id="import-body"):
            yield Static(Text(t("import.path")))
            yield SafeInput(self.initial_path, id="import-path")
            with Vertical(id="import-options"):
                yield Checkbox(t("import.all_or_nothing"), id="import-all-or-nothing")
            self.bar = ProgressBar(total=None, show_eta=False, id="import-progress")
            yield self.bar
            self.result = Static("", id="import-result", markup=False)
            yield self.result

    def on_mount(self) -> None:
        self.query_one("#import-path", SafeInput).focus()

    def action_dry_run(self) -> None:
        self._start(dry_run=True)

    def action_run_import(self) -> None:
        self._start(dry_run=False)

    def action_back(self) -> None:
        if not self.busy:
            self.app.pop_screen()

    def _start(self, *, dry_run: bool) -> None:
        if self.busy:
            return
        path = self.query_one("#import-path", SafeInput).value.strip()
        if not path:
            self.result.update(Text(self.ctx.t("import.no_path")))
            return
        all_or_nothing = self.query_one("#import-all-or-nothing", Checkbox).value
        self.busy = True
        self.bar.update(total=None, progress=0)
        self.result.update(Text(self.ctx.t("import.running")))
        options = ImportOptions(dry_run=dry_run, all_or_nothing=all_or_nothing)
        self._run(Path(path).expanduser(), options)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def _run(self, path: Path, options: ImportOptions) -> None:
        def progress(phase: str, done: int, total: int) -> None:
            if phase == "writing" and total:
                self.app.call_from_thread(self.bar.update, total=total, progress=done)

        try:
            report = import_as(self.ctx.desk, self.ctx.me, path, options, progress)
        except (ImportFailed, OSError) as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        finally:
            self.app.call_from_thread(setattr, self, "busy", False)
        self.app.call_from_thread(self._show, report)

    def _failed(self, message: str) -> None:
        self.bar.update(total=1, progress=0)
        self.result.update(Text(self.ctx.t("import.failed", message=one_line(message))))

    def _show(self, r: ImportReport) -> None:
        t, tz = self.ctx.t, self.ctx.desk.settings.tz
        self.report = r
        total = max(r.would_import, 1)
        self.bar.update(total=total, progress=total if not r.refused else 0)
        lines = [
            t(
                "import.read",
                file=one_line(Path(r.file).name),
                records=r.records,
                encoding=r.encoding,
                dates=r.date_format or "–",
                mapping=r.mapping,
            ),
            t(
                "import.would" if r.dry_run else "import.done",
                count=r.would_import if r.dry_run else r.imported,
                open=r.open_cases,
                closed=r.closed_cases,
                already=r.already,
                bad=len(r.bad),
            ),
        ]
        if r.refused:
            lines.append(t("import.refused"))
        lines += [t("import.bad", line=b.line, reason=one_line(b.reason)) for b in r.bad[:SHOWN]]
        if r.dry_run:
            for case in r.sample:
                received = case.received_at.astimezone(tz).date().isoformat()
                lines.append(
                    f"  {case.line}: {one_line(case.external_id)} · {received} · "
                    f"{enum_label(Status.CLOSED if case.closed else Status.NEW, self.ctx.lang)} · "
                    f"{one_line(case.subject)[:50]}"
                )
        self.result.update(Text("\n".join(lines)))
