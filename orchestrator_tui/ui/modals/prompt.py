"""Small modals: a line of text (a reason, a comment, a key), a yes/no
confirmation, and picking one of a few tasks. Every text shown in them is
passed in as `Text`, so nothing untrusted is parsed as markup. Each is about rows
read from the database (a task, a question, a move): a database reset closes it
unanswered (`about_rows`, see `ui.reset`)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.button import ButtonVariant
from textual.widgets.option_list import Option

from ..style_sheets import DIALOG_STYLES


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line of text; `required` refuses an empty answer."""

    CSS_PATH = DIALOG_STYLES

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(
        self,
        title: str,
        message: Text,
        *,
        required: bool = True,
        placeholder: str = "",
        ok_label: str = "OK",
        initial: str = "",
        ok_variant: ButtonVariant = "primary",
        suggester: Suggester | None = None,
    ) -> None:
        super().__init__(classes="prompt")
        self.suggester = suggester
        self.title_text = title
        self.about_rows: str | None = title  # a reset closes it (`ui.reset`)
        self.message = message
        self.required = required
        self.placeholder = placeholder
        self.ok_label = ok_label
        self.initial = initial
        self.ok_variant = ok_variant

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(self.title_text), id="dialog-title")
            yield Static(self.message, id="dialog-message")
            yield Input(
                value=self.initial,
                placeholder=self.placeholder,
                id="dialog-input",
                suggester=self.suggester,
            )
            yield Static(Text(""), id="dialog-error")
            with Horizontal(id="dialog-buttons"):
                yield Button(self.ok_label, variant=self.ok_variant, id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _submit(self) -> None:
        value = self.query_one(Input).value.strip()
        if self.required and not value:
            self.query_one("#dialog-error", Static).update(Text("this cannot be empty"))
            return
        self.dismiss(value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """Yes or no: y / enter confirm, n / escape cancel."""

    CSS_PATH = DIALOG_STYLES

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(
        self,
        title: str,
        message: Text,
        yes_label: str = "Yes",
        yes_variant: ButtonVariant = "primary",
    ) -> None:
        super().__init__(classes="prompt")
        self.title_text = title
        self.about_rows: str | None = title  # a reset closes it (`ui.reset`)
        self.message = message
        self.yes_label = yes_label
        self.yes_variant = yes_variant

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(self.title_text), id="dialog-title")
            yield Static(self.message, id="dialog-message")
            with Horizontal(id="dialog-buttons"):
                yield Button(f"{self.yes_label} (y)", variant=self.yes_variant, id="yes")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class PickTask(ModalScreen[str | None]):
    """Choose one task from a short list (e.g. which dependency to remove)."""

    CSS_PATH = DIALOG_STYLES

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="pick.cancel")]

    def __init__(self, title: str, choices: list[tuple[str, Text]]) -> None:
        super().__init__(classes="prompt")
        self.title_text = title
        self.about_rows: str | None = title  # a reset closes it (`ui.reset`)
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(self.title_text), id="dialog-title")
            yield OptionList(*[Option(label, id=key) for key, label in self.choices])
            yield Static(Text("enter picks, escape cancels"), id="dialog-message")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
