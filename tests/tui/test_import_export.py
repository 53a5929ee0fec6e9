"""Import and export from the command palette: a dry run first, then the real
import; a malformed file writes nothing and says so; an export re-imports."""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.widgets import Checkbox, Input, OptionList, Select, Static

from orchestrator_tui.services import open_orchestrator
from orchestrator_tui.services.importers import import_path
from orchestrator_tui.ui.commands import ActionCommands
from orchestrator_tui.ui.modals.transfer import ExportDialog, ImportDialog, ImportReportScreen

from .conftest import add, main_screen, notes, screen_text, settle, started, wait_until

FIXTURE = Path(__file__).parent / "taskmaster_small.json"


def shown(app) -> list[tuple[str, str]]:
    """(title, message) of every notification so far."""
    return [(n.title, n.message) for n in app._notifications]


async def palette(pilot, title: str) -> None:
    """Run the palette command called `title`, as choosing it there would."""
    app = pilot.app
    hits = [hit async for hit in ActionCommands(main_screen(app)).search(title)]
    hit = next(h for h in hits if str(h.text) == title)
    await hit.command()
    await settle(pilot)


async def fill(pilot, path: str, fmt: str | None = None, dry_run: bool | None = None) -> None:
    dialog = pilot.app.screen
    dialog.query_one("#transfer-path", Input).value = path
    if fmt is not None:
        dialog.query_one("#transfer-format", Select).value = fmt
    if dry_run is not None:
        dialog.query_one("#transfer-dry-run", Checkbox).value = dry_run
    dialog.query_one("#transfer-path", Input).focus()
    await pilot.press("enter")


def dialog_error(app) -> str:
    return str(app.screen.query_one("#dialog-error", Static).render())


REFUSED = {  # what each dialog says first when it refuses
    "ExportDialog": "Export failed: no file was written",
    "ImportDialog": "Import refused: nothing was written",
}


async def refused(pilot, dialog: type, path: Path, **choices) -> str:
    """Fill `dialog` (open) with `path` and OK it; the error it shows, once it does.
    It stays open with the path as typed, and nothing is notified besides."""
    app = pilot.app
    await fill(pilot, str(path), **choices)
    title = REFUSED[dialog.__name__]
    await wait_until(pilot, lambda: title in dialog_error(app), "the error")
    await settle(pilot)
    assert isinstance(app.screen, dialog) and app.screen.query_one(Input).value == str(path)
    assert shown(app) == []
    return dialog_error(app).removeprefix(f"{title}: ")


async def dry_run(pilot, source: Path) -> None:
    """Import `source` through ctrl+o's dialog, up to the dry run's report."""
    await pilot.press("ctrl+o")
    await settle(pilot)
    await fill(pilot, str(source))
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ImportReportScreen), "the report")


async def export_refusal(pilot, path: Path) -> str:
    """Export to `path` through ctrl+e's dialog: the error it shows."""
    await pilot.press("ctrl+e")
    await settle(pilot)
    return await refused(pilot, ExportDialog, path)


async def test_import_from_the_palette_after_a_dry_run(orch, make, tmp_path):
    source = tmp_path / "tasks.json"
    shutil.copy(FIXTURE, source)
    app = make()
    async with started(app) as pilot:
        await palette(pilot, "Import file or folder…")
        assert isinstance(app.screen, ImportDialog)
        await fill(pilot, str(source))
        await wait_until(pilot, lambda: isinstance(app.screen, ImportReportScreen), "the report")
        text = screen_text(app)
        assert "would import 3 tasks" in text and "3 added, 0 changed, 0 unchanged" in text
        assert orch.queries.count_tasks() == 0, "a dry run writes nothing"
        await pilot.press("y")
        await wait_until(pilot, lambda: orch.queries.count_tasks() == 3, "the import")
        await wait_until(pilot, lambda: any("imported 3 tasks" in n for n in notes(app)), "note")
        await wait_until(pilot, lambda: main_screen(app).table.total == 3, "the list refreshed")
        await settle(pilot)
        assert "Build the [bold]thing[/]" in screen_text(app), "titles shown literally"
    keys = [row.key for row in orch.queries.list_tasks()]
    assert keys == ["master-1", "master-2", "master-2.1"]
    assert orch.queries.get_task("master-2").blockers[0].key == "master-1"


