"""Dialogs for import and export: where from or to, which format, and the
report of what an import changes (or would change). Paths, warnings and
errors come from files a person did not write: they are shown as `Text`,
never parsed as markup."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from ...domain.text import printable
from ...domain.words import counted
from ..db import EXPECTED_ERRORS, for_people, run_db
from ..messages import DataMessage
from ..style_sheets import DIALOG_STYLES
from ..transfer import EXPORT_FAILED, IMPORT_REFUSED

if TYPE_CHECKING:
    from ...services import Orchestrator
    from ...services.importers import ImportReport

DETECT = "detect"
MAX_LISTED = 200


@dataclass(frozen=True)
class TransferRequest:
    """What the person asked for: a path, a format (None: detect), a dry run first."""

    path: str
    fmt: str | None
    dry_run: bool = False


#: What a dialog does with the request: the call to run with the orchestrator
#: (on a thread), whose message the dialog is dismissed with.
Work = Callable[[TransferRequest], Callable[["Orchestrator"], Message]]


def expand(path: str) -> str:
    return str(Path(path).expanduser())


class _Done(DataMessage):
    """The dialog's work finished: its message, or why it was refused."""

    result: Message | None
    refusal: str = ""


class _PathDialog(ModalScreen[Message | None]):
    """A path, a format, and OK / Cancel. OK runs the work; a refusal (no such
    folder, a file that cannot be read or written) is shown here, the path kept
    to be corrected, and the dialog closes only when the work is done."""

    CSS_PATH = DIALOG_STYLES

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="transfer.cancel")
    ]
    TITLE_TEXT = ""
    MESSAGE = ""
    OK_LABEL = "OK"
    DETECT_FROM = "file"
    WORKING = "working…"
    REFUSED = "refused"
    #: Under this many lines the fields and buttons are drawn compact (a line each, no
    #: border), so that the buttons and a refusal of two lines fit on 80x24.
    SHORT_BELOW = 30

    def __init__(self, formats: tuple[str, ...], work: Work, initial: str = "") -> None:
        super().__init__(classes="prompt transfer")
        self.formats = formats
        self.initial = initial
        self.work = work
        self.working = False

    def compose(self) -> ComposeResult:
        options = [(f"detect from the {self.DETECT_FROM}", DETECT)] + [
            (self.option_label(f), f) for f in self.formats
        ]
        with Vertical(id="dialog"):
            yield Label(Text(self.TITLE_TEXT), id="dialog-title")
            yield Static(Text(self.MESSAGE), id="dialog-message")
            yield Input(value=self.initial, placeholder="path", id="transfer-path")
            yield Select(options, value=DETECT, allow_blank=False, id="transfer-format")
            yield from self.extra()
            yield Static(Text(""), id="dialog-error")
            with Horizontal(id="dialog-buttons"):
                yield Button(self.OK_LABEL, variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def extra(self) -> ComposeResult:
        yield from ()

    def option_label(self, fmt: str) -> str:
        return fmt

    def on_mount(self) -> None:
        self._fit(self.app.size.height)
        self.query_one("#transfer-path", Input).focus()

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.height)

    def _fit(self, height: int) -> None:
        for field in self.query("Input, Select, Checkbox, Button"):
            field.compact = height < self.SHORT_BELOW  # type: ignore[attr-defined]

    def request(self, path: str, fmt: str | None) -> TransferRequest:
        return TransferRequest(path, fmt)

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _submit(self) -> None:
        path = self.query_one("#transfer-path", Input).value.strip()
        if not path:
            self.query_one("#dialog-error", Static).update(Text("give a path"))
            return
        if self.working:
            return
        value = self.query_one("#transfer-format", Select).value
        fmt = None if value == DETECT or not isinstance(value, str) else value
        call = self.work(self.request(expand(path), fmt))

        def attempt(orch: Orchestrator) -> _Done:
            try:
                return _Done(call(orch))
            except EXPECTED_ERRORS as exc:  # the person can fix it: said here
                return _Done(None, str(for_people(exc)))

        self.working = True
        self.query_one("#dialog-error", Static).update(Text(self.WORKING))
        run_db(
            self,
            attempt,
            lambda done: done,
            group="transfer",
            title=self.REFUSED,
            failed=lambda exc: _Done(None, str(for_people(exc))),  # (and notified: a bug)
        )

    @on(_Done)
    def _done(self, message: _Done) -> None:
        self.working = False
        if message.result is not None:
            self.dismiss(message.result)
            return
        refusal = Text(f"{self.REFUSED}: ", "bold")
        refusal.append(printable(message.refusal))
        self.query_one("#dialog-error", Static).update(refusal)
        self.query_one("#transfer-path", Input).focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.working:  # a file is half way through being read or written
            self.query_one("#dialog-error", Static).update(Text(f"{self.WORKING} (wait)"))
            return
        self.dismiss(None)


