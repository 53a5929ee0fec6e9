"""Import and export from the command palette (and ctrl+o / ctrl+e).

The file work runs on a thread worker; the result comes back as a message.
An import can be tried first (a dry run showing what would be added, changed
and left alone, with warnings), then confirmed: the confirmation writes the
very plan the dry run read and showed, without reading the file again; if
the file changed in between, a warning says so. A refused import writes
nothing (the importer guarantees it) and the notification says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message
from textual.worker import Worker

from ..domain.text import printable
from ..domain.words import counted
from .db import run_db
from .host import HostApp
from .messages import DataMessage

if TYPE_CHECKING:
    from ..services import Orchestrator
    from ..services.importers import ExportReport, ImportReport
    from ..services.importers.common import ParsedImport
    from .modals.transfer import TransferRequest

IMPORT_REFUSED = "Import refused: nothing was written"
EXPORT_FAILED = "Export failed: no file was written"
SOURCE_CHANGED = "Imported what you saw"


class Imported(DataMessage):
    """An import (or its dry run) finished: what it wrote or would write."""

    request: TransferRequest
    report: ImportReport
    #: a dry run's plan, written as it is if the person confirms
    parsed: ParsedImport | None = None


class Exported(DataMessage):
    """An export finished: what was written where."""

    report: ExportReport


class TransferActions(HostApp):
    """Part of the app: importing and exporting from the keyboard."""

    last_import_path: str = ""
    last_export_path: str = ""

    def _app(self) -> HostApp:
        return self

    def _usable(self) -> bool:
        if not self.is_ready:
            self._app().notify("the database is not open yet", severity="warning")
            return False
        return True

    def _transfer(
        self, call: Callable[[Orchestrator], Message], title: str, name: str
    ) -> Worker[None]:
        """Run `call` on a thread; post its message, or a notification titled `title`."""
        return run_db(self._app(), call, lambda message: message, group="transfer", title=title)

    # -- import --------------------------------------------------------------

    def action_import_tasks(self) -> None:
        """Ask for a file or folder (and a format), then import it."""
        from ..services.importers.formats import FORMATS
        from .modals.transfer import ImportDialog

        if self._usable():
            described = [(f.name, f.summary) for f in FORMATS]
            dialog = ImportDialog(described, self._import_call, self.last_import_path)
            self._app().push_screen(dialog, self._transferred)

    def _transferred(self, message: Message | None) -> None:
        """What the dialog's work made (None: the person cancelled)."""
        if isinstance(message, Imported):
            self.on_imported(message)
        elif isinstance(message, Exported):
            self.on_exported(message)

    def _import_call(self, request: TransferRequest) -> Callable[[Orchestrator], Message]:
        """Import (or with `request.dry_run`, only report): the call for a worker."""
        from ..services.importers import load_import, read_import

        self.last_import_path = request.path

        def call(orch: Orchestrator) -> Message:
            parsed = read_import(request.path, request.fmt, fingerprint=request.dry_run)
            report = load_import(orch, parsed, dry_run=request.dry_run)
            return Imported(request, report, parsed if request.dry_run else None)

        return call

    def import_shown(self, request: TransferRequest, parsed: ParsedImport) -> Worker[None]:
        """Write the plan a dry run read and showed, as it is, on a thread worker."""
        from ..services.importers import load_import

        def call(orch: Orchestrator) -> Message:
            return Imported(request, load_import(orch, parsed))

        return self._transfer(call, IMPORT_REFUSED, "import")

    def on_imported(self, message: Imported) -> None:
        from .modals.transfer import ImportReportScreen, TransferRequest

        app, report, parsed = self._app(), message.report, message.parsed
        if report.dry_run:

            def confirmed(yes: bool | None) -> None:
                if yes and parsed is not None:
                    self.import_shown(TransferRequest(message.request.path, report.format), parsed)

            app.push_screen(ImportReportScreen(report), confirmed)
            return
        self.poke_feed()
        if report.source_changed:
            app.notify(
                printable(
                    f"{report.origin} changed after the dry run; the plan you saw was "
                    "imported, not the new contents (import again to see them)"
                ),
                title=SOURCE_CHANGED,
                severity="warning",
                markup=False,
            )
        if report.warnings or report.notices:
            app.push_screen(ImportReportScreen(report))
        else:
            app.notify(printable(report.summary()), title="Imported", markup=False)

    # -- export --------------------------------------------------------------

    def action_export_tasks(self) -> None:
        """Ask for a file and a format, then write every task to it."""
        from ..services.importers import EXPORT_FORMATS
        from .modals.transfer import ExportDialog

        if self._usable():
            dialog = ExportDialog(EXPORT_FORMATS, self._export_call, self.last_export_path)
            self._app().push_screen(dialog, self._transferred)

    def _export_call(self, request: TransferRequest) -> Callable[[Orchestrator], Message]:
        """Write every task to `request.path`: the call for a worker."""
        from ..services.importers import export_path

        self.last_export_path = request.path
        return lambda orch: Exported(export_path(orch, request.path, request.fmt))

    def on_exported(self, message: Exported) -> None:
        report = message.report
        text = printable(report.summary())
        if report.warnings:
            text += f" ({counted(len(report.warnings), 'warning')}: " + printable(
                report.warnings[0]
            )
            text += " …)" if len(report.warnings) > 1 else ")"
        self._app().notify(text, title="Exported", markup=False)