async def test_confirming_writes_the_plan_shown_even_if_the_file_changed(orch, make, tmp_path):
    source = tmp_path / "tasks.json"
    shutil.copy(FIXTURE, source)
    app = make()
    async with started(app) as pilot:
        await dry_run(pilot, source)
        assert "would import 3 tasks" in screen_text(app)
        source.write_text('{"tasks": [{"id": 7, "title": "Not what was shown"}]}')
        await pilot.press("y")
        await wait_until(pilot, lambda: orch.queries.count_tasks() == 3, "the import")
        await wait_until(pilot, lambda: len(shown(app)) == 2, "both notes")
        (imported, changed) = sorted(shown(app))
        assert imported == (
            "Imported",
            f"imported 3 tasks from {source} (task-master): "
            "3 added, 0 changed, 0 unchanged; 1 dependency",
        )
        assert changed[0] == "Imported what you saw"
        assert changed[1].startswith(f"{source} changed after the dry run")
    keys = [row.key for row in orch.queries.list_tasks()]
    assert keys == ["master-1", "master-2", "master-2.1"]


async def test_the_dialog_offers_every_registered_format(make):
    from orchestrator_tui.services.importers.formats import FORMATS

    app = make()
    async with started(app) as pilot:
        await pilot.press("ctrl+o")
        await settle(pilot)
        app.screen.query_one("#transfer-format", Select).focus()
        await pilot.press("enter")
        await settle(pilot)
        listed = app.screen.query_one("SelectOverlay", OptionList)
        offered = [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]
    assert offered == ["detect from the file"] + [f"{f.name}: {f.summary}" for f in FORMATS]


async def test_import_without_a_dry_run_and_again_changes_nothing(orch, make, tmp_path):
    source = tmp_path / "tasks.json"
    shutil.copy(FIXTURE, source)
    app = make()
    async with started(app) as pilot:
        for expected in ("3 added", "3 unchanged"):
            await pilot.press("ctrl+o")
            await settle(pilot)
            await fill(pilot, str(source), dry_run=False)
            await wait_until(pilot, lambda e=expected: any(e in n for n in notes(app)), expected)
    assert orch.queries.count_tasks() == 3


async def test_a_malformed_file_writes_nothing_and_says_so(orch, make, tmp_path):
    add(orch, "KEEP-1", "already here")
    bad = tmp_path / "tasks.json"
    bad.write_text('{"tasks": [{"id": 1, "title": "[@click=app.quit]x", "status": "pending"},')
    app = make()
    async with started(app) as pilot:
        await palette(pilot, "Import file or folder…")
        message = await refused(pilot, ImportDialog, bad, fmt="task-master", dry_run=False)
        assert message.startswith(f"{bad}: ")
        assert app.is_running, "nothing in the file was taken as markup or an action"
    assert [row.key for row in orch.queries.list_tasks()] == ["KEEP-1"]


async def test_a_missing_path_is_reported(orch, make, tmp_path):
    app = make()
    async with started(app) as pilot:
        await pilot.press("ctrl+o")
        await settle(pilot)
        message = await refused(pilot, ImportDialog, tmp_path / "nope.json", dry_run=False)
        assert "nope.json" in message
    assert orch.queries.count_tasks() == 0