class ImportDialog(_PathDialog):
    """`formats` are (name, what it is) pairs, from the importers' registry."""

    TITLE_TEXT = "Import file or folder"
    MESSAGE = (
        "A file or folder; its format is detected, or choose one below. All or nothing: "
        "if anything in it is wrong, nothing is written. Importing the same source again "
        "updates its tasks."
    )
    OK_LABEL = "Import"
    WORKING = "reading…"
    REFUSED = IMPORT_REFUSED

    def __init__(self, formats: Sequence[tuple[str, str]], work: Work, initial: str = "") -> None:
        super().__init__(tuple(name for name, _ in formats), work, initial)
        self.summaries = dict(formats)

    def option_label(self, fmt: str) -> str:
        return f"{fmt}: {self.summaries[fmt]}"

    def extra(self) -> ComposeResult:
        yield Checkbox("Show what would change first (dry run)", True, id="transfer-dry-run")

    def request(self, path: str, fmt: str | None) -> TransferRequest:
        return TransferRequest(path, fmt, self.query_one("#transfer-dry-run", Checkbox).value)


class ExportDialog(_PathDialog):
    TITLE_TEXT = "Export tasks"
    MESSAGE = (
        "Every task to one file, replaced atomically: json (ours, complete), yaml (a plan "
        "file) or task-master; or to a Backlog.md folder (backlog). Detected from the name: "
        "tasks.json is task-master, *.json ours, *.yaml a plan."
    )
    OK_LABEL = "Export"
    DETECT_FROM = "file name"
    WORKING = "exporting…"
    REFUSED = EXPORT_FAILED


def report_text(report: ImportReport) -> Text:
    """The import report: the summary, then every warning and how many notices."""
    text = Text(printable(report.summary()), end="")
    if report.dry_run:
        text.append("\nNothing has been written yet.", "bold")
    if report.warnings:
        text.append(f"\n\n{counted(len(report.warnings), 'warning')}", "bold")
        for line in report.warnings[:MAX_LISTED]:
            text.append(f"\n• {printable(line)}")
        if len(report.warnings) > MAX_LISTED:
            text.append(f"\n… and {len(report.warnings) - MAX_LISTED} more")
    if report.notices:
        text.append(f"\n\n{counted(len(report.notices), 'notice')} (skipped files)", "bold")
        for line in report.notices[:MAX_LISTED]:
            text.append(f"\n• {printable(line)}")
    return text


class ImportReportScreen(ModalScreen[bool]):
    """What an import changed, or (a dry run) would change: import it (y) or not (n)."""

    CSS_PATH = DIALOG_STYLES

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Import", id="import_report.yes"),
        Binding("n,escape", "answer(False)", "Close", id="import_report.no"),
    ]

    def __init__(self, report: ImportReport) -> None:
        super().__init__(classes="prompt transfer")
        self.report = report
        # What would change is read from the database: a reset closes it (`ui.reset`).
        self.about_rows: str | None = f"Import {report.origin}" if report.dry_run else None

    def compose(self) -> ComposeResult:
        title = "Import: what would change" if self.report.dry_run else "Imported"
        with Vertical(id="dialog"):
            yield Label(Text(title), id="dialog-title")
            with VerticalScroll(id="transfer-report"):
                yield Static(report_text(self.report), id="dialog-message")
            with Horizontal(id="dialog-buttons"):
                if self.report.dry_run:
                    yield Button("Import (y)", variant="primary", id="yes")
                    yield Button("Cancel (n)", id="no")
                else:
                    yield Button("Close", variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one("#dialog-buttons Button", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes and self.report.dry_run)