async def test_export_writes_a_file_that_reimports(orch, make, tmp_path):
    add(orch, "A", "first", priority="high")
    add(orch, "B", "second [/]", depends_on=["A"])
    orch.tasks.start("A")
    app = make()
    out = tmp_path / "out" / "plan.json"
    out.parent.mkdir()
    async with started(app) as pilot:
        await palette(pilot, "Export tasks…")
        assert isinstance(app.screen, ExportDialog)
        await fill(pilot, str(out))
        await wait_until(pilot, lambda: any("exported 2 tasks" in n for n in notes(app)), "note")
    assert out.is_file()
    other = open_orchestrator(str(tmp_path / "other.db"), "checker")
    try:
        report = import_path(other, out)
        assert (report.format, report.added) == ("json", 2)
        rows = {r.key: (r.title, r.status.value) for r in other.queries.list_tasks()}
        assert rows == {"A": ("first", "in_progress"), "B": ("second [/]", "pending")}
        assert [b.key for b in other.queries.get_task("B").blockers] == ["A"]
    finally:
        other.close()


async def test_export_as_task_master(orch, make, tmp_path):
    source = tmp_path / "tasks.json"
    shutil.copy(FIXTURE, source)
    import_path(orch, source)
    out = tmp_path / "back.json"
    app = make()
    async with started(app) as pilot:
        await pilot.press("ctrl+e")
        await settle(pilot)
        await fill(pilot, str(out), fmt="task-master")
        await wait_until(pilot, lambda: out.is_file(), "the file")
    other = open_orchestrator(str(tmp_path / "other.db"), "checker")
    try:
        report = import_path(other, out, "task-master")
        assert report.tasks == 3
        assert other.queries.get_task("master-2").title == "Build the [bold]thing[/]"
    finally:
        other.close()


async def test_export_to_an_unwritable_place_is_reported(orch, make, tmp_path):
    add(orch, "A", "first")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    app = make()
    async with started(app) as pilot:
        message = await export_refusal(pilot, blocker / "out.json")
        assert message.startswith(str(blocker)) and "Error" not in message
        assert app.is_running


async def test_export_into_a_missing_folder_is_refused(orch, make, tmp_path):
    add(orch, "A", "first")
    missing = tmp_path / "missing"
    app = make()
    async with started(app) as pilot:
        message = await export_refusal(pilot, missing / "out.json")
        assert message == f"no folder {missing}; create it first, then run again"
        assert not missing.exists()
        # the person creates the folder and presses enter again: the path was kept
        missing.mkdir()
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("exported 1 task" in n for n in notes(app)), "note")
        assert not isinstance(app.screen, ExportDialog)
    assert (missing / "out.json").is_file()


async def test_at_80x24_both_dialogs_show_their_buttons_and_a_refusal(orch, make, tmp_path):
    # The buttons were below the dialog's edge at 80x24 (the import's even before a
    # refusal): its fields are drawn a line each there.
    app = make()
    async with started(app, (80, 24)) as pilot:
        for key, dialog, ok in (
            ("ctrl+o", ImportDialog, "Import"),
            ("ctrl+e", ExportDialog, "Export"),
        ):
            await pilot.press(key)
            await settle(pilot)
            await refused(pilot, dialog, tmp_path / "missing" / "out.json")
            lines = screen_text(app).splitlines()
            assert any(REFUSED[dialog.__name__] in line for line in lines)
            assert any(f"{ok}" in line and "Cancel" in line for line in lines), "\n".join(lines)
            await pilot.press("escape")
            await settle(pilot)


async def test_a_dry_run_s_report_closes_unconfirmed_when_the_database_is_reset(
    db_url, orch, make, tmp_path
):
    """What it said would change was read from the database that went."""
    from ..runner.helpers import reset_elsewhere

    source = tmp_path / "tasks.json"
    shutil.copy(FIXTURE, source)
    app = make()
    async with started(app) as pilot:
        await dry_run(pilot, source)
        reset_elsewhere(db_url)
        app.poke_feed()
        await wait_until(pilot, lambda: not isinstance(app.screen, ImportReportScreen), "closed")
        await settle(pilot)
        assert (
            "Database reset",
            f"Import {source}: not done: the database was reset (emptied) while the dialog "
            "was open",
        ) in shown(app)
        assert orch.queries.count_tasks() == 0
